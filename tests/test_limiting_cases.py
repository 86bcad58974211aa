"""Limiting cases: where the model must reduce to something known exactly.

1. Bass diffusion. With the bureaucratic and policy mechanisms off, a well-mixed network, no
   motivation gate, every supervisor modelling, no demonstration reach, no host teacher joining
   after a visiting student tutors it, no lapse, no decay of practice and no turnover, a
   non-adopter joins each month with probability 1 − exp(−(p + q·G/(n−1))), G the adopters
   (all in genuine practice). The expected share of adopters then follows the discrete-time
   Bass recursion
       A(t+1) = A(t) + (n − A(t)) · (1 − exp(−(p + q·A(t)/(n−1)))),
   and, up to the monthly time step, the closed-form Bass curve
       F(t) = (1 − e^(−(p+q)t)) / (1 + (q/p)·e^(−(p+q)t)).
2. No tutors: with no tutee slots for teachers or student tutors, no student ever learns by
   tutoring; scores move only with the whole-class lesson.
3. A mandate of pace zero is no mandate: the output is identical to the same scenario without it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from runs.config import load_params
from runs.driver import replicate_seeds, run_one
from sim.model import TutorialNetworkModel

OUTREACH, Q = 2.5, 0.1  # teachers a month in the one state; per month
P = 0.005  # Bass p for about 500 teachers: each replicate uses its own, OUTREACH / teachers
MONTHS = 72
REPLICATES = 20
# Tolerances. Against the recursion: the replicate mean may differ by sampling noise only, at
# most 4 standard errors in any month (about 36 months in play: a false alarm < 0.5%), plus
# 0.002 for the O(1/n) gap between the mean of the process and the mean-field recursion.
# Against the closed form: the monthly step delays imitation by one month and turns the hazard
# h into 1 − e^−h; both are first-order in (p + q) per step, so the recursion may stand
# (p + q) / 2 = 0.0525 from the curve, and the replicate mean that much plus the allowance for
# sampling above.
SE_BOUND, MEAN_FIELD_SLACK = 4.0, 0.002
CLOSED_FORM_TOLERANCE = (P + Q) / 2

BASS = (
    "scenario=voluntary",
    "system.network.kind=well_mixed",
    "scenario.movement.seed_schools=0",
    f"behaviour.diffusion.outreach={OUTREACH}",
    f"behaviour.diffusion.imitation={Q}",
    "behaviour.diffusion.demonstration_reach=0",
    "behaviour.diffusion.motivation_gate=false",
    "scenario.exchanges.recruit=0",  # visiting student tutors recruit outside Bass's two terms
    "behaviour.supervision.protect=0",
    "behaviour.supervision.models_practice=1",
    "behaviour.supervision.drift_rate=0",
    "behaviour.motivation.lapse_rate=0",
    "behaviour.practice.decay=0",
    # Bass's imitators imitate adopters: every adopter counts as one from the day it joins.
    "behaviour.practice.join_voluntary=0.6",
    "scenario.openings=scripted",  # no pilot opens: the population is closed
    "behaviour.turnover.teacher_rate=0",
    f"years={MONTHS / 12}",
)


def bass_recursion(n: int, months: int, p: float, q: float) -> np.ndarray:
    """Expected share of adopters, months 0..months, of the discrete-time process."""
    a = np.zeros(months + 1)
    for t in range(months):
        a[t + 1] = a[t] + (n - a[t]) * -math.expm1(-(p + q * a[t] / (n - 1)))
    return a / n


def bass_closed_form(months: int, p: float, q: float) -> np.ndarray:
    t = np.arange(months + 1)
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + (q / p) * e)


@pytest.fixture(scope="module")
def bass_runs() -> list[tuple[int, np.ndarray]]:
    """(teachers, share adopted by month) for each replicate of the Bass limiting case."""
    params = load_params(list(BASS))
    runs = []
    for seed in replicate_seeds(2004, REPLICATES):
        model = TutorialNetworkModel(params, seed=seed)
        model.run()
        n = model.teachers.school.size
        adopted = np.array([r["teachers_adopted_voluntary"] for r in model.table]) / n
        runs.append((n, adopted))
    return runs


def test_voluntary_adoption_follows_the_discrete_bass_recursion(bass_runs):
    gaps = np.array([share - bass_recursion(n, MONTHS, OUTREACH / n, Q) for n, share in bass_runs])
    mean, se = gaps.mean(axis=0), gaps.std(axis=0, ddof=1) / math.sqrt(len(gaps))
    worst = np.abs(mean) - (SE_BOUND * se + MEAN_FIELD_SLACK)
    assert worst.max() <= 0, f"month {worst.argmax()}: mean gap {mean[worst.argmax()]:.4f}"
    # The curve is really traversed: from nobody to nearly everybody, through the inflection.
    shares = np.array([s for _, s in bass_runs]).mean(axis=0)
    assert shares[0] == 0 and shares[-1] > 0.95 and 0.3 < shares[MONTHS // 3] < 0.9


def test_voluntary_adoption_is_close_to_the_closed_form_bass_curve(bass_runs):
    for n, _ in bass_runs:
        closed = bass_closed_form(MONTHS, OUTREACH / n, Q)
        assert np.abs(bass_recursion(n, MONTHS, OUTREACH / n, Q) - closed).max() <= (
            CLOSED_FORM_TOLERANCE
        )
    shares = np.array([s for _, s in bass_runs])
    mean, se = shares.mean(axis=0), shares.std(axis=0, ddof=1) / math.sqrt(len(shares))
    closed = np.mean([bass_closed_form(MONTHS, OUTREACH / n, Q) for n, _ in bass_runs], axis=0)
    gap = np.abs(mean - closed)
    worst = gap - (CLOSED_FORM_TOLERANCE + SE_BOUND * se + MEAN_FIELD_SLACK)
    assert worst.max() <= 0, f"month {worst.argmax()}: {gap[worst.argmax()]:.4f}"


def test_the_recursion_check_catches_a_wrong_imitation_rate(bass_runs):
    """The tolerance is tight enough to tell q from 0.8 q: the test above can fail."""
    gaps = np.array(
        [share - bass_recursion(n, MONTHS, OUTREACH / n, 0.8 * Q) for n, share in bass_runs]
    )
    mean, se = gaps.mean(axis=0), gaps.std(axis=0, ddof=1) / math.sqrt(len(gaps))
    assert (np.abs(mean) > SE_BOUND * se + MEAN_FIELD_SLACK).any()


# ---------------------------------------------------------------------------- no tutors
NO_TUTORS = (
    "behaviour.tutoring.tutees_per_teacher=0",
    "behaviour.tutoring.tutees_per_student_tutor=0",
)
MONTHS_IN_A_SCHOOL_YEAR = 11  # before the first cohort graduates and fresh students enter


def conventional_only(model: TutorialNetworkModel, score: np.ndarray, months: int) -> np.ndarray:
    """Scores after `months` whole-class lessons alone, as the default culture teaches: each
    month every student learns `conventional_rate` of what it has still to learn."""
    rate = np.float32(model.params.behaviour.tutoring.conventional_rate)
    out = score.copy()
    for _ in range(months):
        out *= 1 - rate
        out += rate
    return out


@pytest.mark.parametrize("scenario", ["hybrid", "historical"])
def test_with_no_tutors_no_tutorial_learning_happens(scenario):
    extra = ["system=seminar", "scenario.mandate.target=60"] if scenario == "historical" else []
    params = load_params([f"scenario={scenario}", *extra, *NO_TUTORS])
    model = TutorialNetworkModel(params, seed=7)
    before = model.students.score.copy()
    model.run(MONTHS_IN_A_SCHOOL_YEAR)
    st = model.students
    assert model.teachers.adopted.sum() > 0  # there are adopters, but nobody to tutor
    assert (st.temas == -1).all() and (st.progress == 0).all()
    assert (st.mastered == 0).all() and (st.tutors == -1).all()
    assert all(r["student_tutors_genuine"] + r["student_tutors_surface"] == 0 for r in model.table)
    assert all(r["demonstrations"] == 0 for r in model.table)
    expected = conventional_only(model, before, MONTHS_IN_A_SCHOOL_YEAR)
    np.testing.assert_allclose(st.score, expected, rtol=0, atol=1e-6)


def test_with_tutors_the_same_setting_does_learn_by_tutoring():
    """The counterpart, so the test above is not vacuous."""
    model = TutorialNetworkModel(load_params(["scenario=hybrid"]), seed=7)
    before = model.students.score.copy()
    model.run(MONTHS_IN_A_SCHOOL_YEAR)
    gained = model.students.score - conventional_only(model, before, MONTHS_IN_A_SCHOOL_YEAR)
    assert (model.students.mastered != 0).any()
    assert gained.max() > 0.05  # several temas demonstrated in the year


# ---------------------------------------------------------------------------- pace zero
PACE_ZERO_CASES = {
    "voluntary": (),
    "hybrid": (),
    "reversal": (),
    "mandated": ("scenario.mandate.coaching=nodes",),
    "historical": ("system=seminar", "scenario.mandate.target=60"),
}


def _run(scenario: str, extra: tuple[str, ...], mandate: list[str], seed: int):
    params = load_params([f"scenario={scenario}", "years=7", *extra, *mandate])
    return run_one(params, seed)


@pytest.mark.parametrize("scenario", sorted(PACE_ZERO_CASES))
def test_a_mandate_of_pace_zero_gives_output_identical_to_no_mandate(scenario):
    extra = PACE_ZERO_CASES[scenario]
    # Identity is exact, so one seed per scenario suffices; the five scenarios differ in
    # movement, coaching mode, shelter, events and reversal.
    seed = replicate_seeds(11, 1)[0]
    paced = _run(
        scenario, extra, ["scenario.mandate.enabled=true", "scenario.mandate.pace=0"], seed
    )
    none = _run(scenario, extra, ["scenario.mandate.enabled=false"], seed)
    pd.testing.assert_frame_equal(paced.steps, none.steps)
    pd.testing.assert_series_equal(pd.Series(paced.summary), pd.Series(none.summary))
    assert paced.events == none.events


def test_a_mandate_with_pace_does_change_the_output():
    """The counterpart: the comparison above would notice a mandate that acts."""
    paced = _run(
        "voluntary",
        (),
        ["scenario.mandate.enabled=true", "scenario.mandate.pace=20", "scenario.mandate.target=60"],
        3,
    )
    none = _run("voluntary", (), ["scenario.mandate.enabled=false"], 3)
    assert not paced.steps.equals(none.steps)
