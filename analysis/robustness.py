"""Robustness of the arms (policies) across states of the world: regret and satisficing.

A *state of the world* is everything but the arm: a design point, or a combination of the other
swept values (an arm that ignores a key counts in every state). In each state the best arm is the
one with the highest mean outcome; an arm's regret there is, replicate by replicate, the best
arm's outcome minus its own (the arms share seeds: common random numbers, so the difference is
paired). Satisficing is the share of runs that meet the success definition. Intervals come from
resampling replicates with the same indices in every cell (the best arm is chosen again in every
resample); arms are ranked by mean regret, then by satisficing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis import stats
from analysis.discovery import succeeded

BOOTSTRAP = 1000
LEVEL = 0.95


def states(summary: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Runs with a `state` column; an arm's runs with a key missing (the arm ignores it) are
    copied into every state that shares its other values."""
    others = [k for k in keys if k != "arm"]
    if not others:
        return summary.assign(state="all")
    complete = summary.dropna(subset=others)
    combos = complete[others].drop_duplicates()
    parts = [complete]
    partial = summary[summary[others].isna().any(axis=1)]
    for _, group in partial.groupby("cell", sort=False):
        known = [k for k in others if group[k].notna().all()]
        wanted = combos if not known else combos.merge(group[known].drop_duplicates(), on=known)
        expanded = group.drop(columns=others).merge(wanted, how="cross")
        parts.append(expanded)
    out = pd.concat(parts, ignore_index=True)
    out["state"] = out[others].astype(str).agg(" · ".join, axis=1)
    return out


def cube(runs: pd.DataFrame, column: str) -> tuple[np.ndarray, list[str], list[str]]:
    """arms × states × replicates of `column` (NaN where a run is missing); in a posterior
    ensemble the last axis is every (draw, replicate) pair, the same runs in every cell."""
    arms = list(dict.fromkeys(runs["arm"]))
    names = list(dict.fromkeys(runs["state"]))
    pair = pd.Series(list(zip(*(runs[k] for k in stats.pair_keys(runs)), strict=True)))
    reps = sorted(pair.unique())
    out = np.full((len(arms), len(names), len(reps)), np.nan)
    a = runs["arm"].map({v: i for i, v in enumerate(arms)}).to_numpy()
    s = runs["state"].map({v: i for i, v in enumerate(names)}).to_numpy()
    r = pair.map({v: i for i, v in enumerate(reps)}).to_numpy()
    out[a, s, r] = runs[column].astype(float).to_numpy()
    return out, arms, names


def regret_of(y: np.ndarray) -> np.ndarray:
    """arms × states: mean regret per state, the best arm chosen by its mean in that state."""
    with np.errstate(invalid="ignore"):
        means = np.nanmean(y, axis=2)  # arms × states
    best = np.nanargmax(np.where(np.isnan(means), -np.inf, means), axis=0)
    best_runs = y[best, np.arange(y.shape[1]), :]  # states × replicates
    with np.errstate(invalid="ignore"):
        return np.nanmean(best_runs[None, :, :] - y, axis=2)


def table(
    summary: pd.DataFrame,
    keys: Sequence[str],
    outcome: str,
    success: str | None,
    seed: int = 0,
    bootstrap: int = BOOTSTRAP,
) -> pd.DataFrame:
    """Per arm, ranked: mean and worst regret over states, satisficing, each with its interval."""
    if "arm" not in summary or summary["arm"].nunique() < 2:
        return pd.DataFrame()
    runs = states(summary, keys)
    if success is not None:
        runs = runs.assign(success=succeeded(runs, success).astype(float))
    y, arms, _ = cube(runs, outcome)
    ok = cube(runs, "success")[0] if success is not None else None
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(bootstrap):
        picks = rng.integers(0, y.shape[2], size=y.shape[2])
        draws.append(_measures(y[:, :, picks], None if ok is None else ok[:, :, picks]))
    point = _measures(y, ok)
    lo = np.nanquantile(np.array(draws), (1 - LEVEL) / 2, axis=0)
    hi = np.nanquantile(np.array(draws), (1 + LEVEL) / 2, axis=0)
    names = ["mean regret", "worst regret", "satisficing"]
    rows = []
    for i, arm in enumerate(arms):
        row: dict[str, object] = {"arm": arm}
        for j, name in enumerate(names):
            row[name] = (point[i, j], lo[i, j], hi[i, j])
        rows.append(row)
    out = pd.DataFrame(rows)
    order = sorted(
        range(len(arms)), key=lambda i: (point[i, 0], -np.nan_to_num(point[i, 2], nan=-1.0))
    )
    out = out.iloc[order].reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    out.attrs["states"] = y.shape[1]
    out.attrs["replicates"] = y.shape[2]
    return out


def _measures(y: np.ndarray, ok: np.ndarray | None) -> np.ndarray:
    """arms × (mean regret, worst regret, satisficing) for one (resampled) cube."""
    regret = regret_of(y)
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(regret, axis=1)
        worst = np.nanmax(regret, axis=1)
        satisficing = np.nanmean(ok, axis=(1, 2)) if ok is not None else np.full(len(y), np.nan)
    return np.stack([mean, worst, satisficing], axis=1)
