"""The Mesa face of the model: agents that users inspect, select and collect data from.

State lives in per-population numpy arrays (``sim.population``) so that one rule, written once,
runs over every agent at national scale. Each agent here is a handle on one row: reading an
attribute reads the array, so a handle always shows the current state. At national scale
student handles are made on demand (``model.student(i)``) rather than all at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.kinds import Origin, SchoolState, Stance
from sim.practice import is_genuine
from sim.rules.catalogue import interest
from sim.rules.mandate import mandate_in_force, ministry_coaches
from sim.rules.opportunities import ministry_paid_coaches
from sim.rules.reversal import withdrawn

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel


class Student(mesa.Agent):
    """A student learns the temas it chose from tutors who master them and, once it has
    demonstrated one in public, tutors it to others."""

    model: TutorialNetworkModel

    def __init__(self, model: TutorialNetworkModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def school(self) -> int:
        return int(self.model.students.school[self.index])

    @property
    def score(self) -> float:
        """The share of the curriculum it has learned, in [0, 1] (what the test measures)."""
        return float(self.model.students.score[self.index])

    @property
    def engagement(self) -> float:
        """Its own engagement in learning, in [0, 1]."""
        return float(self.model.students.engagement[self.index])

    def interest(self, tema: int) -> int:
        """How much a tema interests it, 0..255."""
        return int(interest(self.model.students.taste[self.index], tema))

    @property
    def temas(self) -> list[int]:
        """The temas it is working on now."""
        return [int(k) for k in self.model.students.temas[:, self.index] if k >= 0]

    @property
    def progress(self) -> list[float]:
        """How far it is with each tema it is working on (1: ready to demonstrate)."""
        st = self.model.students
        return [float(p) for k, p in zip(st.temas[:, self.index], st.progress[:, self.index],
                                          strict=True) if k >= 0]  # fmt: skip

    @property
    def mastered(self) -> list[int]:
        """The temas it has demonstrated in public."""
        return _members(int(self.model.students.mastered[self.index]))

    @property
    def tutor_of(self) -> int | None:
        """The tema it tutors: the latest it demonstrated."""
        k = int(self.model.students.tutors[self.index])
        return None if k < 0 else k

    @property
    def is_tutor(self) -> bool:
        return self.tutor_of is not None

    @property
    def school_engagement(self) -> float:
        """How transformed learning is at the student's school this month (the school's, not
        the student's own)."""
        return float(self.model.schools.engagement[self.school])

    @property
    def pressure(self) -> bool:
        """Whether its school was punished after the last test."""
        return bool(self.model.schools.punished[self.school])


class Teacher(mesa.Agent):
    """A teacher takes up the tutorial practice after being tutored in it, deepens it through
    coaching, interchanges and its students' response, and drops it when motivation runs out."""

    model: TutorialNetworkModel

    def __init__(self, model: TutorialNetworkModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def _get(self, name: str) -> np.generic:
        return getattr(self.model.teachers, name)[self.index]

    @property
    def school(self) -> int:
        return int(self._get("school"))

    @property
    def zone(self) -> int:
        return int(self.model.schools.zone[self.school])

    @property
    def catalogue(self) -> list[int]:
        """The temas this teacher masters and so can offer."""
        return _members(int(self._get("temas")))

    @property
    def practice(self) -> float:
        return float(self._get("practice"))

    @property
    def motivation(self) -> float:
        return float(self._get("motivation"))

    @property
    def admin_load(self) -> float:
        return float(self._get("admin_load"))

    @property
    def adopted(self) -> bool:
        return bool(self._get("adopted"))

    @property
    def origin(self) -> str:
        return Origin.labels()[int(self._get("origin"))]

    @property
    def genuine(self) -> bool:
        threshold = self.model.params.behaviour.practice.genuine_threshold
        return bool(is_genuine(self.adopted, self.practice, threshold))

    @property
    def surface(self) -> bool:
        """Formally adopted without the practice: compliance on paper."""
        return self.adopted and not self.genuine

    @property
    def lapsed(self) -> bool:
        return bool(self._get("ever_adopted")) and not self.adopted

    @property
    def pressure(self) -> bool:
        return bool(self.model.schools.punished[self.school])


class Supervisor(mesa.Agent):
    """A zone supervisor mediates between policy and schools: it protects them, models the
    practice by coaching, or checks formats, and drifts toward checking formats when overloaded."""

    model: TutorialNetworkModel

    def __init__(self, model: TutorialNetworkModel, zone: int) -> None:
        super().__init__(model)
        self.zone = zone

    @property
    def stance(self) -> str:
        return Stance.labels()[int(self.model.supervisors.stance[self.zone])]

    @property
    def leeway(self) -> float:
        return float(self.model.supervisors.leeway[self.zone])

    @property
    def capacity(self) -> int:
        return int(self.model.supervisors.capacity[self.zone])

    @property
    def load(self) -> float:
        return float(self.model.supervisors.load[self.zone])

    @property
    def schools(self) -> np.ndarray:
        return np.flatnonzero(self.model.schools.zone == self.zone)


class MinistryNode(mesa.Agent):
    """A ministry node sets mandates, pace and testing for its area and, in PEMLE-like
    scenarios, tutors the practice to the teachers of its zone instead of cascading it."""

    model: TutorialNetworkModel

    def __init__(self, model: TutorialNetworkModel, level: str, area: int) -> None:
        super().__init__(model)
        self.level = level  # "federal", "state" or "zone"
        self.area = area

    def _schools(self) -> np.ndarray:
        s, h = self.model.schools, self.model.hierarchy
        if self.level == "federal":
            return np.ones(s.count, dtype=bool)
        if self.level == "state":
            return h.zone_state[s.zone] == self.area
        return s.zone == self.area

    @property
    def mandated_schools(self) -> int:
        return int(self.model.schools.mandated[self._schools()].sum())

    @property
    def sheltered_schools(self) -> int:
        return int(self.model.schools.sheltered[self._schools()].sum())

    @property
    def mandate_target(self) -> int:
        return self.model.params.scenario.mandate.target

    @property
    def pace(self) -> float:
        return self.model.params.scenario.mandate.pace

    @property
    def testing_pressure(self) -> float:
        return self.model.params.scenario.testing.pressure

    @property
    def resources(self) -> int:
        """Coaches the ministry pays: its own (while a mandate is in force) and the movement's."""
        return ministry_coaches(self.model) + ministry_paid_coaches(self.model)

    @property
    def tutoring_capacity(self) -> int:
        """Teacher visits a month this node makes, tutoring the practice: zone nodes of the
        `nodes` design in zones the mandate has reached (sim.rules.coaching.zone_node_visits)."""
        m = self.model.params.scenario.mandate
        if self.level != "zone" or m.coaching != "nodes" or not mandate_in_force(self.model):
            return 0
        return m.node_capacity if self.model.schools.mandated[self._schools()].any() else 0

    @property
    def attention(self) -> float:
        """1 while the ministry backs a programme, 0 once support is withdrawn."""
        return 0.0 if withdrawn(self.model) else float(bool(self.model.programmes))


def school_state_name(code: int) -> str:
    return SchoolState.labels()[code]


def _members(bits: int) -> list[int]:
    """The temas in a bit set."""
    return [k for k in range(64) if bits >> k & 1]
