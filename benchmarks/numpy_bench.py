#!/usr/bin/python3
"""GFLOP/s of numpy's GEMM and Cholesky, for comparison with `tangent bench`.

Same sizes, same flop counts (2n^3 for GEMM, n^3/3 for Cholesky), one warm-up then the best of
--repeats runs. numpy uses whatever BLAS it was built against (Debian: the system OpenBLAS).

    /usr/bin/python3 benchmarks/numpy_bench.py [--gemm-n 4096] [--cholesky-n 8000] [--repeats 3]
"""
import argparse
import os
import time

import numpy as np


def best_of(fn, repeats):
    """(wall, cpu) seconds of the fastest of `repeats` runs after one warm-up."""
    fn()  # warm-up
    best = (float("inf"), float("nan"))
    for _ in range(repeats):
        t = fn()
        if t[0] < best[0]:
            best = t
    return best


def gemm(n, repeats):
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (n, n))
    b = rng.uniform(-1, 1, (n, n))

    def run():
        t0, c0 = time.perf_counter(), time.process_time()
        a @ b
        return time.perf_counter() - t0, time.process_time() - c0

    return best_of(run, repeats), 2.0 * n ** 3


def cholesky(n, repeats):
    rng = np.random.default_rng(3)
    a = rng.uniform(-1, 1, (n, n))
    a = np.tril(a, -1)
    a = a + a.T + (n + 1) * np.eye(n)  # diagonally dominant, hence SPD (as ProviderBenchmark)

    def run():
        t0, c0 = time.perf_counter(), time.process_time()
        np.linalg.cholesky(a)
        return time.perf_counter() - t0, time.process_time() - c0

    return best_of(run, repeats), n ** 3 / 3.0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gemm-n", type=int, default=4096)
    p.add_argument("--cholesky-n", type=int, default=8000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    print(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, cpus={os.cpu_count()}")
    print(f"{'operation':<10} {'n':>6} {'best s':>8} {'GFLOP/s':>8} {'GFLOP/CPU-s':>12}")
    if args.gemm_n > 0:
        (t, c), f = gemm(args.gemm_n, args.repeats)
        print(f"{'Gemm':<10} {args.gemm_n:>6} {t:>8.3f} {f / t / 1e9:>8.1f} {f / c / 1e9:>12.1f}")
    if args.cholesky_n > 0:
        (t, c), f = cholesky(args.cholesky_n, args.repeats)
        print(f"{'Cholesky':<10} {args.cholesky_n:>6} {t:>8.3f} {f / t / 1e9:>8.1f} {f / c / 1e9:>12.1f}")
    with open("/proc/loadavg") as fh:
        print(f"load average (1 min): {fh.read().split()[0]}")


if __name__ == "__main__":
    main()
