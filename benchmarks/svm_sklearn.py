#!/usr/bin/env python3
"""scikit-learn's SVC (libsvm) on a precomputed Gaussian kernel: the reference side of benchmarks/svm_vs_sklearn.sh.

  svm_sklearn.py make DIR [--n 10000] [--test 2000] [--classes 10] [--d 20] [--seed 0]
      writes DIR/K.npy (n x n), DIR/y.npy (n,), DIR/Kt.npy (test x n), DIR/yt.npy: a Gaussian mixture of `classes`
      overlapping clusters in d dimensions (a digits-like task: about 90 % test accuracy) and its Gaussian kernel
      exp(-gamma |x - x'|^2), gamma = 1/(2 d), computed in numpy (float64).
  svm_sklearn.py time DIR C [C ...] [--tol 1e-3] [--repeat 3]
      times SVC(kernel='precomputed', C=C, tol=tol, cache_size=200).fit(K, y) for each C (the fit alone, K already in memory;
      the best of `repeat` fits),
      writes DIR/sklearn_C{C}.txt (wall and CPU seconds, support vectors, test accuracy) and DIR/sklearn_pred_C{C}.npy (predictions on Kt).
"""
import argparse
import os
import time

import numpy as np


def make(a):
    rng = np.random.default_rng(a.seed)
    centres = rng.normal(scale=0.9, size=(a.classes, a.d))
    def sample(m):
        y = rng.integers(0, a.classes, size=m)
        return centres[y] + rng.normal(size=(m, a.d)) * 1.2, y
    x, y = sample(a.n)
    xt, yt = sample(a.test)
    gamma = 1.0 / (2 * a.d)
    def gaussian(p, q):
        sq = (p * p).sum(1)[:, None] + (q * q).sum(1)[None, :] - 2.0 * p @ q.T
        return np.exp(-gamma * np.maximum(sq, 0.0))
    k = gaussian(x, x)
    k = 0.5 * (k + k.T)   # exactly symmetric
    np.fill_diagonal(k, 1.0)
    os.makedirs(a.dir, exist_ok=True)
    np.save(os.path.join(a.dir, "K.npy"), k)
    np.save(os.path.join(a.dir, "y.npy"), y.astype(np.float64))
    np.save(os.path.join(a.dir, "Kt.npy"), gaussian(xt, x))
    np.save(os.path.join(a.dir, "yt.npy"), yt.astype(np.float64))
    print(f"made {a.n} training and {a.test} test points, {a.classes} classes, d = {a.d}, gamma = {gamma:g} in {a.dir}")


def timing(a):
    from sklearn.svm import SVC
    k = np.load(os.path.join(a.dir, "K.npy"))
    y = np.load(os.path.join(a.dir, "y.npy")).astype(int)
    kt = np.load(os.path.join(a.dir, "Kt.npy"))
    yt = np.load(os.path.join(a.dir, "yt.npy")).astype(int)
    for c in a.C:
        seconds = cpu = float("inf")
        for _ in range(a.repeat):   # the best of a few fits: the machine may be busy
            clf = SVC(kernel="precomputed", C=c, tol=a.tol, cache_size=200)
            start, start_cpu = time.perf_counter(), time.process_time()
            clf.fit(k, y)
            seconds, cpu = min(seconds, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
        pred = clf.predict(kt)
        accuracy = float((pred == yt).mean())
        tag = f"{c:g}"
        np.save(os.path.join(a.dir, f"sklearn_pred_C{tag}.npy"), pred.astype(np.float64))
        with open(os.path.join(a.dir, f"sklearn_C{tag}.txt"), "w") as f:
            f.write(f"{seconds!r} {cpu!r} {len(clf.support_)} {accuracy!r}\n")
        print(f"sklearn C={tag}: fit {seconds:.3f} s (CPU {cpu:.3f} s), {len(clf.support_)} support vectors, test accuracy {accuracy:.4f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("dir")
    m.add_argument("--n", type=int, default=10000)
    m.add_argument("--test", type=int, default=2000)
    m.add_argument("--classes", type=int, default=10)
    m.add_argument("--d", type=int, default=20)
    m.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("time")
    t.add_argument("dir")
    t.add_argument("C", type=float, nargs="+")
    t.add_argument("--tol", type=float, default=1e-3)
    t.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    make(a) if a.cmd == "make" else timing(a)


if __name__ == "__main__":
    main()
