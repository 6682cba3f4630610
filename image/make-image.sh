#!/usr/bin/env bash
# `make image`: builds the runner image for real and unpacks it as a root filesystem for runc.
#
#   1. base: `mmdebstrap --variant=minbase trixie` from this machine's own Debian sources (suite renamed
#      at run time by scripts/trixie-sources.sh), imported as the image image/Dockerfile's FROM names;
#   2. the runner published self-contained (image/build.sh) and image/Dockerfile built on that base
#      (--pull=never: no registry is used; --network host for apt), tagged with a hash of its sources;
#   3. the image exported as a root filesystem plus its config (user, env, entrypoint) for the pod harness.
#
# Everything is cached by content hash outside the clone ($MANIFESTGEN_CACHE, default
# /var/cache/manifestgen): the base tarball, podman's own storage and the exported root filesystems, so a
# second run (or CI in a fresh clone on the same machine) costs seconds. Concurrent runs wait on one lock.
# The last line on stdout is the exported image folder (rootfs/ and image.json).
#
# `make-image.sh --systemd-host` builds instead a test host's root filesystem from the same sources and
# options: trixie with systemd (booted as PID 1 by the runner tests, tests/ManifestGen.Testing/
# SystemdContainer.cs), openssh-server and what the host gate needs; cached the same way, the last line
# on stdout is its folder (rootfs/).
#
# `make-image.sh --fresh-machine` builds, from the same sources and options, the root of a machine that has
# never run the suite (scripts/test-fresh.sh, `make test-fresh`): trixie with only what a fresh clone needs
# before `make render` and `make test` (git, make, CA certificates, the .NET SDK's native libraries; the
# SDK itself is bound in when it runs). Cached as a tarball; the last line on stdout is its path.
#
# podman runs with runc and the cgroupfs manager (crun refuses a hybrid cgroup layout) and with explicit
# ulimits inside this machine's hard limits (the engine's defaults fail with "setrlimit: operation not
# permitted"), all from configuration files this script writes into the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/build-cache.sh
. scripts/build-cache.sh
cache="${MANIFESTGEN_CACHE:-/var/cache/manifestgen}"
name=manifestgen-runner
mode=${1:-runner}
case $mode in runner | --systemd-host | --fresh-machine) ;; *) echo "usage: make-image.sh [--systemd-host | --fresh-machine]" >&2; exit 2 ;; esac
say() { echo "make-image: $*" >&2; }

[ "$(id -u)" = 0 ] || { say "needs root (mmdebstrap, podman storage, runc)"; exit 2; }
tools=(mmdebstrap podman runc)
[ "$mode" = runner ] || tools=(mmdebstrap)
for t in "${tools[@]}"; do command -v "$t" >/dev/null || { say "$t missing (run scripts/install-deps.sh)"; exit 2; }; done

hold_lock "$cache/lock" 3600 || { say "waited an hour for $cache/lock"; exit 1; }

# --- apt sources and mmdebstrap options (the runner's base and the systemd test host) -------------
from=$(awk 'toupper($1) == "FROM" { print $2; exit }' image/Dockerfile)
[ -n "$from" ] || { say "image/Dockerfile has no FROM"; exit 1; }
work=$(mktemp -d "$cache/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
bash scripts/trixie-sources.sh "$work/sources"
mmopts=(--variant=minbase --mode=root
  # What the slim images leave out (docs, man pages, locales); kept in the image for later installs.
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --aptopt='APT::Install-Recommends "false"')
# The cache key of a root built with these mmdebstrap options from these sources.
mm_key() { { echo "mmdebstrap $* trixie"; cat "$work"/sources/*; } | sha256sum | cut -c1-16; }
# Builds a root with mmdebstrap: $1 its place in the cache (NAME.tar a tarball, else a folder), $2 what it
# is; the rest are the options. Built in the work folder and moved in whole: a cached root is complete.
mm_build() {
  local out=$1 what=$2 tmp
  shift 2
  tmp="$work/$(basename "$out")"
  say "building $what (mmdebstrap, a minute or more) ..."
  mmdebstrap "$@" trixie "$tmp" "$work"/sources/* >&2
  mkdir -p "$(dirname "$out")"
  rm -rf "$out"
  mv "$tmp" "$out"
}

# --- a test host with systemd as PID 1 (--systemd-host) -------------------------------------------
if [ "$mode" = --systemd-host ]; then
  # The host's own sshd is the test's (SshHost, started inside the booted host), so the package's units
  # are masked, as is everything that would reach a network or a device from a container (apt timers,
  # fstrim, kernel modules, gettys). ($1 is mmdebstrap's, the root being built.)
  # shellcheck disable=SC2016,SC2054
  hostopts=("${mmopts[@]}" --include=systemd,systemd-sysv,openssh-server,openssh-client,rsync,procps,bubblewrap
    --customize-hook='chroot "$1" systemctl mask ssh.service ssh.socket sshd-keygen.service systemd-modules-load.service getty@tty1.service console-getty.service apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer fstrim.timer systemd-tmpfiles-clean.timer')
  out="$cache/hosts/systemd-$(mm_key "${hostopts[@]}")"
  [ -d "$out/rootfs" ] || mm_build "$out/rootfs" "the systemd test host's root filesystem" "${hostopts[@]}"
  touch "$out"
  # Roots of other option or source states, unused for a day, are removed (a running test boots from an
  # overlay on its root, so a root in use is never older than that).
  find "$cache/hosts" -mindepth 1 -maxdepth 1 -type d -name 'systemd-*' ! -path "$out" -mtime +1 -exec rm -rf {} +
  echo "$out"
  exit 0
fi

# --- a machine that has never run the suite (--fresh-machine) ---------------------------------------
if [ "$mode" = --fresh-machine ]; then
  # The .NET SDK's own dependencies (ICU, OpenSSL, zlib, the C++ runtime); everything else the suite needs
  # is for scripts/install-deps.sh to install, as on any new machine.
  # shellcheck disable=SC2054
  freshopts=("${mmopts[@]}" --include=ca-certificates,debian-archive-keyring,git,make,libicu76,libssl3t64,zlib1g,libstdc++6)
  out="$cache/fresh/trixie-machine-$(mm_key "${freshopts[@]}").tar"
  [ -f "$out" ] || mm_build "$out" "the fresh machine's root filesystem" "${freshopts[@]}"
  touch "$out"
  find "$cache/fresh" -mindepth 1 -maxdepth 1 -type f -name 'trixie-machine-*.tar' ! -path "$out" -mtime +1 -delete
  echo "$out"
  exit 0
fi

# --- engine configuration ---------------------------------------------------------------------------
conf="$cache/containers"
mkdir -p "$conf"
# Lowering a limit is always permitted; raising one above the caller's is not.
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 16384 ] && nofile=16384
[ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
# Run-time state (locks) of one store; another cache folder gets its own.
runroot=/run/manifestgen-containers
[ "$cache" = /var/cache/manifestgen ] || runroot="$runroot-$(printf '%s' "$cache" | sha256sum | cut -c1-12)"
cat > "$conf/containers.conf.new" <<CONF
# Written by image/make-image.sh.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
cat > "$conf/storage.conf.new" <<CONF
# Written by image/make-image.sh: an image store of the project's own, kept between runs.
[storage]
driver = "overlay"
graphroot = "$conf/storage"
runroot = "$runroot"
CONF
mv "$conf/containers.conf.new" "$conf/containers.conf"
mv "$conf/storage.conf.new" "$conf/storage.conf"
export CONTAINERS_CONF="$conf/containers.conf" CONTAINERS_STORAGE_CONF="$conf/storage.conf"

# --- 1. base root filesystem ------------------------------------------------------------------------
base_key=$(mm_key "${mmopts[@]}")
base_tar="$cache/base/trixie-minbase-$base_key.tar"
[ -f "$base_tar" ] || mm_build "$base_tar" "the trixie base root filesystem" "${mmopts[@]}"
base_ref="localhost/manifestgen-base:$base_key"
if ! podman image exists "$base_ref"; then
  say "importing the base as $from"
  podman import --quiet "$base_tar" "$base_ref" >/dev/null
fi
# The name FROM uses resolves to this local image (it exists only in the project's own store).
podman tag "$base_ref" "$from" "docker.io/library/$from"

# --- 2. the runner image ----------------------------------------------------------------------------
# Everything the image is built from; a change to any of these files gives a new tag.
inputs=(image/Dockerfile .dockerignore scripts/install-deps.sh scripts/trixie-sources.sh
        Directory.Build.props Directory.Packages.props global.json)
# The runner and the projects it references (the generator is not in the image).
src_key=$(source_hash --line "base $base_key" --files "${inputs[@]}" --tree src/ManifestGen.Runner src/ManifestGen.Contracts)
ref="localhost/$name:src-$src_key"
if ! podman image exists "$ref"; then
  say "publishing the runner ..."
  bash image/build.sh >&2
  say "building $ref ..."
  podman build --pull=never --network host --layers=false -f image/Dockerfile -t "$ref" . >&2
fi
id=$(podman image inspect --format '{{.Id}}' "$ref")
size=$(podman image inspect --format '{{.Size}}' "$ref")
say "$ref (image $id, $((size / 1000000)) MB)"

# --- 3. root filesystem for runc --------------------------------------------------------------------
out="$cache/rootfs/$id"
if [ ! -f "$out/image.json" ]; then
  say "exporting the image as a root filesystem ..."
  mkdir -p "$cache/rootfs"
  tmp="$cache/rootfs/.$id.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/rootfs"
  cid=$(podman create --pull=never "$ref")
  podman export "$cid" | tar -C "$tmp/rootfs" --numeric-owner -xpf -
  podman rm "$cid" >/dev/null
  podman image inspect "$ref" | jq --arg ref "$ref" '.[0] | {ref: $ref, id: .Id, size: .Size, config: .Config}' > "$tmp/image.json"
  rm -rf "$out"; mv "$tmp" "$out"
fi
touch "$out"

# Images of other source states are kept for a day after their last use (other checkouts on this machine
# may be running pods in them), then removed with their exported roots.
find "$cache/rootfs" -mindepth 1 -maxdepth 1 -type d -name '[0-9a-f]*' -mtime +1 -print | while read -r old; do
  podman rmi --force "$(basename "$old")" >/dev/null 2>&1 || true
  rm -rf "$old"
done
echo "$out"
