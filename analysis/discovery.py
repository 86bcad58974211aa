"""Scenario discovery: which conditions lead to success, found by PRIM and by a CART tree.

Success is a condition on a run's outcomes in their catalogue names, for example
``final_share_genuine_of_adopted >= 0.5 and mean_bureaucratization_index <= 0.5``. A setting's
(cell's) *probability* of success is the share of its replicates that meet it. PRIM (EMA
Workbench's implementation: peeling, then pasting) looks for a box of settings where that
probability is high: density is the mean probability inside the box, coverage the box's share of
all expected successes. The box's coverage and density get replicate-bootstrap intervals
(replicates resampled with the same indices in every cell, as they share seeds), and PRIM is run
again on each resample to show how often each dimension is restricted. A CART tree
(scikit-learn) gives the same question a second, differently biased answer.
"""

from __future__ import annotations

import ast
import json
import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import stats, words
from analysis.collect import Results, _to_parquet, read_parquet
from experiments import design as designs
from experiments import store
from sim import outcomes
from sim.params import ConfigError

FOLDER = "discovery"
BOOTSTRAP = 500  # replicate resamples for the intervals
STABILITY = 30  # PRIM reruns on resamples, for how often each dimension is restricted
LEVEL = 0.95
ALPHA = 0.05  # a restriction whose quasi-p-value is above this is dropped from the box
_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.Compare,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Eq,
    ast.NotEq,
    ast.Name,
    ast.Load,
    ast.Constant,
)


def check_success(expression: str, columns: list[str]) -> list[str]:
    """The outcome names a success definition uses; ConfigError in one line if it is not a
    comparison of outcomes with numbers joined by and/or/not."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise ConfigError(
            f"success: cannot read {expression!r}; e.g. 'x >= 0.5 and y <= 0.5'"
        ) from None
    names = []
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ConfigError(
                f"success: {expression!r}: only outcome names, numbers, comparisons and "
                "and/or/not are allowed"
            )
        if isinstance(node, ast.Name):
            if node.id not in columns:
                known = ", ".join(c for c in columns if c in outcomes.BY_NAME)
                raise ConfigError(f"success: unknown outcome '{node.id}'; allowed: {known}")
            names.append(node.id)
    if not names:
        raise ConfigError(f"success: {expression!r} names no outcome")
    return names


def succeeded(summary: pd.DataFrame, expression: str) -> pd.Series:
    """Per run: whether it meets the success definition (a missing outcome does not)."""
    check_success(expression, list(summary.columns))
    text = expression.replace(" and ", " & ").replace(" or ", " | ").replace("not ", "~")
    result = summary.eval(text, engine="python")
    return pd.Series(np.asarray(result, dtype=bool), index=summary.index)


def in_words(expression: str) -> str:
    """'genuine share of adopters ≥ 0.5 and bureaucratization ≤ 0.5'."""
    text = expression
    for name in sorted(outcomes.BY_NAME, key=len, reverse=True):
        text = text.replace(name, outcomes.label(name))
    return text.replace(">=", "≥").replace("<=", "≤").replace("==", "=")


def factors(results: Results) -> list[str]:
    """What a setting is made of: the arm, the swept keys and a design's drawn keys, each if it
    takes more than one value."""
    drawn = designs.keys_of(results.sweep.config)
    keys = [k for k in results.label_keys if k != designs.POINT] + drawn
    summary = results.summary
    return [k for k in dict.fromkeys(keys) if k in summary and summary[k].nunique() > 1]


def success_matrix(summary: pd.DataFrame, ok: pd.Series) -> pd.DataFrame:
    """Cells × replicates: 1 success, 0 not, NaN a replicate the cell has not finished (in a
    posterior ensemble a column per draw and replicate, the same runs in every cell)."""
    pairs = stats.pair_keys(summary)
    frame = summary[["cell", *pairs]].assign(ok=ok.astype(float))
    return frame.pivot_table(index="cell", columns=pairs, values="ok", aggfunc="first")


def cell_factors(summary: pd.DataFrame, keys: list[str], order: pd.Index) -> pd.DataFrame:
    """One row per cell, its factor values, as PRIM and CART read them (bools as words)."""
    first = summary.drop_duplicates("cell").set_index("cell").loc[order, keys]
    for key in keys:
        column = first[key]
        if column.map(lambda v: isinstance(v, (bool, np.bool_))).all():
            first[key] = column.map(lambda v: "true" if v else "false").astype("category")
        elif column.map(lambda v: isinstance(v, str)).all():
            first[key] = column.astype("category")
        else:
            first[key] = pd.to_numeric(column).astype(float)
    return first.reset_index(drop=True)


@dataclass
class Discovery:
    success: str
    probability: pd.Series  # per cell
    x: pd.DataFrame  # per cell, the factors
    trajectory: pd.DataFrame  # PRIM's peeling and pasting trajectory
    chosen: int  # the box selected on the trajectory
    limits: pd.DataFrame  # the chosen box: factor, restricted, lower, upper / values
    coverage: tuple[float, float, float]
    density: tuple[float, float, float]
    base_rate: tuple[float, float, float]
    restricted_share: dict[str, float] = field(default_factory=dict)
    tree: list[dict[str, Any]] = field(default_factory=list)
    tree_text: str = ""
    replicates: int = 0


def discover(
    results: Results,
    success: str,
    density: float = 0.8,
    mass_min: float = 0.05,
    seed: int = 0,
    bootstrap: int = BOOTSTRAP,
    stability: int = STABILITY,
) -> Discovery:
    summary = results.summary
    ok = succeeded(summary, success)
    keys = factors(results)
    if not keys:
        raise ConfigError("discover: nothing varies between the cells of this sweep")
    matrix = success_matrix(summary, ok)
    x = cell_factors(summary, keys, matrix.index)
    p = matrix.mean(axis=1).to_numpy()
    if np.nansum(p) == 0:
        raise ConfigError(f"discover: no run meets the success definition {success!r}")
    box = run_prim(x, p, mass_min)
    trajectory = box.peeling_trajectory[["id", "coverage", "density", "mass", "res_dim", "n"]]
    chosen = choose(trajectory, density)
    lims, qp = significant(box, chosen)
    inside = in_box(x, lims)
    rng = np.random.default_rng(seed)
    values = matrix.to_numpy()
    stats = [_box_stats(_resampled(values, rng), inside) for _ in range(bootstrap)]
    cov, den, base = (np.array([s[i] for s in stats]) for i in range(3))
    point = _box_stats(values, inside)
    restricted = restricted_dims(lims, box.prim.box_init)
    limits = box_table(lims, box.prim.box_init, restricted)
    limits["quasi-p"] = [qp.get(k, float("nan")) for k in restricted]
    shares = _stability(x, values, rng, mass_min, density, stability, keys)
    nodes, text = cart(x, p, seed)
    return Discovery(
        success=success,
        probability=pd.Series(p, index=matrix.index),
        x=x,
        trajectory=trajectory.reset_index(drop=True),
        chosen=chosen,
        limits=limits,
        coverage=_interval(point[0], cov),
        density=_interval(point[1], den),
        base_rate=_interval(point[2], base),
        restricted_share=shares,
        tree=nodes,
        tree_text=text,
        replicates=int(matrix.notna().sum(axis=1).min()),
    )


def run_prim(x: pd.DataFrame, p: np.ndarray, mass_min: float):
    """One PRIM box (peeling, then pasting) on the cells' success probabilities."""
    with warnings.catch_warnings():  # EMA Workbench's own deprecation notices, not ours
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        logging.getLogger("EMA").setLevel(logging.WARNING)
        finder = prim.Prim(x, p.astype(float), mass_min=mass_min, peel_alpha=0.05, paste_alpha=0.05)
        box = finder.find_box()
    if box is None:
        raise ConfigError("discover: PRIM found no box (no cell ever succeeded?)")
    return box


def choose(trajectory: pd.DataFrame, density: float) -> int:
    """The box with the largest coverage among those at least `density` dense; without one, the
    densest (the usual analyst's choice, made explicit)."""
    dense = trajectory[trajectory["density"] >= density]
    if dense.empty:
        return int(trajectory["density"].astype(float).idxmax())
    return int(dense["coverage"].astype(float).idxmax())


def significant(box: Any, chosen: int, alpha: float = ALPHA) -> tuple[pd.DataFrame, dict]:
    """The chosen box without the restrictions PRIM's quasi-p-values (Bryant and Lempert 2010,
    a one-sided binomial test per restriction) do not support at `alpha`: PRIM also trims
    factors that do not matter, a little, and those trims are noise. Returns the limits and the
    quasi-p-value of each restriction kept."""
    lims = box.box_lims[chosen].copy()
    init = box.prim.box_init
    kept = {}
    for key, values in box.p_values[chosen].items():
        sides = [float(v) for v in values if v is not None and float(v) >= 0]
        if not sides:
            continue
        if min(sides) > alpha:
            lims[key] = init[key]
        else:
            kept[key] = min(sides)
    return lims, kept


def in_box(x: pd.DataFrame, lims: pd.DataFrame) -> np.ndarray:
    inside = np.ones(len(x), dtype=bool)
    for key in lims.columns:
        column = x[key]
        if isinstance(column.dtype, pd.CategoricalDtype):
            inside &= column.isin(list(lims[key].iloc[0])).to_numpy()
        else:
            lo, hi = float(lims[key].iloc[0]), float(lims[key].iloc[1])
            inside &= ((column >= lo) & (column <= hi)).to_numpy()
    return inside


def restricted_dims(lims: pd.DataFrame, init: pd.DataFrame) -> list[str]:
    out = []
    for key in lims.columns:
        a, b = lims[key], init[key]
        if isinstance(a.iloc[0], set):
            if set(a.iloc[0]) != set(b.iloc[0]):
                out.append(key)
        elif float(a.iloc[0]) > float(b.iloc[0]) or float(a.iloc[1]) < float(b.iloc[1]):
            out.append(key)
    return out


def box_table(lims: pd.DataFrame, init: pd.DataFrame, restricted: list[str]) -> pd.DataFrame:
    rows = []
    for key in restricted:
        value = lims[key]
        if isinstance(value.iloc[0], set):
            text = ", ".join(sorted(str(v) for v in value.iloc[0]))
            full = ", ".join(sorted(str(v) for v in init[key].iloc[0]))
        else:
            text = f"{_num(value.iloc[0])} to {_num(value.iloc[1])}"
            full = f"{_num(init[key].iloc[0])} to {_num(init[key].iloc[1])}"
        rows.append({"factor": key, "meaning": words.meaning(key), "in the box": text, "of": full})
    return pd.DataFrame(rows, columns=["factor", "meaning", "in the box", "of"])


def _num(v: Any) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:.3g}"


def _resampled(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The matrix with replicates drawn with replacement, the same draw for every cell."""
    picks = rng.integers(0, values.shape[1], size=values.shape[1])
    return values[:, picks]


def _box_stats(values: np.ndarray, inside: np.ndarray) -> tuple[float, float, float]:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.nanmean(values, axis=1)
    p = np.nan_to_num(p)
    total = p.sum()
    coverage = float(p[inside].sum() / total) if total > 0 else float("nan")
    density = float(p[inside].mean()) if inside.any() else float("nan")
    return coverage, density, float(p.mean())


def _interval(point: float, draws: np.ndarray) -> tuple[float, float, float]:
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return point, float("nan"), float("nan")
    lo, hi = np.quantile(draws, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return point, float(lo), float(hi)


def _stability(
    x: pd.DataFrame,
    values: np.ndarray,
    rng: np.random.Generator,
    mass_min: float,
    density: float,
    times: int,
    keys: list[str],
) -> dict[str, float]:
    """Share of PRIM reruns on replicate resamples whose chosen box restricts each factor."""
    counts = dict.fromkeys(keys, 0)
    done = 0
    for _ in range(times):
        with np.errstate(invalid="ignore"):
            p = np.nan_to_num(np.nanmean(_resampled(values, rng), axis=1))
        if p.sum() == 0:
            continue
        try:
            box = run_prim(x, p, mass_min)
        except (ConfigError, ValueError):
            continue
        lims, _ = significant(box, choose(box.peeling_trajectory, density))
        for key in restricted_dims(lims, box.prim.box_init):
            counts[key] += 1
        done += 1
    return {k: (v / done if done else float("nan")) for k, v in counts.items()}


def cart(x: pd.DataFrame, p: np.ndarray, seed: int) -> tuple[list[dict[str, Any]], str]:
    """A shallow regression tree of the success probability; its leaves as readable rules."""
    from sklearn.tree import DecisionTreeRegressor, export_text

    encoded = pd.get_dummies(x, prefix_sep=" = ", dtype=float)
    leaf = max(3, math.ceil(0.05 * len(x)))
    tree = DecisionTreeRegressor(max_depth=3, min_samples_leaf=leaf, random_state=seed)
    tree.fit(encoded.to_numpy(), p)
    names = list(encoded.columns)
    t = tree.tree_
    leaves: list[dict[str, Any]] = []

    def walk(node: int, rules: list[str]) -> None:
        if t.children_left[node] == -1:
            leaves.append(
                {
                    "conditions": " and ".join(rules) or "everywhere",
                    "cells": int(t.n_node_samples[node]),
                    "probability of success": float(t.value[node].ravel()[0]),
                }
            )
            return
        name, threshold = names[t.feature[node]], float(t.threshold[node])
        if " = " in name:  # a one-hot column: ≤ 0.5 means "not this value"
            walk(t.children_left[node], [*rules, f"not {name}"])
            walk(t.children_right[node], [*rules, name])
        else:
            walk(t.children_left[node], [*rules, f"{name} ≤ {threshold:.3g}"])
            walk(t.children_right[node], [*rules, f"{name} > {threshold:.3g}"])

    walk(0, [])
    leaves.sort(key=lambda r: -r["probability of success"])
    return leaves, export_text(tree, feature_names=names, decimals=3)


def save(sweep_dir: Path, d: Discovery) -> Path:
    """SWEEP/discovery/: the trajectory, the box, the tree and the numbers, each atomically."""
    out = sweep_dir / FOLDER
    store.write_atomic(out / "trajectory.parquet", _to_parquet(d.trajectory.astype(float)))
    store.write_atomic(out / "box.parquet", _to_parquet(d.limits))
    store.write_atomic(out / "tree.parquet", _to_parquet(pd.DataFrame(d.tree)))
    cells = d.x.assign(probability=d.probability.to_numpy())
    for key in cells.columns:
        if isinstance(cells[key].dtype, pd.CategoricalDtype):
            cells[key] = cells[key].astype(str)
    store.write_atomic(out / "settings.parquet", _to_parquet(cells))
    numbers = {
        "success": d.success,
        "chosen": d.chosen,
        "coverage": d.coverage,
        "density": d.density,
        "base_rate": d.base_rate,
        "restricted_share": d.restricted_share,
        "replicates": d.replicates,
        "cells": len(d.x),
        "tree_text": d.tree_text,
    }
    store.write_atomic(out / "discovery.json", json.dumps(numbers, indent=1).encode())
    return out


def load(sweep_dir: Path) -> dict[str, Any] | None:
    """What `analysis discover` stored (None if it was never run)."""
    out = sweep_dir / FOLDER
    if not (out / "discovery.json").is_file():
        return None
    stored = json.loads((out / "discovery.json").read_text())
    for name in ("trajectory", "box", "tree", "settings"):
        stored[name] = read_parquet(out / f"{name}.parquet")
    return stored


def _condition(key: str, values: str) -> str:
    """'coaching = nodes', 'pace 6 to 39': a restriction in a few words."""
    name = key.rsplit(".", 1)[-1].replace("_", " ")
    return f"{name} {values}" if " to " in values else f"{name} = {values}"


def headline(d: dict[str, Any]) -> str:
    """One sentence: where success is likely, with the box's density and coverage."""
    box = d["box"]
    if box.empty:
        where = "anywhere in the space swept (no restriction found)"
    else:
        where = " and ".join(
            _condition(r["factor"], r["in the box"]) for r in box.to_dict("records")
        )
    den, cov = d["density"], d["coverage"]
    return (
        f"Success ({in_words(d['success'])}) is most likely when {where}: there, "
        f"{den[0]:.0%} of runs succeed [{den[1]:.0%}, {den[2]:.0%}], against "
        f"{d['base_rate'][0]:.0%} overall; this box holds {cov[0]:.0%} "
        f"[{cov[1]:.0%}, {cov[2]:.0%}] of all successes."
    )
