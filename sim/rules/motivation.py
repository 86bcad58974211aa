"""Teachers' motivation: what keeps a volunteer going and what wears it down (000).

There is no pay or career reward for joining. Adopters gain motivation from seeing their
students transformed (engagement). Everyone loses it to paperwork beyond the ordinary load and to
test pressure; adopters also lose it to tight control over what they now do differently and to
opposition from colleagues who have not joined. It drifts back toward the teacher's own level
(assumption: a resting level reached under ordinary conditions). An adopter whose motivation
falls below a threshold may lapse, unless a mandate still requires it on paper.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.kinds import Origin, Stance
from sim.practice import adopters_per_school, genuine_teachers
from sim.rules.mandate import required_teachers

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def control(model: TutorialNetworkModel) -> np.ndarray:
    """Tight bureaucratic control felt by each teacher, in [0, 1]."""
    t = model.teachers
    sup = model.supervisors
    zone = model.schools.zone[t.school]
    enforcing = (sup.stance[zone] == Stance.ENFORCE) * (1.0 - sup.leeway[zone])
    mandated = model.params.scenario.mandate.control * required_teachers(model)
    return np.maximum(enforcing, mandated) * ~model.schools.sheltered[t.school]


def opposition(model: TutorialNetworkModel) -> np.ndarray:
    """Share of a teacher's colleagues at school who have not adopted."""
    t = model.teachers
    adopters = adopters_per_school(model)[t.school] - t.adopted
    colleagues = model.schools.n_teachers[t.school] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(colleagues > 0, 1.0 - adopters / colleagues, 0.0)


def terms(model: TutorialNetworkModel) -> dict[str, np.ndarray]:
    """Per teacher, each push on motivation this month, by name (the explainer shows them)."""
    p = model.params.behaviour.motivation
    t = model.teachers
    adopted = t.adopted
    pressure = model.params.scenario.testing.pressure * model.schools.punished[t.school]
    excess_paperwork = t.admin_load - model.params.behaviour.base_admin_load
    return {
        "engaged students": p.reward * adopted * model.schools.engagement[t.school],
        "paperwork": -(p.paperwork * excess_paperwork),
        "control": -(p.control * adopted * control(model)),
        "opposition of colleagues": -(p.opposition * adopted * opposition(model)),
        "test pressure": -(p.test_pressure * pressure),
        "recovery": p.recovery * (t.motivation0 - t.motivation),
    }


def update_motivation(model: TutorialNetworkModel) -> None:
    """Motivation moves by the sum of its terms, within [0, 1]."""
    t = model.teachers
    pushes = iter(terms(model).values())
    delta = next(pushes)
    for push in pushes:  # in the order written: x + (-y) is exactly x - y
        delta = delta + push
    t.motivation += delta.astype(np.float32)
    np.clip(t.motivation, 0.0, 1.0, out=t.motivation)


def lapse_risk(model: TutorialNetworkModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adopters who may drop the practice: the demotivated, the required who only ever had its
    formula, and among both those a mandate in force still holds on paper."""
    p = model.params.behaviour.motivation
    t = model.teachers
    demotivated = t.adopted & (t.motivation < p.lapse_threshold)
    # Only the required ever had nothing but the formula: a volunteer below the threshold chose
    # the practice and is still learning it, so it lapses only when its motivation runs out.
    paper_only = t.adopted & ~genuine_teachers(model) & (t.origin == Origin.MANDATE)
    held = (demotivated | paper_only) & required_teachers(model)
    return demotivated, paper_only, held


def lapse(model: TutorialNetworkModel) -> None:
    """Adopters drop the practice when motivation is gone, or when they only ever had its
    formula and nobody requires it any more; a mandate in force keeps them on paper."""
    demotivated, paper_only, held = lapse_risk(model)
    at_risk = np.flatnonzero((demotivated | paper_only) & ~held)
    rate = model.params.behaviour.motivation.lapse_rate
    drop = at_risk[model.rng.random(at_risk.size) < rate]
    model.teachers.adopted[drop] = False
