#!/usr/bin/env bash
# Builds the generator once per source version and runs it from a cache under .tmp/manifestgen-native/
# (git-ignored): the generator is rebuilt only when its sources (src/ManifestGen, src/ManifestGen.Contracts,
# the build and package props) change. Templates and values are read at run time and need no rebuild.
#
# The form users run is the Native AOT executable (start-up in milliseconds instead of a second of JIT):
# it is compiled once per source version (several minutes), and the framework-dependent
# build is the fallback where it cannot be built (no clang, unsupported platform; the reason is kept in
# .tmp/manifestgen-native/<hash>-aot.log).
#
#   scripts/manifestgen-cached.sh check
#   scripts/manifestgen-cached.sh render production
#   scripts/manifestgen-cached.sh --path [aot|jit]   # builds if needed, prints the executable's path
#   scripts/manifestgen-cached.sh --cached           # prints the native executable's path if it is built, else nothing; never builds
#   scripts/manifestgen-cached.sh --pack DIR         # the .NET tool packages into DIR (see below)
#
# --pack: where the native executable builds, the native tool: the top-level package ManifestGen, the
# Native AOT package ManifestGen.<rid> and the framework-dependent ManifestGen.any for other platforms
# (`dotnet tool install` picks the one for its platform). Packing the native package links the cached
# compile again (seconds) and takes the templates as they are now. Where it does not build, the single
# framework-dependent package. `make tool` packs into artifacts/packages.
#
# MANIFESTGEN_BUILD=jit skips the native build. MANIFESTGEN_ROOT names another root to read values/,
# templates/ and out/ from (scripts/pre-commit.sh points it at a copy of the staged tree),
# MANIFESTGEN_GIT_DIR the git directory whose HEAD holds the committed out/ for that copy.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/build-cache.sh
. scripts/build-cache.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

hash="$(source_hash --tree --name '*.cs' --name '*.csproj' --name '*.xml' src/ManifestGen src/ManifestGen.Contracts \
  --files Directory.Build.props Directory.Packages.props global.json)"
cache=".tmp/manifestgen-native"
jit="$cache/$hash-jit"
aot="$cache/$hash-aot"

case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64) rid=linux-arm64 ;;
  *) rid="" ;;
esac

if [ "${1:-}" = --cached ]; then
  [ ! -x "$aot/manifestgen" ] || printf '%s\n' "$root/$aot/manifestgen"
  exit 0
fi

# One build at a time, even when several hooks start together; bounded wait (a native build under load
# can take a quarter of an hour). The builds run with the lock's descriptor closed (9>&-): the compiler
# server and build nodes they leave running for minutes must not hold the lock.
locked=0
lock() {
  [ "$locked" = 1 ] && return
  hold_lock "$cache/.lock" 1800 || { echo "manifestgen: timed out waiting for another build" >&2; exit 2; }
  locked=1
}

build_jit() {
  [ -f "$jit/manifestgen.dll" ] && return
  lock
  [ -f "$jit/manifestgen.dll" ] && return
  echo "manifestgen: building the generator once for this source version ($hash)..." >&2
  rm -rf "$jit.partial"
  dotnet publish src/ManifestGen -c Release -o "$jit.partial" -v quiet -nologo >&2 9>&-
  mv "$jit.partial" "$jit"
}

# The native build's properties; --pack passes the same ones, so its publish finds the compile current.
native_props=(-c Release -r "$rid" "-p:ManifestGenNativeRid=$rid" -nologo -v quiet)

# Succeeds when the native executable exists (built now or before); never fails the caller.
build_aot() {
  [ -x "$aot/manifestgen" ] && return 0
  [ -n "$rid" ] && [ ! -f "$aot.failed" ] || return 1
  lock
  [ -x "$aot/manifestgen" ] && return 0
  [ ! -f "$aot.failed" ] || return 1
  echo "manifestgen: compiling the native generator once for this source version ($hash; takes minutes)..." >&2
  rm -rf "$aot.partial"
  # Not niced: on a machine whose cores other jobs keep busy a niced compile gets a few percent of a core
  # (measured: ilc at nice 10 beside four busy loops had 66 s of CPU after 15 minutes); at the same priority
  # it takes its fair share and everything else keeps theirs.
  if dotnet publish src/ManifestGen "${native_props[@]}" -o "$aot.partial" >"$aot.log" 2>&1 9>&- \
       && [ -x "$aot.partial/manifestgen" ]; then
    mv "$aot.partial" "$aot"
    return 0
  fi
  echo "manifestgen: the native build failed (see $aot.log); using the framework-dependent build" >&2
  touch "$aot.failed"
  rm -rf "$aot.partial"
  return 1
}

# Keep only the current source version's builds (the lock is held whenever something was built).
prune() {
  [ "$locked" = 1 ] || return 0
  find "$cache" -mindepth 1 -maxdepth 1 ! -name "$hash-*" ! -name .lock -exec rm -rf {} +
}

pack() {
  local dir
  dir="$(mkdir -p "$1" && cd "$1" && pwd)"
  rm -f "$dir"/ManifestGen.*.nupkg
  if [ "${MANIFESTGEN_BUILD:-aot}" = aot ] && build_aot; then
    lock
    dotnet pack src/ManifestGen "${native_props[@]}" -o "$dir" >&2 9>&-
    dotnet pack src/ManifestGen -c Release -r any "-p:ManifestGenNativeRid=$rid" -nologo -v quiet -o "$dir" >&2 9>&-
    # The top-level package: names the two runtime packages (and carries no program).
    dotnet pack src/ManifestGen -c Release "-p:ManifestGenNativeRid=$rid" -nologo -v quiet -o "$dir" >&2 9>&-
  else
    dotnet pack src/ManifestGen -c Release -nologo -v quiet -o "$dir" >&2 9>&-
  fi
  prune
  ls "$dir"/ManifestGen.*.nupkg
}

if [ "${1:-}" = --pack ]; then
  [ -n "${2:-}" ] || { echo "manifestgen: --pack needs a folder" >&2; exit 2; }
  pack "$2"
  exit 0
fi

want="${MANIFESTGEN_BUILD:-aot}"
if [ "${1:-}" = --path ]; then
  want="${2:-$want}"
fi
if [ "$want" = aot ] && build_aot; then
  exe=("$root/$aot/manifestgen")
else
  [ "$want" = aot ] || [ "$want" = jit ] || { echo "manifestgen: MANIFESTGEN_BUILD must be aot or jit, not '$want'" >&2; exit 2; }
  build_jit
  exe=(dotnet "$root/$jit/manifestgen.dll")
fi
prune

if [ "${1:-}" = --path ]; then
  printf '%s\n' "${exe[@]: -1}"
  exit 0
fi
if [ -n "${MANIFESTGEN_GIT_DIR:-}" ]; then export GIT_DIR="$MANIFESTGEN_GIT_DIR"; fi
exec "${exe[@]}" "$@" --root "${MANIFESTGEN_ROOT:-$root}"
