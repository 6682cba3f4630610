#!/usr/bin/env bash
# Publishes the runner as one self-contained file into image/out/ for image/Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/.."
rid="${RID:-linux-x64}"
dotnet publish src/ManifestGen.Runner -c Release -r "$rid" --self-contained \
  -p:PublishSingleFile=true -p:DebugType=none -o image/out
echo "image/out/manifestgen-runner ($rid) ready; docker build -f image/Dockerfile ." >&2
