"""The catalogue: temas are small units of the curriculum, worked out by tutors and shared (000).

A tema is a unit a student chooses, inquires into with a tutor, masters, demonstrates in public
and then tutors. What one school works out "becomes the common property" of all schools in a
growing fund (000 l.41): temas are numbered in the order they enter the fund, and a teacher can
offer only the temas it masters. Tutors in genuine practice now and then work out a new tema;
a coach's visit tutors the visited teacher in one tema of the fund.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim import libm
from sim.population import bit
from sim.practice import genuine_teachers

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel
    from sim.params import CatalogueParams


@dataclass
class Fund:
    """The temas worked out so far (0 .. size-1), and how much inquiry each one takes."""

    pars: CatalogueParams
    size: int
    effort: np.ndarray  # float32 [catalogue.size]: inquiry a tema needs (median 1)


def setup(model: TutorialNetworkModel) -> Fund:
    c = model.params.behaviour.catalogue
    effort = libm.exp(c.effort_spread * model.rng.standard_normal(c.size)).astype(np.float32)
    return Fund(pars=c, size=c.initial_fund, effort=effort)


def interest(taste: np.ndarray | int, tema: np.ndarray | int) -> np.ndarray:
    """How much a tema interests a student of this taste, 0..255: a fixed hash (lowbias32) of
    the pair, so interests are as varied as drawn ones and cost no memory per student."""
    h = (np.asarray(taste, dtype=np.uint64) << np.uint64(8)) | np.asarray(tema, dtype=np.uint64)
    mask = np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x7FEB352D)) & mask
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x846CA68B)) & mask
    h ^= h >> np.uint64(16)
    return (h >> np.uint64(24)).astype(np.uint8)


@njit(cache=True, inline="always")
def interest_of(taste: int, tema: int) -> np.uint8:
    """`interest` of one student's taste in one tema, as the compiled loops compute it: the same
    hash, in 32-bit arithmetic (the key is 24 bits and every product is kept modulo 2^32), a
    few operations where a lookup in a table of every taste (4 MB) missed the cache for nearly
    every learner."""
    h = (np.uint32(taste) << np.uint32(8)) | np.uint32(tema)
    h ^= h >> np.uint32(16)
    h = np.uint32(h * np.uint32(0x7FEB352D))
    h ^= h >> np.uint32(15)
    h = np.uint32(h * np.uint32(0x846CA68B))
    h ^= h >> np.uint32(16)
    return np.uint8(h >> np.uint32(24))


def work_out_new_temas(model: TutorialNetworkModel) -> None:
    """Tutors in genuine practice now and then work out a new tema and add it to the fund
    (assumption: the fund grows with genuine practice, up to `catalogue.size`)."""
    fund = model.fund
    genuine = np.flatnonzero(genuine_teachers(model))
    if genuine.size == 0 or fund.size >= fund.pars.size:
        return
    authors = genuine[model.rng.random(genuine.size) < fund.pars.new_tema_rate]
    authors = authors[: fund.pars.size - fund.size]
    new = np.arange(fund.size, fund.size + authors.size)
    model.teachers.temas[authors] |= bit(new)
    fund.size += authors.size


def learn_a_tema(model: TutorialNetworkModel, teachers: np.ndarray) -> None:
    """Each teacher given (a coach's visit) is tutored in one tema of the fund drawn at random;
    a tema it already masters teaches it nothing new."""
    if teachers.size == 0:
        return
    drawn = model.rng.integers(0, model.fund.size, size=teachers.size)
    _add_temas(model.teachers.temas, teachers, drawn)


@njit(cache=True)
def _add_temas(catalogues, teachers, temas):
    """Each teacher given masters the tema drawn for it: numpy's `bitwise_or.at` in a loop (its
    unbuffered path took a third of the zone visits' time at national scale)."""
    for j in range(teachers.size):
        catalogues[teachers[j]] |= np.uint64(1) << np.uint64(temas[j])
