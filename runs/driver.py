"""Running scenarios with replicates and writing tidy results (Parquet), a table and a plot."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from runs import posterior
from runs.posterior import Draw
from runs.snapshots import SnapshotPlan, Snapshotter
from runs.storage import write_with
from sim.model import TutorialNetworkModel
from sim.params import Params

# Okabe & Ito's colour-blind-safe palette.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


@dataclass
class RunResult:
    steps: pd.DataFrame  # one row per step
    summary: dict[str, Any]  # one row per run
    events: list[tuple[int, float, str]]


def replicate_seeds(root_seed: int, replicates: int) -> list[int]:
    """Replicate r's seed depends only on (root seed, r): not on job order, launcher or workers."""
    children = np.random.SeedSequence(root_seed).spawn(replicates)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def run_one(
    params: Params, seed: int, progress: Any = None, snapshots: Snapshotter | None = None
) -> RunResult:
    """One run of one scenario with one seed (writing per-agent snapshots if asked to)."""
    from sim.metrics import run_summary

    model = TutorialNetworkModel(params, seed=seed)
    if snapshots is None:
        model.run(progress=progress)
    else:
        snapshots.run(model, progress=progress)
    steps = pd.DataFrame(model.table)
    summary = run_summary(model, model.table)
    return RunResult(steps=steps, summary=summary, events=model.events_log)


def label(df: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    """Identifying columns first, then the rest."""
    front = pd.DataFrame({k: [v] * len(df) for k, v in columns.items()}, index=df.index)
    return pd.concat([front, df], axis=1)


def run_scenarios(
    scenarios: dict[str, Params],
    seeds: Sequence[int],
    system: str,
    progress: bool = False,
    snapshots: SnapshotPlan | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every scenario with every seed (common random numbers across scenarios)."""
    runs = {name: [(None, params)] for name, params in scenarios.items()}
    return run_ensemble(runs, seeds, system, progress, snapshots)


def run_ensemble(
    runs: dict[str, list[tuple[Draw | None, Params]]],
    seeds: Sequence[int],
    system: str,
    progress: bool = False,
    snapshots: SnapshotPlan | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every scenario with each of its parameter sets and every seed. A posterior ensemble gives
    every scenario the same draws (runs.posterior) and seeds, so scenarios compare on paired runs;
    its rows carry `draw` (0 .. K-1) and `particle`, its summary the drawn values, a column per
    key. A parameter set without a draw (None) runs as `run_scenarios` runs it."""
    steps, summaries = [], []
    total = sum(p.steps for variants in runs.values() for _, p in variants) * len(seeds)
    bar = _progress_bar(total, progress)
    for name, variants in runs.items():
        for draw, params in variants:
            for replicate, seed in enumerate(seeds):
                where = (name, draw, replicate, seed)
                run_steps, summary = _labelled_run(where, params, system, bar, snapshots)
                steps.append(run_steps)
                summaries.append(summary)
    if bar is not None:
        bar.close()
    return pd.concat(steps, ignore_index=True), pd.DataFrame(summaries)


def _labelled_run(
    where: tuple[str, Draw | None, int, int],
    params: Params,
    system: str,
    bar: Any,
    snapshots: SnapshotPlan | None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One run (scenario, draw, replicate, seed) with its identifying columns first."""
    name, draw, replicate, seed = where
    ids = {"scenario": name, "system": system, **posterior.ids(draw)}
    ids.update(replicate=replicate, seed=seed)
    at = {} if draw is None else {"draw": draw.index}
    snap = snapshots.for_run(scenario=name, **at, replicate=replicate) if snapshots else None
    result = run_one(params, seed, progress=bar, snapshots=snap)
    summary = {**ids, **posterior.values_of(draw), **result.summary}
    return label(result.steps, **ids), summary


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="step", desc="simulating", file=sys.stderr, leave=False)


def plot_adoption(steps: pd.DataFrame, path: Path) -> None:
    """Adoption over time per scenario, genuine vs surface, mean with min-max band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
    colours = OKABE_ITO
    panels = [
        ("schools_genuine", "schools in genuine practice"),
        ("schools_surface", "schools in surface compliance"),
        ("mastery_mean", "mean student score (share of the curriculum)"),
    ]
    for ax, (col, title) in zip(axes, panels, strict=True):
        for i, (scenario, g) in enumerate(steps.groupby("scenario", sort=False)):
            by_year = g.groupby("year")[col]
            mean, lo, hi = by_year.mean(), by_year.min(), by_year.max()
            ax.plot(mean.index, mean.values, color=colours[i], label=scenario)
            ax.fill_between(mean.index, lo.values, hi.values, color=colours[i], alpha=0.2)
        ax.set_title(title)
        ax.set_xlabel("year")
    axes[0].legend()
    over = "runs (parameter draws × replicates)" if "draw" in steps else "replicates"
    band = "run" if "draw" in steps else "replicate"
    fig.suptitle(f"mean over {over}; band: lowest to highest {band}", fontsize=9)
    write_with(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
