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

PALETTE = plt.get_cmap("tab10").colors  # distinguishable for the common colour-vision deficits
HEATMAP = "viridis"


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


def adoption(
    steps: pd.DataFrame, table: pd.DataFrame, keys: Sequence[str], key: str | None, path: Path
) -> Path:
    """Schools in genuine practice and in surface compliance over time, a line per cell with its
    95% confidence band over replicates; one row of panels per value of the contrast key."""
    groups = groups_of(table, key)
    inner = [k for k in stats.varied_keys(table, keys) if k != key]
    panels = [
        ("schools_genuine", "schools in genuine practice"),
        ("schools_surface", "schools in surface compliance"),
    ]
    fig, axes = plt.subplots(
        len(groups),
        2,
        figsize=(13, 3.0 * len(groups) + 0.4),
        squeeze=False,
        constrained_layout=True,
        sharex=True,
    )
    for row, (title, part) in enumerate(groups):
        for col, (column, name) in enumerate(panels):
            ax = axes[row][col]
            band = stats.curves(steps[steps["cell"].isin(part["cell"])], column)
            for i, cell in enumerate(part.to_dict("records")):
                c = band[band["cell"] == cell["cell"]]
                colour = PALETTE[i % len(PALETTE)]
                short = stats.cell_label(cell, inner)
                name_in_group = short if inner and short != "base" else cell["label"]
                ax.plot(c["year"], c["mean"], color=colour, label=name_in_group, lw=1.4)
                # A count's mean is never negative: the band is cut at zero.
                ax.fill_between(
                    c["year"], c["lo"].clip(lower=0), c["hi"], color=colour, alpha=0.15, lw=0
                )
            ax.set_title(f"{name}{' — ' + title if title else ''}", fontsize=10)
            ax.set_ylabel("schools")
            ax.set_ylim(bottom=0)
        axes[row][1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for ax in axes[-1]:
        ax.set_xlabel("year")
    return save(fig, path)


def panel_key(table: pd.DataFrame, axes_keys: Sequence[str], key: str | None) -> str | None:
    """What splits the heatmap into panels: the contrast key, or else the arm (never averaged
    over), unless it is one of the axes."""
    for candidate in (key, "arm"):
        usable = candidate and candidate not in axes_keys and candidate in table
        if usable and table[candidate].dropna().nunique() > 1:
            return candidate
    return None


def heatmap(
    summary: pd.DataFrame,
    table: pd.DataFrame,
    axes_keys: Sequence[str],
    key: str | None,
    path: Path,
    outcome: str = "mean_bureaucratization_index",
) -> tuple[Path | None, list[str]]:
    """Mean `outcome` over the two main axes, one panel per value of the contrast key. Returns
    the figure (None if no cell varies on both axes) and notes on what each panel leaves out."""
    notes: list[str] = []
    if len(axes_keys) < 2:
        return None, ["the experiment names fewer than two axes"]
    y_key, x_key = axes_keys[0], axes_keys[1]
    split = panel_key(table, axes_keys, key)
    data = summary.merge(table[["cell", "label"]], on="cell")
    panels = []
    for title, part in groups_of(table, split):
        rows = data[data["cell"].isin(part["cell"])]
        rows = rows[rows[y_key].notna() & rows[x_key].notna()]
        if rows.empty:
            value = summary[summary["cell"].isin(part["cell"])][outcome].mean()
            notes.append(f"{title or 'all'} does not vary with these axes (mean {value:.3g})")
            continue
        grid = rows.pivot_table(index=y_key, columns=x_key, values=outcome, aggfunc="mean")
        # Keep the sweep's order (arms as declared), not the alphabet's.
        grid = grid.reindex(
            index=rows[y_key].drop_duplicates(), columns=rows[x_key].drop_duplicates()
        )
        panels.append((title, grid))
    if not panels:
        return None, notes
    vmin = min(float(np.nanmin(g.to_numpy())) for _, g in panels)
    vmax = max(float(np.nanmax(g.to_numpy())) for _, g in panels)
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.6 * len(panels) + 1, 3.8), squeeze=False, constrained_layout=True
    )
    for ax, (title, grid) in zip(axes[0], panels, strict=True):
        image = ax.imshow(
            grid.to_numpy(dtype=float),
            cmap=HEATMAP,
            vmin=vmin,
            vmax=vmax,
            origin="lower",
            aspect="auto",
        )
        ax.set_xticks(range(grid.shape[1]), [stats.show(v) for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [stats.show(v) for v in grid.index])
        ax.set_xlabel(x_key)
        ax.set_ylabel(y_key)
        ax.set_title(title or outcome, fontsize=10)
        for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            if not math.isnan(v):
                light = (v - vmin) / (vmax - vmin or 1) < 0.6
                ax.text(
                    j,
                    i,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if light else "black",
                )
    fig.colorbar(image, ax=axes[0].tolist(), label="bureaucratization index")
    return save(fig, path), notes


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
