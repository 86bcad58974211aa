"""Supervisors between policy and schools: load, drift to format-checking, paperwork (brief).

As the number of adopters a supervisor must follow grows past what one person can follow,
supervision drifts from modelling the practice to checking formats, unless leeway protects it.
Demonstrations in the zone can win an enforcing supervisor over: face-to-face modelling
dissolves resistance better than talking or imposing (000, design features).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from sim import libm
from sim.kinds import Stance
from sim.practice import adopters_per_school, school_adopted
from sim.rules.diffusion import genuine_demonstrations_per_zone
from sim.rules.mandate import mandate_in_force, required_schools
from sim.threads import threads_for

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


@dataclass
class Supervision:
    """Supervision's own state: the schools that have had pilot status at some time."""

    was_sheltered: np.ndarray  # bool per school


def setup(model: TutorialNetworkModel) -> Supervision:
    return Supervision(was_sheltered=model.schools.sheltered.copy())


def update_supervision(model: TutorialNetworkModel) -> None:
    model.supervision.was_sheltered |= model.schools.sheltered
    measure_load(model)
    drift_to_formats(model)
    win_over(model)
    assign_paperwork(model)


def measure_load(model: TutorialNetworkModel) -> None:
    p = model.params.behaviour.supervision
    s = model.schools
    # Adopters per zone, summed school by school (whole numbers: the same sum as teacher by
    # teacher, from 200,000 schools rather than a million teachers).
    followed = np.bincount(s.zone, weights=adopters_per_school(model), minlength=model.n_zones)
    model.supervisors.load[:] = followed / p.load_per_supervisor


def reporting_pressure(model: TutorialNetworkModel) -> np.ndarray:
    """Per zone: the reporting a mandate asks of the supervisor (its paperwork times the share of
    the zone's schools it requires without shelter) plus the share of the zone's adopting schools
    that have lost the pilot status that sheltered them; both put the supervisor under the
    ordinary rules of accountability (brief, "The risk")."""
    s = model.schools
    count = np.maximum(np.bincount(s.zone, minlength=model.n_zones), 1)
    required = s.mandated & ~s.sheltered if mandate_in_force(model) else np.zeros_like(s.mandated)
    reporting = model.params.scenario.mandate.paperwork * np.bincount(
        s.zone, weights=required, minlength=model.n_zones
    )
    adopting = school_adopted(model)
    lost = np.bincount(
        s.zone,
        weights=adopting & model.supervision.was_sheltered & ~s.sheltered,
        minlength=model.n_zones,
    )
    return (reporting + lost) / count


def drift_to_formats(model: TutorialNetworkModel) -> None:
    p = model.params.behaviour.supervision
    sup = model.supervisors
    overload = np.maximum(sup.load - 1.0, 0.0)
    pressure = overload + p.reporting_drift * reporting_pressure(model)
    p_drift = p.drift_rate * pressure * (1.0 - sup.leeway)
    drift = (sup.stance != Stance.ENFORCE) & (model.rng.random(sup.stance.size) < p_drift)
    sup.stance[drift] = Stance.ENFORCE


def win_over(model: TutorialNetworkModel) -> None:
    p = model.params.behaviour.supervision
    sup = model.supervisors
    demonstrating = genuine_demonstrations_per_zone(model)
    p_convert = -libm.expm1(-p.conversion_rate * demonstrating)
    # An overloaded supervisor has no time to visit demonstrations.
    convert = (sup.stance == Stance.ENFORCE) & (sup.load <= 1.0)
    convert &= model.rng.random(sup.stance.size) < p_convert
    sup.stance[convert] = Stance.MODEL_PRACTICE


def assign_paperwork(model: TutorialNetworkModel) -> None:
    """Each teacher's administrative load: the base, an enforcing supervisor's, the mandate's."""
    m = model.params.behaviour
    t, s = model.teachers, model.schools
    enforcing = model.supervisors.stance == Stance.ENFORCE
    with threads_for(t.school.size):
        _assign_paperwork(
            t.school, s.zone, s.sheltered, enforcing, required_schools(model),
            np.float32(m.base_admin_load), m.supervision.paperwork_load,
            model.params.scenario.mandate.paperwork, t.admin_load,
        )  # fmt: skip


@njit(cache=True, parallel=True)
def _assign_paperwork(school, zone, sheltered, enforcing, required, base, supervisor_paperwork,
                      mandate_paperwork, admin_load):  # fmt: skip
    """Teacher by teacher, in single precision as the load is kept: the base load, plus an
    enforcing supervisor's paperwork and a mandate's, neither in a sheltered school; at most 1."""
    for i in prange(school.size):  # each teacher writes only its own load
        sc = school[i]
        open_to_rules = not sheltered[sc]
        load = base
        load = np.float32(
            load + supervisor_paperwork * np.float64(enforcing[zone[sc]] and open_to_rules)
        )
        load = np.float32(load + mandate_paperwork * np.float64(required[sc] and open_to_rules))
        admin_load[i] = min(max(load, np.float32(0.0)), np.float32(1.0))
