"""Interop between faststream-cpp's NATS backend and Python FastStream (pinned 0.7.8).

    run_interop.py CPP_PEER PY_PEER [NATS_SERVER]    (run with the venv's python, see interop.cmake)

Starts a nats-server of its own (JetStream on, free ports on 127.0.0.1, a private directory;
stops only its own pid), then both ways:
  python -> C++: the C++ peer serves a core subject and two JetStream consumers (push and
                 pull, durable, stream INTEROP_CPP); FastStream publishes typed orders and makes
                 RPC calls (broker.publish / broker.request, with stream= for JetStream). Plus
                 the negative check: an order that breaks the model's rules, on core and on
                 JetStream, is reported by the C++ side with its field paths, never
                 redelivered, and the next message is still consumed.
  C++ -> python: FastStream serves the same three sources (stream INTEROP_PY); the C++ peer
                 publishes (nats::to_stream for JetStream, which awaits the PubAck) and makes
                 RPC calls (broker.request).
and asserts that every message arrived exactly once, on the right subject and through the
right path (JetStream metadata present exactly for js/pull), decoded to what was sent (nested
lists, an optional present, null, empty or left out, awkward floats, non-ASCII text in the
body and in headers), explicit correlation ids arrive unchanged in the correlation_id header,
publishes carry no reply subject and requests do (the NATS reply on core, the reply_to header
on JetStream), replies carry the request's correlation id and decode to the expected receipt,
and that JetStream holds exactly the messages sent with nothing left pending or redelivered
for the durable consumers.
"""

import contextlib
import copy
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

CPP_PEER, PY_PEER = sys.argv[1], sys.argv[2]
NATS_SERVER = sys.argv[3] if len(sys.argv) > 3 else "nats-server"
SOURCES = ("core", "js", "pull")
JETSTREAM = ("js", "pull")
STREAMS = {"cpp": "INTEROP_CPP", "py": "INTEROP_PY"}  # the stream each serving peer declares
DURABLES = {"js": "push", "pull": "pull"}  # consumer name: f"{server}-{DURABLES[source]}"
failures: list[str] = []


def check(condition: bool, what: str) -> None:
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)


def free_port(taken: set[int]) -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            return port


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.loads(response.read().decode("utf-8"))


class NatsServer:
    """A nats-server -js of this test's own; only its own pid is ever signalled."""

    def __init__(self, tmp: str):
        self.dir = tmp
        self.proc: subprocess.Popen | None = None
        # Ports are found free, then bound by the server: another process may take one between.
        for _ in range(5):
            self.port = free_port(set())
            self.monitor = free_port({self.port})
            self.proc = subprocess.Popen(
                [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor),
                 "-js", "-sd", os.path.join(tmp, "js"), "-l", os.path.join(tmp, "nats.log")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_healthy():
                return
            self.stop()
        raise RuntimeError(f"nats-server did not start: {self.log_tail()}")

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def _wait_healthy(self) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # exited: a port taken or bad arguments
            with contextlib.suppress(OSError, ValueError):
                if get_json(f"http://127.0.0.1:{self.monitor}/healthz?js-enabled-only=true"
                            ).get("status") == "ok":
                    return True
            time.sleep(0.02)
        return False

    def jsz(self) -> dict:
        return get_json(f"http://127.0.0.1:{self.monitor}/jsz?streams=true&consumers=true")

    def stream_state(self, name: str) -> tuple[dict | None, dict[str, dict]]:
        """The stream's state and its consumers (by name), from the monitoring endpoint."""
        for account in self.jsz().get("account_details", []):
            for stream in account.get("stream_detail", []):
                if stream.get("name") == name:
                    consumers = {c["name"]: c for c in stream.get("consumer_detail") or []}
                    return stream.get("state", {}), consumers
        return None, {}

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            with open(os.path.join(self.dir, "nats.log"), encoding="utf-8",
                      errors="replace") as f:
                return f.read()[-2000:]
        return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Peer:
    """A serving peer: JSON lines from its stdout are collected; EOF on stdin stops it."""

    def __init__(self, name: str, argv: list[str]):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self.lines: list[dict] = []
        self.stderr: list[str] = []
        self._new = queue.Queue()
        self._readers = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        for raw in self.proc.stdout:
            raw = raw.strip()
            try:
                line = json.loads(raw)
            except ValueError:
                print(f"[{self.name} stdout] {raw}", flush=True)
                continue
            self.lines.append(line)
            self._new.put(None)

    def _read_stderr(self) -> None:
        for raw in self.proc.stderr:
            self.stderr.append(raw.rstrip("\n"))

    def wait_until(self, done, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not done(self.lines):
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                return done(self.lines)
            with contextlib.suppress(queue.Empty):
                self._new.get(timeout=min(left, 0.2))
        return True

    def stop(self) -> int:
        self.proc.stdin.close()
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # our own child
            rc = self.proc.wait()
        for reader in self._readers:
            reader.join(timeout=5)  # the last lines
        return rc

    def events(self, event: str) -> list[dict]:
        return [line for line in self.lines if line.get("event") == event]

    def dump(self) -> None:
        for line in self.lines:
            print(f"  [{self.name}] {json.dumps(line, ensure_ascii=False)}")
        for line in self.stderr:
            print(f"  [{self.name} stderr] {line}")


def run_client(name: str, argv: list[str]) -> list[dict]:
    run = subprocess.run(argv, capture_output=True, text=True, encoding="utf-8", timeout=120)
    lines = []
    for raw in run.stdout.splitlines():
        with contextlib.suppress(ValueError):
            lines.append(json.loads(raw))
    if run.returncode != 0 or failures:
        print(f"--- {name} client (exit {run.returncode})")
        print(run.stdout)
        print(run.stderr)
    check(run.returncode == 0, f"{name} client exited with {run.returncode}")
    check(any(line.get("event") == "done" for line in lines), f"{name} client did not finish")
    return lines


# --- The plans ------------------------------------------------------------------------------

def bad_seq(source: str) -> str:
    return f"py-{source}-bad"


def plan_for(sender: str, with_negative: bool) -> list[dict]:
    """Four actions per source (two publishes, two requests); the negative check adds an
    invalid order on core and on js, right before a valid publish."""
    plan = []
    for source in SOURCES:
        def seq(n: int) -> str:
            return f"{sender}-{source}-{n}"

        def headers(n: int) -> dict:
            # Non-ASCII header values both ways: nats.c and nats-py 2.16 carry UTF-8 bytes.
            return {"x-seq": seq(n), "x-origin": sender, "x-text": "h\u00e9llo \u2615"}

        plan.append({
            "kind": "publish", "source": source, "correlation_id": f"{seq(1)}-corr",
            "headers": headers(1),
            "order": {"id": f"{seq(1)}-order", "amount": 12.5,
                      "items": [{"sku": "ABC-1", "quantity": 2, "price": 0.1},
                                {"sku": "XYZ-42", "quantity": 3, "price": 19.99}],
                      "note": "caf\u00e9 \u2615 \u6771\u4eac \"quoted\"\n", "tags": ["a", "b c"]},
        })
        if with_negative and source in ("core", "js"):
            plan.append({
                "kind": "publish", "source": source, "correlation_id": f"{bad_seq(source)}-corr",
                "raw": True, "headers": {"x-seq": bad_seq(source), "x-origin": sender},
                "order": {"id": "", "amount": 1.0,
                          "items": [{"sku": "ABC-1", "quantity": 1, "price": -1.5}],
                          "note": None, "tags": []},
            })
        # No correlation id (the sender makes one); sent as raw JSON without "note" at all.
        plan.append({
            "kind": "publish", "source": source, "raw": True, "headers": headers(2),
            "order": {"id": f"{seq(2)}-order", "amount": 3.0,
                      "items": [{"sku": "QRS-7", "quantity": 2147483647, "price": 1e-07}],
                      "tags": []},
        })
        plan.append({
            "kind": "request", "source": source, "correlation_id": f"{seq(3)}-corr",
            "headers": headers(3),
            "order": {"id": f"{seq(3)}-order", "amount": 1.7976931348623157e308,
                      "items": [{"sku": "ABC-2", "quantity": 1, "price": 0.0},
                                {"sku": "ABC-3", "quantity": 5, "price": 1234567.891},
                                {"sku": "ABC-4", "quantity": 7, "price": 5e-324}],
                      "note": "", "tags": ["x"]},
        })
        plan.append({
            "kind": "request", "source": source, "headers": headers(4),
            "order": {"id": f"{seq(4)}-order", "amount": 0.30000000000000004,
                      "items": [{"sku": "DEF-9", "quantity": 1, "price": 2.5}],
                      "note": None, "tags": []},
        })
    return plan


def decoded(order: dict) -> dict:
    """What a receiver decodes: the order with the optional note filled in."""
    out = copy.deepcopy(order)
    out.setdefault("note", None)
    return out


def expected_receipt(order: dict, source: str, handled_by: str) -> dict:
    total = 0.0
    for item in order["items"]:
        total += item["quantity"] * item["price"]  # the handlers' arithmetic, in their order
    return {"order_id": order["id"], "source": source, "handled_by": handled_by,
            "total": total, "item_count": len(order["items"]), "note": order.get("note"),
            "skus": [item["sku"] for item in order["items"]]}


# --- JetStream state --------------------------------------------------------------------------

def jetstream_settled(server: NatsServer, serving: str, plan: list[dict]) -> tuple[bool, str]:
    """The serving peer's stream holds exactly the JetStream messages of the plan, and each
    durable consumer has delivered all of its subject's messages once, with every one of them
    acked (or terminated), none pending, none redelivered."""
    stream_name = STREAMS[serving]
    state, consumers = server.stream_state(stream_name)
    if state is None:
        return False, f"stream {stream_name} does not exist"
    want_total = sum(1 for a in plan if a["source"] in JETSTREAM)
    if state.get("messages") != want_total:
        return False, f"stream {stream_name} holds {state.get('messages')}, not {want_total}"
    for source in JETSTREAM:
        name = f"{serving}-{DURABLES[source]}"
        c = consumers.get(name)
        if c is None:
            return False, f"no consumer {name} on {stream_name} (have {sorted(consumers)})"
        n = sum(1 for a in plan if a["source"] == source)
        got = {k: c.get(k) for k in ("num_pending", "num_ack_pending", "num_redelivered")}
        got["delivered"] = (c.get("delivered") or {}).get("consumer_seq")
        want = {"num_pending": 0, "num_ack_pending": 0, "num_redelivered": 0, "delivered": n}
        if got != want:
            return False, f"consumer {name}: {got} != {want}"
    return True, ""


# --- One direction ----------------------------------------------------------------------------

def run_direction(server: NatsServer, sender: str, serving: str, negative: bool,
                  tmp: str) -> None:
    name = f"{sender}->{serving}"
    started = time.monotonic()
    plan = plan_for(sender, negative)
    plan_file = os.path.join(tmp, f"plan-{sender}.jsonl")
    with open(plan_file, "w", encoding="utf-8") as f:
        for action in plan:
            f.write(json.dumps(action) + "\n")

    url = server.url
    peer_argv = {
        "cpp": [CPP_PEER, "--url", url, "--max-seconds", "120"],
        "py": [sys.executable, PY_PEER, "--url", url, "--max-seconds", "120"],
    }
    bad = {bad_seq(s) for s in ("core", "js")} if negative else set()
    valid = [a for a in plan if a["headers"]["x-seq"] not in bad]
    want = {a["headers"]["x-seq"] for a in valid}
    js_state = ""
    serving_peer = Peer(serving, peer_argv[serving] + ["serve"])
    try:
        ready = serving_peer.wait_until(lambda ls: any(x.get("event") == "ready" for x in ls), 30)
        check(ready, f"{name}: the {serving} peer did not get ready")
        if not ready:
            serving_peer.dump()
            return
        client_lines = run_client(sender, peer_argv[sender] + ["client", plan_file])

        def all_in(lines):
            got = {x.get("seq") for x in lines if x.get("event") == "received"}
            failed = {x.get("seq") for x in lines if x.get("event") == "failed"}
            return want <= got and bad <= failed

        check(serving_peer.wait_until(all_in, 30), f"{name}: not every message arrived in 30 s")
        # JetStream: wait (while the consumer still runs) until every delivery is settled.
        deadline = time.monotonic() + 15
        settled, js_state = jetstream_settled(server, serving, plan)
        while not settled and time.monotonic() < deadline:
            time.sleep(0.1)
            settled, js_state = jetstream_settled(server, serving, plan)
        check(settled, f"{name}: JetStream not settled in 15 s: {js_state}")
        time.sleep(0.5)  # room for a duplicate or a redelivery to show up
    finally:
        rc = serving_peer.stop()
    check(rc == 0, f"{name}: the {serving} peer exited with {rc}")

    received = serving_peer.events("received")
    replies = {x["seq"]: x for x in client_lines if x.get("event") == "reply"}
    sent = {x["seq"] for x in client_lines if x.get("event") == "sent"}
    by_seq: dict[str, list[dict]] = {}
    for x in received:
        by_seq.setdefault(x["seq"], []).append(x)
    check(set(by_seq) == want, f"{name}: received {sorted(by_seq)}, expected {sorted(want)}")

    handled_by = "cpp" if serving == "cpp" else "python"
    wire_seen: dict[tuple[str, str], set[str]] = {}
    for action in valid:
        seq, source = action["headers"]["x-seq"], action["source"]
        got = by_seq.get(seq, [])
        check(len(got) == 1, f"{name} {seq}: arrived {len(got)} times, expected once")
        if not got:
            continue
        msg = got[0]
        wire_seen.setdefault((source, action["kind"]), set()).update(msg["wire"])
        subject = f"interop.{serving}.{source}"
        check(msg["source"] == source and msg["subject"] == subject,
              f"{name} {seq}: arrived on {msg['subject']}, not {subject}")
        if source in JETSTREAM:
            check(msg["stream"] == STREAMS[serving] and msg["stream_sequence"] > 0,
                  f"{name} {seq}: not from stream {STREAMS[serving]}: {msg['stream']!r} "
                  f"#{msg['stream_sequence']}")
        else:
            check(msg["stream"] == "" and msg["stream_sequence"] == 0,
                  f"{name} {seq}: a core message with JetStream metadata {msg['stream']!r}")
        check(msg["delivery_count"] == 1,
              f"{name} {seq}: delivery count {msg['delivery_count']}, expected 1")
        check(msg["order"] == decoded(action["order"]),
              f"{name} {seq}: decoded {msg['order']} != sent {decoded(action['order'])}")
        check(msg["headers"] == action["headers"],
              f"{name} {seq}: headers {msg['headers']} != sent {action['headers']}")
        check(msg["content_type"] == "application/json",
              f"{name} {seq}: content-type {msg['content_type']!r}")
        check(msg["wire"].get("content-type") == "application/json",
              f"{name} {seq}: content-type header {msg['wire'].get('content-type')!r}")
        check(bool(msg["correlation_id"]), f"{name} {seq}: no correlation id")
        # FastStream's header name is correlation_id (underscore), on both paths.
        check(msg["wire"].get("correlation_id") == msg["correlation_id"],
              f"{name} {seq}: correlation_id header {msg['wire'].get('correlation_id')!r} != "
              f"{msg['correlation_id']!r}")
        if action.get("correlation_id"):
            check(msg["correlation_id"] == action["correlation_id"],
                  f"{name} {seq}: correlation id {msg['correlation_id']!r} != sent "
                  f"{action['correlation_id']!r}")
        if action["kind"] == "publish":
            check(seq in sent, f"{name} {seq}: the client did not report it sent")
            check(not msg["reply_to"], f"{name} {seq}: a publish has reply_to {msg['reply_to']!r}")
            check("reply_to" not in msg["wire"],
                  f"{name} {seq}: a publish has a reply_to header {msg['wire'].get('reply_to')!r}")
            continue
        check(bool(msg["reply_to"]), f"{name} {seq}: a request arrived without reply_to")
        if source in JETSTREAM:
            # JetStream: the NATS reply subject is the ack subject; FastStream carries the
            # request's reply subject in the reply_to header.
            check(msg["wire"].get("reply_to") == msg["reply_to"],
                  f"{name} {seq}: reply_to header {msg['wire'].get('reply_to')!r} != "
                  f"{msg['reply_to']!r}")
        else:
            check("reply_to" not in msg["wire"],
                  f"{name} {seq}: a core request has a reply_to header")
        reply = replies.get(seq)
        check(reply is not None, f"{name} {seq}: no reply")
        if reply is None:
            continue
        # The reply carries the request's correlation id (explicit, or the one the sender made).
        check(reply["correlation_id"] == msg["correlation_id"],
              f"{name} {seq}: reply correlation id {reply['correlation_id']!r} != request's "
              f"{msg['correlation_id']!r}")
        check(reply["wire"].get("correlation_id") == msg["correlation_id"],
              f"{name} {seq}: reply correlation_id header {reply['wire']!r}")
        check(reply["content_type"] == "application/json",
              f"{name} {seq}: reply content-type {reply['content_type']!r}")
        want_receipt = expected_receipt(decoded(action["order"]), source, handled_by)
        check(reply["receipt"] == want_receipt,
              f"{name} {seq}: reply {reply['receipt']} != expected {want_receipt}")
    check(set(replies) == {a["headers"]["x-seq"] for a in plan if a["kind"] == "request"},
          f"{name}: replies for {sorted(replies)}")

    if negative:
        failed = serving_peer.events("failed")
        by_bad = {f["seq"]: f for f in failed}
        check(len(failed) == len(bad) and set(by_bad) == bad,
              f"{name}: failure reports {[f['seq'] for f in failed]}, expected {sorted(bad)} "
              "once each (a JetStream one must not be redelivered)")
        order = [x.get("seq") for x in serving_peer.lines]
        for source in ("core", "js"):
            f = by_bad.get(bad_seq(source))
            if f is None:
                continue
            check(f["source"] == source and f["delivery_count"] == 1,
                  f"{name}: failure for {f['seq']} on {f['source']} (delivery "
                  f"{f['delivery_count']})")
            check(f["correlation_id"] == f"{bad_seq(source)}-corr",
                  f"{name}: failure correlation id {f['correlation_id']!r}")
            for path in ("id: ", "items[0].price: must be >= 0"):
                check(path in f["error"], f"{name}: failure {f['error']!r} does not name {path!r}")
            # It kept consuming: the subject's next message came after the failure.
            after = f"py-{source}-2"
            check(after in order and order.index(after) > order.index(bad_seq(source)),
                  f"{name}: {after} did not arrive after the invalid order")
        # The framework's own log lines: one per invalid order, naming every failing field.
        log = [line for line in serving_peer.stderr if " - failed: " in line]
        check(len(log) == len(bad)
              and all("id: must have at least 1 character" in line
                      and "items[0].price: must be >= 0, got -1.5" in line for line in log)
              and any("interop.cpp.core" in line for line in log)
              and any("interop.cpp.js" in line for line in log),
              f"{name}: the C++ log does not report the invalid orders: {log}")
        stats = serving_peer.events("stats")
        check(bool(stats), f"{name}: no stats from the C++ peer")
        if stats:
            subs = stats[0]["subscribers"]
            for source in SOURCES:
                n = sum(1 for a in valid if a["source"] == source)
                n_bad = 1 if bad_seq(source) in bad else 0
                got = subs.get(source, {})
                check(got.get("processed") == n and got.get("failed") == n_bad,
                      f"{name}: {source} stats {got}: expected processed {n}, failed {n_bad}")
                if source in JETSTREAM:
                    # JetStream: acked on success, Term (reject) on a decode failure.
                    check(got.get("acked") == n and got.get("rejected") == n_bad
                          and got.get("nacked") == 0,
                          f"{name}: {source} settlements {got}: expected acked {n}, "
                          f"rejected {n_bad}, nacked 0")
    if failures:
        serving_peer.dump()
    for (source, kind), names in sorted(wire_seen.items()):
        print(f"  {name} {source} {kind}: headers {sorted(names)}")
    print(f"{name}: {len(received)} messages, {len(replies)} replies checked "
          f"({time.monotonic() - started:.2f} s)", flush=True)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="faststream-nats-interop-") as tmp:
        server = NatsServer(tmp)
        try:
            run_direction(server, sender="py", serving="cpp", negative=True, tmp=tmp)
            run_direction(server, sender="cpp", serving="py", negative=False, tmp=tmp)
        finally:
            if failures:
                print(f"--- nats-server log (tail)\n{server.log_tail()}")
            server.stop()
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("ok: FastStream 0.7.8 and faststream-cpp agree on core NATS and JetStream "
          "(push and pull), publish and request, both ways")
    return 0


if __name__ == "__main__":
    sys.exit(main())
