"""Docking (Axtell et al. 1996): the fast engine and the plain per-agent reference implement the
same rules, so over fixed seeds their distributions of the main outcomes cannot be told apart at
any of four checkpoint months spread over the run.

Test and level: for each outcome of ``benchmarks.docking.OUTCOMES`` (genuine and surface
adoption of teachers and schools, mean score, its gain, bureaucratization index, share at ENLACE
good or better, temas mastered per student, students' engagement, share giving their own time,
temas in the fund) and each checkpoint month (a quarter, half, three quarters and all of the run)
a two-sample Kolmogorov–Smirnov and a Mann–Whitney U test; family-wise significance level 0.05
per docking (one arm), Bonferroni-split over its 96 tests (5.2e-4 each). The seeds are fixed,
so the verdict is reproducible. Arms with a reversal run three years past it.

Power: three realistic bugs planted in the fast engine must each fail to dock against a cached
reference sample: a rule dropped (students' engagement never settling back to rest), a sign
flipped (tight control raising motivation), an order swapped (the demonstration day before the
month's inquiry). Two bugs planted earlier no longer change the outcomes by more than the seeds
resolve, and `python -m benchmarks.docking --power` still measures them: the lapse of surface
adopters nobody requires (most of them lapse anyway, demotivated) and the cohort changing before
the month's lessons (docs/scale.md).

Cost: the reference's trajectories of every arm are kept in ``benchmarks/docking_reference/``
under a hash of everything they depend on (the reference's code, the parameters' code and
values, the seeds, the Python, Mesa and numpy versions); a sample whose key no longer matches is
not used and the reference runs again. So the suite runs only the fast engine on every arm, and
a test checks, seed by seed, that a kept sample is what the reference computes now. The arms
beyond hybrid and ``mandate_reversed`` and two of the bugs are marked ``slow``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.docking import (
    AFTER_REVERSAL,
    ARMS,
    LEVEL,
    ROOT_SEED,
    checkpoints,
    compare,
    fast_trajectory,
    planted_bug,
    reference_sample,
    reference_trajectory,
    sample_path,
    smallest_p,
    trajectories,
)
from benchmarks.reference import ReferenceModel, run_reference
from runs.config import load_params
from runs.driver import replicate_seeds

_REFERENCE: dict[str, tuple] = {}


@pytest.fixture(scope="module")
def reference():
    """The reference's trajectories per arm, run once per module."""

    def get(name: str):
        if name not in _REFERENCE:
            arm = ARMS[name]
            params = arm.params()
            seeds = replicate_seeds(ROOT_SEED, arm.seeds)
            _REFERENCE[name] = params, seeds, reference_sample(name, params, seeds)
        return _REFERENCE[name]

    yield get
    _REFERENCE.clear()


def dock(reference, name: str, bug: str | None = None):
    params, seeds, ref = reference(name)
    if bug is None:
        fast = trajectories(fast_trajectory, params, seeds)
    else:
        with planted_bug(bug):
            fast = trajectories(fast_trajectory, params, seeds, workers=1)
    return compare(fast, ref)


def test_level_is_bonferroni_over_tests_outcomes_and_months():
    assert pytest.approx(0.05 / (2 * 12 * 4)) == LEVEL


def test_checkpoints_reach_three_years_past_every_reversal():
    for arm in ARMS.values():
        params = arm.params()
        months = checkpoints(params)
        assert len(set(months)) == 4 and months[-1] == params.steps
        if params.scenario.reversal_year is not None:
            assert params.years >= params.scenario.reversal_year + AFTER_REVERSAL
            reversal = params.scenario.reversal_year * params.behaviour.steps_per_year
            assert sum(m > reversal for m in months) >= 2, arm.name


def test_every_scenario_and_experiment_arm_is_docked():
    overrides = {o for arm in ARMS.values() for o in arm.overrides}
    for scenario in ("hybrid", "voluntary", "mandated", "test_and_punish", "reversal"):
        assert f"scenario={scenario}" in overrides
    assert "scenario.movement.enabled=true" in overrides
    assert any("system=state" in arm.overrides for arm in ARMS.values())


@pytest.mark.parametrize("name", ["hybrid", "mandate_reversed"])
def test_fast_engine_docks_with_reference(reference, name):
    table = dock(reference, name)
    assert table["docks"].all(), table.to_string()


def test_docking_detects_a_dropped_rule(reference):
    """Students' engagement never relaxing toward rest: a rule left out of the month."""
    table = dock(reference, "mandate_reversed", bug="relaxation dropped")
    assert smallest_p(table) < LEVEL, table.to_string()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("bug", "arm"),
    [("control sign flipped", "mandate_reversed"), ("demonstrations before inquiry", "hybrid")],
)
def test_docking_detects_a_planted_bug(reference, bug, arm):
    table = dock(reference, arm, bug=bug)
    assert smallest_p(table) < LEVEL, table.to_string()


@pytest.mark.slow
@pytest.mark.parametrize("name", [a for a in ARMS if a not in ("hybrid", "mandate_reversed")])
def test_fast_engine_docks_with_reference_in_other_arms(reference, name):
    table = dock(reference, name)
    assert table["docks"].all(), table.to_string()


def test_every_arm_has_a_reference_sample_of_the_current_code_and_parameters():
    """A missing sample is not an error of the engine (the reference would run), but it makes
    the suite slow: refresh with `python -m benchmarks.docking --write-samples`."""
    stale = [
        name
        for name, arm in ARMS.items()
        if not sample_path(name, arm.params(), replicate_seeds(ROOT_SEED, arm.seeds)).exists()
    ]
    assert not stale, f"run `python -m benchmarks.docking --write-samples {' '.join(stale)}`"


@pytest.mark.parametrize(("name", "picked"), [("mandate_reversed", (0, 17)), ("hybrid", (5,))])
def test_a_reference_sample_is_what_the_reference_computes(reference, name, picked):
    """The kept sample, seed for seed, equals the reference run now (so the docking above
    compares against the reference itself, not a stale copy)."""
    params, seeds, sample = reference(name)
    chosen = [seeds[i] for i in picked]
    now = trajectories(reference_trajectory, params, chosen, workers=1)
    kept = sample[sample.index.get_level_values("seed").isin(chosen)]
    pd.testing.assert_frame_equal(now, kept, check_exact=True)


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
