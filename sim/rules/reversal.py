"""Policy reversal: a new administration withdraws the ministry's support (brief; 004)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.kinds import EventKind

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


@dataclass
class Withdrawal:
    """The reversal's own state: whether and when support was withdrawn, and who practised then."""

    year: float | None  # scenario.reversal_year: years after the start; None: never
    done: bool = False
    step: int | None = None
    adopted_then: np.ndarray | None = None
    origin_then: np.ndarray | None = None


def setup(model: TutorialNetworkModel) -> Withdrawal:
    return Withdrawal(year=model.params.scenario.reversal_year)


def withdrawn(model: TutorialNetworkModel) -> bool:
    """Whether a new administration has withdrawn the ministry's support."""
    return model.withdrawal.done


def withdraw_if_due(model: TutorialNetworkModel) -> None:
    w = model.withdrawal
    if w.year is not None and model.step_of_year(w.year) == model.steps:
        withdraw_support(model)


def withdraw_support(model: TutorialNetworkModel) -> None:
    """Mandates end, ministry coaches leave, pilot status is lost; the movement's own stays."""
    w = model.withdrawal
    if w.done:
        return
    w.done = True
    w.step = model.steps
    model.log_event(EventKind.REVERSAL)
    for prog in model.programmes:
        prog.active = False
    model.schools.mandated[:] = False
    model.schools.sheltered[:] = False
    t = model.teachers
    w.adopted_then, w.origin_then = t.adopted.copy(), t.origin.copy()
