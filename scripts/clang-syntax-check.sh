#!/usr/bin/env bash
# clang 14 must accept the tree: a -fsyntax-only pass over every translation unit of the g++
# build (same flags, clang as the compiler). Fails on the first error.
set -euo pipefail
db=${1:-build/default/compile_commands.json}
[ -f "$db" ] || { echo "no $db: build first (make build)"; exit 1; }
command -v clang++-14 >/dev/null || { echo "clang++-14 missing: run scripts/install-deps.sh"; exit 1; }

python3 - "$db" <<'PY' | xargs -0 -P "$(nproc)" -n 1 bash -c 'eval "$0"' || { echo "clang syntax check failed"; exit 1; }
import json, shlex, sys
for entry in json.load(open(sys.argv[1])):
    args = shlex.split(entry["command"])
    # drop the launcher (ccache) and the compiler, output and dependency flags
    while args and not args[0].endswith(("g++", "c++", "clang++")):
        args.pop(0)
    out, skip = ["clang++-14", "-fsyntax-only"], False
    for a in args[1:]:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if a in ("-c", "-MD", "-MMD") or a.startswith("-fsanitize"):
            continue
        out.append(a)
    cmd = "cd " + shlex.quote(entry["directory"]) + " && " + " ".join(shlex.quote(x) for x in out)
    sys.stdout.write(cmd + "\0")
PY
echo "clang++-14 -fsyntax-only: $(python3 -c "import json,sys; print(len(json.load(open('$db'))))" ) translation units OK"
