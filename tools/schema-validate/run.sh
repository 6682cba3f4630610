#!/usr/bin/env bash
# Independent schema validation of the rendered manifests (what `make test` and CI run):
# installs the pinned validator packages when the lock file changed (idempotent), runs the
# validator's own tests, then validates every document under out/ (or the paths given).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
args=()
for p in "$@"; do args+=("$(realpath -m -- "$p")"); done
repo="$(cd "$here/../.." && pwd)"
cd "$here"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm ci installs exactly the lock file's versions; engine warnings are not errors (node >= 18 works).
  timeout 600 npm ci --no-audit --no-fund --loglevel=error
fi
node --test test/ >/dev/null 2>&1 || { node --test test/; echo "schema-validate: validator self-test failed" >&2; exit 1; }
[ "${#args[@]}" -gt 0 ] || args=("$repo/out")
for p in "${args[@]}"; do
  [ -e "$p" ] || { echo "schema-validate: $p does not exist (run 'make render' first)" >&2; exit 1; }
done
cd "$repo"
exec node "$here/validate.mjs" "${args[@]}"
