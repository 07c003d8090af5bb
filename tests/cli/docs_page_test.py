"""`docs gen --html` and `docs serve` of examples/orders, rendered by a real browser.

Headless Chromium loads the page with every host name unresolvable, so the page must render
from what it carries (no CDN), and the rendered text must show every operation, message and
schema of the service's own AsyncAPI document. Every check can fail on its own."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = sys.argv[1]
failures = []


def run(*args, env=None, timeout=30):
    full_env = dict(os.environ)
    full_env.pop("FASTSTREAM_URL", None)
    full_env.update(env or {})
    return subprocess.run([BIN, *args], capture_output=True, timeout=timeout, env=full_env)


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name)
    if not condition:
        failures.append(name)
        print("     " + str(detail).replace("\n", "\n     ")[:3000])


def rendered_text(url, profile):
    """The text of the page's #asyncapi element after Chromium ran its scripts, offline."""
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is missing (scripts/install-deps.sh installs it)")
    r = subprocess.run(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={profile}",
         # Any host name fails to resolve: a script or stylesheet from a CDN cannot load.
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    dom = r.stdout
    start = dom.find('id="asyncapi"')
    if start < 0:
        return ""
    # Up to the page's own scripts (their text is not rendered content).
    end = dom.find("<script", start)
    text = re.sub(r"<[^>]+>", " ", dom[start + len('id="asyncapi">'):end])
    return " ".join(text.replace("&nbsp;", " ").split())


def expectations(document):
    """What the rendered page must show: title, every operation, message and schema."""
    names = [document["info"]["title"]]
    names += list(document["operations"])
    names += list(document["components"]["schemas"])
    for channel in document["channels"].values():
        names += list(channel.get("messages", {}))
    return names


with tempfile.TemporaryDirectory() as tmp:
    document = json.loads(run("docs", "gen").stdout)
    wanted = expectations(document)
    check("the document has operations and schemas to look for",
          len(document["operations"]) >= 3 and len(document["components"]["schemas"]) >= 3,
          wanted)

    # docs gen --html: one self-contained file
    page_path = os.path.join(tmp, "page.html")
    r = run("docs", "gen", "--html", "-o", page_path)
    page = open(page_path, "rb").read() if os.path.exists(page_path) else b""
    check("docs gen --html writes a page", r.returncode == 0 and page.startswith(b"<!doctype html>"),
          r.stderr.decode())
    external = re.findall(rb'<(?:script|link|img)[^>]+(?:src|href)\s*=\s*["\']?(?:https?:)?//', page)
    check("the page references nothing outside itself", page and not external, external[:3])
    check("the page carries the renderer and the document",
          b"AsyncApiStandalone.render(" in page and json.dumps(document["info"]["title"]).encode() in page,
          page[:300])
    text = rendered_text("file://" + page_path, os.path.join(tmp, "profile-file"))
    missing = [n for n in wanted if n not in text]
    check("Chromium renders every operation, message and schema from the file, offline",
          text and not missing, f"missing {missing}; rendered: {text[:1500]}")

    r = run("docs", "gen", "--html", "--yaml")
    check("--html with --yaml is refused", r.returncode == 2, r.stderr.decode())

    # A password in the URL reaches neither the page nor the served document.
    r = run("docs", "gen", "--html", env={"FASTSTREAM_URL": "memory://admin:s3cret-pw@box"})
    check("the page keeps the host, never the credentials",
          r.returncode == 0 and b"s3cret-pw" not in r.stdout and b"box" in r.stdout,
          r.stderr.decode())

    # docs serve: the same page over HTTP, the documents beside it, stopped by SIGTERM.
    env = dict(os.environ)
    env.pop("FASTSTREAM_URL", None)
    server = subprocess.Popen([BIN, "docs", "serve", "--port", "0"], stderr=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, env=env)
    try:
        line = server.stderr.readline().decode()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        check("docs serve says where it listens", match is not None, line)
        base = match.group(1) if match else "http://127.0.0.1:1/"

        def get(path, method="GET"):
            request = urllib.request.Request(base + path, method=method)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status, response.headers, response.read()
            except urllib.error.HTTPError as e:
                return e.code, e.headers, e.read()

        status, headers, body = get("")
        check("GET / is the page docs gen --html writes",
              status == 200 and headers["Content-Type"].startswith("text/html") and body == page,
              (status, headers.get("Content-Type"), len(body), len(page)))
        status, headers, body = get("asyncapi.json")
        check("GET /asyncapi.json is the document docs gen writes",
              status == 200 and json.loads(body) == document, (status, body[:200]))
        status, headers, body = get("asyncapi.yaml")
        check("GET /asyncapi.yaml is YAML", status == 200 and body.startswith(b"asyncapi:"),
              (status, body[:200]))
        status, headers, body = get("", method="HEAD")
        check("HEAD / gives the length without the body",
              status == 200 and body == b"" and int(headers["Content-Length"]) == len(page),
              (status, headers.get("Content-Length")))
        status, _, _ = get("missing")
        check("an unknown path is 404", status == 404, status)
        status, headers, _ = get("", method="POST")
        check("POST is 405 with Allow", status == 405 and "GET" in headers.get("Allow", ""), status)
        text = rendered_text(base, os.path.join(tmp, "profile-http"))
        missing = [n for n in wanted if n not in text]
        check("Chromium renders the served page, offline",
              text and not missing, f"missing {missing}; rendered: {text[:1500]}")
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=10)
        check("SIGTERM stops docs serve with exit 0", code == 0, code)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    # A port in use: one line naming it, exit 1.
    import socket
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    r = run("docs", "serve", "--port", str(port), timeout=10)
    busy.close()
    err = r.stderr.decode()
    check("a port in use is a one-line error naming it",
          r.returncode == 1 and f"127.0.0.1:{port}" in err and len(err.strip().splitlines()) == 1, err)

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all checks passed")
