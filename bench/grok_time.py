#!/usr/bin/python3
"""Time to grok: grok-train on the CPU's cores against eager PyTorch on a GPU (bench/README.md,
"On 16 cores").

    python3 bench/grok_time.py [--bin DIR] [--preset nanda] [--threads N] [--stop-at 0.99]
                               [--device cuda] [--steps N]

Both train the preset's model from the same start to the same rule: grok-train runs
`--preset P --stop-at ACC` (stop once the test accuracy is at least ACC at three evaluations in
a row, evaluating at the preset's cadence) and writes its run; PyTorch builds the reference
model of bench/torch_ref.py from that run's step-0 snapshot, puts it and the data on --device,
and trains it with torch's own optimiser, evaluating the test accuracy at the same steps and
stopping by the same rule. A full-batch preset makes the two follow the same path up to
rounding; a minibatch preset draws its batches from torch's generator.

What is timed: grok-train's whole process (start-up, data, training, evaluations, the run's
snapshots written to disk); PyTorch's training loop from the first step to the stop, its
evaluations included, synchronised with the device at both ends (the model and data are on the
device before the clock starts; the first step's library start-up is inside it). The PyTorch
step is plain eager code: no compilation, no CUDA graphs, no loss read back per step.

Prints a TSV with one row per implementation: steps to the stop, the first evaluation at test
accuracy >= 0.9 (P1's t_grok), wall seconds and ms per step. Exits 1 when a run fails or does
not reach the rule within --steps, 2 on bad usage.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

import bench

T_GROK_ACC = 0.9


def parse_args(argv):
    ap = argparse.ArgumentParser(description="time to grok, grok-train against PyTorch")
    ap.add_argument("--bin", default="bin", help="where grok-train is")
    ap.add_argument("--preset", default="nanda")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="grok-train's threads")
    ap.add_argument("--stop-at", type=float, default=0.99, help="test accuracy of the stop rule")
    ap.add_argument("--device", default="cuda", help="PyTorch's device (cuda, cpu)")
    ap.add_argument("--steps", type=int, default=0, help="most steps (default: the preset's)")
    return ap.parse_args(argv)


def stop_steps(steps, acc, stop_at):
    """The step at which three evaluations in a row reach stop_at, and the first step at
    T_GROK_ACC; None where never."""
    streak, stop, grok = 0, None, None
    for s, a in zip(steps, acc):
        if grok is None and a >= T_GROK_ACC:
            grok = s
        streak = streak + 1 if a >= stop_at else 0
        if streak >= 3:
            stop = s
            break
    return stop, grok


def run_grok_train(a, out):
    cmd = [os.path.join(a.bin, "grok-train"), "--preset", a.preset, "--stop-at", str(a.stop_at),
           "--threads", str(a.threads), "-q", "-o", out]
    if a.steps:
        cmd += ["--steps", str(a.steps)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise bench.BenchError(f"{' '.join(cmd)} exited {p.returncode}")
    with h5py.File(out, "r") as f:
        steps = np.array(f["/metrics/step"])
        acc = np.array(f["/metrics/test_acc"])
    stop, grok = stop_steps(steps, acc, a.stop_at)
    return {"who": f"grok-train, {a.threads} threads", "stop": stop, "grok": grok, "wall": wall}


def run_torch(a, run):
    import torch
    import torch_ref
    dev = torch.device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = False     # float32 products, as grok-train's
    torch.backends.cudnn.allow_tf32 = False
    cfg = torch_ref.read_config(run)
    tok, y = (t.to(dev) for t in torch_ref.read_set(run, cfg, "train"))
    test_tok, test_y = (t.to(dev) for t in torch_ref.read_set(run, cfg, "test"))
    model = torch_ref.Model(cfg, torch_ref.read_params(run)).to(dev)
    opt, sched = torch_ref.optimizer(cfg, model)
    gen = torch.Generator(device=dev).manual_seed(0)
    n, batch, every = tok.shape[0], cfg["batch"], cfg["eval_every"]
    most = a.steps or cfg["steps"]

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    def test_acc():
        with torch.no_grad():
            return (model(test_tok).argmax(-1) == test_y).float().mean().item()

    steps, acc = [], []
    sync()
    t0 = time.perf_counter()
    for step in range(most + 1):
        if step % every == 0 or step == most:
            steps.append(step)
            acc.append(test_acc())
            if stop_steps(steps, acc, a.stop_at)[0] is not None or step == most:
                break
        bt, by = tok, y
        if batch:
            idx = torch.randint(n, (batch,), generator=gen, device=dev)
            bt, by = tok[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        torch_ref.loss_fn(cfg, model(bt), by).backward()
        if cfg["clip"] > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
        opt.step()
        sched.step()
    sync()
    wall = time.perf_counter() - t0
    stop, grok = stop_steps(steps, acc, a.stop_at)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"{torch.get_num_threads()} threads"
    return {"who": f"PyTorch {torch.__version__} eager, {a.device} ({name})", "stop": stop,
            "grok": grok, "wall": wall}


def main(argv):
    a = parse_args(argv)
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="grok-time-") as tmp:
            run = os.path.join(tmp, "run.h5")
            bench.log(f"grok-train --preset {a.preset} --stop-at {a.stop_at}, {a.threads} threads")
            rows.append(run_grok_train(a, run))
            bench.log(f"PyTorch on {a.device}, from the run's step-0 snapshot")
            rows.append(run_torch(a, run))
    except (bench.BenchError, OSError, KeyError) as e:
        bench.log(f"grok_time: {e}")
        return 1
    print(f"# preset: {a.preset}; stop: test accuracy >= {a.stop_at} at three evaluations in a row")
    print("implementation\tstop_step\tt_grok\twall_s\tms_per_step")
    for r in rows:
        per = 1e3 * r["wall"] / r["stop"] if r["stop"] else float("nan")
        print(f"{r['who']}\t{r['stop']}\t{r['grok']}\t{r['wall']:.2f}\t{per:.2f}")
    return 1 if any(r["stop"] is None for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
