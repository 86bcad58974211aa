"""The tutorial-network model: a countercultural practice spreading through a school system."""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from sim import metrics, network
from sim.agents import MinistryNode, Student, Supervisor, Teacher
from sim.kinds import EventKind, Origin
from sim.params import ConfigError, Params
from sim.rules import (
    assessment,
    coaching,
    diffusion,
    mandate,
    motivation,
    opportunities,
    reversal,
    supervision,
    turnover,
    tutoring,
)
from sim.system import build_system

DEFAULT_HANDLES_MAX = 200_000


class TutorialNetworkModel(mesa.Model):
    """Students, teachers, supervisors and ministry nodes; one step is one month of school time."""

    def __init__(
        self,
        params: Params,
        seed: int | None = None,
        handles_max: int = DEFAULT_HANDLES_MAX,
    ) -> None:
        super().__init__(rng=seed)
        self.params = params
        self.seed = seed
        system = build_system(params.system, params.behaviour, self.rng)
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
        self.school_score = assessment.school_scores(self)

        self.movement_active = params.scenario.movement.enabled
        self.ministry_coaches = 0
        self.programmes = [p for p in [mandate.mandate_programme(self)] if p is not None]
        self.reversed = False
        self.reversal_step: int | None = None
        self.adopters_at_reversal: tuple[np.ndarray, np.ndarray] | None = None
        self.coach_load = 0.0
        self.events_log: list[tuple[int, float, EventKind]] = []

        self._seed_movement()
        self.exposure = network.genuine_share_of_contacts(self, metrics.genuine_teachers(self))
        self._make_handles(handles_max)
        self.table: list[dict[str, float]] = []
        self.datacollector = mesa.DataCollector(
            model_reporters={k: _latest(k) for k in metrics.step_metrics(self)}
        )
        self.collect()

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        """One month: openings and policy, then the movement, supervision, learning, motivation."""
        opportunities.open_scheduled(self)  # political opportunities open
        reversal.withdraw_if_due(self)  # a new administration may withdraw support
        mandate.roll_out(self)  # the ministry requires the next lowest-performing schools
        self.exposure = network.genuine_share_of_contacts(self, metrics.genuine_teachers(self))
        diffusion.recruit_volunteers(self)  # visits, interchanges, demonstrations recruit
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

    def collect(self) -> None:
        self.table.append(metrics.step_metrics(self))
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ calendar
    def step_of_year(self, years: float) -> int:
        """The step at which `years` after the start falls (events at year 0 fire at step 1)."""
        return max(1, round(years * self.params.behaviour.steps_per_year))

    def calendar_year(self, step: int | None = None) -> float:
        s = self.steps if step is None else step
        return self.params.scenario.start_year + s / self.params.behaviour.steps_per_year

    def is_end_of_school_year(self) -> bool:
        return self.steps > 0 and self.steps % self.params.behaviour.steps_per_year == 0

    # ------------------------------------------------------------------ shared reads
    @property
    def mobilizing_structures(self) -> bool:
        """Whether someone organizes visits, interchanges and demonstrations: the movement, or
        the ministry's collegial nodes while they are supported."""
        nodes = self.params.scenario.mandate.coaching == "nodes" and self.mandate_in_force
        return self.movement_active or nodes

    @property
    def mandate_in_force(self) -> bool:
        return not self.reversed and any(p.active and p.mode == "mandate" for p in self.programmes)

    @property
    def mandate_reaches_schools(self) -> bool:
        """A mandate in force that has required at least one school: its training cascade and
        its coaches are at work (a mandate of pace zero never gets there)."""
        return self.mandate_in_force and bool(self.schools.mandated.any())

    def required_teachers(self) -> np.ndarray:
        """Teachers a mandate in force holds to the practice, at least on paper."""
        if not self.mandate_in_force:
            return np.zeros(self.teachers.school.size, dtype=bool)
        return self.schools.mandated[self.teachers.school]

    def school_adopted(self) -> np.ndarray:
        """Schools where at least one teacher has adopted the practice (for real or on paper)."""
        n = np.bincount(
            self.teachers.school[self.teachers.adopted], minlength=self.schools.zone.size
        )
        return n > 0

    def students_of(self, schools: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.repeat(schools, self.schools.n_students))

    def tutorial_time(self) -> np.ndarray:
        """Per school: share of time in tutorial relations, less what test prep takes."""
        m = self.params.behaviour.tutoring
        prep = self.params.scenario.testing.prep_share
        return m.time_share * (1.0 - prep * self.schools.punished)

    def enrol(self, teachers: np.ndarray, origin: int, practice: float) -> None:
        """Teachers formally adopt the practice, bringing what they have learnt of it."""
        t = self.teachers
        t.adopted[teachers] = True
        t.origin[teachers] = origin
        t.ever_adopted[teachers] = True
        t.practice[teachers] = np.maximum(t.practice[teachers], np.float32(practice))
        self.schools.ever_adopted[t.school[teachers]] = True

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
    def _check_fits_system(self) -> None:
        target = self.params.scenario.mandate.target
        n = self.schools.zone.size
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
        self.enrol(teachers, Origin.VOLUNTARY, self.params.behaviour.practice.join_voluntary)

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


def _latest(key: str):
    return lambda model: model.table[-1][key]
