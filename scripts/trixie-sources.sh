#!/usr/bin/env bash
# Writes apt sources for Debian trixie into folder $1, derived at run time from this machine's own Debian
# sources: the same URIs and keyrings, the suite renamed. Nothing about mirrors is written into the
# repository. Used by install-deps.sh (restic on an older Debian) and image/make-image.sh (the base rootfs).
set -euo pipefail
out="${1:?usage: trixie-sources.sh OUTDIR}"
mkdir -p "$out"
found=0
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  grep -q 'debian' "$f" || continue
  # Only the Debian stanzas (a stanza is a paragraph); third-party repositories stay out.
  awk 'BEGIN { RS=""; ORS="\n\n" } /URIs:[^\n]*debian/ && !/nodistro/' "$f" \
    | sed -E -e '/^Suites:/ { s/bookworm-security/trixie-security/; s/bookworm-updates/trixie-updates/; s/\bbookworm\b/trixie/g }' \
    > "$out/$(basename "$f")"
  if [ -s "$out/$(basename "$f")" ]; then found=1; else rm -f "$out/$(basename "$f")"; fi
done
if [ -f /etc/apt/sources.list ]; then
  sed -E 's/bookworm-(security|updates)/trixie-\1/g; s/\bbookworm\b/trixie/g' /etc/apt/sources.list \
    | grep -E '^deb ' | grep -E '/debian(-security)?/? ' > "$out/derived.list" || true
  if [ -s "$out/derived.list" ]; then found=1; else rm -f "$out/derived.list"; fi
fi
[ "$found" = 1 ] || { echo "trixie-sources: no Debian apt source found on this machine" >&2; exit 1; }
