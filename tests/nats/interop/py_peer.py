"""The Python FastStream side of the NATS interop test (run_interop.py drives it).

    py_peer.py --url URL serve [--max-seconds N]
        Subscribers on the core subject interop.py.core, and on the JetStream stream
        INTEROP_PY: interop.py.js (durable push consumer "py-push") and interop.py.pull
        (durable pull consumer "py-pull"). Each decodes an Order (pydantic, the same rules as
        the C++ model), prints one JSON line per message and returns a Receipt (the RPC reply
        when the message has a reply subject). Prints {"event": "ready"} once started; stops
        at EOF on stdin (or after N seconds, exit 3).
    py_peer.py --url URL client PLAN.jsonl
        Runs the plan's actions in order against the C++ subscribers (interop.cpp.<source>;
        js and pull with stream="INTEROP_CPP"): broker.publish(...) and broker.request(...),
        printing the replies with their correlation ids. An action with "raw": true sends its
        order as a plain dict, unchecked.

Only FastStream's public API. Every stdout line is one JSON object; FastStream's own log
goes to stderr.
"""

import argparse
import asyncio
import json
import logging
import os
import sys
from typing import Annotated

from pydantic import BaseModel, Field

from faststream.nats import NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage

SERVE_STREAM = "INTEROP_PY"  # the stream this peer serves
CLIENT_STREAM = "INTEROP_CPP"  # the stream the C++ peer serves


class Item(BaseModel):
    sku: Annotated[str, Field(pattern=r"^[A-Z]{3}-[0-9]+$")]
    quantity: Annotated[int, Field(gt=0)]
    price: Annotated[float, Field(ge=0)]


class Order(BaseModel):
    id: Annotated[str, Field(min_length=1)]
    amount: Annotated[float, Field(ge=0)]
    items: Annotated[list[Item], Field(min_length=1)]
    note: str | None = None
    tags: list[str]


class Receipt(BaseModel):
    order_id: str
    source: str
    handled_by: str
    total: float
    item_count: int
    note: str | None = None
    skus: list[str]


def emit(line: dict) -> None:
    sys.stdout.write(json.dumps({"peer": "py", **line}) + "\n")
    sys.stdout.flush()


def make_logger() -> logging.Logger:
    log = logging.getLogger("interop.py")
    log.setLevel(logging.INFO)
    log.propagate = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("py_peer %(levelname)s %(message)s"))
    log.addHandler(handler)
    return log


def make_receipt(order: Order, source: str) -> Receipt:
    total = 0.0
    for item in order.items:
        total += item.quantity * item.price
    return Receipt(order_id=order.id, source=source, handled_by="python", total=total,
                   item_count=len(order.items), note=order.note,
                   skus=[item.sku for item in order.items])


def make_handler(source: str):
    async def handle(order: Order, msg: NatsMessage) -> Receipt:
        raw = msg.raw_message
        stream, stream_sequence, delivery_count = "", 0, 1
        if source != "core":  # JetStream metadata, from the $JS.ACK reply subject
            meta = raw.metadata
            stream, stream_sequence = meta.stream, meta.sequence.stream
            delivery_count = meta.num_delivered
        headers = msg.headers or {}
        emit({
            "event": "received",
            "source": source,
            "subject": raw.subject,
            "seq": headers.get("x-seq", ""),
            "correlation_id": msg.correlation_id,
            "reply_to": msg.reply_to,
            "content_type": msg.content_type,
            "stream": stream,
            "stream_sequence": stream_sequence,
            "delivery_count": delivery_count,
            "headers": {k: v for k, v in headers.items() if k.startswith("x-")},
            "wire": {k: v for k, v in headers.items() if not k.startswith("x-")},
            "order": order.model_dump(mode="json"),
        })
        return make_receipt(order, source)

    handle.__name__ = f"on_{source}"
    return handle


async def wait_for_stdin_eof(limit: float) -> bool:
    loop = asyncio.get_running_loop()
    eof = asyncio.Event()

    def readable() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())
            eof.set()

    loop.add_reader(sys.stdin.fileno(), readable)
    try:
        await asyncio.wait_for(eof.wait(), limit)
        return True
    except asyncio.TimeoutError:
        loop.remove_reader(sys.stdin.fileno())
        return False


async def serve(url: str, limit: float) -> int:
    broker = NatsBroker(url, logger=make_logger())
    broker.subscriber("interop.py.core")(make_handler("core"))
    broker.subscriber("interop.py.js", stream=SERVE_STREAM, durable="py-push")(
        make_handler("js"))
    broker.subscriber("interop.py.pull", stream=SERVE_STREAM, durable="py-pull",
                      pull_sub=PullSub(batch_size=10, timeout=0.5))(make_handler("pull"))
    await broker.start()
    emit({"event": "ready", "detail": url})
    eof = await wait_for_stdin_eof(limit)
    await broker.stop()
    emit({"event": "stopped"})
    if not eof:
        emit({"event": "error", "detail": "stdin stayed open past --max-seconds"})
        return 3
    return 0


async def client(url: str, plan_file: str) -> int:
    with open(plan_file, encoding="utf-8") as f:
        plan = [json.loads(line) for line in f if line.strip()]
    broker = NatsBroker(url, logger=make_logger())
    await broker.start()
    try:
        for action in plan:
            source = action["source"]
            subject = f"interop.cpp.{source}"
            # JetStream: stream= makes FastStream publish through its JetStream producer (and
            # wait for the PubAck); its requests then carry the reply subject in a reply_to
            # header.
            stream = CLIENT_STREAM if source != "core" else None
            body = action["order"] if action.get("raw") else Order.model_validate(action["order"])
            seq = action["headers"].get("x-seq", "")
            if action["kind"] == "publish":
                await broker.publish(body, subject, correlation_id=action.get("correlation_id"),
                                     headers=action["headers"], stream=stream, timeout=10)
                emit({"event": "sent", "source": source, "seq": seq})
            else:
                reply = await broker.request(body, subject,
                                             correlation_id=action.get("correlation_id"),
                                             headers=action["headers"], stream=stream,
                                             timeout=10)
                receipt = Receipt.model_validate(await reply.decode())
                emit({
                    "event": "reply",
                    "source": source,
                    "seq": seq,
                    "correlation_id": reply.correlation_id,
                    "content_type": reply.content_type,
                    "wire": dict(reply.headers or {}),
                    "receipt": receipt.model_dump(mode="json"),
                })
    finally:
        await broker.stop()
    emit({"event": "done", "detail": f"{len(plan)} actions"})
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("mode", choices=["serve", "client"])
    parser.add_argument("plan", nargs="?")
    args = parser.parse_args()
    try:
        if args.mode == "serve":
            return asyncio.run(serve(args.url, args.max_seconds))
        if not args.plan:
            parser.error("client needs PLAN.jsonl")
        return asyncio.run(client(args.url, args.plan))
    except Exception as e:  # reported as a line, so the driver shows it with the rest
        emit({"event": "error", "detail": f"{type(e).__name__}: {e}"})
        raise


if __name__ == "__main__":
    sys.exit(main())
