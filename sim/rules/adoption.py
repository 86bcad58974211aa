"""Formal adoption: a teacher takes up the practice, bringing what it has learnt of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def enrol(model: TutorialNetworkModel, teachers: np.ndarray, origin: int, practice: float) -> None:
    """Teachers formally adopt the practice (as volunteers or because required)."""
    t = model.teachers
    t.adopted[teachers] = True
    t.origin[teachers] = origin
    t.ever_adopted[teachers] = True
    t.practice[teachers] = np.maximum(t.practice[teachers], np.float32(practice))
    model.schools.ever_adopted[t.school[teachers]] = True
