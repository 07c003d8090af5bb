"""python yaml_roundtrip.py DIR — every DIR/X.yaml must load with PyYAML (YAML 1.1, safe_load)
to exactly the data of DIR/X.json: same types (bool is not int, int is not float), same key
order."""
import json
import pathlib
import sys

import yaml


def same(a, b, where="$"):
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} {a!r} != {type(b).__name__} {b!r}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{where}: keys {list(a)!r} != {list(b)!r}"
        for k in a:
            if (err := same(a[k], b[k], f"{where}.{k}")) is not None:
                return err
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            if (err := same(x, y, f"{where}[{i}]")) is not None:
                return err
        return None
    return None if a == b else f"{where}: {a!r} != {b!r}"


def main(argv):
    if len(argv) != 2:
        print("usage: python yaml_roundtrip.py DIR", file=sys.stderr)
        return 2
    files = sorted(p for p in pathlib.Path(argv[1]).glob("*.yaml") if "broken" not in p.name)
    if not files:
        print(f"no .yaml files in {argv[1]}", file=sys.stderr)
        return 2
    failed = 0
    for path in files:
        expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        err = same(loaded, expected)
        print(f"ok {path.name}" if err is None else f"FAILED {path.name}: {err}")
        failed += err is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
