"""Political opportunities: exogenous openings the movement uses, scheduled as events (000)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.kinds import EventKind
from sim.practice import school_adopted
from sim.rules.mandate import Programme
from sim.rules.reversal import withdrawn

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel
    from sim.params import EventParams


@dataclass
class Openings:
    """What the openings have won so far: movement coaches the ministry pays."""

    events: list[EventParams]
    ministry_coaches: int = 0


def setup(model: TutorialNetworkModel) -> Openings:
    return Openings(events=model.params.scenario.events)


def ministry_paid_coaches(model: TutorialNetworkModel) -> int:
    """Movement coaches the ministry pays; they leave when support is withdrawn."""
    return 0 if withdrawn(model) else model.openings.ministry_coaches


def open_scheduled(model: TutorialNetworkModel) -> None:
    """Open every opportunity scheduled for this step."""
    for event in model.openings.events:
        if model.step_of_year(event.year) == model.steps:
            open_opportunity(model, event)


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
