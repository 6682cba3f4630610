#!/usr/bin/env bash
# Runs this checkout's generator the way users run it. `make render|check|validate` and the plain git
# hook use this entry.
#
# The native executable (Native AOT: starts in milliseconds) when it is built for this source version
# (scripts/manifestgen-cached.sh caches it by source hash; `make native`, `make tool` and `make test`
# compile it, several minutes once per source change). Until then, and where it cannot be built, the
# framework-dependent .NET tool `manifestgen`, from the tool manifest (.config/dotnet-tools.json),
# restored from a package folder of this checkout: a first `make render` on a fresh clone does not wait
# minutes for a native compile it may never need again.
#
# The tool is re-packed only when its sources (src/ManifestGen, src/ManifestGen.Contracts, templates/,
# the build and package props) change. A packed version is immutable in a NuGet package folder, so the
# tool is restored into a package folder of this checkout (.tmp/tool-packages), emptied on every re-pack:
# the command never runs a stale copy, and checkouts on one machine do not overwrite each other's tool.
#
#   scripts/manifestgen.sh check            # what the git hook runs
#   scripts/manifestgen.sh render production
#   scripts/manifestgen.sh -v check         # also says which build runs (MANIFESTGEN_VERBOSE=1 likewise)
#
# MANIFESTGEN_ROOT names another root to read values/, templates/ and out/ from (scripts/pre-commit.sh
# points it at a copy of the staged tree), MANIFESTGEN_GIT_DIR the git directory whose HEAD holds the
# committed out/ for that copy. MANIFESTGEN_BUILD=jit always runs the .NET tool.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/build-cache.sh
. scripts/build-cache.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

verbose="${MANIFESTGEN_VERBOSE:-}"
if [ "${1:-}" = -v ] || [ "${1:-}" = --verbose ]; then verbose=1; shift; fi
if [ -n "${MANIFESTGEN_GIT_DIR:-}" ]; then export GIT_DIR="$MANIFESTGEN_GIT_DIR"; fi

if [ "${MANIFESTGEN_BUILD:-aot}" = aot ]; then
  native="$(bash scripts/manifestgen-cached.sh --cached)"
  if [ -n "$native" ]; then
    [ -z "$verbose" ] || echo "manifestgen: the native executable ${native#"$root/"}" >&2
    exec "$native" "$@" --root "${MANIFESTGEN_ROOT:-$root}"
  fi
  if [ -n "$(find .tmp/manifestgen-native -maxdepth 1 -name '*-aot.failed' 2>/dev/null)" ]; then
    echo "manifestgen: the native build failed on this machine (.tmp/manifestgen-native/*-aot.log); running the framework-dependent .NET tool" >&2
  else
    echo "manifestgen: no native build of this source version yet (\`make native\` compiles it, minutes once per source change); running the framework-dependent .NET tool" >&2
  fi
fi

hash="$(source_hash --tree --name '*.cs' --name '*.csproj' --name '*.sbn' src/ManifestGen src/ManifestGen.Contracts templates \
  --files Directory.Build.props Directory.Packages.props global.json nuget.config .config/dotnet-tools.json)"
state=".tmp/manifestgen"
export NUGET_PACKAGES="$root/.tmp/tool-packages"
# `dotnet tool run` remembers where it found a tool version in a resolver cache under the CLI home, shared
# by every checkout of the user: a CLI home of this checkout's own keeps another checkout's tool out.
export DOTNET_CLI_HOME="$root/.tmp/dotnet-home"

if [ ! -f "$state/packed-$hash" ]; then
  # One pack at a time, even when several hooks start together; bounded wait.
  hold_lock "$state/.lock" 600 || { echo "manifestgen: timed out waiting for another build" >&2; exit 2; }
  if [ ! -f "$state/packed-$hash" ]; then
    echo "manifestgen: packing the tool once for this source version ($hash)..." >&2
    # The tool's dependencies come from the usual package folder; only the tool itself is restored below,
    # from a folder of its own (artifacts/packages may hold the native tool `make tool` packed, under the
    # same version).
    rm -rf "$state/feed"
    env -u NUGET_PACKAGES -u DOTNET_CLI_HOME dotnet pack src/ManifestGen -c Release -v quiet -nologo -o "$state/feed" >&2
    rm -rf "$NUGET_PACKAGES" "$DOTNET_CLI_HOME" "$state"/packed-*
    printf '<?xml version="1.0" encoding="utf-8"?>\n<configuration><packageSources><clear /><add key="manifestgen" value="feed" /></packageSources></configuration>\n' >"$state/nuget.config"
    dotnet tool restore --configfile "$state/nuget.config" -v quiet >&2
    touch "$state/packed-$hash"
  fi
  exec 9>&-
fi
[ -z "$verbose" ] || echo "manifestgen: the framework-dependent .NET tool (dotnet tool run manifestgen)" >&2
exec dotnet tool run manifestgen -- "$@" --root "${MANIFESTGEN_ROOT:-$root}"
