"""Interop between faststream-cpp's Redis backend and Python FastStream (pinned 0.7.8).

    run_interop.py CPP_PEER PY_PEER        (run with the venv's python, see interop.cmake)

Starts a redis-server of its own on a free port (stops only that pid), then both ways:
  python -> C++: the C++ peer serves (channel, list, stream with a group); FastStream publishes
                 and makes RPC calls. Plus the negative check: an order that breaks the
                 model's rules on the channel is reported by the C++ side with its field paths,
                 and the next message is still consumed.
  C++ -> python: FastStream serves the same three sources; the C++ peer publishes and makes
                 RPC calls (broker.request).
and asserts that every message arrived exactly once, decoded to what was sent (nested
lists, an optional present, null, empty or left out, awkward floats, non-ASCII text),
explicit correlation ids arrive unchanged, replies carry the request's correlation id and
decode to the expected receipt, and that nothing is left pending in Redis.
"""

import contextlib
import copy
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis  # from the venv (a dependency of faststream[redis])

CPP_PEER, PY_PEER = sys.argv[1], sys.argv[2]
SOURCES = ("channel", "list", "stream")
GROUPS = {"cpp": "cpp", "py": "py"}  # the stream consumer group of each serving peer
failures: list[str] = []


def check(condition: bool, what: str) -> None:
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)


@contextlib.contextmanager
def redis_server():
    """A redis-server of this test's own on a free port; stops only its own pid."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", tmp],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            client = redis.Redis(host="127.0.0.1", port=port)
            for _ in range(500):
                with contextlib.suppress(redis.exceptions.ConnectionError):
                    if client.ping():
                        break
                time.sleep(0.01)
            yield f"redis://127.0.0.1:{port}", client
        finally:
            proc.terminate()
            proc.wait(timeout=10)


class Peer:
    """A serving peer: JSON lines from its stdout are collected; EOF on stdin stops it."""

    def __init__(self, name: str, argv: list[str]):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self.lines: list[dict] = []
        self.stderr: list[str] = []
        self._new = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

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
        rc = self.proc.wait(timeout=30)
        time.sleep(0.05)  # let the reader threads take the last lines
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

def plan_for(sender: str, with_negative: bool) -> list[dict]:
    """Four actions per source (two publishes, two requests); the negative check adds an
    invalid order on the channel, right before a valid publish."""
    plan = []
    for source in SOURCES:
        def seq(n: int) -> str:
            return f"{sender}-{source}-{n}"

        def headers(n: int) -> dict:
            h = {"x-seq": seq(n), "x-origin": sender}
            # Non-ASCII header values: we write byte lengths, which FastStream reads right.
            # (FastStream writes character counts, which cut such values: ASCII only then.)
            h["x-text"] = "h\u00e9llo \u2615" if sender == "cpp" else "hello"
            return h

        plan.append({
            "kind": "publish", "source": source, "correlation_id": f"{seq(1)}-corr",
            "headers": headers(1),
            "order": {"id": f"{seq(1)}-order", "amount": 12.5,
                      "items": [{"sku": "ABC-1", "quantity": 2, "price": 0.1},
                                {"sku": "XYZ-42", "quantity": 3, "price": 19.99}],
                      "note": "caf\u00e9 \u2615 \u6771\u4eac \"quoted\"\n", "tags": ["a", "b c"]},
        })
        if with_negative and source == "channel":
            plan.append({
                "kind": "publish", "source": source, "correlation_id": "py-channel-bad-corr",
                "raw": True, "headers": {"x-seq": "py-channel-bad", "x-origin": sender},
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


# --- One direction ----------------------------------------------------------------------------

def run_direction(url: str, r: redis.Redis, sender: str, server: str, negative: bool,
                  tmp: str) -> None:
    name = f"{sender}->{server}"
    started = time.monotonic()
    plan = plan_for(sender, negative)
    plan_file = os.path.join(tmp, f"plan-{sender}.jsonl")
    with open(plan_file, "w", encoding="utf-8") as f:
        for action in plan:
            f.write(json.dumps(action) + "\n")

    peer_argv = {
        "cpp": [CPP_PEER, "--url", url, "--max-seconds", "120"],
        "py": [sys.executable, PY_PEER, "--url", url, "--max-seconds", "120"],
    }
    serving = Peer(server, peer_argv[server] + ["serve"])
    try:
        ready = serving.wait_until(lambda ls: any(x.get("event") == "ready" for x in ls), 30)
        check(ready, f"{name}: the {server} peer did not get ready")
        if not ready:
            return
        client_lines = run_client(sender, peer_argv[sender] + ["client", plan_file])

        valid = [a for a in plan if a["headers"]["x-seq"] != "py-channel-bad"]
        want = {a["headers"]["x-seq"] for a in valid}

        def all_in(lines):
            got = {x.get("seq") for x in lines if x.get("event") == "received"}
            bad = not negative or any(x.get("event") == "failed" for x in lines)
            return want <= got and bad

        check(serving.wait_until(all_in, 30), f"{name}: not every message arrived in 30 s")
        time.sleep(0.5)  # room for a duplicate to show up
    finally:
        rc = serving.stop()
    check(rc == 0, f"{name}: the {server} peer exited with {rc}")

    received = serving.events("received")
    replies = {x["seq"]: x for x in client_lines if x.get("event") == "reply"}
    sent = {x["seq"] for x in client_lines if x.get("event") == "sent"}
    by_seq: dict[str, list[dict]] = {}
    for x in received:
        by_seq.setdefault(x["seq"], []).append(x)
    check(set(by_seq) == want, f"{name}: received {sorted(by_seq)}, expected {sorted(want)}")

    handled_by = "cpp" if server == "cpp" else "python"
    for action in valid:
        seq, source = action["headers"]["x-seq"], action["source"]
        got = by_seq.get(seq, [])
        check(len(got) == 1, f"{name} {seq}: arrived {len(got)} times, expected once")
        if not got:
            continue
        msg = got[0]
        check(msg["source"] == source, f"{name} {seq}: arrived on {msg['source']}, not {source}")
        check(msg["order"] == decoded(action["order"]),
              f"{name} {seq}: decoded {msg['order']} != sent {decoded(action['order'])}")
        check(msg["headers"] == action["headers"],
              f"{name} {seq}: headers {msg['headers']} != sent {action['headers']}")
        check(msg["content_type"] == "application/json",
              f"{name} {seq}: content-type {msg['content_type']!r}")
        check(bool(msg["correlation_id"]), f"{name} {seq}: no correlation id")
        if action.get("correlation_id"):
            check(msg["correlation_id"] == action["correlation_id"],
                  f"{name} {seq}: correlation id {msg['correlation_id']!r} != sent "
                  f"{action['correlation_id']!r}")
        if action["kind"] == "publish":
            check(seq in sent, f"{name} {seq}: the client did not report it sent")
            check(not msg["reply_to"], f"{name} {seq}: a publish has reply_to {msg['reply_to']!r}")
            continue
        check(bool(msg["reply_to"]), f"{name} {seq}: a request arrived without reply_to")
        reply = replies.get(seq)
        check(reply is not None, f"{name} {seq}: no reply")
        if reply is None:
            continue
        # The reply carries the request's correlation id (explicit, or the one the sender made).
        check(reply["correlation_id"] == msg["correlation_id"],
              f"{name} {seq}: reply correlation id {reply['correlation_id']!r} != request's "
              f"{msg['correlation_id']!r}")
        check(reply["content_type"] == "application/json",
              f"{name} {seq}: reply content-type {reply['content_type']!r}")
        want_receipt = expected_receipt(decoded(action["order"]), source, handled_by)
        check(reply["receipt"] == want_receipt,
              f"{name} {seq}: reply {reply['receipt']} != expected {want_receipt}")
    check(set(replies) == {a["headers"]["x-seq"] for a in plan if a["kind"] == "request"},
          f"{name}: replies for {sorted(replies)}")

    # Nothing left behind: lists drained, stream entries acked by the group.
    prefix = f"interop.{server}"
    check(r.llen(f"{prefix}.list") == 0, f"{name}: {prefix}.list not empty")
    stream_count = sum(1 for a in plan if a["source"] == "stream")
    check(r.xlen(f"{prefix}.stream") == stream_count,
          f"{name}: {prefix}.stream has {r.xlen(f'{prefix}.stream')} entries")
    pending = r.xpending(f"{prefix}.stream", GROUPS[server])["pending"]
    check(pending == 0, f"{name}: {pending} stream entries still pending for the group")

    if negative:
        failed = serving.events("failed")
        check(len(failed) == 1, f"{name}: {len(failed)} failure reports, expected 1")
        if failed:
            f = failed[0]
            check(f["seq"] == "py-channel-bad" and f["source"] == "channel",
                  f"{name}: failure reported for {f['seq']} on {f['source']}")
            check(f["correlation_id"] == "py-channel-bad-corr",
                  f"{name}: failure correlation id {f['correlation_id']!r}")
            for path in ("id: ", "items[0].price: must be >= 0"):
                check(path in f["error"], f"{name}: failure {f['error']!r} does not name {path!r}")
            # It kept consuming: the channel's next message came after the failure.
            order = [x.get("seq") for x in serving.lines]
            after = "py-channel-2"
            check(after in order and order.index(after) > order.index("py-channel-bad"),
                  f"{name}: {after} did not arrive after the invalid order")
        # The framework's own log line: subscriber | message id (its first 10 characters, as
        # FastStream logs it) - failed: every failing field -> what happened to the message.
        log = [line for line in serving.stderr if " - failed: " in line]
        check(len(log) == 1 and "interop.cpp.channel | py-channel - failed: Order: " in log[0]
              and "id: must have at least 1 character" in log[0]
              and "items[0].price: must be >= 0, got -1.5" in log[0],
              f"{name}: the C++ log does not report the invalid order: {log}")
        stats = serving.events("stats")
        check(bool(stats), f"{name}: no stats from the C++ peer")
        if stats:
            subs = stats[0]["subscribers"]
            for source in SOURCES:
                n = sum(1 for a in valid if a["source"] == source)
                want_counts = {"processed": n, "failed": 1 if source == "channel" else 0}
                check(subs.get(source) == want_counts,
                      f"{name}: {source} stats {subs.get(source)} != {want_counts}")
    if failures:
        serving.dump()
    print(f"{name}: {len(received)} messages, {len(replies)} replies checked "
          f"({time.monotonic() - started:.2f} s)", flush=True)


def main() -> int:
    with redis_server() as (url, r), tempfile.TemporaryDirectory() as tmp:
        run_direction(url, r, sender="py", server="cpp", negative=True, tmp=tmp)
        run_direction(url, r, sender="cpp", server="py", negative=False, tmp=tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("ok: FastStream 0.7.8 and faststream-cpp agree on channel, list and stream, "
          "both ways")
    return 0


if __name__ == "__main__":
    sys.exit(main())
