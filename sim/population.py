"""Agent state as one numpy array per attribute, per population.

Rules are written once, as vectorized functions over these arrays; the Mesa agents in
``sim.agents`` are thin handles that read and write one row. Students are stored sorted by
school, so per-school reductions are segment sums (``np.add.reduceat`` / ``np.bincount``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass
class Arrays:
    """Base for a population: every field is a numpy array over its members (last axis)."""

    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))


@dataclass
class Hierarchy(Arrays):
    """Nested authority: zone -> region -> sector -> state -> federal ministry."""

    zone_region: np.ndarray  # int32 [zones]
    region_sector: np.ndarray  # int32 [regions]
    sector_state: np.ndarray  # int32 [sectors]

    @property
    def zone_state(self) -> np.ndarray:
        return self.sector_state[self.region_sector[self.zone_region]]


@dataclass
class Schools(Arrays):
    zone: np.ndarray  # int32
    kind: np.ndarray  # int8, index into system.school_types
    rural: np.ndarray  # bool
    achievement: np.ndarray  # float32 baseline achievement (defines "lowest-performing")
    student_start: np.ndarray  # int64 offsets of each school's students (sorted by school)
    n_students: np.ndarray  # int32
    n_teachers: np.ndarray  # int32, constant: turnover swaps teachers between schools
    mandated: np.ndarray  # bool: required to adopt by the ministry
    sheltered: np.ndarray  # bool: pilot status shelters it from ordinary rules
    punished: np.ndarray  # bool: sanctioned after this year's test
    engagement: np.ndarray  # float32 in [0,1]: how transformed its students' learning is
    demonstrations: np.ndarray  # int32: public demonstrations this step
    ever_adopted: np.ndarray  # bool

    @property
    def count(self) -> int:
        """The number of schools."""
        return self.zone.size


@dataclass
class Teachers(Arrays):
    school: np.ndarray  # int32, current school
    topics: np.ndarray  # uint8 bit mask: the temas the teacher masters (its catalogue)
    practice: np.ndarray  # float32 in [0,1]: mastery of the tutorial practice
    motivation: np.ndarray  # float32 in [0,1]
    motivation0: np.ndarray  # float32: the teacher's own resting level
    adopted: np.ndarray  # bool: formally runs tutorial networks
    origin: np.ndarray  # int8: an Origin (sim.kinds)
    ever_adopted: np.ndarray  # bool
    admin_load: np.ndarray  # float32 in [0,1]: share of time on paperwork this step


@dataclass
class Students(Arrays):
    school: np.ndarray  # int32, sorted
    grade: np.ndarray  # int8, 0..cohort_years-1
    interest: np.ndarray  # uint8 [topics, n]: how much each tema interests the student
    mastery: np.ndarray  # float32 [topics, n] in [0,1]
    tema: np.ndarray  # int8: the tema being learned, -1 for none
    tutor_of: np.ndarray  # uint8 bit mask: temas demonstrated, so tutored to others


@dataclass
class Supervisors(Arrays):
    """One zone supervisor (with the zone's coaches) per zone."""

    zone: np.ndarray  # int32
    stance: np.ndarray  # int8: a Stance (sim.kinds)
    leeway: np.ndarray  # float32 in [0,1]
    capacity: np.ndarray  # int32 coaching visits per month
    load: np.ndarray  # float32: adopters to follow / what one supervisor can follow


def bit(topic: int | np.ndarray) -> np.ndarray:
    return np.left_shift(np.uint8(1), np.asarray(topic, dtype=np.uint8))


def popcount8(mask: np.ndarray) -> np.ndarray:
    """Number of set bits of a uint8 array."""
    return np.unpackbits(mask.astype(np.uint8)[:, None], axis=1).sum(axis=1)
