"""GrokAlign's step in PyTorch, as P4's code computes it: the loss plus λ · mean √C ‖vᵀJ_x‖ with
one random unit v per example, its gradient by double backprop (autograd.grad with
create_graph=True, then backward through it), against a plain step of the same model, stepped in
alternating blocks in one process; prints plain_median_ms, grokalign_median_ms, ratio.

usage: jacreg_torch.py RUN STEPS THREADS LAMBDA   (RUN: a grok-train run with a snapshot at step 0)
Needs python3-torch and python3-h5py (make bench-deps). A measuring instrument, not installed.
"""
import statistics
import sys
import time

import torch

from torch_ref import Model, loss_fn, optimizer, read_config, read_params, read_train_set

WARMUP, BLOCK = 3, 5


def main():
    run, steps, threads, lam = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = read_config(run)
    tok, y = read_train_set(run, cfg)
    models = [Model(cfg, read_params(run)) for _ in range(2)]
    opts = [optimizer(cfg, m)[0] for m in models]
    C = cfg["p"]

    def plain():
        m, opt = models[0], opts[0]
        opt.zero_grad(set_to_none=True)
        loss_fn(cfg, m(tok), y).backward()
        opt.step()

    def grokalign():
        m, opt = models[1], opts[1]
        opt.zero_grad(set_to_none=True)
        x = m.embed(tok)                      # not detached: R's gradient reaches W_E and W_pos
        logits = m.from_input(x)
        v = torch.randn_like(logits)
        v = v / v.norm(dim=1, keepdim=True)
        (u,) = torch.autograd.grad((logits * v).sum(), x, create_graph=True)
        reg = lam * (C ** 0.5 * u.flatten(1).norm(dim=1)).mean()
        (loss_fn(cfg, logits, y) + reg).backward()
        opt.step()

    times = ([], [])
    for _ in range(WARMUP):
        plain()
        grokalign()
    done = 0
    while done < steps:
        for i, f in enumerate((plain, grokalign)):
            for _ in range(BLOCK):
                t0 = time.perf_counter()
                f()
                times[i].append(time.perf_counter() - t0)
        done += BLOCK
    a, b = (statistics.median(t) * 1e3 for t in times)
    print(f"{a:.4f}\t{b:.4f}\t{b / a:.4f}")


if __name__ == "__main__":
    main()
