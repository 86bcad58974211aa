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

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def tutor_students(model: TutorialNetworkModel) -> None:
    s = model.schools
    s.demonstrations[:] = 0
    s.engagement[:] = 0.0
    conventional_lesson(model)
    practising = model.school_adopted()
    if not practising.any():
        return
    learners = model.students_of(practising)
    school = model.students.school[learners]
    teacher_slots, student_tutors = tutor_supply(model, learners, school)
    supply = teacher_slots + model.params.model.tutoring.tutees_per_student_tutor * student_tutors
    choose_temas(model, learners, school, offered=supply > 0)
    inquire(model, learners, school, supply)


def conventional_lesson(model: TutorialNetworkModel) -> None:
    """The month's tema taught to the whole class at one pace (the default culture)."""
    k = model.steps % model.params.model.catalogue.topics
    rate = np.float32(model.params.model.tutoring.conventional_rate)
    row = model.students.mastery[k]
    row *= 1 - rate
    row += rate


def tutor_supply(
    model: TutorialNetworkModel, learners: np.ndarray, school: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per [tema, school]: tutee slots offered by adopted teachers, and student tutors."""
    m = model.params.model
    topics, n_schools = m.catalogue.topics, model.schools.zone.size
    t = model.teachers
    adopters = np.flatnonzero(t.adopted)
    teacher_slots = np.zeros((topics, n_schools), dtype=np.float32)
    student_tutors = np.zeros((topics, n_schools), dtype=np.float32)
    tutor_of = model.students.tutor_of[learners]
    for k in range(topics):
        masters = adopters[(t.topics[adopters] >> k) & 1 == 1]
        teacher_slots[k] = np.bincount(t.school[masters], minlength=n_schools)
        student_tutors[k] = np.bincount(school, weights=(tutor_of >> k) & 1, minlength=n_schools)
    teacher_slots *= m.tutoring.tutees_per_teacher
    return teacher_slots, student_tutors


def choose_temas(
    model: TutorialNetworkModel, learners: np.ndarray, school: np.ndarray, offered: np.ndarray
) -> None:
    """Learners without a tema (or whose tema is no longer offered) choose by interest."""
    st = model.students
    threshold = model.params.model.catalogue.demonstration_threshold
    current = st.tema[learners]
    k = np.maximum(current, 0)
    keeps = (current >= 0) & offered[k, school]
    choosers = np.flatnonzero(~keeps)
    if choosers.size == 0:
        return
    who, where = learners[choosers], school[choosers]
    open_to = offered[:, where] & (st.mastery[:, who] < threshold)
    score = np.where(open_to, st.interest[:, who].astype(np.int16) + 1, 0)
    best = score.argmax(axis=0)
    st.tema[who] = np.where(score.max(axis=0) > 0, best, -1).astype(np.int8)


def school_fidelity(model: TutorialNetworkModel) -> np.ndarray:
    """Mean practice mastery of a school's adopted teachers: the formula vs the practice."""
    t = model.teachers
    n = model.schools.zone.size
    adopters = np.bincount(t.school, weights=t.adopted, minlength=n)
    practice = np.bincount(t.school, weights=t.practice * t.adopted, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(adopters > 0, practice / adopters, 0.0)


def inquire(
    model: TutorialNetworkModel, learners: np.ndarray, school: np.ndarray, supply: np.ndarray
) -> None:
    m = model.params.model
    st, s = model.students, model.schools
    busy = st.tema[learners] >= 0
    who, where = learners[busy], school[busy]
    tema = st.tema[who].astype(np.int64)
    n_schools = s.zone.size
    cell = tema * n_schools + where
    demand = np.bincount(cell, minlength=supply.size).reshape(supply.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(demand > 0, np.minimum(1.0, supply / demand), 0.0).ravel()
    time = model.tutorial_time() / m.tutoring.time_share
    pace = (m.tutoring.rate * school_fidelity(model) * time).astype(np.float32)
    w = m.tutoring.interest_weight
    interest = st.interest[tema, who].astype(np.float32) * np.float32(w / 255.0) + np.float32(1 - w)
    gain = pace[where] * ratio[cell].astype(np.float32) * interest
    mastery = st.mastery[tema, who]
    mastery += gain * (1.0 - mastery)
    st.mastery[tema, who] = mastery
    s.engagement[:] = np.bincount(where, weights=gain, minlength=n_schools) / (
        m.tutoring.rate * s.n_students
    )
    demonstrate(model, who[mastery >= m.catalogue.demonstration_threshold])


def demonstrate(model: TutorialNetworkModel, who: np.ndarray) -> None:
    """Public demonstration: the learner becomes a tutor of the tema and is free to choose anew."""
    st = model.students
    st.tutor_of[who] |= np.left_shift(np.uint8(1), st.tema[who].astype(np.uint8))
    model.schools.demonstrations[:] = np.bincount(st.school[who], minlength=model.schools.zone.size)
    st.tema[who] = -1
