"""Docking (Axtell et al. 1996): the fast engine and the plain per-agent reference implement the
same rules, so over 30 seeds on the seminar system their distributions of the main outcomes
cannot be told apart.

Test and level: for each outcome of ``benchmarks.docking.OUTCOMES`` (genuine and surface
adoption of teachers and schools, mean mastery, mastery gain, bureaucratization index after six
years) a two-sample Kolmogorov–Smirnov and a Mann–Whitney U test; family-wise significance
level 0.05, Bonferroni-split over the 14 tests (0.0036 each). The seeds are fixed, so the verdict
is reproducible. That the test has power is checked too: an engine with a plausible bug planted
(tutoring pace ignoring the fidelity of the school's practice) must fail to dock.

Cost: about 30 s per scenario on two cores (the reference is the slow part); the hybrid and
mandated scenarios run by default, the other three under ``-m slow``.
"""

from __future__ import annotations

import pytest

from benchmarks.docking import (
    LEVEL,
    compare,
    fast_outcomes,
    outcomes,
    planted_bug,
    reference_outcomes,
)
from benchmarks.reference import ReferenceModel, run_reference
from runs.config import load_params
from runs.driver import replicate_seeds

SEEDS = replicate_seeds(2004, 30)
YEARS = 6  # long enough for every mandate to reach its 60 schools


def dock(scenario: str):
    params = load_params([f"scenario={scenario}", f"years={YEARS}"])
    reference = outcomes(reference_outcomes, params, SEEDS)
    return params, reference, compare(outcomes(fast_outcomes, params, SEEDS), reference)


@pytest.fixture(scope="module")
def hybrid():
    return dock("hybrid")


def test_level_is_bonferroni_over_both_tests_and_all_outcomes():
    assert pytest.approx(0.05 / 14) == LEVEL


def test_fast_engine_docks_with_reference_in_hybrid_scenario(hybrid):
    _, _, table = hybrid
    assert table["docks"].all(), table.to_string()


def test_docking_detects_a_planted_bug(hybrid):
    params, reference, _ = hybrid
    with planted_bug("fidelity ignored"):
        buggy = outcomes(fast_outcomes, params, SEEDS, workers=1)
    table = compare(buggy, reference)
    assert not table["docks"].all(), table.to_string()
    assert table.loc["mastery_gain", "p_ks"] < LEVEL


def test_fast_engine_docks_with_reference_in_mandated_scenario():
    *_, table = dock("mandated")
    assert table["docks"].all(), table.to_string()


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["voluntary", "test_and_punish", "reversal"])
def test_fast_engine_docks_with_reference_in_other_scenarios(scenario):
    *_, table = dock(scenario)
    assert table["docks"].all(), table.to_string()


def test_reference_is_reproducible_and_seed_dependent():
    params = load_params(["scenario=hybrid", "years=1"])
    assert run_reference(params, 7) == run_reference(params, 7)
    assert run_reference(params, 7) != run_reference(params, 8)


def test_reference_keeps_school_sizes_through_teacher_turnover():
    """Movers swap places: every school keeps its number of teachers, and each teacher is on
    exactly one school's list (a bookkeeping bug here would silently change exposure)."""
    params = load_params(["scenario=hybrid", "years=2", "behaviour.turnover.teacher_rate=0.9"])
    model = ReferenceModel(params, seed=3)
    for _ in range(params.steps):
        model.step()
    assert all(len(s.teachers) == s.n_teachers for s in model.school_list)
    on_lists = [t for s in model.school_list for t in s.teachers]
    assert len(on_lists) == len(set(on_lists)) == len(model.teacher_list)
    assert all(t in t.school.teachers for t in model.teacher_list)
