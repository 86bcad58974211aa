"""Building the nested school system and its professional network from the `system` config."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit

from sim.kinds import Origin, Stance
from sim.params import BehaviourParams, SystemParams
from sim.population import TASTES, Hierarchy, Schools, Students, Supervisors, Teachers


@dataclass
class SchoolSystem:
    hierarchy: Hierarchy
    schools: Schools
    teachers: Teachers
    students: Students
    supervisors: Supervisors
    ties: sp.csr_matrix  # teacher x teacher personal ties (zone colleagues, long ties), symmetric


def _uniform_int(rng: np.random.Generator, lo_hi: list[int], n: int) -> np.ndarray:
    return rng.integers(lo_hi[0], lo_hi[1] + 1, size=n).astype(np.int32)


def build_hierarchy(p: SystemParams) -> Hierarchy:
    sectors = p.states * p.sectors_per_state
    regions = sectors * p.regions_per_sector
    return Hierarchy(
        zone_region=(np.arange(p.n_zones) // p.zones_per_region).astype(np.int32),
        region_sector=(np.arange(regions) // p.regions_per_sector).astype(np.int32),
        sector_state=(np.arange(sectors) // p.sectors_per_state).astype(np.int32),
    )


def build_schools(p: SystemParams, n_zones: int, rng: np.random.Generator) -> Schools:
    per_zone = _uniform_int(rng, p.schools_per_zone, n_zones)
    zone = np.repeat(np.arange(n_zones, dtype=np.int32), per_zone)
    n = zone.size
    shares = np.array([t.share for t in p.school_types])
    kind = rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int8)
    rural = rng.random(n) < np.array([t.rurality for t in p.school_types])[kind]
    mean = np.array([t.achievement for t in p.school_types])[kind]
    achievement = mean + p.achievement_sd * rng.standard_normal(n) - p.rural_penalty * rural
    n_teachers = np.empty(n, dtype=np.int32)
    n_students = np.empty(n, dtype=np.int32)
    for k, t in enumerate(p.school_types):
        at = np.flatnonzero(kind == k)
        n_teachers[at] = _uniform_int(rng, t.teachers, at.size)
        n_students[at] = n_teachers[at] * _uniform_int(rng, t.students_per_teacher, at.size)
    student_start = np.zeros(n, dtype=np.int64)
    np.cumsum(n_students[:-1], out=student_start[1:])
    return Schools(
        zone=zone,
        kind=kind,
        rural=rural,
        achievement=np.clip(achievement, 0.0, 1.0).astype(np.float32),
        student_start=student_start,
        n_students=n_students,
        n_teachers=n_teachers,
        mandated=np.zeros(n, dtype=bool),
        sheltered=np.zeros(n, dtype=bool),
        punished=np.zeros(n, dtype=bool),
        engagement=np.zeros(n, dtype=np.float32),
        demonstrations=np.zeros(n, dtype=np.int32),
        ever_adopted=np.zeros(n, dtype=bool),
    )


def random_catalogues(rng: np.random.Generator, n: int, fund: int, lo_hi: list[int]) -> np.ndarray:
    """A catalogue of between lo and hi distinct temas of the first `fund` for each of n tutors,
    as uint64 bit sets: each tutor's temas are those of its `count` lowest random draws."""
    count = _uniform_int(rng, lo_hi, n)
    return _lowest_drawn(rng.random((n, fund)), count)


@njit(cache=True)
def _lowest_drawn(draws, count):
    """Per row, the set of the columns holding its `count` lowest draws, ties to the lower
    column: what ranking each row by a stable sort gives, without sorting (a sort of every
    row of the national system's 1.2 million teachers took half a second)."""
    n, fund = draws.shape
    sets = np.zeros(n, dtype=np.uint64)
    for r in range(n):
        for j in range(fund):
            rank = 0  # how many columns a stable sort puts before column j
            for k in range(fund):
                rank += (draws[r, k] < draws[r, j]) | ((draws[r, k] == draws[r, j]) & (k < j))
            if rank < count[r]:
                sets[r] |= np.uint64(1) << np.uint64(j)
    return sets


def build_teachers(schools: Schools, m: BehaviourParams, rng: np.random.Generator) -> Teachers:
    school = np.repeat(np.arange(schools.count, dtype=np.int32), schools.n_teachers)
    n = school.size
    mot = m.motivation
    motivation0 = np.clip(mot.initial_mean + mot.initial_sd * rng.standard_normal(n), 0, 1)
    return Teachers(
        school=school,
        temas=random_catalogues(rng, n, m.catalogue.initial_fund, m.catalogue.teacher_temas),
        practice=np.zeros(n, dtype=np.float32),
        motivation=motivation0.astype(np.float32),
        motivation0=motivation0.astype(np.float32),
        adopted=np.zeros(n, dtype=bool),
        origin=np.full(n, Origin.NONE, dtype=np.int8),
        ever_adopted=np.zeros(n, dtype=bool),
        admin_load=np.full(n, m.base_admin_load, dtype=np.float32),
    )


def build_students(schools: Schools, m: BehaviourParams, rng: np.random.Generator) -> Students:
    school = np.repeat(np.arange(schools.count, dtype=np.int32), schools.n_students)
    n, held = school.size, m.catalogue.held
    return Students(
        school=school,
        grade=rng.integers(0, m.turnover.cohort_years, size=n, dtype=np.int8),
        taste=rng.integers(0, TASTES, size=n, dtype=np.uint16),
        temas=np.full((held, n), -1, dtype=np.int8),
        progress=np.zeros((held, n), dtype=np.float32),
        mastered=np.zeros(n, dtype=np.uint64),
        tutors=np.full(n, -1, dtype=np.int8),
        score=initial_scores(schools.achievement[school], m, rng),
        engagement=np.full(n, m.students.engagement_rest, dtype=np.float32),
    )


def initial_scores(
    achievement: np.ndarray, m: BehaviourParams, rng: np.random.Generator
) -> np.ndarray:
    """Students' scores on entering: their school's achievement and a spread around it."""
    score = rng.standard_normal(achievement.size, dtype=np.float32)
    score *= np.float32(m.assessment.initial_spread)
    score += achievement
    return np.clip(score, 0.0, 1.0, out=score)


def build_supervisors(n_zones: int, m: BehaviourParams, rng: np.random.Generator) -> Supervisors:
    s = m.supervision
    stance = rng.choice(
        3, size=n_zones, p=[s.protect, s.models_practice, 1.0 - s.protect - s.models_practice]
    )
    stance = np.select(
        [stance == 0, stance == 1], [Stance.PROTECT, Stance.MODEL_PRACTICE], Stance.ENFORCE
    ).astype(np.int8)
    return Supervisors(
        zone=np.arange(n_zones, dtype=np.int32),
        stance=stance,
        leeway=np.full(n_zones, s.leeway, dtype=np.float32),
        capacity=np.full(n_zones, s.capacity, dtype=np.int32),
        load=np.zeros(n_zones, dtype=np.float32),
    )


def build_ties(
    teacher_zone: np.ndarray, p: SystemParams, rng: np.random.Generator
) -> sp.csr_matrix:
    """Personal ties: `zone_ties` to colleagues in the same zone, `long_ties` to anyone.

    Colleagues in the same school are not stored: they are whoever shares the teacher's current
    school, computed each step, so the tie follows turnover.
    """
    n = teacher_zone.size
    order_start = np.searchsorted(teacher_zone, np.arange(teacher_zone.max() + 2))
    src, dst = [], []
    if p.network.zone_ties:
        me = np.repeat(np.arange(n), p.network.zone_ties)
        z = teacher_zone[me]
        lo, size = order_start[z], order_start[z + 1] - order_start[z]
        src.append(me)
        dst.append(lo + (rng.random(me.size) * size).astype(np.int64))
    if p.network.long_ties:
        me = np.repeat(np.arange(n), p.network.long_ties)
        src.append(me)
        dst.append(rng.integers(0, n, size=me.size))
    if not src:
        return sp.csr_matrix((n, n), dtype=np.float32)
    s, d = np.concatenate(src), np.concatenate(dst)
    keep = s != d
    # Each drawn tie goes both ways; a pair drawn twice, or both ways, is still one tie.
    indptr, indices = _symmetric_rows(s[keep], d[keep], n)
    data = np.ones(indices.size, dtype=np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(n, n))


@njit(cache=True)
def _symmetric_rows(a, b, n):
    """The rows of the symmetric 0/1 matrix with an entry at (a, b) and (b, a) for each pair,
    in canonical CSR form (each row's columns sorted, no repeats)."""
    count = np.zeros(n + 1, np.int64)
    for k in range(a.size):
        count[a[k] + 1] += 1
        count[b[k] + 1] += 1
    for i in range(n):
        count[i + 1] += count[i]
    cols = np.empty(count[n], np.int64)
    at = count[:-1].copy()
    for k in range(a.size):
        cols[at[a[k]]] = b[k]
        at[a[k]] += 1
        cols[at[b[k]]] = a[k]
        at[b[k]] += 1
    indptr = np.zeros(n + 1, np.int32)
    kept = 0
    for i in range(n):
        first, end = count[i], count[i + 1]
        for j in range(first + 1, end):  # insertion sort: a row holds a handful of ties
            c, k = cols[j], j
            while k > first and cols[k - 1] > c:
                cols[k] = cols[k - 1]
                k -= 1
            cols[k] = c
        for j in range(first, end):
            if j == first or cols[j] != cols[j - 1]:
                cols[kept] = cols[j]
                kept += 1
        indptr[i + 1] = kept
    return indptr, cols[:kept].astype(np.int32)


def build_system(p: SystemParams, m: BehaviourParams, rng: np.random.Generator) -> SchoolSystem:
    hierarchy = build_hierarchy(p)
    n_zones = hierarchy.zone_region.size
    schools = build_schools(p, n_zones, rng)
    teachers = build_teachers(schools, m, rng)
    students = build_students(schools, m, rng)
    supervisors = build_supervisors(n_zones, m, rng)
    ties = build_ties(schools.zone[teachers.school], p, rng)
    return SchoolSystem(hierarchy, schools, teachers, students, supervisors, ties)
