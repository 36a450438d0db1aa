"""PyTorch CPU peer of Tangent's fused training path (docs/NETWORKS.md, "Fused training path").

The workload of `quick network` / `quick network-ratio`: a one-hidden-layer ReLU network
dense(w=1.4142,b=0.1) relu dense(w=1.4142,b=0.1) in the 'ntk' parameterization
(z = (sigma_w/sqrt(fan_in)) W h + sigma_b b, W and b ~ N(0, 1)), width 4096, n = 1000 points in d = 10,
1 output, full-batch gradient descent (learning rate 1) on the MSE loss 1/(2N) sum (f - y)^2, float64.

    /usr/bin/python3 benchmarks/network_torch.py [steps] [dir]

With dir (written by `quick network-ratio`): x.npy, y.npy, w1.npy, b1.npy, w2.npy, b2.npy, the same data and
initial parameters as Tangent's run, so the final losses agree. Without: its own draws (numpy seed 1).
Prints one line: time, CPU time, threads, BLAS and the final loss.
"""
import os
import sys
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    torch.set_num_threads(2)
    if len(sys.argv) > 2:
        load = lambda name: torch.from_numpy(np.load(os.path.join(sys.argv[2], name + ".npy")).astype(np.float64))
        x, y, w1, b1, w2, b2 = (load(n) for n in ("x", "y", "w1", "b1", "w2", "b2"))
    else:
        rng = np.random.default_rng(1)
        xs = rng.uniform(-1, 1, (1000, 10))
        x = torch.from_numpy(xs)
        y = torch.from_numpy((np.sin(3 * xs[:, 0]) + xs[:, 1]).reshape(-1, 1))
        w1, b1 = torch.from_numpy(rng.standard_normal((4096, 10))), torch.from_numpy(rng.standard_normal((1, 4096)))
        w2, b2 = torch.from_numpy(rng.standard_normal((1, 4096))), torch.from_numpy(rng.standard_normal((1, 1)))
    params = [p.clone().requires_grad_(True) for p in (w1, b1, w2, b2)]
    w1, b1, w2, b2 = params
    sw, sb = 1.4142, 0.1
    s1, s2 = sw / np.sqrt(x.shape[1]), sw / np.sqrt(w1.shape[0])
    lr, count = 1.0, y.numel()

    def loss_of():
        h = torch.relu(s1 * (x @ w1.T) + sb * b1)
        f = s2 * (h @ w2.T) + sb * b2
        return ((f - y) ** 2).sum() / (2 * count)

    cpu0, t0 = time.process_time(), time.perf_counter()
    for _ in range(steps):
        loss = loss_of()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    with torch.no_grad():
        final = loss_of().item()
    blas = ", ".join(f"{i.get('internal_api')}/{i.get('architecture')}" for i in threadpool_info() if i.get("user_api") == "blas") or "none found"
    print(f"torch {torch.__version__} float64, {torch.get_num_threads()} threads (BLAS {blas}): {steps} GD steps "
          f"time_s={wall:.3f} cpu_s={cpu:.3f} final_loss={final:.12g}")


if __name__ == "__main__":
    main()
