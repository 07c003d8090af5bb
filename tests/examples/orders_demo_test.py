"""Runs `orders demo FILE` and checks its receipts and errors against the input file.

The expected results are computed here from the inputs with the example's rules, so a wrong
total, a missing receipt, an accepted invalid order or an error without its field path fails.
"""
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

binary, orders_file = sys.argv[1], sys.argv[2]
with_redis = "--redis" in sys.argv[3:]


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
            for _ in range(300):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                    break
                time.sleep(0.01)
            yield f"redis://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)
AUTO_ACCEPT_LIMIT = 1000.0
SKU = re.compile(r"^[A-Z]{3}-[0-9]+$")


def invalid_fields(order):
    """Field paths that break the example's model rules (as the framework reports them)."""
    bad = []
    if len(order.get("id", "")) < 1:
        bad.append("id")
    items = order.get("items", [])
    if len(items) < 1:
        bad.append("items")
    for i, item in enumerate(items):
        if not SKU.search(item.get("sku", "")):
            bad.append(f"items[{i}].sku")
        if item.get("quantity", 1) <= 0:
            bad.append(f"items[{i}].quantity")
        if item.get("price", 0) < 0:
            bad.append(f"items[{i}].price")
    return bad


orders = [json.loads(line) for line in open(orders_file) if line.strip()]
expected_receipts = {}
expected_errors = []
for order in orders:
    bad = invalid_fields(order)
    if bad:
        expected_errors.append(bad)
        continue
    total = sum(item.get("quantity", 1) * item["price"] for item in order["items"])
    expected_receipts[order["id"]] = (total <= AUTO_ACCEPT_LIMIT, round(total, 2))

if with_redis:
    with redis_server() as url:
        run = subprocess.run([binary, "demo", "--url", url, orders_file], capture_output=True,
                             text=True, timeout=60)
else:
    run = subprocess.run([binary, "demo", orders_file], capture_output=True, text=True, timeout=60)
print(run.stdout)
print(run.stderr, file=sys.stderr)
assert run.returncode == 0, f"demo exited with {run.returncode}"

receipts = {}
for m in re.finditer(r"receipt order=(\S+) accepted=(true|false) total=([0-9.]+)", run.stdout):
    assert m.group(1) not in receipts, f"duplicate receipt for {m.group(1)}"
    receipts[m.group(1)] = (m.group(2) == "true", float(m.group(3)))
assert receipts == expected_receipts, f"receipts {receipts} != expected {expected_receipts}"

errors = [line for line in run.stderr.splitlines() if " - failed: Order: " in line]
assert len(errors) == len(expected_errors), f"{len(errors)} error lines, expected {len(expected_errors)}"
for fields in expected_errors:
    matching = [e for e in errors if all(f"{f}: " in e for f in fields)]
    assert matching, f"no error line names {fields}: {errors}"
    assert all("-> rejected" in e for e in matching), "invalid orders must be rejected"

summary = f"orders: {len(expected_receipts)} processed, {len(expected_errors)} rejected"
assert summary in run.stdout, f"missing summary '{summary}'"
print(f"ok: {len(receipts)} receipts and {len(errors)} validation errors match the inputs")
