#!/usr/bin/env bash
# `make test-fresh`: the quick start on a machine that has never run the suite, every time. A fresh root
# filesystem (image/make-image.sh --fresh-machine: Debian trixie with git, make and the .NET SDK's
# libraries, from this machine's own apt sources), booted under runc with a fresh clone of the current
# commit and this machine's .NET SDK bound in read-only, runs `make render` and `make test` there: every
# package install, image build, NuGet and npm restore is the first one, and nothing of this machine's
# users, caches, images or earlier runs is seen. Uncommitted changes are not part of the clone.
#
# The container is privileged-ish, as the suite needs on any machine: every capability this process has,
# no seccomp filter, all devices (/dev bound, for FUSE and the pods' devices), /sys writable with this
# machine's cgroup hierarchy (runc and podman inside create cgroups with the cgroupfs manager) and this
# machine's network namespace (apt and NuGet reach their sources; the suite makes its own network
# namespaces inside). Its own mount, PID, IPC and UTS namespaces keep everything it mounts, starts and
# names its own. runc runs with the cgroupfs manager and explicit rlimits, as image/make-image.sh runs podman.
#
# Its figures (wall time, the suite's closing line) end the output; the whole log is kept in
# .tmp/test-fresh/<time>.log. KEEP=1 keeps the root filesystem (in $MANIFESTGEN_CACHE/fresh/) afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
say() { echo "test-fresh: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "needs root (mmdebstrap, runc)"; exit 2; }
for t in runc git setpriv; do command -v "$t" >/dev/null || { say "$t missing (run scripts/install-deps.sh)"; exit 2; }; done
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[ -x "$dotnet_root/dotnet" ] || { say "no .NET SDK found (dotnet on PATH)"; exit 2; }
cache="${MANIFESTGEN_CACHE:-/var/cache/manifestgen}"
commit=$(git rev-parse HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] || say "note: uncommitted changes are not tested (the clone is of $commit)"

started=$SECONDS
tarball=$(bash image/make-image.sh --fresh-machine | tail -n1)
id="mgfresh-$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')"
run="$cache/fresh/$id"
mkdir -p "$run/rootfs" .tmp/test-fresh
log="$repo/.tmp/test-fresh/$(date -u +%Y%m%dT%H%M%SZ).log"
# shellcheck disable=SC2317  # (called by the trap)
cleanup() {
  runc --root /run/manifestgen-fresh delete --force "$id" >/dev/null 2>&1 || true
  if [ "${KEEP:-0}" = 1 ]; then say "kept $run"; else rm -rf --one-file-system "$run"; fi
}
trap cleanup EXIT

# --- the machine: the root filesystem, the clone, the SDK ---------------------------------------------
tar -C "$run/rootfs" --numeric-owner -xpf "$tarball"
root=$run/rootfs
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The certificate authorities this machine's administrator added (as its apt sources, the machine's own
# configuration): where the network inspects TLS, NuGet and npm inside trust what they trust here.
if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
  cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1 || { say "update-ca-certificates failed in the root"; exit 1; }
fi
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tfresh\n' > "$root/etc/hosts"
echo fresh > "$root/etc/hostname"
mkdir -p "$run/source" "$root/usr/share/dotnet" "$root/mnt/source"
git bundle create "$run/source/source.bundle" HEAD >/dev/null 2>&1
ln -sf /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"
cat > "$root/usr/local/sbin/manifestgen-fresh-run" <<SCRIPT
#!/bin/bash
# What a person does on a new machine: clone, render, test (scripts/test-fresh.sh runs this inside).
set -uo pipefail
export HOME=/root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
git clone --quiet /mnt/source/source.bundle /root/manifestgen && cd /root/manifestgen && git checkout --quiet --detach $commit || exit 1
echo "test-fresh: clone of \$(git rev-parse --short HEAD) on \$(. /etc/os-release; echo "\$PRETTY_NAME"), .NET SDK \$(dotnet --version)"
make render || exit 1
make test
SCRIPT
chmod 0755 "$root/usr/local/sbin/manifestgen-fresh-run"

# --- the container (OCI configuration for runc) -----------------------------------------------------
# Every capability runc can grant: those in this process's bounding set (setpriv lists the names in bit order).
bnd=$((16#$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)))
caps=$(setpriv --list-caps | awk -v b="$bnd" '{ if (int(b / 2^(NR-1)) % 2 == 1) printf "%s\"CAP_%s\"", (n++ ? "," : ""), toupper($0) }')
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 16384 ] && nofile=16384
[ "$nproc" = unlimited ] || [ "$nproc" -gt 65536 ] && nproc=65536
mount_json() { printf '{"destination":"%s","type":"%s","source":"%s","options":[%s]}' "$1" "$2" "$3" "$4"; }
cat > "$run/config.json" <<JSON
{
  "ociVersion": "1.0.2-dev",
  "root": { "path": "$root", "readonly": false },
  "hostname": "fresh",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": ["/usr/local/sbin/manifestgen-fresh-run"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"],
    "cwd": "/root",
    "capabilities": { "bounding": [$caps], "effective": [$caps], "permitted": [$caps] },
    "rlimits": [
      { "type": "RLIMIT_NOFILE", "hard": $nofile, "soft": $nofile },
      { "type": "RLIMIT_NPROC", "hard": $nproc, "soft": $nproc }
    ],
    "noNewPrivileges": false
  },
  "mounts": [
    $(mount_json /proc proc proc '"nosuid","noexec","nodev"'),
    $(mount_json /dev bind /dev '"rbind","rw"'),
    $(mount_json /sys bind /sys '"rbind","rw"'),
    $(mount_json /run tmpfs tmpfs '"nosuid","nodev","mode=755"'),
    $(mount_json /usr/share/dotnet bind "$dotnet_root" '"rbind","ro"'),
    $(mount_json /mnt/source bind "$run/source" '"rbind","ro"')
  ],
  "linux": {
    "cgroupsPath": "/$id",
    "resources": { "devices": [{ "allow": true, "access": "rwm" }] },
    "namespaces": [{ "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }]
  }
}
JSON

say "$id: a fresh trixie root, a clone of $(git rev-parse --short HEAD), make render && make test (log: $log)"
status=0
runc --root /run/manifestgen-fresh run --bundle "$run" "$id" < /dev/null 2>&1 | tee "$log" || status=1
wall=$((SECONDS - started))
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n1 || true)
echo "test-fresh: ${summary:-no closing line (the run stopped before the tests ended)}; wall time ${wall} s ($((wall / 60)) min $((wall % 60)) s) for the root, the clone, make render and make test; exit $status"
exit $status
