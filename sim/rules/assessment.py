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
    good, excellent = np.quantile(model.students.score, [1 - a.good_share, 1 - a.excellent_share])
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
    s.punished[np.argsort(model.school_score, kind="stable")[:n]] = True


def levels(scores: np.ndarray, cutoffs: Cutoffs) -> tuple[float, float]:
    """Shares of students at ENLACE level good or better, and at excellent."""
    n = max(scores.size, 1)
    return (
        float((scores >= cutoffs.good).sum() / n),
        float((scores >= cutoffs.excellent).sum() / n),
    )
