#!/usr/bin/env bash
# Runs a service binary, waits until it logs that it started, sends SIGTERM, and expects a
# graceful stop with exit code 0.
set -uo pipefail
binary=$1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$binary" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  grep -q "started" "$log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
if ! grep -q "started" "$log"; then
  echo "the service did not start:"; cat "$log"; kill -9 "$pid" 2>/dev/null; exit 1
fi
kill -TERM "$pid"
wait "$pid"
rc=$?
cat "$log"
[ $rc -eq 0 ] || { echo "exit code $rc, expected 0"; exit 1; }
grep -q "broker stopped" "$log" || { echo "no graceful stop in the log"; exit 1; }
echo "ok: started, drained and stopped on SIGTERM"
