#!/usr/bin/env python3
"""numpy reference for Tangent's classical kernel matrices (run with /usr/bin/python3).

Times, for X of n x d:
  * the full Gaussian kernel exp(-gamma * ||x - x'||^2) through the Gram matrix (as Tangent does),
  * the elementwise part alone: given G = X X^T and the row norms, exp(-gamma * (s_i + s_j - 2 G_ij)).
Usage: kernel_numpy.py [n] [d]
"""
import sys
import time

import numpy as np


def best(f, repeats=3):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    d = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d))
    gamma = 1.0 / d
    s = np.einsum("ij,ij->i", x, x)

    def transform(g):
        """In place: exp(-gamma * max(0, s_i + s_j - 2 g_ij))."""
        g *= -2.0
        g += s[:, None]
        g += s[None, :]
        np.maximum(g, 0.0, out=g)
        g *= -gamma
        np.exp(g, out=g)
        return g

    def full():
        return transform(x @ x.T)

    g0 = x @ x.T

    def elementwise_time():
        g = g0.copy()  # not timed: Tangent's figure also starts from a ready Gram matrix
        t = time.perf_counter()
        transform(g)
        return time.perf_counter() - t

    t_full = best(full, 2)
    t_elem = min(elementwise_time() for _ in range(2))
    print(f"numpy {np.__version__}: gaussian kernel n={n} d={d}: full {t_full:.3f} s, "
          f"elementwise part {t_elem:.3f} s ({n * n / t_elem / 1e6:.1f} M entries/s)")


if __name__ == "__main__":
    main()
