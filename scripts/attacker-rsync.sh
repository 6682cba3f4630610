#!/usr/bin/env bash
# Builds, once per machine, the rsync the host gate's attack tests use: Debian's rsync 3.2.7 source (the
# version on most LTS hosts, which follows links a previous push planted) with one addition on the
# client side: RSYNC_RAW_FILTER=RULE is sent over the protocol as written (a stock client expands a
# `merge FILE` rule itself and sends its lines; this one makes the other side read FILE). As a server it
# is a plain rsync 3.2.7, so the same binary also plays an old host's rsync.
# The source comes through a deb-src list derived at run time from this machine's own Debian sources
# (same URIs and keyrings); nothing about mirrors is written into the repository.
# Prints the binary's path. Cached in $MANIFESTGEN_CACHE (default /var/cache/manifestgen).
set -euo pipefail
# shellcheck source=scripts/build-cache.sh
. "$(dirname "$0")/build-cache.sh"
version=3.2.7-1+deb12u6
cache=${MANIFESTGEN_CACHE:-/var/cache/manifestgen}/attacker-rsync-$version-acl
out=$cache/rsync
hold_lock "$cache.lock" 1800 || { echo "attacker-rsync: waited half an hour for $cache.lock" >&2; exit 1; }
mkdir -p "$cache"
if [ -x "$out" ] && "$out" --version >/dev/null 2>&1; then
  echo "$out"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/sources.list.d"
found=0
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  awk 'BEGIN { RS=""; ORS="\n\n" } /URIs:[^\n]*debian/ && !/nodistro/' "$f" | sed -E 's/^Types:.*/Types: deb-src/' >"$work/sources.list.d/${f##*/}"
  [ -s "$work/sources.list.d/${f##*/}" ] && found=1
done
if [ -f /etc/apt/sources.list ]; then
  grep -E '^deb ' /etc/apt/sources.list | grep -E '/debian(-security)?/? ' | sed 's/^deb /deb-src /' >"$work/sources.list.d/derived.list" || true
  [ -s "$work/sources.list.d/derived.list" ] && found=1
fi
[ "$found" = 1 ] || { echo "attacker-rsync: no Debian apt source found on this machine" >&2; exit 1; }
opts=(-o "Dir::Etc::sourcelist=/dev/null" -o "Dir::Etc::sourceparts=$work/sources.list.d" -o "Dir::State::lists=$work/lists"
      -o "Dir::Cache::pkgcache=$work/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$work/srcpkgcache.bin" -o "APT::Sandbox::User=root")
apt-get "${opts[@]}" update -qq >&2
(cd "$work" && apt-get "${opts[@]}" source --download-only "rsync=$version" >&2)
(cd "$work" && dpkg-source -x rsync_*.dsc src >&2)
cd "$work/src"
python3 - <<'PATCH'
p = 'exclude.c'
s = open(p).read()
old = '\tsend_rules(f_out, &filter_list);\n\n\tif (f_out >= 0)\n\t\twrite_int(f_out, 0);'
new = ('\tsend_rules(f_out, &filter_list);\n\n'
       '\tif (f_out >= 0 && getenv("RSYNC_RAW_FILTER")) {\n'
       '\t\tconst char *raw = getenv("RSYNC_RAW_FILTER");\n'
       '\t\tint len = strlen(raw);\n'
       '\t\twrite_int(f_out, len);\n'
       '\t\twrite_buf(f_out, raw, len);\n'
       '\t}\n\n'
       '\tif (f_out >= 0)\n\t\twrite_int(f_out, 0);')
assert s.count(old) == 1, 'send_filter_list changed'
open(p, 'w').write(s.replace(old, new))
PATCH
# Debian's patches touch configure.ac: keep the shipped configure instead of asking for autoconf.
touch aclocal.m4 configure.ac && sleep 1 && touch configure.sh config.h.in configure
./configure --disable-md2man --disable-xxhash --disable-zstd --disable-lz4 --disable-openssl \
  --with-included-popt --with-included-zlib >"$work/configure.log" 2>&1 || { tail -20 "$work/configure.log" >&2; exit 1; }
# As Debian's rsync: with ACLs (the host's rsync keeps them; a build without would refuse -A).
grep -q '^#define SUPPORT_ACLS 1' config.h || { echo "attacker-rsync: configure found no ACL support (libacl1-dev)" >&2; exit 1; }
sleep 1 && touch config.status config.h Makefile
make -j"$(nproc)" rsync >"$work/make.log" 2>&1 || { tail -20 "$work/make.log" >&2; exit 1; }
install -m 0755 rsync "$out.new" && mv -f "$out.new" "$out"
echo "$out"
