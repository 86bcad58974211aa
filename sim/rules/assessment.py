"""The yearly standardized test (ENLACE) and, where it carries stakes, test-and-punish (004).

At the end of each school year every school's students are tested; the score is their mean
mastery. Under a high-stakes regime the lowest-scoring schools are punished for the next year:
their teachers feel the pressure and turn part of the tutorial time to test preparation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def test_if_due(model: TutorialNetworkModel) -> None:
    if model.is_end_of_school_year():
        model.school_score = school_scores(model)
        punish_lowest(model)


def student_scores(model: TutorialNetworkModel) -> np.ndarray:
    """Each student's mean mastery over the catalogue."""
    return model.students.mastery.mean(axis=0)


def school_scores(model: TutorialNetworkModel) -> np.ndarray:
    s = model.schools
    per_student = student_scores(model)
    return (np.add.reduceat(per_student, s.student_start) / s.n_students).astype(np.float32)


def punish_lowest(model: TutorialNetworkModel) -> None:
    testing = model.params.scenario.testing
    s = model.schools
    s.punished[:] = False
    if testing.pressure <= 0:
        return
    n = round(testing.punish_share * s.count)
    s.punished[np.argsort(model.school_score, kind="stable")[:n]] = True


def levels(scores: np.ndarray, good: float, excellent: float) -> tuple[float, float]:
    """Shares of students at ENLACE level good or better, and at excellent."""
    n = max(scores.size, 1)
    return float((scores >= good).sum() / n), float((scores >= excellent).sum() / n)
