"""The historical record, the free parameters and one simulation of the record's years.

Calibration fits a few free parameters of `scenario=historical` to the record in THEORY.md
(brief, "The historical record"): 8 schools in 2004, about 60 by 2008, about 400 by 2010. The
record counts schools in the practice, so a calibration run is observed through that count
only; everything else about the run is the model as `python -m sim` runs it.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from runs.config import load_params
from sim.kinds import EventKind
from sim.model import TutorialNetworkModel
from sim.params import EventParams, Params
from sim.practice import school_adopted
from sim.system import SchoolSystem

SCENARIO = "historical"
PILOT_KIND = EventKind.MINISTRY_PILOT


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the record has to pin down, with its prior: uniform on [lo, hi], or on
    [log lo, log hi] when `log` (a rate whose order of magnitude is unknown)."""

    key: str
    label: str
    lo: float
    hi: float
    log: bool
    why: str

    def to_unit(self, value: np.ndarray) -> np.ndarray:
        if self.log:
            return (np.log(value) - np.log(self.lo)) / (np.log(self.hi) - np.log(self.lo))
        return (value - self.lo) / (self.hi - self.lo)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        if self.log:
            return np.exp(np.log(self.lo) + u * (np.log(self.hi) - np.log(self.lo)))
        return self.lo + u * (self.hi - self.lo)


FREE: tuple[FreeParameter, ...] = (
    FreeParameter(
        "behaviour.diffusion.outreach",
        "outreach (teachers a month per state)",
        1e-4,
        1.0,
        True,
        "Bass innovation term as a state team's work: from one recruit a century in a state to "
        "one a month (on `historical`, about 1e-8 to 1e-4 per teacher-month)",
    ),
    FreeParameter(
        "behaviour.diffusion.imitation",
        "imitation q (per month)",
        3e-3,
        1.0,
        True,
        "Bass imitation term per share of genuine contacts: from years to a month to persuade "
        "a teacher whose contacts all practise",
    ),
    FreeParameter(
        "behaviour.diffusion.demonstration_reach",
        "demonstration reach (per demonstrating school)",
        1e-6,
        1e-2,
        True,
        "extra monthly hazard for every teacher of a zone per school demonstrating there: from "
        "negligible to a zone's teachers joining within years",
    ),
    FreeParameter(
        "calibration.pilot.target",
        "pilot size (schools invited 2008–2010)",
        0.0,
        800.0,
        False,
        "from no pilot to twice the recorded 400 schools; the record gives what the pilot and "
        "the movement reached together, not the pilot's own size",
    ),
)


@dataclass(frozen=True)
class Target:
    """One line of the record as a moment: schools in the practice at a model step."""

    label: str
    calendar: float  # the model's calendar year of the row that is compared
    schools: float
    source: str


# Rows are read at the end of the month named: the model's row for calendar year y is the
# state after the month that ends at y. The 2008 figure is read one month before the pilot's
# first invitations, so it counts what outreach and networking alone reached (000 l.49).
RECORD: tuple[Target, ...] = (
    Target("2004", 2005.0, 8.0, "volunteer teachers in 8 schools in 2 states (000 l.47)"),
    Target(
        "2008", 2008.0 - 1.0 / 12.0, 60.0, "about sixty schools by outreach, 2004–2008 (000 l.49)"
    ),
    Target("2010", 2010.0, 400.0, "about four hundred schools after the pilot (000 l.51)"),
)
CALIBRATION_YEARS = 6.0  # 2004–2010: nothing after the last target is needed to fit


def target_steps(params: Params) -> list[int]:
    start, spy = params.scenario.start_year, params.behaviour.steps_per_year
    return [round((t.calendar - start) * spy) for t in RECORD]


class RecordModel(TutorialNetworkModel):
    """The model observed only through the record's count: schools with at least one teacher
    in the practice (genuine or on paper), the `schools_adopted` metric. The dynamics are the
    model's own; only the per-step observation is lighter, and since no student is observed,
    the classrooms the practice has not reached are caught up only when read (the run is the
    same bit for bit: ``sim.rules.lessons``)."""

    defers_unreached_classrooms = True

    def step_row(self) -> dict[str, float]:
        return {"step": self.steps, "schools_adopted": int(school_adopted(self).sum())}

    def build_system(self) -> SchoolSystem:
        """With `system.seed` set, every run of a calibration starts from the same drawn system:
        this process draws it once and each run starts from a copy of it."""
        if self.params.system.seed is None:
            return super().build_system()
        key = _system_key(self.params)
        if key not in _DRAWN:
            _DRAWN.clear()  # one system at a time: a national one is a gigabyte
            _DRAWN[key] = super().build_system()
        return _copy_of(_DRAWN[key])


# The system drawn in this process, by everything its draw may read (see _system_key), and
# the arrays of the last finished run, which the next run's copy reuses: fresh gigabytes are
# slow to map, memory already mapped is not.
_DRAWN: dict[str, SchoolSystem] = {}
_SPARE: list[SchoolSystem] = []


def _populations(system: SchoolSystem) -> dict[str, object]:
    return {"schools": system.schools, "teachers": system.teachers, "students": system.students}


def _copy_of(system: SchoolSystem) -> SchoolSystem:
    """A copy to run from. Arrays still all zero (students' progress and mastered temas) are
    allocated as zeros, not copied: their pages cost nothing until written, and the classrooms
    the practice never reaches never write them. The others go into the spare arrays of the
    last finished run where there are any."""
    spare = _populations(_SPARE.pop()) if _SPARE else {}
    memo: dict[int, np.ndarray] = {}
    for name, population in _populations(system).items():
        for field, value in vars(population).items():
            if not isinstance(value, np.ndarray) or not value.nbytes:
                continue
            if not value.any():
                memo[id(value)] = np.zeros(value.shape, value.dtype)
                continue
            old = vars(spare[name]).get(field) if name in spare else None
            if isinstance(old, np.ndarray) and (old.shape, old.dtype) == (value.shape, value.dtype):
                np.copyto(old, value)
                memo[id(value)] = old
    return copy.deepcopy(system, memo)


def _keep_spare(model: TutorialNetworkModel) -> None:
    """A finished run's arrays, for the next run from the same drawn system to copy into."""
    if model.params.system.seed is not None:
        _SPARE[:] = [
            SchoolSystem(
                model.hierarchy, model.schools, model.teachers, model.students,
                model.supervisors, model.ties,
            )
        ]  # fmt: skip


def _system_key(params: Params) -> str:
    """What a drawn system may depend on: the system and the behaviour, with the free
    parameters (which only a run's dynamics read) at their lowest values."""
    behavioural = {p.key: p.lo for p in FREE if p.key.startswith("behaviour.")}
    fixed = with_values(params, behavioural)  # the pilot's size is the scenario's, not keyed
    return repr((fixed.system, fixed.behaviour))


def base_params(overrides: Sequence[str] = (), years: float = CALIBRATION_YEARS) -> Params:
    """`scenario=historical` with the free parameters still to be set (placeholders)."""
    placeholders = [f"++{p.key}={p.lo}" for p in FREE if p.key.startswith("calibration.")]
    placeholders += ["++calibration.pilot.pace=0"]
    params = load_params([f"scenario={SCENARIO}", *placeholders, *overrides])
    return dataclasses.replace(params, years=years)


def pilot_pace(target: float, params: Params) -> float:
    """The pilot invites its schools evenly over its two years, 2008–2010."""
    pilot = next(e for e in params.scenario.events if e.kind == PILOT_KIND)
    years = RECORD[-1].calendar - (params.scenario.start_year + pilot.year)
    return float(target) / years


def with_values(params: Params, values: dict[str, float]) -> Params:
    """`params` with the free parameters set to `values` (keyed as in FREE)."""
    model = params.behaviour
    diffusion = dataclasses.replace(
        model.diffusion,
        **{k.rsplit(".", 1)[1]: float(v) for k, v in values.items() if k.startswith("behaviour.")},
    )
    model = dataclasses.replace(model, diffusion=diffusion)
    scenario = params.scenario
    if "calibration.pilot.target" in values:
        target = round(values["calibration.pilot.target"])
        pace = pilot_pace(target, params)
        events = [
            dataclasses.replace(e, target=target, pace=pace) if e.kind == PILOT_KIND else e
            for e in scenario.events
        ]
        scenario = dataclasses.replace(scenario, events=events)
    return dataclasses.replace(params, behaviour=model, scenario=scenario)


def unsupported(values: dict[str, float]) -> list[str]:
    """Keys outside the free set (a guard against typos in a values mapping)."""
    known = {p.key for p in FREE}
    return [k for k in values if k not in known]


def simulate(params: Params, seed: int) -> np.ndarray:
    """Schools in the practice at every step 0..steps of one run."""
    logging.getLogger("MESA").setLevel(logging.WARNING)
    model = RecordModel(params, seed=seed)
    model.run()
    series = np.array([row["schools_adopted"] for row in model.table], dtype=np.int32)
    _keep_spare(model)
    # Agents and model refer to each other: free the population arrays now, not at the next
    # cyclic collection, so a worker running hundreds of simulations stays at one model's size.
    del model
    gc.collect()
    return series


def theta_values(theta: np.ndarray) -> dict[str, float]:
    return {p.key: float(v) for p, v in zip(FREE, theta, strict=True)}


def pilot_event(params: Params) -> EventParams:
    return next(e for e in params.scenario.events if e.kind == PILOT_KIND)
