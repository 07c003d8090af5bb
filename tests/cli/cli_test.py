"""The service CLI of examples/orders, end to end: every check can fail on its own."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
VALID = '{"id": "C-1", "customer": "cli", "items": [{"sku": "TEA-1", "quantity": 2, "price": 3}]}'
failures = []


def run(*args, env=None, timeout=30):
    full_env = dict(os.environ)
    full_env.pop("FASTSTREAM_URL", None)
    full_env.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name)
    if not condition:
        failures.append(name)
        print("     " + detail.replace("\n", "\n     "))


# --version and --help
r = run("--version")
check("--version prints title, app version and library version",
      r.returncode == 0 and re.fullmatch(r"orders 1\.0\.0 \(faststream \d+\.\d+\.\d+\)\n", r.stdout),
      repr(r.stdout))
r = run("--help")
check("--help lists the commands",
      r.returncode == 0 and all(c in r.stdout for c in ("run", "docs", "publish")), r.stdout)
r = run("publish", "--help")
check("publish --help explains --rpc and the arguments",
      r.returncode == 0 and "--rpc" in r.stdout and "destination" in r.stdout, r.stdout)
FOOTER = "Without a command, runs the service"
root_help = run("--help").stdout
sub_helps = {args: run(*args, "--help").stdout for args in
             (("publish",), ("docs",), ("docs", "gen"), ("docs", "serve"), ("run",))}
check("the footer about the default command is under the service's --help only",
      FOOTER in root_help and not any(FOOTER in h for h in sub_helps.values()),
      "\n".join(f"{a}: {FOOTER in h}" for a, h in sub_helps.items()))

# Errors: one line, with what to do
r = run("--bogus")
check("an unknown option is a one-line error, exit 2",
      r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--help" in r.stderr,
      r.stderr)
r = run("run", "--url", "redis://localhost:6379")
check("a URL of another broker is refused in one line naming the expected form",
      r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "memory://" in r.stderr,
      r.stderr)
r = run("publish", "orders", "{}", env={"FASTSTREAM_URL": "nats://x"})
check("FASTSTREAM_URL is used when --url is absent", r.returncode == 1 and "nats://x" in r.stderr,
      r.stderr)
r = run("publish", "orders", '{"id": "", "customer": "x", "items": []}')
check("publish validates the JSON against the destination's model, naming fields",
      r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
      and "invalid message for subscriber 'orders'" in r.stderr
      and "id: " in r.stderr and "items: " in r.stderr, r.stderr)
r = run("publish", "orders", "{not json")
check("publish refuses malformed JSON in one line", r.returncode == 1 and "error:" in r.stderr
      and len(r.stderr.strip().splitlines()) == 1, r.stderr)

# publish runs the app's subscribers in process
r = run("publish", "orders", VALID)
check("publish delivers through the in-process subscribers (receipt printed)",
      r.returncode == 0 and "receipt order=C-1 accepted=true total=6.00" in r.stdout,
      r.stdout + r.stderr)
check("publish prints only its result: no broker lifecycle lines by default",
      "broker started" not in r.stderr and "broker stopped" not in r.stderr, r.stderr)
r = run("publish", "orders", VALID, "--log-level", "info")
check("publish --log-level info shows the broker's lines",
      r.returncode == 0 and "broker started" in r.stderr, r.stderr)
r = run("publish", "nowhere", "{}")
check("publish to a name no subscriber reads: exit 2, one line listing the subscribers",
      r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
      and "no subscriber of this service reads 'nowhere'" in r.stderr and "'orders'" in r.stderr,
      r.stderr)
r = run("publish", "--list", "orders", VALID)
check("a kind flag the broker does not have is refused (the memory broker has one kind)",
      r.returncode == 2 and "--list" in r.stderr, r.stderr)
r = run("publish", "orders", VALID, "--rpc", "--timeout", "5")
reply = None
for line in r.stdout.splitlines():  # the receipts handler prints to stdout as well
    if line.startswith("{"):
        reply = json.loads(line)
check("publish --rpc prints the handler's reply",
      r.returncode == 0 and reply == {"order_id": "C-1", "accepted": True, "total": 6.0},
      r.stdout + r.stderr)

# docs gen never connects and writes the document
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "doc.json")
    r = run("docs", "gen", "-o", out, env={"FASTSTREAM_URL": "memory://nowhere"})
    doc = json.load(open(out)) if os.path.exists(out) else {}
    check("docs gen -o writes an AsyncAPI 3.0.0 document", r.returncode == 0
          and doc.get("asyncapi") == "3.0.0" and doc.get("info", {}).get("title") == "orders",
          r.stderr)
    r = run("docs", "gen", "--asyncapi-version", "2.6.0")
    check("docs gen --asyncapi-version 2.6.0 prints a 2.6.0 document",
          r.returncode == 0 and json.loads(r.stdout).get("asyncapi") == "2.6.0", r.stderr)
    r = run("docs", "gen", "--yaml")
    check("docs gen --yaml prints YAML", r.returncode == 0 and "asyncapi:" in r.stdout
          and not r.stdout.lstrip().startswith("{"), r.stdout[:200])
    r = run("docs", "gen", env={"FASTSTREAM_URL": "memory://admin:s3cret@box"})
    check("docs gen keeps the URL's host and never its credentials",
          r.returncode == 0 and "s3cret" not in r.stdout and "admin" not in r.stdout
          and json.loads(r.stdout)["servers"]["development"]["host"] == "box", r.stdout[:400])
    r = run("docs", "gen", "--asyncapi-version", "9.9.9")
    check("an unknown AsyncAPI version is refused", r.returncode == 2, r.stderr)

# run: starts, drains and stops on SIGTERM (default command, and with options)
p = subprocess.Popen([BIN, "--log-level", "info", "--graceful-timeout", "2"],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
started = False
lines = []
deadline = time.time() + 15
while time.time() < deadline:
    line = p.stdout.readline()
    lines.append(line)
    if "started" in line:
        started = True
        break
p.send_signal(signal.SIGTERM)
rest, _ = p.communicate(timeout=20)
check("the default command runs until SIGTERM and exits 0 after draining",
      started and p.returncode == 0 and "broker stopped" in rest, "".join(lines) + rest)

# run --http-port: the side door answers while the service runs
import urllib.error
import urllib.request


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


p = subprocess.Popen([BIN, "run", "--http-port", "0", "--log-level", "info"],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
side_door = None
deadline = time.time() + 15
while time.time() < deadline and side_door is None:
    line = p.stdout.readline()
    m = re.search(r"HTTP side door at (http://127\.0\.0\.1:\d+/)", line)
    if m:
        side_door = m.group(1)
ready = http_status(side_door + "health/ready") if side_door else (0, "")
if ready[0] != 204 and side_door:
    time.sleep(1)  # the broker may still be starting
    ready = http_status(side_door + "health/ready")
metrics = http_status(side_door + "metrics") if side_door else (0, "")
p.send_signal(signal.SIGTERM)
p.communicate(timeout=20)
check("run --http-port serves readiness and FastStream's metrics, stops on SIGTERM",
      side_door is not None and ready[0] == 204 and metrics[0] == 200
      and "# TYPE faststream_received_messages_total counter" in metrics[1]
      and p.returncode == 0, (side_door, ready, metrics[0], p.returncode))
r = run("run", "--workers", "2", "--http-port", "0")
check("the side door with --workers 2 is refused in one line",
      r.returncode == 1 and "--workers" in r.stderr and len(r.stderr.strip().splitlines()) == 1,
      r.stderr)

# run --workers 2: two processes; a killed worker is restarted; SIGTERM stops all
p = subprocess.Popen([BIN, "run", "--workers", "2"], stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, text=True)
log = []


def read_until(pattern, count, seconds):
    found = sum(1 for line in log if re.search(pattern, line))
    end = time.time() + seconds
    while found < count and time.time() < end:
        line = p.stdout.readline()
        if not line:
            break
        log.append(line)
        if re.search(pattern, line):
            found += 1
    return found >= count


ok_two = read_until(r"orders 1\.0\.0 started", 2, 20) and read_until(r"worker \d+ started \(pid", 2, 20)
pids = [int(m.group(1)) for line in log for m in [re.search(r"worker \d+ started \(pid (\d+)\)", line)] if m]
check("--workers 2 starts two worker processes", ok_two and len(set(pids)) == 2, "".join(log))
if len(pids) == 2:
    os.kill(pids[0], signal.SIGKILL)
    restarted = read_until(r"orders 1\.0\.0 started", 3, 20)
    check("a killed worker is restarted",
          restarted and any("died" in line and str(pids[0]) in line for line in log), "".join(log))
p.send_signal(signal.SIGTERM)
rest, _ = p.communicate(timeout=30)
log.append(rest)
stopped = sum(1 for line in "".join(log).splitlines() if "supervisor: worker pid" in line and "stopped (exit 0)" in line)
check("SIGTERM stops every worker cleanly and the supervisor exits 0",
      p.returncode == 0 and stopped == 2, "".join(log))

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
