#!/usr/bin/env python3
"""Vectorised numpy reference for Tangent's convolutional NTK benchmark (benchmarks/CntkBenchmarks.cs).

Depth-L CNTK with flatten readout ('ntk' parameterization, SAME zero padding, 3x3 filters,
docs/MATH.md §2 last item), diagonal layout: for every pair of images only the pixel diagonal K[p, p] is
kept, so each kernel entry costs O(P·9·L). Computed for all pairs at once on arrays of shape
(n, n, H, W), as a careful numpy user would (no Python loop over pairs).

    python3 benchmarks/cntk_numpy.py [n] [H] [depth]     (default 200 28 3; memory ≈ 6·n²·H²·8 bytes)

Prints the wall time, the time per kernel entry (n² entries computed) and a checksum.
"""
import sys
import time

import numpy as np


def conv_diag(k, w2, b2):
    # K'[p] = σw²/9 · Σ_δ K[p+δ] + σb² over a zero-padded 3×3 window (both images shifted together).
    pad = np.pad(k, ((0, 0), (0, 0), (1, 1), (1, 1)))
    h, w = k.shape[2], k.shape[3]
    s = np.zeros_like(k)
    for dy in range(3):
        for dx in range(3):
            s += pad[:, :, dy:dy + h, dx:dx + w]
    return w2 / 9.0 * s + b2


def relu(nngp, ntk, c1, c2):
    # c1[i, p], c2[j, p]: self variances; arc-cosine kernel on every pixel of every pair.
    p = np.sqrt(c1[:, None] * c2[None, :])
    rho = np.clip(nngp / np.where(p > 0, p, 1), -1, 1)
    theta = np.arccos(rho)
    new = p * (np.sqrt(1 - rho * rho) + (np.pi - theta) * rho) / (2 * np.pi)
    return new, ntk * (np.pi - theta) / (2 * np.pi)


def cntk(x, depth, w=1.41, b=0.1):
    n = x.shape[0]
    w2, b2 = w * w, b * b
    nngp = x[:, None] * x[None, :]          # (n, n, H, W): input K[p, p] = x1[p]·x2[p] (C = 1)
    ntk = np.zeros_like(nngp)
    cov = x * x                              # (n, H, W) self variances
    for _ in range(depth):
        nngp = conv_diag(nngp, w2, b2)
        ntk = nngp + conv_diag(ntk, w2, 0.0)
        cov = conv_diag(cov[:, None], w2, b2)[:, 0]
        nngp, ntk = relu(nngp, ntk, cov, cov)
        cov = cov / 2                        # relu: E[relu(u)²] = q/2
    # flatten + dense(w=1): mean of the pixel diagonal
    nngp = nngp.mean(axis=(2, 3))
    ntk = ntk.mean(axis=(2, 3))
    return nngp, nngp + ntk


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    h = int(sys.argv[2]) if len(sys.argv) > 2 else 28
    depth = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, h, h))
    t = time.perf_counter()
    nngp, ntk = cntk(x, depth)
    dt = time.perf_counter() - t
    print(f"n={n} H=W={h} depth={depth}: {dt:.2f} s, {dt / (n * n) * 1e3:.4f} ms per entry")
    print("checksum nngp[0,1], ntk[0,1]:", nngp[0, 1], ntk[0, 1])


if __name__ == "__main__":
    main()
