#!/usr/bin/env python3
"""Vectorised numpy reference for the benchmark of Tangent's fused NTK recursion.

Computes the NNGP and NTK of  repeat(L){dense(w,b) relu} dense(w,b)  ('ntk' parameterization,
docs/MATH.md §2) for X (n×d, float64) against itself, on full n×n arrays, as a careful numpy user would:
one GEMM for X·Xᵀ/d, then per layer elementwise array operations (in place where possible).

Usage: python3 benchmarks/ntk_numpy.py [n] [d] [depth]    (default 10000 100 5)
Prints the wall time and a checksum of a few entries so the C# result can be compared.
"""
import sys
import time

import numpy as np


def relu_ntk(x, depth, w=1.4, b=0.1):
    n, d = x.shape
    w2, b2 = w * w, b * b
    nngp = x @ x.T / d                      # input: nngp = x·x'/d
    cov = np.einsum("ij,ij->i", x, x) / d   # diagonal ||x||²/d
    ntk = np.zeros_like(nngp)
    for _ in range(depth):
        # dense: nngp' = σw²·nngp + σb², ntk' = nngp' + σw²·ntk
        nngp *= w2
        nngp += b2
        ntk *= w2
        ntk += nngp
        cov = w2 * cov + b2
        # relu (arc-cosine kernel): θ = arccos(ρ), nngp' = √(q11q22)(sin θ + (π−θ)cos θ)/(2π), ntk' = ntk(π−θ)/(2π)
        s = np.sqrt(cov)
        norm = np.outer(s, s)
        rho = np.divide(nngp, norm, out=np.zeros_like(nngp), where=norm > 0)
        np.clip(rho, -1.0, 1.0, out=rho)
        theta = np.arccos(rho)
        sin = np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
        np.subtract(np.pi, theta, out=theta)          # theta <- π − θ
        nngp = norm * (sin + theta * rho) / (2 * np.pi)
        ntk *= theta
        ntk /= 2 * np.pi
        cov = cov / 2
        del rho, sin, theta, norm
    nngp *= w2
    nngp += b2
    ntk *= w2
    ntk += nngp
    return nngp, ntk


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    d = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    depth = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d))
    t0 = time.perf_counter()
    nngp, ntk = relu_ntk(x, depth)
    t1 = time.perf_counter()
    print(f"numpy {np.__version__}: n={n} d={d} depth={depth}: {t1 - t0:.2f} s "
          f"(nngp[0,1]={nngp[0, 1]:.12g}, ntk[0,1]={ntk[0, 1]:.12g}, ntk[n-1,n-2]={ntk[n - 1, n - 2]:.12g})")


if __name__ == "__main__":
    main()
