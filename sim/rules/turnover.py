"""Turnover: teachers move between schools; each year a cohort graduates and a new one enters.

Telesecundaria has high teacher mobility (brief, context). Movers swap places, so every
school keeps its number of teachers. A volunteer carries the practice to its new school; a
teacher who had adopted only because its school was mandated leaves that adoption behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.kinds import Origin

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def move_teachers(model: TutorialNetworkModel) -> None:
    p = model.params.behaviour
    t = model.teachers
    monthly = 1.0 - (1.0 - p.turnover.teacher_rate) ** (1.0 / p.steps_per_year)
    movers = np.flatnonzero(model.rng.random(t.school.size) < monthly)
    if movers.size < 2:
        return
    t.school[movers] = t.school[model.rng.permutation(movers)]
    left_mandate = movers[
        (t.origin[movers] == Origin.MANDATE) & ~model.schools.mandated[t.school[movers]]
    ]
    t.adopted[left_mandate] = False


def graduate_cohort(model: TutorialNetworkModel) -> None:
    """At the end of the school year the oldest grade leaves and new students enter."""
    if not model.is_end_of_school_year():
        return
    p = model.params.behaviour
    st = model.students
    st.grade += 1
    leaving = np.flatnonzero(st.grade >= p.turnover.cohort_years)
    st.grade[leaving] = 0
    k = p.catalogue.topics
    fresh = model.rng.standard_normal((k, leaving.size), dtype=np.float32)
    fresh *= np.float32(p.assessment.initial_spread)
    fresh += model.schools.achievement[st.school[leaving]][None, :]
    st.mastery[:, leaving] = np.clip(fresh, 0.0, 1.0)
    st.interest[:, leaving] = model.rng.integers(0, 256, size=(k, leaving.size), dtype=np.uint8)
    st.tema[leaving] = -1
    st.tutor_of[leaving] = 0
