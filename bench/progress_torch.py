"""Nanda et al.'s progress measures in PyTorch, as their code computes them (transformers.py:
calculate_key_freqs, calculate_trig_loss, calculate_excluded_loss, calculate_coefficients), on
the snapshots of a grok-train run, to time against grok-fourier --progress on the same machine;
prints seconds per snapshot and, for the last snapshot, the losses (to compare the numbers).

usage: progress_torch.py RUN THREADS   (needs python3-torch and python3-h5py: make bench-deps)
A measuring instrument, not installed. Their key-frequency rule is replaced by grok's default
(--neuron-share 0.85 --key-neurons 1) so that both compute the same losses.
"""
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F

from torch_ref import Model, context_tokens, read_config


def basis(p):
    rows = [torch.ones(p, dtype=torch.float64) / p ** 0.5]
    x = torch.arange(p, dtype=torch.float64)
    for k in range(1, p // 2 + 1):
        for f in (torch.cos, torch.sin):
            r = f(2 * torch.pi * x * k / p)
            rows.append(r / r.norm())
    return torch.stack(rows)


def measures(cfg, model, tok, y, is_train, fb):
    p = cfg["p"]
    with torch.inference_mode():
        logits = model(tok).double()
        acts = model.mlp_post[:, -1].double()
    acts = acts - acts.mean(0, keepdim=True)
    fa = torch.einsum("xyn,fx,Fy->fFn", acts.reshape(p, p, -1), fb, fb)
    total = fa.pow(2).sum((0, 1))
    shares = []
    for k in range(1, p // 2 + 1):
        idx = [0, 2 * k - 1, 2 * k]
        shares.append(fa[idx][:, idx].pow(2).sum((0, 1)) / total)
    shares = torch.stack(shares)
    best_share, best = shares.max(0)
    keys = sorted(set((best[best_share >= 0.85] + 1).tolist()))

    def trig(k):
        c, s = fb[2 * k - 1], fb[2 * k]
        dc = ((c[:, None] * c[None, :] - s[:, None] * s[None, :]) / 2 ** 0.5).flatten()
        ds = ((s[:, None] * c[None, :] + c[:, None] * s[None, :]) / 2 ** 0.5).flatten()
        return dc[:, None] * (dc @ logits)[None, :] + ds[:, None] * (ds @ logits)[None, :]

    comps = sum((trig(k) for k in keys), torch.zeros_like(logits))
    restricted = comps + (logits - comps).mean(0, keepdim=True)
    ce = lambda lg, m: F.cross_entropy(lg[m], y[m]).item()
    out = {"train": ce(logits, is_train), "test": ce(logits, ~is_train),
           "restricted": ce(restricted, is_train), "excluded": ce(logits - comps, is_train)}
    for k in keys:
        ce(logits - trig(k), is_train)
    a = torch.arange(p)
    w = torch.arange(1, p // 2 + 1)[:, None, None, None]
    coses = torch.cos(w * 2 * torch.pi / p * (a[None, :, None, None] + a[None, None, :, None]
                                              - a[None, None, None, :])).double().reshape(p // 2, p * p, p)
    coses /= coses.pow(2).sum((-2, -1), keepdim=True).sqrt()
    out["coef"] = (coses * logits).sum((-2, -1))
    return out, keys


def main():
    run, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    cfg = read_config(run)
    p = cfg["p"]
    ab = np.array([(a, b) for a in range(p) for b in range(p)], dtype=np.int64)
    tok = context_tokens(cfg, ab)
    y = torch.from_numpy((ab[:, 0] + ab[:, 1]) % p)
    with h5py.File(run, "r") as f:
        train = {tuple(r) for r in np.array(f["/data/train"])}
        snaps = f["/snapshots"]
        steps = np.array(snaps["step"])
        names = [n for n in snaps if n != "step"]
        params_at = [{n: torch.from_numpy(np.array(snaps[n][i], dtype=np.float32)) for n in names}
                     for i in range(len(steps))]
    is_train = torch.tensor([(a, b) in train for a, b in ab])
    fb = basis(p)
    t0 = time.perf_counter()
    for params in params_at:
        out, keys = measures(cfg, Model(cfg, params), tok, y, is_train, fb)
    dt = (time.perf_counter() - t0) / len(params_at)
    print(f"{dt:.4f}\t{out['train']:.10g}\t{out['test']:.10g}\t{out['restricted']:.10g}\t"
          f"{out['excluded']:.10g}\t{','.join(map(str, keys))}")


if __name__ == "__main__":
    main()
