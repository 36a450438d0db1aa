#!/usr/bin/env bash
# Regenerates every experiment report with its default settings: one report folder per experiment in
# OUT/NAME (default OUT: experiments), then a summary of the times (docs/EXPERIMENTS.md, "All reports").
#   scripts/experiments.sh [OUT] [more options of `tangent experiment all`, e.g. --only kernels,linear --seed 1]
# Builds the CLI in Release first; exits with the command's exit code (2 when an experiment failed).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-experiments}"
[ $# -gt 0 ] && shift
dotnet build src/Tangent.Cli -c Release -v quiet -nologo
exec dotnet src/Tangent.Cli/bin/Release/net10.0/Tangent.Cli.dll experiment all --out "$out" "$@"
