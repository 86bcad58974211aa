"""Running scenarios with replicates and writing tidy results (Parquet), a table and a plot."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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
    steps, summaries = [], []
    bar = _progress_bar(sum(p.steps for p in scenarios.values()) * len(seeds), progress)
    for name, params in scenarios.items():
        for replicate, seed in enumerate(seeds):
            snap = snapshots.for_run(scenario=name, replicate=replicate) if snapshots else None
            result = run_one(params, seed, progress=bar, snapshots=snap)
            ids = {"scenario": name, "system": system, "replicate": replicate, "seed": seed}
            steps.append(label(result.steps, **ids))
            summaries.append({**ids, **result.summary})
    if bar is not None:
        bar.close()
    return pd.concat(steps, ignore_index=True), pd.DataFrame(summaries)


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
    fig.suptitle("mean over replicates; band: lowest to highest replicate", fontsize=9)
    write_with(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
