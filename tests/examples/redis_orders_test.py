"""Runs examples/redis_orders as a service against a redis-server of its own and drives it
with the binary's own `publish`, as a user would:

- a `publish` to every receive channel of the service's AsyncAPI document reaches that
  subscriber's source (a list gets RPUSH, a stream XADD, a channel PUBLISH) and is processed:
  counted from the lines the service prints, not from the exit code alone; `--rpc` through the
  list answers with the typed receipt;
- a message that provably reaches nobody (PUBLISH counted 0 subscribers) fails with exit 1
  and the promised line; a name no subscriber reads is refused, listing the subscribers;
- SIGTERM in the middle of a 2 000-order list backlog, then a restart, over and over: every
  order is handled exactly once (counted by id), nothing is left in the list.

usage: redis_orders_test.py REDIS_ORDERS_BINARY
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from servers import Checks, Redis, receive_addresses, redis_server, wait_until  # noqa: E402

BIN = sys.argv[1]
check = Checks()
ENV = {k: v for k, v in os.environ.items() if k != "FASTSTREAM_URL"}


def order(oid, price=3.0):
    return json.dumps({"id": oid, "customer": "test",
                       "items": [{"sku": "TEA-1", "quantity": 2, "price": price}]})


# What the test sends to each receive channel, and the line the service prints once it
# processed it. A channel the document gains without an entry here fails the test.
PAYLOADS = {
    "shop:orders": (order("P-1"), "receipt order=P-1 accepted=true total=6.00"),
    "shop:receipts": (json.dumps({"order_id": "P-2", "accepted": True, "total": 9.5}),
                      "receipt order=P-2 accepted=true total=9.50"),
    "shop:notices": (json.dumps({"order_id": "P-3", "text": "shipped"}),
                     "notice order=P-3 text=shipped"),
}


def publish(url, *args):
    return subprocess.run([BIN, "publish", *args, "--url", url], capture_output=True, text=True,
                          timeout=60, env=ENV)


class Service:
    def __init__(self, url, tmp, name):
        self.out_path, self.err_path = f"{tmp}/{name}.out", f"{tmp}/{name}.err"
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([BIN, "run", "--url", url], stdout=out, stderr=err,
                                         env=ENV)

    def out(self):
        return open(self.out_path).read()

    def err(self):
        return open(self.err_path).read()

    def started(self):
        return wait_until(lambda: "started; press Ctrl+C" in self.err() or
                          self.proc.poll() is not None) and self.proc.poll() is None

    def stop(self):
        """SIGTERM; returns (exit code, seconds from the 'broker stopped' line to the exit)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "no exit within 30 s", None
        exited = time.time()
        m = re.search(r"^(\S+ \S+) \S+ +\S+ - broker stopped$", self.err(), re.M)
        lag = None
        if m:
            stamp = time.mktime(time.strptime(m.group(1)[:19], "%Y-%m-%d %H:%M:%S"))
            lag = exited - (stamp + float("0." + m.group(1)[20:]))
        return code, lag


with tempfile.TemporaryDirectory() as tmp, redis_server(tmp) as (url, port):
    redis = Redis(port)
    doc = json.loads(subprocess.run([BIN, "docs", "gen"], capture_output=True, text=True,
                                    env=ENV, check=True).stdout)
    addresses = receive_addresses(doc)
    check("the AsyncAPI document lists the three receive channels, each known to this test",
          sorted(addresses) == sorted(PAYLOADS), addresses)

    service = Service(url, tmp, "service")
    try:
        if not check("the service starts on the server given by --url", service.started(),
                     service.err()):
            sys.exit(1)
        for address in addresses:
            body, line = PAYLOADS.get(address, ("{}", "?"))
            r = publish(url, address, body)
            check(f"publish {address}: exit 0, nothing printed but the result",
                  r.returncode == 0 and r.stdout == "" and "broker started" not in r.stderr,
                  r.stdout + r.stderr)
            check(f"publish {address}: processed by the running service ({line!r})",
                  wait_until(lambda: line in service.out()), service.out())
        check("the list's order went through the list (RPUSH), not a channel: nothing left",
              redis("LLEN", "shop:orders") == 0, redis("LLEN", "shop:orders"))
        entries = redis("XRANGE", "shop:receipts", "-", "+")
        check("the receipt sent to the stream is an entry of the stream (XADD)",
              any(b"P-2" in b"".join(fields) for _, fields in entries or []), entries)

        q = publish(url, "--rpc", "shop:orders", order("Q-4", 2.5))
        check("publish --rpc through the list prints exactly the service's Receipt (exit 0)",
              q.returncode == 0 and json.loads(q.stdout.strip() or "null") ==
              {"order_id": "Q-4", "accepted": True, "total": 5.0}, q.stdout + q.stderr)

        r = publish(url, "--channel", "shop:orders", order("Z-1"))
        check("PUBLISH to a channel nobody subscribes: exit 1, one line saying so",
              r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and
              "redis counted 0 subscribers of channel 'shop:orders'" in r.stderr, r.stderr)
        check("... and the order was not processed", "order Z-1" not in service.err(),
              service.err())
        r = publish(url, "shop:unknown", order("Z-2"))
        check("a name no subscriber reads: exit 2, listing the subscribers and the flags",
              r.returncode == 2 and "no subscriber of this service reads 'shop:unknown'" in r.stderr
              and "'shop:orders' (list)" in r.stderr and "--list" in r.stderr, r.stderr)
        r = publish(url, "--stream", "--list", "shop:orders", order("Z-3"))
        check("two kind flags at once are refused", r.returncode == 2, r.stderr)
        # docs/redis.md's redis-cli lines, run as written (against this server's port).
        docs = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                                 "redis.md")).read()
        block = docs.split("## Feeding a list or stream by hand", 1)[-1]
        block = block.split("```sh\n", 1)[-1].split("```", 1)[0]
        commands = [c for c in block.splitlines() if c.startswith("redis-cli ")]
        ran = [subprocess.run(["bash", "-c", c.replace("redis-cli ", f"redis-cli -p {port} ", 1)],
                              capture_output=True, text=True) for c in commands]
        check("docs/redis.md's redis-cli lines run", len(commands) == 4 and
              all(r.returncode == 0 for r in ran), [(r.stdout, r.stderr) for r in ran])
        fed = ("receipt order=A-1 accepted=true total=3.00", "notice order=A-1 text=shipped",
               "receipt order=A-2 accepted=true total=3.00")
        check("... and the service handled what they fed (list, stream, channel, JSON envelope)",
              wait_until(lambda: all(line in service.out() for line in fed) and
                         service.out().count(fed[0]) == 2), service.out())

        # A failure line names where the broker keeps the message.
        entry = redis("XADD", "shop:receipts", "*", "__data__", '{"order_id": 5}').decode()
        check("a rejected stream entry's failure line names the stream, the entry id and the group",
              wait_until(lambda: re.search(
                  r"failed: .*order_id.* -> rejected \(stream 'shop:receipts' entry " +
                  re.escape(entry) + r", group 'billing'\)", service.err())), service.err())

        bad = publish(url, "shop:orders", '{"id": "", "customer": "x", "items": []}')
        check("an invalid order is refused against the list subscriber's model (exit 1)",
              bad.returncode == 1 and "invalid message for subscriber 'shop:orders'" in bad.stderr,
              bad.stderr)
    finally:
        code, lag = service.stop()
        print(f"stop-to-exit: {lag if lag is None else round(lag, 3)} s")
        check("SIGTERM: the service drains and exits 0", code == 0, f"exit {code}\n" + service.err())

    r = publish(url, "shop:notices", PAYLOADS["shop:notices"][0])
    check("with the service down, PUBLISH to its channel reaches nobody: exit 1",
          r.returncode == 1 and "0 subscribers" in r.stderr, r.stderr)

    # A graceful stop must not lose what it popped from the list.
    total = 2000
    redis("DEL", "shop:orders")
    redis("RPUSH", "shop:orders", *[order(f"B-{i}") for i in range(total)])
    handled = []
    runs = 0
    while runs < 40:
        runs += 1
        service = Service(url, tmp, f"backlog-{runs}")
        if not service.started():
            check("a backlog run starts", False, service.err())
            break
        # Stop as soon as it handles orders: pops, queues and in-flight work are all busy.
        wait_until(lambda: "order B-" in service.err(), timeout=10, step=0.005)
        code, _ = service.stop()
        err = service.err()
        handled += re.findall(r"order (B-\d+) from", err)
        if code != 0 or "lost" in err:
            check(f"backlog run {runs} stops cleanly", False, err)
            break
        if redis("LLEN", "shop:orders") == 0:
            break
    counts = {}
    for oid in handled:
        counts[oid] = counts.get(oid, 0) + 1
    duplicates = sum(c - 1 for c in counts.values())
    print(f"backlog: {runs} runs, {len(handled)} handled, {len(counts)} distinct, "
          f"{duplicates} duplicates")
    check(f"SIGTERM mid-backlog, restarted: all {total} orders handled exactly once",
          len(counts) == total and duplicates == 0 and runs > 1,
          f"{len(counts)} distinct, {duplicates} duplicates, {runs} runs")
    check("the list is empty at the end", redis("LLEN", "shop:orders") == 0,
          redis("LLEN", "shop:orders"))

check.finish("ok: redis_orders answered every channel of its document, refused what reaches "
             "nobody, and lost nothing across graceful stops")
