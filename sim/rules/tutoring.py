"""The instructional core: catalogue, choice by interest, inquiry, public demonstration (000).

A tutor offers the temas it masters; each learner without a tema chooses, among those offered at
its school, the one that interests it most and that it has not mastered yet. Inquiry with a tutor
raises mastery at a pace set by the fidelity of the school's practice, the time given to it, how
many tutors are free for that tema, and the learner's interest. On reaching the demonstration
threshold the learner demonstrates in public and becomes a tutor of that tema. Everyone also
sits through the whole-class lesson of the default culture, one tema per month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.practice import adopters_per_school, per_school, school_adopted

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def tutor_students(model: TutorialNetworkModel) -> None:
    s = model.schools
    s.demonstrations[:] = 0
    s.engagement[:] = 0.0
    conventional_lesson(model)
    practising = school_adopted(model)
    if not practising.any():
        return
    learners = students_of(model, practising)
    school = model.students.school[learners]
    teacher_slots, student_tutors = tutor_supply(model, learners, school)
    supply = (
        teacher_slots + model.params.behaviour.tutoring.tutees_per_student_tutor * student_tutors
    )
    choose_temas(model, learners, school, offered=supply > 0)
    inquire(model, learners, school, supply)


def students_of(model: TutorialNetworkModel, schools: np.ndarray) -> np.ndarray:
    """The students of the schools selected by a boolean mask."""
    return np.flatnonzero(np.repeat(schools, model.schools.n_students))


def tutorial_time_share(model: TutorialNetworkModel) -> np.ndarray:
    """Per school: share of school time in tutorial relations, less what test preparation takes
    and what paperwork leaves. Paperwork is done in school time: what it leaves is at most the
    tutorial share (assumption; a school's teachers carry the same administrative load)."""
    m = model.params.behaviour.tutoring
    prep = model.params.scenario.testing.prep_share
    s = model.schools
    admin = per_school(model, model.teachers.admin_load) / np.maximum(s.n_teachers, 1)
    return np.minimum(m.time_share, 1.0 - admin) * (1.0 - prep * s.punished)


def student_tutors_per_school(model: TutorialNetworkModel) -> np.ndarray:
    """Students who have demonstrated at least one tema and so tutor it, per school."""
    s = model.schools
    return np.add.reduceat(model.students.tutor_of != 0, s.student_start, dtype=np.int64)


def conventional_lesson(model: TutorialNetworkModel) -> None:
    """The month's tema taught to the whole class at one pace (the default culture)."""
    k = model.steps % model.params.behaviour.catalogue.topics
    rate = np.float32(model.params.behaviour.tutoring.conventional_rate)
    row = model.students.mastery[k]
    row *= 1 - rate
    row += rate


def tutor_supply(
    model: TutorialNetworkModel, learners: np.ndarray, school: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per [tema, school]: tutee slots offered by adopted teachers, and student tutors."""
    m = model.params.behaviour
    topics, n_schools = m.catalogue.topics, model.schools.count
    t = model.teachers
    adopters = np.flatnonzero(t.adopted)
    teacher_slots = np.zeros((topics, n_schools), dtype=np.float32)
    student_tutors = np.zeros((topics, n_schools), dtype=np.float32)
    for k in range(topics):
        masters = adopters[(t.topics[adopters] >> k) & 1 == 1]
        teacher_slots[k] = np.bincount(t.school[masters], minlength=n_schools)
    _count_student_tutors(learners, school, model.students.tutor_of, student_tutors)
    teacher_slots *= m.tutoring.tutees_per_teacher
    return teacher_slots, student_tutors


def choose_temas(
    model: TutorialNetworkModel, learners: np.ndarray, school: np.ndarray, offered: np.ndarray
) -> None:
    """Learners without a tema (or whose tema is no longer offered) choose by interest."""
    st = model.students
    threshold = np.float32(model.params.behaviour.catalogue.demonstration_threshold)
    _choose(learners, school, st.tema, st.mastery, st.interest, offered, threshold)


def whole_practice(model: TutorialNetworkModel) -> np.ndarray:
    """Per teacher: how much of the practice works as a whole. Its parts (the choice, the inquiry
    guided by a tutor, the demonstration, the tutoring) each work as far as the teacher masters
    the practice, and the learning needs all of them: the formula without the understanding does
    not teach (004), so the parts multiply."""
    t = model.teachers
    return t.practice ** np.float32(model.params.behaviour.tutoring.practice_parts)


def school_fidelity(model: TutorialNetworkModel) -> np.ndarray:
    """Mean whole practice of a school's adopted teachers: the formula vs the practice."""
    t = model.teachers
    adopters = adopters_per_school(model)
    practice = per_school(model, whole_practice(model) * t.adopted)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(adopters > 0, practice / adopters, 0.0)


def inquire(
    model: TutorialNetworkModel, learners: np.ndarray, school: np.ndarray, supply: np.ndarray
) -> None:
    """A month of inquiry for every learner with a tema; then the public demonstrations."""
    m = model.params.behaviour
    st, s = model.students, model.schools
    demand = np.zeros(supply.shape, dtype=np.int64)
    _count_demand(learners, school, st.tema, demand)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(demand > 0, np.minimum(1.0, supply / demand), 0.0)
    time = tutorial_time_share(model)
    pace = (m.tutoring.rate * school_fidelity(model) * time).astype(np.float32)
    # Pace times the share of a free tutor a learner gets, per [tema, school].
    pace_with_tutor = pace[None, :] * ratio.astype(np.float32)
    # How much a learner's interest in its tema (0..255) speeds inquiry.
    w = m.tutoring.interest_weight
    speed = np.arange(256, dtype=np.float32) * np.float32(w / 255.0) + np.float32(1 - w)
    threshold = np.float32(m.catalogue.demonstration_threshold)
    gained = np.zeros(s.count)
    demonstrates = np.zeros(learners.size, dtype=np.bool_)
    _inquire(
        learners, school, st.tema, st.mastery, st.interest, pace_with_tutor, speed, threshold,
        gained, demonstrates,
    )  # fmt: skip
    # Engagement: the month's gain against what fully faithful tutoring gives in the usual time.
    s.engagement[:] = gained / (m.tutoring.rate * m.tutoring.time_share * s.n_students)
    demonstrate(model, learners[demonstrates])


def demonstrate(model: TutorialNetworkModel, who: np.ndarray) -> None:
    """Public demonstration: the learner becomes a tutor of the tema and is free to choose anew."""
    st = model.students
    st.tutor_of[who] |= np.left_shift(np.uint8(1), st.tema[who].astype(np.uint8))
    model.schools.demonstrations[:] = np.bincount(st.school[who], minlength=model.schools.count)
    st.tema[who] = -1


# --------------------------------------------------------------------------- compiled loops
# The passes over learners run as compiled loops (numba): at national scale there are
# tens of millions of learners, and one loop touches each once where array expressions would
# make a dozen passes. They compute in float32 exactly as the array version of these rules did.


@njit(cache=True)
def _count_student_tutors(learners, school, tutor_of, student_tutors):
    """Learners who have demonstrated each tema, per [tema, school]."""
    for j in range(learners.size):
        mask = tutor_of[learners[j]]
        k = 0
        while mask:
            if mask & 1:
                student_tutors[k, school[j]] += 1
            mask >>= 1
            k += 1


@njit(cache=True)
def _choose(learners, school, tema, mastery, interest, offered, threshold):
    """Keep a tema still offered; otherwise take the most interesting offered tema not yet
    mastered (the first one on ties), or none."""
    for j in range(learners.size):
        i, s = learners[j], school[j]
        if tema[i] >= 0 and offered[tema[i], s]:
            continue
        best, best_score = -1, 0
        for k in range(offered.shape[0]):
            if offered[k, s] and mastery[k, i] < threshold and interest[k, i] + 1 > best_score:
                best, best_score = k, interest[k, i] + 1
        tema[i] = best


@njit(cache=True)
def _count_demand(learners, school, tema, demand):
    """Learners per [tema, school]."""
    for j in range(learners.size):
        if tema[learners[j]] >= 0:
            demand[tema[learners[j]], school[j]] += 1


@njit(cache=True)
def _inquire(
    learners,
    school,
    tema,
    mastery,
    interest,
    pace_with_tutor,
    speed,
    threshold,
    gained,
    demonstrates,
):
    """Mastery of the learner's tema grows toward 1 by gain; records who reached the
    demonstration threshold and each school's total gain (float64, in learner order)."""
    one = np.float32(1.0)
    for j in range(learners.size):
        i, s = learners[j], school[j]
        k = tema[i]
        if k < 0:
            continue
        gain = pace_with_tutor[k, s] * speed[interest[k, i]]
        mastery[k, i] += gain * (one - mastery[k, i])
        gained[s] += np.float64(gain)
        demonstrates[j] = mastery[k, i] >= threshold


def _warm_up() -> None:
    """Compile (or load from numba's cache) the loops for the engine's array types now, so the
    first month of a run is not slowed by it."""
    learners, school = np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int32)
    tema, tutor_of = np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.uint8)
    mastery, interest = np.zeros((1, 0), dtype=np.float32), np.zeros((1, 0), dtype=np.uint8)
    per_cell, offered = np.zeros((1, 1), dtype=np.float32), np.zeros((1, 1), dtype=np.bool_)
    threshold = np.float32(1.0)
    _count_student_tutors(learners, school, tutor_of, per_cell)
    _choose(learners, school, tema, mastery, interest, offered, threshold)
    _count_demand(learners, school, tema, np.zeros((1, 1), dtype=np.int64))
    speed, gained = np.zeros(256, dtype=np.float32), np.zeros(1)
    _inquire(
        learners, school, tema, mastery, interest, per_cell, speed, threshold, gained, tema > 0
    )


_warm_up()
