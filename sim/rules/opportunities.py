"""Political opportunities the movement uses (000 l.115–117): scheduled as events, or opened
when authorities see the outstanding work of students in genuine practice.

With `scenario.openings: endogenous` the deputy minister's visit is not a date: each month an
authority may see a genuine demonstration (a chance that grows with the genuine demonstrations
held), and a visit opens a pilot sized by the genuine schools there are to show. Scheduled
`leader_joins_ministry` events keep their dates in both modes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim import libm
from sim.kinds import EventKind
from sim.params import EventParams
from sim.practice import demonstrations_shown, genuine_schools, school_adopted
from sim.rules.mandate import Programme
from sim.rules.reversal import withdrawn

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel
    from sim.params import OpportunityParams


@dataclass
class Openings:
    """What the openings have won so far: movement coaches the ministry pays."""

    events: list[EventParams]
    pars: OpportunityParams
    endogenous: bool
    ministry_coaches: int = 0
    visited: bool = False  # an authority has seen genuine work and opened a pilot


def setup(model: TutorialNetworkModel) -> Openings:
    endogenous = model.params.scenario.openings == "endogenous"
    events = [e for e in model.params.scenario.events if not (endogenous and e.kind.opens_pilot)]
    return Openings(events, model.params.behaviour.opportunities, endogenous)


def ministry_paid_coaches(model: TutorialNetworkModel) -> int:
    """Movement coaches the ministry pays; they leave when support is withdrawn."""
    return 0 if withdrawn(model) else model.openings.ministry_coaches


def open_scheduled(model: TutorialNetworkModel) -> None:
    """Open every opportunity scheduled for this step."""
    for event in model.openings.events:
        if model.step_of_year(event.year) == model.steps:
            open_opportunity(model, event)
    if model.openings.endogenous:
        open_if_seen(model)


def visibility(model: TutorialNetworkModel) -> float:
    """Genuine demonstrations held last month, each weighted by how genuine its school is."""
    return float(demonstrations_shown(model).sum())


def open_if_seen(model: TutorialNetworkModel) -> None:
    """An authority sees genuine work with probability 1 − exp(−visibility × genuine
    demonstrations); once it has, a pilot opens, sized by the genuine schools it can show."""
    o = model.openings
    if o.visited or withdrawn(model) or not model.movement_active:
        return  # authorities visit the movement's schools (000 l.115)
    if model.rng.random() >= -libm.expm1(-o.pars.visibility * visibility(model)):
        return
    o.visited = True
    target = round(o.pars.pilot_per_genuine_school * int(genuine_schools(model).sum()))
    pace = target / o.pars.pilot_years
    year = model.steps / model.params.behaviour.steps_per_year
    open_opportunity(model, EventParams(year, EventKind.DEPUTY_VISIT, 0, pace, target))


def open_opportunity(model: TutorialNetworkModel, event: EventParams) -> None:
    """A movement leader joins the ministry, or a deputy minister visits and asks for expansion.

    leader_joins_ministry (2006): the leader brings others in, so the movement gains coaches
    paid by the ministry, and its schools get the pilot status that shelters them.
    deputy_visit (2007): the ministry opens a pilot that invites schools near the movement.
    ministry_pilot: the same pilot, dated when it starts inviting rather than by the visit that
    asked for it (the 2007 visit's pilot ran 2008–2010), so a scenario can log both.
    """
    if withdrawn(model):
        return  # a withdrawn administration opens nothing
    model.log_event(event.kind)
    if event.kind == EventKind.LEADER_JOINS_MINISTRY:
        model.openings.ministry_coaches += event.coaches
        model.schools.sheltered |= school_adopted(model)
    elif event.kind.opens_pilot:
        model.programmes.append(
            Programme(
                name="pilot",
                mode="invite",
                start_step=model.steps,
                pace_per_step=event.pace / model.params.behaviour.steps_per_year,
                target=event.target,
                sheltered=True,
            )
        )
