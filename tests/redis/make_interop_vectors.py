"""Prints the interop vectors used by envelope_test.cpp (RedisEnvelopeInterop.*).

Not run by CI. It imports FastStream's own encoder and reimplements nothing:

    python3 -m venv /tmp/fsvenv && /tmp/fsvenv/bin/pip install 'faststream[redis]==0.7.8'
    /tmp/fsvenv/bin/python tests/redis/make_interop_vectors.py
"""

import asyncio
import importlib.metadata

from faststream.redis.parser.binary import BinaryMessageFormatV1

CASES = [
    # name, message, reply_to, headers, correlation_id
    ("json_model", {"id": "o-1", "amount": 2.5}, None, None,
     "c0ffee00-0000-4000-8000-000000000001"),
    ("text_reply_user_headers", "hello", "replies", {"x-tenant": "acme", "retry": "3"},
     "c0ffee00-0000-4000-8000-000000000002"),
    ("bytes_no_content_type", b"\x00\x01\xff", None, None, "cid-3"),
    ("empty_body", b"", None, {"k": ""}, "cid-4"),
    # FastStream writes len(str) (characters), not bytes: this one is inconsistent.
    ("non_ascii_header", b"x", None, {"greeting": "h\u00e9llo"}, "cid-5"),
]


async def main() -> None:
    print("# faststream", importlib.metadata.version("faststream"))
    for name, message, reply_to, headers, cid in CASES:
        data = await BinaryMessageFormatV1.encode(
            message=message, reply_to=reply_to, headers=headers, correlation_id=cid
        )
        body, parsed = BinaryMessageFormatV1.parse(data)
        print(name, data.hex())
        print("  parsed back by FastStream:", body, parsed)


asyncio.run(main())
