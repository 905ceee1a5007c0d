#!/usr/bin/env bash
# Runs the whole xunit suite (Release build). Usage: bash scripts/test.sh [extra dotnet test args]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet test GiantSharp.slnx -c Release -nologo "$@"
