"""Agent state as one numpy array per attribute, per population.

Rules are written once, as vectorized functions over these arrays; the Mesa agents in
``sim.agents`` are thin handles that read and write one row. Students are stored sorted by
school, so per-school reductions are segment sums (``np.add.reduceat`` / ``np.bincount``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numba.core import types
from numba.core.extending import intrinsic, overload
from numba.cpython.unsafe.numbers import trailing_zeros  # LLVM's cttz

TASTES = 1 << 16  # a student's taste is a uint16; its interests are a function of it


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
    temas: np.ndarray  # uint64 bit set: the temas of the fund the teacher masters (its catalogue)
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
    taste: np.ndarray  # uint16: which temas interest the student (sim.rules.catalogue.interest)
    temas: np.ndarray  # int8 [held, n]: the temas the student is working on, -1 for none
    progress: np.ndarray  # float32 [held, n] in [0,1]: how far each is; 1 is ready to show
    mastered: np.ndarray  # uint64 bit set: temas demonstrated in public
    tutors: np.ndarray  # int8: the tema it tutors (its latest demonstrated), -1 for none
    score: np.ndarray  # float32 in [0,1]: the share of the curriculum it has learned
    engagement: np.ndarray  # float32 in [0,1]: the student's own motivation to learn


@dataclass
class Supervisors(Arrays):
    """One zone supervisor (with the zone's coaches) per zone."""

    zone: np.ndarray  # int32
    stance: np.ndarray  # int8: a Stance (sim.kinds)
    leeway: np.ndarray  # float32 in [0,1]
    capacity: np.ndarray  # int32 coaching visits per month
    load: np.ndarray  # float32: adopters to follow / what one supervisor can follow


def bit(tema: int | np.ndarray) -> np.ndarray:
    """The bit of a tema in a uint64 bit set."""
    return np.left_shift(np.uint64(1), np.asarray(tema, dtype=np.uint64))


def popcount64(mask: np.ndarray) -> np.ndarray:
    """Number of set bits of each value of a uint64 array (temas in each bit set)."""
    as_bytes = np.ascontiguousarray(mask, dtype=np.uint64).view(np.uint8).reshape(-1, 8)
    return np.unpackbits(as_bytes, axis=1).sum(axis=1)


def lowest(key: np.ndarray, n: int) -> np.ndarray:
    """Indices of the `n` lowest keys, lowest first, ties in index order: what
    ``np.argsort(key, kind="stable")[:n]`` gives, without sorting every key (a month's pilot
    schools among the country's 200,000 took a sort of them all)."""
    if n <= 0:
        return np.zeros(0, dtype=np.intp)
    if n >= key.size:
        return np.argsort(key, kind="stable")
    cut = np.partition(key, n - 1)[n - 1]
    if cut != cut:  # NaN among the n lowest: argsort's own order (NaN last)
        return np.argsort(key, kind="stable")[:n]
    below = np.flatnonzero(key < cut)
    at_cut = np.flatnonzero(key == cut)[: n - below.size]  # the lowest-numbered of the tied
    chosen = np.concatenate([below, at_cut])
    return chosen[np.argsort(key[chosen], kind="stable")]


def lowest_member(members: int) -> int:
    """The lowest tema of a non-empty uint64 bit set (in compiled loops, one instruction)."""
    members = int(members)
    return (members & -members).bit_length() - 1


@overload(lowest_member, inline="always")
def _lowest_member_compiled(members):
    def count_trailing_zeros(members):
        return trailing_zeros(members)

    return count_trailing_zeros


def member_count(members: int) -> int:
    """How many temas a uint64 bit set holds (in compiled loops, one instruction)."""
    return int(members).bit_count()


@intrinsic
def _population_count(typingctx, members):
    """LLVM's ctpop of a uint64: the processor's population count."""

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


@overload(member_count, inline="always")
def _member_count_compiled(members):
    def count_members(members):
        return np.int64(_population_count(np.uint64(members)))

    return count_members
