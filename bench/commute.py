#!/usr/bin/python3
"""grok-commute's cost per snapshot against one training step of the same model (bench/README.md).

The Xu model (--preset xu), K = 9 pairs of minibatches of 512 (P1's setting), on the 6 snapshots
of a 500-step run: grok-commute's seconds per snapshot (the whole program's time over the
snapshots, which includes reading the run and drawing the random bases once), in double (the
default) and with --float; and grok-train's milliseconds per step from the step-time probe. The
measurements alternate, several rounds; medians and ratios are printed.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description="grok-commute per snapshot against a training step")
    ap.add_argument("--bin", default=os.path.join(root, "bin"))
    ap.add_argument("--tools", default=os.path.join(root, "build", "bench"))
    ap.add_argument("--run", default=os.path.join(root, "build", "bench", "xu-500.h5"))
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    if not os.path.exists(a.run):
        os.makedirs(os.path.dirname(a.run), exist_ok=True)
        subprocess.run([os.path.join(a.bin, "grok-train"), "--preset", "xu", "--steps", "500",
                        "--snapshot-every", "100", "-q", "-o", a.run], check=True)
    T = 6
    commute = {"double": [], "float": []}
    step = []
    for r in range(a.rounds):
        for prec in ("double", "float"):
            t0 = time.perf_counter()
            subprocess.run([os.path.join(a.bin, "grok-commute"), "-q", "-t", "-K", "9"]
                           + (["--float"] if prec == "float" else []) + [a.run],
                           check=True, stdout=subprocess.DEVNULL)
            commute[prec].append((time.perf_counter() - t0) / T)
        out = subprocess.run([os.path.join(a.tools, "step-time"), "xu", "200"], check=True,
                             capture_output=True, text=True).stdout.split("\t")
        step.append(float(out[1]) / 1e3)
        print(f"round {r + 1}: commute {commute['double'][-1]:.3f} s (double), "
              f"{commute['float'][-1]:.3f} s (float) per snapshot; step {step[-1] * 1e3:.2f} ms",
              file=sys.stderr, flush=True)
    s = statistics.median(step)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; command: {' '.join(sys.argv)}")
    print(f"grok-train step (xu, batch 512, all cores): median {s * 1e3:.2f} ms")
    for prec in ("double", "float"):
        c = statistics.median(commute[prec])
        print(f"grok-commute K=9 ({prec}): median {c:.3f} s per snapshot = {c / s:.0f} training steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
