#!/usr/bin/python3
"""How grok-train's training step scales with threads (bench/README.md, "On 16 cores").

    python3 bench/scaling.py [--tools DIR] [--preset nanda] [--threads 1,2,4,8,16]
                             [--steps 100] [--rounds 3]

For each thread count it runs `step-time PRESET STEPS THREADS` once per round, the counts in
rising order one round and falling the next, so that a slow spell of the machine falls on all of
them, and the machine's sgemm rate at that count (sgemm-rate). It prints one TSV row per thread
count: the median ms/step over rounds, the speed-up over the first count, the parallel
efficiency (speed-up / threads relative to the first count) and the sgemm rate. Progress goes to
standard error. Exits 1 when a measurement fails, 2 on bad usage.
"""
import argparse
import statistics
import sys

import bench


def parse_args(argv):
    ap = argparse.ArgumentParser(description="grok-train's step time against its thread count")
    ap.add_argument("--tools", default="build/bench", help="where step-time and sgemm-rate are")
    ap.add_argument("--preset", default="nanda")
    ap.add_argument("--threads", default="1,2,4,8,16", help="comma-separated thread counts")
    ap.add_argument("--steps", type=int, default=100, help="timed steps per measurement")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv)
    try:
        a.threads = [int(t) for t in a.threads.split(",")]
    except ValueError:
        ap.error(f"--threads {a.threads!r}: not a list of integers")
    if min(a.threads) < 1 or a.steps < 1 or a.rounds < 1:
        ap.error("--threads, --steps and --rounds must be at least 1")
    return a


def main(argv):
    a = parse_args(argv)
    ms = {t: [] for t in a.threads}
    try:
        for r in range(a.rounds):
            order = a.threads if r % 2 == 0 else a.threads[::-1]
            for t in order:
                ms[t].append(bench.grok_step_time(a.tools, a.preset, a.steps, t)["ms"])
                bench.log(f"[{a.preset}] round {r + 1}/{a.rounds}, {t} threads: {ms[t][-1]:.3f} ms")
        rate = {t: bench.sgemm_rate(a.tools, t) for t in a.threads}
    except (bench.BenchError, OSError, ValueError) as e:
        bench.log(f"scaling: {e}")
        return 1
    med = {t: statistics.median(v) for t, v in ms.items()}
    t0 = a.threads[0]
    print(f"# preset: {a.preset}, {a.steps} steps per measurement, median of {a.rounds} rounds")
    print("threads\tms_per_step\tspeedup\tefficiency\tsgemm_gflops")
    for t in a.threads:
        up = med[t0] / med[t]
        print(f"{t}\t{med[t]:.3f}\t{up:.2f}\t{up * t0 / t:.2f}\t{rate[t]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
