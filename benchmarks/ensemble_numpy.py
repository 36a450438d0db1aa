#!/usr/bin/python3
"""The NTK-ensemble trajectory of `quick dynamics` in numpy/scipy, computed the way Neural Tangents'
predict.gradient_descent_mse_ensemble does (get='ntk', compute_cov=True, diagonal of the covariance):
scipy.linalg.eigh of Θ(X, X), then per time the mean and the variances from the eigenbasis, and t = ∞
by a Cholesky solve.

Usage: ensemble_numpy.py DIR
DIR holds ntk_xx.npy, nngp_xx.npy, ntk_tx.npy, nngp_tx.npy, nngp_tt_diag.npy, y.npy (float64) and
settings.txt ("eta N" on the first line, the times on the second; inf for t = ∞), as written by
`dotnet run -c Release --project benchmarks/Tangent.Benchmarks -- quick dynamics-ratio 5000 1000`.
Writes DIR/numpy_mean.npy (T×n*×k) and DIR/numpy_var.npy (T×n*) DIR/numpy_time.txt ("wall cpu") and prints one line with the time
(wall and CPU seconds) and the BLAS/LAPACK library threadpoolctl reports.
"""
import os
import sys
import time

import numpy as np
import scipy.linalg as sl
from threadpoolctl import threadpool_info


def trajectory(d):
    txx = np.load(os.path.join(d, "ntk_xx.npy"))
    kxx = np.load(os.path.join(d, "nngp_xx.npy"))
    ttx = np.load(os.path.join(d, "ntk_tx.npy"))
    ktx = np.load(os.path.join(d, "nngp_tx.npy"))
    ktt = np.load(os.path.join(d, "nngp_tt_diag.npy")).reshape(-1)
    y = np.load(os.path.join(d, "y.npy"))
    with open(os.path.join(d, "settings.txt")) as f:
        eta, entries = (float(v) for v in f.readline().split())
        times = [float(v) for v in f.readline().split()]
    wall, cpu = time.perf_counter(), time.process_time()
    evals, v = sl.eigh(txx)                       # Θ = V·diag(λ)·Vᵀ (no ridge: Neural Tangents' diag_reg = 0)
    tol = len(evals) * np.finfo(float).eps * np.abs(evals).max()
    z = ttx @ v                                   # Θ*ₓV
    c = ktx @ v                                   # K*ₓV
    m = v.T @ (kxx @ v)                           # VᵀKₓₓV
    vy = v.T @ y
    means, variances = [], []
    for t in times:
        if np.isinf(t):
            chol = sl.cho_factor(txx, lower=True)
            means.append(ttx @ sl.cho_solve(chol, y))
            b = sl.cho_solve(chol, ttx.T)         # Θ⁻¹Θₓ*
            quad = np.einsum("ij,ij->j", b, kxx @ b)
            cross = np.einsum("ij,ji->i", ktx, b)
            variances.append(ktt + quad - 2 * cross)
            continue
        tau = eta * t / entries
        with np.errstate(divide="ignore"):
            g = np.where(evals > tol, -np.expm1(-evals * tau) / evals, 0.0)
        means.append(z @ (g[:, None] * vy))
        w = z * g                                 # Θ*ₓ·Θ⁻¹(I − e^{−Θτ}) in the eigenbasis
        quad = np.einsum("ij,ij->i", w @ m, w)
        cross = np.einsum("ij,ij->i", w, c)
        variances.append(ktt + quad - 2 * cross)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    np.save(os.path.join(d, "numpy_mean.npy"), np.stack(means))
    np.save(os.path.join(d, "numpy_var.npy"), np.stack(variances))
    with open(os.path.join(d, "numpy_time.txt"), "w") as f:
        f.write(f"{wall!r} {cpu!r}")
    blas = "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} {i.get('num_threads')} threads"
                     for i in threadpool_info() if i.get("user_api") == "blas")
    print(f"numpy {np.__version__} / scipy {sl.__name__ and __import__('scipy').__version__} ({blas}): "
          f"NTK ensemble n={txx.shape[0]} m={ttx.shape[0]}, {len(times)} times, mean + diagonal covariance: "
          f"{wall:.2f} s (CPU {cpu:.2f} s)")
    return wall, cpu


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    trajectory(sys.argv[1])
