"""The month in every classroom: the whole-class lesson of the default culture, engagement
settling back toward its resting level, and, in schools that practise on their calendar, the
demonstration day (000; brief). The sums over students that the month reports are taken in the
same pass.

At national scale there are tens of millions of students and the practice reaches a few
thousand schools: a month can afford one pass over the students, not one per rule. So the
lesson, the settling, the demonstrations and the sums are one compiled loop, school by school
over each school's contiguous slice of students. The tutorial network's inquiry
(``sim.rules.tutoring``) runs before it in the practising schools only; the lesson does not
read what inquiry changes, nor inquiry the score, so the order between them is immaterial.

A classroom the practice has never reached only sits through the lesson and settles, the same
arithmetic every month. A run that does not report students month by month (a calibration run,
observed through schools in the practice) may therefore leave those classrooms alone and catch
them up when something reads them: when the practice reaches the school, and at the end of a
school year whose test ranks every school (test-and-punish). A student's months owed are those
since its school was last brought up to date or since it entered, whichever is later (its grade
says when it entered). Caught up, a student has gone through exactly the operations it would
have, in the same order, so the run is the same bit for bit. The yearly cohort renews students
in every school as it always does: a leaver's owed months do not matter, it leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from sim.population import member_count
from sim.practice import school_adopted
from sim.rules.assessment import ranks_every_school
from sim.threads import threads_for

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel

_NONE = np.zeros(0, dtype=np.int64)  # no earlier counts: the pass counts everywhere
_SUMMED = (
    "score", "good", "excellent", "engagement", "above_rest", "voluntary", "tutors", "mastered"
)  # fmt: skip


@dataclass
class StudentSums:
    """Per school, sums over its students of what the month reports (as the students stand after
    the month's lessons): kept on the model as ``model.student_sums`` and taken again whenever
    the students change outside the month's pass (the yearly cohort). A student's temas mastered
    and the tema it tutors change only on its school's demonstration day (and with the cohort):
    the month's pass counts them again only in the schools that demonstrate, and carries the
    others' counts over from the sums it replaces."""

    n_students: np.ndarray
    score: np.ndarray  # float64: sum of scores
    good: np.ndarray  # students at ENLACE good or better
    excellent: np.ndarray
    engagement: np.ndarray  # float64
    above_rest: np.ndarray  # float64: engagement above the resting level, summed
    voluntary: np.ndarray  # students giving their own time
    tutors: np.ndarray  # student tutors
    mastered: np.ndarray  # temas mastered

    @classmethod
    def of(cls, model: TutorialNetworkModel) -> StudentSums:
        """The sums as the students stand now (deferred classrooms first caught up)."""
        none = np.zeros(model.schools.count, dtype=bool)
        return _pass(model, none, none)

    def keep_where(self, schools: np.ndarray, earlier: StudentSums) -> None:
        """Take the `earlier` sums for the schools selected (bool per school)."""
        for name in _SUMMED:
            np.copyto(getattr(self, name), getattr(earlier, name), where=schools)

    def mean(self, name: str, schools: np.ndarray | None = None) -> float:
        """Mean per student over all schools, or over the schools selected (NaN if none)."""
        total, n = getattr(self, name), self.n_students
        if schools is not None:
            total, n = total[schools], n[schools]
        count = int(n.sum())
        return float(total.sum() / count) if count else float("nan")


@dataclass
class Classrooms:
    """Which classrooms the practice has reached and, when the unreached are left alone
    (`deferred`), the month through which each school's students have had their lessons."""

    deferred: bool
    reached: np.ndarray  # bool per school: the practice has been there (or nothing is deferred)
    done: np.ndarray  # int32 per school: every student present has had the lessons through it
    last_cohort: int = 0  # the step at which the newest cohort entered (0: the first students)


def setup(model: TutorialNetworkModel, deferred: bool) -> Classrooms:
    n = model.schools.count
    return Classrooms(deferred, np.full(n, not deferred), np.zeros(n, dtype=np.int32))


def first_sums(model: TutorialNetworkModel) -> StudentSums:
    """The sums at the start: of every school, or of none when the classrooms the practice has
    not reached are deferred (nothing reads theirs before they are caught up)."""
    return _pass(model, np.zeros(model.schools.count, dtype=bool), ~model.classrooms.reached)


def catch_up(model: TutorialNetworkModel) -> None:
    """Schools the practice has just reached sit through the lessons they are owed, up to last
    month, before anything else reads their students (exchanges choose goers by score or
    engagement; inquiry reads engagement)."""
    rooms = model.classrooms
    if not rooms.deferred:
        return
    new = np.flatnonzero(school_adopted(model) & ~rooms.reached)
    if new.size == 0:
        return
    st, s = model.students, model.schools
    through = model.steps - 1
    _catch_up(new, s.student_start, s.n_students, through, rooms.done, st.grade,
              rooms.last_cohort, model.params.behaviour.steps_per_year, st.score, st.engagement,
              *lesson_terms(model), *settling_terms(model))  # fmt: skip
    rooms.done[new] = through
    rooms.reached[new] = True


def newcomers_entered(model: TutorialNetworkModel) -> None:
    """The yearly cohort has renewed the students: their sums are taken again, in every school,
    or only in the reached ones when the others are deferred (nothing reads theirs before they
    are caught up)."""
    rooms = model.classrooms
    rooms.last_cohort = model.steps
    skip = ~rooms.reached
    sums = _pass(model, np.zeros(model.schools.count, dtype=bool), skip)
    if rooms.deferred:
        sums.keep_where(skip, model.student_sums)
    model.student_sums = sums


def hold_lessons(model: TutorialNetworkModel, demonstrating: np.ndarray) -> None:
    """Every student sits through the month's lesson and its engagement settles; the schools in
    `demonstrating` (bool per school) hold their demonstration day. Then each school's
    engagement is what rewards its teachers, and the month's sums are kept on the model.
    Deferred classrooms are left alone, except at the end of a school year whose test ranks
    every school: then every one sits through all it is owed."""
    rooms = model.classrooms
    catch_up(model)
    everyone = model.is_end_of_school_year() and ranks_every_school(model)
    skip = ~rooms.reached if rooms.deferred and not everyone else np.zeros_like(rooms.reached)
    sums = _pass(model, demonstrating, skip, due=True)
    if rooms.deferred:
        sums.keep_where(skip, model.student_sums)  # untouched: as last taken
    model.student_sums = sums
    model.schools.engagement[:] = school_engagement(model, sums)


def lesson_terms(model: TutorialNetworkModel) -> tuple[np.float32, np.float32]:
    """The whole-class lesson at one pace (the default culture): every student learns
    `conventional_rate` of what it has still to learn, score × (1 − rate) + rate."""
    rate = np.float32(model.params.behaviour.tutoring.conventional_rate)
    return np.float32(1 - rate), rate


def settling_terms(model: TutorialNetworkModel) -> tuple[np.float32, np.float32]:
    """Engagement relaxes toward its resting level (the default culture):
    e × (1 − decay) + decay × rest."""
    p = model.params.behaviour.students
    return np.float32(1.0 - p.engagement_decay), np.float32(p.engagement_decay * p.engagement_rest)


def school_engagement(model: TutorialNetworkModel, sums: StudentSums) -> np.ndarray:
    """Per school: how far its students' engagement stands above the default culture's, in
    [0, 1] (what rewards its teachers)."""
    rest = model.params.behaviour.students.engagement_rest
    if rest >= 1.0:  # no room above rest: nothing to see
        return np.zeros(model.schools.count, dtype=np.float32)
    return (sums.above_rest / (sums.n_students * (1.0 - rest))).astype(np.float32)


def _pass(
    model: TutorialNetworkModel, demonstrating: np.ndarray, skip: np.ndarray, due: bool = False
) -> StudentSums:
    """Students of the schools not in `skip` have their lessons through this month (the
    month's own if `due`; and in deferred classrooms, all they are owed), and are summed; the
    skipped are left alone."""
    b = model.params.behaviour
    st, s = model.students, model.schools
    cut = model.enlace
    rooms = model.classrooms
    done = rooms.done
    # The month's own pass carries the tutors and temas mastered over from last month's sums
    # where no demonstration changed them; every other pass counts them everywhere.
    earlier = model.student_sums if due else None  # (none yet when the first sums are taken)
    if not rooms.deferred:  # every classroom is current: this month's lesson if due, or none
        done = np.full(s.count, model.steps - int(due), dtype=np.int32)
    with threads_for(st.score.size):
        sums = _month_pass(
            s.student_start, s.n_students, demonstrating, skip, model.steps, done,
            st.grade, rooms.last_cohort, model.params.behaviour.steps_per_year,
            st.score, st.engagement, st.temas, st.progress, st.mastered, st.tutors,
            *lesson_terms(model), *settling_terms(model),
            np.float32(b.catalogue.tema_worth), np.float32(b.students.demonstration_boost),
            s.demonstrations, np.float32(b.students.engagement_rest),
            np.float32(cut.good), np.float32(cut.excellent),
            np.float32(b.students.voluntary_threshold), due,
            earlier.tutors if due else _NONE, earlier.mastered if due else _NONE,
        )  # fmt: skip
    if rooms.deferred:
        rooms.done[~skip] = model.steps
    return StudentSums(s.n_students, *sums)


# --------------------------------------------------------------------------- compiled loops
@njit(cache=True, parallel=True)
def _month_pass(
    start, n_students, demonstrating, skip, through, done, grade, last_cohort, steps_per_year,
    score, engagement, temas, progress, mastered, tutors,
    lesson_keep, lesson_add, settle_keep, settle_add, worth, boost, demonstrations,
    rest, good, excellent, voluntary, carried, tutors_before, mastered_before,
):  # fmt: skip
    """Each school not skipped: its students have their lessons through month `through` (this
    month's, none if they have had them, or all they are owed), hold the demonstration day if
    due, and are summed; if `carried`, a school that does not demonstrate keeps its counts of
    tutors and temas mastered from `tutors_before` and `mastered_before`."""
    n = start.size
    score_sum, engaged_sum, above_sum = np.zeros(n), np.zeros(n), np.zeros(n)
    at_good, at_excellent = np.zeros(n, np.int64), np.zeros(n, np.int64)
    giving, tutoring, bits = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    for s in prange(n):  # schools touch only their own students: threads cannot interfere
        if skip[s]:  # deferred: nothing to do, nothing summed
            continue
        first, end = start[s], start[s] + n_students[s]
        monthly = done[s] == through - 1  # the month's lesson for everyone (all but catch-ups)
        if not monthly and done[s] < through:
            _sit_through(
                first, end, through, done[s], grade, last_cohort, steps_per_year,
                score, engagement, lesson_keep, lesson_add, settle_keep, settle_add,
            )  # fmt: skip
        demonstrating_here = demonstrating[s]
        counted = demonstrating_here or not carried  # else no tutor or mastery changed here
        # The school's students have their lessons, then their demonstration day, then are
        # summed: three short loops over a slice that stays in the cache, each simple enough to
        # run at full speed (one loop doing all three took a quarter longer). A student's own
        # operations keep their order, and the sums are kept in local variables, added in
        # student order as they always were.
        if monthly:
            for i in range(first, end):
                _lesson(i, score, engagement, lesson_keep, lesson_add, settle_keep, settle_add)
        shown = 0
        if demonstrating_here:
            for i in range(first, end):
                shown += _demonstrate(i, temas, progress, mastered, tutors, score,
                                      engagement, worth, boost)  # fmt: skip
        scores, engaged, above = np.float64(0), np.float64(0), np.float64(0)
        goods, excellents, givers, student_tutors, temas_mastered = 0, 0, 0, 0, 0
        for i in range(first, end):
            student_score, student_engagement = score[i], engagement[i]
            scores += student_score
            goods += student_score >= good
            excellents += student_score >= excellent
            engaged += student_engagement
            # Engagement above rest, without a branch: at or below rest this adds +0.0, which
            # leaves the sum as it was.
            above += max(student_engagement - rest, np.float32(0.0))
            givers += student_engagement >= voluntary
            if counted:
                student_tutors += tutors[i] >= 0
                temas_mastered += member_count(mastered[i])
        if not counted:  # the rows of `mastered` and `tutors` are left unread
            student_tutors, temas_mastered = tutors_before[s], mastered_before[s]
        demonstrations[s] += shown
        score_sum[s], engaged_sum[s], above_sum[s] = scores, engaged, above
        at_good[s], at_excellent[s], giving[s] = goods, excellents, givers
        tutoring[s], bits[s] = student_tutors, temas_mastered
    return score_sum, at_good, at_excellent, engaged_sum, above_sum, giving, tutoring, bits


@njit(cache=True, inline="always")
def _lesson(i, score, engagement, lesson_keep, lesson_add, settle_keep, settle_add):
    """A month in the default culture for student i: the lesson, then engagement settles."""
    score[i] = score[i] * lesson_keep + lesson_add
    engagement[i] = engagement[i] * settle_keep + settle_add


@njit(cache=True)
def _sit_through(first, end, through, done, grade, last_cohort, steps_per_year,
                 score, engagement, lesson_keep, lesson_add, settle_keep, settle_add):  # fmt: skip
    """Students first..end-1 of a school done through month `done` have their lessons through
    month `through`: each those since `done` or since it entered, whichever is later (a student
    in grade g entered with the cohort g years before the newest)."""
    for i in range(first, end):
        entered = last_cohort - np.int64(grade[i]) * steps_per_year
        for _ in range(through - max(done, entered)):  # a student's months follow one another
            _lesson(i, score, engagement, lesson_keep, lesson_add, settle_keep, settle_add)


@njit(cache=True)
def _catch_up(schools, start, n_students, through, done, grade, last_cohort, steps_per_year,
              score, engagement, lesson_keep, lesson_add, settle_keep, settle_add):  # fmt: skip
    for s in schools:
        _sit_through(start[s], start[s] + n_students[s], through, done[s], grade, last_cohort,
                     steps_per_year, score, engagement,
                     lesson_keep, lesson_add, settle_keep, settle_add)  # fmt: skip


@njit(cache=True)
def _demonstrate(i, temas, progress, mastered, tutors, score, engagement, worth, boost):
    """Student i shows every finished tema in public: it masters it, its score rises by what a
    tema is worth, presenting builds confidence, and it tutors the tema. Returns how many."""
    one = np.float32(1.0)
    shown = 0
    for h in range(temas.shape[0]):
        k = temas[h, i]
        if k < 0 or progress[h, i] < one:
            continue
        mastered[i] |= np.uint64(1) << np.uint64(k)
        tutors[i] = k
        score[i] += worth * (one - score[i])
        engagement[i] += boost * (one - engagement[i])
        temas[h, i] = -1
        progress[h, i] = 0
        shown += 1
    return shown
