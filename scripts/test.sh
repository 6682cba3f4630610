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
# The failed tests again, each with the first lines of its message, right above the closing line: a run's
# last lines are often all that is kept of it.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  awk '
    /<UnitTestResult / && /outcome="Failed"/ { match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); want = 1; next }
    want && /<Message>/ { sub(/.*<Message>/, ""); print "failed: " name; lines = 0; inmsg = 1 }
    inmsg { if (index($0, "</Message>")) { sub(/<\/Message>.*/, ""); inmsg = 0; want = 0 }
            if (lines < 4 && length($0) > 0) { print "  " substr($0, 1, 300); lines++ } }
  ' "$trx"
done
# Then their names alone (class and method), so that even a short tail of the log names every one.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" | sed -n 's/.* testName="\([^"]*\)".*/\1/p' |
    awk -F. '{ n = NF >= 2 ? $(NF - 1) "." $NF : $0; print "FAILED " n }'
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit $status
