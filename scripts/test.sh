#!/usr/bin/env bash
# The README's test command (`make test`): installs whatever is missing, idempotently, then runs all tests.
# UPDATE_SNAPSHOTS=1 rewrites the golden files that differ (and only those).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build ManifestGen.sln -c Release -nologo -v quiet

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# The three test projects run side by side: the runner tests wait mostly on sshd, rsync, restic and the
# dead man's switch's deadlines, the end-to-end tests on pods, and the generator tests with the native
# compile before them use the CPU meanwhile. (They share nothing: every host, repository, namespace and
# container of a test has a random name of its own.) Each project's console output goes to a log of its
# own, printed whole when it ends, so the projects' lines do not interleave.
started=$SECONDS
run_tests() { # $1 = test project; its status goes to $results/<name>.status
  local proj=$1 name begin status=0
  name=$(basename "$proj")
  begin=$SECONDS
  echo "test: $name started at +$((begin - started)) s"
  dotnet test "$proj" -c Release --no-build --nologo \
    --logger "console;verbosity=normal" --logger "trx;LogFilePrefix=$name" \
    --results-directory "$results" > "$results/$name.log" 2>&1 || status=1
  cat "$results/$name.log"
  echo "test: $name finished at +$((SECONDS - started)) s ($((SECONDS - begin)) s, exit $status)"
  echo "$status" > "$results/$name.status"
}

# The runner tests boot a Debian host with systemd as PID 1 (the dead man's switch's systemd-run branch):
# its root filesystem is built first (cached like the image below), not inside a test's time.
# The gate's attack tests use an rsync 3.2.7 built from Debian's source (cached, minutes once per
# machine): built here too, so no test fetches or compiles anything.
{
  if bash image/make-image.sh --systemd-host >/dev/null && bash scripts/attacker-rsync.sh >/dev/null; then
    run_tests tests/ManifestGen.Runner.Tests
  else
    echo 1 > "$results/ManifestGen.Runner.Tests.status"
  fi
} &
lanes=($!)
# The end-to-end tests run every pod in the runner image under runc: built first (cached by content hash
# in /var/cache/manifestgen; seconds when nothing changed), so no test waits on a cold build.
{
  if bash image/make-image.sh >/dev/null; then
    run_tests tests/ManifestGen.E2E.Tests
  else
    echo 1 > "$results/ManifestGen.E2E.Tests.status"
  fi
} &
lanes+=($!)
# The native generator (what make render/check and the hooks run once it exists): compiled here, once per
# source version (minutes; cached in .tmp/manifestgen-native), before the generator tests that use it.
status=0
bash scripts/manifestgen-cached.sh --path aot >/dev/null || status=1
run_tests tests/ManifestGen.Tests
# Independent schema validation of every rendered document (pinned npm packages, tools/schema-validate);
# the charts' templates are not YAML until rendered: they are proven by tools/chart-render below.
bash tools/schema-validate/run.sh out/*/manifests out/*/application.yaml || status=1
# Every chart rendered by Go's own text/template gives exactly its directory's objects (tools/chart-render).
bash tools/chart-render/run.sh || status=1
for lane in "${lanes[@]}"; do wait "$lane" || status=1; done
for name in ManifestGen.Tests ManifestGen.Runner.Tests ManifestGen.E2E.Tests; do
  [ "$(cat "$results/$name.status" 2>/dev/null)" = 0 ] || status=1
done
echo "test: all projects done at +$((SECONDS - started)) s"

# One plain closing line over all projects, the failed tests above it.
bash scripts/test-summary.sh "$results" || status=1
exit $status
