#!/usr/bin/env bash
# Kernel SVM training against scikit-learn's SVC (libsvm) on the same precomputed kernel (docs/SVM.md, "Speed"):
# benchmarks/svm_sklearn.py makes a 10-class Gaussian-mixture task and its Gaussian kernel as .npy files, times
# SVC(kernel='precomputed').fit at each C, then `Tangent.Benchmarks quick svm` times SupportVectorClassifier.FitKernel on
# the same files and prints sklearn_time / tangent_time (> 1: Tangent is faster) and the share of equal test predictions.
#
# The design size is N = 10000 (an 800 MB kernel, held by each process in turn); a check takes seconds:
#   N=2000 TEST=500 benchmarks/svm_vs_sklearn.sh
#
# Environment:
#   N, TEST, CLASSES, D   training and test points, classes, input dimensions (default 10000, 2000, 10, 20)
#   CS                    the values of C (default "1 100")
#   WORK                  the folder for the .npy files (default: a new /tmp/tangent-svm.XXXXXX, removed at the end unless KEEP=1)
#   PYTHON                a python3 with numpy and scikit-learn (default /usr/bin/python3; Debian: apt-get install python3-sklearn)
set -euo pipefail

N=${N:-10000}
TEST=${TEST:-2000}
CLASSES=${CLASSES:-10}
D=${D:-20}
CS=${CS:-"1 100"}
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$PYTHON" -c "import numpy, sklearn" 2>/dev/null || { echo "svm_vs_sklearn: $PYTHON lacks numpy or scikit-learn; install them (apt-get install python3-sklearn)" >&2; exit 2; }
WORK=${WORK:-$(mktemp -d /tmp/tangent-svm.XXXXXX)}
mkdir -p "$WORK"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

dotnet build "$ROOT/benchmarks/Tangent.Benchmarks" -c Release -v q -nologo > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 2; }
"$PYTHON" "$ROOT/benchmarks/svm_sklearn.py" make "$WORK" --n "$N" --test "$TEST" --classes "$CLASSES" --d "$D"
# shellcheck disable=SC2086
"$PYTHON" "$ROOT/benchmarks/svm_sklearn.py" time "$WORK" $CS
# shellcheck disable=SC2086
dotnet "$ROOT/benchmarks/Tangent.Benchmarks/bin/Release/net10.0/Tangent.Benchmarks.dll" quick svm "$WORK" $CS
