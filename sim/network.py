"""Exposure through the professional network: colleagues in the same school plus personal ties."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from sim.threads import threads_for

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
    ties = model.ties
    with threads_for(t.school.size):
        return _genuine_share(
            t.school, genuine, np.flatnonzero(genuine), ties.indptr, ties.indices,
            model.schools.n_teachers, model.schools.count, model.tie_degree,
        )  # fmt: skip


@njit(cache=True, parallel=True)
def _genuine_share(school, genuine, genuine_idx, indptr, indices, n_teachers, n_schools, degree):
    """The share, from the genuine teachers' ties only: the movement's few hundred teachers, not
    the country's million, are what a month has to walk (ties are symmetric, each worth one)."""
    at_school = np.zeros(n_schools, np.int64)
    tied = np.zeros(school.size, np.float32)
    for i in genuine_idx:
        at_school[school[i]] += 1
        for k in range(indptr[i], indptr[i + 1]):
            tied[indices[k]] += np.float32(1.0)
    share = np.zeros(school.size, np.float32)
    for t in prange(school.size):  # each teacher's own share from the counts above
        contacts = np.float64(n_teachers[school[t]] - 1) + np.float64(degree[t])
        if contacts > 0:
            others = np.float64(at_school[school[t]] - genuine[t])
            share[t] = (others + np.float64(tied[t])) / contacts
    return share
