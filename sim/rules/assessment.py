"""The yearly standardized test (ENLACE) and, where it carries stakes, test-and-punish (004).

At the end of each school year every school's students are tested on what they have learned of
the curriculum (their score). ENLACE reports four levels; the cut-offs for good and excellent are
set once, from the distribution of scores when the run starts, so that the shares at each level
start where the national record puts them and every school's share can move. Under a
high-stakes regime the lowest-scoring schools are punished for the next year: their teachers
feel the pressure and turn part of the tutorial time to test preparation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.population import lowest

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


@dataclass(frozen=True)
class Cutoffs:
    """The scores at which ENLACE's good and excellent levels begin."""

    good: float
    excellent: float


def setup(model: TutorialNetworkModel) -> Cutoffs:
    """Cut-offs that put `good_share` of the system's students at good or better and
    `excellent_share` at excellent at the start (assumption: the system's students stand for the
    national distribution the levels are reported against)."""
    a = model.params.behaviour.assessment
    good, excellent = quantiles(model.students.score, [1 - a.good_share, 1 - a.excellent_share])
    return Cutoffs(good=float(good), excellent=float(excellent))


def test_if_due(model: TutorialNetworkModel) -> None:
    if model.is_end_of_school_year():
        model.school_score = school_scores(model)
        punish_lowest(model)


def student_scores(model: TutorialNetworkModel) -> np.ndarray:
    """Each student's score: the share of the curriculum it has learned."""
    return model.students.score


def school_scores(model: TutorialNetworkModel) -> np.ndarray:
    """Each school's mean score, from the sums the month's lessons took (``sim.rules.lessons``;
    a float64 copy of every student's score would be a quarter of the national state)."""
    return (model.student_sums.score / model.schools.n_students).astype(np.float32)


def ranks_every_school(model: TutorialNetworkModel) -> bool:
    """Whether the yearly test ranks every school's score (it does when it carries stakes)."""
    return model.params.scenario.testing.pressure > 0


def punish_lowest(model: TutorialNetworkModel) -> None:
    testing = model.params.scenario.testing
    s = model.schools
    s.punished[:] = False
    if not ranks_every_school(model):
        return
    n = round(testing.punish_share * s.count)
    s.punished[lowest(model.school_score, n)] = True


def levels(scores: np.ndarray, cutoffs: Cutoffs) -> tuple[float, float]:
    """Shares of students at ENLACE level good or better, and at excellent."""
    n = max(scores.size, 1)
    return (
        float((scores >= cutoffs.good).sum() / n),
        float((scores >= cutoffs.excellent).sum() / n),
    )


# --------------------------------------------------------------------------- quantiles
# The cut-offs are quantiles of every student's score: 27 million at national scale, where
# numpy's quantile copies the scores twice and partitions them (0.6 s, a build's fifth). The
# same numbers come from the few order statistics they interpolate, found in two passes.
_BINS = 1 << 16  # order statistics are first located by the top 16 bits of a sortable key


def quantiles(x: np.ndarray, q: list[float]) -> np.ndarray:
    """`np.quantile(x, q)` (linear interpolation) of float32 scores, the same to the last bit:
    the order statistics either side of each quantile's position, interpolated as numpy does."""
    n = x.size
    q = np.asarray(q, dtype=np.float64)
    if x.dtype != np.float32 or n < 2 or not np.all((q > 0) & (q < 1)) or np.isnan(x).any():
        return np.quantile(x, q)
    virtual = (n - 1) * q  # where each quantile falls in the sorted scores
    previous = np.floor(virtual).astype(np.intp)
    following = np.minimum(previous + 1, n - 1)
    values = _order_statistics(x, np.concatenate([previous, following]))
    a, b = values[: q.size], values[q.size :]
    gamma = virtual - previous
    diff = b - a  # numpy's lerp, in the same precision and order
    result = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=result, where=gamma >= 0.5)
    return result


def _order_statistics(x: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The values at `ranks` of `x` sorted ascending: each rank's bin of the key's top bits is
    found from a histogram, and only the values in those bins are partitioned."""
    bits = x.view(np.uint32)
    counts = _histogram(bits, _BINS)
    ends = np.cumsum(counts)
    bins = np.searchsorted(ends, ranks, side="right")
    wanted = np.zeros(_BINS, dtype=np.bool_)
    wanted[bins] = True
    chosen = _values_in(x, bits, wanted, int(counts[wanted].sum()))
    # A rank's place among the chosen: its place in its bin, after the chosen bins below it.
    before = np.cumsum(np.where(wanted, counts, 0)) - counts
    place = ranks - (ends[bins] - counts[bins]) + before[bins]
    return np.partition(chosen, np.unique(place))[place]


@njit(cache=True)
def _bin(b):
    """The top 16 bits of an unsigned key in the order of the floats whose bits are `b`
    (negatives reversed)."""
    key = ~b if b >> np.uint32(31) else b | np.uint32(0x80000000)
    return key >> np.uint32(16)


@njit(cache=True)
def _histogram(bits, bins):
    counts = np.zeros(bins, dtype=np.int64)
    for b in bits:
        counts[_bin(b)] += 1
    return counts


@njit(cache=True)
def _values_in(x, bits, wanted, size):
    out = np.empty(size, dtype=x.dtype)
    j = 0
    for i in range(bits.size):
        if wanted[_bin(bits[i])]:
            out[j] = x[i]
            j += 1
    return out
