#!/usr/bin/env bash
# Runs the manifestgen CLI from a build cached under .tmp/manifestgen/<hash>, so a pre-commit hook does
# not pay a build on every commit: the generator is rebuilt only when its sources (src/ManifestGen,
# src/ManifestGen.Contracts, the build and package props) change. Templates and values are read at run
# time and need no rebuild.
#
#   scripts/manifestgen-cached.sh check            # what the pre-commit hook runs
#   scripts/manifestgen-cached.sh render production
#
# MANIFESTGEN_ROOT names another root to read values/, templates/ and out/ from (scripts/pre-commit.sh
# points it at a copy of the staged tree), MANIFESTGEN_GIT_DIR the git directory whose HEAD holds the
# committed out/ for that copy.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

hash="$(
  { find src/ManifestGen src/ManifestGen.Contracts -type f \
      \( -name '*.cs' -o -name '*.csproj' \) -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 sha256sum
    sha256sum Directory.Build.props Directory.Packages.props global.json
  } | sha256sum | cut -c1-16
)"
cache=".tmp/manifestgen"
build="$cache/$hash"

if [ ! -f "$build/manifestgen.dll" ]; then
  mkdir -p "$cache"
  # One build at a time, even when several hooks start together; bounded wait.
  exec 9>"$cache/.lock"
  flock -w 600 9 || { echo "manifestgen: timed out waiting for another build" >&2; exit 2; }
  if [ ! -f "$build/manifestgen.dll" ]; then
    echo "manifestgen: building the generator once for this source version ($hash)..." >&2
    dotnet publish src/ManifestGen -c Release -o "$build.partial" -v quiet -nologo >&2
    rm -rf "$build" && mv "$build.partial" "$build"
    # keep only the current build
    find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$hash" -exec rm -rf {} +
  fi
fi
if [ -n "${MANIFESTGEN_GIT_DIR:-}" ]; then export GIT_DIR="$MANIFESTGEN_GIT_DIR"; fi
exec dotnet "$root/$build/manifestgen.dll" "$@" --root "${MANIFESTGEN_ROOT:-$root}"
