"""Confidence intervals of a mean over replicates, for the main job's table and the reports, and
the two spreads of a posterior ensemble (seeds and record)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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


# --------------------------------------------------------------------------- posterior ensembles
@dataclass(frozen=True)
class Spread:
    """An outcome over parameter draws × seeds, its variance split by the law of total variance:
    Var(y) = E[Var(y | draw)] + Var(E[y | draw]), the seeds' part and the record's part.

    - `mean`: the mean over draws of each draw's mean (the expected outcome averaged over the
      posterior), with `lo`, `hi` its 95% confidence interval (t, over the draws' means);
    - `seeds_lo`, `seeds_hi`: mean ± 1.96 `sd_seeds`, where `sd_seeds` is the spread between runs
      that share a parameter draw (pooled over draws): where 95% of runs fall by chance alone;
    - `record_lo`, `record_hi`: mean ± 1.96 `sd_record`, where `sd_record` is the spread of the
      draws' expected outcomes (the variance of draw means less the part their seeds add): where
      95% of the parameter sets the record allows put the expected outcome.

    Every interval is cut to the outcome's range. A part that cannot be told apart (one seed
    per draw leaves the seeds' part unknown; one draw, the record's) is NaN."""

    mean: float
    lo: float
    hi: float
    seeds_lo: float
    seeds_hi: float
    record_lo: float
    record_hi: float
    sd_seeds: float
    sd_record: float
    draws: int
    runs: int


SPREAD_Z = float(stats.norm.ppf(0.5 + LEVEL / 2))  # 1.96: a 95% range of a normal spread


def spread(
    x: Sequence[float] | np.ndarray,
    draws: Sequence[int] | np.ndarray,
    within: tuple[float, float | None] | None = None,
) -> Spread:
    """The Spread of values `x` whose parameter draw is `draws` (any number of runs per draw)."""
    a = np.asarray(x, dtype=float)
    keep = ~np.isnan(a)
    a, groups = a[keep], np.asarray(draws)[keep]
    nan = float("nan")
    if a.size == 0:
        return Spread(nan, nan, nan, nan, nan, nan, nan, nan, nan, 0, 0)
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=a) / counts
    mean, lo, hi, k = mean_ci(means, within)
    within_dof = a.size - k
    var_seeds = float(((a - means[inverse]) ** 2).sum() / within_dof) if within_dof else nan
    var_record = nan
    if k > 1 and not math.isnan(var_seeds):
        # A draw's mean carries its seeds' noise too, var_seeds / runs: take it out.
        noise = var_seeds * float(np.mean(1.0 / counts))
        var_record = max(0.0, float(means.var(ddof=1)) - noise)
    sd_seeds, sd_record = math.sqrt(var_seeds), math.sqrt(var_record)
    seeds_lo, seeds_hi = _around(mean, sd_seeds, within)
    record_lo, record_hi = _around(mean, sd_record, within)
    return Spread(
        mean, lo, hi, seeds_lo, seeds_hi, record_lo, record_hi, sd_seeds, sd_record, k, a.size
    )


Range = tuple[float, float | None] | None  # an outcome's lowest and highest value (None: none)


def _around(mean: float, sd: float, within: Range) -> tuple[float, float]:
    """mean ± 1.96 sd, cut to the range `within` (NaN when sd is)."""
    if math.isnan(sd):
        return float("nan"), float("nan")
    lo, hi = mean - SPREAD_Z * sd, mean + SPREAD_Z * sd
    if within is not None:
        lo = max(lo, within[0])
        hi = hi if within[1] is None else min(hi, within[1])
    return lo, hi
