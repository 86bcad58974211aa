"""The outcome catalogue: every outcome a run reports, with its label, unit, range and when it is
taken (the final month, the end of the last school year, the mean over the run, the peak, after
a reversal). The run driver's
table, the sweep reports and the seminar app all read their names and labels from here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Timing(StrEnum):
    """When in a run an outcome is taken."""

    FINAL = "final value"
    YEAR_END = "at the end of the last school year"
    MEAN = "mean over the run"
    PEAK = "peak over the run"
    AFTER_REVERSAL = "at the end, of those practising at the reversal"


@dataclass(frozen=True)
class Outcome:
    name: str  # column of summary.parquet
    label: str  # what a reader calls it
    unit: str  # schools, teachers, students, temas, share, score, index, year
    lo: float  # the range it can take (hi None: no upper bound)
    hi: float | None
    timing: Timing

    @property
    def is_share(self) -> bool:
        return self.lo == 0.0 and self.hi == 1.0


def _final(metric: str, label: str, unit: str, hi: float | None = None) -> Outcome:
    return Outcome(f"final_{metric}", label, unit, 0.0, hi, Timing.FINAL)


SHARE = 1.0
OUTCOMES: tuple[Outcome, ...] = (
    _final("schools_adopted", "schools adopted", "schools"),
    _final("schools_genuine", "genuine schools", "schools"),
    _final("schools_surface", "surface schools", "schools"),
    _final("schools_lapsed", "lapsed schools", "schools"),
    _final("schools_mandated", "mandated schools", "schools"),
    _final("teachers_genuine", "genuine teachers", "teachers"),
    _final("teachers_surface", "surface teachers", "teachers"),
    _final("student_tutors_genuine", "student tutors (genuine schools)", "students"),
    _final("share_genuine_of_adopted", "genuine share of adopters", "share", SHARE),
    _final("fidelity_mean", "practice of adopters", "score", SHARE),
    _final("mastery_mean", "mean score (last month)", "score", SHARE),
    _final("share_good_excellent", "good/excellent (last month)", "share", SHARE),
    _final("motivation_mean", "motivation", "score", SHARE),
    _final("bureaucratization_index", "bureaucratization", "index", SHARE),
    # Learning, the month before a new cohort enters (sim.metrics.YEAR_END says why).
    _final("fund_temas", "temas in the shared fund", "temas"),
    _final("graduates_continuing", "graduates to upper secondary", "share", SHARE),
    _final(
        "graduates_continuing_adopting", "graduates going on (adopting schools)", "share", SHARE
    ),
    _final("graduates_continuing_other", "graduates going on (other schools)", "share", SHARE),
    Outcome("year_end_mastery_mean", "mean score", "score", 0.0, SHARE, Timing.YEAR_END),
    Outcome(
        "year_end_temas_mastered_mean",
        "temas mastered per student",
        "temas",
        0.0,
        None,
        Timing.YEAR_END,
    ),
    Outcome(
        "year_end_student_engagement_mean",
        "student engagement",
        "score",
        0.0,
        SHARE,
        Timing.YEAR_END,
    ),
    Outcome(
        "year_end_share_voluntary_time",
        "students giving own time",
        "share",
        0.0,
        SHARE,
        Timing.YEAR_END,
    ),
    Outcome(
        "year_end_share_good_excellent", "good/excellent", "share", 0.0, SHARE, Timing.YEAR_END
    ),
    Outcome("year_end_share_excellent", "excellent", "share", 0.0, SHARE, Timing.YEAR_END),
    Outcome("peak_schools_adopted", "peak schools adopted", "schools", 0.0, None, Timing.PEAK),
    Outcome("mean_bureaucratization_index", "bureaucratization", "index", 0.0, SHARE, Timing.MEAN),
    Outcome("survival_all", "survival after reversal", "share", 0.0, SHARE, Timing.AFTER_REVERSAL),
    Outcome(
        "survival_voluntary", "survival of volunteers", "share", 0.0, SHARE, Timing.AFTER_REVERSAL
    ),
    Outcome(
        "survival_mandate", "survival of the mandated", "share", 0.0, SHARE, Timing.AFTER_REVERSAL
    ),
)
BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}

# The main job's comparison table.
TABLE = (
    "final_schools_adopted",
    "final_schools_genuine",
    "final_schools_surface",
    "final_share_genuine_of_adopted",
    "final_motivation_mean",
    "year_end_mastery_mean",
    "year_end_share_good_excellent",
    "year_end_share_voluntary_time",
    "final_graduates_continuing",
    "mean_bureaucratization_index",
)


def label(name: str) -> str:
    """An outcome's label, or the column name for a column the catalogue does not know."""
    outcome = BY_NAME.get(name)
    return outcome.label if outcome else name.replace("_", " ")
