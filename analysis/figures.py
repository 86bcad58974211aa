"""The report's figures, each written as a PNG file (atomically) beside the report."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis import stats
from runs.storage import write_atomic
from sim import outcomes

PALETTE = plt.get_cmap("tab10").colors  # distinguishable for the common colour-vision deficits
HEATMAP = "viridis"
DIVERGING = "PuOr"  # diverging, readable with the common colour-vision deficits


def save(fig: plt.Figure, path: Path) -> Path:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
    return path


def groups_of(table: pd.DataFrame, key: str | None) -> list[tuple[str, pd.DataFrame]]:
    """Cells split by the contrast key (one group when there is none)."""
    if key is None or key not in table:
        return [("", table)]
    out = []
    for value in table[key].drop_duplicates():
        part = table[table[key].map(lambda v, value=value: stats._same(v, value))]
        out.append((f"{key.rsplit('.', 1)[-1]}={stats.show(value)}", part))
    return out


SMALL_MULTIPLES = 24  # up to this many cells: a panel each; beyond, a panel per arm
BINS = 4  # an axis with more values than this (a design's draws) is cut into quantile bins


def adoption(
    steps: pd.DataFrame, table: pd.DataFrame, keys: Sequence[str], key: str | None, path: Path
) -> Path:
    """Schools in genuine practice and in surface compliance over time as small multiples: a
    panel per cell (mean over replicates, 95% band), or, for many cells, a panel per arm with the
    median cell and the 10–90% range across cells. Panels share their axes."""
    genuine, surface = PALETTE[2], PALETTE[1]
    if len(table) <= SMALL_MULTIPLES:
        panels = [
            (row["label"], steps[steps["cell"] == row["cell"]]) for _, row in table.iterrows()
        ]
    else:
        split = "arm" if "arm" in table and table["arm"].notna().all() else None
        panels = [
            (title or "all cells", steps[steps["cell"].isin(part["cell"])])
            for title, part in groups_of(table, split)
        ]
    ncols = min(4, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(max(3.4 * ncols + 0.6, 6.5), 2.5 * nrows + 0.8),
        squeeze=False,
        sharex=True,
        sharey=True,
        constrained_layout=True,
    )
    many = len(table) > SMALL_MULTIPLES
    for ax, (title, part) in zip(axes.flat, panels, strict=False):
        for column, colour, name in (
            ("schools_genuine", genuine, "genuine practice"),
            ("schools_surface", surface, "surface compliance"),
        ):
            if many:
                per_cell = part.groupby(["cell", "step"])[[column, "year"]].mean()
                by_step = per_cell.groupby("step")
                year = by_step["year"].first()
                mid = by_step[column].median()
                lo, hi = by_step[column].quantile(0.1), by_step[column].quantile(0.9)
            else:
                band = stats.curves(part, column)
                year, mid, lo, hi = band["year"], band["mean"], band["lo"], band["hi"]
            ax.plot(year, mid, color=colour, lw=1.5, label=name)
            # A count is never negative: the band is cut at zero.
            ax.fill_between(year, np.clip(lo, 0, None), hi, color=colour, alpha=0.2, lw=0)
        ax.set_title(title, fontsize=8)
        ax.set_ylim(bottom=0)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("schools")
    for ax in axes[-1]:
        ax.set_xlabel("year")
    axes.flat[0].legend(fontsize=7, loc="upper left")
    what = (
        "line: median cell, band: 10–90% of cells"
        if many
        else "line: mean over replicates, band: 95% CI"
    )
    fig.suptitle(f"Schools by state over time ({what})", fontsize=10)
    return save(fig, path)


def panel_key(table: pd.DataFrame, axes_keys: Sequence[str], key: str | None) -> str | None:
    """What splits the heatmap into panels: the contrast key, or else the arm (never averaged
    over), unless it is one of the axes."""
    for candidate in (key, "arm"):
        usable = candidate and candidate not in axes_keys and candidate in table
        if usable and table[candidate].dropna().nunique() > 1:
            return candidate
    return None


def binned(column: pd.Series) -> pd.Series:
    """An axis as it is drawn: its values, or quantile bins ('5–14') when there are many."""
    values = column.dropna()
    numeric = values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all()
    if not numeric or values.nunique() <= BINS + 2:
        return column.map(lambda v: v if v is None else stats.show(v))
    cuts = pd.qcut(pd.to_numeric(column), BINS, duplicates="drop")
    return cuts.map(lambda iv: f"{iv.left:.3g}–{iv.right:.3g}").astype(object)


def heatmap(
    summary: pd.DataFrame,
    table: pd.DataFrame,
    axes_keys: Sequence[str],
    key: str | None,
    reference: object,
    path: Path,
    outcome: str,
) -> tuple[Path | None, list[str]]:
    """Mean `outcome` over the two main axes, a panel per value of the contrast key (or arm),
    coloured on a diverging scale centred on the reference cells' mean: one colour above it, the
    other below. Returns the figure (None if no cell varies on both axes) and notes."""
    from matplotlib.colors import TwoSlopeNorm

    from analysis import words

    notes: list[str] = []
    if len(axes_keys) < 2:
        return None, ["the experiment names fewer than two axes"]
    y_key, x_key = axes_keys[0], axes_keys[1]
    split = panel_key(table, axes_keys, key)
    data = summary.assign(_y=binned(summary[y_key]), _x=binned(summary[x_key]))
    panels = []
    for title, part in groups_of(table, split):
        rows = data[data["cell"].isin(part["cell"])]
        rows = rows[rows["_y"].notna() & rows["_x"].notna()]
        if rows.empty:
            value = summary[summary["cell"].isin(part["cell"])][outcome].mean()
            notes.append(f"{title or 'all'} does not vary with these axes (mean {value:.3g})")
            continue
        grid = rows.pivot_table(index="_y", columns="_x", values=outcome, aggfunc="mean")
        order_y = rows.sort_values(y_key)["_y"].drop_duplicates()
        order_x = rows.sort_values(x_key)["_x"].drop_duplicates()
        panels.append((title, grid.reindex(index=order_y, columns=order_x)))
    if not panels:
        return None, notes
    centre, centre_text = _reference_value(summary, table, key, reference, outcome)
    values = np.concatenate([g.to_numpy(dtype=float).ravel() for _, g in panels])
    spread = float(np.nanmax(np.abs(values - centre))) or 1.0
    low, high = centre - spread, centre + spread
    known = outcomes.BY_NAME.get(outcome)
    if known is not None:  # the scale stays inside the outcome's range
        low = max(low, known.lo)
        high = min(high, known.hi) if known.hi is not None else high
    low, high = min(low, centre - 1e-9), max(high, centre + 1e-9)
    norm = TwoSlopeNorm(vcenter=centre, vmin=low, vmax=high)
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(4.4 * len(panels) + 1.4, 4.0),
        squeeze=False,
        constrained_layout=True,
    )
    for ax, (title, grid) in zip(axes[0], panels, strict=True):
        image = ax.imshow(
            grid.to_numpy(dtype=float), cmap=DIVERGING, norm=norm, origin="lower", aspect="auto"
        )
        ax.set_xticks(range(grid.shape[1]), [str(v) for v in grid.columns], fontsize=7)
        ax.set_yticks(range(grid.shape[0]), [str(v) for v in grid.index], fontsize=7)
        ax.set_xlabel(words.axis_label(x_key), fontsize=8)
        ax.set_ylabel(words.axis_label(y_key), fontsize=8)
        ax.set_title(title or words.outcome(outcome), fontsize=9)
        for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            if not math.isnan(v):
                strong = abs(float(norm(v)) - 0.5) > 0.3  # dark ends: white text
                ax.text(
                    j,
                    i,
                    f"{v:.3g}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if strong else "black",
                )
    fig.colorbar(
        image, ax=axes[0].tolist(), label=f"{words.outcome(outcome)}\n(centre: {centre_text})"
    )
    return save(fig, path), notes


def _reference_value(
    summary: pd.DataFrame, table: pd.DataFrame, key: str | None, reference: object, outcome: str
) -> tuple[float, str]:
    """The mean of `outcome` over the reference cells (the contrast's), or over all cells."""
    if key is not None and key in table:
        cells = table.loc[table[key].map(lambda v: stats._same(v, reference)), "cell"]
        if len(cells):
            value = float(summary.loc[summary["cell"].isin(cells), outcome].mean())
            return value, f"{key.rsplit('.', 1)[-1]} = {stats.show(reference)}, {value:.3g}"
    value = float(summary[outcome].mean())
    return value, f"mean of all cells, {value:.3g}"


def trajectory(traj: pd.DataFrame, chosen: int, path: Path) -> Path:
    """PRIM's peeling trajectory: density against coverage, coloured by restricted dimensions."""
    fig, ax = plt.subplots(figsize=(6, 4.2), constrained_layout=True)
    points = ax.scatter(
        traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=18, zorder=2
    )
    ax.plot(traj["coverage"], traj["density"], color="#999", lw=0.8, zorder=1)
    row = traj.iloc[chosen]
    ax.scatter(
        [row["coverage"]],
        [row["density"]],
        s=120,
        facecolors="none",
        edgecolors="#D55E00",
        lw=2,
        zorder=3,
        label="chosen box",
    )
    ax.set_xlabel("coverage (share of all successes inside the box)")
    ax.set_ylabel("density (share of runs inside that succeed)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8, loc="lower left")
    fig.colorbar(points, ax=ax, label="restricted dimensions")
    return save(fig, path)


def survival(summary: pd.DataFrame, table: pd.DataFrame, path: Path) -> Path | None:
    """Share of the teachers practising at the reversal who still practise at the end, by cohort
    (volunteers, the mandated, all), mean and 95% CI per cell. None if no run withdrew support."""
    cohorts = [
        ("survival_voluntary", "volunteers"),
        ("survival_mandate", "mandated"),
        ("survival_all", "all"),
    ]
    if "survival_all" not in summary or summary["survival_all"].isna().all():
        return None
    rows = table[table["cell"].isin(summary.loc[summary["survival_all"].notna(), "cell"])]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.5), constrained_layout=True)
    y = np.arange(len(rows))
    for i, (column, name) in enumerate(cohorts):
        points = [stats.mean_ci(summary.loc[summary["cell"] == c, column]) for c in rows["cell"]]
        m = np.array([p[0] for p in points])
        err = np.array([[p[0] - p[1], p[2] - p[0]] for p in points]).T
        ax.errorbar(
            m,
            y + (i - 1) * 0.22,
            xerr=np.nan_to_num(err),
            fmt="o",
            ms=4,
            color=PALETTE[i],
            label=name,
            capsize=2,
        )
    ax.set_yticks(y, rows["label"])
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("share still practising at the end")
    ax.legend(fontsize=8, loc="lower right")
    return save(fig, path)


def sensitivity(
    morris: pd.DataFrame | None, sobol: pd.DataFrame | None, outcome: str, path: Path
) -> Path | None:
    """Parameters ranked by Morris μ* and by Sobol total-order index, with confidence bars."""
    panels: list[tuple[str, pd.DataFrame, list[tuple[str, str, str]]]] = []
    if morris is not None:
        panels.append(
            (
                "Morris screening: μ*",
                morris.sort_values("mu_star"),
                [("mu_star", "mu_star_conf", "μ*")],
            )
        )
    if sobol is not None:
        panels.append(
            (
                "Sobol indices",
                sobol.sort_values("ST"),
                [("ST", "ST_conf", "total order"), ("S1", "S1_conf", "first order")],
            )
        )
    if not panels:
        return None
    n = max(len(df) for _, df, _ in panels)
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(6 * len(panels), 0.4 * n + 1.8),
        squeeze=False,
        constrained_layout=True,
    )
    for ax, (title, df, bars) in zip(axes[0], panels, strict=True):
        y = np.arange(len(df))
        height = 0.8 / len(bars)
        for i, (col, conf, name) in enumerate(bars):
            ax.barh(
                y + (i - (len(bars) - 1) / 2) * height,
                df[col],
                height=height,
                xerr=df[conf],
                color=PALETTE[i],
                label=name,
                capsize=2,
            )
        ax.set_yticks(y, df["parameter"])
        ax.set_title(f"{title} — {outcome}", fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    return save(fig, path)


def as_data_uri(path: Path) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
