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
import numpy as np

from sim.params import Params

PROTECT, MODEL, ENFORCE = "protect", "model", "enforce"
# The outcomes docked against the fast engine (names as in its per-step table).
OUTCOMES = (
    "teachers_genuine",
    "teachers_surface",
    "schools_genuine",
    "schools_surface",
    "mastery_mean",
    "mastery_gain",
    "bureaucratization_index",
    "share_good_excellent",
    "temas_mastered_mean",
    "student_engagement_mean",
    "share_voluntary_time",
    "fund_temas",
)
# Recorded beside them each step, as the fast engine's table has them, but not docked.
ALSO_RECORDED = (
    "share_excellent",
    "mastery_adopting_schools",
    "mastery_other_schools",
    "student_engagement_adopting",
    "demonstrations",
    "graduates_continuing",
    "graduates_continuing_adopting",
    "graduates_continuing_other",
)


def interest(taste: int, k: int) -> int:
    """A student's interest (0..255) in tema k: a fixed hash of its taste and the tema, in
    32-bit arithmetic, so the interest is known without being stored."""
    h = (taste << 8) | k
    h ^= h >> 16
    h = (h * 0x7FEB352D) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x846CA68B) & 0xFFFFFFFF
    h ^= h >> 16
    return h >> 24


# --------------------------------------------------------------------------- agents
class School(mesa.Agent):
    """A school: its teachers come and go, its students stay until they graduate; in practice,
    it runs a tutorial network and holds a demonstration day every few months."""

    def __init__(self, model: ReferenceModel, zone: int, kind: int) -> None:
        super().__init__(model)
        p = model.params.system
        self.index = len(model.school_list)  # the order schools are created in
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
        self.student_tutoring = 0.0  # tutor share x genuineness, set each month before coaching

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
        """Share of the students who tutor a tema."""
        return sum(s.tutors >= 0 for s in self.students) / self.n_students

    def hold_month(self, demonstration_day: bool) -> None:
        """The month's school work: the tutorial network where teachers practise, then for
        every student the whole-class lesson (nothing in the network reads the score), the
        pull of engagement back to rest and, on a demonstration day of a school that practises
        (someone organizes it), the demonstrations."""
        practising = self.practising()
        if practising:
            self.run_tutorial_network()
        rest = self.model.params.behaviour.students.engagement_rest
        self.demonstrations = 0
        above_rest = 0.0
        for student in self.students:
            student.attend_lesson()
            student.relax()
            if demonstration_day and practising:
                self.demonstrations += student.demonstrate()
            if student.engagement > rest:
                above_rest += student.engagement - rest
        # What rewards its teachers: how far its students are above rest, on average, as a share
        # of the room above rest.
        self.engagement = above_rest / (1.0 - rest) / len(self.students) if rest < 1.0 else 0.0

    def run_tutorial_network(self) -> None:
        """Tutors offer their temas, learners drop what is no longer offered, choose by interest
        and inquire, at a pace shared among the learners of each tema."""
        m = self.model.params.behaviour
        fund = self.model.fund
        supply = [0] * fund
        for teacher in self.adopters():
            for k in teacher.temas:
                supply[k] += m.tutoring.tutees_per_teacher
        for student in self.students:
            if student.tutors >= 0:
                supply[student.tutors] += m.tutoring.tutees_per_student_tutor
        offered = [k for k in range(fund) if supply[k] > 0]
        demand = [0] * fund
        for student in self.students:
            student.drop_unoffered(supply)
            student.choose_temas(offered)
            for k in student.unfinished():
                demand[k] += 1
        ratio = [min(1.0, supply[k] / demand[k]) if demand[k] else 0.0 for k in range(fund)]
        pace = m.tutoring.rate * self.fidelity() * self.tutorial_time()
        for student in self.students:
            student.inquire(pace, ratio)

    def score(self) -> float:
        return sum(s.score for s in self.students) / len(self.students)


class Teacher(mesa.Agent):
    """A teacher: takes up the practice, learns it and temas from coaches, peers and visiting
    students, works out new temas in genuine practice, may drop the practice."""

    def __init__(self, model: ReferenceModel, school: School) -> None:
        super().__init__(model)
        m = model.params.behaviour
        self.school = school
        school.teachers.append(self)
        self.zone_at_start = school.zone
        n_temas = self.random.randint(*m.catalogue.teacher_temas)
        self.temas = set(self.random.sample(range(m.catalogue.initial_fund), n_temas))
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
        # Outreach: a state's team reaches `outreach` teachers a month, whatever the state's size.
        teachers_here = self.model.teachers_in_state[self.school.state]
        outreach = d.outreach / teachers_here if self.model.movement_active else 0.0
        demonstrating = self.model.seen_demonstrations[self.school.zone]
        hazard = outreach + d.imitation * self.exposure + d.demonstration_reach * demonstrating
        hazard *= self.supervisor.openness(self.school)
        if not self.model.mobilizing_structures():
            hazard *= d.unorganized
        if d.motivation_gate:
            hazard *= self.motivation
        if self.random.random() < 1.0 - math.exp(-hazard):
            self.enrol("voluntary", self.model.params.behaviour.practice.join_voluntary)

    def host_student_tutor(self, k: int, worth: float) -> None:
        """A visiting student tutors this teacher in tema k: it learns the tema; an adopter
        learns some of the practice, as much as the sending school practises it for real; a
        teacher who has not adopted may join."""
        m = self.model.params
        self.temas.add(k)
        if self.adopted:
            self.practice += m.behaviour.practice.coach_rate * worth * (1.0 - self.practice)
            return
        chance = m.scenario.exchanges.recruit * worth * self.supervisor.openness(self.school)
        if self.random.random() < min(1.0, chance):
            self.enrol("voluntary", m.behaviour.practice.join_voluntary)

    def do_paperwork(self) -> None:
        m = self.model.params.behaviour
        load = m.base_admin_load
        if not self.school.sheltered:
            if self.supervisor.stance == ENFORCE:
                load += m.supervision.paperwork_load
            if self.required():
                load += self.model.params.scenario.mandate.paperwork
        self.admin_load = min(max(load, 0.0), 1.0)

    def be_coached(self, gain: float) -> None:
        """A coaching visit: practice to be learnt this month, and one tema of the fund."""
        self.coaching += gain
        self.temas.add(self.random.randrange(self.model.fund))

    def learn_practice(self) -> None:
        """Coaching received this month, interchanges, practising with students, and decay."""
        p = self.model.params.behaviour.practice
        gain = self.coaching
        if self.adopted:
            gain += p.peer_rate * self.exposure
            gain += p.student_rate * self.school.student_tutoring
            gain += p.self_rate * self.motivation * self.school.tutorial_time()
            loss = p.decay * self.practice * (1.0 - self.motivation)
        else:
            loss = p.decay * self.practice
        self.practice = min(max(self.practice + gain * (1.0 - self.practice) - loss, 0.0), 1.0)
        self.coaching = 0.0

    def work_out_tema(self) -> None:
        """In genuine practice a teacher now and then works out a new tema for the shared fund,
        while the fund has room."""
        model = self.model
        catalogue = model.params.behaviour.catalogue
        if not self.genuine() or self.random.random() >= catalogue.new_tema_rate:
            return
        if model.fund < catalogue.size:
            self.temas.add(model.fund)
            model.fund += 1

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
    """A student: holds a few temas chosen by interest, inquires with a tutor (in its own time
    too once engaged), demonstrates on its school's demonstration day and tutors its latest
    tema; the whole-class lesson and each demonstration raise its score."""

    def __init__(self, model: ReferenceModel, school: School) -> None:
        super().__init__(model)
        self.school = school
        school.students.append(self)
        self.grade = self.random.randrange(model.params.behaviour.turnover.cohort_years)
        self.enter_school()

    def enter_school(self) -> None:
        m = self.model.params.behaviour
        spread = m.assessment.initial_spread
        score = self.school.achievement + spread * self.random.gauss(0.0, 1.0)
        self.score = min(max(score, 0.0), 1.0)
        self.taste = self.random.randrange(1 << 16)
        self.engagement = m.students.engagement_rest
        self.temas = [-1] * m.catalogue.held  # held temas, -1 for a free slot
        self.progress = [0.0] * m.catalogue.held
        self.mastered: set[int] = set()  # demonstrated temas
        self.tutors = -1  # the tema it tutors: its latest demonstrated

    def attend_lesson(self) -> None:
        """The whole-class lesson, at one pace for all."""
        rate = self.model.params.behaviour.tutoring.conventional_rate
        self.score += rate * (1.0 - self.score)

    def unfinished(self) -> list[int]:
        """Held temas still being learnt."""
        return [k for k, done in zip(self.temas, self.progress, strict=True) if k >= 0 and done < 1]

    def drop_unoffered(self, supply: list[int]) -> None:
        """An unfinished tema nobody at school tutors any more is given up."""
        for j, k in enumerate(self.temas):
            if k >= 0 and self.progress[j] < 1.0 and supply[k] == 0:
                self.temas[j], self.progress[j] = -1, 0.0

    def choose_temas(self, offered: list[int]) -> None:
        """Each free slot takes the most interesting offered tema not mastered nor held (the
        lowest on ties), or stays free."""
        for j in range(len(self.temas)):
            if self.temas[j] >= 0:
                continue
            best, best_interest = -1, -1
            for k in offered:
                if k in self.mastered or k in self.temas:
                    continue
                i = interest(self.taste, k)
                if i > best_interest:
                    best, best_interest = k, i
            self.temas[j] = best

    def inquire(self, pace: float, ratio: list[float]) -> None:
        """A month of inquiry, its time shared among the unfinished temas; progress engages."""
        m = self.model.params.behaviour
        w = m.tutoring.interest_weight
        st = m.students
        active = [j for j, k in enumerate(self.temas) if k >= 0 and self.progress[j] < 1.0]
        if not active:
            return
        own_time = 1.0 + st.voluntary_time if self.engagement >= st.voluntary_threshold else 1.0
        effort = self.model.effort
        made = 0.0
        for j in active:
            k = self.temas[j]
            speed = (1.0 - w) + w * interest(self.taste, k) / 255.0
            step = pace * ratio[k] * speed * own_time / len(active) / effort[k]
            progress = min(1.0, self.progress[j] + step)
            made += progress - self.progress[j]
            self.progress[j] = progress
        self.engagement += st.engagement_gain * made * (1.0 - self.engagement)

    def relax(self) -> None:
        """Engagement drifts back toward its resting level."""
        st = self.model.params.behaviour.students
        self.engagement -= st.engagement_decay * (self.engagement - st.engagement_rest)

    def demonstrate(self) -> int:
        """On a demonstration day each finished tema is shown in public: mastered, tutored from
        now on, worth some score and some confidence; its slot is freed. Returns how many."""
        if 1.0 not in self.progress:
            return 0  # nothing finished to show (progress stops at 1)
        m = self.model.params.behaviour
        shown = 0
        for j, k in enumerate(self.temas):
            if k >= 0 and self.progress[j] >= 1.0:
                self.mastered.add(k)
                self.tutors = k
                self.score += m.catalogue.tema_worth * (1.0 - self.score)
                self.engagement += m.students.demonstration_boost * (1.0 - self.engagement)
                self.temas[j], self.progress[j] = -1, 0.0
                shown += 1
        return shown

    def go_on_exchange(self, host: School, worth: float) -> bool:
        """A visit to another school's students and teachers: it engages; a tutor tutors one of
        the host's teachers in its tema. Returns whether it tutored a teacher."""
        boost = self.model.params.scenario.exchanges.boost
        self.engagement += boost * (1.0 - self.engagement)
        if self.tutors < 0:
            return False
        self.random.choice(host.teachers).host_student_tutor(self.tutors, worth)
        return True

    def graduate_or_advance(self) -> float | None:
        """Moves up a grade; a leaver's place goes to a new student. Returns a leaver's chance
        of going on to upper secondary (None for those who stay)."""
        self.grade += 1
        if self.grade < self.model.params.behaviour.turnover.cohort_years:
            return None
        st = self.model.params.behaviour.students
        chance = st.continue_base + st.continue_engagement * (self.engagement - st.engagement_rest)
        self.grade = 0
        self.enter_school()
        return min(max(chance, 0.0), 1.0)


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
                teacher.be_coached(self.model.params.behaviour.practice.coach_rate)


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
        catalogue = params.behaviour.catalogue
        # The shared fund of temas: the first `fund` exist; each has its effort (median 1).
        self.fund = catalogue.initial_fund
        self.effort = [
            math.exp(catalogue.effort_spread * self.random.gauss(0.0, 1.0))
            for _ in range(catalogue.size)
        ]
        self.build()
        # ENLACE cut-offs, fixed from the starting distribution of scores.
        a = params.behaviour.assessment
        scores = [s.score for s in self.student_list]
        self.good = float(np.quantile(scores, 1.0 - a.good_share))
        self.excellent = float(np.quantile(scores, 1.0 - a.excellent_share))
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
        self.exchange_visits = 0  # teachers tutored by visiting students this month
        # Mean chance of going on to upper secondary of the latest leavers: all, of adopting
        # schools, of the others.
        self.continuing = (math.nan, math.nan, math.nan)
        self.seed_movement()
        self.notice_contacts()
        # Like the fast engine, record the outcomes every step (a Mesa DataCollector), unless
        # only the final ones are wanted.
        self.initial_mastery = self.mean_mastery()
        self.latest: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.latest[k]) for k in OUTCOMES + ALSO_RECORDED}
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
        self.teachers_in_state = {}
        for school in self.school_list:
            here = self.teachers_in_state.get(school.state, 0)
            self.teachers_in_state[school.state] = here + school.n_teachers
        for t in self.teacher_list:
            t.consider_joining()
        self.hold_exchanges()  # after recruitment, before supervision and coaching
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
            self.graduate_cohort()
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
        # What a school's student tutors pass on to its teachers: as many as tutor, worth what
        # the school practises for real, both as they stand before this month's learning.
        for school in self.school_list:
            school.student_tutoring = school.tutor_share() * school.genuineness()
        # Teachers tutored by visiting students count as that many coach visits.
        self.coaching_capacity = self.exchange_visits
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
            mandated = sum(s.mandated for s in self.school_list)
            coaches = sc.mandate.coaches + round(sc.mandate.coaches_per_school * mandated)
            pools.append(("mandate", coaches * sc.mandate.coach_capacity, quality))
        for origin, visits, quality in pools:
            self.coaching_capacity += visits
            eligible = [t for t in self.teacher_list if t.adopted and t.origin == origin]
            if not eligible or visits == 0:
                continue
            for t in eligible:
                if self.random.random() < min(1.0, visits / len(eligible)):
                    t.be_coached(practice.coach_rate * quality)
        demand = sum(t.adopted for t in self.teacher_list)
        if practice.coach_rate > 0:  # student tutors' teaching, as coach visits it equals
            from_students = sum(
                practice.student_rate * t.school.student_tutoring
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
                    teacher.be_coached(self.params.behaviour.practice.coach_rate * m.node_retention)

    def hold_exchanges(self) -> None:
        """Academic exchanges: every few months, while someone organizes them, each adopting
        school sends a few students to another school of its zone."""
        ex = self.params.scenario.exchanges
        self.exchange_visits = 0
        if ex.every == 0 or self.steps % ex.every != 0 or not self.mobilizing_structures():
            return
        # Who sends, and what its visitors show, as things stand when the exchanges start.
        senders = [(s, s.genuineness()) for s in self.school_list if s.practising()]
        for school, worth in senders:
            hosts = [h for h in self.supervisors[school.zone].schools if h is not school]
            if not hosts:
                continue
            host = self.random.choice(hosts)
            for student in self.goers(school, min(ex.students, len(school.students))):
                self.exchange_visits += student.go_on_exchange(host, worth)

    def goers(self, school: School, n: int) -> list[Student]:
        """The students a school sends, by the scenario's selection (ties: school order)."""
        selection = self.params.scenario.exchanges.selection
        students = school.students
        if selection == "tutors":
            tutors = [s for s in students if s.tutors >= 0]
            chosen = self.random.sample(tutors, min(n, len(tutors)))
            others = [s for s in students if s.tutors < 0]
            return chosen + self.random.sample(others, n - len(chosen))
        if selection == "lottery":
            return self.random.sample(students, n)
        if selection == "top_scorers":
            return sorted(students, key=lambda s: -s.score)[:n]
        return sorted(students, key=lambda s: s.engagement)[:n]  # least_engaged

    def tutor_students(self) -> None:
        """Genuine teachers add to the fund, then each school's month of lessons, tutorial
        network and, on its calendar, demonstration day."""
        for t in self.teacher_list:
            t.work_out_tema()
        every = self.params.behaviour.catalogue.demonstration_every
        for school in self.school_list:
            school.hold_month(demonstration_day=(self.steps + school.index) % every == 0)

    def test_and_punish(self) -> None:
        testing = self.params.scenario.testing
        for school in self.school_list:
            school.punished = False
        if testing.pressure <= 0:
            return
        n = round(testing.punish_share * len(self.school_list))
        for school in sorted(self.school_list, key=School.score)[:n]:
            school.punished = True

    def graduate_cohort(self) -> None:
        """The oldest grade leaves, new students enter; record how many leavers go on."""
        leavers: dict[bool, list[float]] = {True: [], False: []}
        for school in self.school_list:
            adopting = school.practising()
            for student in school.students:
                chance = student.graduate_or_advance()
                if chance is not None:
                    leavers[adopting].append(chance)
        everyone = leavers[True] + leavers[False]
        self.continuing = (_mean(everyone), _mean(leavers[True]), _mean(leavers[False]))

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
        """The docked outcomes and those recorded beside them, named as in the fast engine's
        per-step table."""
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
        students = self.students_summary(adopting)
        n = len(self.student_list)
        mastery = students["score"] / n
        return {
            "teachers_genuine": n_genuine,
            "teachers_surface": n_surface,
            "schools_genuine": schools_genuine,
            "schools_surface": schools_surface,
            "mastery_mean": mastery,
            "mastery_gain": mastery - self.initial_mastery,
            "bureaucratization_index": self.bureaucratization(adopting),
            "share_good_excellent": students["good"] / n,
            "temas_mastered_mean": students["mastered"] / n,
            "student_engagement_mean": students["engagement"] / n,
            "share_voluntary_time": students["voluntary"] / n,
            "fund_temas": self.fund,
            "share_excellent": students["excellent"] / n,
            "mastery_adopting_schools": _ratio(students["score_adopting"], students["adopting"]),
            "mastery_other_schools": _ratio(
                students["score"] - students["score_adopting"], n - students["adopting"]
            ),
            "student_engagement_adopting": _ratio(
                students["engagement_adopting"], students["adopting"]
            ),
            "demonstrations": sum(s.demonstrations for s in self.school_list),
            "graduates_continuing": self.continuing[0],
            "graduates_continuing_adopting": self.continuing[1],
            "graduates_continuing_other": self.continuing[2],
        }

    def students_summary(self, adopting: list[School]) -> dict[str, float]:
        """Totals over the students, in one pass: score, ENLACE levels, temas mastered,
        engagement, those who give their own time; and score and engagement in the adopting
        schools."""
        threshold = self.params.behaviour.students.voluntary_threshold
        good = excellent = mastered = voluntary = 0
        score = engagement = 0.0
        score_adopting = engagement_adopting = 0.0
        n_adopting = 0
        in_adopting = set(adopting)
        for school in self.school_list:
            school_score = school_engagement = 0.0
            for s in school.students:
                school_score += s.score
                school_engagement += s.engagement
                good += s.score >= self.good
                excellent += s.score >= self.excellent
                mastered += len(s.mastered)
                voluntary += s.engagement >= threshold
            score += school_score
            engagement += school_engagement
            if school in in_adopting:
                score_adopting += school_score
                engagement_adopting += school_engagement
                n_adopting += len(school.students)
        return {
            "score": score,
            "good": good,
            "excellent": excellent,
            "mastered": mastered,
            "engagement": engagement,
            "voluntary": voluntary,
            "score_adopting": score_adopting,
            "engagement_adopting": engagement_adopting,
            "adopting": n_adopting,
        }

    def mean_mastery(self) -> float:
        return sum(s.score for s in self.student_list) / len(self.student_list)

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


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _ratio(total: float, count: float) -> float:
    return total / count if count else math.nan


def run_reference(params: Params, seed: int, steps: int | None = None) -> dict[str, float]:
    """Run the reference model and return its final outcomes."""
    model = ReferenceModel(params, seed, record_steps=False)
    for _ in range(params.steps if steps is None else steps):
        model.step()
    model.collect()
    return model.latest
