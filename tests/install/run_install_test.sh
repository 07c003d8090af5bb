#!/usr/bin/env bash
# Installs the already-built tree into a fresh temporary prefix, then, using only that prefix:
#   1. builds consumer/ with CMake (find_package(faststream 0.1 REQUIRED COMPONENTS memory))
#      and runs it;
#   2. builds consumer/main.cpp with pkg-config flags and runs it;
#   3. asks for a component that is not installed: REQUIRED fails naming it, COMPONENTS
#      gives faststream_FOUND FALSE, OPTIONAL_COMPONENTS gives faststream_FOUND TRUE; the
#      component's _FOUND is FALSE each time;
#   4. find_package(faststream 0.2) does not accept 0.1.x.
# Environment (set by CMakeLists.txt): BUILD_DIR, HERE (this directory), EXPECTED_VERSION,
# CXX, GENERATOR, MAKE_PROGRAM, LAUNCHER (may be empty), MISSING (a component name).
set -euo pipefail

work=$(mktemp -d "${TMPDIR:-/tmp}/faststream-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
start=$SECONDS
step() { echo "== [$((SECONDS - start))s] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

check_run() {  # <binary>: runs it and checks its output
  local out
  out=$("$1") || fail "$1 exited with $?: $out"
  echo "$out"
  grep -qx 'handled: installed x3' <<<"$out" || fail "$1: the handler did not report"
  grep -qx "faststream $EXPECTED_VERSION" <<<"$out" || fail "$1: version is not $EXPECTED_VERSION"
}

step "install into $prefix"
cmake --install "$BUILD_DIR" --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log"; fail "cmake --install"; }
find "$prefix" -type f | sed "s|^$prefix/||" | sort

# ccache (when the project uses it): paths under $work are rewritten relative, so a rerun
# hits the cache although the directory name changes.
export CCACHE_BASEDIR=$work
launcher_args=()
if [[ -n "${LAUNCHER:-}" ]]; then launcher_args=(-DCMAKE_CXX_COMPILER_LAUNCHER="$LAUNCHER"); fi

step "CMake consumer: configure"
cmake -S "$HERE/consumer" -B "$work/cmake-build" -G "$GENERATOR" \
  -DCMAKE_MAKE_PROGRAM="$MAKE_PROGRAM" -DCMAKE_CXX_COMPILER="$CXX" "${launcher_args[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/configure.log" ||
  { cat "$work/configure.log"; fail "consumer configure"; }
grep -q "faststream_DIR:PATH=$prefix/" "$work/cmake-build/CMakeCache.txt" ||
  fail "faststream was not found in the temporary prefix: $(grep faststream_DIR "$work/cmake-build/CMakeCache.txt")"
step "CMake consumer: build"
cmake --build "$work/cmake-build" >"$work/build.log" || { cat "$work/build.log"; fail "consumer build"; }
step "CMake consumer: run"
check_run "$work/cmake-build/consumer"

step "pkg-config consumer"
export PKG_CONFIG_PATH=$(find "$prefix" -name faststream.pc -printf '%h')
[[ -n "$PKG_CONFIG_PATH" ]] || fail "faststream.pc was not installed"
pkg-config --validate faststream || fail "faststream.pc does not validate"
version=$(pkg-config --modversion faststream)
[[ "$version" == "$EXPECTED_VERSION" ]] || fail "pkg-config --modversion: $version"
pkg-config --atleast-version=0.1 faststream || fail "pkg-config --atleast-version=0.1"
# The library is static: its private dependencies (Requires.private, Libs.private) are needed
# at link time, which is what --static asks for.
flags=$(pkg-config --static --cflags --libs faststream)
echo "pkg-config --static --cflags --libs faststream: $flags"
[[ "$flags" == *"-I$prefix/"* || "$flags" == *"/lib/pkgconfig/../../include"* ]] ||
  fail "pkg-config flags do not point into the prefix"
# shellcheck disable=SC2086  # word splitting of $flags is intended
${LAUNCHER:-} "$CXX" -std=c++20 -O1 -Wall -Wextra -Werror "$HERE/consumer/main.cpp" -o "$work/pc-consumer" $flags ||
  fail "consumer build with pkg-config flags"
check_run "$work/pc-consumer"

step "component '$MISSING' that is not installed"
missing() {  # <mode>: configures missing_component/, output in $work/missing-<mode>.log
  local rc=0
  cmake -S "$HERE/missing_component" -B "$work/missing-$1" -G "$GENERATOR" \
    -DCMAKE_MAKE_PROGRAM="$MAKE_PROGRAM" -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
    -DMODE="$1" -DFASTSTREAM_COMPONENT="$MISSING" >"$work/missing-$1.log" 2>&1 || rc=$?
  echo "-- MODE=$1: exit $rc"
  return $rc
}
if missing required; then
  cat "$work/missing-required.log"; fail "REQUIRED COMPONENTS $MISSING configured"
fi
# (CMake wraps the message: compare with whitespace runs folded)
tr -s ' \n' '  ' <"$work/missing-required.log" |
  grep -qF "faststream component '$MISSING' not found: it is not installed in $prefix (installed components: memory" ||
  { cat "$work/missing-required.log"; fail "the error does not name the component"; }
grep -A3 "faststream component '$MISSING'" "$work/missing-required.log"
missing components || { cat "$work/missing-components.log"; fail "COMPONENTS (not REQUIRED)"; }
grep -q "RESULT faststream_FOUND=0 memory=TRUE $MISSING=FALSE .* dir=$prefix/" \
  "$work/missing-components.log" ||
  { cat "$work/missing-components.log"; fail "COMPONENTS $MISSING: unexpected result"; }
missing optional || { cat "$work/missing-optional.log"; fail "OPTIONAL_COMPONENTS"; }
grep -q "RESULT faststream_FOUND=1 memory=TRUE $MISSING=FALSE .* target_memory=yes dir=$prefix/" \
  "$work/missing-optional.log" ||
  { cat "$work/missing-optional.log"; fail "OPTIONAL_COMPONENTS $MISSING: unexpected result"; }
grep -h "RESULT" "$work"/missing-{components,optional}.log

step "find_package(faststream 0.2) rejects $EXPECTED_VERSION (SameMinorVersion)"
missing version || { cat "$work/missing-version.log"; fail "find_package(faststream 0.2)"; }
grep -q "RESULT faststream_FOUND=0 " "$work/missing-version.log" ||
  { cat "$work/missing-version.log"; fail "0.2 accepted $EXPECTED_VERSION"; }
tr -s ' \n' '  ' <"$work/missing-version.log" | grep -qF "faststream-config.cmake, version: $EXPECTED_VERSION" ||
  { cat "$work/missing-version.log"; fail "0.2: CMake did not report $EXPECTED_VERSION as unsuitable"; }
grep -h "RESULT" "$work/missing-version.log"

step "passed"
