"""Test servers and small helpers shared by the Python tests (examples, CLI, interop).

Each server runs on free ports, in a directory of the caller's, and is stopped by its own
pid only, so tests may run in parallel (ctest -j). No third-party module is needed: Redis is
spoken through a minimal RESP client, NATS readiness through its monitoring port.
"""
import contextlib
import json
import os
import shutil
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


@contextlib.contextmanager
def redis_server(directory, *extra_args):
    """redis-server on a free port; yields (url, port). Ready when it answers PING."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", directory,
                             *extra_args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def pong():
            with contextlib.suppress(OSError, RuntimeError):
                client = Redis(port)
                try:
                    return client("PING") == "PONG"
                finally:
                    client.close()
            return False

        if not wait_until(lambda: proc.poll() is not None or pong()) or proc.poll() is not None:
            sys.exit("redis-server did not start")
        yield f"redis://127.0.0.1:{port}", port
    finally:
        stop_process(proc)


def http_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
        return json.load(r)


@contextlib.contextmanager
def nats_server(directory):
    """nats-server with JetStream on free ports; yields (client port, monitoring port). Ready
    when /healthz says so and the client port greets with this server's name (not another's
    that took the port)."""
    exe = shutil.which("nats-server") or "/usr/sbin/nats-server"
    for _ in range(5):
        port, http = free_port(), free_port()
        name = f"faststream-test-{port}"
        proc = subprocess.Popen([exe, "--addr", "127.0.0.1", "--port", str(port), "--http_port",
                                 str(http), "--jetstream", "--store_dir", f"{directory}/js",
                                 "--server_name", name, "--log", f"{directory}/nats.log"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def ready():
            with contextlib.suppress(OSError, ValueError):
                if http_json(http, "/healthz?js-enabled-only=true").get("status") != "ok":
                    return False
                with socket.create_connection(("127.0.0.1", port), 1) as s:
                    return f'"server_name":"{name}"' in s.makefile("rb").readline().decode()
            return False

        if wait_until(lambda: proc.poll() is not None or ready()) and proc.poll() is None:
            break
        stop_process(proc)
    else:
        log = f"{directory}/nats.log"
        sys.exit("nats-server did not start: " +
                 (open(log).read()[-2000:] if os.path.exists(log) else ""))
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
