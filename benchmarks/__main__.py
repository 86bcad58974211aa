"""`python -m benchmarks`: speed and memory of the engine, from the seminar system to Mexico.

Runs each workload of ``benchmarks.workloads`` in a fresh process (so each peak resident memory
is its own) and prints, for each: wall seconds (building the model plus stepping it), peak
resident memory, agent-steps per second (students, teachers and supervisors times steps, over
the stepping time) and the ratio to the per-agent reference measured in the same run, on the
same workload and steps. Targets are printed beside the figures. ``--tiny`` runs every workload
for three steps on the seminar system: it proves the benchmark works, it measures nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.workloads import Workload, workloads

COLUMNS = {
    "name": "workload",
    "engine": "engine",
    "agents": "agents",
    "steps": "steps",
    "wall_s": "wall s",
    "cpu_s": "cpu s",
    "init_s": "init s",
    "run_s": "step s",
    "step_ms_mean": "ms/step",
    "step_ms_max": "max ms/step",
    "peak_rss_gb": "peak RSS GB",
    "bytes_per_student": "B/student",
    "agent_steps_per_s": "agent-steps/s",
    "vs_reference": "x reference",
    "vs_floor": "x floor",
}
# The memory-bandwidth floor: a month must at least read and write back the whole agent state
# once (the lesson, the inquiry, the demonstrations, the aggregates), so no engine can step
# faster than the state's size over the machine's copy bandwidth, measured in the same run.
BANDWIDTH_BYTES = 512 * 2**20
IMPORT_TARGET_S = 2.5


def run_workload(
    workload: Workload, progress: bool, checkout: Path | None = None
) -> dict[str, Any]:
    """Run one workload in a fresh Python process and return its measurements: of this
    version, or of the version in `checkout` (its own `sim` and `benchmarks`)."""
    command = [sys.executable, "-m", "benchmarks.workloads", json.dumps(asdict(workload))]
    if progress:
        command.append("--progress")
    env = None
    if checkout is not None:
        env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        command, stdout=subprocess.PIPE, text=True, check=False, cwd=checkout, env=env
    )
    if done.returncode != 0:
        where = f" in {checkout}" if checkout is not None else ""
        raise RuntimeError(f"workload '{workload.name}' ({workload.engine}) failed{where}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(
    workload: Workload, progress: bool, repeat: int, baseline: Path | None
) -> dict[str, Any]:
    """The workload's measurements, `repeat` times, alternating with the baseline's when one is
    given (the fast engine only): on a machine whose speed drifts, runs made one right after
    the other are what can be compared. Keeps the run of median stepping time, with every
    run's stepping time beside it."""
    here, there = [], []
    for _ in range(repeat):
        here.append(run_workload(workload, progress))
        if baseline is not None and workload.engine == "fast":
            there.append(run_workload(workload, progress, baseline))
    result = _median_run(here)
    result["runs_s"] = [r["run_s"] for r in here]
    if there:
        other = _median_run(there)
        result["baseline_runs_s"] = [r["run_s"] for r in there]
        result["baseline_wall_s"] = other["wall_s"]
        result["baseline_peak_rss_gb"] = other["peak_rss_gb"]
        # Pairwise: each run over the baseline's run made right after it, then the median.
        ratios = sorted(b["run_s"] / a["run_s"] for a, b in zip(here, there, strict=True))
        result["vs_baseline"] = ratios[len(ratios) // 2]
    return result


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(runs, key=lambda r: r["run_s"])[len(runs) // 2]


def checkout_of(path: Path) -> Path:
    """A checkout of another version of the project, for --baseline (one line if it is not)."""
    needed = [path / "sim" / "model.py", path / "benchmarks" / "workloads.py"]
    missing = [str(f.relative_to(path)) for f in needed if not f.is_file()]
    if missing:
        raise ValueError(
            f"--baseline: {path} is not a checkout of this project (no {missing[0]}); "
            "make one with `git worktree add DIR COMMIT`"
        )
    return path.resolve()


def add_ratios(results: list[dict[str, Any]], bandwidth: float) -> None:
    """Agent-steps per second over the reference's, and time a step over the bandwidth floor."""
    reference = next((r for r in results if r["engine"] == "reference"), None)
    for r in results:
        r["vs_reference"] = (
            r["agent_steps_per_s"] / reference["agent_steps_per_s"] if reference else float("nan")
        )
        floor_ms = 1e3 * r["state_bytes"] / bandwidth
        r["vs_floor"] = r["step_ms_mean"] / floor_ms if floor_ms > 0 else float("nan")


def copy_bandwidth() -> float:
    """Bytes per second that one core copies between two large arrays (best of five)."""
    import time

    import numpy as np

    source = np.ones(BANDWIDTH_BYTES // 8)
    target = np.empty_like(source)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - start)
    return source.nbytes / best


def import_seconds() -> float:
    """Wall seconds of `import sim.model` in a fresh process: what every run and worker pays."""
    import time

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sim.model"], check=True)
    return time.perf_counter() - start


def check_targets(results: list[dict[str, Any]], min_ratio: float) -> list[str]:
    """One line per target missed (the ratio target applies to the same-steps comparison)."""
    missed = []
    for r in results:
        for key, bound in r["targets"].items():
            if not r[key] <= bound:
                missed.append(f"{r['name']}: {COLUMNS.get(key, key)} {r[key]:.4g} > {bound:g}")
    if not any(r["engine"] == "reference" for r in results):
        return missed
    same_steps = [r for r in results if r["engine"] == "fast" and r["steps_setting"] is not None]
    for r in same_steps:
        if not r["vs_reference"] >= min_ratio:
            missed.append(f"{r['name']}: {r['vs_reference']:.3g}x the reference < {min_ratio:g}x")
    return missed


def format_table(results: list[dict[str, Any]]) -> str:
    import pandas as pd

    columns = dict(COLUMNS)
    if any("vs_baseline" in r for r in results):
        columns["vs_baseline"] = "x baseline"
    table = pd.DataFrame(results).reindex(columns=list(columns)).rename(columns=columns)
    formats = {
        "wall s": "{:.1f}",
        "cpu s": "{:.1f}",
        "init s": "{:.1f}",
        "ms/step": "{:.1f}",
        "max ms/step": "{:.1f}",
        "peak RSS GB": "{:.2f}",
        "B/student": "{:.0f}",
        "agent-steps/s": "{:.3g}",
        "x reference": "{:.0f}",
        "x floor": "{:.1f}",
        "x baseline": "{:.2f}",
    }
    for col, fmt in formats.items():
        if col not in table:
            continue
        table[col] = table[col].map(lambda x, f=fmt: "-" if x != x else f.format(x))
    return table.to_string(index=False)


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    import numpy as np

    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, load average {load}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--tiny", action="store_true", help="three steps on the seminar system")
    parser.add_argument("--only", help="comma-separated workload names (e.g. national,seminar)")
    parser.add_argument("--reference-steps", type=int, default=36, metavar="N")
    parser.add_argument("--min-ratio", type=float, default=100.0, help="target vs the reference")
    parser.add_argument("--json", type=Path, help="also write the measurements to this file")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="CHECKOUT",
        help="a checkout of another version (git worktree add DIR COMMIT): every fast workload "
        "runs there too, alternating with this one, and the table says how many times faster "
        "this version steps",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="runs per workload; the median is kept"
    )
    args = parser.parse_args(argv)
    if args.reference_steps < 1:
        parser.error("--reference-steps: must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat: must be at least 1")
    baseline = None
    if args.baseline is not None:
        try:
            baseline = checkout_of(args.baseline)
        except ValueError as err:
            parser.error(str(err))
    chosen = workloads(tiny=args.tiny, reference_steps=args.reference_steps)
    if args.only:
        names = {n.strip() for n in args.only.split(",")}
        unknown = names - {w.name.split(",")[0] for w in chosen}
        if unknown:
            parser.error(f"--only: unknown workload {sorted(unknown)[0]!r}")
        chosen = [w for w in chosen if w.name.split(",")[0] in names]
    progress = not args.no_progress and sys.stderr.isatty()
    print(machine(), flush=True)
    results = []
    for w in chosen:
        result = measure(w, progress, args.repeat, baseline)
        result["steps_setting"] = w.steps
        results.append(result)
        line = f"  {w.name} ({w.engine}): {result['wall_s']:.1f} s, {result['peak_rss_gb']:.2f} GB"
        if "vs_baseline" in result:
            line += (
                f"; the baseline {result['baseline_wall_s']:.1f} s, "
                f"{result['baseline_peak_rss_gb']:.2f} GB"
            )
        print(line, flush=True)
    # Measured after the workloads: a child process would inherit this one's peak memory.
    bandwidth, import_s = copy_bandwidth(), import_seconds()
    print(f"  memory copy bandwidth: {bandwidth / 1e9:.1f} GB/s (one core)")
    print(f"  import sim.model in a fresh process: {import_s:.2f} s")
    add_ratios(results, bandwidth)
    print(format_table(results))
    if baseline is not None:
        print(f"  baseline: {baseline}; stepping times of runs made one right after the other")
        for r in results:
            if "vs_baseline" in r:
                here = ", ".join(f"{x:.3g}" for x in r["runs_s"])
                there = ", ".join(f"{x:.3g}" for x in r["baseline_runs_s"])
                print(
                    f"  {r['name']}: {here} s here, {there} s in the baseline: "
                    f"{r['vs_baseline']:.2f}x as fast (median of the pairs)"
                )
    for r in results:
        if r["engine"] == "fast" and r["state_bytes"] == r["state_bytes"]:
            print(
                f"  {r['name']}: a month touches at least {r['state_bytes'] / 1e6:.1f} MB of "
                f"agent state, {1e3 * r['state_bytes'] / bandwidth:.1f} ms at the copy bandwidth; "
                f"the engine takes {r['step_ms_mean']:.1f} ms ({r['vs_floor']:.1f}x the floor)"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    if args.tiny:
        print("tiny run: proves the benchmark works; targets are not checked")
        return 0
    missed = check_targets(results, args.min_ratio)
    if import_s > IMPORT_TARGET_S:
        missed.append(f"import sim.model {import_s:.2f} s > {IMPORT_TARGET_S:g} s")
    for line in missed:
        print(f"target missed: {line}")
    if not missed:
        print("all targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
