"""Benchmark of the marketing pipeline at 1M and 10M raw purchase rows.

For each size, three child processes (so each one's peak RSS is its own, read from
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` as it exits; tracemalloc cannot see
Polars' Rust allocations):

1. ``generate``: the sample generator writes the input CSVs into a temporary folder;
2. ``run``: the full pipeline (load, reconcile, settle, metrics, reports, charts);
3. ``reconcile``: load the inputs untimed, then time ``reconcile()`` alone.

Usage::

    .venv/bin/python bench/pipeline.py                 # 1M and 10M
    .venv/bin/python bench/pipeline.py --sizes 1000000 # just 1M
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_RECONCILE_1M_SECONDS = 3.0


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _cpu_seconds() -> float:
    """User + system CPU time of this process: less skewed than wall time on a busy host."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(mode: str, rows: int, data: Path, out: Path) -> dict:
    """Work done inside a child process; returns what it measured."""
    from croupier.engagement.pipeline import PipelineConfig, run_pipeline
    from croupier.engagement.pipeline.io import load_inputs
    from croupier.engagement.pipeline.reconcile import reconcile
    from croupier.engagement.pipeline.sample import generate_sample

    start, cpu = time.perf_counter(), _cpu_seconds()
    if mode == "generate":
        summary = generate_sample(data, rows, seed=2024)
        measured: dict = {"rows": summary.rows}
    elif mode == "run":
        result = run_pipeline(data, out)
        measured = {"timings": result.timings, "counts": result.counts}
    else:
        cfg = PipelineConfig()
        inputs = load_inputs(data, cfg)
        start, cpu = time.perf_counter(), _cpu_seconds()
        recon = reconcile(inputs.purchases, inputs.payments, cfg)
        measured = {"match_rate": recon.match_rate}
    measured["seconds"] = time.perf_counter() - start
    measured["cpu_seconds"] = _cpu_seconds() - cpu
    measured["peak_rss_mib"] = _peak_rss_mib()
    return measured


def spawn(mode: str, rows: int, data: Path, out: Path) -> dict:
    """Run :func:`child` in a fresh interpreter and parse its JSON line."""
    cmd = [sys.executable, __file__, "--child", mode, "--rows", str(rows)]
    cmd += ["--data", str(data), "--out", str(out)]
    wall = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    measured["wall_seconds"] = time.perf_counter() - wall  # includes interpreter start-up
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    parser.add_argument("--child", choices=["generate", "run", "reconcile"], help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.data, args.out)))
        return

    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
    # Other work on the machine skews every figure: show how busy it was.
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()), flush=True)
    header = "| rows | step | wall s | CPU s | peak RSS (MiB) |"
    lines = [header, "|---:|---|---:|---:|---:|"]
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for rows in args.sizes:
            data, out = Path(tmp) / f"data_{rows}", Path(tmp) / f"out_{rows}"
            generated = spawn("generate", rows, data, out)
            ran = spawn("run", rows, data, out)
            recon = spawn("reconcile", rows, data, out)
            steps = [("generate sample", generated), ("full run", ran)]
            timings = ran["timings"].items()
            steps += [(f"  run: {k}", {"seconds": v}) for k, v in timings if k != "total"]
            steps.append(("reconcile alone", recon))
            for name, m in steps:
                cpu = f"{m['cpu_seconds']:.2f}" if "cpu_seconds" in m else ""
                rss = f"{m['peak_rss_mib']:,.0f}" if "peak_rss_mib" in m else ""
                lines.append(f"| {rows:,} | {name} | {m['seconds']:.2f} | {cpu} | {rss} |")
            print("\n".join(lines[-len(steps) :]), flush=True)
            print("load average: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()), flush=True)
            if rows == 1_000_000:
                verdict = "meets" if recon["seconds"] <= GOAL_RECONCILE_1M_SECONDS else "MISSES"
                print(
                    f"1M reconcile {recon['seconds']:.2f} s {verdict} the "
                    f"{GOAL_RECONCILE_1M_SECONDS:.0f} s goal",
                    flush=True,
                )
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
