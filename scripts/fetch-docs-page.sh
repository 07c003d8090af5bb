#!/usr/bin/env bash
# Fetches the AsyncAPI page renderer the library embeds (docs serve, docs gen --html):
# @asyncapi/react-component's standalone browser bundle and its stylesheet, from npm, at one
# pinned version whose tarball must match the pinned integrity. Writes into OUTDIR:
#   asyncapi-react.js, asyncapi-react.css, LICENSE files, and `stamp` (version and integrity).
# A no-op when OUTDIR already holds this version.
set -euo pipefail

version=3.2.1
integrity="sha512-k5ZqJd6+oxYaQ2o6F3rGWJ1MTIjXdpsUYB3NKQbVqr4yzrN0Ovj5c7eZx8NGd3wfKPhbOrLREtYl9K2OPfnSsA=="
out=${1:?usage: fetch-docs-page.sh OUTDIR}
stamp="@asyncapi/react-component@${version} ${integrity}"

if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] &&
  [ -s "$out/asyncapi-react.js" ] && [ -s "$out/asyncapi-react.css" ]; then
  exit 0
fi
command -v npm >/dev/null || {
  echo "fetch-docs-page: npm is needed to fetch @asyncapi/react-component (or configure with -DFASTSTREAM_DOCS_PAGE=OFF)" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "@asyncapi/react-component@${version}" --silent >/dev/null)
tarball="$work/asyncapi-react-component-${version}.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$integrity" ]; then
  echo "fetch-docs-page: @asyncapi/react-component@${version} does not match its pinned integrity" >&2
  echo "  expected $integrity" >&2
  echo "  got      $actual" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/browser/standalone/index.js \
  package/browser/standalone/index.js.LICENSE.txt package/styles/default.min.css package/LICENSE
mkdir -p "$out"
cp "$work/package/browser/standalone/index.js" "$out/asyncapi-react.js"
cp "$work/package/browser/standalone/index.js.LICENSE.txt" "$out/asyncapi-react.js.LICENSE.txt"
cp "$work/package/styles/default.min.css" "$out/asyncapi-react.css"
cp "$work/package/LICENSE" "$out/LICENSE"
printf '%s' "$stamp" >"$out/stamp"
echo "fetch-docs-page: @asyncapi/react-component@${version} in $out"
