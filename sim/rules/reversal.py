"""Policy reversal: a new administration withdraws the ministry's support (brief; 004)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.kinds import EventKind

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def withdraw_if_due(model: TutorialNetworkModel) -> None:
    year = model.params.scenario.reversal_year
    if year is not None and model.step_of_year(year) == model.steps:
        withdraw_support(model)


def withdraw_support(model: TutorialNetworkModel) -> None:
    """Mandates end, ministry coaches leave, pilot status is lost; the movement's own stays."""
    if model.reversed:
        return
    model.reversed = True
    model.reversal_step = model.steps
    model.log_event(EventKind.REVERSAL)
    for prog in model.programmes:
        prog.active = False
    model.schools.mandated[:] = False
    model.schools.sheltered[:] = False
    model.ministry_coaches = 0
    t = model.teachers
    model.adopters_at_reversal = (t.adopted.copy(), t.origin.copy())
