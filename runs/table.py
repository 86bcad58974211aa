"""The main job's comparison of scenarios: a long numeric table (Parquet) and its printed form.

The long table has one row per outcome and scenario: the mean over replicates, the bounds of its
95% confidence interval (t distribution, cut to the outcome's range: counts ≥ 0, shares in
[0, 1]) and the number of replicates. The printed form fits 100
columns: one row per outcome with its unit, grouped by when the outcome is taken (final month,
end of the last school year, mean over the run), one column per scenario.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import pandas as pd

from runs.intervals import mean_ci
from sim import outcomes
from sim.outcomes import Timing

WIDTH = 100
COLUMNS = ["outcome", "scenario", "mean", "lo", "hi", "n"]
_GAP = 2


def comparison(summary: pd.DataFrame, names: Sequence[str] = outcomes.TABLE) -> pd.DataFrame:
    """Per outcome and scenario: mean, lo, hi (95% CI) and n over replicates; plain floats."""
    rows = []
    for scenario, group in summary.groupby("scenario", sort=False):
        for name in names:
            if name in group:
                outcome = outcomes.BY_NAME.get(name)
                within = (outcome.lo, outcome.hi) if outcome else None
                mean, lo, hi, n = mean_ci(group[name].to_numpy(dtype=float), within)
                rows.append([name, scenario, mean, lo, hi, n])
    return pd.DataFrame(rows, columns=COLUMNS)


def number(mean: float, lo: float, hi: float) -> str:
    """'117 [86, 148]', or the mean alone when there is no interval (one replicate)."""
    if math.isnan(mean):
        return "–"
    if math.isnan(lo):
        return f"{mean:.3g}"
    return f"{mean:.3g} [{lo:.3g}, {hi:.3g}]"


def totals(summary: pd.DataFrame) -> dict[str, str]:
    """'150' (or '148–155' when replicates draw systems of different sizes) per population."""
    out = {}
    for unit in ("schools", "teachers", "students"):
        col = f"n_{unit}"
        if col in summary:
            lo, hi = int(summary[col].min()), int(summary[col].max())
            out[unit] = f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"
    return out


def unit_text(outcome: outcomes.Outcome, sizes: dict[str, str]) -> str:
    """What a number counts: 'of 150 schools', 'share 0–1', 'score 0–1'."""
    if outcome.unit in sizes:
        return f"of {sizes[outcome.unit]} {outcome.unit}"
    if outcome.hi is not None:
        return f"{outcome.unit} {outcome.lo:g}–{outcome.hi:g}"
    return outcome.unit


def heading(timing: Timing, summary: pd.DataFrame, months: int) -> str:
    """What a group of rows is: final values, values at the end of the school year, means."""
    if timing is Timing.FINAL:
        return f"final values (month {months})"
    if timing is Timing.YEAR_END and "year_end_step" in summary:
        month = int(summary["year_end_step"].iloc[0])
        return f"at the end of the last school year (month {month}, before a new cohort enters)"
    return str(timing)


def render(
    long: pd.DataFrame,
    summary: pd.DataFrame,
    title: str,
    months: int,
    width: int = WIDTH,
) -> str:
    """The printed comparison: a title, then blocks of scenarios that each fit `width` columns."""
    sizes = totals(summary)
    size_text = ", ".join(f"{v} {k}" for k, v in sizes.items())
    lines = [
        f"{title}; {size_text}" if size_text else title,
        "mean over replicates [95% confidence interval, cut to the outcome's range]",
    ]
    scenarios = list(dict.fromkeys(long["scenario"]))
    cells = {
        (r.outcome, r.scenario): number(r.mean, r.lo, r.hi) for r in long.itertuples(index=False)
    }
    names = list(dict.fromkeys(long["outcome"]))
    by_timing: dict[Timing, list[str]] = {}
    for name in names:
        outcome = outcomes.BY_NAME[name]
        by_timing.setdefault(outcome.timing, []).append(name)
    label_w = max(len(outcomes.label(n)) for n in names) + _GAP
    unit_w = max(len(unit_text(outcomes.BY_NAME[n], sizes)) for n in names) + _GAP
    for block in _blocks(scenarios, cells, width - label_w - unit_w):
        col_w = {s: max(len(s), *(len(cells.get((n, s), "")) for n in names)) for s in block}
        for timing, members in by_timing.items():
            lines.append("")
            head = heading(timing, summary, months)
            row = head.ljust(label_w + unit_w)
            if len(row) > label_w + unit_w:
                lines.append(head)
                row = " " * (label_w + unit_w)
            lines.append(row + "".join(s.rjust(col_w[s] + _GAP) for s in block).rstrip())
            for name in members:
                outcome = outcomes.BY_NAME[name]
                row = outcome.label.ljust(label_w) + unit_text(outcome, sizes).ljust(unit_w)
                values = (cells.get((name, s), "").rjust(col_w[s] + _GAP) for s in block)
                lines.append((row + "".join(values)).rstrip())
    return "\n".join(lines)


def _blocks(
    scenarios: list[str], cells: dict[tuple[str, str], str], room: int
) -> Iterator[list[str]]:
    """Scenarios in groups whose columns fit `room` characters (at least one per group)."""
    block: list[str] = []
    used = 0
    for s in scenarios:
        w = max(len(s), *(len(v) for (_, sc), v in cells.items() if sc == s)) + _GAP
        if block and used + w > room:
            yield block
            block, used = [], 0
        block.append(s)
        used += w
    if block:
        yield block
