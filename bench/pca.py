#!/usr/bin/python3
"""grok-pca against numpy's SVD on the same trajectory (bench/README.md, "grok-pca").

The trajectory is P1's: the Xu model's eight attention matrices (2 layers x W_Q, W_K, W_V, W_O,
16384 weights each), snapshotted every 10 steps for 5000 steps of `grok-train --preset xu`:
501 snapshots. Both sides compute the same thing for each matrix: the share of variance of each
principal component of the column-centred trajectory.

  grok-pca:  the whole program, `grok-pca -t RUN`, reading the run from disk, every matrix.
  numpy:     for each matrix, np.linalg.svd of the centred float64 matrix (singular values only,
             its fastest mode), with the matrices already read into memory: numpy is timed on
             its decomposition alone, grok-pca on everything.

The two alternate, several rounds each; the medians and their ratio are printed, and the shares
are checked to agree to 1e-8.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import h5py
import numpy as np


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def make_run(bindir, path, steps, every):
    if os.path.exists(path):
        return
    log(f"pca bench: training the Xu model ({steps} steps, snapshots every {every}) -> {path}")
    subprocess.run([os.path.join(bindir, "grok-train"), "--preset", "xu", "--op", "add",
                    "--steps", str(steps), "--snapshot-every", str(every),
                    "--snapshot", "blocks.*.attn.W_*", "-q", "-o", path], check=True)


def grok_pca(bindir, path):
    t0 = time.perf_counter()
    out = subprocess.run([os.path.join(bindir, "grok-pca"), "-t", "-q", "-k", "3", path],
                         check=True, capture_output=True, text=True).stdout
    dt = time.perf_counter() - t0
    rows = [l.split("\t") for l in out.splitlines() if not l.startswith("#")]
    head = rows[0]
    shares = {r[0]: [float(r[head.index(c)]) for c in ("pc1", "pc2", "pc3")] for r in rows[1:]}
    return dt, shares


def numpy_svd(mats):
    t0 = time.perf_counter()
    shares = {}
    for name, X in mats.items():
        s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
        shares[name] = list(s[:3] ** 2 / (s ** 2).sum())
    return time.perf_counter() - t0, shares


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description="grok-pca against numpy's SVD")
    ap.add_argument("--bin", default=os.path.join(root, "bin"))
    ap.add_argument("--run", default=os.path.join(root, "build", "bench", "xu-attn-501.h5"),
                    help="the trajectory (made with grok-train when missing)")
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(os.path.dirname(a.run), exist_ok=True)
    make_run(a.bin, a.run, a.steps, a.every)
    with h5py.File(a.run, "r") as f:
        names = [n for n in f["snapshots"] if ".attn.W_" in n]
        mats = {n: f["snapshots"][n][...].reshape(f["snapshots"][n].shape[0], -1).astype(np.float64)
                for n in names}
    T, n = next(iter(mats.values())).shape
    grok_t, numpy_t = [], []
    grok_pca(a.bin, a.run)  # warm-up: the file in the page cache, the libraries loaded
    numpy_svd(mats)
    for r in range(a.rounds):
        dt, gs = grok_pca(a.bin, a.run)
        grok_t.append(dt)
        dt, ns = numpy_svd(mats)
        numpy_t.append(dt)
        log(f"pca bench: round {r + 1}: grok-pca {grok_t[-1]:.3f} s, numpy {numpy_t[-1]:.3f} s")
    worst = max(abs(g - x) for m in names for g, x in zip(gs[m], ns[m]))
    g, nm = statistics.median(grok_t), statistics.median(numpy_t)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"command: {' '.join(sys.argv)}")
    print(f"trajectory: {len(names)} matrices x {T} snapshots x {n} weights ({a.run})")
    print(f"grok-pca -t (whole program, from disk)  median {g:.3f} s over {a.rounds} rounds")
    print(f"numpy SVD (decomposition only)          median {nm:.3f} s")
    print(f"ratio numpy / grok-pca: {nm / g:.2f}x  (target >= 1)")
    print(f"largest difference in PC1-3 shares: {worst:.2e}  (must be < 1e-8)")
    return 0 if worst < 1e-8 else 1


if __name__ == "__main__":
    sys.exit(main())
