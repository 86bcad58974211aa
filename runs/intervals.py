"""Confidence intervals of a mean over replicates, for the main job's table and the reports."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

LEVEL = 0.95


def t_half_width(x: np.ndarray) -> float:
    """Half-width of the t confidence interval of the mean (NaN with fewer than 2 values)."""
    x = x[~np.isnan(x)]
    n = x.size
    if n < 2:
        return float("nan")
    return float(stats.t.ppf(0.5 + LEVEL / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))


def mean_ci(
    x: Sequence[float] | np.ndarray, within: tuple[float, float | None] | None = None
) -> tuple[float, float, float, int]:
    """(mean, lower, upper, n) of the non-missing values: the t interval of the mean, cut to
    `within` (lowest, highest or None) when the outcome has a range. The true mean lies in the
    range, so the cut interval covers it exactly as often, and a count's bound is never below
    0 nor a share's above 1."""
    a = np.asarray(x, dtype=float)
    a = a[~np.isnan(a)]
    if a.size == 0:
        return float("nan"), float("nan"), float("nan"), 0
    half = t_half_width(a)
    m = float(a.mean())
    lo, hi = m - half, m + half
    if within is not None and not math.isnan(half):
        lo = max(lo, within[0])
        hi = hi if within[1] is None else min(hi, within[1])
    return m, lo, hi, int(a.size)
