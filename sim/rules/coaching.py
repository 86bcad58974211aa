"""Teachers learn the practice the way students do: as tutees of someone more masterful (004).

Three sources of tutoring reach adopters: coach visits (the movement's coaches, the ministry's
coaches through the training cascade, supervisors who model the practice), interchanges with
contacts in genuine practice, and practising it with their own students. Capacity is limited:
when demand exceeds it, each teacher is visited with probability capacity / demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.kinds import Origin, Stance
from sim.rules.mandate import cascade_depth, handoff_retention

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def teach_practice(model: TutorialNetworkModel) -> None:
    t = model.teachers
    p = model.params.behaviour.practice
    gain = np.zeros(t.school.size, dtype=np.float32)
    capacity = zone_supervisor_visits(model, gain)
    for eligible, visits, quality in coach_pools(model):
        capacity += visits
        gain[visit(model, eligible, visits)] += p.coach_rate * quality
    # Coach load: adopters to accompany per coaching visit available this month.
    demand = int(t.adopted.sum())
    model.coach_load = demand / capacity if capacity else (np.inf if demand else 0.0)
    adopted = t.adopted
    tutorial_time = model.tutorial_time()[t.school] / model.params.behaviour.tutoring.time_share
    gain += adopted * p.peer_rate * model.exposure
    gain += adopted * p.self_rate * t.motivation * tutorial_time
    loss = p.decay * t.practice * np.where(adopted, 1.0 - t.motivation, 1.0)
    t.practice += gain * (1.0 - t.practice) - loss
    np.clip(t.practice, 0.0, 1.0, out=t.practice)


def coach_pools(model: TutorialNetworkModel) -> list[tuple[np.ndarray, int, float]]:
    """(teachers eligible, visits available this step, quality of a visit) per coach pool."""
    t = model.teachers
    pools = []
    mv = model.params.scenario.movement
    movement_coaches = (mv.coaches if model.movement_active else 0) + model.ministry_coaches
    if movement_coaches:
        volunteers = np.flatnonzero(t.adopted & (t.origin == Origin.VOLUNTARY))
        pools.append((volunteers, movement_coaches * mv.coach_capacity, 1.0))
    # The ministry's coaches serve mandated schools: until the mandate has reached one, they
    # are not yet part of anyone's coaching.
    if model.mandate_reaches_schools:
        m = model.params.scenario.mandate
        required = np.flatnonzero(t.adopted & (t.origin == Origin.MANDATE))
        quality = handoff_retention(model) ** cascade_depth(model)
        pools.append((required, m.coaches * m.coach_capacity, quality))
    return pools


def visit(model: TutorialNetworkModel, eligible: np.ndarray, visits: int) -> np.ndarray:
    if eligible.size == 0 or visits == 0:
        return eligible[:0]
    p_visit = min(1.0, visits / eligible.size)
    return eligible[model.rng.random(eligible.size) < p_visit]


def zone_supervisor_visits(model: TutorialNetworkModel, gain: np.ndarray) -> int:
    """Supervisors who model the practice coach the adopters of their own zone; returns visits."""
    t = model.teachers
    sup = model.supervisors
    zone = model.schools.zone[t.school]
    adopted = np.flatnonzero(t.adopted)
    demand = np.bincount(zone[adopted], minlength=model.n_zones)
    capacity = np.where(sup.stance == Stance.MODEL_PRACTICE, sup.capacity, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_zone = np.where(demand > 0, np.minimum(1.0, capacity / demand), 0.0)
    visited = adopted[model.rng.random(adopted.size) < p_zone[zone[adopted]]]
    gain[visited] += model.params.behaviour.practice.coach_rate
    return int(capacity[demand > 0].sum())
