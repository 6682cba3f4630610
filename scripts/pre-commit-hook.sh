#!/bin/sh
# The command of the pre-commit hooks a GitOps repository uses by `rev:` (.pre-commit-hooks.yaml). When
# pre-commit installs a rev it packs and installs the framework-dependent .NET tool `manifestgen` into its
# environment folder, and the pack compiles the native generator once beside it (src/ManifestGen's target
# PreCommitNativeHook) and copies this script there as `manifestgen-hook`. It runs the native executable
# where that compile succeeded, else the .NET tool (README: what a check of the examples takes with each).
here=$(dirname "$0")
if [ -x "$here/../native/manifestgen" ]; then
  exec "$here/../native/manifestgen" "$@"
fi
exec "$here/manifestgen" "$@"
