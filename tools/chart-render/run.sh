#!/usr/bin/env bash
# Go text/template proof of the generated Helm charts (what `make test` and CI run): installs the pinned
# packages when the lock file changed (idempotent), runs the tool's own tests, then renders every chart
# under out/ (and the escaping case of tests/snapshots/chart-escape) and compares it with its manifests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  timeout 600 npm ci --no-audit --no-fund --loglevel=error
fi
node --test test/ >/dev/null 2>&1 || { node --test test/; echo "chart-render: self-test failed" >&2; exit 1; }
cd "$repo"
dirs=()
for chart in out/*/chart; do
  [ -d "$chart" ] && dirs+=("$(dirname "$chart")")
done
[ "${#dirs[@]}" -gt 0 ] || { echo "chart-render: no out/<env>/chart (run 'make render' first)" >&2; exit 1; }
exec node "$here/render.mjs" "${dirs[@]}" tests/snapshots/chart-escape
