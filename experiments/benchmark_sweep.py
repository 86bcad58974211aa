"""Wall time of an experiment's sweep with 1 and with 2 workers, and whether the runs agree.

    uv run python -m experiments.benchmark_sweep    # voluntary_vs_mandated as configured
    uv run python -m experiments.benchmark_sweep --replicates 2 --years 1    # a quick check

Each worker count runs the whole sweep from scratch into its own temporary folder with the
joblib launcher, exactly as `python -m sim -m +experiment=NAME` does; the figures printed are
the command's wall time (start-up, checks and process pool included) and the speed-up.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from analysis.collect import collect


def sweep(experiment: str, workers: int, folder: Path, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the sweep's processes)."""
    command = [
        sys.executable,
        "-m",
        "sim",
        "-m",
        f"+experiment={experiment}",
        f"hydra.sweep.dir={folder}",
        f"hydra.launcher.n_jobs={workers}",
        "output.progress=false",
        *extra,
    ]
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--experiment", default="voluntary_vs_mandated")
    p.add_argument("--replicates", type=int, default=20)
    p.add_argument("--years", type=float, default=None)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = p.parse_args()
    extra = [f"replicates={args.replicates}"]
    if args.years is not None:
        extra.append(f"years={args.years:g}")
    times, summaries = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.workers:
            folder = Path(tmp) / f"workers{n}"
            times[n], cpu = sweep(args.experiment, n, folder, extra)
            results = collect(folder)
            summaries[n] = results.summary.drop(columns=["cell"]).reset_index(drop=True)
            print(
                f"{args.experiment}: {len(results.summary)} runs in "
                f"{results.summary['cell'].nunique()} cells, {n} worker(s): "
                f"{times[n]:.1f} s wall, {cpu:.1f} s CPU"
            )
    base = args.workers[0]
    for n in args.workers[1:]:
        same = summaries[n].equals(summaries[base])
        print(
            f"speed-up {base} → {n} workers: {times[base] / times[n]:.2f}× (identical runs: {same})"
        )
        if not same:
            pd.testing.assert_frame_equal(summaries[n], summaries[base])


if __name__ == "__main__":
    main()
