"""What the rules share about the practice: who practises it for real, how much of it a
training cascade delivers, and how many adopters each school has (brief; 004)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from numba.extending import register_jitable

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


@register_jitable
def is_genuine(adopted, practice, threshold: float):
    """Adopted and practising it for real: practice mastery at or above the threshold. Works on
    one teacher's values and on whole arrays alike, and in compiled loops."""
    return adopted & (practice >= threshold)


def genuine_teachers(model: TutorialNetworkModel) -> np.ndarray:
    """Every teacher: in genuine practice or not."""
    t = model.teachers
    return is_genuine(t.adopted, t.practice, model.params.behaviour.practice.genuine_threshold)


def training_quality(retention: float, depth: int) -> float:
    """Share of the practice that reaches the end of a cascade of `depth` hand-offs."""
    return retention**depth


def per_school(
    model: TutorialNetworkModel, weights: np.ndarray, teachers: np.ndarray | None = None
) -> np.ndarray:
    """Sum of a per-teacher quantity over each school's teachers (float64, added in teacher
    order, as `np.bincount` with weights does, without its float64 copy of the weights: the
    rules ask for a dozen such sums a month). With `teachers` (indices, ascending), `weights`
    are theirs and the others count as zero."""
    school = model.teachers.school
    if teachers is not None:
        return _per_school(school[teachers], weights, model.schools.count)
    if weights.dtype == np.bool_ and weights.flags.c_contiguous:
        # A count: only the flagged teachers need adding, found eight flags at a time.
        words = weights[: weights.size // 8 * 8].view(np.uint64)
        return _count_per_school(school, weights, words, model.schools.count)
    return _per_school(school, weights, model.schools.count)


@njit(cache=True)
def _per_school(school, weights, n_schools):
    out = np.zeros(n_schools)
    for i in range(school.size):
        out[school[i]] += weights[i]
    return out


@njit(cache=True)
def _count_per_school(school, flags, words, n_schools):
    """Flagged teachers per school; `words` are the flags eight at a time, so a run of unflagged
    teachers (nearly all of them, at national scale) is skipped by the word. Within a word each
    flag is added as 0 or 1, in integers and without a branch: where a quarter of the teachers
    are flagged a branch per teacher is mispredicted so often that it doubles the time. (Counts
    are exact in any order, so the result is the same.)"""
    out = np.zeros(n_schools, dtype=np.int32)  # a school's teachers: far fewer than 2^31
    as_int = flags.view(np.uint8)
    for w in range(words.size):
        if words[w]:
            for i in range(8 * w, 8 * w + 8):
                out[school[i]] += as_int[i]
    for i in range(8 * words.size, flags.size):
        out[school[i]] += as_int[i]
    return out.astype(np.float64)


def adopters_per_school(model: TutorialNetworkModel) -> np.ndarray:
    """Teachers who have adopted the practice (for real or on paper), per school."""
    return per_school(model, model.teachers.adopted)


def _genuine_and_adopters(model: TutorialNetworkModel) -> tuple[np.ndarray, np.ndarray]:
    """Per school: teachers in genuine practice, and adopters."""
    return per_school(model, genuine_teachers(model)), adopters_per_school(model)


def genuineness(model: TutorialNetworkModel) -> np.ndarray:
    """Per school: the share of its adopters in genuine practice (0 where nobody adopted). What a
    school shows in its demonstrations is worth as much as it practises for real."""
    genuine, adopters = _genuine_and_adopters(model)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(adopters > 0, genuine / adopters, 0.0)


def demonstrations_shown(model: TutorialNetworkModel) -> np.ndarray:
    """Per school: 1 if it held a public demonstration this month, weighted by its genuineness:
    a demonstration of the formula without the practice shows nothing (004 l.37)."""
    return (model.schools.demonstrations > 0) * genuineness(model)


def genuine_schools(model: TutorialNetworkModel) -> np.ndarray:
    """Schools in genuine practice, judged among their adopters: at least one genuine teacher
    and at least `school_genuine_share` of the adopters. A school where one teacher of three
    practises for real and the others have not joined is a genuine school still growing."""
    genuine, adopters = _genuine_and_adopters(model)
    return (genuine > 0) & (genuine >= model.params.behaviour.school_genuine_share * adopters)


def school_adopted(model: TutorialNetworkModel) -> np.ndarray:
    """Schools where at least one teacher has adopted the practice."""
    return adopters_per_school(model) > 0
