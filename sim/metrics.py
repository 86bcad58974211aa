"""What users of the model see: adoption split into genuine practice and surface compliance,
fidelity, learning, motivation, bureaucratization and coach load (brief, last section)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.kinds import Origin, SchoolState, Stance
from sim.practice import adopters_per_school, genuine_schools, is_genuine
from sim.rules.mandate import cascade_depth, cascade_quality, mandate_reaches_schools

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel

BUREAUCRATIZATION_PARTS = (
    "bureau_paperwork",
    "bureau_cascade",
    "bureau_coach_overload",
    "bureau_unsheltered",
)


def school_states(model: TutorialNetworkModel) -> np.ndarray:
    """The SchoolState of every school."""
    s = model.schools
    adopters = adopters_per_school(model)
    return np.select(
        [genuine_schools(model), adopters > 0, s.ever_adopted],
        [SchoolState.GENUINE, SchoolState.SURFACE, SchoolState.LAPSED],
        SchoolState.NOT_STARTED,
    ).astype(np.int8)


def bureaucratization(model: TutorialNetworkModel, states: np.ndarray) -> dict[str, float]:
    """Four parts in [0, 1] and their mean, the bureaucratization index.

    paperwork: share of supervisors (of zones with adopters) who check formats;
    cascade: share of the practice lost along the training cascade;
    coach_overload: share of needed coaching visits that no coach can make;
    unsheltered: share of adopting schools under ordinary rules (mandated or an enforcing
    supervisor) without pilot shelter.
    """
    s, sup = model.schools, model.supervisors
    adopting = (states == SchoolState.GENUINE) | (states == SchoolState.SURFACE)
    zones_active = np.bincount(s.zone, weights=adopting, minlength=model.n_zones) > 0
    zones = zones_active if zones_active.any() else np.ones(model.n_zones, dtype=bool)
    paperwork = float((sup.stance[zones] == Stance.ENFORCE).mean())
    cascade = 0.0
    if mandate_reaches_schools(model):
        cascade = 1.0 - cascade_quality(model)
    load = model.coaching.load
    overload = 0.0 if load <= 1.0 else 1.0 - 1.0 / load
    ruled = (s.mandated | (sup.stance[s.zone] == Stance.ENFORCE)) & ~s.sheltered
    unsheltered = float(ruled[adopting].mean()) if adopting.any() else 0.0
    parts = dict(
        zip(BUREAUCRATIZATION_PARTS, (paperwork, cascade, overload, unsheltered), strict=True)
    )
    parts["bureaucratization_index"] = float(np.mean(list(parts.values())))
    return parts


def step_metrics(model: TutorialNetworkModel) -> dict[str, float]:
    """One row of the per-step table."""
    t, s = model.teachers, model.schools
    states = school_states(model)
    genuine, surface, lapsed, voluntary, required = teacher_counts(model)
    adopting_school = (states == SchoolState.GENUINE) | (states == SchoolState.SURFACE)
    sums = model.student_sums  # taken in the month's pass over students (sim.rules.lessons)
    tutors = sums.tutors
    g = model.graduation
    row: dict[str, float] = {
        "step": model.steps,
        "year": model.calendar_year(),
        "schools_not_started": int((states == SchoolState.NOT_STARTED).sum()),
        "schools_genuine": int((states == SchoolState.GENUINE).sum()),
        "schools_surface": int((states == SchoolState.SURFACE).sum()),
        "schools_lapsed": int((states == SchoolState.LAPSED).sum()),
        "schools_adopted": int(adopting_school.sum()),
        "schools_mandated": int(s.mandated.sum()),
        "schools_sheltered": int(s.sheltered.sum()),
        "teachers_genuine": genuine,
        "teachers_surface": surface,
        "teachers_lapsed": lapsed,
        "teachers_adopted_voluntary": voluntary,
        "teachers_adopted_mandate": required,
        "student_tutors_genuine": int(tutors[states == SchoolState.GENUINE].sum()),
        "student_tutors_surface": int(tutors[states == SchoolState.SURFACE].sum()),
        "fidelity_mean": float(t.practice[t.adopted].mean()) if t.adopted.any() else 0.0,
        "mastery_mean": sums.mean("score"),
        "mastery_adopting_schools": sums.mean("score", adopting_school),
        "mastery_other_schools": sums.mean("score", ~adopting_school),
        "share_good_excellent": sums.mean("good"),
        "share_excellent": sums.mean("excellent"),
        "fund_temas": model.fund.size,
        "demonstrations": int(s.demonstrations.sum()),
        "temas_mastered_mean": sums.mean("mastered"),
        "student_engagement_mean": sums.mean("engagement"),
        "student_engagement_adopting": sums.mean("engagement", adopting_school),
        "share_voluntary_time": sums.mean("voluntary"),
        "share_voluntary_time_adopting": sums.mean("voluntary", adopting_school),
        "graduates_continuing": g.continuing,
        "graduates_continuing_adopting": g.continuing_adopting,
        "graduates_continuing_other": g.continuing_other,
        "exchange_goers": model.exchanges.goers,
        "adults_tutored_by_students": model.exchanges.adults_tutored,
        "motivation_mean": float(t.motivation.mean()),
        "motivation_adopters": _mean_or_nan(t.motivation[t.adopted]),
        "coach_load": float(min(model.coaching.load, 1e9)),
        "cascade_depth": cascade_depth(model) if s.mandated.any() else 0,
    }
    row["share_genuine_of_adopted"] = (
        row["teachers_genuine"] / (row["teachers_genuine"] + row["teachers_surface"])
        if row["teachers_genuine"] + row["teachers_surface"]
        else 0.0
    )
    row.update(bureaucratization(model, states))
    return row


def teacher_counts(model: TutorialNetworkModel) -> tuple[int, int, int, int, int]:
    """Teachers in genuine practice, on the surface (adopted, not genuine), lapsed (adopted once,
    not now), and adopted as volunteers and because required: one pass over the teachers, where
    the array expressions made a dozen."""
    t = model.teachers
    # As numpy compares float32 practice with the threshold (NumPy 2: in float32).
    threshold = np.float32(model.params.behaviour.practice.genuine_threshold)
    counts = _teacher_counts(
        t.adopted, t.practice, threshold, t.ever_adopted, t.origin,
        np.int8(Origin.VOLUNTARY), np.int8(Origin.MANDATE),
    )  # fmt: skip
    return tuple(int(c) for c in counts)


@njit(cache=True)
def _teacher_counts(adopted, practice, threshold, ever_adopted, origin, voluntary, required):
    genuine = surface = lapsed = volunteers = mandated = 0
    for i in range(adopted.size):
        if adopted[i]:
            if is_genuine(adopted[i], practice[i], threshold):
                genuine += 1
            else:
                surface += 1
            volunteers += origin[i] == voluntary
            mandated += origin[i] == required
        elif ever_adopted[i]:
            lapsed += 1
    return genuine, surface, lapsed, volunteers, mandated


def _mean_or_nan(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


# Learning outcomes change with the cohort: they are also taken at the end of the last complete
# school year, the month before a new cohort enters, so runs of any length compare alike.
YEAR_END = (
    "mastery_mean",
    "share_good_excellent",
    "share_excellent",
    "temas_mastered_mean",
    "student_engagement_mean",
    "share_voluntary_time",
)


def run_summary(model: TutorialNetworkModel, table: list[dict[str, float]]) -> dict[str, float]:
    """One row per run: its size, final state, learning at the end of the school year, peaks, and
    survival after a reversal."""
    last = table[-1]
    summary: dict[str, float] = {
        "n_schools": int(model.schools.n_students.size),
        "n_teachers": int(model.teachers.motivation.size),
        "n_students": int(model.students.grade.size),
    }
    summary.update({f"final_{k}": v for k, v in last.items() if k not in ("step", "year")})
    year_end = school_year_end(table, model.params.behaviour.steps_per_year)
    summary["year_end_step"] = year_end["step"]
    summary.update({f"year_end_{k}": year_end[k] for k in YEAR_END})
    summary["peak_schools_adopted"] = max(r["schools_adopted"] for r in table)
    summary["mean_bureaucratization_index"] = float(
        np.mean([r["bureaucratization_index"] for r in table])
    )
    summary.update(survival_after_reversal(model))
    return summary


def school_year_end(table: list[dict[str, float]], steps_per_year: int) -> dict[str, float]:
    """The row of the last month before a cohort turns over (the last row in a run shorter than
    a school year)."""
    ends = [r for r in table if (r["step"] + 1) % steps_per_year == 0]
    return ends[-1] if ends else table[-1]


def survival_after_reversal(model: TutorialNetworkModel) -> dict[str, float]:
    """Of the teachers practising when support was withdrawn, the share still practising now."""
    out = {
        "reversal_year": float("nan"),
        "survival_voluntary": float("nan"),
        "survival_mandate": float("nan"),
        "survival_all": float("nan"),
    }
    w = model.withdrawal
    if w.adopted_then is None:
        return out
    adopted_then, origin_then = w.adopted_then, w.origin_then
    still = model.teachers.adopted
    out["reversal_year"] = model.calendar_year(w.step)
    for name, cohort in (
        ("voluntary", adopted_then & (origin_then == Origin.VOLUNTARY)),
        ("mandate", adopted_then & (origin_then == Origin.MANDATE)),
        ("all", adopted_then),
    ):
        n = int(cohort.sum())
        out[f"survival_{name}"] = float((still & cohort).sum() / n) if n else float("nan")
    return out
