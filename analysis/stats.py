"""Means with 95% confidence intervals over replicates, and effect sizes between cells.

Replicate r of every cell uses the same seed (common random numbers), so a difference between
two cells is estimated on paired replicates; Hedges' g standardizes it by the pooled spread.

In a posterior ensemble (`posterior=NAME`: a `draw` column) every cell runs the same parameter
draws with the same seeds: runs pair by draw and replicate, and each mean also carries the two
spreads of runs.intervals.Spread, the seeds' and the record's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from runs.intervals import LEVEL, mean_ci, spread
from sim import outcomes

# Below this many replicates per cell the report warns, and standardized effects are not shown:
# with 3 replicates a spread estimate is too rough for Hedges' g (and intervals are wide).
MIN_REPLICATES = 10
BOOTSTRAP = 2000  # resamples for the range-respecting intervals

# Outcomes of the comparison table, labelled from the catalogue (sim.outcomes).
OUTCOMES = {
    name: outcomes.label(name)
    for name in (
        "final_schools_genuine",
        "final_schools_surface",
        "final_share_genuine_of_adopted",
        "year_end_mastery_mean",
        "year_end_share_good_excellent",
        "final_motivation_mean",
        "mean_bureaucratization_index",
        "survival_all",
    )
}
# Outcomes of the effect-size table.
EFFECT_OUTCOMES = (
    "final_schools_genuine",
    "final_schools_surface",
    "year_end_mastery_mean",
    "mean_bureaucratization_index",
)


DRAW = "draw"
SPREADS = ["seeds_lo", "seeds_hi", "record_lo", "record_hi"]


def is_ensemble(summary: pd.DataFrame) -> bool:
    return DRAW in summary


def pair_keys(summary: pd.DataFrame) -> list[str]:
    """What pairs the runs of two cells: the replicate (its seed), and in a posterior ensemble
    the parameter draw too (every cell runs the same draws with the same seeds)."""
    return [DRAW, "replicate"] if is_ensemble(summary) else ["replicate"]


def outcome_range(name: str) -> tuple[float, float | None] | None:
    outcome = outcomes.BY_NAME.get(name)
    return (outcome.lo, outcome.hi) if outcome else None


def difference_range(name: str) -> tuple[float, float | None] | None:
    """A difference of two values of a bounded outcome lies within ± its width."""
    outcome = outcomes.BY_NAME.get(name)
    if outcome is None or outcome.hi is None:
        return None
    return (outcome.lo - outcome.hi, outcome.hi - outcome.lo)


def bootstrap_ci(x: Sequence[float] | np.ndarray, seed: int = 0) -> tuple[float, float, float, int]:
    """(mean, lower, upper, n): a percentile bootstrap interval of the mean. Every resampled mean
    lies between the smallest and largest value, so the interval never leaves an outcome's range
    (a count is never below 0, a share never above 1), unlike a t interval at small n."""
    a = np.asarray(x, dtype=float)
    a = a[~np.isnan(a)]
    if a.size == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(a.mean())
    if a.size == 1:
        return m, float("nan"), float("nan"), 1
    rng = np.random.default_rng(seed)
    means = a[rng.integers(0, a.size, size=(BOOTSTRAP, a.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return m, float(lo), float(hi), int(a.size)


def hedges_g(a: np.ndarray, b: np.ndarray) -> float:
    """Standardized mean difference (a − b) with the small-sample correction."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    na, nb = a.size, b.size
    if na < 2 or nb < 2:
        return float("nan")
    pooled = math.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    diff = float(a.mean() - b.mean())
    if pooled == 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    correction = 1 - 3 / (4 * (na + nb) - 9)
    return diff / pooled * correction


def cell_label(labels: Mapping[str, Any], varied: Sequence[str]) -> str:
    """'mandated · pace=10 · coach_capacity=5': the arm, then the varied keys' short names."""
    parts = []
    for key in varied:
        value = labels.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        parts.append(str(value) if key == "arm" else f"{key.rsplit('.', 1)[-1]}={show(value)}")
    return " · ".join(parts) or "base"


def show(value: Any) -> str:
    """A label value as written in a config: 10 rather than 10.0 (a column with gaps is float)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    return str(value)


def varied_keys(summary: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    return [k for k in keys if summary[k].dropna().nunique() > 1]


def cells(summary: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One row per cell: its labels and display name, in sweep order."""
    first = summary.drop_duplicates("cell")[["cell", *keys]].reset_index(drop=True)
    varied = varied_keys(summary, keys)
    first["label"] = [cell_label(row, varied) for row in first.to_dict("records")]
    return first


def comparison(summary: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Long and numeric, one row per cell and outcome: cell (its label), outcome (the summary
    column), mean, lo, hi (95% CI) and n (runs with a value); in a posterior ensemble also the
    seeds' and the record's 95% spreads (seeds_lo, seeds_hi, record_lo, record_hi), and the CI
    is the t interval over the draws' means (the draws are what is sampled independently)."""
    ensemble = is_ensemble(summary)
    rows = []
    for cell in cells(summary, keys).itertuples():
        group = summary[summary["cell"] == cell.cell]
        for col in OUTCOMES:
            if col in group and group[col].notna().any():
                if not ensemble:
                    m, lo, hi, n = bootstrap_ci(group[col])
                    rows.append([cell.label, col, m, lo, hi, n])
                    continue
                s = spread(group[col], group[DRAW], outcome_range(col))
                spreads = [s.seeds_lo, s.seeds_hi, s.record_lo, s.record_hi]
                rows.append([cell.label, col, s.mean, s.lo, s.hi, s.runs, *spreads])
    columns = ["cell", "outcome", "mean", "lo", "hi", "n", *(SPREADS if ensemble else [])]
    return pd.DataFrame(rows, columns=columns)


def reference_cell(
    cell: Mapping[str, Any], candidates: pd.DataFrame, key: str, reference: Any, others: list[str]
) -> str | None:
    """The cell with `reference` as `key` and the same values of the other varied keys (a key an
    arm ignores, stored as missing, matches any value)."""
    pool = candidates[candidates[key].map(lambda v: _same(v, reference))]
    for row in pool.to_dict("records"):
        if all(_missing(row[k]) or _missing(cell[k]) or _same(row[k], cell[k]) for k in others):
            return row["cell"]
    return None


def effects(
    summary: pd.DataFrame, keys: Sequence[str], key: str | None, reference: Any
) -> pd.DataFrame:
    """Each cell against its reference cell: paired difference with 95% CI and Hedges' g."""
    if key is None or key not in summary:
        return pd.DataFrame()
    table = cells(summary, keys)
    others = [k for k in varied_keys(summary, keys) if k != key]
    rows = []
    for cell in table.to_dict("records"):
        if _same(cell[key], reference):
            continue
        ref = reference_cell(cell, table, key, reference, others)
        if ref is None:
            continue
        pairs = pair_keys(summary)
        a = summary[summary["cell"] == cell["cell"]].set_index(pairs)
        b = summary[summary["cell"] == ref].set_index(pairs)
        paired = a.index.intersection(b.index)
        ref_label = table.loc[table["cell"] == ref, "label"].iloc[0]
        row: dict[str, Any] = {"cell": cell["label"], "against": ref_label, "n": len(paired)}
        for col in EFFECT_OUTCOMES:
            if col not in a:
                continue
            diff = (a.loc[paired, col] - b.loc[paired, col]).to_numpy(dtype=float)
            row.update(_difference(col, diff, paired))
            g = hedges_g(a[col].to_numpy(dtype=float), b[col].to_numpy(dtype=float))
            row[f"g {OUTCOMES[col]}"] = g if len(paired) >= MIN_REPLICATES else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def _difference(col: str, diff: np.ndarray, paired: pd.Index) -> dict[str, tuple]:
    """The paired difference's mean with its 95% interval; in a posterior ensemble the interval
    is over the draws, and the record's spread of the difference comes beside it."""
    if not isinstance(paired, pd.MultiIndex):
        m, lo, hi, _ = bootstrap_ci(diff)
        return {f"Δ {OUTCOMES[col]}": (m, lo, hi)}
    s = spread(diff, paired.get_level_values(DRAW), difference_range(col))
    return {
        f"Δ {OUTCOMES[col]}": (s.mean, s.lo, s.hi),
        f"Δ {OUTCOMES[col]}, record": (s.mean, s.record_lo, s.record_hi),
    }


def curves(steps: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per cell and step: year, mean and 95% CI band over replicates."""
    rows = []
    for (cell, step), group in steps.groupby(["cell", "step"], sort=False):
        m, lo, hi, _ = mean_ci(group[column])
        rows.append(
            {
                "cell": cell,
                "step": step,
                "year": group["year"].iloc[0],
                "mean": m,
                "lo": lo,
                "hi": hi,
            }
        )
    return pd.DataFrame(rows)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _same(a: Any, b: Any) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b
