"""Teachers' motivation: what keeps a volunteer going and what wears it down (000).

There is no pay or career reward for joining. Adopters gain motivation from seeing their
students transformed (engagement). Everyone loses it to paperwork beyond the ordinary load and to
test pressure; adopters also lose it to tight control over what they now do differently and to
opposition from colleagues who have not joined. It drifts back toward the teacher's own level
(assumption: a resting level reached under ordinary conditions). An adopter whose motivation
falls below a threshold may lapse, unless a mandate still requires it on paper.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from sim.kinds import Origin, Stance
from sim.practice import adopters_per_school, genuine_teachers
from sim.rules.mandate import required_schools, required_teachers
from sim.threads import threads_for

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


TERMS = (
    "engaged students", "paperwork", "control", "opposition of colleagues", "test pressure",
    "recovery",
)  # fmt: skip


def terms(model: TutorialNetworkModel) -> dict[str, np.ndarray]:
    """Per teacher, each push on motivation this month, by name (the explainer shows them)."""
    pushes = np.empty((len(TERMS), model.teachers.school.size))
    with threads_for(model.teachers.school.size):
        _motivation_pass(*_inputs(model), pushes)
    # Paperwork and recovery are worked out in float32 (single-precision state): shown as such.
    return {
        name: row.astype(np.float32) if name in ("paperwork", "recovery") else row
        for name, row in zip(TERMS, pushes, strict=True)
    }


def update_motivation(model: TutorialNetworkModel) -> None:
    """Motivation moves by the sum of its terms, within [0, 1]."""
    with threads_for(model.teachers.school.size):
        _motivation_pass(*_inputs(model), np.empty((len(TERMS), 0)))


def _inputs(model: TutorialNetworkModel) -> tuple:
    """What the pushes read, per teacher, per school and per zone, and the rule's weights."""
    p = model.params.behaviour.motivation
    scenario = model.params.scenario
    t, s, sup = model.teachers, model.schools, model.supervisors
    enforcing = sup.stance == Stance.ENFORCE
    weights = (
        p.reward, np.float32(p.paperwork), np.float32(model.params.behaviour.base_admin_load),
        p.control, scenario.mandate.control, p.opposition, p.test_pressure,
        scenario.testing.pressure, np.float32(p.recovery),
    )  # fmt: skip
    return (
        t.school, t.adopted, t.admin_load, t.motivation, t.motivation0, required_schools(model),
        s.engagement, s.punished, s.sheltered, s.n_teachers, s.zone, adopters_per_school(model),
        enforcing, sup.leeway, *weights,
    )  # fmt: skip


@njit(cache=True, parallel=True)
def _motivation_pass(
    school, adopted, admin_load, motivation, motivation0, required,
    engagement, punished, sheltered, n_teachers, zone, adopters, enforcing, leeway,
    reward, paperwork, base_admin_load, control_weight, mandate_control, opposition_weight,
    pressure_weight, pressure, recovery, pushes,
):  # fmt: skip
    """Each teacher's six pushes, each in the precision its state has (float32 state stays
    float32; weights and shares are float64), in the order TERMS names them:
    - engaged students: an adopter is rewarded by its students' engagement above the default's;
    - paperwork beyond the ordinary load wears everyone down;
    - control: an adopter under an enforcing supervisor (less its leeway) or a mandate's
      control, unless its school is sheltered;
    - opposition: an adopter's colleagues at school who have not joined;
    - test pressure in a punished school;
    - recovery toward the teacher's own level.
    With room for them in `pushes` (6 × teachers) they are written there; otherwise motivation
    moves by their sum, within [0, 1] (one loop for both, so the explainer shows what moves)."""
    show = pushes.shape[1] > 0
    for i in prange(school.size):  # each teacher writes only its own motivation
        sc = school[i]
        joined = np.float64(adopted[i])
        engaged = reward * joined * np.float64(engagement[sc])
        paper = -(paperwork * (admin_load[i] - base_admin_load))
        z = zone[sc]
        enforced = np.float32(enforcing[z]) * (np.float32(1.0) - leeway[z])
        felt = max(np.float64(enforced), mandate_control * np.float64(required[sc]))
        controlled = -(control_weight * joined * (felt * np.float64(not sheltered[sc])))
        colleagues = n_teachers[sc] - 1
        opposed = 0.0
        if colleagues > 0:
            opposed = 1.0 - (adopters[sc] - joined) / colleagues
        opposed = -(opposition_weight * joined * opposed)
        tested = -(pressure_weight * (pressure * np.float64(punished[sc])))
        recovered = recovery * (motivation0[i] - motivation[i])
        if show:
            pushes[0, i], pushes[1, i], pushes[2, i] = engaged, paper, controlled
            pushes[3, i], pushes[4, i], pushes[5, i] = opposed, tested, recovered
            continue
        # Added in the order written, as the explainer's terms add up.
        delta = engaged + np.float64(paper) + controlled + opposed + tested
        delta += np.float64(recovered)
        moved = motivation[i] + np.float32(delta)
        motivation[i] = min(max(moved, np.float32(0.0)), np.float32(1.0))


def lapse_risk(model: TutorialNetworkModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adopters who may drop the practice: the demotivated, the required who only ever had its
    formula, and among both those a mandate in force still holds on paper."""
    p = model.params.behaviour.motivation
    t = model.teachers
    demotivated = t.adopted & (t.motivation < p.lapse_threshold)
    # Only the required ever had nothing but the formula: a volunteer below the threshold chose
    # the practice and is still learning it, so it lapses only when its motivation runs out.
    paper_only = t.adopted & ~genuine_teachers(model) & (t.origin == Origin.MANDATE)
    held = (demotivated | paper_only) & required_teachers(model)
    return demotivated, paper_only, held


def lapse(model: TutorialNetworkModel) -> None:
    """Adopters drop the practice when motivation is gone, or when they only ever had its
    formula and nobody requires it any more; a mandate in force keeps them on paper."""
    demotivated, paper_only, held = lapse_risk(model)
    at_risk = np.flatnonzero((demotivated | paper_only) & ~held)
    rate = model.params.behaviour.motivation.lapse_rate
    drop = at_risk[model.rng.random(at_risk.size) < rate]
    model.teachers.adopted[drop] = False
