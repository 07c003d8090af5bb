#!/usr/bin/env bash
# Fuzzes the Redis payload parser (fuzz/redis_envelope_fuzz.cpp) for a fixed number of runs
# from a copy of the committed seed corpus. Fails on any crash, leak or sanitizer report.
#   bash scripts/run-fuzz.sh              # 1000000 runs (about 10 s here, plus 6 s to build)
#   FUZZ_RUNS=2000000 bash scripts/run-fuzz.sh
# libFuzzer needs clang, so the target is built here with clang++-14 directly (not by the
# g++ CMake tree): it includes only src/redis/envelope.hpp and message.hpp, no Asio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/fuzz
runs=${FUZZ_RUNS:-1000000}
cxx=${FUZZ_CXX:-clang++-14}
command -v "$cxx" >/dev/null || { echo "run-fuzz: $cxx missing: run scripts/install-deps.sh"; exit 1; }
mkdir -p "$out"

bin=$out/redis_envelope_fuzz
sources=("$root/fuzz/redis_envelope_fuzz.cpp" "$root/src/redis/envelope.cpp" "$root/src/core/message.cpp")
deps=("${sources[@]}" "$root/src/redis/envelope.hpp" "$root/include/faststream/message.hpp" "$0")
stale=0
[ -x "$bin" ] || stale=1
for f in "${deps[@]}"; do [ "$f" -nt "$bin" ] && stale=1; done
if [ "$stale" = 1 ]; then
  echo "run-fuzz: building $bin"
  "$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$root/include" -I"$root/src" "${sources[@]}" -lboost_json -o "$bin.tmp"
  mv "$bin.tmp" "$bin"
fi

corpus=$out/corpus/redis_envelope
rm -rf "$corpus" "$out/artifacts"
mkdir -p "$corpus" "$out/artifacts"
cp "$root"/fuzz/corpus/redis_envelope/* "$corpus"/
echo "run-fuzz: redis_envelope_fuzz, $runs runs"
start=$SECONDS
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$bin" -runs="$runs" -max_len=4096 -seed=1 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/" "$corpus" >"$out/redis_envelope.log" 2>&1 || {
  tail -n 60 "$out/redis_envelope.log"
  echo "run-fuzz: FAILED (crash input in $out/artifacts/, log $out/redis_envelope.log)"
  exit 1
}
grep -E "^stat::number_of_executed_units|^Done" "$out/redis_envelope.log" || true
echo "run-fuzz: OK in $((SECONDS - start)) s"
