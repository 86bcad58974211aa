"""The tutorial-network model: a countercultural practice spreading through a school system."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar, overload

import mesa
import numpy as np

from sim import metrics, network
from sim.agents import MinistryNode, Student, Supervisor, Teacher
from sim.kinds import EventKind, Origin
from sim.params import ConfigError, Params
from sim.practice import genuine_teachers
from sim.rules import (
    assessment,
    catalogue,
    coaching,
    diffusion,
    exchanges,
    lessons,
    mandate,
    motivation,
    opportunities,
    reversal,
    supervision,
    turnover,
    tutoring,
)
from sim.rules.adoption import enrol
from sim.system import SchoolSystem, build_system

DEFAULT_HANDLES_MAX = 200_000


class TutorialNetworkModel(mesa.Model):
    """Students, teachers, supervisors and ministry nodes; one step is one month of school time."""

    # Classrooms the practice has never reached are left alone between the times something
    # reads them (``sim.rules.lessons``): only for a model whose table reports no students.
    defers_unreached_classrooms: ClassVar[bool] = False

    def __init__(
        self,
        params: Params,
        seed: int | None = None,
        handles_max: int = DEFAULT_HANDLES_MAX,
    ) -> None:
        super().__init__(rng=seed)
        self.params = params
        self.seed = seed
        system = self.build_system()
        self.hierarchy = system.hierarchy
        self.schools = system.schools
        self.teachers = system.teachers
        self.students = system.students
        self.supervisors = system.supervisors
        self.ties = system.ties
        self.tie_degree = np.asarray(self.ties.sum(axis=1)).ravel().astype(np.float32)
        self.n_zones = self.hierarchy.zone_region.size
        self._check_fits_system()
        # Lowest-performing first; ties broken by school index so the order is well defined.
        self.achievement_order = np.argsort(self.schools.achievement, kind="stable")
        self.enlace = assessment.setup(self)  # level cut-offs, from the scores at the start
        self.classrooms = lessons.setup(self, self.defers_unreached_classrooms)
        self.student_sums = lessons.first_sums(self)  # then kept by the month's lessons
        self.school_score = assessment.school_scores(self)

        self.movement_active = params.scenario.movement.enabled
        # Each rule's own parameters and state (the rest lives on the population arrays).
        self.fund = catalogue.setup(self)
        self.withdrawal = reversal.setup(self)
        self.openings = opportunities.setup(self)
        self.coaching = coaching.setup(self)
        self.supervision = supervision.setup(self)
        self.exchanges = exchanges.setup(self)
        self.graduation = turnover.setup(self)
        self.programmes = [p for p in [mandate.mandate_programme(self)] if p is not None]
        self.events_log: list[tuple[int, float, EventKind]] = []

        self._seed_movement()
        self.exposure = network.genuine_share_of_contacts(self, genuine_teachers(self))
        self._make_handles(handles_max)
        self.datacollector: mesa.DataCollector | None = None
        self.collect()

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        """One month: openings and policy, then the movement, supervision, learning, motivation."""
        opportunities.open_scheduled(self)  # political opportunities open
        reversal.withdraw_if_due(self)  # a new administration may withdraw support
        mandate.roll_out(self)  # the ministry requires the next lowest-performing schools
        self.exposure = network.genuine_share_of_contacts(self, genuine_teachers(self))
        diffusion.recruit_volunteers(self)  # visits, interchanges, demonstrations recruit
        exchanges.hold_exchanges(self)  # students visit other schools and tutor their adults
        supervision.update_supervision(self)  # load, drift to format-checking, paperwork
        coaching.teach_practice(self)  # coaches, nodes and peers tutor teachers in the practice
        tutoring.tutor_students(self)  # catalogue, choice, inquiry, public demonstration
        assessment.test_if_due(self)  # yearly test; test-and-punish where stakes are high
        motivation.update_motivation(self)  # engaged students reward; paperwork, control erode
        motivation.lapse(self)  # the demotivated drop out unless required on paper
        turnover.move_teachers(self)
        turnover.graduate_cohort(self)
        self.collect()

    def run(self, steps: int | None = None, progress: Any = None) -> None:
        for _ in range(self.params.steps if steps is None else steps):
            self.step()
            if progress is not None:
                progress.update(1)

    def step_row(self) -> dict[str, float]:
        """What the per-step table records this month."""
        return metrics.step_metrics(self)

    def collect(self) -> None:
        """Keep this month's row, once, in the DataCollector's model variables."""
        self._row = self.step_row()  # computed once, read by each reporter below
        if self.datacollector is None:
            reporters = {key: partial(_reported, key=key) for key in self._row}
            self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    @property
    def table(self) -> StepTable:
        """The per-step table as rows (dicts), read from the DataCollector."""
        return StepTable(self.datacollector.model_vars)

    # ------------------------------------------------------------------ calendar
    def step_of_year(self, years: float) -> int:
        """The step at which `years` after the start falls (events at year 0 fire at step 1)."""
        return max(1, round(years * self.params.behaviour.steps_per_year))

    def calendar_year(self, step: int | None = None) -> float:
        s = self.steps if step is None else step
        return self.params.scenario.start_year + s / self.params.behaviour.steps_per_year

    def is_end_of_school_year(self) -> bool:
        return self.steps > 0 and self.steps % self.params.behaviour.steps_per_year == 0

    def log_event(self, kind: EventKind) -> None:
        self.events_log.append((self.steps, self.calendar_year(), kind))

    # ------------------------------------------------------------------ agents
    def student(self, index: int) -> Student:
        """A handle on one student, made on demand when students are not all materialized."""
        if not 0 <= index < self.students.school.size:
            raise IndexError(f"student {index} does not exist (0..{self.students.school.size - 1})")
        if self._student_handles is not None:
            return self._student_handles[index]
        return self._on_demand.setdefault(index, Student(self, index))

    def teacher(self, index: int) -> Teacher:
        if self._teacher_handles is not None:
            return self._teacher_handles[index]
        return self._on_demand_teachers.setdefault(index, Teacher(self, index))

    # ------------------------------------------------------------------ set-up
    def build_system(self) -> SchoolSystem:
        """The school system the run starts from: drawn from the run's own stream, or from
        `system.seed` when that fixes one drawn system for every run."""
        p = self.params
        rng = self.rng if p.system.seed is None else np.random.default_rng(p.system.seed)
        return build_system(p.system, p.behaviour, rng)

    def _check_fits_system(self) -> None:
        target = self.params.scenario.mandate.target
        n = self.schools.count
        if target > n:
            raise ConfigError(
                f"scenario.mandate.target: {target} schools, but this '{self.params.system.name}' "
                f"system has {n} schools"
            )

    def _seed_movement(self) -> None:
        """2004: volunteer teachers in a few small schools of a few states start the movement."""
        mv = self.params.scenario.movement
        if not mv.enabled or mv.seed_schools == 0:
            return
        states = self.hierarchy.zone_state[self.schools.zone]
        n_states = int(self.hierarchy.sector_state.max()) + 1
        chosen_states = self.rng.choice(n_states, size=min(mv.seed_states, n_states), replace=False)
        small = self.schools.kind == 0  # the first school type: Telesecundaria in every system
        pool = np.flatnonzero(np.isin(states, chosen_states) & small)
        if pool.size < mv.seed_schools:
            pool = np.flatnonzero(np.isin(states, chosen_states))
        seeds = self.rng.choice(pool, size=min(mv.seed_schools, pool.size), replace=False)
        teachers = np.flatnonzero(np.isin(self.teachers.school, seeds))
        enrol(self, teachers, Origin.VOLUNTARY, self.params.behaviour.practice.join_voluntary)

    def _make_handles(self, handles_max: int) -> None:
        self._on_demand: dict[int, Student] = {}
        self._on_demand_teachers: dict[int, Teacher] = {}
        n_students, n_teachers = self.students.school.size, self.teachers.school.size
        self._student_handles = (
            [Student(self, i) for i in range(n_students)] if n_students <= handles_max else None
        )
        self._teacher_handles = (
            [Teacher(self, i) for i in range(n_teachers)] if n_teachers <= handles_max else None
        )
        for zone in range(self.n_zones):
            Supervisor(self, zone)
        MinistryNode(self, "federal", 0)
        for state in range(int(self.hierarchy.sector_state.max()) + 1):
            MinistryNode(self, "state", state)
        if (
            self.params.scenario.mandate.enabled
            and self.params.scenario.mandate.coaching == "nodes"
        ):
            for zone in range(self.n_zones):
                MinistryNode(self, "zone", zone)


def _reported(model: TutorialNetworkModel, key: str) -> float:
    return model._row[key]


class StepTable(Sequence[dict[str, float]]):
    """Rows of the per-step table over the DataCollector's columns (no copy is kept)."""

    def __init__(self, columns: dict[str, list[float]]) -> None:
        self._columns = columns

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()), ()))

    @overload
    def __getitem__(self, i: int) -> dict[str, float]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, float]]: ...
    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return {k: v[i] for k, v in self._columns.items()}
