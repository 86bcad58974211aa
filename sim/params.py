"""Typed, range-checked parameters built from the Hydra configuration.

Every behavioural constant of the model lives in ``configs/`` and reaches the engine through
these dataclasses. ``build_params`` rejects unknown keys and out-of-range values with a
``ConfigError`` whose one-line message names the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, get_args, get_origin, get_type_hints

from sim.kinds import EventKind


class ConfigError(ValueError):
    """A configuration value the model cannot run with; the message is one line."""


def spec(lo: float | None = None, hi: float | None = None, doc: str = "") -> Any:
    """A required field with an allowed closed range [lo, hi] and a one-line meaning.

    No field has a default: ``configs/`` is the one place where values are written.
    """
    return field(metadata={"lo": lo, "hi": hi, "doc": doc})


def about(doc: str) -> Any:
    """A required field without a numeric range (text, choice or switch)."""
    return field(metadata={"lo": None, "hi": None, "doc": doc})


def prob(doc: str = "") -> Any:
    return spec(0.0, 1.0, doc)


def nonneg(doc: str = "") -> Any:
    return spec(0.0, None, doc)


# --------------------------------------------------------------------------- system
@dataclass(frozen=True)
class SchoolType:
    name: str = about("name of the school type")
    share: float = prob("share of schools of this type")
    teachers: list[int] = spec(1, 200, "min and max teachers per school")
    students_per_teacher: list[int] = spec(1, 200, "min and max")
    achievement: float = spec(0.0, 1.0, "mean baseline achievement of its students")
    rurality: float = prob("probability that a school of this type is rural")


@dataclass(frozen=True)
class NetworkParams:
    kind: Literal["professional", "well_mixed"] = about("ties as drawn, or everyone meets everyone")
    zone_ties: int = spec(0, 100, "ties from each teacher to colleagues in its zone")
    long_ties: int = spec(0, 100, "ties from each teacher to teachers anywhere")


@dataclass(frozen=True)
class SystemParams:
    name: str = about("name of the system")
    states: int = spec(1, 100, "states, each with a state ministry node")
    sectors_per_state: int = spec(1, 1000, "sectors in each state")
    regions_per_sector: int = spec(1, 1000, "regions in each sector")
    zones_per_region: int = spec(1, 1000, "school zones in each region, one supervisor each")
    schools_per_zone: list[int] = spec(1, 1000, "min and max schools per zone")
    achievement_sd: float = spec(0.0, 1.0, "spread of school achievement")
    rural_penalty: float = spec(0.0, 1.0, "achievement lost by rural schools")
    school_types: list[SchoolType] = field()
    network: NetworkParams = field()
    seed: int | None = spec(
        0, 2**32 - 1, "draws the schools, teachers, students and ties; null: the run's own seed"
    )

    @property
    def n_zones(self) -> int:
        """School zones in the whole system: states x sectors x regions x zones."""
        return (
            self.states * self.sectors_per_state * self.regions_per_sector * self.zones_per_region
        )


# --------------------------------------------------------------------------- behaviour
@dataclass(frozen=True)
class CatalogueParams:
    size: int = spec(8, 64, "the most temas the shared fund holds (a student's record: 64 bits)")
    initial_fund: int = spec(1, 64, "temas worked out when the movement starts")
    teacher_temas: list[int] = spec(
        0, 64, "min and max temas of the initial fund a teacher masters"
    )
    held: int = spec(1, 3, "temas a student may hold at once")
    effort_spread: float = spec(0.0, 3.0, "sd of the log effort of a tema (median effort 1)")
    new_tema_rate: float = prob("monthly chance a genuine teacher works out a new tema")
    demonstration_every: int = spec(1, 120, "months between a school's demonstration days")
    tema_worth: float = prob("share of the curriculum still to learn a tema mastered adds")


@dataclass(frozen=True)
class TutoringParams:
    rate: float = spec(0.0, 100.0, "temas of effort 1 a month: faithful tutor, all school time")
    tutees_per_teacher: int = spec(0, 100, "learners an adopted teacher can tutor at once")
    tutees_per_student_tutor: int = spec(0, 100, "learners a student tutor can tutor at once")
    interest_weight: float = prob("how much interest in the tema speeds inquiry")
    conventional_rate: float = prob(
        "share of the curriculum still to learn a month of lessons adds"
    )
    time_share: float = prob("share of school time spent in tutorial relationships")
    practice_parts: int = spec(1, 10, "parts of the practice that must all work for learning")


@dataclass(frozen=True)
class StudentParams:
    engagement_rest: float = prob("a student's engagement under the default culture")
    engagement_gain: float = spec(0.0, 100.0, "engagement per tema of inquiry progress")
    engagement_decay: float = prob("monthly relaxation of engagement toward its resting level")
    demonstration_boost: float = prob("engagement gained on demonstrating in public")
    voluntary_threshold: float = prob("engagement from which a student gives its own time")
    voluntary_time: float = spec(0.0, 10.0, "extra inquiry time it gives, per tutorial time")
    continue_base: float = prob(
        "chance a graduate at resting engagement goes on to upper secondary"
    )
    continue_engagement: float = spec(0.0, 10.0, "added chance per unit of engagement above rest")


@dataclass(frozen=True)
class PracticeParams:
    genuine_threshold: float = prob("practice mastery that counts as genuine practice")
    join_voluntary: float = prob("practice of a volunteer who was tutored before joining")
    self_rate: float = prob("monthly practice gained by doing it all school time, x motivation")
    student_rate: float = prob("monthly practice gained from student tutors, per tutor share")
    peer_rate: float = prob("monthly gain from interchanges, times genuine-peer share")
    coach_rate: float = prob("gain from one coaching visit of full quality")
    decay: float = prob("monthly loss of practice when not practising")


@dataclass(frozen=True)
class MotivationParams:
    initial_mean: float = prob("mean resting motivation of teachers")
    initial_sd: float = spec(0.0, 1.0, "spread of resting motivation")
    reward: float = prob("monthly gain from seeing students engaged (per unit engagement)")
    paperwork: float = prob("monthly loss per unit of paperwork beyond the base load")
    control: float = prob("monthly loss under tight bureaucratic control")
    opposition: float = prob("monthly loss per share of non-adopting colleagues")
    test_pressure: float = prob("monthly loss per unit of test pressure")
    recovery: float = prob("monthly pull back toward the initial level")
    lapse_threshold: float = prob("below this motivation an adopter may lapse")
    lapse_rate: float = prob("monthly probability of lapsing below the threshold")


@dataclass(frozen=True)
class DiffusionParams:
    outreach: float = spec(0.0, 1e6, "teachers a month outreach recruits per state (Bass p x N)")
    imitation: float = prob("monthly hazard per share of genuine neighbours (Bass q)")
    demonstration_reach: float = prob("extra hazard per demonstrating school in the zone")
    unorganized: float = prob("share of recruitment left where no movement or node organizes it")
    motivation_gate: bool = about("scale the joining hazard by the teacher's motivation")


@dataclass(frozen=True)
class SupervisionParams:
    protect: float = prob("initial share of supervisors who protect innovation")
    models_practice: float = prob("initial share who model the practice")
    leeway: float = prob("room a supervisor has to shelter schools from rules")
    capacity: int = spec(0, 1000, "coaching visits a supervisor makes per month")
    block: float = prob("how much an enforcing supervisor without leeway blocks joining")
    protect_boost: float = spec(0.0, 100.0, "extra joining hazard under a protecting supervisor")
    drift_rate: float = prob("monthly drift to format-checking per unit of pressure")
    reporting_drift: float = spec(
        0.0, 100.0, "pressure per unit of mandate reporting or lost shelter"
    )
    load_per_supervisor: int = spec(1, 100000, "adopters one supervisor can follow")
    conversion_rate: float = prob("monthly chance a genuine demonstration wins a supervisor")
    paperwork_load: float = prob("administrative load an enforcing supervisor adds")


@dataclass(frozen=True)
class OpportunityParams:
    visibility: float = prob("monthly chance an authority sees one genuine demonstration")
    pilot_per_genuine_school: float = nonneg("schools a pilot invites per genuine school seen")
    pilot_years: float = spec(0.1, 50.0, "years over which an opened pilot invites its schools")


@dataclass(frozen=True)
class TurnoverParams:
    teacher_rate: float = prob("yearly share of teachers who move to another school")
    cohort_years: int = spec(1, 12, "grades in a school: one cohort leaves each year")


@dataclass(frozen=True)
class AssessmentParams:
    good_share: float = prob("share of the system's students at ENLACE good or better at start")
    excellent_share: float = prob("share at ENLACE excellent at the start")
    initial_spread: float = spec(0.0, 1.0, "sd of a student's initial score around its school")


@dataclass(frozen=True)
class BehaviourParams:
    steps_per_year: int = spec(1, 365, "one step is one month of school time")
    base_admin_load: float = prob("paperwork every teacher carries")
    school_genuine_share: float = prob("share of a school's adopters in genuine practice")
    catalogue: CatalogueParams = field()
    tutoring: TutoringParams = field()
    students: StudentParams = field()
    practice: PracticeParams = field()
    motivation: MotivationParams = field()
    diffusion: DiffusionParams = field()
    supervision: SupervisionParams = field()
    opportunities: OpportunityParams = field()
    turnover: TurnoverParams = field()
    assessment: AssessmentParams = field()


# --------------------------------------------------------------------------- scenario
@dataclass(frozen=True)
class MovementParams:
    enabled: bool = about("a movement exists: seed schools, coaches, outreach")
    seed_schools: int = spec(0, 1_000_000, "schools of the first volunteer teachers")
    seed_states: int = spec(1, 100, "states of the seed schools (capped by the system's)")
    coaches: int = spec(0, 100_000, "the movement's own coaches")
    coach_capacity: int = spec(0, 10_000, "teacher visits per coach per month")


@dataclass(frozen=True)
class MandateParams:
    enabled: bool = about("the ministry mandates the practice")
    start_year: float = spec(0.0, 200.0, "years after the start")
    pace: float = spec(0.0, 10_000_000, "schools added per year")
    target: int = spec(0, 10_000_000, "lowest-performing schools to reach")
    coaching: Literal["cascade", "nodes"] = about("trainers train trainers, or nodes tutor")
    trainers: int = spec(1, 1_000_000, "central trainers at the top of the cascade")
    fanout: int = spec(2, 10_000, "people each trainer trains at the next level")
    retention: float = prob("share of the practice kept at each cascade hand-off")
    node_retention: float = prob("share kept per hand-off when nodes tutor by modelling")
    node_capacity: int = spec(0, 10_000, "teacher visits per zone node per month (nodes design)")
    coach_capacity: int = spec(0, 10_000, "visits per ministry coach per month")
    coaches: int = spec(0, 1_000_000, "ministry coaches (ATPs) for mandated schools")
    coaches_per_school: float = spec(0.0, 10.0, "more ministry coaches per school mandated")
    paperwork: float = prob("reporting load the mandate adds to each required teacher")
    control: float = prob("control felt by teachers required to adopt")


@dataclass(frozen=True)
class ExchangeParams:
    every: int = spec(0, 120, "months between a school's academic exchanges; 0: none")
    students: int = spec(0, 1000, "students each adopting school sends")
    selection: Literal["tutors", "lottery", "top_scorers", "least_engaged"] = about(
        "who goes: student tutors first, at random, the highest scores, the least engaged"
    )
    boost: float = prob("engagement a student gains by going")
    recruit: float = prob("chance a host teacher a visiting student tutors joins, x genuineness")


@dataclass(frozen=True)
class TestingParams:
    pressure: float = prob("stakes attached to the yearly standardized test")
    punish_share: float = prob("share of schools punished each year (lowest scores)")
    prep_share: float = prob("share of tutorial time a punished school turns to test prep")


@dataclass(frozen=True)
class EventParams:
    year: float = spec(0.0, 200.0, "years after the start when the opportunity opens")
    kind: EventKind = about("which opportunity")
    coaches: int = spec(0, 1_000_000, "movement coaches the opening adds")
    pace: float = spec(0.0, 10_000_000, "schools per year the pilot it opens invites")
    target: int = spec(0, 10_000_000, "schools that pilot invites in all")

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EventKind(self.kind))  # also when built from code


@dataclass(frozen=True)
class ScenarioParams:
    name: str = about("name of the scenario")
    start_year: int = spec(1900, 2200, "calendar year of the first step")
    sheltered: bool = about("ministry programmes give pilot status that shelters schools")
    openings: Literal["scripted", "endogenous"] = about(
        "pilots open on the dates of `events`, or when authorities see genuine work"
    )
    movement: MovementParams = field()
    mandate: MandateParams = field()
    exchanges: ExchangeParams = field()
    testing: TestingParams = field()
    reversal_year: float | None = spec(
        0.0, 200.0, "years after start when support ends; null: never"
    )
    events: list[EventParams] = field()


@dataclass(frozen=True)
class Params:
    """Everything one run needs besides its seed."""

    system: SystemParams = field()
    behaviour: BehaviourParams = field()
    scenario: ScenarioParams = field()
    years: float = spec(0.0, 200.0, "simulated years")

    @property
    def steps(self) -> int:
        return round(self.years * self.behaviour.steps_per_year)


# --------------------------------------------------------------------------- building
def _allowed(f: dataclasses.Field) -> str:
    lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
    if lo is not None and hi is not None:
        return f"a number in [{lo}, {hi}]"
    if lo is not None:
        return f"a number ≥ {lo}"
    return "a number"


def _convert(value: Any, hint: Any, f: dataclasses.Field | None, key: str) -> Any:
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return None if value is None else _convert(value, inner[0], f, key)
    if origin is Literal:
        allowed = get_args(hint)
        if value not in allowed:
            raise ConfigError(
                f"{key}: {value!r} is not allowed; choose one of {', '.join(allowed)}"
            )
        return value
    if origin is list:
        (item,) = get_args(hint)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_convert(v, item, f, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(hint, type) and issubclass(hint, Enum):
        allowed = [m.value for m in hint]
        if value not in allowed:
            raise ConfigError(
                f"{key}: {value!r} is not allowed; choose one of {', '.join(map(str, allowed))}"
            )
        return hint(value)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected {_allowed(f) if f else 'a number'}, got {value!r}")
        if not math.isfinite(value):  # inf passes a lower bound, then overflows a run
            allowed = _allowed(f) if f else "a finite number"
            raise ConfigError(f"{key}: {value!r} is not finite; allowed: {allowed}")
        if hint is int and float(value) != int(value):
            raise ConfigError(f"{key}: expected a whole number, got {value!r}")
        lo, hi = (f.metadata.get("lo"), f.metadata.get("hi")) if f else (None, None)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ConfigError(f"{key}: {value!r} is out of range; allowed: {_allowed(f)}")
        return hint(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected text, got {value!r}")
        return value
    raise TypeError(f"unsupported parameter type {hint} at {key}")  # pragma: no cover


def _build(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{prefix}: expected a mapping of keys, got {data!r}")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f"{prefix}." if prefix else ""
        raise ConfigError(
            f"unknown key '{where}{unknown[0]}'; allowed keys here: {', '.join(sorted(fields))}"
        )
    missing = sorted(set(fields) - set(data))
    if missing:
        where = f"{prefix}." if prefix else ""
        raise ConfigError(
            f"missing key '{where}{missing[0]}'; every parameter must be set in configs/"
        )
    kwargs = {
        name: _convert(
            data[name], hints[name], fields[name], f"{prefix}.{name}" if prefix else name
        )
        for name in fields
    }
    return cls(**kwargs)


def build_params(config: Mapping[str, Any]) -> Params:
    """Params from a plain mapping (an OmegaConf container): system, behaviour, scenario, years."""
    wanted = {k: config[k] for k in ("system", "behaviour", "scenario", "years") if k in config}
    params = _build(Params, wanted, "")
    check_consistency(params)
    return params


def check_consistency(params: Params) -> None:
    """Cross-field rules a range alone cannot express."""
    sys_, behaviour, scen = params.system, params.behaviour, params.scenario
    shares = sum(t.share for t in sys_.school_types)
    if not sys_.school_types or abs(shares - 1.0) > 1e-6:
        raise ConfigError(f"system.school_types: shares must add up to 1, they add up to {shares}")
    for pair_key, pair in [
        ("system.schools_per_zone", sys_.schools_per_zone),
        ("behaviour.catalogue.teacher_temas", behaviour.catalogue.teacher_temas),
        *[
            (f"system.school_types[{i}].teachers", t.teachers)
            for i, t in enumerate(sys_.school_types)
        ],
        *[
            (f"system.school_types[{i}].students_per_teacher", t.students_per_teacher)
            for i, t in enumerate(sys_.school_types)
        ],
    ]:
        if len(pair) != 2 or pair[0] > pair[1]:
            raise ConfigError(f"{pair_key}: expected [min, max] with min ≤ max, got {pair}")
    cat = behaviour.catalogue
    if cat.initial_fund > cat.size:
        raise ConfigError(
            f"behaviour.catalogue.initial_fund: {cat.initial_fund} exceeds "
            f"behaviour.catalogue.size={cat.size}"
        )
    if cat.teacher_temas[1] > cat.initial_fund:
        raise ConfigError(
            f"behaviour.catalogue.teacher_temas: max {cat.teacher_temas[1]} "
            f"exceeds behaviour.catalogue.initial_fund={cat.initial_fund}"
        )
    if behaviour.assessment.excellent_share > behaviour.assessment.good_share:
        raise ConfigError(
            "behaviour.assessment.excellent_share: must not exceed "
            "behaviour.assessment.good_share (excellent is part of good or better)"
        )
    if behaviour.supervision.protect + behaviour.supervision.models_practice > 1.0:
        raise ConfigError(
            "behaviour.supervision.protect + models_practice: initial stance shares exceed 1"
        )
    max_schools = max_school_count(sys_)
    if scen.mandate.target > max_schools:
        raise ConfigError(
            f"scenario.mandate.target: {scen.mandate.target} schools exceeds the "
            f"{max_schools} schools the '{sys_.name}' system can have"
        )


def max_school_count(sys_: SystemParams) -> int:
    return sys_.n_zones * sys_.schools_per_zone[1]


def describe(cls: type = Params, prefix: str = "") -> list[tuple[str, str, str]]:
    """(key, allowed, meaning) for every leaf parameter; the ODD's parameter table uses it."""
    rows: list[tuple[str, str, str]] = []
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            rows += describe(hint, key + ".")
        else:
            allowed = _allowed(f) if f.metadata.get("lo") is not None else ""
            rows.append((key, allowed, f.metadata.get("doc", "")))
    return rows
