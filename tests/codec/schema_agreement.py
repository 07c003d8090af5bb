"""Checks that our JSON Schemas agree with our decoder.

Reads the cases written by `faststream_codec_tests --gtest_filter=CodecSchemaAgreement.*`
(a JSON list of {"name", "schema", "payload", "accepted"}; payload is JSON text) and
validates each payload against its schema with `jsonschema` (draft 2020-12, formats
checked). Exits non-zero when a verdict differs or when there are too few cases.
"""

import json
import sys
from importlib.metadata import version

from jsonschema import Draft202012Validator


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    failures = []
    for case in cases:
        schema = json.loads(case["schema"])
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        payload = json.loads(case["payload"])
        valid = validator.is_valid(payload)
        if valid != case["accepted"]:
            errors = [e.message for e in validator.iter_errors(payload)]
            failures.append(
                f"{case['name']}: decoder {'accepted' if case['accepted'] else 'rejected'}, "
                f"jsonschema {'accepted' if valid else 'rejected'}: {case['payload']} {errors}"
            )
    accepted = sum(1 for c in cases if c["accepted"])
    print(f"jsonschema {version('jsonschema')}: "
          f"{len(cases)} cases ({accepted} accepted, {len(cases) - accepted} rejected)")
    for f in failures:
        print("DISAGREE", f)
    if len(cases) < 40:
        print("too few cases")
        return 1
    print(f"{len(cases) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
