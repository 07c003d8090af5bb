"""Runs examples/nats_orders against a nats-server of its own, drives it with the binary's own
`publish` and `publish --rpc`, watches the wire with a bare NATS client, and stops it with
SIGTERM (exit 0 after a graceful stop). Every check can fail on its own.

usage: nats_orders_test.py NATS_ORDERS_BINARY

Against a real broker the publish command only sends: the app's subscribers stay off in its
process, so only the service handles the messages (checked: the publishing processes print
nothing of the handlers, and the reply is the service's).
"""
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from servers import Checks, http_json, nats_server, receive_addresses, wait_until  # noqa: E402

BIN = sys.argv[1]
check = Checks()


class Observer:
    """A bare NATS client (the text protocol, with headers) recording every message published
    on some subjects, whichever process published it."""

    def __init__(self, port, subjects):
        self.sock = socket.create_connection(("127.0.0.1", port), 5)
        self.reader = self.sock.makefile("rb")
        self.reader.readline()  # INFO
        subs = "".join(f"SUB {s} {i}\r\n" for i, s in enumerate(subjects, 1))
        self.sock.sendall(('CONNECT {"verbose":false,"headers":true,"protocol":1}\r\n' + subs +
                           "PING\r\n").encode())
        line = self.reader.readline()
        if not line.startswith(b"PONG"):  # the subscriptions are in place once PONG is back
            raise RuntimeError(f"observer: {line!r}")
        self.sock.settimeout(None)
        self.lock = threading.Lock()
        self.messages = []  # (subject, headers, body as JSON)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        with contextlib.suppress(OSError, ValueError):
            for line in iter(self.reader.readline, b""):
                parts = line.split()
                if parts[:1] == [b"PING"]:
                    self.sock.sendall(b"PONG\r\n")
                elif parts[:1] in ([b"MSG"], [b"HMSG"]):
                    header_len = int(parts[-2]) if parts[0] == b"HMSG" else 0
                    total = int(parts[-1])
                    data = self.reader.read(total + 2)[:total]
                    headers = dict(h.split(": ", 1) for h in
                                   data[:header_len].decode().split("\r\n")[1:] if ": " in h)
                    payload = data[header_len:]
                    try:
                        body = json.loads(payload)
                    except ValueError:
                        body = payload  # e.g. an empty answer
                    with self.lock:
                        self.messages.append((parts[1].decode(), headers, body))

    def publish_with_reply(self, subject, body, inbox):
        """A JetStream publish by hand, as every client does it: the stream's PubAck comes back
        on the reply subject (`inbox`), which this client subscribes to first."""
        data = body.encode()
        self.sock.sendall(f"SUB {inbox} 99\r\nPUB {subject} {inbox} {len(data)}\r\n".encode() +
                          data + b"\r\n")

    def on(self, subject):
        with self.lock:
            return [(h, body) for s, h, body in self.messages if s == subject]

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


def order(oid, *items):
    return json.dumps({"id": oid, "customer": "test",
                       "items": [{"sku": s, "quantity": q, "price": p} for s, q, p in items]})


def publish(url, *args):
    return subprocess.run([BIN, "publish", *args, "--url", url], capture_output=True, text=True,
                          timeout=30)


def consumer_state(http):
    for account in http_json(http, "/jsz?streams=true&consumers=true").get("account_details", []):
        for stream in account.get("stream_detail", []):
            if stream["name"] == "ORDERS":
                billing = [c for c in stream.get("consumer_detail", []) if c["name"] == "billing"]
                return stream["state"]["messages"], (billing[0] if billing else None)
    return 0, None


# What the test sends to each receive channel of the document (a subject for the
# address's placeholder or wildcard, the kind of source), and the line the service prints or
# logs once it processed it. A channel the document gains without an entry here fails.
def payloads():
    return {
        "shop.orders.*": (["--jetstream", "shop.orders.mail", order("P-1", ("TEA-1", 1, 2))],
                          "billing order P-1 for test"),
        "shop.orders.{channel}": (["--core", "shop.orders.kiosk", order("P-2", ("TEA-1", 1, 2))],
                                  "board order=P-2 channel=kiosk items=1"),
        "shop.receipts": (["shop.receipts",
                           json.dumps({"order_id": "P-3", "accepted": True, "total": 1.0})],
                          "receipt order=P-3 accepted=true total=1.00"),
        "shop.quote": (["shop.quote", order("P-4", ("TEA-1", 1, 2))], "quote order=P-4"),
    }


with tempfile.TemporaryDirectory() as tmp, nats_server(tmp) as (port, http):
    url = f"nats://127.0.0.1:{port}"
    out_path, err_path = f"{tmp}/service.out", f"{tmp}/service.err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        service = subprocess.Popen([BIN, "--url", url], stdout=out, stderr=err,
                                   env={k: v for k, v in os.environ.items() if k != "FASTSTREAM_URL"})
    read = lambda path: open(path).read()  # noqa: E731
    observer = None
    try:
        wait_until(lambda: "started" in read(err_path) or service.poll() is not None)
        check("the service starts on the server given by --url",
              service.poll() is None and re.search(r"broker started: nats nats://127\.0\.0\.1:"
                                                    rf"{port} with 4 subscriber", read(err_path)),
              read(err_path))
        if service.poll() is not None:
            sys.exit(1)
        observer = Observer(port, ["shop.receipts", "shop.notices"])

        # The stream's subjects are core subjects too: without a flag the name is ambiguous.
        amb = publish(url, "shop.orders.web", order("A-0", ("TEA-1", 2, 3)))
        check("a subject read by a JetStream and a core subscriber: exit 2, both named, flags "
              "offered", amb.returncode == 2 and "'shop.orders.*' (jetstream)" in amb.stderr
              and "'shop.orders.{channel}' (core)" in amb.stderr and "--jetstream" in amb.stderr
              and "--core" in amb.stderr, amb.stderr)
        # Two orders through the stream: one accepted, one over the auto-accept limit.
        a = publish(url, "--jetstream", "shop.orders.web", order("A-1", ("TEA-1", 2, 3)))
        b = publish(url, "--jetstream", "shop.orders.store",
                    order("B-2", ("TVS-1", 1, 1499.5), ("CAB-2", 2, 0.25)))
        check("publish sends both orders (exit 0)", a.returncode == b.returncode == 0,
              a.stderr + b.stderr)
        check("the publishing processes consume nothing themselves",
              "board" not in a.stdout + b.stdout and "quote" not in a.stdout + b.stdout,
              a.stdout + b.stdout)
        board = wait_until(lambda: all(line in read(out_path) for line in (
            "board order=A-1 channel=web items=1", "board order=B-2 channel=store items=2")))
        check("the service's core subscriber gets each order with {channel} from the subject",
              board, read(out_path))

        receipts = wait_until(lambda: len(observer.on("shop.receipts")) >= 2 and
                              observer.on("shop.receipts"))
        got = sorted(body["order_id"] for _, body in receipts or [])
        check("the durable pull consumer bills each order once (one receipt each)",
              got == ["A-1", "B-2"], receipts)
        by_id = {body["order_id"]: (h, body) for h, body in receipts or []}
        check("receipts are typed Receipts with the model's rules (accepted up to 1000)",
              by_id.get("A-1", (0, 0))[1] == {"order_id": "A-1", "accepted": True, "total": 6.0}
              and by_id.get("B-2", (0, 0))[1] ==
              {"order_id": "B-2", "accepted": False, "total": 1500.0}, by_id)
        check("receipts carry FastStream's headers (content-type, correlation_id)",
              all(h.get("content-type") == "application/json" and h.get("correlation_id")
                  for h, _ in receipts or []), receipts)

        notices = wait_until(lambda: len(observer.on("shop.notices")) >= 2 and
                             observer.on("shop.notices"))
        texts = sorted((body["order_id"], body["text"]) for _, body in notices or [])
        check("the queue group turns each receipt into one notice (declared publisher)",
              texts == [("A-1", "accepted"), ("B-2", "on hold")], notices)

        def all_acked():
            stored, billing = consumer_state(http)
            return (stored == 2 and billing and billing["ack_floor"]["stream_seq"] == 2 and
                    billing["num_ack_pending"] == 0 and billing["num_pending"] == 0)

        check("JetStream stored both orders and the durable consumer acked both",
              wait_until(all_acked), consumer_state(http))

        # Request/reply: the binary prints the typed reply.
        q = publish(url, "--rpc", "shop.quote", order("Q-3", ("PEN-7", 4, 2.5)))
        check("publish --rpc prints exactly the service's Receipt as JSON (exit 0)",
              q.returncode == 0 and json.loads(q.stdout.strip() or "null") ==
              {"order_id": "Q-3", "accepted": True, "total": 10.0}, q.stdout + q.stderr)
        check("the service answered the quote",
              wait_until(lambda: "quote order=Q-3" in read(out_path)), read(out_path))

        bad = publish(url, "--jetstream", "shop.orders.web",
                      '{"id": "", "customer": "x", "items": []}')
        check("publish refuses an invalid order against the model, naming the fields (exit 1)",
              bad.returncode == 1 and "invalid message for subscriber 'shop.orders.*'" in bad.stderr
              and "id: " in bad.stderr and "items: " in bad.stderr, bad.stderr)
        check("nothing invalid reached the stream", consumer_state(http)[0] == 2,
              consumer_state(http))

        # A JetStream publish from another client (as Python FastStream's publish(...,
        # stream=...)): the only answer on its reply inbox is the stream's PubAck — the core
        # subscriber on the stream's subjects sees the inbox too, and must not answer there.
        observer.publish_with_reply("shop.orders.phone", order("J-1", ("TEA-1", 1, 2)),
                                    "_INBOX.observer.j1")
        check("another client's JetStream publish is billed by the service",
              wait_until(lambda: "billing order J-1" in read(err_path)), read(err_path))
        time.sleep(0.3)  # room for a wrong, late answer
        answers = observer.on("_INBOX.observer.j1")
        check("its reply inbox gets exactly the stream's PubAck, no empty answer from the core "
              "subscriber (no_reply)", len(answers) == 1 and isinstance(answers[0][1], dict) and
              answers[0][1].get("stream") == "ORDERS", answers)

        # Every receive channel of the service's own document, through its own publish.
        doc = json.loads(subprocess.run([BIN, "docs", "gen"], capture_output=True, text=True,
                                        check=True).stdout)
        addresses = receive_addresses(doc)
        check("the AsyncAPI document's receive channels are all known to this test",
              sorted(addresses) == sorted(payloads()), addresses)
        for address in addresses:
            args, line = payloads().get(address, (["?", "{}"], "?"))
            r = publish(url, *args)
            check(f"publish {' '.join(args[:-1])}: exit 0", r.returncode == 0,
                  r.stdout + r.stderr)
            check(f"... processed by the running service ({line!r})",
                  wait_until(lambda: line in read(out_path) + read(err_path)),
                  read(out_path) + read(err_path))

        # What provably reaches nobody is an error.
        r = publish(url, "--core", "shop.nowhere", "{}")
        check("a core publish no subscription matches: exit 1, one line (no responders)",
              r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and
              "no subscriber on NATS subject 'shop.nowhere'" in r.stderr, r.stderr)
        r = publish(url, "--jetstream", "shop.nowhere", "{}")
        check("a JetStream publish no stream stores: exit 1, one line",
              r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and
              "no JetStream stream stores subject 'shop.nowhere'" in r.stderr, r.stderr)
        r = publish(url, "shop.nowhere", "{}")
        check("a subject no subscriber reads, without a flag: exit 2 listing the subscribers",
              r.returncode == 2 and "no subscriber of this service reads 'shop.nowhere'" in
              r.stderr and "'shop.quote' (core)" in r.stderr, r.stderr)

        # A graceful stop on SIGTERM, exit code 0.
        service.send_signal(signal.SIGTERM)
        try:
            code = service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            code = "no exit within 20 s"
        log = read(err_path)
        check("SIGTERM: the service drains and exits 0",
              code == 0 and "received signal 15" in log and "broker stopped" in log,
              f"exit {code}\n{log}")
        check("the service logged no error",
              not re.search(r"^\S+ \S+ (error|critical) ", log, re.M), log)
        stored, billing = consumer_state(http)
        check("the durable consumer and its position outlive the service (all 5 stored orders "
              "acked: 2, another client's, and one per stream subject of the document, the core "
              "publish to a stream subject included)",
              stored == 5 and billing and billing["ack_floor"]["stream_seq"] == 5,
              (stored, billing))
    finally:
        if observer:
            observer.close()
        if service.poll() is None:
            service.kill()
            service.wait()
        print("--- service stdout\n" + read(out_path) + "--- service stderr\n" + read(err_path))

check.finish("ok: nats_orders ran against nats-server, answered every channel of its document, "
             "refused what reaches nobody, and stopped gracefully")
