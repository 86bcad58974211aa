"""The model's rules written plainly, one Python object per agent, in Mesa's ordinary style.

This is the oracle the fast engine (``sim.model``) is docked against and the baseline of the
benchmark. It shares only the parameters (``sim.params``) with the fast engine, no code: every
school, teacher, student and zone supervisor is an object with its own state and its own step
methods, and the model calls those methods stage by stage, in the same order as the fast engine
(Mesa's staged activation). Random draws come from the model's seeded ``random.Random``, so a
run is reproducible but uses a different stream from the fast engine: the two agree in
distribution, not draw by draw. Written to be read, not to be fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mesa

from sim.params import Params

PROTECT, MODEL, ENFORCE = "protect", "model", "enforce"
OUTCOMES = (
    "teachers_genuine",
    "teachers_surface",
    "schools_genuine",
    "schools_surface",
    "mastery_mean",
    "mastery_gain",
    "bureaucratization_index",
)


# --------------------------------------------------------------------------- agents
class School(mesa.Agent):
    """A school: its teachers come and go, its students stay until they graduate."""

    def __init__(self, model: ReferenceModel, zone: int, kind: int) -> None:
        super().__init__(model)
        p = model.params.system
        self.zone = zone
        self.kind = kind
        self.state = zone // (p.sectors_per_state * p.regions_per_sector * p.zones_per_region)
        school_type = p.school_types[kind]
        self.rural = self.random.random() < school_type.rurality
        achievement = (
            school_type.achievement
            + p.achievement_sd * self.random.gauss(0.0, 1.0)
            - p.rural_penalty * self.rural
        )
        self.achievement = min(max(achievement, 0.0), 1.0)
        self.n_teachers = self.random.randint(*school_type.teachers)
        self.n_students = self.n_teachers * self.random.randint(*school_type.students_per_teacher)
        self.teachers: list[Teacher] = []
        self.students: list[Student] = []
        self.mandated = self.sheltered = self.punished = self.ever_adopted = False
        self.was_sheltered = False
        self.engagement = 0.0
        self.demonstrations = 0

    def adopters(self) -> list[Teacher]:
        return [t for t in self.teachers if t.adopted]

    def practising(self) -> bool:
        return any(t.adopted for t in self.teachers)

    def tutorial_time(self) -> float:
        """Share of school time in tutorial relations: what paperwork leaves, at most the usual
        share, less test preparation."""
        m = self.model.params
        admin = sum(t.admin_load for t in self.teachers) / max(self.n_teachers, 1)
        prep = m.scenario.testing.prep_share * self.punished
        return min(m.behaviour.tutoring.time_share, 1.0 - admin) * (1.0 - prep)

    def fidelity(self) -> float:
        """Mean whole practice (practice ** parts) of the adopters."""
        parts = self.model.params.behaviour.tutoring.practice_parts
        adopters = self.adopters()
        return sum(t.practice**parts for t in adopters) / len(adopters) if adopters else 0.0

    def genuineness(self) -> float:
        """Share of the adopters in genuine practice (0 without adopters)."""
        adopters = self.adopters()
        return sum(t.genuine() for t in adopters) / len(adopters) if adopters else 0.0

    def demonstration_shown(self) -> float:
        """Its genuineness if it demonstrated this month, else 0: the formula shows nothing."""
        return self.genuineness() if self.demonstrations > 0 else 0.0

    def tutor_share(self) -> float:
        """Share of the students who tutor at least one tema."""
        return sum(bool(s.tutor_of) for s in self.students) / self.n_students

    def run_tutorial_network(self) -> None:
        """Tutors offer their temas, learners choose, inquire and demonstrate."""
        m = self.model.params.behaviour
        topics = m.catalogue.topics
        supply = [0.0] * topics
        for teacher in self.adopters():
            for k in teacher.topics:
                supply[k] += m.tutoring.tutees_per_teacher
        for student in self.students:
            for k in student.tutor_of:
                supply[k] += m.tutoring.tutees_per_student_tutor
        demand = [0] * topics
        for student in self.students:
            student.choose_tema(supply)
            if student.tema is not None:
                demand[student.tema] += 1
        pace = m.tutoring.rate * self.fidelity() * self.tutorial_time()
        total_gain = 0.0
        for student in self.students:
            if student.tema is not None:
                k = student.tema
                total_gain += student.inquire(pace * min(1.0, supply[k] / demand[k]))
        self.engagement = total_gain / (m.tutoring.rate * m.tutoring.time_share * self.n_students)

    def score(self) -> float:
        return sum(s.score() for s in self.students) / len(self.students)


class Teacher(mesa.Agent):
    """A teacher: takes up the practice, learns it from coaches and peers, may drop it."""

    def __init__(self, model: ReferenceModel, school: School) -> None:
        super().__init__(model)
        m = model.params.behaviour
        self.school = school
        school.teachers.append(self)
        self.zone_at_start = school.zone
        n_topics = self.random.randint(*m.catalogue.teacher_topics)
        self.topics = set(self.random.sample(range(m.catalogue.topics), n_topics))
        mot = m.motivation
        self.motivation0 = min(max(self.random.gauss(mot.initial_mean, mot.initial_sd), 0.0), 1.0)
        self.motivation = self.motivation0
        self.practice = 0.0
        self.adopted = self.ever_adopted = False
        self.origin: str | None = None  # "voluntary" or "mandate"
        self.admin_load = m.base_admin_load
        self.ties: set[Teacher] = set()
        self.exposure = 0.0
        self.coaching = 0.0

    @property
    def supervisor(self) -> Supervisor:
        return self.model.supervisors[self.school.zone]

    def genuine(self) -> bool:
        return (
            self.adopted and self.practice >= self.model.params.behaviour.practice.genuine_threshold
        )

    def required(self) -> bool:
        return self.model.mandate_in_force() and self.school.mandated

    def enrol(self, origin: str, practice: float) -> None:
        self.adopted = self.ever_adopted = True
        self.origin = origin
        self.practice = max(self.practice, practice)
        self.school.ever_adopted = True

    def notice_contacts(self) -> None:
        """Share of colleagues and personal ties who practise the method for real."""
        if self.model.params.system.network.kind == "well_mixed":
            others = self.model.genuine_count - self.genuine()
            self.exposure = others / max(len(self.model.teacher_list) - 1, 1)
            return
        at_school = sum(t.genuine() for t in self.school.teachers if t is not self)
        tied = sum(t.genuine() for t in self.ties)
        contacts = self.school.n_teachers - 1 + len(self.ties)
        self.exposure = (at_school + tied) / contacts if contacts > 0 else 0.0

    def consider_joining(self) -> None:
        if self.adopted:
            return
        d = self.model.params.behaviour.diffusion
        outreach = d.spontaneous if self.model.movement_active else 0.0
        demonstrating = self.model.seen_demonstrations[self.school.zone]
        hazard = outreach + d.imitation * self.exposure + d.demonstration_reach * demonstrating
        hazard *= self.supervisor.openness(self.school)
        if not self.model.mobilizing_structures():
            hazard *= d.unorganized
        if d.motivation_gate:
            hazard *= self.motivation
        if self.random.random() < 1.0 - math.exp(-hazard):
            self.enrol("voluntary", self.model.params.behaviour.practice.join_voluntary)

    def do_paperwork(self) -> None:
        m = self.model.params.behaviour
        load = m.base_admin_load
        if not self.school.sheltered:
            if self.supervisor.stance == ENFORCE:
                load += m.supervision.paperwork_load
            if self.required():
                load += self.model.params.scenario.mandate.paperwork
        self.admin_load = min(max(load, 0.0), 1.0)

    def learn_practice(self) -> None:
        """Coaching received this month, interchanges, practising with students, and decay."""
        p = self.model.params.behaviour.practice
        gain = self.coaching
        if self.adopted:
            gain += p.peer_rate * self.exposure
            gain += p.student_rate * self.school.tutor_share()
            gain += p.self_rate * self.motivation * self.school.tutorial_time()
            loss = p.decay * self.practice * (1.0 - self.motivation)
        else:
            loss = p.decay * self.practice
        self.practice = min(max(self.practice + gain * (1.0 - self.practice) - loss, 0.0), 1.0)
        self.coaching = 0.0

    def update_motivation(self) -> None:
        m = self.model.params.behaviour
        p = m.motivation
        delta = -p.paperwork * (self.admin_load - m.base_admin_load)
        delta += p.recovery * (self.motivation0 - self.motivation)
        if self.school.punished:
            delta -= p.test_pressure * self.model.params.scenario.testing.pressure
        if self.adopted:
            delta += p.reward * self.school.engagement
            delta -= p.control * self.felt_control()
            delta -= p.opposition * self.opposition()
        self.motivation = min(max(self.motivation + delta, 0.0), 1.0)

    def felt_control(self) -> float:
        if self.school.sheltered:
            return 0.0
        sup = self.supervisor
        enforcing = (1.0 - sup.leeway) if sup.stance == ENFORCE else 0.0
        mandated = self.model.params.scenario.mandate.control if self.required() else 0.0
        return max(enforcing, mandated)

    def opposition(self) -> float:
        colleagues = self.school.n_teachers - 1
        if colleagues <= 0:
            return 0.0
        adopted = sum(t.adopted for t in self.school.teachers if t is not self)
        return 1.0 - adopted / colleagues

    def consider_lapsing(self) -> None:
        p = self.model.params.behaviour.motivation
        on_paper_only = not self.genuine() and self.origin == "mandate"
        demotivated = self.motivation < p.lapse_threshold
        at_risk = self.adopted and (demotivated or on_paper_only) and not self.required()
        if at_risk and self.random.random() < p.lapse_rate:
            self.adopted = False

    def move_to(self, school: School) -> None:
        self.school.teachers.remove(self)
        self.school = school
        school.teachers.append(self)
        if self.origin == "mandate" and not school.mandated:
            self.adopted = False  # an adoption on paper stays with the mandated school


class Student(mesa.Agent):
    """A student: chooses a tema by interest, inquires with a tutor, demonstrates, tutors."""

    def __init__(self, model: ReferenceModel, school: School) -> None:
        super().__init__(model)
        self.school = school
        school.students.append(self)
        self.grade = self.random.randrange(model.params.behaviour.turnover.cohort_years)
        self.enter_school()

    def enter_school(self) -> None:
        m = self.model.params.behaviour
        spread = m.assessment.initial_spread
        self.mastery = [
            min(max(self.school.achievement + spread * self.random.gauss(0.0, 1.0), 0.0), 1.0)
            for _ in range(m.catalogue.topics)
        ]
        self.interest = [self.random.randrange(256) for _ in range(m.catalogue.topics)]
        self.tema: int | None = None
        self.tutor_of: set[int] = set()

    def attend_lesson(self, k: int) -> None:
        """The whole-class lesson of the month's tema, at one pace for all."""
        rate = self.model.params.behaviour.tutoring.conventional_rate
        self.mastery[k] += rate * (1.0 - self.mastery[k])

    def choose_tema(self, supply: list[float]) -> None:
        """Keep a tema still offered, or choose the most interesting one not yet mastered."""
        if self.tema is not None and supply[self.tema] > 0:
            return
        threshold = self.model.params.behaviour.catalogue.demonstration_threshold
        self.tema, best = None, -1
        for k, offered in enumerate(supply):
            if offered > 0 and self.mastery[k] < threshold and self.interest[k] > best:
                self.tema, best = k, self.interest[k]

    def inquire(self, pace: float) -> float:
        """A month of inquiry with a tutor; returns the mastery gained per unit of room left."""
        m = self.model.params.behaviour
        w = m.tutoring.interest_weight
        gain = pace * (self.interest[self.tema] / 255.0 * w + (1.0 - w))
        self.mastery[self.tema] += gain * (1.0 - self.mastery[self.tema])
        if self.mastery[self.tema] >= m.catalogue.demonstration_threshold:
            self.tutor_of.add(self.tema)  # public demonstration: now a tutor of the tema
            self.school.demonstrations += 1
            self.tema = None
        return gain

    def score(self) -> float:
        return sum(self.mastery) / len(self.mastery)

    def graduate_or_advance(self) -> None:
        self.grade += 1
        if self.grade >= self.model.params.behaviour.turnover.cohort_years:
            self.grade = 0  # a new student takes the place
            self.enter_school()


class Supervisor(mesa.Agent):
    """A zone supervisor: protects, models the practice by coaching, or enforces paperwork."""

    def __init__(self, model: ReferenceModel, zone: int) -> None:
        super().__init__(model)
        s = model.params.behaviour.supervision
        self.zone = zone
        draw = self.random.random()
        if draw < s.protect:
            self.stance = PROTECT
        elif draw < s.protect + s.models_practice:
            self.stance = MODEL
        else:
            self.stance = ENFORCE
        self.leeway = s.leeway
        self.capacity = s.capacity
        self.load = 0.0
        self.schools: list[School] = []

    def adopters(self) -> list[Teacher]:
        return [t for school in self.schools for t in school.teachers if t.adopted]

    def openness(self, school: School) -> float:
        s = self.model.params.behaviour.supervision
        if self.stance == PROTECT:
            value = 1.0 + s.protect_boost
        elif self.stance == ENFORCE:
            value = 1.0 - s.block * (1.0 - self.leeway)
        else:
            value = 1.0
        return max(value, 1.0) if school.sheltered else value

    def supervise(self) -> None:
        """Measure load, drift to format-checking when overloaded, be won over by demonstrations."""
        s = self.model.params.behaviour.supervision
        self.load = len(self.adopters()) / s.load_per_supervisor
        pressure = max(self.load - 1.0, 0.0) + s.reporting_drift * self.reporting_pressure()
        p_drift = s.drift_rate * pressure * (1.0 - self.leeway)
        if self.random.random() < p_drift and self.stance != ENFORCE:
            self.stance = ENFORCE
        demonstrating = self.model.demonstrating_schools(self.zone)
        p_convert = 1.0 - math.exp(-s.conversion_rate * demonstrating)
        if self.random.random() < p_convert and self.stance == ENFORCE and self.load <= 1.0:
            self.stance = MODEL

    def reporting_pressure(self) -> float:
        """A mandate's reporting on unsheltered required schools, plus adopting schools that
        lost their shelter, per school of the zone."""
        paperwork = self.model.params.scenario.mandate.paperwork
        in_force = self.model.mandate_in_force()
        reporting = sum(s.mandated and not s.sheltered and in_force for s in self.schools)
        lost = sum(s.practising() and s.was_sheltered and not s.sheltered for s in self.schools)
        return (paperwork * reporting + lost) / max(len(self.schools), 1)

    def coach(self) -> None:
        """A supervisor who models the practice visits its zone's adopters as far as time allows."""
        adopters = self.adopters()
        if self.stance != MODEL or not adopters:
            return
        self.model.coaching_capacity += self.capacity
        p_visit = min(1.0, self.capacity / len(adopters))
        for teacher in adopters:
            if self.random.random() < p_visit:
                teacher.coaching += self.model.params.behaviour.practice.coach_rate


# --------------------------------------------------------------------------- ministry
@dataclass
class Programme:
    """A rollout of `pace_per_step` schools a step from `start_step` until `target` schools."""

    mode: str  # "mandate" or "invite"
    start_step: int
    pace_per_step: float
    target: int
    sheltered: bool
    enrolled: int = 0
    credit: float = 0.0
    active: bool = True

    def due(self, step: int) -> int:
        if not self.active or step < self.start_step or self.enrolled >= self.target:
            return 0
        self.credit += self.pace_per_step
        n = min(int(self.credit), self.target - self.enrolled)
        self.credit -= n
        return n


# --------------------------------------------------------------------------- the model
class ReferenceModel(mesa.Model):
    """Same rules as ``sim.model.TutorialNetworkModel``, one object per agent."""

    def __init__(self, params: Params, seed: int, record_steps: bool = True) -> None:
        super().__init__(rng=seed)
        self.params = params
        self.record_steps = record_steps
        self.build()
        sc = params.scenario
        self.movement_active = sc.movement.enabled
        self.ministry_coaches = 0
        self.reversed = False
        self.visited = False
        self.programmes: list[Programme] = []
        if sc.mandate.enabled:
            start = self.step_of_year(sc.mandate.start_year)
            pace = sc.mandate.pace / params.behaviour.steps_per_year
            self.programmes.append(
                Programme("mandate", start, pace, sc.mandate.target, sc.sheltered)
            )
        self.coach_load = 0.0
        self.coaching_capacity = 0
        self.seed_movement()
        self.notice_contacts()
        # Like the fast engine, record the outcomes every step (a Mesa DataCollector), unless
        # only the final ones are wanted.
        self.initial_mastery = self.mean_mastery()
        self.latest: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.latest[k]) for k in OUTCOMES}
        )
        self.collect()

    # ----------------------------------------------------------------- building
    def build(self) -> None:
        p = self.params.system
        n_zones = p.n_zones
        shares = [t.share for t in p.school_types]
        self.school_list: list[School] = []
        for zone in range(n_zones):
            for _ in range(self.random.randint(*p.schools_per_zone)):
                kind = self.random.choices(range(len(shares)), weights=shares)[0]
                self.school_list.append(School(self, zone, kind))
        self.teacher_list = [
            Teacher(self, school) for school in self.school_list for _ in range(school.n_teachers)
        ]
        self.student_list = [
            Student(self, school) for school in self.school_list for _ in range(school.n_students)
        ]
        self.supervisors = [Supervisor(self, zone) for zone in range(n_zones)]
        for school in self.school_list:
            self.supervisors[school.zone].schools.append(school)
        self.tie_teachers()

    def tie_teachers(self) -> None:
        """Ties to random colleagues of the same zone and to random teachers anywhere."""
        net = self.params.system.network
        by_zone: dict[int, list[Teacher]] = {}
        for t in self.teacher_list:
            by_zone.setdefault(t.zone_at_start, []).append(t)
        for t in self.teacher_list:
            others = [self.random.choice(by_zone[t.zone_at_start]) for _ in range(net.zone_ties)]
            others += [self.random.choice(self.teacher_list) for _ in range(net.long_ties)]
            for other in others:
                if other is not t:
                    t.ties.add(other)
                    other.ties.add(t)

    def seed_movement(self) -> None:
        """Volunteer teachers in a few small schools of a few states start the movement."""
        mv = self.params.scenario.movement
        if not mv.enabled or mv.seed_schools == 0:
            return
        n_states = self.params.system.states
        states = set(self.random.sample(range(n_states), min(mv.seed_states, n_states)))
        pool = [s for s in self.school_list if s.state in states and s.kind == 0]
        if len(pool) < mv.seed_schools:
            pool = [s for s in self.school_list if s.state in states]
        for school in self.random.sample(pool, min(mv.seed_schools, len(pool))):
            for t in school.teachers:
                t.enrol("voluntary", self.params.behaviour.practice.join_voluntary)

    # ----------------------------------------------------------------- shared reads
    def step_of_year(self, years: float) -> int:
        return max(1, round(years * self.params.behaviour.steps_per_year))

    def end_of_school_year(self) -> bool:
        return self.steps > 0 and self.steps % self.params.behaviour.steps_per_year == 0

    def mandate_in_force(self) -> bool:
        return not self.reversed and any(p.active and p.mode == "mandate" for p in self.programmes)

    def mobilizing_structures(self) -> bool:
        nodes = self.params.scenario.mandate.coaching == "nodes" and self.mandate_in_force()
        return self.movement_active or nodes

    def demonstrating_schools(self, zone: int) -> int:
        schools = self.supervisors[zone].schools
        return sum(s.demonstration_shown() for s in schools)

    def cascade_depth(self) -> int:
        m = self.params.scenario.mandate
        required = sum(s.n_teachers for s in self.school_list if s.mandated)
        if required <= m.trainers:
            return 1
        return 1 + math.ceil(math.log(required / m.trainers) / math.log(m.fanout))

    def cascade_quality(self) -> float:
        """Share of the practice that reaches the end of the cascade."""
        return self.retention() ** self.cascade_depth()

    def retention(self) -> float:
        m = self.params.scenario.mandate
        return m.node_retention if m.coaching == "nodes" else m.retention

    # ----------------------------------------------------------------- the month
    def step(self) -> None:
        self.open_opportunities()
        self.open_if_seen()
        self.withdraw_if_due()
        self.roll_out()
        self.notice_contacts()
        # Demonstrations weighted by how genuine the showing school is, seen before anyone joins.
        self.seen_demonstrations = [
            self.demonstrating_schools(zone) for zone in range(len(self.supervisors))
        ]
        for t in self.teacher_list:
            t.consider_joining()
        for school in self.school_list:
            school.was_sheltered = school.was_sheltered or school.sheltered
        for sup in self.supervisors:
            sup.supervise()
        for t in self.teacher_list:
            t.do_paperwork()
        self.coach_teachers()
        for t in self.teacher_list:
            t.learn_practice()
        self.tutor_students()
        if self.end_of_school_year():
            self.test_and_punish()
        for t in self.teacher_list:
            t.update_motivation()
        for t in self.teacher_list:
            t.consider_lapsing()
        self.move_teachers()
        if self.end_of_school_year():
            for s in self.student_list:
                s.graduate_or_advance()
        if self.record_steps:
            self.collect()

    def collect(self) -> None:
        self.latest = self.outcomes()
        self.datacollector.collect(self)

    def open_opportunities(self) -> None:
        endogenous = self.params.scenario.openings == "endogenous"
        for event in self.params.scenario.events:
            if self.step_of_year(event.year) != self.steps or self.reversed:
                continue
            if endogenous and event.kind != "leader_joins_ministry":
                continue  # pilots open when authorities see genuine work instead
            if event.kind == "leader_joins_ministry":
                self.ministry_coaches += event.coaches
                for school in self.school_list:
                    school.sheltered = school.sheltered or school.practising()
            else:  # deputy_visit, ministry_pilot: a pilot invites schools near the movement
                pace = event.pace / self.params.behaviour.steps_per_year
                self.programmes.append(Programme("invite", self.steps, pace, event.target, True))

    def open_if_seen(self) -> None:
        """An authority may see a genuine demonstration; if it does, a pilot opens once."""
        o = self.params.behaviour.opportunities
        if self.params.scenario.openings != "endogenous" or self.visited or self.reversed:
            return
        if not self.movement_active:
            return
        seen = sum(s.demonstration_shown() for s in self.school_list)
        if self.random.random() >= 1.0 - math.exp(-o.visibility * seen):
            return
        self.visited = True
        share = self.params.behaviour.school_genuine_share
        genuine = 0
        for school in self.school_list:
            adopters = school.adopters()
            n = sum(t.genuine() for t in adopters)
            genuine += n > 0 and n >= share * len(adopters)
        target = round(o.pilot_per_genuine_school * genuine)
        pace = target / o.pilot_years / self.params.behaviour.steps_per_year
        self.programmes.append(Programme("invite", self.steps, pace, target, True))

    def withdraw_if_due(self) -> None:
        year = self.params.scenario.reversal_year
        if year is None or self.step_of_year(year) != self.steps or self.reversed:
            return
        self.reversed = True
        for prog in self.programmes:
            prog.active = False
        for school in self.school_list:
            school.mandated = school.sheltered = False
        self.ministry_coaches = 0

    def roll_out(self) -> None:
        for prog in self.programmes:
            n = prog.due(self.steps)
            if n == 0:
                continue
            if prog.mode == "mandate":
                by_achievement = sorted(self.school_list, key=lambda s: s.achievement)
                chosen = [s for s in by_achievement if not s.mandated][:n]
            else:
                chosen = self.near_movement(n)
            prog.enrolled += len(chosen)
            for school in chosen:
                school.sheltered = school.sheltered or prog.sheltered
                if prog.mode == "mandate":
                    school.mandated = True
                else:
                    self.invite(school)
        if self.mandate_in_force():
            dose = self.params.behaviour.practice.join_voluntary
            dose *= self.cascade_quality()
            for t in self.teacher_list:
                if t.school.mandated and not t.adopted:
                    t.enrol("mandate", dose)

    def near_movement(self, n: int) -> list[School]:
        practising_in_zone = [0] * len(self.supervisors)
        for school in self.school_list:
            practising_in_zone[school.zone] += school.practising()
        candidates = [s for s in self.school_list if not s.practising() and not s.mandated]
        score = {s: practising_in_zone[s.zone] + 0.5 * self.random.random() for s in candidates}
        return sorted(candidates, key=lambda s: -score[s])[:n]

    def invite(self, school: School) -> None:
        threshold = self.params.behaviour.motivation.lapse_threshold
        for t in school.teachers:
            if not t.adopted and t.motivation >= threshold:
                t.enrol("voluntary", self.params.behaviour.practice.join_voluntary)

    def notice_contacts(self) -> None:
        self.genuine_count = sum(t.genuine() for t in self.teacher_list)
        for t in self.teacher_list:
            t.notice_contacts()

    def coach_teachers(self) -> None:
        """Supervisors who model the practice, the movement's coaches, the ministry's coaches."""
        practice = self.params.behaviour.practice
        self.coaching_capacity = 0
        for sup in self.supervisors:
            sup.coach()
        self.nodes_coach()
        sc = self.params.scenario
        pools = []
        coaches = (sc.movement.coaches if self.movement_active else 0) + self.ministry_coaches
        if coaches:
            pools.append(("voluntary", coaches * sc.movement.coach_capacity, 1.0))
        if self.mandate_in_force() and any(s.mandated for s in self.school_list):
            quality = self.cascade_quality()
            pools.append(("mandate", sc.mandate.coaches * sc.mandate.coach_capacity, quality))
        for origin, visits, quality in pools:
            self.coaching_capacity += visits
            eligible = [t for t in self.teacher_list if t.adopted and t.origin == origin]
            if not eligible or visits == 0:
                continue
            for t in eligible:
                if self.random.random() < min(1.0, visits / len(eligible)):
                    t.coaching += practice.coach_rate * quality
        demand = sum(t.adopted for t in self.teacher_list)
        if practice.coach_rate > 0:  # student tutors' teaching, as coach visits it equals
            from_students = sum(
                practice.student_rate * t.school.tutor_share()
                for t in self.teacher_list
                if t.adopted
            )
            self.coaching_capacity += from_students / practice.coach_rate
        if self.coaching_capacity:
            self.coach_load = demand / self.coaching_capacity
        else:
            self.coach_load = math.inf if demand else 0.0

    def nodes_coach(self) -> None:
        """Zone nodes (nodes design) tutor the adopters of zones the mandate has reached."""
        m = self.params.scenario.mandate
        if m.coaching != "nodes" or not self.mandate_in_force():
            return
        if not any(s.mandated for s in self.school_list):
            return
        for sup in self.supervisors:
            adopters = sup.adopters()
            if not adopters or not any(s.mandated for s in sup.schools):
                continue
            self.coaching_capacity += m.node_capacity
            p_visit = min(1.0, m.node_capacity / len(adopters))
            for teacher in adopters:
                if self.random.random() < p_visit:
                    teacher.coaching += self.params.behaviour.practice.coach_rate * m.node_retention

    def tutor_students(self) -> None:
        k = self.steps % self.params.behaviour.catalogue.topics
        for school in self.school_list:
            school.demonstrations = 0
            school.engagement = 0.0
        for s in self.student_list:
            s.attend_lesson(k)
        for school in self.school_list:
            if school.practising():
                school.run_tutorial_network()

    def test_and_punish(self) -> None:
        testing = self.params.scenario.testing
        for school in self.school_list:
            school.punished = False
        if testing.pressure <= 0:
            return
        n = round(testing.punish_share * len(self.school_list))
        for school in sorted(self.school_list, key=School.score)[:n]:
            school.punished = True

    def move_teachers(self) -> None:
        """Movers swap schools at random, so every school keeps its number of teachers."""
        p = self.params.behaviour
        monthly = 1.0 - (1.0 - p.turnover.teacher_rate) ** (1.0 / p.steps_per_year)
        movers = [t for t in self.teacher_list if self.random.random() < monthly]
        if len(movers) < 2:
            return
        places = [t.school for t in movers]
        self.random.shuffle(places)
        for t, school in zip(movers, places, strict=True):
            t.move_to(school)

    # ----------------------------------------------------------------- outcomes
    def outcomes(self) -> dict[str, float]:
        """The docked outcomes, named as in the fast engine's per-step table."""
        m = self.params.behaviour
        n_genuine = n_surface = 0
        schools_genuine = schools_surface = 0
        adopting: list[School] = []
        for school in self.school_list:
            adopters = school.adopters()
            genuine = sum(t.genuine() for t in adopters)
            n_genuine += genuine
            n_surface += len(adopters) - genuine
            if genuine > 0 and genuine >= m.school_genuine_share * len(adopters):
                schools_genuine += 1
                adopting.append(school)
            elif adopters:
                schools_surface += 1
                adopting.append(school)
        mastery = self.mean_mastery()
        return {
            "teachers_genuine": n_genuine,
            "teachers_surface": n_surface,
            "schools_genuine": schools_genuine,
            "schools_surface": schools_surface,
            "mastery_mean": mastery,
            "mastery_gain": mastery - self.initial_mastery,
            "bureaucratization_index": self.bureaucratization(adopting),
        }

    def mean_mastery(self) -> float:
        return sum(s.score() for s in self.student_list) / len(self.student_list)

    def bureaucratization(self, adopting: list[School]) -> float:
        """Mean of paperwork, cascade loss, coach overload and unsheltered shares."""
        zones = {s.zone for s in adopting} or set(range(len(self.supervisors)))
        paperwork = sum(self.supervisors[z].stance == ENFORCE for z in zones) / len(zones)
        cascade = 0.0
        if self.mandate_in_force() and any(s.mandated for s in self.school_list):
            cascade = 1.0 - self.cascade_quality()
        overload = 0.0 if self.coach_load <= 1.0 else 1.0 - 1.0 / self.coach_load
        ruled = [
            (s.mandated or self.supervisors[s.zone].stance == ENFORCE) and not s.sheltered
            for s in adopting
        ]
        unsheltered = sum(ruled) / len(ruled) if ruled else 0.0
        return (paperwork + cascade + overload + unsheltered) / 4


def run_reference(params: Params, seed: int, steps: int | None = None) -> dict[str, float]:
    """Run the reference model and return its final outcomes."""
    model = ReferenceModel(params, seed, record_steps=False)
    for _ in range(params.steps if steps is None else steps):
        model.step()
    model.collect()
    return model.latest
