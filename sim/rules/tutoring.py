"""The instructional core: catalogue, choice by interest, inquiry, public demonstration (000).

Everyone sits through the whole-class lesson of the default culture. In a school that practises
tutorial relations, a tutor offers the temas it masters: adopted teachers, and students who have
demonstrated a tema and now tutor it. A student holds a few temas at a time; a free place takes
the offered tema that interests it most among those it has not mastered. Inquiry with a tutor
advances each tema at a pace set by how whole the school's practice is, the time given to it,
how many tutors are free for that tema, the student's interest and its own time; on the school's
demonstration day every finished tema is shown in public: the student masters it, its score
rises, and it becomes a tutor of that tema. Students who learn this way become engaged, and the
engaged give their own time (000 l.55, l.111).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from sim import libm
from sim.population import lowest_member
from sim.practice import adopters_per_school, per_school, school_adopted
from sim.rules.catalogue import interest_of, work_out_new_temas
from sim.rules.lessons import catch_up, hold_lessons
from sim.threads import threads_for

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def tutor_students(model: TutorialNetworkModel) -> None:
    """Genuine teachers add to the fund; the practising schools' tutorial networks hold a month of
    choice and inquiry; then every classroom's month (``sim.rules.lessons``): the whole-class
    lesson, engagement settling back, and the demonstration days."""
    model.schools.demonstrations[:] = 0
    work_out_new_temas(model)
    catch_up(model)  # inquiry reads engagement: newly reached classrooms first sit their lessons
    practising = np.flatnonzero(school_adopted(model))
    if practising.size:
        inquire(model, practising)
    demonstrating = np.zeros(model.schools.count, dtype=bool)
    demonstrating[practising[demonstration_day(model, practising)]] = True
    hold_lessons(model, demonstrating)


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
    """Students who have demonstrated a tema and so tutor it, per school (as the last month's
    lessons, or the yearly cohort, left them)."""
    return model.student_sums.tutors


def whole_practice(
    model: TutorialNetworkModel, teachers: np.ndarray | slice = slice(None)
) -> np.ndarray:
    """Per teacher: how much of the practice works as a whole. Its parts (the choice, the inquiry
    guided by a tutor, the demonstration, the tutoring) each work as far as the teacher masters
    the practice, and the learning needs all of them: the formula without the understanding does
    not teach (004), so the parts multiply. (Of every teacher, or of the `teachers` given.)"""
    t = model.teachers
    return libm.power32(t.practice[teachers], model.params.behaviour.tutoring.practice_parts)


def school_fidelity(model: TutorialNetworkModel) -> np.ndarray:
    """Mean whole practice of a school's adopted teachers: the formula vs the practice."""
    t = model.teachers
    adopters = adopters_per_school(model)
    # Summed over the adopters only (the others add nothing), in teacher order.
    joined = np.flatnonzero(t.adopted)
    practice = per_school(model, whole_practice(model, joined), teachers=joined)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(adopters > 0, practice / adopters, 0.0)


def adopters_by_school(model: TutorialNetworkModel) -> tuple[np.ndarray, np.ndarray]:
    """Adopted teachers' catalogues grouped by school, in teacher order within each school:
    (temas in school order, offsets)."""
    t = model.teachers
    return _catalogues_by_school(t.school, t.adopted, t.temas, model.schools.count)


def speed_by_interest(model: TutorialNetworkModel) -> np.ndarray:
    """How much a student's interest in its tema (0..255) speeds inquiry."""
    w = model.params.behaviour.tutoring.interest_weight
    return np.arange(256, dtype=np.float32) * np.float32(w / 255.0) + np.float32(1 - w)


def inquire(model: TutorialNetworkModel, practising: np.ndarray) -> None:
    """A month of choice and inquiry in each practising school, over its own students."""
    b = model.params.behaviour
    st, s = model.students, model.schools
    pace = (b.tutoring.rate * school_fidelity(model) * tutorial_time_share(model)).astype(
        np.float32
    )
    temas, offsets = adopters_by_school(model)
    t = b.tutoring
    learners = int(s.n_students[practising].sum())
    with threads_for(learners):
        _inquire_schools(
            practising, s.student_start, s.n_students, temas, offsets, pace,
            st.temas, st.progress, st.mastered, st.tutors, st.taste, st.engagement,
            model.fund.size, model.fund.effort, speed_by_interest(model),
            np.float32(t.tutees_per_teacher), np.float32(t.tutees_per_student_tutor),
            np.float32(b.students.voluntary_threshold), np.float32(1 + b.students.voluntary_time),
            np.float32(b.students.engagement_gain),
        )  # fmt: skip


def demonstration_day(model: TutorialNetworkModel, schools: np.ndarray) -> np.ndarray:
    """Which of these schools hold their demonstration day this month: every
    `catalogue.demonstration_every` months, on a calendar staggered across schools."""
    every = model.params.behaviour.catalogue.demonstration_every
    return (model.steps + schools) % every == 0


# --------------------------------------------------------------------------- compiled loops
# Each practising school's students are one contiguous slice (students are sorted by school),
# so the loops work school by school with the school's tema counts in a small local array. At
# national scale there are tens of millions of students: one loop touches each once.


# Schools a thread takes at a time: each task sets up its tema counts once for all of them
# (at national scale a hundred thousand schools practise; one allocation each cost 5-7% of the
# month's inquiry).
SCHOOLS_PER_TASK = 32


@njit(cache=True, parallel=True, error_model="numpy")
def _inquire_schools(
    schools, start, n_students, teacher_temas, offsets, pace,
    temas, progress, mastered, tutors, taste, engagement,
    fund, effort, speed, per_teacher, per_student_tutor,
    voluntary_threshold, voluntary_factor, engagement_gain,
):  # fmt: skip
    """A month of choice and inquiry in each of the `schools`."""
    # Schools are independent (each touches only its own students), so they run in parallel
    # threads with their own tema counts, and the result is the same whatever the thread count.
    for task in prange((schools.size + SCHOOLS_PER_TASK - 1) // SCHOOLS_PER_TASK):
        supply = np.empty(fund, dtype=np.float32)
        demand = np.empty(fund, dtype=np.int32)
        paced = np.empty(fund, dtype=np.float32)
        first = task * SCHOOLS_PER_TASK
        for j in range(first, min(first + SCHOOLS_PER_TASK, schools.size)):
            s = schools[j]
            lo, hi = start[s], start[s] + n_students[s]
            _tutors_offered(s, lo, hi, teacher_temas, offsets, tutors, per_teacher,
                            per_student_tutor, supply)  # fmt: skip
            _choose_temas(lo, hi, supply, temas, progress, mastered, taste, demand)
            _pace_temas(pace[s], supply, demand, paced)
            _advance(lo, hi, paced, temas, progress, taste, engagement, effort, speed,
                     voluntary_threshold, voluntary_factor, engagement_gain)  # fmt: skip


@njit(cache=True)
def _choose_temas(lo, hi, supply, temas, progress, mastered, taste, demand):
    """Students lo..hi-1 give up a tema nobody offers any more, and each free place takes the
    offered tema it likes best of those it has neither mastered nor holds; `demand` counts the
    temas under way."""
    demand[:] = 0
    offered = np.uint64(0)  # the temas someone here offers, as a set
    for k in range(supply.size):
        if supply[k] > 0:
            offered |= np.uint64(1) << np.uint64(k)
    if temas.shape[0] == 2:  # the default
        _choose_two_places(lo, hi, offered, supply, temas, progress, mastered, taste, demand)
    else:
        _choose_any_places(lo, hi, offered, supply, temas, progress, mastered, taste, demand)


@njit(cache=True)
def _choose_any_places(lo, hi, offered, supply, temas, progress, mastered, taste, demand):
    """`_choose_temas` for students holding any number of temas."""
    held = temas.shape[0]
    one = np.float32(1.0)
    for i in range(lo, hi):
        free = False
        for h in range(held):
            k = temas[h, i]
            if k < 0:
                free = True
            elif progress[h, i] < one:
                if supply[k] == 0:
                    temas[h, i] = -1  # no tutor offers it any more: the inquiry is abandoned
                    progress[h, i] = 0
                    free = True
                else:
                    demand[k] += 1
        if not free:
            continue
        # What it could take: offered, neither mastered nor held. In a school whose students
        # have mastered what is offered this is empty, and choice is skipped.
        open_temas = offered & ~mastered[i]
        for h in range(held):
            if temas[h, i] >= 0:
                open_temas &= ~(np.uint64(1) << np.uint64(temas[h, i]))
        for h in range(held):
            if temas[h, i] < 0 and open_temas:
                k = _choose(open_temas, taste[i])
                temas[h, i] = k
                open_temas &= ~(np.uint64(1) << np.uint64(k))
                demand[k] += 1  # a tema just taken is under way (its progress is 0)


@njit(cache=True)
def _choose_two_places(lo, hi, offered, supply, temas, progress, mastered, taste, demand):
    """`_choose_temas` for students holding two temas, written out place by place (a fifth
    faster than the loop over places; a helper for one place, even inlined, ran three times
    slower), and a student with both places free takes its two best
    temas from one look at the open ones (the second best is what a second look would find)."""
    one = np.float32(1.0)
    for i in range(lo, hi):
        k0, k1 = temas[0, i], temas[1, i]
        free0 = k0 < 0
        if not free0 and progress[0, i] < one:
            if supply[k0] == 0:
                temas[0, i] = -1  # no tutor offers it any more: the inquiry is abandoned
                progress[0, i] = 0
                free0 = True
            else:
                demand[k0] += 1
        free1 = k1 < 0
        if not free1 and progress[1, i] < one:
            if supply[k1] == 0:
                temas[1, i] = -1
                progress[1, i] = 0
                free1 = True
            else:
                demand[k1] += 1
        if not (free0 or free1):
            continue
        open_temas = offered & ~mastered[i]
        if not free0:
            open_temas &= ~(np.uint64(1) << np.uint64(k0))
        if not free1:
            open_temas &= ~(np.uint64(1) << np.uint64(k1))
        if not open_temas:
            continue
        if free0 and free1:
            best, runner_up = _choose_two(open_temas, taste[i])
            temas[0, i] = best
            demand[best] += 1  # a tema just taken is under way (its progress is 0)
            if runner_up >= 0:
                temas[1, i] = runner_up
                demand[runner_up] += 1
        else:
            k = _choose(open_temas, taste[i])
            if free0:
                temas[0, i] = k
            else:
                temas[1, i] = k
            demand[k] += 1


@njit(cache=True)
def _pace_temas(pace, supply, demand, paced):
    """What a month of inquiry in tema k gives at this school's pace, before the student's
    interest, time and effort: the same float32 products, taken once per tema. Tutors share
    their places among the students under way in the tema."""
    one = np.float32(1.0)
    for k in range(supply.size):
        paced[k] = 0
        if demand[k] > 0:
            paced[k] = pace * min(one, supply[k] / np.float32(demand[k]))


@njit(cache=True, error_model="numpy")
def _advance(lo, hi, paced, temas, progress, taste, engagement, effort, speed,
             voluntary_threshold, voluntary_factor, engagement_gain):  # fmt: skip
    """Students lo..hi-1 inquire a month into each tema under way, sharing their time among
    them; what they make engages them."""
    if temas.shape[0] == 2:  # the default
        _advance_two(lo, hi, paced, temas, progress, taste, engagement, effort, speed,
                     voluntary_threshold, voluntary_factor, engagement_gain)  # fmt: skip
    else:
        _advance_any(lo, hi, paced, temas, progress, taste, engagement, effort, speed,
                     voluntary_threshold, voluntary_factor, engagement_gain)  # fmt: skip


@njit(cache=True, error_model="numpy")
def _advance_any(lo, hi, paced, temas, progress, taste, engagement, effort, speed,
                 voluntary_threshold, voluntary_factor, engagement_gain):  # fmt: skip
    """`_advance` for students holding any number of temas."""
    held = temas.shape[0]
    one = np.float32(1.0)
    for i in range(lo, hi):
        active = 0
        for h in range(held):
            active += (temas[h, i] >= 0) & (progress[h, i] < one)
        if active == 0:
            continue
        e = engagement[i]
        own_time = voluntary_factor if e >= voluntary_threshold else one
        made = np.float32(0.0)
        for h in range(held):
            k, before = temas[h, i], progress[h, i]
            if k < 0 or before >= one:
                continue
            after = _inquiry(before, k, taste[i], active, own_time, paced, effort, speed)
            made += after - before
            progress[h, i] = after
        engagement[i] = _engaged(e, made, engagement_gain)


@njit(cache=True, error_model="numpy")
def _advance_two(lo, hi, paced, temas, progress, taste, engagement, effort, speed,
                 voluntary_threshold, voluntary_factor, engagement_gain):  # fmt: skip
    """`_advance` for students holding two temas, each place's tema and progress loaded once
    (a third faster than the loop over places, whose reloads the compiler cannot avoid)."""
    one = np.float32(1.0)
    for i in range(lo, hi):
        k0, k1 = temas[0, i], temas[1, i]
        before0, before1 = progress[0, i], progress[1, i]
        under_way0 = (k0 >= 0) & (before0 < one)
        under_way1 = (k1 >= 0) & (before1 < one)
        active = np.int64(under_way0) + np.int64(under_way1)
        if active == 0:
            continue
        e, student_taste = engagement[i], taste[i]
        own_time = voluntary_factor if e >= voluntary_threshold else one
        made = np.float32(0.0)
        if under_way0:
            after = _inquiry(before0, k0, student_taste, active, own_time, paced, effort, speed)
            made += after - before0
            progress[0, i] = after
        if under_way1:
            after = _inquiry(before1, k1, student_taste, active, own_time, paced, effort, speed)
            made += after - before1
            progress[1, i] = after
        engagement[i] = _engaged(e, made, engagement_gain)


@njit(cache=True, inline="always", error_model="numpy")
def _inquiry(progress, k, taste, active, own_time, paced, effort, speed):
    """A tema's progress after a month of inquiry shared among `active` temas under way."""
    step = paced[k] * speed[interest_of(taste, k)] * own_time
    step = step / np.float32(active) / effort[k]
    return min(np.float32(1.0), progress + step)


@njit(cache=True, inline="always")
def _engaged(engagement, made, gain):
    """Engagement after a month in which the student made `made` of progress."""
    return engagement + gain * made * (np.float32(1.0) - engagement)


@njit(cache=True)
def _catalogues_by_school(school, adopted, catalogue, n_schools):
    """A counting sort of the adopters by school: a stable sort's order in two passes over the
    teachers (sorting the national system's adopters took some 30 ms a month)."""
    offsets = np.zeros(n_schools + 1, dtype=np.int64)
    for i in range(school.size):
        if adopted[i]:
            offsets[school[i] + 1] += 1
    for s in range(n_schools):
        offsets[s + 1] += offsets[s]
    grouped = np.empty(offsets[n_schools], dtype=catalogue.dtype)
    filled = offsets[:-1].copy()
    for i in range(school.size):
        if adopted[i]:
            grouped[filled[school[i]]] = catalogue[i]
            filled[school[i]] += 1
    return grouped, offsets


@njit(cache=True)
def _tutors_offered(
    s, lo, hi, teacher_temas, offsets, tutors, per_teacher, per_student_tutor, supply
):
    """Tutee places per tema at school s: adopted teachers' catalogues and student tutors."""
    supply[:] = 0
    for j in range(offsets[s], offsets[s + 1]):
        catalogue = teacher_temas[j]
        while catalogue:  # its temas, lowest first
            supply[lowest_member(catalogue)] += per_teacher
            catalogue &= catalogue - np.uint64(1)  # clears it
    for i in range(lo, hi):
        if tutors[i] >= 0:
            supply[tutors[i]] += per_student_tutor


@njit(cache=True)
def _choose(open_temas, taste):
    """Of the temas in the set `open_temas` (not empty), the one that interests a student of
    this taste most (the lowest-numbered on ties)."""
    # Only the set's members are scored (a dozen or so of the 64 places), each by a key that
    # orders by interest, then by lower number: the largest key wins.
    best = np.uint32(0)
    rest = open_temas
    while rest:
        best = max(best, _choice_key(taste, lowest_member(rest)))
        rest &= rest - np.uint64(1)  # clears it
    return _tema_of(best)


@njit(cache=True)
def _choose_two(open_temas, taste):
    """`_choose` twice over: the tema of the set `open_temas` (not empty) that interests a
    student of this taste most, and the one it would choose once that is taken (-1 if none)."""
    best, runner_up = np.uint32(0), np.uint32(0)
    rest = open_temas
    while rest:
        key = _choice_key(taste, lowest_member(rest))
        runner_up = max(runner_up, min(best, key))
        best = max(best, key)
        rest &= rest - np.uint64(1)  # clears it
    return _tema_of(best), _tema_of(runner_up) if runner_up else np.int64(-1)


@njit(cache=True, inline="always")
def _choice_key(taste, k):
    """Tema k's key for a student of this taste: by interest, then by lower number, so the
    largest key is the choice and no two temas' keys tie (never 0)."""
    score = np.uint32(interest_of(taste, k)) + np.uint32(1)
    return (score << np.uint32(6)) | np.uint32(63 - k)


@njit(cache=True, inline="always")
def _tema_of(key):
    """The tema a choice key stands for."""
    return 63 - np.int64(key & np.uint32(63))
