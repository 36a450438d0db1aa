#!/usr/bin/env bash
# Kernel store at scale (docs/STORE.md, docs/SOLVERS.md "Kernel stores"): writes an N×N kernel of a cheap architecture into a
# .zarr store under /tmp with the peak RSS measured, writes it again but kills that run with SIGKILL at a random moment,
# resumes it with the same command, then checks `tangent store verify` and that the per-chunk checksums equal those of the
# uninterrupted store. Prints the peak RSS and time of each phase and the verdict (exit 0 only when the stores agree).
#
# Defaults are the design size (N = 100,000: an 80 GB float64 store, hours of CPU); a tiny run takes seconds:
#   N=600 D=5 CHUNK=64 benchmarks/store_100k.sh
#
# Environment:
#   N, D, CHUNK     rows, input features, chunk edge (default 100000, 20, 1024)
#   ARCH, GET       the architecture and nngp|ntk (default "dense relu dense", nngp)
#   BUDGET          --memory-budget for the kernel runs, e.g. 2GB (default: none)
#   WORK            the folder for inputs and stores (default: a new /tmp/tangent-store-100k.XXXXXX, removed at the end
#                   unless KEEP=1)
#   CLI             the built CLI (default src/Tangent.Cli/bin/Release/net10.0/Tangent.Cli.dll; build it first with
#                   dotnet build src/Tangent.Cli -c Release)
#   SEED            seed of the synthetic inputs and of the kill moment (default 1)
set -euo pipefail

N=${N:-100000}
D=${D:-20}
CHUNK=${CHUNK:-1024}
ARCH=${ARCH:-"dense relu dense"}
GET=${GET:-nngp}
SEED=${SEED:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI=${CLI:-$ROOT/src/Tangent.Cli/bin/Release/net10.0/Tangent.Cli.dll}
[ -f "$CLI" ] || { echo "store_100k: $CLI is not built; run: dotnet build src/Tangent.Cli -c Release" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "store_100k: /usr/bin/time (GNU time, for the peak RSS) is missing; install it (apt-get install time)" >&2; exit 2; }
OWN_WORK=0
if [ -z "${WORK:-}" ]; then WORK=$(mktemp -d /tmp/tangent-store-100k.XXXXXX); OWN_WORK=1; fi
mkdir -p "$WORK"
cleanup() { if [ "$OWN_WORK" = 1 ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

# float32 stores when this build's `tangent kernel` has --dtype, else float64 (the store's format at the time of writing).
DTYPE=()
if dotnet "$CLI" kernel --help | grep -q -- '--dtype'; then DTYPE=(--dtype float32); fi
BUDGET_ARGS=()
if [ -n "${BUDGET:-}" ]; then BUDGET_ARGS=(--memory-budget "$BUDGET"); fi

echo "store_100k: N=$N D=$D chunk=$CHUNK arch='$ARCH' get=$GET ${DTYPE[*]:-float64} ${BUDGET_ARGS[*]:-} in $WORK"

# Synthetic inputs, uniform in [-1, 1], seeded (awk's generator: the same file for every phase of this run).
awk -v n="$N" -v d="$D" -v seed="$SEED" 'BEGIN { srand(seed); for (i = 0; i < n; i++) { line = ""; for (j = 0; j < d; j++) line = line (j ? "," : "") sprintf("%.6f", 2 * rand() - 1); print line } }' > "$WORK/x.csv"

run_kernel() {   # run_kernel STORE TIMEFILE: one tangent kernel run under GNU time, in the background; sets pid (time's)
    /usr/bin/time -v -o "$2" dotnet "$CLI" kernel --arch "$ARCH" --get "$GET" --x1 "$WORK/x.csv" --chunk "$CHUNK" \
        "${DTYPE[@]}" "${BUDGET_ARGS[@]}" --out "$1" > "$2.log" 2>&1 &
    pid=$!
}
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.1f MiB", $2 / 1024 }' "$1"; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$1"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# 1. The uninterrupted reference store.
t0=$(now)
run_kernel "$WORK/ref.zarr" "$WORK/ref.time"
wait "$pid" || { echo "store_100k: the reference run failed:" >&2; cat "$WORK/ref.time.log" >&2; exit 1; }
t1=$(now)
ref_s=$(elapsed "$t0" "$t1")
echo "reference:   peak RSS $(rss "$WORK/ref.time"), wall $(wall "$WORK/ref.time") (${ref_s} s), $(du -sh "$WORK/ref.zarr" | cut -f1) on disk"
# Only its checksums are compared below: keep them and free the disk (two full 100,000² stores need 80 GB even in float32).
cp -r "$WORK/ref.zarr/checksums" "$WORK/ref-checksums"
rm -rf "$WORK/ref.zarr"

# 2. The same command, killed with SIGKILL at a random moment between 10 % and 80 % of the reference's time.
kill_at=$(awk -v t="$ref_s" -v seed="$SEED" 'BEGIN { srand(seed + 7); printf "%.2f", t * (0.1 + 0.7 * rand()) }')
run_kernel "$WORK/K.zarr" "$WORK/killed.time"
sleep "$kill_at"
child=$(pgrep -P "$pid" || true)   # the dotnet process under GNU time
interrupted=no
if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -9 "$child" && interrupted=yes
fi
wait "$pid" || true
done_before=$(dotnet "$CLI" store info "$WORK/K.zarr" 2>/dev/null | awk '/^chunks:/ { print $2 " of " $4 }' || true)
echo "killed:      after ${kill_at} s (SIGKILL sent: $interrupted), peak RSS $(rss "$WORK/killed.time"), chunks done ${done_before:-none}"

# 3. Resume: the same command again.
run_kernel "$WORK/K.zarr" "$WORK/resumed.time"
wait "$pid" || { echo "store_100k: the resumed run failed:" >&2; cat "$WORK/resumed.time.log" >&2; exit 1; }
echo "resumed:     peak RSS $(rss "$WORK/resumed.time"), wall $(wall "$WORK/resumed.time"); $(grep -o 'wrote .*' "$WORK/resumed.time.log" | head -1)"

# 4. Verify: every chunk against its checksum, and the checksums against the uninterrupted store's.
verdict=PASS
if ! dotnet "$CLI" store verify "$WORK/K.zarr" > "$WORK/verify.log" 2>&1; then verdict=FAIL; fi
echo "verify:      $(head -1 "$WORK/verify.log")"
chunks=$(find "$WORK/ref-checksums" -name '*.sha256' | wc -l)
if diff -rq "$WORK/ref-checksums" "$WORK/K.zarr/checksums" > "$WORK/diff.log" 2>&1; then
    echo "checksums:   all $chunks per-chunk checksums equal the uninterrupted store's"
else
    verdict=FAIL
    echo "checksums:   differ from the uninterrupted store's: $(head -3 "$WORK/diff.log" | tr '\n' ' ')"
fi
[ "$interrupted" = yes ] || echo "note:        the run finished before the kill; run again with another SEED to interrupt it"
echo "verdict:     $verdict"
[ "$verdict" = PASS ]
