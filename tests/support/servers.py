"""Test servers and small helpers shared by the Python tests (examples, CLI, interop).

Each server runs on free ports, in a directory of the caller's, and is stopped by its own
pid only, so tests may run in parallel (ctest -j). No third-party module is needed: Redis is
spoken through a minimal RESP client, NATS readiness through its monitoring port.
"""
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request


class Checks:
    """Named checks that each can fail on their own; `finish()` exits 1 listing the failures."""

    def __init__(self):
        self.failures = []

    def __call__(self, name, condition, detail=""):
        print(("ok   " if condition else "FAIL ") + name, flush=True)
        if not condition:
            self.failures.append(name)
            print("     " + str(detail).replace("\n", "\n     "), flush=True)
        return bool(condition)

    def finish(self, success_line):
        if self.failures:
            print(f"{len(self.failures)} check(s) failed: {self.failures}")
            sys.exit(1)
        print(success_line)


def wait_until(predicate, timeout=10.0, step=0.02):
    """Polls `predicate` until it returns something truthy (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc, timeout=10):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Redis:
    """A minimal RESP client: enough for tests to feed and inspect lists and streams."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), 5)
        self.reader = self.sock.makefile("rb")

    def __call__(self, *args):
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self.sock.sendall(b"*%d\r\n" % len(parts) +
                          b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        return self._read()

    def _read(self):
        line = self.reader.readline()[:-2]
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.reader.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RuntimeError(f"unexpected RESP line {line!r}")

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


def launch_redis(directory, *extra_args, detach=False):
    """Starts redis-server on a free port, files in `directory`; returns (process, port) once
    it answers PING. `detach`: in a session of its own, outliving this process."""
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", directory,
                                 "--logfile", f"{directory}/redis.log", *extra_args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=detach)

        def pong():
            with contextlib.suppress(OSError, RuntimeError):
                client = Redis(port)
                try:
                    return client("PING") == "PONG"
                finally:
                    client.close()
            return False

        if wait_until(lambda: proc.poll() is not None or pong()) and proc.poll() is None:
            return proc, port
        stop_process(proc)
    sys.exit("redis-server did not start (see " + directory + "/redis.log)")


@contextlib.contextmanager
def redis_server(directory, *extra_args):
    """redis-server on a free port; yields (url, port); stops it (only its pid) after."""
    proc, port = launch_redis(directory, *extra_args)
    try:
        yield f"redis://127.0.0.1:{port}", port
    finally:
        stop_process(proc)


def http_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
        return json.load(r)


def launch_nats(directory, detach=False):
    """Starts nats-server with JetStream on free ports, files in `directory`; returns
    (process, client port, monitoring port) once /healthz says so and the client port greets
    with this server's name (not another's that took the port)."""
    exe = shutil.which("nats-server") or "/usr/sbin/nats-server"
    for _ in range(5):
        port, http = free_port(), free_port()
        name = f"faststream-test-{port}"
        proc = subprocess.Popen([exe, "--addr", "127.0.0.1", "--port", str(port), "--http_port",
                                 str(http), "--jetstream", "--store_dir", f"{directory}/js",
                                 "--server_name", name, "--log", f"{directory}/nats.log"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=detach)

        def ready():
            with contextlib.suppress(OSError, ValueError):
                if http_json(http, "/healthz?js-enabled-only=true").get("status") != "ok":
                    return False
                with socket.create_connection(("127.0.0.1", port), 1) as s:
                    return f'"server_name":"{name}"' in s.makefile("rb").readline().decode()
            return False

        if wait_until(lambda: proc.poll() is not None or ready()) and proc.poll() is None:
            return proc, port, http
        stop_process(proc)
    log = f"{directory}/nats.log"
    sys.exit("nats-server did not start: " +
             (open(log).read()[-2000:] if os.path.exists(log) else ""))


@contextlib.contextmanager
def nats_server(directory):
    """nats-server with JetStream on free ports; yields (client port, monitoring port); stops
    it (only its pid) after."""
    proc, port, http = launch_nats(directory)
    try:
        yield port, http
    finally:
        stop_process(proc)


def receive_addresses(document):
    """The channel addresses an AsyncAPI 3.0.0 document's receive operations read."""
    channels = document.get("channels", {})
    addresses = []
    for operation in document.get("operations", {}).values():
        if operation.get("action") != "receive":
            continue
        # A JSON pointer in a URI fragment: percent-encoded, then ~1 for / and ~0 for ~.
        ref = urllib.parse.unquote(operation["channel"]["$ref"].split("/")[-1])
        ref = ref.replace("~1", "/").replace("~0", "~")
        addresses.append(channels[ref]["address"])
    return addresses


# --- The run's shared servers (CTest fixtures) ------------------------------------------------
# `servers.py start KIND DIR` starts one server of KIND (redis, nats) for the whole test run,
# detached, and writes DIR/KIND.env (port=, monitor_port=, pid=, dir=) for the tests to find
# (tests/support/redis_server.hpp, nats_server.hpp); `servers.py stop KIND DIR` stops that pid
# and removes its files. Tests that stop or restart a server start their own instead.

def start_shared(kind, directory):
    data = os.path.join(directory, kind)
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    if kind == "redis":
        proc, port = launch_redis(data, detach=True)
        monitor = 0
    elif kind == "nats":
        proc, port, monitor = launch_nats(data, detach=True)
    else:
        sys.exit(f"unknown server kind {kind!r} (redis or nats)")
    env = os.path.join(directory, f"{kind}.env")
    with open(env + ".tmp", "w") as f:
        f.write(f"port={port}\nmonitor_port={monitor}\npid={proc.pid}\ndir={data}\n")
    os.replace(env + ".tmp", env)  # readers never see half a file
    print(f"{kind} server for this test run: pid {proc.pid}, port {port} ({env})")


def stop_shared(kind, directory):
    env = os.path.join(directory, f"{kind}.env")
    if not os.path.exists(env):
        print(f"no {kind} server to stop ({env} is missing)")
        return
    fields = dict(line.split("=", 1) for line in open(env).read().split("\n") if "=" in line)
    os.remove(env)
    pid = int(fields["pid"])
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        # Not our child (it was started by the setup test's process): poll until it is gone.
        gone = wait_until(lambda: not os.path.exists(f"/proc/{pid}") or
                          open(f"/proc/{pid}/stat").read().split()[2] == "Z", timeout=10)
        if not gone:
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(fields.get("dir", ""), ignore_errors=True)
    print(f"{kind} server pid {pid} stopped")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: servers.py start|stop redis|nats DIR")
    (start_shared if sys.argv[1] == "start" else stop_shared)(sys.argv[2], sys.argv[3])
