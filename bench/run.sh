#!/usr/bin/env bash
# make bench: builds the runner and the generator, then runs bench/bench.py (see docs/bench.md).
# BENCH_RUNNER / BENCH_GENERATOR set to existing binaries skip the builds. Needs root (network namespaces, tc, FUSE). Cleans up its namespace, mounts, processes and scratch data
# even when interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: needs root (ip netns, tc, FUSE mounts)" >&2; exit 1; }

export BENCH_NS="${BENCH_NS:-mgbench$$}"
work=bench/work
cleanup() {
  # Second line of defence; bench.py removes all of this itself when it can.
  local pids
  mapfile -t pids < <(ip netns pids "$BENCH_NS" 2>/dev/null || true)
  [ "${#pids[@]}" = 0 ] || kill "${pids[@]}" 2>/dev/null || true
  ip netns del "$BENCH_NS" 2>/dev/null || true
  awk -v w="$PWD/$work/" 'index($2, w) == 1 {print $2}' /proc/mounts | while read -r m; do umount -l "$m" || true; done
  if [ "${BENCH_KEEP:-}" != 1 ]; then rm -rf "$work/host" "$work/pod" "$work/restore" "$work/gen" "$work/lab" "$work/logs" "$work/trash"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash scripts/install-deps.sh

mkdir -p "$work/bin"
if [ "${BENCH_PROTOTYPE:-}" != 1 ] && [ -z "${BENCH_RUNNER:-}" ]; then
  echo "bench: building the runner" >&2
  dotnet publish src/ManifestGen.Runner -c Release -o "$work/bin/runner" --nologo -v quiet >&2
  export BENCH_RUNNER="$PWD/$work/bin/runner/manifestgen-runner"
fi
if [ -n "${BENCH_GEN_APPS-10,100,1000,10000}" ] && [ -z "${BENCH_GENERATOR:-}" ]; then
  # The form users run (the native executable, cached by source hash) and the framework-dependent build beside it.
  echo "bench: building the generator (native and framework-dependent)" >&2
  BENCH_GENERATOR="$(bash scripts/manifestgen-cached.sh --path aot)"
  BENCH_GENERATOR_JIT="$(bash scripts/manifestgen-cached.sh --path jit)"
  export BENCH_GENERATOR BENCH_GENERATOR_JIT
fi

python3 bench/bench.py
