#!/bin/bash
# The throwaway SSH host's sandbox (pods run in the runner image under runc, not here).
# Builds a container-like root inside a fresh mount, UTS and PID namespace (started by
# `unshare --mount --uts --pid --fork --kill-child --propagation private`) and execs the workload there.
#
# The plan (argument 1) is a file of NUL-terminated fields written by SandboxPlan.Write, so paths and
# arguments need no quoting. The workload's environment is this script's own environment, unchanged:
# its values (some come from Secrets) never appear on a command line. Tools are called by absolute
# path because PATH belongs to the workload.
#
# Root filesystem: an overlay whose lower layer is this machine's / (the image does not exist here),
# with /tmp, /run, /var/tmp, /root, /home, /work and /srv masked by empty file systems; made read-only
# when the spec says readOnlyRootFilesystem. Volumes are bind-mounted on top, then the workload is
# exec'd through pivot_root + setpriv (user, groups, capability bounding set, no_new_privs) + env -C (workingDir).
set -euo pipefail
exec 3<"$1"
field() { IFS= read -r -d '' "$1" <&3 || { echo "sandbox: plan truncated at $1" >&2; exit 125; }; }
# Every variable `field` fills, declared here: static analysis cannot see a read into a variable whose name
# is an argument.
base='' hostname='' uid='' gid='' groups='' caps='' nnp='' rofs='' workdir='' src='' dst='' mode='' access='' kind=''

field base; field hostname; field uid; field gid; field groups; field caps; field nnp; field rofs; field workdir
R="$base/fs"

/usr/bin/mount -t tmpfs -o mode=0755 sandbox "$base"
/usr/bin/mkdir "$base/upper" "$base/work" "$R"
/usr/bin/mount -t overlay overlay -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$R"

# Devices: a minimal /dev as container runtimes give it.
/usr/bin/mount -t tmpfs -o mode=0755,nosuid sandbox-dev "$R/dev"
for d in null zero full random urandom tty; do
  : > "$R/dev/$d"; /usr/bin/mount --bind "/dev/$d" "$R/dev/$d"
done
/usr/bin/mkdir "$R/dev/shm" "$R/dev/pts"
/usr/bin/mount -t tmpfs -o mode=1777,nosuid,nodev sandbox-shm "$R/dev/shm"
/usr/bin/ln -s /proc/self/fd "$R/dev/fd"
/usr/bin/ln -s /proc/self/fd/0 "$R/dev/stdin"; /usr/bin/ln -s /proc/self/fd/1 "$R/dev/stdout"; /usr/bin/ln -s /proc/self/fd/2 "$R/dev/stderr"
/usr/bin/mount -t proc proc "$R/proc"
/usr/bin/mount --rbind /sys "$R/sys"
/usr/bin/mount -o remount,bind,ro "$R/sys"

# Host-specific places an image would not have: empty, and read-only with the root when asked.
masks=()
for m in tmp run var/tmp root home work srv mnt; do
  if [ ! -d "$R/$m" ] || [ -L "$R/$m" ]; then continue; fi
  mode=0755; case "$m" in tmp|var/tmp) mode=1777 ;; esac
  /usr/bin/mount -t tmpfs -o "mode=$mode" sandbox-mask "$R/$m"
  masks+=("$R/$m")
done

# Extra devices (field list ends with an empty field).
while field dev && [ -n "$dev" ]; do
  : > "$R$dev"; /usr/bin/mount --bind "$dev" "$R$dev"
done

# Paths are resolved inside the new root (chroot), so an absolute symlink such as /var/run -> /run
# leads to the sandbox's /run and never to this machine's.
inroot() { /usr/sbin/chroot "$R" "$@"; }

# Files written into the root (the runner's wrapper, /etc/hosts): source, target, mode.
while field src && [ -n "$src" ]; do
  field dst; field mode
  inroot /usr/bin/mkdir -p "$(/usr/bin/dirname "$dst")"
  real=$(inroot /usr/bin/realpath -e -- "$(/usr/bin/dirname "$dst")")
  /usr/bin/install -m "$mode" "$src" "$R$real/$(/usr/bin/basename "$dst")"
done

# Volume mounts in order: source, target, ro|rw, file|dir. Targets are created first, then the root is made
# read-only if asked, then the volumes are bound (so a volume at /tmp stays writable over a read-only root).
srcs=(); dsts=(); accs=(); kinds=()
while field src && [ -n "$src" ]; do
  field dst; field access; field kind
  srcs+=("$src"); dsts+=("$dst"); accs+=("$access"); kinds+=("$kind")
done
make_target() { # $1 target inside the root, $2 kind
  if [ "$2" = file ]; then
    inroot /usr/bin/mkdir -p "$(/usr/bin/dirname "$1")" && { inroot /usr/bin/test -e "$1" || inroot /usr/bin/touch "$1"; }
  else
    inroot /usr/bin/mkdir -p "$1"
  fi
}
for i in "${!dsts[@]}"; do make_target "${dsts[$i]}" "${kinds[$i]}" 2>/dev/null || true; done

/usr/bin/hostname "$hostname"
# Where the machine's root goes when the sandbox's root takes its place (created before a read-only remount).
/usr/bin/mkdir "$R/.sandbox-oldroot"

if [ "$rofs" = 1 ]; then
  /usr/bin/mount -o remount,bind,ro "$R"
  for m in "${masks[@]}"; do /usr/bin/mount -o remount,bind,ro "$m"; done
fi

for i in "${!dsts[@]}"; do
  # A target inside an earlier volume exists only once that volume is mounted.
  inroot /usr/bin/test -e "${dsts[$i]}" || make_target "${dsts[$i]}" "${kinds[$i]}" \
    || { echo "sandbox: cannot create mount point ${dsts[$i]}" >&2; exit 125; }
  t="$R$(inroot /usr/bin/realpath -e -- "${dsts[$i]}")"
  /usr/bin/mount --bind "${srcs[$i]}" "$t"
  if [ "${accs[$i]}" = ro ]; then /usr/bin/mount -o remount,bind,ro "$t"; fi
done

argv=()
while field a && [ -n "$a" ]; do argv+=("${a:1}"); done  # each argument is prefixed with '+' so it may be empty
[ "${#argv[@]}" -gt 0 ] || { echo "sandbox: no command" >&2; exit 125; }

priv=(--reuid="$uid" --regid="$gid")
if [ -n "$groups" ]; then priv+=(--groups="$groups"); else priv+=(--clear-groups); fi
if [ "$caps" != "*" ]; then priv+=(--inh-caps=-all --bounding-set="-all${caps:+,$caps}"); fi
if [ "$nnp" = 1 ]; then priv+=(--no-new-privs); fi

exec 3<&-
# The root becomes the sandbox's own by pivot_root, as a container runtime does, not by chroot: a workload
# that builds namespaces of its own (the host gate's bubblewrap) needs a root that is its mount
# namespace's root. The machine's root is then detached.
cd "$R"
/usr/sbin/pivot_root . .sandbox-oldroot
cd /
/usr/bin/umount -l /.sandbox-oldroot
# bash exports a few variables of its own; take them out so the workload sees exactly its spec's environment.
exec /usr/bin/setpriv "${priv[@]}" /usr/bin/env -u SHLVL -u _ -u OLDPWD -u PWD -C "$workdir" -- "${argv[@]}"
