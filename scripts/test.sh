#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine and prints the totals alone on the last line:
#   N passed, N failed, N skipped
# Optional system packages (OpenBLAS for the native provider, python3-sklearn/numpy for the
# cross-check tests) are installed when running as root with apt; without them the native-provider
# and cross-check tests are skipped, never failed.
#   scripts/test.sh --fast   the edit-test loop: skips tests tagged [Trait("Category", "Slow")]
#                            (child processes, signals) and the apt step; CI runs everything.
set -uo pipefail
cd "$(dirname "$0")/.."
filter=()
if [ "${1:-}" = "--fast" ]; then filter=(--filter "Category!=Slow"); export TANGENT_NO_APT=1; fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && [ "${TANGENT_NO_APT:-}" != "1" ]; then
  need=()
  for p in libopenblas0-pthread python3-sklearn python3-numpy python3-scipy python3-mpmath; do
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
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = "0" ] && [ "$rc" = "0" ]
