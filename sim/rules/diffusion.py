"""Voluntary diffusion through mobilizing structures (000: visits, interchanges, demonstrations).

A teacher joins after experiencing the practice as a tutee: outreach by the movement's team in
each state reaches a few teachers of the state a month (Bass's innovation term), contacts in
genuine practice recruit in proportion to their share (Bass's imitation term), and public
demonstrations in the zone draw visitors. Supervisors open or close the door; teachers with no
motivation left do not volunteer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.kinds import Origin, Stance
from sim.practice import demonstrations_shown
from sim.rules.adoption import enrol
from sim.rules.mandate import mandate_in_force

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def mobilizing_structures(model: TutorialNetworkModel) -> bool:
    """Whether someone organizes visits, interchanges and demonstrations: the movement, or
    the ministry's collegial nodes while they are supported."""
    nodes = model.params.scenario.mandate.coaching == "nodes" and mandate_in_force(model)
    return model.movement_active or nodes


def genuine_demonstrations_per_zone(model: TutorialNetworkModel) -> np.ndarray:
    """Schools that held a public demonstration this month, per zone, each weighted by the
    share of its adopters in genuine practice: a demonstration of the formula without the
    practice shows nothing worth joining or being won over by (004 l.37)."""
    shown = demonstrations_shown(model)
    return np.bincount(model.schools.zone, weights=shown, minlength=model.n_zones)


def supervisor_openness(model: TutorialNetworkModel) -> np.ndarray:
    """Per school: how far its zone supervisor lets teachers take up the practice."""
    p = model.params.behaviour.supervision
    sup = model.supervisors
    per_zone = np.ones(model.n_zones, dtype=np.float32)
    per_zone[sup.stance == Stance.PROTECT] += p.protect_boost
    enforce = sup.stance == Stance.ENFORCE
    per_zone[enforce] = 1.0 - p.block * (1.0 - sup.leeway[enforce])
    school = per_zone[model.schools.zone]
    # Pilot status shelters a school from an enforcing supervisor (brief: sheltered status).
    return np.where(model.schools.sheltered, np.maximum(school, 1.0), school)


def outreach_hazard(model: TutorialNetworkModel) -> np.ndarray:
    """Per teacher: the monthly hazard of being reached by the movement's outreach. Outreach is
    what a state's team does: `diffusion.outreach` teachers a month in each state, whatever the
    state's size, so one value means the same behaviour on a quarter of the country as on all of
    it (Bass's p is outreach / the state's teachers)."""
    if not model.movement_active:
        return np.zeros(model.teachers.school.size)
    s = model.schools
    state = model.hierarchy.zone_state[s.zone]
    per_state = np.bincount(state, weights=s.n_teachers)
    school_hazard = model.params.behaviour.diffusion.outreach / per_state[state]
    return school_hazard[model.teachers.school]


def joining_hazard(model: TutorialNetworkModel) -> np.ndarray:
    """Monthly hazard of volunteering, for every teacher."""
    d = model.params.behaviour.diffusion
    t = model.teachers
    demonstrating = genuine_demonstrations_per_zone(model)
    hazard = (
        outreach_hazard(model)
        + d.imitation * model.exposure
        + d.demonstration_reach * demonstrating[model.schools.zone[t.school]]
    )
    hazard *= supervisor_openness(model)[t.school]
    # Visits, interchanges and demonstrations to outsiders are organized by the movement or, in
    # PEMLE-like programmes, by the ministry's collegial nodes; without them little spreads.
    if not mobilizing_structures(model):
        hazard *= d.unorganized
    if d.motivation_gate:
        hazard *= t.motivation
    return hazard


def recruit_volunteers(model: TutorialNetworkModel) -> None:
    """Teachers not in the practice join with probability 1 - exp(-hazard)."""
    t = model.teachers
    candidates = np.flatnonzero(~t.adopted)
    p_join = -np.expm1(-joining_hazard(model)[candidates])
    joiners = candidates[model.rng.random(candidates.size) < p_join]
    enrol(model, joiners, Origin.VOLUNTARY, model.params.behaviour.practice.join_voluntary)
