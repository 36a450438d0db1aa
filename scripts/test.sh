#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine and prints the totals alone on the last line:
#   N passed, N failed, N skipped
# Optional system packages (OpenBLAS for the native provider, python3-sklearn/numpy/zarr for the
# cross-check tests, redis-server for the multi-process cluster test) are installed when running as root
# with apt; without them the native-provider, cross-check and multi-process tests are skipped, never failed.
# The full run starts its own Redis (127.0.0.1, a free port, a random password, no persistence, in a
# temporary folder) for tests/Tangent.Tests/Cluster/RedisClusterProcessTests.cs and stops it at exit.
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
  for p in libopenblas0-pthread python3-sklearn python3-numpy python3-scipy python3-mpmath python3-zarr redis-server dataset-fashion-mnist; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]} ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/tmp/tangent-apt.log 2>&1 \
      || echo "warning: apt-get install failed (see /tmp/tangent-apt.log); dependent tests will be skipped"
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

redis_pid=""
redis_dir=""
stop_redis() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; redis_pid=""; fi
  if [ -n "$redis_dir" ]; then rm -rf "$redis_dir"; redis_dir=""; fi
}
trap stop_redis EXIT
trap 'stop_redis; exit 130' INT TERM
if [ "$fast" = "0" ]; then
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    redis_dir=$(mktemp -d)
    redis_pw=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    for attempt in 1 2 3 4 5; do
      port=$((20000 + RANDOM % 20000))
      # The password goes in a config file (not argv, which ps shows); no snapshots, no append-only file.
      printf 'bind 127.0.0.1\nport %s\nrequirepass %s\nsave ""\nappendonly no\ndir %s\nlogfile %s/redis.log\n' \
        "$port" "$redis_pw" "$redis_dir" "$redis_dir" > "$redis_dir/redis.conf"
      redis-server "$redis_dir/redis.conf" &
      redis_pid=$!
      up=0
      for _ in $(seq 50); do
        if REDISCLI_AUTH="$redis_pw" redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then up=1; break; fi
        kill -0 "$redis_pid" 2>/dev/null || break
        sleep 0.1
      done
      if [ "$up" = "1" ]; then
        export TANGENT_TEST_REDIS="redis://127.0.0.1:$port" TANGENT_TEST_REDIS_PASSWORD="$redis_pw"
        echo "redis-server started on 127.0.0.1:$port for the multi-process cluster test (stopped at exit)"
        break
      fi
      kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; redis_pid=""
    done
    [ -n "$redis_pid" ] || { echo "warning: redis-server did not start; the multi-process cluster test will be skipped:"; tail -3 "$redis_dir/redis.log" 2>/dev/null; }
  else
    echo "note: redis-server is not installed (apt-get install redis-server); the multi-process cluster test will be skipped"
  fi
fi
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
