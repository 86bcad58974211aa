"""Exposure through the professional network: colleagues in the same school plus personal ties."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


def genuine_share_of_contacts(model: TutorialNetworkModel, genuine: np.ndarray) -> np.ndarray:
    """For each teacher, the share of its contacts who are in genuine practice.

    Contacts are the colleagues at its current school and its personal ties (zone colleagues,
    long ties). In a well-mixed network every teacher meets everyone: the share is global.
    """
    t = model.teachers
    if model.params.system.network.kind == "well_mixed":
        n = genuine.size
        others = (genuine.sum() - genuine) / max(n - 1, 1)
        return others.astype(np.float32)
    n_schools = model.schools.count
    g = genuine.astype(np.float32)
    at_school = np.bincount(t.school, weights=g, minlength=n_schools)[t.school] - g
    colleagues = model.schools.n_teachers[t.school] - 1
    tied = model.ties @ g
    degree = model.tie_degree
    contacts = colleagues + degree
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(contacts > 0, (at_school + tied) / contacts, 0.0)
    return share.astype(np.float32)
