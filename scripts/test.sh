#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine and prints the totals alone on the last line:
#   N passed, N failed, N skipped
# Optional system packages (OpenBLAS for the native provider, python3-sklearn/numpy/zarr for the
# cross-check tests) are installed when running as root with apt; without them the native-provider
# and cross-check tests are skipped, never failed.
#   scripts/test.sh --fast   the edit-test loop: skips tests tagged [Trait("Category", "Slow")]
#                            (child processes, signals), the apt step and the style check; CI runs everything.
# The full run also checks the code style (`dotnet format --verify-no-changes`, docs/CONTRIBUTING.md "Style"); a
# style difference counts as one failed test and names the fix (`dotnet format`).
set -uo pipefail
cd "$(dirname "$0")/.."
filter=()
fast=0
if [ "${1:-}" = "--fast" ]; then fast=1; filter=(--filter "Category!=Slow"); export TANGENT_NO_APT=1; fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && [ "${TANGENT_NO_APT:-}" != "1" ]; then
  need=()
  for p in libopenblas0-pthread python3-sklearn python3-numpy python3-scipy python3-mpmath python3-zarr; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]} ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/tmp/tangent-apt.log 2>&1 \
      || echo "warning: apt-get install failed (see /tmp/tangent-apt.log); dependent tests will be skipped"
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results=$(mktemp -d)
dotnet test Tangent.sln -c Release "${filter[@]}" --logger "console;verbosity=normal" --logger "trx;LogFilePrefix=tangent" --results-directory "$results"
rc=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$counters"; }
  passed=$((passed + $(get passed))); failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get total) - $(get executed)))
done
rm -rf "$results"
if [ "$rc" != "0" ] && [ "$failed" = "0" ]; then failed=1; echo "build or test host failed (exit $rc)"; fi

if [ "$fast" = "0" ]; then
  echo "checking the code style (dotnet format --verify-no-changes) ..."
  style_log=$(mktemp)
  if dotnet format Tangent.sln --verify-no-changes >"$style_log" 2>&1; then
    echo "style: ok"
  else
    diffs=$(grep -E '(error|warning) ' "$style_log" | sed -E "s#^$PWD/##; s# \[[^]]*\]\$##")
    if [ -n "$diffs" ]; then head -40 <<<"$diffs"; else tail -20 "$style_log"; fi
    echo "style: the code differs from .editorconfig (above). Run 'dotnet format' at the repository root, review and commit the changes."
    failed=$((failed + 1)); rc=1
  fi
  rm -f "$style_log"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = "0" ] && [ "$rc" = "0" ]
