#!/usr/bin/env bash
# Issue 13's cluster targets (docs/CLUSTER.md "Measured overhead", docs/PERFORMANCE.md):
#  1. overhead: the depth-5 ReLU NTK of N inputs written to a store by one process, then by three local silo
#     processes (`tangent serve --cluster local`) and a coordinator (`tangent kernel … --cluster local`) on the same
#     cores; the ratio of wall times and the extra core-time per chunk (µs);
#  2. fault: the cluster run again with one silo SIGKILLed at a random moment; the store must equal the
#     single-process one file for file (no chunk lost, identical bits);
#  3. the measured per-chunk costs that the scaling model takes (t_c compute core-seconds, t_w coordinator seconds).
#
#   benchmarks/cluster_overhead.sh                  # N=20000, d=20, chunk 1024
#   N=5000 CHUNK=512 benchmarks/cluster_overhead.sh
#
# Measure on a quiet machine (load below 0.5). Every silo started here is stopped at exit; the stores live in a
# temporary folder that is removed at exit (KEEP=1 keeps it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI=${CLI:-$ROOT/src/Tangent.Cli/bin/Release/net10.0/Tangent.Cli.dll}
N=${N:-20000}
D=${D:-20}
CHUNK=${CHUNK:-1024}
ARCH="dense(w=1.41,b=0.1) repeat(4){relu dense(w=1.41,b=0.1)}"
[ -f "$CLI" ] || { echo "cluster_overhead: $CLI is not built; run: dotnet build src/Tangent.Cli -c Release" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "cluster_overhead: /usr/bin/time (GNU time) is missing; install it (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d)
silos=()
cleanup() {
    for p in "${silos[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${silos[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ "${KEEP:-0}" = "1" ]; then echo "cluster_overhead: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cores=$(nproc)
nc=$(( (N + CHUNK - 1) / CHUNK ))
tiles=$(( nc * (nc + 1) / 2 ))
echo "cluster_overhead: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $cores cores, N=$N d=$D chunk $CHUNK ($tiles chunks to compute), arch '$ARCH' ntk"
awk -v n="$N" -v d="$D" 'BEGIN { srand(1); for (i = 0; i < n; i++) { for (j = 0; j < d; j++) printf "%s%.17g", (j ? "," : ""), 2 * rand() - 1; printf "\n" } }' > "$work/x.csv"

timed() {   # timed NAME ARGS…: `tangent kernel` with ARGS under GNU time into $work/NAME.time (wall user sys maxrss-KiB)
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/$name.time" \
        dotnet "$CLI" kernel --arch "$ARCH" --get ntk --x1 "$work/x.csv" --chunk "$CHUNK" "$@" > "$work/$name.log" 2>&1
}
calc() { awk "BEGIN { print $1 }"; }
field() { awk -v f="$2" '{ print $f }' "$work/$1.time"; }

start_silo() {   # start_silo PORT GATEWAY
    local log="$work/silo-$1.log" args=(serve --cluster local)
    [ "$1" = "11111" ] || args+=(--port "$1" --gateway-port "$2")
    dotnet "$CLI" "${args[@]}" > "$log" 2>&1 &
    silos+=($!)
    for _ in $(seq 600); do grep -q "listening on" "$log" 2>/dev/null && return 0; sleep 0.1; done
    echo "cluster_overhead: silo on port $1 did not start:" >&2; cat "$log" >&2; exit 1
}

echo "1/4 one process ..."
timed one --out "$work/one.zarr"
t1=$(field one 1); c1=$(calc "$(field one 2) + $(field one 3)")
echo "    wall $t1 s, cpu $c1 s, peak RSS $(( $(field one 4) / 1024 )) MiB"

echo "2/4 three local silos ..."
start_silo 11111 30000; start_silo 11112 30001; start_silo 11113 30002
timed cluster --out "$work/cluster.zarr" --cluster local
t3=$(field cluster 1); c3=$(calc "$(field cluster 2) + $(field cluster 3)")
diff -rq "$work/one.zarr" "$work/cluster.zarr" > /dev/null && same=identical || same=DIFFERENT
echo "    wall $t3 s, coordinator cpu $c3 s, store $same to the single-process one"

echo "3/4 three local silos, the third killed at a random moment ..."
timed fault --out "$work/fault.zarr" --cluster local &
run=$!
# A random moment while chunks are being written: after the first chunk file, within half the cluster run's time.
for _ in $(seq 3000); do [ -n "$(find "$work/fault.zarr" -maxdepth 1 -name '[0-9]*' -print -quit 2>/dev/null)" ] && break; sleep 0.02; done
kill_at=$(awk -v t="$t3" 'BEGIN { srand(); printf "%.2f", rand() * 0.5 * t }')
sleep "$kill_at"
written=$(find "$work/fault.zarr" -maxdepth 1 -name '[0-9]*' | wc -l)
kill -9 "${silos[2]}" 2>/dev/null && echo "    SIGKILL to the third silo $kill_at s after the first chunk was written ($written of $((nc * nc)) chunk files written)"
wait "$run" || { echo "    the coordinator failed:"; tail -3 "$work/fault.log"; }
tf=$(field fault 1)
diff -rq "$work/one.zarr" "$work/fault.zarr" > /dev/null && fsame=identical || fsame=DIFFERENT
echo "    wall $tf s, store $fsame to the single-process one"

echo "4/4 results"
ratio=$(calc "$t3 / $t1")
per_tile=$(calc "($t3 - $t1) * $cores / $tiles * 1000000")
tw=$(calc "$c3 / $tiles")
tc=$(calc "$t1 * $cores / $tiles")
printf "overhead: cluster/one = %.3f (target ≤ 1.15); extra core-time per chunk %.0f µs\n" "$ratio" "$per_tile"
printf "fault: store %s after a silo was killed with %s chunk files written (wall %s s)\n" "$fsame" "$written" "$tf"
printf "model inputs: t_c = %.4f core-s per chunk (one process: wall × cores / chunks), t_w = %.4f s per chunk (coordinator: receive, checksum, write), chunk %d, d %d\n" "$tc" "$tw" "$CHUNK" "$D"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$same" = identical ] && [ "$fsame" = identical ]
