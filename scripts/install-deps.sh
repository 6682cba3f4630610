#!/usr/bin/env bash
# Installs every system tool the runner image and the tests rely on, idempotently.
# The runtime image (image/Dockerfile) runs this same script, so CI proves the image's install steps.
#
#   scripts/install-deps.sh            runtime + test tools (default)
#   scripts/install-deps.sh --runtime  only what the runner image needs
#
# restic: the runner requires >= 0.17 and is tested with 0.18 (Debian trixie). On an older Debian the
# trixie .deb is downloaded through a source list derived at run time from this machine's own apt
# sources (same mirrors, suite renamed) and unpacked into $RESTIC_PREFIX; nothing about mirrors is
# written into the repository.
set -euo pipefail

RESTIC_VERSION_WANTED="${RESTIC_VERSION_WANTED:-0.18}"
RESTIC_PREFIX="${RESTIC_PREFIX:-/opt/manifestgen/restic}"
mode="${1:---all}"

runtime_pkgs=(ca-certificates openssh-client rsync sshfs fuse3 zstd)
# bubblewrap: the sandbox the host gate runs every file access of a key in (the test hosts are this machine).
# dpkg-dev, gcc, make, libacl1-dev: the gate's attack tests build an old rsync (with ACLs, as Debian's) whose client can send a raw filter rule (scripts/attacker-rsync.sh).
# git and pre-commit: the hook test (a scratch GitOps repository using the hooks by rev); prometheus: promtool
# checks and unit-tests the rendered alert rules; at: the dead man's switch's at branch, tested with an atd
# of the test host's own (the package's own atd is not started where policy-rc.d or no init forbids it, and
# the tests' namespaced atd never sees the machine's spool).
# gcc and zlib1g-dev: the Native AOT compile of the generator (make native, and the tests of the native
# executable and the native tool package), which needs a platform linker and zlib.
test_pkgs=(openssh-server bubblewrap dpkg-dev gcc make libc6-dev libacl1-dev iproute2 util-linux procps psmisc jq curl time
  python3 nodejs git pre-commit prometheus shellcheck at zlib1g-dev)
# The runner image is built and every rendered pod run in it (image/make-image.sh, the pod harness).
image_pkgs=(podman buildah runc umoci skopeo mmdebstrap uidmap)

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
pkgs=("${runtime_pkgs[@]}")
[ "$mode" = "--runtime" ] || pkgs+=("${test_pkgs[@]}" "${image_pkgs[@]}")
for p in "${pkgs[@]}"; do have_pkg "$p" || missing+=("$p"); done
# The runner's HTTPS pings need OpenSSL; the package was renamed in trixie (64-bit time_t).
if ! have_pkg libssl3t64 && ! have_pkg libssl3; then
  if apt-cache show libssl3t64 >/dev/null 2>&1; then missing+=(libssl3t64); else missing+=(libssl3); fi
fi
# Some nodejs builds carry npm themselves; Debian's splits it into its own package.
[ "$mode" = "--runtime" ] || command -v npm >/dev/null 2>&1 || missing+=(npm)

# Wait for another apt/dpkg run (a parallel test run, unattended upgrades) instead of failing at once.
apt_lock=(-o DPkg::Lock::Timeout=600)

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_lock[@]}" update -qq >&2
    apt_updated=1
  fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get "${apt_lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Downloads a package of Debian trixie through a source list derived at run time from this machine's
# own Debian sources (same URIs, suite renamed) and unpacks it into $trixie_work/x (not installed).
trixie_work=
trixie_extract() { # $1 = package
  if [ -z "$trixie_work" ]; then
    trixie_work=$(mktemp -d); trap 'rm -rf "$trixie_work"' EXIT
    mkdir -p "$trixie_work/lists/partial" "$trixie_work/archives/partial" "$trixie_work/sources.list.d"
    bash "$(dirname "$0")/trixie-sources.sh" "$trixie_work/sources.list.d"
    trixie_aptopts=(-o "Dir::Etc::sourcelist=/dev/null" -o "Dir::Etc::sourceparts=$trixie_work/sources.list.d"
             -o "Dir::State::lists=$trixie_work/lists" -o "Dir::Cache::archives=$trixie_work/archives"
             -o "Dir::Cache::pkgcache=$trixie_work/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$trixie_work/srcpkgcache.bin"
             -o "APT::Sandbox::User=root")
    apt-get "${trixie_aptopts[@]}" update -qq >&2
  fi
  (cd "$trixie_work" && apt-get "${trixie_aptopts[@]}" download "$1" >&2)
  mkdir -p "$trixie_work/x"
  local debs=("$trixie_work/$1"_*.deb)
  dpkg -x "${debs[0]}" "$trixie_work/x"
}

# --- restic -----------------------------------------------------------------------------------------
restic_ok() { # $1 = binary; true when it reports >= 0.17
  local v
  v=$("$1" version 2>/dev/null | awk '{print $2}') || return 1
  [ -n "$v" ] || return 1
  local major minor
  major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  [ "$major" -gt 0 ] || [ "$minor" -ge 17 ]
}

if [ -x "$RESTIC_PREFIX/bin/restic" ] && restic_ok "$RESTIC_PREFIX/bin/restic"; then
  :
elif command -v restic >/dev/null 2>&1 && restic_ok "$(command -v restic)"; then
  mkdir -p "$RESTIC_PREFIX/bin"
  ln -sf "$(command -v restic)" "$RESTIC_PREFIX/bin/restic"
else
  # Does this distribution's own candidate satisfy the requirement (trixie and newer)?
  apt_update_once
  cand=$(apt-cache policy restic 2>/dev/null | awk '/Candidate:/{print $2}')
  case "$cand" in
    0.1[7-9]*|0.[2-9][0-9]*)
      DEBIAN_FRONTEND=noninteractive apt-get "${apt_lock[@]}" install -y -qq --no-install-recommends restic >&2
      mkdir -p "$RESTIC_PREFIX/bin"; ln -sf /usr/bin/restic "$RESTIC_PREFIX/bin/restic" ;;
    *)
      echo "install-deps: distribution restic is '${cand:-none}'; fetching the trixie package" >&2
      trixie_extract restic
      mkdir -p "$RESTIC_PREFIX/bin"
      install -m 0755 "$trixie_work/x/usr/bin/restic" "$RESTIC_PREFIX/bin/restic"
      ;;
  esac
fi
# A stable name on PATH for tools and the runner image.
ln -sf "$RESTIC_PREFIX/bin/restic" /usr/local/bin/restic
v=$(/usr/local/bin/restic version | awk '{print $2}')
case "$v" in
  "$RESTIC_VERSION_WANTED"*) ;;
  *) echo "install-deps: note: restic $v installed; tests pin $RESTIC_VERSION_WANTED" >&2 ;;
esac
# --- rest-server ----------------------------------------------------------------------------------
# restic's REST server (Debian trixie: package and binary restic-rest-server) serves the append-only
# repository mode; the tests and the runtime image find it as `restic-rest-server`.
if ! command -v restic-rest-server >/dev/null 2>&1; then
  apt_update_once
  if apt-cache show restic-rest-server >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_lock[@]}" install -y -qq --no-install-recommends restic-rest-server >&2
  else
    echo "install-deps: fetching restic-rest-server from trixie" >&2
    trixie_extract restic-rest-server
    install -m 0755 "$trixie_work/x/usr/bin/restic-rest-server" /usr/local/bin/restic-rest-server
  fi
fi
echo "install-deps: restic $v, rsync $(rsync --version | head -n1 | awk '{print $3}')" >&2
echo "install-deps: $(restic-rest-server --version 2>&1 | head -n1)" >&2
