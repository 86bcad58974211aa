"""The main job's comparison of scenarios: a long numeric table (Parquet) and its printed form.

The long table has one row per outcome and scenario: the mean over replicates, the bounds of its
95% confidence interval (t distribution, cut to the outcome's range: counts ≥ 0, shares in
[0, 1]) and the number of replicates. The printed form fits 100
columns: one row per outcome with its unit, grouped by when the outcome is taken (final month,
end of the last school year, mean over the run), one column per scenario.

A posterior ensemble (`posterior=NAME`: parameter draws × seeds) adds, per outcome and scenario,
the two spreads of runs.intervals.Spread (seeds_lo, seeds_hi: what chance alone moves; record_lo,
record_hi: what the record leaves unknown), and rows for each scenario's paired difference from
the first (`mandated − voluntary`: the same draw and seed on both sides); the printed form shows
`mean [seeds] (record)`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import pandas as pd

from runs.intervals import Range, mean_ci, spread
from sim import outcomes
from sim.outcomes import Timing

WIDTH = 100
COLUMNS = ["outcome", "scenario", "mean", "lo", "hi", "n"]
SPREAD_COLUMNS = ["seeds_lo", "seeds_hi", "record_lo", "record_hi", "sd_seeds", "sd_record"]
ENSEMBLE_COLUMNS = [*COLUMNS, *SPREAD_COLUMNS, "draws"]
PAIRED_ON = ["draw", "replicate"]  # what makes two scenarios' runs a pair
MINUS = " − "  # a difference's name: "mandated − voluntary"
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


def ensemble_comparison(
    summary: pd.DataFrame, names: Sequence[str] = outcomes.TABLE
) -> pd.DataFrame:
    """Per outcome and scenario of a posterior ensemble, then per outcome and paired difference
    (each scenario minus the first): mean, lo, hi (95% CI over draws), n (runs), the seeds' and
    the record's 95% spreads with their standard deviations, and the number of draws."""
    groups = list(summary.groupby("scenario", sort=False))
    rows = []
    for scenario, group in groups:
        for name in names:
            if name in group:
                rows.append(
                    _spread_row(name, str(scenario), group[name], group["draw"], _range(name))
                )
    first, reference = groups[0]
    for scenario, group in groups[1:]:
        pairs = group.merge(reference, on=PAIRED_ON, suffixes=("", "_ref"))
        for name in names:
            if name in group:
                diff = pairs[name] - pairs[f"{name}_ref"]
                label = f"{scenario}{MINUS}{first}"
                rows.append(_spread_row(name, label, diff, pairs["draw"], _difference_range(name)))
    return pd.DataFrame(rows, columns=ENSEMBLE_COLUMNS)


def _range(name: str) -> Range:
    outcome = outcomes.BY_NAME.get(name)
    return (outcome.lo, outcome.hi) if outcome else None


def _difference_range(name: str) -> Range:
    """A difference of two values of a bounded outcome lies within ± its width."""
    outcome = outcomes.BY_NAME.get(name)
    if outcome is None or outcome.hi is None:
        return None
    width = outcome.hi - outcome.lo
    return (-width, width)


def _spread_row(
    name: str, scenario: str, values: pd.Series, draws: pd.Series, within: Range
) -> list[object]:
    s = spread(values.to_numpy(dtype=float), draws.to_numpy(), within)
    spreads = [s.seeds_lo, s.seeds_hi, s.record_lo, s.record_hi, s.sd_seeds, s.sd_record]
    return [name, scenario, s.mean, s.lo, s.hi, s.runs, *spreads, s.draws]


def is_ensemble(long: pd.DataFrame) -> bool:
    return "record_lo" in long


def number(mean: float, lo: float, hi: float) -> str:
    """'117 [86, 148]', or the mean alone when there is no interval (one replicate)."""
    if math.isnan(mean):
        return "–"
    if math.isnan(lo):
        return f"{mean:.3g}"
    return f"{mean:.3g} [{lo:.3g}, {hi:.3g}]"


def spread_text(mean: float, seeds: tuple[float, float], record: tuple[float, float]) -> str:
    """'117 [86, 148] (90, 140)': the mean, the seeds' spread, the record's ('–' if unknown)."""
    if math.isnan(mean):
        return "–"

    def interval(lo: float, hi: float, ends: str) -> str:
        inside = "–" if math.isnan(lo) else f"{lo:.3g}, {hi:.3g}"
        return f"{ends[0]}{inside}{ends[1]}"

    return f"{mean:.3g} {interval(*seeds, '[]')} {interval(*record, '()')}"


def cell_texts(long: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The printed value of every (outcome, scenario)."""
    if not is_ensemble(long):
        return {
            (r.outcome, r.scenario): number(r.mean, r.lo, r.hi)
            for r in long.itertuples(index=False)
        }
    return {
        (r.outcome, r.scenario): spread_text(
            r.mean, (r.seeds_lo, r.seeds_hi), (r.record_lo, r.record_hi)
        )
        for r in long.itertuples(index=False)
    }


def legend(long: pd.DataFrame) -> list[str]:
    """What the numbers are, under the title."""
    if not is_ensemble(long):
        return ["mean over replicates [95% confidence interval, cut to the outcome's range]"]
    lines = [
        "mean [seeds: 95% of runs with one parameter draw] (record: 95% of the draws' expected",
        "outcomes, what the record leaves unknown); both cut to the outcome's range",
    ]
    if long["scenario"].str.contains(MINUS).any():
        lines.append(
            f"A{MINUS}B: the difference of paired runs (the same parameter draw and seed in both)"
        )
    return lines


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
    note: str | None = None,
) -> str:
    """The printed comparison: a title (and `note`, a line under it), then blocks of scenarios
    that each fit `width` columns."""
    sizes = totals(summary)
    size_text = ", ".join(f"{v} {k}" for k, v in sizes.items())
    lines = [f"{title}; {size_text}" if size_text else title, *([note] if note else [])]
    lines += legend(long)
    scenarios = list(dict.fromkeys(long["scenario"]))
    cells = cell_texts(long)
    names = list(dict.fromkeys(long["outcome"]))
    by_timing: dict[Timing, list[str]] = {}
    for name in names:
        outcome = outcomes.BY_NAME[name]
        by_timing.setdefault(outcome.timing, []).append(name)
    labels = _row_labels(names, sizes, cells, width)
    label_w = max(len(label) for label, _ in labels.values()) + _GAP
    unit_w = max(len(unit) for _, unit in labels.values()) + _GAP
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
                label, unit = labels[name]
                row = label.ljust(label_w) + unit.ljust(unit_w)
                values = (cells.get((name, s), "").rjust(col_w[s] + _GAP) for s in block)
                lines.append((row + "".join(values)).rstrip())
    return "\n".join(lines)


def _row_labels(
    names: list[str], sizes: dict[str, str], cells: dict[tuple[str, str], str], width: int
) -> dict[str, tuple[str, str]]:
    """(label, unit) of each row; when the widest value would not fit beside two columns, the
    unit goes in parentheses after the label (one column, narrower)."""
    labels = {n: (outcomes.label(n), unit_text(outcomes.BY_NAME[n], sizes)) for n in names}
    label_w = max(len(label) for label, _ in labels.values()) + _GAP
    unit_w = max(len(unit) for _, unit in labels.values()) + _GAP
    widest = max(len(v) for v in cells.values()) + _GAP
    if label_w + unit_w + widest <= width:
        return labels
    return {n: (f"{label} ({unit})", "") for n, (label, unit) in labels.items()}


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
