"""Turnover: teachers move between schools; each year a cohort graduates and a new one enters.

Telesecundaria has high teacher mobility (brief, context). Movers swap places, so every
school keeps its number of teachers. A volunteer carries the practice to its new school; a
teacher who had adopted only because its school was mandated leaves that adoption behind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from sim.kinds import Origin
from sim.population import TASTES
from sim.practice import school_adopted
from sim.rules.lessons import newcomers_entered
from sim.threads import threads_for

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


@dataclass
class Graduation:
    """Of the last cohort to graduate: the expected share going on to upper secondary, over all
    schools, adopting schools and the others (NaN until a cohort has graduated there)."""

    continuing: float = math.nan
    continuing_adopting: float = math.nan
    continuing_other: float = math.nan
    # Room for the newcomers' score draws (and, before them, the graduates' chances), kept from
    # year to year: at national scale a cohort is nine million draws, and fresh memory for them
    # each year costs as much as drawing them.
    draws: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))


def setup(model: TutorialNetworkModel) -> Graduation:
    return Graduation()


def continuing_terms(model: TutorialNetworkModel) -> tuple[np.float32, np.float32, np.float32]:
    """A graduate's chance of enrolling in upper secondary, `base + slope × (engagement − rest)`
    clipped to [0, 1]: engaged students more often go on (000 l.55; assumption: linear in
    engagement above the default culture's)."""
    p = model.params.behaviour.students
    return (
        np.float32(p.engagement_rest),
        np.float32(p.continue_engagement),
        np.float32(p.continue_base),
    )


def record_graduates(
    model: TutorialNetworkModel, last: int, first: np.ndarray, n_leaving: int
) -> None:
    """The expected share of this cohort's graduates (the `n_leaving` students in grade `last`,
    each school's from `first` on) who go on, by kind of school."""
    s, g = model.schools, model.graduation
    # The graduates' chances, and whether each one's school adopts, in one pass over students
    # (at national scale nine million of 28 million: no mask or index the size of them all).
    with threads_for(model.students.grade.size):
        chance, adopting = _graduates(
            model.students.grade, np.int8(last), model.students.engagement,
            school_adopted(model), s.student_start, s.n_students, first, n_leaving,
            *continuing_terms(model),
        )  # fmt: skip
    g.continuing = _mean(chance)
    # Each kind's chances are gathered into the memory kept for the newcomers' draws (not yet
    # drawn): at national scale a cohort's chances are tens of megabytes.
    room = _room(g, chance.size)
    g.continuing_adopting = _mean(_gather(chance, adopting, room))
    np.logical_not(adopting, out=adopting)
    g.continuing_other = _mean(_gather(chance, adopting, room))


def _room(g: Graduation, size: int) -> np.ndarray:
    """The kept memory for a cohort of `size`, grown when a cohort needs more."""
    if g.draws.size < size:
        g.draws = np.empty(size, dtype=np.float32)
    return g.draws


def _first_of(leavers: np.ndarray) -> np.ndarray:
    """Per school, where its leavers start among all the cohort's, in student order."""
    return np.cumsum(leavers) - leavers


@njit(cache=True, parallel=True)
def _graduates(
    grade, last, engagement, adopting, start, n_students, first, count, rest, slope, base
):  # fmt: skip
    """Of the students in grade `last` (`count`, a school's from `first`), in student order: the
    chance of going on, in the float32 arithmetic of `continuing_terms`, and whether its school
    adopts."""
    chance = np.empty(count, dtype=np.float32)
    in_adopting = np.empty(count, dtype=np.bool_)
    for s in prange(start.size):
        at = first[s]
        for i in range(start[s], start[s] + n_students[s]):
            if grade[i] >= last:
                c = (engagement[i] - rest) * slope + base
                chance[at] = min(max(c, np.float32(0.0)), np.float32(1.0))
                in_adopting[at] = adopting[s]
                at += 1
    return chance, in_adopting


@njit(cache=True, parallel=True)
def _leavers_per_school(grade, last, start, n_students):
    """Students in grade `last` (or above), per school."""
    leavers = np.zeros(start.size, dtype=np.int64)
    for s in prange(start.size):
        n = 0
        for i in range(start[s], start[s] + n_students[s]):
            n += grade[i] >= last
        leavers[s] = n
    return leavers


@njit(cache=True)
def _gather(values, which, room):
    """values[which] (a mask), in order, written into `room` (numpy's own gather into given
    memory still makes a temporary copy)."""
    at = 0
    for i in range(values.size):
        if which[i]:
            room[at] = values[i]
            at += 1
    return room[:at]


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else math.nan


def graduate_cohort(model: TutorialNetworkModel) -> None:
    """At the end of the school year the oldest grade leaves and new students enter in place."""
    if not model.is_end_of_school_year():
        return
    p = model.params.behaviour
    st, schools = model.students, model.schools
    last = p.turnover.cohort_years - 1
    with threads_for(st.grade.size):
        leavers = _leavers_per_school(st.grade, np.int8(last), schools.student_start,
                                      schools.n_students)  # fmt: skip
    n_leaving = int(leavers.sum())
    # Each school's leavers, and newcomers, follow the schools' before it in student order, so
    # schools can be passed over side by side.
    first = _first_of(leavers)
    if not model.classrooms.deferred:  # a run that observes no student records no graduate
        record_graduates(model, last, first, n_leaving)
    # The newcomers' draws, in student order, as `initial_scores` takes them.
    g = model.graduation
    normal = model.rng.standard_normal(dtype=np.float32, out=_room(g, n_leaving)[:n_leaving])
    taste = model.rng.integers(0, TASTES, size=n_leaving, dtype=np.uint16)
    with threads_for(st.grade.size):
        _renew(
            np.int8(last), schools.student_start, schools.n_students, first,
            schools.achievement, np.float32(p.assessment.initial_spread), normal, taste,
            np.float32(p.students.engagement_rest),
            st.grade, st.score, st.taste, st.temas, st.progress, st.mastered, st.tutors,
            st.engagement,
        )  # fmt: skip
    newcomers_entered(model)  # the students changed outside the month's pass


@njit(cache=True, parallel=True)
def _renew(
    last, start, n_students, first_draw, achievement, spread, normal, new_taste, rest,
    grade, score, taste, temas, progress, mastered, tutors, engagement,
):  # fmt: skip
    """One pass over the students, school by school: everyone moves up a grade; a student in
    the last grade leaves and a newcomer takes its place, knowing no tema, at the resting
    engagement, with a score drawn around its school's achievement
    (`sim.system.initial_scores`, same arithmetic)."""
    for s in prange(start.size):
        k = first_draw[s]
        for i in range(start[s], start[s] + n_students[s]):
            if grade[i] < last:
                grade[i] += 1
                continue
            grade[i] = 0
            drawn = normal[k] * spread + achievement[s]
            score[i] = min(max(drawn, np.float32(0.0)), np.float32(1.0))
            taste[i] = new_taste[k]
            # Written only where not already clear: the state of students the practice never
            # reached stays untouched memory (zero pages the system need not provide).
            for h in range(temas.shape[0]):
                if temas[h, i] != -1:
                    temas[h, i] = -1
                if progress[h, i] != 0:
                    progress[h, i] = 0
            if mastered[i] != 0:
                mastered[i] = 0
            tutors[i] = -1
            engagement[i] = rest
            k += 1
