# shellcheck shell=bash
# Sourced (not run) by the scripts that cache a build by its sources: scripts/manifestgen.sh (the packed
# .NET tool), scripts/manifestgen-cached.sh (the native generator) and image/make-image.sh (the runner
# image). Each names the file set its build reads; the hash and the lock are written once, here.
# Paths are relative to the current folder (each caller runs from the repository root).

# source_hash ITEM...: the first 16 hex digits of a SHA-256 over the items, in the order given:
#   --line TEXT                      the text itself (e.g. the key of a base the build starts from)
#   --files FILE...                  each file's content
#   --tree [--name GLOB]... DIR...   every file under the folders (bin/ and obj/ left out), only those whose
#                                    name matches one GLOB when any is given, in byte order of their paths
# The same sources give the same hash on any machine: the order does not depend on the locale.
source_hash() {
  {
    while [ $# -gt 0 ]; do
      case $1 in
        --line)
          printf '%s\n' "$2"
          shift 2
          ;;
        --files)
          shift
          while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do
            sha256sum "$1"
            shift
          done
          ;;
        --tree)
          shift
          local names=() dirs=()
          while [ "${1:-}" = --name ]; do
            names+=(${names[@]:+-o} -name "$2")
            shift 2
          done
          while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do
            dirs+=("$1")
            shift
          done
          find "${dirs[@]}" -type f ${names[@]:+\(} "${names[@]}" ${names[@]:+\)} \
            -not -path '*/bin/*' -not -path '*/obj/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
          ;;
        *)
          echo "source_hash: unknown item '$1'" >&2
          return 2
          ;;
      esac
    done
  } | sha256sum | cut -c1-16
}

# hold_lock FILE SECONDS: takes the exclusive lock of FILE on descriptor 9, waiting at most SECONDS; fails
# (the caller says what it waited for) when another process holds it longer. The lock is held until the
# script exits or closes descriptor 9; a child that outlives the build (a compiler server) must be started
# with 9>&- so it does not keep the lock.
hold_lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  flock -w "$2" 9
}
