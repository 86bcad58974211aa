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
from numba import njit

from sim import libm
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


def outreach_per_school(model: TutorialNetworkModel) -> np.ndarray:
    """Per school: each of its teachers' monthly hazard of being reached by the movement's
    outreach. Outreach is what a state's team does: `diffusion.outreach` teachers a month in
    each state, whatever the state's size, so one value means the same behaviour on a quarter
    of the country as on all of it (Bass's p is outreach / the state's teachers)."""
    s = model.schools
    if not model.movement_active:
        return np.zeros(s.count)
    state = model.hierarchy.zone_state[s.zone]
    per_state = np.bincount(state, weights=s.n_teachers)
    return model.params.behaviour.diffusion.outreach / per_state[state]


def joining_hazard(model: TutorialNetworkModel) -> np.ndarray:
    """Monthly hazard of volunteering, for every teacher."""
    everyone = np.ones(model.teachers.school.size, dtype=bool)
    return _hazards(model, everyone)


def _hazards(model: TutorialNetworkModel, of: np.ndarray) -> np.ndarray:
    """The joining hazards of the teachers flagged in `of`, in teacher order."""
    d = model.params.behaviour.diffusion
    t, s = model.teachers, model.schools
    # Visits, interchanges and demonstrations to outsiders are organized by the movement or, in
    # PEMLE-like programmes, by the ministry's collegial nodes; without them little spreads.
    organized = 1.0 if mobilizing_structures(model) else d.unorganized
    return _joining_hazards(
        of, t.school, s.zone, outreach_per_school(model), np.float32(d.imitation),
        model.exposure, d.demonstration_reach, genuine_demonstrations_per_zone(model),
        supervisor_openness(model), organized, d.motivation_gate, t.motivation,
    )  # fmt: skip


@njit(cache=True)
def _joining_hazards(of, school, zone, outreach, imitation, exposure, reach, demonstrating,
                     openness, organized, motivation_gate, motivation):  # fmt: skip
    """Teacher by teacher: outreach, imitation of contacts in genuine practice (in single
    precision, as exposure is kept) and the zone's demonstrations add up; the supervisor's
    openness, whether anyone organizes, and (if gated) the teacher's motivation scale them."""
    hazards = np.empty(np.count_nonzero(of))
    k = 0
    for i in range(school.size):
        if not of[i]:
            continue
        sc = school[i]
        hazard = outreach[sc] + np.float64(imitation * exposure[i])
        hazard = hazard + reach * demonstrating[zone[sc]]
        hazard *= np.float64(openness[sc])
        if organized != 1.0:
            hazard *= organized
        if motivation_gate:
            hazard *= np.float64(motivation[i])
        hazards[k] = hazard
        k += 1
    return hazards


def recruit_volunteers(model: TutorialNetworkModel) -> None:
    """Teachers not in the practice join with probability 1 - exp(-hazard)."""
    t = model.teachers
    outside = ~t.adopted
    candidates = np.flatnonzero(outside)
    p_join = -libm.expm1(-_hazards(model, outside))
    joiners = candidates[model.rng.random(candidates.size) < p_join]
    enrol(model, joiners, Origin.VOLUNTARY, model.params.behaviour.practice.join_voluntary)
