#!/usr/bin/env bash
# The README's test command (`make test`): installs whatever is missing, idempotently, then runs all tests.
# UPDATE_SNAPSHOTS=1 rewrites the golden files that differ (and only those).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build ManifestGen.sln -c Release -nologo -v quiet
# The native generator (what make render/check and the hooks run once it exists): compiled here, once per
# source version (minutes; cached in .tmp/manifestgen-native), so no test waits on it and later renders use it.
bash scripts/manifestgen-cached.sh --path aot >/dev/null
# The end-to-end tests run every pod in the runner image under runc: build it first (cached by content
# hash in /var/cache/manifestgen; seconds when nothing changed), so no test waits on a cold build.
bash image/make-image.sh >/dev/null
# The runner tests boot a Debian host with systemd as PID 1 (the dead man's switch's systemd-run branch):
# its root filesystem is built here too (cached the same way), not inside a test's time.
bash image/make-image.sh --systemd-host >/dev/null

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# Test projects run one after another: the runner and end-to-end tests start real sshd/restic processes.
status=0
for proj in tests/ManifestGen.Tests tests/ManifestGen.Runner.Tests tests/ManifestGen.E2E.Tests; do
  dotnet test "$proj" -c Release --no-build --nologo \
    --logger "console;verbosity=normal" --logger "trx;LogFilePrefix=$(basename "$proj")" \
    --results-directory "$results" || status=1
done
# Independent schema validation of every rendered document (pinned npm packages, tools/schema-validate);
# the charts' templates are not YAML until rendered: they are proven by tools/chart-render below.
bash tools/schema-validate/run.sh out/*/manifests out/*/application.yaml || status=1
# Every chart rendered by Go's own text/template gives exactly its directory's objects (tools/chart-render).
bash tools/chart-render/run.sh || status=1

# One plain closing line over all projects, read from the TRX counters.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); failed_n=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${failed_n:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
[ "$failed" -eq 0 ] || status=1
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit $status
