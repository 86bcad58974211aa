"""Invariants that hold at every step of every scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import make_model

from sim.metrics import BUREAUCRATIZATION_PARTS
from sim.rules.lessons import StudentSums

SCENARIOS = ("voluntary", "mandated", "hybrid", "test_and_punish", "reversal")
SHARES = (
    "fidelity_mean",
    "mastery_mean",
    "share_good_excellent",
    "share_excellent",
    "motivation_mean",
    "share_genuine_of_adopted",
    "bureaucratization_index",
    *BUREAUCRATIZATION_PARTS,
)


@pytest.fixture(scope="module", params=SCENARIOS)
def run(request):
    model = make_model(f"scenario={request.param}", "years=8", seed=11)
    sizes = {
        "schools": model.schools.zone.size,
        "teachers_per_school": np.bincount(model.teachers.school).copy(),
        "students": model.students.school.size,
    }
    checks = []

    def check() -> None:
        t, st = model.teachers, model.students
        checks.append(
            {
                "teachers_conserved": (
                    np.bincount(t.school, minlength=sizes["schools"])
                    == sizes["teachers_per_school"]
                ).all(),
                "students_conserved": st.school.size == sizes["students"],
                "states_in_unit": all(
                    ((a >= 0) & (a <= 1)).all()
                    for a in (
                        t.practice,
                        t.motivation,
                        t.admin_load,
                        st.score,
                        st.engagement,
                        st.progress,
                    )
                ),
                "tutors_mastered": (
                    (st.mastered[st.tutors >= 0] >> st.tutors[st.tutors >= 0].astype(np.uint64))
                    & np.uint64(1)
                ).all(),
                "held_in_fund": (st.temas < model.fund.size).all(),
                "held_not_mastered": all(
                    (
                        (st.mastered[h_on] >> st.temas[h, h_on].astype(np.uint64)) & np.uint64(1)
                        == 0
                    ).all()
                    for h in range(st.temas.shape[0])
                    for h_on in [st.temas[h] >= 0]
                ),
                # The month's sums kept on the model are the students as they stand (a rule
                # that changed students outside the month's pass without taking them again
                # would leave them stale).
                "sums_kept_are_current": all(
                    np.array_equal(getattr(model.student_sums, f), getattr(fresh, f))
                    for fresh in [StudentSums.of(model)]
                    for f in fresh.__dataclass_fields__
                ),
                "origin_when_adopted": (t.origin[t.adopted] != 0).all(),
                "ever_when_adopted": t.ever_adopted[t.adopted].all(),
            }
        )

    check()
    for _ in range(model.params.steps):
        model.step()
        check()
    return model, pd.DataFrame(model.table), pd.DataFrame(checks), sizes


def test_populations_are_conserved_and_states_stay_in_range(run):
    _, _, checks, _ = run
    failing = checks.columns[~checks.all()].tolist()
    assert not failing, f"broken at some step: {failing}"


def test_school_states_partition_the_schools(run):
    _, table, _, sizes = run
    total = table[["schools_not_started", "schools_genuine", "schools_surface", "schools_lapsed"]]
    assert (total.sum(axis=1) == sizes["schools"]).all()
    assert (table.schools_adopted == table.schools_genuine + table.schools_surface).all()


def test_teacher_counts_add_up(run):
    model, table, _, _ = run
    adopted = table.teachers_adopted_voluntary + table.teachers_adopted_mandate
    assert (adopted == table.teachers_genuine + table.teachers_surface).all()
    assert (adopted + table.teachers_lapsed <= model.teachers.school.size).all()


def test_shares_are_in_the_unit_interval(run):
    _, table, _, _ = run
    for col in SHARES:
        assert table[col].between(0, 1).all(), col


def test_calendar_runs_monthly_from_the_start_year(run):
    model, table, _, _ = run
    assert len(table) == model.params.steps + 1
    np.testing.assert_allclose(np.diff(table.year), 1 / 12)
    assert table.year.iloc[0] == model.params.scenario.start_year
