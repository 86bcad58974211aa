"""`uv run python -m experiments.calibration_validate [--replicates N] [--workers N] [--out DIR]`.

What the calibrated `scenario=historical` predicts for after 2010, without refitting: it reads
configs/calibrated/historical.yaml through the scenario exactly as `python -m sim` would, runs
2004–2013, and records what the sources report for that period (docs/validation.md):

- schools in the practice and schools in PEMLE by 2012 (000 l.55: six thousand had joined);
- genuine practice vs surface compliance in the mandated (PEMLE) schools (000 l.121: the risk of
  a new bureaucracy; 004 l.29–37);
- learning: the change in the share of students at ENLACE levels good or excellent from the
  2010 test to the 2012 test, in PEMLE schools and in the others (000 l.55: larger in PEMLE
  schools, DGDGIE 2012), and mean mastery in adopting vs other schools.

PEMLE's pace is an assumption of the scenario (the sources give its target, not its pace), so
the run is repeated at a slower and a faster pace to show how much of the 2012 count it sets.

Writes DIR (default outputs/calibration/validation): steps.parquet (one row per run and month,
the model's metrics plus the PEMLE-school split), groups.parquet (one row per run, test year and
group of schools) and summary.json (settings, wall time).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import multiprocessing
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from runs.arguments import OneLineParser
from runs.config import load_params
from runs.driver import label, replicate_seeds
from runs.storage import write_atomic, write_parquet_atomic
from sim.kinds import Origin, SchoolState
from sim.metrics import school_states
from sim.model import TutorialNetworkModel
from sim.params import ConfigError, Params
from sim.rules.assessment import student_scores
from sim.threads import share_cores

ROOT = Path(__file__).resolve().parent.parent
YEARS = 9.0  # 2004 to the start of 2013: the 2012 test and the year's count are in
PACE_VARIANTS = (2000.0, 4500.0)  # schools a year, around the scenario's assumed 3,000
VALIDATION_SEED = 20100801  # not the calibration's seed: fresh replicates


class ValidationModel(TutorialNetworkModel):
    """The model with, at each month, the mandated (PEMLE) schools' states, and at each yearly
    test each school's share of students at good or better (kept to split the schools into
    groups once the run is over)."""

    def step_row(self) -> dict[str, float]:
        """The month's row with the PEMLE schools' states added (collected with the rest)."""
        row = super().step_row()
        s = self.schools
        states = school_states(self)
        mandated = s.mandated
        row["pemle_genuine"] = int((mandated & (states == SchoolState.GENUINE)).sum())
        row["pemle_surface"] = int((mandated & (states == SchoolState.SURFACE)).sum())
        row["pemle_lapsed"] = int((mandated & (states == SchoolState.LAPSED)).sum())
        t = self.teachers
        required = t.adopted & mandated[t.school]
        genuine = required & (t.practice >= self.params.behaviour.practice.genuine_threshold)
        row["pemle_teacher_genuine_share"] = float(genuine.sum() / max(required.sum(), 1))
        if self.steps % self.params.behaviour.steps_per_year == 0:
            self.tests[self.calendar_year()] = self._test_results()
        return row

    def _test_results(self) -> tuple[np.ndarray, np.ndarray]:
        """Per school: share of its students at ENLACE level good or excellent, and their mean
        score (which also moves below the level thresholds)."""
        scores = student_scores(self)
        good = (scores >= self.enlace.good).astype(np.float32)
        s = self.schools
        per_school = [np.add.reduceat(x, s.student_start) / s.n_students for x in (good, scores)]
        return per_school[0], per_school[1]

    def __init__(self, params: Params, seed: int | None = None) -> None:
        self.tests: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        super().__init__(params, seed=seed)


def school_groups(model: ValidationModel) -> dict[str, np.ndarray]:
    """PEMLE: mandated by the end; movement and pilot: voluntary adopters, not mandated; other:
    never in the practice."""
    s, t = model.schools, model.teachers
    voluntary = np.bincount(
        t.school[t.ever_adopted & (t.origin == Origin.VOLUNTARY)], minlength=s.zone.size
    )
    movement = (voluntary > 0) & ~s.mandated
    return {"pemle": s.mandated, "movement_pilot": movement, "other": ~s.ever_adopted}


def run_validation(task: tuple[Params, int, str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    params, seed, variant, replicate = task
    logging.getLogger("MESA").setLevel(logging.WARNING)
    model = ValidationModel(params, seed=seed)
    model.run()
    ids = {"variant": variant, "pace": params.scenario.mandate.pace, "replicate": replicate}
    steps = label(pd.DataFrame(model.table), **ids, seed=seed)
    weights = model.schools.n_students
    rows = []
    for group, members in school_groups(model).items():
        w = weights[members]
        for year, (share, score) in model.tests.items():
            rows.append(
                {
                    **ids,
                    "group": group,
                    "schools": int(members.sum()),
                    "test_year": year,
                    "share_good_excellent": _average(share, members, w),
                    "mean_score": _average(score, members, w),
                }
            )
    return steps, pd.DataFrame(rows)


def _average(per_school: np.ndarray, members: np.ndarray, weights: np.ndarray) -> float:
    """Student-weighted mean over the member schools."""
    return float(np.average(per_school[members], weights=weights)) if members.any() else np.nan


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog="python -m experiments.calibration_validate")
    parser.add_argument("--replicates", type=int, default=6, help="runs at the assumed pace")
    parser.add_argument("--variant-replicates", type=int, default=3, help="runs per other pace")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--years", type=float, default=YEARS)
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "calibration" / "validation")
    parser.add_argument(
        "--override", action="append", default=[], help="extra config override (repeatable)"
    )
    args = parser.parse_args(argv)
    for name in ("replicates", "variant_replicates", "workers"):
        if getattr(args, name) < (0 if name == "variant_replicates" else 1):
            parser.error(f"--{name.replace('_', '-')}: {getattr(args, name)} is out of range")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        params = load_params(["scenario=historical", f"years={args.years}", *args.override])
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    tasks = [
        (params, seed, "assumed pace", r)
        for r, seed in enumerate(replicate_seeds(VALIDATION_SEED, args.replicates))
    ]
    for pace in PACE_VARIANTS:
        varied = dataclasses.replace(
            params,
            scenario=dataclasses.replace(
                params.scenario, mandate=dataclasses.replace(params.scenario.mandate, pace=pace)
            ),
        )
        seeds = replicate_seeds(VALIDATION_SEED, args.variant_replicates)
        tasks += [(varied, seed, f"pace {pace:g}", r) for r, seed in enumerate(seeds)]
    if args.workers > 1:
        with ProcessPoolExecutor(
            args.workers, mp_context=multiprocessing.get_context("spawn"), initializer=share_cores
        ) as pool:
            results = list(pool.map(run_validation, tasks, chunksize=1))
    else:
        results = [run_validation(task) for task in tasks]
    wall = time.perf_counter() - started
    write_parquet_atomic(
        pd.concat([s for s, _ in results], ignore_index=True), args.out / "steps.parquet"
    )
    write_parquet_atomic(
        pd.concat([g for _, g in results], ignore_index=True), args.out / "groups.parquet"
    )
    summary = {
        "runs": len(tasks),
        "replicates": args.replicates,
        "variant_replicates": args.variant_replicates,
        "years": args.years,
        "system": params.system.name,
        "pace": params.scenario.mandate.pace,
        "pace_variants": list(PACE_VARIANTS),
        "seed": VALIDATION_SEED,
        "workers": args.workers,
        "wall_seconds": round(wall, 1),
        "overrides": args.override,
    }
    write_atomic(args.out / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())
    print(f"validation: {len(tasks)} runs in {wall:.0f} s; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
