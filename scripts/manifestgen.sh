#!/usr/bin/env bash
# Runs this checkout's generator the way users run it: as the .NET tool `manifestgen`, from the tool
# manifest (.config/dotnet-tools.json), restored from the local package source artifacts/packages.
# `make render|check|validate` and the plain git hook use this entry.
#
# The tool is re-packed only when its sources (src/ManifestGen, src/ManifestGen.Contracts, templates/,
# the build and package props) change. A packed version is immutable in a NuGet package folder, so the
# tool is restored into a package folder of this checkout (.tmp/tool-packages), emptied on every re-pack:
# the command never runs a stale copy, and checkouts on one machine do not overwrite each other's tool.
#
#   scripts/manifestgen.sh check            # what the git hook runs
#   scripts/manifestgen.sh render production
#
# MANIFESTGEN_ROOT names another root to read values/, templates/ and out/ from (scripts/pre-commit.sh
# points it at a copy of the staged tree), MANIFESTGEN_GIT_DIR the git directory whose HEAD holds the
# committed out/ for that copy.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

hash="$(
  { find src/ManifestGen src/ManifestGen.Contracts templates -type f \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.sbn' \) -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 sha256sum
    sha256sum Directory.Build.props Directory.Packages.props global.json nuget.config .config/dotnet-tools.json
  } | sha256sum | cut -c1-16
)"
state=".tmp/manifestgen"
export NUGET_PACKAGES="$root/.tmp/tool-packages"
# `dotnet tool run` remembers where it found a tool version in a resolver cache under the CLI home, shared
# by every checkout of the user: a CLI home of this checkout's own keeps another checkout's tool out.
export DOTNET_CLI_HOME="$root/.tmp/dotnet-home"

if [ ! -f "$state/packed-$hash" ]; then
  mkdir -p "$state"
  # One pack at a time, even when several hooks start together; bounded wait.
  exec 9>"$state/.lock"
  flock -w 600 9 || { echo "manifestgen: timed out waiting for another build" >&2; exit 2; }
  if [ ! -f "$state/packed-$hash" ]; then
    echo "manifestgen: packing the tool once for this source version ($hash)..." >&2
    # The tool's dependencies come from the usual package folder; only the tool itself is restored below.
    NUGET_PACKAGES= DOTNET_CLI_HOME= dotnet pack src/ManifestGen -c Release -v quiet -nologo >&2
    rm -rf "$NUGET_PACKAGES" "$DOTNET_CLI_HOME" "$state"/packed-*
    dotnet tool restore -v quiet >&2
    touch "$state/packed-$hash"
  fi
  exec 9>&-
fi
if [ -n "${MANIFESTGEN_GIT_DIR:-}" ]; then export GIT_DIR="$MANIFESTGEN_GIT_DIR"; fi
exec dotnet tool run manifestgen -- "$@" --root "${MANIFESTGEN_ROOT:-$root}"
