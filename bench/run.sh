#!/usr/bin/env bash
# make bench: every benchmark pinned to one core, each beside its baseline in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/default/bench
echo "== codec: decode+validate and encode vs hand-written Boost.JSON (taskset -c 0)"
taskset -c 0 "$bin/faststream_codec_bench" --benchmark_min_time=0.5 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true
echo
echo "== memory broker: whole typed pipeline vs hand-written loop (taskset -c 0)"
taskset -c 0 "$bin/faststream_pipeline_bench" "${BENCH_MESSAGES:-1000000}"
echo
echo "== redis: backlog drain, pub/sub, ping-pong vs raw hiredis (its own redis-server)"
"$bin/faststream_redis_bench" "${BENCH_MESSAGES:-1000000}" "${BENCH_MESSAGES:-1000000}" 10
echo
echo "== nats: core pub/sub, JetStream drain, ping-pong vs raw nats.c (its own nats-server -js)"
# (a) publishes flat out: a subscriber that falls behind becomes a slow consumer, which the
# framework logs (at most once a second): counted here, not shown.
{ "$bin/faststream_nats_bench" "${BENCH_MESSAGES:-1000000}" "${BENCH_MESSAGES:-1000000}" 10 \
    2>&1 1>&3 | awk '/is a slow consumer/ { n++; next } { print }
      END { if (n) printf "  (%d slow-consumer warnings from the framework not shown)\n", n }' >&2
} 3>&1
