"""`uv run python -m experiments.surface_sensitivity [--trajectories R] [--workers N] [--out DIR]`.

Which assumptions drive the most quotable prediction: the share of PEMLE's schools in genuine
practice at the start of 2013 (docs/validation.md). Morris screening (SALib) over the values the
record does not constrain — the genuine threshold, the coaching gain of a visit, what a node
hand-off keeps, how many advisers PEMLE adds per school it requires — and over the calibration
posterior as one more factor: its level picks a stored particle by the particles' cumulative
weight, ordered by their outreach, so the posterior enters with the weight the record gives it.

Each trajectory point runs `scenario=historical` 2004–2013 once (one seed a trajectory, shared by
its points: common random numbers). Writes DIR (default outputs/calibration/surface_sensitivity):
points.parquet (every run's factor values and outcomes), morris.csv (mu*, sigma and the
confidence of mu* per factor) and docs/calibration/surface_sensitivity.png.
"""

from __future__ import annotations

import argparse
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

from runs import posterior
from runs.arguments import OneLineParser
from runs.config import CONFIG_DIR, compose_config, params_from_config
from runs.driver import replicate_seeds
from runs.storage import write_atomic, write_parquet_atomic
from sim.kinds import SchoolState
from sim.metrics import school_states
from sim.model import TutorialNetworkModel
from sim.params import ConfigError
from sim.threads import share_cores

ROOT = Path(__file__).resolve().parent.parent
YEARS = 9.0  # 2004 to the start of 2013
SEED = 20130101
POSTERIOR = "posterior draw (by weight, ordered by outreach)"
# The values the 2004–2010 record leaves free that the surface-compliance prediction may rest on,
# each over a range around its default (assumptions in docs/ODD.md).
FACTORS: dict[str, tuple[float, float]] = {
    "behaviour.practice.genuine_threshold": (0.4, 0.6),
    "behaviour.practice.coach_rate": (0.075, 0.3),
    "scenario.mandate.node_retention": (0.75, 1.0),
    "scenario.mandate.coaches_per_school": (0.0, 0.05),
    POSTERIOR: (0.0, 1.0),
}
OUTCOMES = ("pemle_genuine_share", "schools_adopted")


def problem() -> dict:
    return {"num_vars": len(FACTORS), "names": list(FACTORS), "bounds": list(FACTORS.values())}


def particle_at(level: float, post: posterior.Posterior) -> dict[str, float]:
    """The stored particle at this level of the cumulative weight, particles in outreach order."""
    values, weights = np.array(post.values), np.array(post.weights)
    order = np.argsort(values[:, post.keys.index("behaviour.diffusion.outreach")], kind="stable")
    cumulative = np.cumsum(weights[order])
    at = np.searchsorted(cumulative / cumulative[-1], level, side="right")
    row = order[min(at, len(order) - 1)]
    return dict(zip(post.keys, values[row], strict=True))


def run_point(task: tuple[dict[str, float], dict[str, float], int]) -> dict[str, float]:
    """One run at one point (with the posterior particle its level picks): the PEMLE schools'
    genuine share and schools in the practice."""
    point, particle, seed = task
    logging.getLogger("MESA").setLevel(logging.WARNING)
    cfg = posterior.apply(compose_config(["scenario=historical", f"years={YEARS}"]), particle)
    from omegaconf import OmegaConf

    for key, value in point.items():
        if key != POSTERIOR:
            OmegaConf.update(cfg, key, float(value))
    model = TutorialNetworkModel(params_from_config(cfg), seed=seed)
    model.run()
    states, mandated = school_states(model), model.schools.mandated
    genuine = int((mandated & (states == SchoolState.GENUINE)).sum())
    surface = int((mandated & (states == SchoolState.SURFACE)).sum())
    share = genuine / (genuine + surface) if genuine + surface else float("nan")
    return {**point, "seed": seed, "pemle_genuine_share": share,
            "schools_adopted": model.table[-1]["schools_adopted"]}  # fmt: skip


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog="experiments.surface_sensitivity")
    parser.add_argument("--trajectories", type=int, default=6, help="Morris trajectories (≥ 2)")
    parser.add_argument("--levels", type=int, default=4, help="Morris grid levels (even, ≥ 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "outputs/calibration/surface_sensitivity"
    )
    parser.add_argument(
        "--figure", type=Path, default=ROOT / "docs/calibration/surface_sensitivity.png"
    )
    args = parser.parse_args(argv)
    if args.trajectories < 2 or args.workers < 1 or args.levels < 2 or args.levels % 2:
        parser.error("--trajectories ≥ 2, --workers ≥ 1, --levels even and ≥ 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    args = parse_args(argv)
    try:
        post = posterior.load("historical", CONFIG_DIR)  # read once, here, not in every run
    except ConfigError as err:
        print(f"error: experiments.surface_sensitivity: {err}", file=sys.stderr)
        return 2
    started = time.time()
    spec = problem()
    x = sample.sample(spec, args.trajectories, num_levels=args.levels, seed=SEED)
    per_trajectory = len(FACTORS) + 1
    seeds = replicate_seeds(SEED, args.trajectories)
    points = [dict(zip(FACTORS, map(float, row), strict=True)) for row in x]
    tasks = [
        (point, particle_at(point[POSTERIOR], post), seeds[i // per_trajectory])
        for i, point in enumerate(points)
    ]
    if args.workers > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.workers, mp_context=context, initializer=share_cores) as pool:
            rows = list(pool.map(run_point, tasks))
    else:
        rows = [run_point(t) for t in tasks]
    points = pd.DataFrame(rows)
    y = points["pemle_genuine_share"].fillna(0.0).to_numpy()
    result = analyze.analyze(spec, x, y, num_levels=args.levels, seed=SEED)
    table = pd.DataFrame(
        {k: result[k] for k in ("mu_star", "sigma", "mu_star_conf")}, index=spec["names"]
    ).sort_values("mu_star", ascending=False)
    args.out.mkdir(parents=True, exist_ok=True)
    write_parquet_atomic(points, args.out / "points.parquet")
    write_atomic(args.out / "morris.csv", table.to_csv(index_label="factor").encode())
    summary = {"runs": len(points), "trajectories": args.trajectories, "levels": args.levels,
               "wall_s": round(time.time() - started, 1), "workers": args.workers}  # fmt: skip
    write_atomic(args.out / "summary.json", json.dumps(summary, indent=2).encode())
    plot(table, points, args.figure)
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print(json.dumps(summary))
    return 0


def plot(table: pd.DataFrame, points: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
    names = [n.split(".")[-1].replace("_", " ") for n in table.index]
    left.barh(names[::-1], table["mu_star"][::-1], xerr=table["mu_star_conf"][::-1],
              color="#0072B2")  # fmt: skip
    left.set_xlabel("Morris μ*: mean absolute effect on PEMLE's genuine share, 2013")
    right.hist(points["pemle_genuine_share"].dropna(), bins=12, color="#009E73")
    right.set_xlabel("PEMLE schools in genuine practice, start of 2013 (share)")
    right.set_ylabel("runs")
    path.parent.mkdir(parents=True, exist_ok=True)
    from io import BytesIO

    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    write_atomic(path, buffer.getvalue())


if __name__ == "__main__":
    sys.exit(main())
