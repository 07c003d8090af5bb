"""Runs an example's `docs gen` for one AsyncAPI version (JSON and YAML) and compares the
output byte for byte with the recorded reference in tests/spec/reference/. A change in a
document must be deliberate: regenerate the references and review their diff.

usage: compare_reference.py BINARY NAME VERSION REFERENCE_DIR
"""
import difflib
import os
import subprocess
import sys

binary, name, version, reference_dir = sys.argv[1:5]
env = {k: v for k, v in os.environ.items() if k != "FASTSTREAM_URL"}
failed = False
for extra, suffix in (([], "json"), (["--yaml"], "yaml")):
    run = subprocess.run([binary, "docs", "gen", "--asyncapi-version", version, *extra],
                         capture_output=True, text=True, env=env, check=True)
    path = os.path.join(reference_dir, f"{name}-{version}.{suffix}")
    expected = open(path).read()
    if run.stdout != expected:
        failed = True
        print(f"FAIL {name} {version} {suffix}: differs from {path}")
        sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True),
                                                   run.stdout.splitlines(True),
                                                   "reference", "now", n=2))
    else:
        print(f"ok   {name} {version} {suffix}: identical to {path}")
sys.exit(1 if failed else 0)
