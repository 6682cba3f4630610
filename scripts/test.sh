#!/usr/bin/env bash
# The README's test command (`make test`): installs whatever is missing, idempotently, then runs all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build ManifestGen.sln -c Release
# Test projects run one after another: the runner and end-to-end tests start real sshd/restic processes.
status=0
for proj in tests/ManifestGen.Tests tests/ManifestGen.Runner.Tests tests/ManifestGen.E2E.Tests; do
  dotnet test "$proj" -c Release --no-build --logger "console;verbosity=normal" || status=1
done
# Independent schema validation of every rendered document (pinned npm packages, tools/schema-validate).
bash tools/schema-validate/run.sh out || status=1
exit $status
