"""Academic exchanges: students visit another school and tutor its adults (000 l.41, l.113).

At visits and interchanges "adults may be observed taking the role of student, and young people
can be seen acting as tutors". Every few months each adopting school sends a few students to
another school of its zone. Who goes is a choice (the lever `scenario.exchanges.selection`).
Going builds a student's engagement, most for those who had least; a goer who tutors a tema
tutors one of the host's teachers in it: an adopter learns the practice as from a coach's visit,
worth what the sending school practises for real, and a teacher not in the practice may join.
The movement's training capacity thus grows with its student tutors.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.kinds import Origin
from sim.population import bit
from sim.practice import genuineness, school_adopted
from sim.rules.adoption import enrol
from sim.rules.diffusion import mobilizing_structures, supervisor_openness
from sim.rules.lessons import catch_up

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel
    from sim.params import ExchangeParams


@dataclass
class Exchanges:
    """The exchanges' lever and what they did this month."""

    pars: ExchangeParams
    goers: int = 0  # students who went to another school
    adults_tutored: int = 0  # teachers a visiting student tutored


def setup(model: TutorialNetworkModel) -> Exchanges:
    return Exchanges(pars=model.params.scenario.exchanges)


def hold_exchanges(model: TutorialNetworkModel) -> None:
    """On an exchange month, each adopting school sends its goers to a school of its zone."""
    ex = model.exchanges
    ex.goers = ex.adults_tutored = 0
    if not exchange_month(model):
        return
    senders, hosts = pair_schools(model)
    if senders.size == 0:
        return
    catch_up(model)  # the goers are chosen by what they have learned
    goers = choose_goers(model, senders)
    ex.goers = goers.size
    e = model.students.engagement
    e[goers] += np.float32(ex.pars.boost) * (1 - e[goers])
    tutor_adults(model, goers, hosts[np.searchsorted(senders, model.students.school[goers])])


def exchange_month(model: TutorialNetworkModel) -> bool:
    """Exchanges happen every `every` months while someone organizes visits and interchanges."""
    p = model.exchanges.pars
    if p.every == 0 or p.students == 0 or model.steps % p.every != 0:
        return False
    return mobilizing_structures(model)


def pair_schools(model: TutorialNetworkModel) -> tuple[np.ndarray, np.ndarray]:
    """Adopting schools with another school in their zone, each with a host drawn among the
    other schools of its zone (schools are numbered zone by zone)."""
    s = model.schools
    per_zone = np.bincount(s.zone, minlength=model.n_zones)
    zone_start = np.concatenate(([0], np.cumsum(per_zone)[:-1]))
    senders = np.flatnonzero(school_adopted(model) & (per_zone[s.zone] > 1))
    zone = s.zone[senders]
    host = zone_start[zone] + model.rng.integers(0, per_zone[zone] - 1)
    host += host >= senders  # skip the sender itself
    return senders, host


# Senders' students keyed at a time: at national scale the senders hold millions of students,
# and keys (and draws) for all of them at once would be a temporary of a hundred megabytes. In
# groups of whole schools, the draws come from the stream in the same order, so the goers are
# the same.
KEYED_AT_ONCE = 1 << 20


def choose_goers(model: TutorialNetworkModel, senders: np.ndarray) -> np.ndarray:
    """The students each sender sends, by the selection rule, in school order."""
    s = model.schools
    n = s.n_students[senders]
    first = s.student_start[senders]
    per_school = model.exchanges.pars.students
    goers = []
    for group in _groups(n, KEYED_AT_ONCE):
        key = selection_key(model, first[group], n[group])
        goers.append(_lowest_per_school(first[group], n[group], key, per_school))
    return np.concatenate(goers) if len(goers) > 1 else goers[0]


def _groups(n: np.ndarray, at_once: int) -> list[slice]:
    """Consecutive slices of schools holding about `at_once` students each (at least one
    school each)."""
    ends = np.cumsum(n)
    cuts = np.searchsorted(ends, np.arange(at_once, int(ends[-1]), at_once), side="right")
    edges = np.unique(np.concatenate(([0], cuts, [n.size])))
    return [slice(a, b) for a, b in pairwise(edges)]


def selection_key(model: TutorialNetworkModel, first: np.ndarray, n: np.ndarray) -> np.ndarray:
    """For the senders' students, school after school: lower goes first. Student tutors first,
    at random, the highest scores, the least engaged."""
    st = model.students
    rule = model.exchanges.pars.selection
    # Keys in float64 whatever the rule, so the compiled selection is built once.
    if rule == "top_scorers":
        key = _slices(first, n, st.score)
        return np.negative(key, out=key)
    if rule == "least_engaged":
        return _slices(first, n, st.engagement)
    draw = model.rng.random(int(n.sum()))
    if rule == "tutors":
        _put_tutors_first(draw, first, n, st.tutors)
    return draw


@njit(cache=True)
def _slices(first, n, values):
    """values[first[j] : first[j] + n[j]] for each school j, one after another, as float64 (the
    senders' students without an index array the size of all of them)."""
    out = np.empty(n.sum(), dtype=np.float64)
    at = 0
    for j in range(first.size):
        for i in range(first[j], first[j] + n[j]):
            out[at] = values[i]
            at += 1
    return out


@njit(cache=True)
def _put_tutors_first(draw, first, n, tutors):
    """Adds 1 to the draw of every student who tutors nothing, in place: student tutors, whose
    keys stay below 1, go first."""
    at = 0
    for j in range(first.size):
        for i in range(first[j], first[j] + n[j]):
            if tutors[i] < 0:
                draw[at] += 1.0
            at += 1


@njit(cache=True)
def _lowest_per_school(first, n, key, per_school):
    """The `per_school` students with the lowest keys of each school (the first on ties), as
    student indices; `key` runs over the schools' students one school after another."""
    out = np.empty(np.minimum(n, per_school).sum(), dtype=np.int64)
    taken = np.zeros(per_school, dtype=np.int64)
    at, offset = 0, 0
    for j in range(first.size):
        m = min(n[j], per_school)
        for c in range(m):  # m is small: a few passes over the school's students
            best = -1
            for i in range(n[j]):
                seen = False
                for d in range(c):
                    seen = seen or taken[d] == i
                if not seen and (best < 0 or key[offset + i] < key[offset + best]):
                    best = i
            taken[c] = best
            out[at] = first[j] + best
            at += 1
        offset += n[j]
    return out


def tutor_adults(model: TutorialNetworkModel, goers: np.ndarray, host: np.ndarray) -> None:
    """Each goer who tutors a tema tutors a teacher of its host school in it."""
    st, t = model.students, model.teachers
    tutors = st.tutors[goers] >= 0
    goers, host = goers[tutors], host[tutors]
    if goers.size == 0:
        return
    taught = random_teacher_of(model, host)
    worth = genuineness(model)[st.school[goers]]
    np.bitwise_or.at(t.temas, taught, bit(st.tutors[goers]))
    model.exchanges.adults_tutored = taught.size
    adopter = t.adopted[taught]
    p = model.params.behaviour.practice
    gain = np.zeros(t.school.size, dtype=np.float32)
    np.add.at(gain, taught[adopter], (p.coach_rate * worth[adopter]).astype(np.float32))
    t.practice += np.minimum(gain, 1) * (1 - t.practice)
    p_join = np.minimum(
        1.0, model.exchanges.pars.recruit * worth * supervisor_openness(model)[host]
    )
    joins = ~adopter & (model.rng.random(taught.size) < p_join)
    enrol(model, np.unique(taught[joins]), Origin.VOLUNTARY, p.join_voluntary)


def random_teacher_of(model: TutorialNetworkModel, schools: np.ndarray) -> np.ndarray:
    """One teacher drawn uniformly from each given school (a school may be given twice)."""
    t = model.teachers
    order, first = _teachers_by_school(t.school, model.schools.count)
    return order[first[schools] + model.rng.integers(0, model.schools.n_teachers[schools])]


@njit(cache=True)
def _teachers_by_school(school, n_schools):
    """Teachers grouped by school, in index order within each (a stable sort by school), and
    where each school's group starts."""
    first = np.zeros(n_schools + 1, np.int64)
    for i in range(school.size):
        first[school[i] + 1] += 1
    for k in range(n_schools):
        first[k + 1] += first[k]
    order = np.empty(school.size, np.int64)
    at = first[:-1].copy()
    for i in range(school.size):
        order[at[school[i]]] = i
        at[school[i]] += 1
    return order, first[:-1]
