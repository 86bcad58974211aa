"""Supervisors between policy and schools: load, drift to format-checking, paperwork (brief).

As the number of adopters a supervisor must follow grows past what one person can follow,
supervision drifts from modelling the practice to checking formats, unless leeway protects it.
Demonstrations in the zone can win an enforcing supervisor over: face-to-face modelling
dissolves resistance better than talking or imposing (000, design features).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.kinds import Stance
from sim.rules.diffusion import demonstrating_schools_per_zone
from sim.rules.mandate import required_teachers

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def update_supervision(model: TutorialNetworkModel) -> None:
    measure_load(model)
    drift_to_formats(model)
    win_over(model)
    assign_paperwork(model)


def measure_load(model: TutorialNetworkModel) -> None:
    p = model.params.behaviour.supervision
    t = model.teachers
    zone = model.schools.zone[t.school]
    followed = np.bincount(zone, weights=t.adopted, minlength=model.n_zones)
    model.supervisors.load[:] = followed / p.load_per_supervisor


def drift_to_formats(model: TutorialNetworkModel) -> None:
    p = model.params.behaviour.supervision
    sup = model.supervisors
    overload = np.maximum(sup.load - 1.0, 0.0)
    p_drift = p.drift_rate * overload * (1.0 - sup.leeway)
    drift = (sup.stance != Stance.ENFORCE) & (model.rng.random(sup.stance.size) < p_drift)
    sup.stance[drift] = Stance.ENFORCE


def win_over(model: TutorialNetworkModel) -> None:
    p = model.params.behaviour.supervision
    sup = model.supervisors
    demonstrating = demonstrating_schools_per_zone(model)
    p_convert = -np.expm1(-p.conversion_rate * demonstrating)
    # An overloaded supervisor has no time to visit demonstrations.
    convert = (sup.stance == Stance.ENFORCE) & (sup.load <= 1.0)
    convert &= model.rng.random(sup.stance.size) < p_convert
    sup.stance[convert] = Stance.MODEL_PRACTICE


def assign_paperwork(model: TutorialNetworkModel) -> None:
    """Each teacher's administrative load: the base, an enforcing supervisor's, the mandate's."""
    m = model.params.behaviour
    t = model.teachers
    sheltered = model.schools.sheltered[t.school]
    enforcing = model.supervisors.stance[model.schools.zone[t.school]] == Stance.ENFORCE
    load = np.full(t.school.size, m.base_admin_load, dtype=np.float32)
    load += m.supervision.paperwork_load * (enforcing & ~sheltered)
    load += model.params.scenario.mandate.paperwork * (required_teachers(model) & ~sheltered)
    np.clip(load, 0.0, 1.0, out=t.admin_load)
