#!/usr/bin/env bash
# Compiles one file and checks the outcome.
#   check.sh fail FILE EXPECTED_TYPE   the compile must fail; the FIRST error line is our
#                                      static_assert and the type appears right above it
#   check.sh pass FILE                 the compile must succeed (positive control)
set -uo pipefail
mode=$1 file=$2 type=${3:-}
cxx=${CXX:-g++}
flags=(-std=c++20 -fsyntax-only -Wall -Wextra -Werror -I "${FASTSTREAM_INCLUDE:?}" ${FASTSTREAM_EXTRA_FLAGS:-})
out=$("$cxx" "${flags[@]}" "$file" 2>&1)
rc=$?
if [ "$mode" = pass ]; then
  [ $rc -eq 0 ] && { echo "compiles: $file"; exit 0; }
  echo "expected $file to compile:"; echo "$out" | head -30; exit 1
fi
[ $rc -ne 0 ] || { echo "expected $file NOT to compile"; exit 1; }
first_error=$(echo "$out" | grep -m1 "error:")
echo "first error: $first_error"
echo "$first_error" | grep -q "static assertion failed: faststream:" ||
  { echo "FAIL: the first error is not faststream's static_assert"; echo "$out" | head -40; exit 1; }
context=$(echo "$out" | sed -n "1,/error:/p")
echo "$context" | grep -q "$type" ||
  { echo "FAIL: the type '$type' is not named before the first error"; echo "$context"; exit 1; }
echo "ok: $file fails with faststream's static_assert naming $type"
