#!/usr/bin/env bash
# A plain git pre-commit hook: `ln -s ../../scripts/pre-commit.sh .git/hooks/pre-commit`.
# It checks what is staged, not the working tree: values/, templates/ and out/ are copied out of the
# index into a temporary folder and `manifestgen check` runs there. The immutable-field warnings compare
# with out/ at HEAD (what the cluster has), through the repository's git directory.
set -euo pipefail
root="$(git rev-parse --show-toplevel)"
git_dir="$(git -C "$root" rev-parse --absolute-git-dir)"
staged="$(mktemp -d "${TMPDIR:-/tmp}/manifestgen-staged.XXXXXX")"
trap 'rm -rf "$staged"' EXIT
git -C "$root" ls-files -z --cached -- values templates out | git -C "$root" checkout-index -z --stdin --prefix="$staged/"
mkdir -p "$staged/values" "$staged/templates"
status=0
MANIFESTGEN_GIT_DIR="$git_dir" MANIFESTGEN_ROOT="$staged" "$root/scripts/manifestgen.sh" check || status=$?
exit "$status"
