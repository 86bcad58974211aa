"""Ministry programmes: a mandate to the lowest-performing schools, or a pilot that invites.

Scaling moves the practice from schools that opted in to schools required to adopt it because
they are low-performing (brief, "The risk"). A required teacher adopts on paper at once; the
practice it brings is whatever the training cascade delivered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from sim.kinds import Origin
from sim.population import lowest
from sim.practice import school_adopted, training_quality
from sim.rules.adoption import enrol
from sim.rules.reversal import withdrawn

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


@dataclass
class Programme:
    """A rollout: `pace_per_step` schools a step from `start_step` until `target` schools."""

    name: str
    mode: Literal["mandate", "invite"]
    start_step: int
    pace_per_step: float
    target: int
    sheltered: bool
    enrolled: int = 0
    credit: float = 0.0
    active: bool = True

    def due(self, step: int) -> int:
        """How many schools to enrol this step (pace accumulates across fractional steps)."""
        if not self.active or step < self.start_step or self.enrolled >= self.target:
            return 0
        self.credit += self.pace_per_step
        n = min(int(self.credit), self.target - self.enrolled)
        self.credit -= n
        return n


def mandate_programme(model: TutorialNetworkModel) -> Programme | None:
    m = model.params.scenario.mandate
    if not m.enabled:
        return None
    return Programme(
        name="mandate",
        mode="mandate",
        start_step=model.step_of_year(m.start_year),
        pace_per_step=m.pace / model.params.behaviour.steps_per_year,
        target=m.target,
        sheltered=model.params.scenario.sheltered,
    )


def mandate_in_force(model: TutorialNetworkModel) -> bool:
    return not withdrawn(model) and any(p.active and p.mode == "mandate" for p in model.programmes)


def mandate_reaches_schools(model: TutorialNetworkModel) -> bool:
    """A mandate in force that has required at least one school: its training cascade and
    its coaches are at work (a mandate of pace zero never gets there)."""
    return mandate_in_force(model) and bool(model.schools.mandated.any())


def ministry_coaches(model: TutorialNetworkModel) -> int:
    """The mandate's own coaches: a fixed team, plus as many more per school it has required
    as `coaches_per_school` says (a programme that grows its coaching with its reach)."""
    m = model.params.scenario.mandate
    if not mandate_in_force(model):
        return 0
    return m.coaches + round(m.coaches_per_school * int(model.schools.mandated.sum()))


def required_teachers(model: TutorialNetworkModel) -> np.ndarray:
    """Teachers a mandate in force holds to the practice, at least on paper."""
    if not mandate_in_force(model):  # nobody: a read-only view, not a fresh array a month
        return np.broadcast_to(np.False_, model.teachers.school.shape)
    return model.schools.mandated[model.teachers.school]


def required_schools(model: TutorialNetworkModel) -> np.ndarray:
    """Schools whose teachers a mandate in force holds to the practice (the compiled teachers'
    rules read a teacher's school's flag rather than a gathered copy per teacher)."""
    if not mandate_in_force(model):
        return np.broadcast_to(np.False_, model.schools.mandated.shape)
    return model.schools.mandated


def roll_out(model: TutorialNetworkModel) -> None:
    """Enrol the schools each programme reaches this step, then hold required teachers to it."""
    for prog in model.programmes:
        n = prog.due(model.steps)
        if n == 0:
            continue
        chosen = (
            next_lowest_performing(model, n) if prog.mode == "mandate" else near_movement(model, n)
        )
        prog.enrolled += chosen.size
        if prog.sheltered:
            model.schools.sheltered[chosen] = True
        if prog.mode == "mandate":
            model.schools.mandated[chosen] = True
        else:
            invite(model, chosen)
    require_adoption(model)


def next_lowest_performing(model: TutorialNetworkModel, n: int) -> np.ndarray:
    """The next n schools by baseline achievement, lowest first, not yet mandated."""
    order = model.achievement_order
    free = order[~model.schools.mandated[order]]
    return free[:n]


def near_movement(model: TutorialNetworkModel, n: int) -> np.ndarray:
    """Schools not yet in the practice, in the zones where the movement has most schools."""
    s = model.schools
    adopted = school_adopted(model)
    per_zone = np.bincount(s.zone, weights=adopted, minlength=model.n_zones)
    candidates = np.flatnonzero(~adopted & ~s.mandated)
    # Ties broken at random through a seeded jitter smaller than one school.
    score = per_zone[s.zone[candidates]] + 0.5 * model.rng.random(candidates.size)
    return candidates[lowest(-score, n)]


def invite(model: TutorialNetworkModel, schools: np.ndarray) -> None:
    """A pilot invites a school: its teachers who are motivated enough join as volunteers."""
    t = model.teachers
    at = np.flatnonzero(np.isin(t.school, schools) & ~t.adopted)
    willing = at[t.motivation[at] >= model.params.behaviour.motivation.lapse_threshold]
    enrol(model, willing, Origin.VOLUNTARY, model.params.behaviour.practice.join_voluntary)


def require_adoption(model: TutorialNetworkModel) -> None:
    """While a mandate is in force, every teacher of a mandated school adopts, on paper at least."""
    if not mandate_in_force(model):
        return
    t = model.teachers
    required = model.schools.mandated[t.school] & ~t.adopted
    if required.any():
        enrol(model, np.flatnonzero(required), Origin.MANDATE, training_dose(model))


def cascade_depth(model: TutorialNetworkModel) -> int:
    """Hand-offs between the central trainers and a required teacher (trainers train trainers)."""
    m = model.params.scenario.mandate
    required = int(model.schools.n_teachers[model.schools.mandated].sum())
    if required <= m.trainers:
        return 1
    return 1 + math.ceil(math.log(required / m.trainers) / math.log(m.fanout))


def handoff_retention(model: TutorialNetworkModel) -> float:
    """Share of the practice kept per hand-off: nodes that model it by tutoring keep more (004)."""
    m = model.params.scenario.mandate
    return m.node_retention if m.coaching == "nodes" else m.retention


def cascade_quality(model: TutorialNetworkModel) -> float:
    """Share of the practice the cascade delivers to a required teacher and its coaches."""
    return training_quality(handoff_retention(model), cascade_depth(model))


def training_dose(model: TutorialNetworkModel) -> float:
    """Practice a required teacher gets from training: a volunteer's, diluted per hand-off."""
    return model.params.behaviour.practice.join_voluntary * cascade_quality(model)
