"""Teachers learn the practice the way students do: as tutees of someone more masterful (004).

Sources of tutoring reach adopters: coach visits (the movement's coaches, the ministry's
coaches through the training cascade, supervisors who model the practice, zone nodes), each
tutoring the teacher in one tema of the fund; interchanges with contacts in genuine practice;
their own student tutors; and practising it with their own students. Capacity is limited: when
demand exceeds it, each teacher is visited with probability capacity / demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from sim.kinds import Origin, Stance
from sim.practice import genuineness
from sim.rules.catalogue import learn_a_tema
from sim.rules.mandate import cascade_quality, mandate_reaches_schools, ministry_coaches
from sim.rules.opportunities import ministry_paid_coaches
from sim.rules.tutoring import student_tutors_per_school, tutorial_time_share
from sim.threads import threads_for

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel
    from sim.params import PracticeParams


@dataclass
class Coaching:
    """Coaching's own parameters and state: how loaded the coaches were this month."""

    pars: PracticeParams
    load: float = 0.0  # adopters to accompany per coaching visit available this month


def setup(model: TutorialNetworkModel) -> Coaching:
    return Coaching(pars=model.params.behaviour.practice)


def coach_load(model: TutorialNetworkModel) -> float:
    """Adopters to accompany per coaching visit available this month."""
    return model.coaching.load


def teach_practice(model: TutorialNetworkModel) -> None:
    t = model.teachers
    p = model.coaching.pars
    gain = np.zeros(t.school.size, dtype=np.float32)
    capacity = zone_supervisor_visits(model, gain) + zone_node_visits(model, gain)
    for eligible, visits, quality in coach_pools(model):
        capacity += visits
        visited = visit(model, eligible, visits)
        gain[visited] += p.coach_rate * quality
        learn_a_tema(model, visited)
    # Adults a visiting student tutored this month count as the coach visits they equal.
    capacity += model.exchanges.adults_tutored
    adopted = t.adopted
    # Student tutors tutor adults too (000 l.41, l.113): the more of a school's students tutor,
    # the more its teachers learn the practice from them; what they pass on is the practice they
    # were tutored in, worth what their school practises for real (its genuineness, 004 l.37).
    worth = student_tutor_share(model) * genuineness(model)
    from_students = adopted * p.student_rate * worth[t.school]  # added to the gain below
    # Coach load: adopters to accompany per coaching visit available this month, counting what
    # student tutors teach as the coach visits it equals: the movement's training capacity grows
    # with its student tutors.
    demand = int(t.adopted.sum())
    if p.coach_rate > 0:
        capacity += float(from_students.sum()) / p.coach_rate
    model.coaching.load = demand / capacity if capacity else (np.inf if demand else 0.0)
    with threads_for(t.school.size):
        _practise(
            t.school, adopted, t.practice, t.motivation, model.exposure, from_students,
            tutorial_time_share(model), gain, p.peer_rate, p.self_rate, np.float32(p.decay),
        )  # fmt: skip


@njit(cache=True, parallel=True)
def _practise(school, adopted, practice, motivation, exposure, from_students, tutorial_time,
              gain, peer_rate, self_rate, decay):  # fmt: skip
    """Every teacher's practice moves, one teacher at a time, in the precision of the state:
    an adopter gains what coaches and its student tutors gave (`gain`, `from_students`), what
    its contacts in genuine practice pass on and what practising with its own students teaches
    (as far as motivation and the school's tutorial time go); the gain closes part of what is
    left to learn. The practice decays, the less so the more motivated an adopter is; a teacher
    outside the practice forgets it at the full rate."""
    one = np.float32(1.0)
    for i in prange(practice.size):  # each teacher writes only its own practice
        joined = np.float64(adopted[i])
        g = np.float32(np.float64(gain[i]) + from_students[i])
        g = np.float32(np.float64(g) + peer_rate * joined * np.float64(exposure[i]))
        taught = self_rate * joined * np.float64(motivation[i]) * tutorial_time[school[i]]
        g = np.float32(np.float64(g) + taught)
        keeps = one - motivation[i] if adopted[i] else one
        loss = decay * practice[i] * keeps
        moved = practice[i] + (g * (one - practice[i]) - loss)
        practice[i] = min(max(moved, np.float32(0.0)), one)


def student_tutor_share(model: TutorialNetworkModel) -> np.ndarray:
    """Per school: the share of its students who tutor a tema."""
    return student_tutors_per_school(model) / model.schools.n_students


def coach_pools(model: TutorialNetworkModel) -> list[tuple[np.ndarray, int, float]]:
    """(teachers eligible, visits available this step, quality of a visit) per coach pool."""
    t = model.teachers
    pools = []
    mv = model.params.scenario.movement
    movement_coaches = (mv.coaches if model.movement_active else 0) + ministry_paid_coaches(model)
    if movement_coaches:
        volunteers = np.flatnonzero(t.adopted & (t.origin == Origin.VOLUNTARY))
        pools.append((volunteers, movement_coaches * mv.coach_capacity, 1.0))
    # The ministry's coaches serve mandated schools: until the mandate has reached one, they
    # are not yet part of anyone's coaching.
    if mandate_reaches_schools(model):
        m = model.params.scenario.mandate
        required = np.flatnonzero(t.adopted & (t.origin == Origin.MANDATE))
        visits = ministry_coaches(model) * m.coach_capacity
        pools.append((required, visits, cascade_quality(model)))
    return pools


def visit(model: TutorialNetworkModel, eligible: np.ndarray, visits: int) -> np.ndarray:
    if eligible.size == 0 or visits == 0:
        return eligible[:0]
    p_visit = min(1.0, visits / eligible.size)
    return eligible[model.rng.random(eligible.size) < p_visit]


def zone_supervisor_visits(model: TutorialNetworkModel, gain: np.ndarray) -> int:
    """Supervisors who model the practice coach the adopters of their own zone; returns visits."""
    sup = model.supervisors
    capacity = np.where(sup.stance == Stance.MODEL_PRACTICE, sup.capacity, 0)
    return zone_visits(model, gain, capacity, 1.0)


def zone_node_visits(model: TutorialNetworkModel, gain: np.ndarray) -> int:
    """In the `nodes` design, each zone's collegial node tutors the adopters of its zone in the
    practice, from the month the mandate reaches one of the zone's schools (000 l.53: tutorial
    relationships within and throughout the nodes, modelled from the central node to the
    classroom). A visit keeps what one hand-off keeps. Returns visits."""
    m = model.params.scenario.mandate
    if m.coaching != "nodes" or not mandate_reaches_schools(model):
        return 0
    s = model.schools
    reached = np.bincount(s.zone, weights=s.mandated, minlength=model.n_zones) > 0
    return zone_visits(model, gain, np.where(reached, m.node_capacity, 0), m.node_retention)


def zone_visits(
    model: TutorialNetworkModel, gain: np.ndarray, capacity: np.ndarray, quality: float
) -> int:
    """Visits to the adopters of each zone, up to the zone's capacity; returns visits offered
    where someone needs them."""
    t = model.teachers
    adopted = np.flatnonzero(t.adopted)
    zone = model.schools.zone[t.school[adopted]]  # the adopters' zones
    demand = np.bincount(zone, minlength=model.n_zones)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_zone = np.where(demand > 0, np.minimum(1.0, capacity / demand), 0.0)
    visited = adopted[model.rng.random(adopted.size) < p_zone[zone]]
    gain[visited] += model.coaching.pars.coach_rate * quality
    learn_a_tema(model, visited)
    return int(capacity[demand > 0].sum())
