#!/usr/bin/env bash
# `make demo`: watch ManifestGen work without a cluster (docs/demo.md explains each step).
#
# Installs what is missing, builds the pod harness (with the generator) and the runner image, then:
# renders the test-cluster example from a copy of values/, starts a throwaway SSH host with a sample
# compose app in a network namespace of its own, runs (in the runner image, under runc) the rendered init Job and the rendered backup
# CronJob twice (a file changed between), lists the snapshots, restores one file and compares it,
# and prints a report. Everything it started is stopped and removed on exit, also on failure or Ctrl-C.
#
#   scripts/demo.sh [--app NAME] [--env NAME] [--verbose]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (network namespaces, runc, mounts); run: sudo make demo" >&2
  exit 2
fi
command -v dotnet >/dev/null 2>&1 || { echo "demo: the .NET SDK is required (see README)" >&2; exit 2; }

bash scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
echo "demo: building the pod harness, the generator and the runner image ..." >&2
dotnet build tests/ManifestGen.PodHarness -c Release -nologo -v quiet >&2
bash image/make-image.sh >/dev/null

netns="mg-demo-$$"
# Everything the run writes (rendered copy, SSH host keys, claims, scratch) goes under one folder.
TMPDIR="$(mktemp -d /tmp/manifestgen-demo.XXXXXX)"
export TMPDIR

cleanup() {
  status=$?
  trap - EXIT INT TERM
  # The harness stops what it starts; this covers a run that was killed before it could.
  if [ -e "/run/netns/$netns" ]; then
    for pid in $(ip netns pids "$netns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns delete "$netns" 2>/dev/null || true
  fi
  rm -rf "$TMPDIR"
  if [ -e "/run/netns/$netns" ]; then
    echo "demo: could not remove network namespace $netns" >&2
    status=1
  else
    echo "demo: cleaned up (network namespace $netns gone, $TMPDIR removed)" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

timeout 900 dotnet tests/ManifestGen.PodHarness/bin/Release/net10.0/manifestgen-podharness.dll \
  demo --root "$PWD" --netns "$netns" "$@"
