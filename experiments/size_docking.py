"""`uv run python -m experiments.size_docking [--replicates N] [--workers N] [--out DIR] [--tiny]
[--one-system]`.

Does one calibrated value mean the same behaviour on a quarter of the country as on all of it?
The calibrated `scenario=historical` runs 2004–2010 on its own `historical` system (50,000
schools) and on `national` (200,000), with the same seeds, observed as the calibration observes
it (schools in the practice, `experiments/calibration_sim.py::RecordModel`). At each of the
record's years the two samples are compared with a two-sample Kolmogorov–Smirnov test and a
Mann–Whitney test, Bonferroni-corrected to a family-wise error of 0.05 over every test made. A
rate whose meaning grew with the system (outreach as a hazard per teacher, as it once was)
recruits four times as many on `national` and fails here.

`--one-system` asks the question of the national calibration instead: do runs that all start
from one drawn national system (`system.seed`, as the national calibration's runs do) grow as
runs that each draw their own? The calibrated scenario runs on `national` both ways.

`--tiny` compares the one-state `seminar` system with the same state four times larger (with
`--one-system`, seminar runs drawing their own system with runs from one), for CI.
Writes DIR (default outputs/size_docking): counts.parquet (one row per system, seed and year)
and summary.json (settings, tests, verdict, wall time); prints the table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from experiments import calibration_sim
from experiments.calibration_sim import CALIBRATION_YEARS
from runs.arguments import OneLineParser
from runs.config import load_params
from runs.driver import replicate_seeds
from runs.storage import write_atomic, write_parquet_atomic
from sim.params import ConfigError
from sim.threads import share_cores

ROOT = Path(__file__).resolve().parent.parent
FAMILY_ERROR = 0.05
SEED = 20040601  # not the calibration's: fresh replicates
# (label, overrides) of the two systems compared; the first is the one the fit ran on.
SYSTEMS = (
    ("historical", ("scenario=historical",)),
    ("national", ("scenario=historical", "system=national")),
)
TINY_SYSTEMS = (
    ("one state", ("scenario=voluntary", "behaviour.diffusion.outreach=1.0")),
    ("four times larger", ("scenario=voluntary", "behaviour.diffusion.outreach=1.0",
                           "system.sectors_per_state=8")),
)  # fmt: skip
YEARS = (2005.0, 2006.0, 2007.0, 2008.0 - 1.0 / 12.0, 2010.0)  # the record's, and between


def one_system(overrides: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Runs that each draw their system vs runs from the national calibration's one system."""
    from experiments.calibrate import NATIONAL, system_seed
    from runs.config import compose_config

    fixed = system_seed(NATIONAL, int(compose_config([]).seed))
    return (("a system per seed", overrides), ("one drawn system", (*overrides, *fixed)))


TINY_YEARS = (2004.5, 2005.0, 2005.5, 2006.0)


def simulate(task: tuple[tuple[str, ...], float, int, tuple[float, ...]]) -> list[int]:
    """Schools in the practice at each of `years`, in one run."""
    overrides, years, seed, at = task
    params = load_params([*overrides, f"years={years}"])
    series = calibration_sim.simulate(params, seed)  # observed as the calibration observes it
    start, spy = params.scenario.start_year, params.behaviour.steps_per_year
    return [int(series[round((y - start) * spy)]) for y in at]


def compare(counts: pd.DataFrame, systems: Sequence[str], years: Sequence[float]) -> pd.DataFrame:
    """Per year: each system's mean and spread, and the two tests' p-values against the level."""
    level = FAMILY_ERROR / (2 * len(years))
    rows = []
    for year in years:
        at_year = counts[counts["year"] == year]
        a, b = (at_year.loc[at_year["system"] == s, "schools"].to_numpy() for s in systems)
        ks = stats.ks_2samp(a, b).pvalue
        mw = stats.mannwhitneyu(a, b, alternative="two-sided").pvalue if np.ptp(
            np.concatenate([a, b])) else 1.0  # fmt: skip
        rows.append({
            "year": year, f"{systems[0]} mean": a.mean(), f"{systems[0]} sd": a.std(ddof=1),
            f"{systems[1]} mean": b.mean(), f"{systems[1]} sd": b.std(ddof=1),
            "ks p": ks, "mann-whitney p": mw, "level": level,
            "docks": bool(ks >= level and mw >= level),
        })  # fmt: skip
    return pd.DataFrame(rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = OneLineParser(
        prog="python -m experiments.size_docking",
        description=" ".join(__doc__.split("\n\n")[0].split()),
    )
    parser.add_argument("--replicates", type=int, default=16, help="runs per system (≥ 3)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (≥ 1)")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "size_docking")
    parser.add_argument("--tiny", action="store_true", help="seminar vs four times larger")
    parser.add_argument(
        "--one-system",
        action="store_true",
        help="national runs each drawing their system vs runs from one drawn system",
    )
    args = parser.parse_args(argv)
    if args.replicates < 3:
        parser.error(f"--replicates: {args.replicates} is out of range; allowed: ≥ 3")
    if args.workers < 1:
        parser.error(f"--workers: {args.workers} is out of range; allowed: ≥ 1")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out: {args.out} is a file; give a folder")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    systems, at = (TINY_SYSTEMS, TINY_YEARS) if args.tiny else (SYSTEMS, YEARS)
    if args.one_system:
        systems = one_system(systems[0][1] if args.tiny else SYSTEMS[1][1])
    years = 2.0 if args.tiny else CALIBRATION_YEARS
    seeds = replicate_seeds(SEED, args.replicates)
    tasks = [(overrides, years, seed, at) for _, overrides in systems for seed in seeds]
    started = time.perf_counter()
    try:
        load_params([*systems[0][1]])  # a bad config fails here, in one line
        if args.workers > 1:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(
                args.workers, mp_context=context, initializer=share_cores
            ) as pool:
                results = list(pool.map(simulate, tasks))
        else:
            results = [simulate(t) for t in tasks]
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    wall = time.perf_counter() - started
    names = [name for name, _ in systems]
    counts = pd.DataFrame(
        [
            {"system": name, "seed": seed, "year": year, "schools": n}
            for (name, _), block in zip(
                systems, np.split(np.array(results), len(systems)), strict=True
            )
            for seed, row in zip(seeds, block, strict=True)
            for year, n in zip(at, row, strict=True)
        ]
    )
    table = compare(counts, names, at)
    args.out.mkdir(parents=True, exist_ok=True)
    write_parquet_atomic(counts, args.out / "counts.parquet")
    summary = {
        "systems": {name: list(overrides) for name, overrides in systems},
        "replicates": args.replicates,
        "seed": SEED,
        "family_error": FAMILY_ERROR,
        "tests": table.to_dict(orient="records"),
        "docks": bool(table["docks"].all()),
        "wall_seconds": round(wall, 1),
        "workers": args.workers,
    }
    write_atomic(args.out / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())
    shown = table.to_string(
        index=False, float_format=lambda x: f"{x:.4g}", formatters={"year": "{:.2f}".format}
    )
    print(shown)
    verdict = "dock" if summary["docks"] else "do NOT dock"
    print(f"{names[0]} and {names[1]} {verdict} at family-wise error {FAMILY_ERROR} "
          f"({args.replicates} runs each, {wall:.0f} s); wrote {args.out}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
