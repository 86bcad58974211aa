"""Each mechanism does what the theory says, and a plausible bug in it would fail here."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_model

from sim.kinds import Origin, SchoolState, Stance
from sim.metrics import school_states
from sim.params import EventParams
from sim.population import TASTES, bit, popcount64
from sim.practice import genuine_teachers, school_adopted
from sim.rules import (
    catalogue,
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
from sim.rules.adoption import enrol
from sim.rules.lessons import StudentSums


def adopt_school(model, school: int, practice: float, origin: int = Origin.VOLUNTARY) -> np.ndarray:
    teachers = np.flatnonzero(model.teachers.school == school)
    enrol(model, teachers, origin, practice)
    return teachers


def clear_adoption(model) -> None:
    t = model.teachers
    t.adopted[:] = False
    t.ever_adopted[:] = False
    t.practice[:] = 0.0
    model.schools.ever_adopted[:] = False


# ---------------------------------------------------------------- tutoring
def month(model) -> None:
    """The instructional core alone, for the calendar's next month."""
    model.steps += 1
    tutoring.tutor_students(model)


def learnt(model, students: np.ndarray | None = None) -> float:
    """Temas learnt by tutoring, in temas: those demonstrated and the progress on those held."""
    st = model.students
    chosen = slice(None) if students is None else students
    held = st.temas[:, chosen] >= 0
    return float(popcount64(st.mastered[chosen]).sum() + st.progress[:, chosen][held].sum())


def offer(model, teachers: np.ndarray, temas: list[int]) -> None:
    """These teachers master exactly these temas."""
    model.teachers.temas[teachers] = np.bitwise_or.reduce(bit(np.array(temas)))


def test_learners_only_hold_temas_a_tutor_of_their_own_school_offers():
    model = make_model("behaviour.catalogue.new_tema_rate=0.0")
    clear_adoption(model)
    st, t = model.students, model.teachers
    # In two schools of several teachers, one teacher adopts; its colleagues master other temas
    # but do not tutor. School A's adopter offers temas 0 and 2 and one of its students tutors
    # tema 5; school B's adopter offers 1 and a student there tutors 6.
    a, b = np.flatnonzero(model.schools.n_teachers >= 2)[:2]
    offered = {a: {0, 2, 5}, b: {1, 6}}
    t.temas[np.isin(t.school, [a, b])] = bit(3) | bit(4)
    for school, temas, tutored in ((a, [0, 2], 5), (b, [1], 6)):
        adopter = np.flatnonzero(t.school == school)[:1]
        enrol(model, adopter, Origin.VOLUNTARY, 0.9)
        offer(model, adopter, temas)
        tutor = model.schools.student_start[school]
        st.tutors[tutor], st.mastered[tutor] = tutored, bit(tutored)
    elsewhere = ~np.isin(st.school, list(offered))
    for m in range(6):
        month(model)
        for school, temas in offered.items():
            held = st.temas[:, st.school == school]
            assert set(held[held >= 0].tolist()) <= temas
            if m == 0:  # a student tutor's tema is taken up like a teacher's
                assert (held == max(temas)).any()
        assert (st.temas[:, elsewhere] == -1).all(), "nobody outside a practising school holds one"


def test_a_learner_takes_the_most_interesting_offered_tema_it_has_neither_mastered_nor_holds():
    model = make_model()
    clear_adoption(model)
    st = model.students
    offer(model, adopt_school(model, 0, practice=0.9), [0, 1, 2, 3, 4])
    interest = catalogue.interest(np.arange(TASTES)[:, None], np.arange(6)[None, :]).astype(int)
    top = interest[:, :5].max(axis=1)
    # A taste keener on tema 5 (in the fund, offered by nobody here) than on any offered one,
    # with the offered ones all apart; and a taste torn between two offered temas.
    apart = (np.diff(np.sort(interest[:, :5]), axis=1) > 0).all(axis=1)
    keen = int(np.flatnonzero(apart & (interest[:, 5] > top))[0])
    torn = int(np.flatnonzero((interest[:, :5] == top[:, None]).sum(axis=1) == 2)[0])
    first, second, third = np.argsort(-interest[keen, :5])[:3]
    a, b = model.schools.student_start[0], model.schools.student_start[0] + 1
    st.taste[a], st.taste[b] = keen, torn
    st.mastered[a] = bit(first)  # its favourite is mastered already
    st.temas[0, a], st.progress[0, a] = second, 0.5  # and it holds the next one
    model.steps = 0  # month 1: not school 0's demonstration day
    month(model)
    assert st.temas[0, a] == second and st.temas[1, a] == third
    tied = np.flatnonzero(interest[torn, :5] == top[torn])
    assert st.temas[0, b] == tied[0] and st.temas[1, b] == tied[1]  # lowest first on a tie


def test_only_finished_temas_are_shown_and_only_on_the_schools_demonstration_day():
    model = make_model("behaviour.catalogue.demonstration_every=2")
    clear_adoption(model)
    st, s = model.students, model.schools
    for school in (0, 1):
        # Adopted at no practice: their teachers offer temas, nobody progresses this month.
        offer(model, adopt_school(model, school, practice=0.0), [0, 1, 2])
    finished, unfinished = s.student_start[:2], s.student_start[:2] + 1
    st.temas[0, finished], st.progress[0, finished] = 1, 1.0
    st.temas[0, unfinished], st.progress[0, unfinished] = 2, 0.99
    model.steps = 1
    month(model)  # month 2: (2 + 0) % 2 == 0 is school 0's day, not school 1's
    assert st.mastered[finished[0]] == bit(1) and st.tutors[finished[0]] == 1
    assert st.temas[0, finished[0]] == -1 and s.demonstrations[0] == 1
    assert st.temas[0, unfinished[0]] == 2 and st.mastered[unfinished[0]] == 0
    assert st.temas[0, finished[1]] == 1 and st.mastered[finished[1]] == 0
    assert st.tutors[finished[1]] == -1 and s.demonstrations[1] == 0
    month(model)  # month 3: school 1's day
    assert st.mastered[finished[1]] == bit(1) and st.tutors[finished[1]] == 1
    assert s.demonstrations.tolist()[:2] == [0, 1]
    assert (st.mastered[unfinished] == 0).all()


def test_surface_practice_teaches_less_than_genuine_practice():
    gains = {}
    for practice in (0.2, 0.9):
        model = make_model("behaviour.tutoring.conventional_rate=0.0")
        gains[practice] = _tutoring_gain(model, practice)
    assert gains[0.9] > 3 * gains[0.2] > 0


def test_without_tutors_nothing_is_learnt_beyond_the_whole_class_lesson():
    model = make_model()
    clear_adoption(model)
    st = model.students
    expected = st.score.copy()
    rate = np.float32(model.params.behaviour.tutoring.conventional_rate)
    for _ in range(6):
        month(model)
        expected *= 1 - rate
        expected += rate
    np.testing.assert_array_equal(st.score, expected)
    assert (st.temas == -1).all() and (st.mastered == 0).all() and (st.tutors == -1).all()


def test_test_preparation_in_punished_schools_slows_tutorial_learning():
    learnt_at = {}
    for prep in (0.0, 0.5, 1.0):
        model = make_model(
            f"scenario.testing.prep_share={prep}", "behaviour.tutoring.conventional_rate=0.0"
        )
        clear_adoption(model)
        for school in (0, 1):
            adopt_school(model, school, practice=1.0)
        model.schools.punished[1] = True
        for _ in range(3):
            month(model)
        learnt_at[prep] = [learnt(model, model.students.school == s) for s in (0, 1)]
    assert learnt_at[0.0][1] > learnt_at[0.5][1] > learnt_at[1.0][1] == 0
    assert learnt_at[1.0][0] == learnt_at[0.0][0] > 0  # the unpunished school is not touched


# ---------------------------------------------------------------- motivation
def _motivation_after(model, months: int = 6) -> np.ndarray:
    for _ in range(months):
        motivation.update_motivation(model)
    return model.teachers.motivation.copy()


def test_test_pressure_erodes_motivation():
    calm = make_model("scenario.testing.pressure=0.0")
    pressed = make_model("scenario.testing.pressure=1.0")
    for model in (calm, pressed):
        model.schools.punished[:5] = True
    hit = np.isin(calm.teachers.school, np.arange(5))
    m_calm, m_pressed = _motivation_after(calm), _motivation_after(pressed)
    assert (m_pressed[hit] < m_calm[hit]).all()
    np.testing.assert_allclose(m_pressed[~hit], m_calm[~hit])


def test_excess_paperwork_erodes_motivation_and_engaged_students_restore_it():
    model = make_model()
    t = model.teachers
    t.admin_load[:] = 0.9
    heavy = _motivation_after(model)
    model2 = make_model()
    adopters = adopt_school(model2, 0, practice=0.9)
    model2.schools.engagement[0] = 1.0
    rewarded = _motivation_after(model2)
    baseline = make_model()
    base = _motivation_after(baseline)
    assert heavy.mean() < base.mean()
    assert (rewarded[adopters] >= base[adopters]).all() and rewarded[adopters].mean() > base[
        adopters
    ].mean()


def test_required_teachers_do_not_lapse_but_surface_adopters_do_once_free():
    model = make_model("scenario=mandated", "behaviour.motivation.lapse_rate=1.0")
    model.schools.mandated[:10] = True
    mandate.require_adoption(model)
    required = mandate.required_teachers(model)
    assert model.teachers.adopted[required].all()
    model.teachers.motivation[:] = 0.0
    motivation.lapse(model)
    assert model.teachers.adopted[required].all(), "a mandate in force keeps them on paper"
    reversal.withdraw_support(model)
    motivation.lapse(model)
    assert not model.teachers.adopted[required].any()


# ---------------------------------------------------------------- diffusion and supervision
def test_enforcing_supervisor_without_leeway_blocks_joining_and_protector_opens_door():
    model = make_model("behaviour.supervision.block=1.0", "behaviour.supervision.leeway=0.0")
    sup = model.supervisors
    sup.stance[0], sup.stance[1], sup.stance[2] = (
        Stance.ENFORCE,
        Stance.PROTECT,
        Stance.MODEL_PRACTICE,
    )
    open_ = diffusion.supervisor_openness(model)
    zone = model.schools.zone
    assert (open_[zone == 0] == 0).all()
    assert open_[zone == 1].min() > open_[zone == 2].max()
    model.schools.sheltered[zone == 0] = True
    assert (diffusion.supervisor_openness(model)[zone == 0] >= 1).all()


def test_contacts_in_genuine_practice_recruit_more_than_none():
    joined = []
    for share in (0.0, 1.0):
        model = make_model(
            "behaviour.diffusion.outreach=0.0", "behaviour.diffusion.demonstration_reach=0.0"
        )
        clear_adoption(model)
        model.exposure = np.full(model.teachers.school.size, share, dtype=np.float32)
        diffusion.recruit_volunteers(model)
        joined.append(int(model.teachers.adopted.sum()))
    assert joined[0] == 0 < joined[1]


def test_overloaded_supervisors_drift_to_format_checking_unless_leeway_protects():
    drifted = {}
    for leeway in (0.0, 1.0):
        model = make_model(
            f"behaviour.supervision.leeway={leeway}",
            "behaviour.supervision.drift_rate=1.0",
            "behaviour.supervision.load_per_supervisor=1",
        )
        model.supervisors.stance[:] = Stance.MODEL_PRACTICE
        model.teachers.adopted[:] = True
        supervision.measure_load(model)
        supervision.drift_to_formats(model)
        drifted[leeway] = int((model.supervisors.stance == Stance.ENFORCE).sum())
    assert drifted[1.0] == 0 and drifted[0.0] == model.n_zones


# ---------------------------------------------------------------- mandate and coaching
def test_mandate_reaches_exactly_the_lowest_performing_schools_at_its_pace():
    # Without turnover: a teacher who moves into a mandated school at the end of a month is
    # enrolled at the next month's roll-out, not before.
    model = make_model(
        "scenario=mandated", "scenario.mandate.pace=24", "scenario.mandate.target=30",
        "behaviour.turnover.teacher_rate=0",
    )  # fmt: skip
    for _ in range(6):
        model.step()
    assert model.schools.mandated.sum() == 12  # 24 a year is 2 a month
    model.run(24)
    lowest = set(np.argsort(model.schools.achievement, kind="stable")[:30])
    assert set(np.flatnonzero(model.schools.mandated)) == lowest
    assert (model.teachers.origin[model.schools.mandated[model.teachers.school]] != 0).all()


def test_the_cascade_dilutes_training_and_nodes_dilute_it_less():
    model = make_model(
        "scenario=mandated", "scenario.mandate.trainers=1", "scenario.mandate.fanout=2"
    )
    model.schools.mandated[:2] = True
    shallow, dose_shallow = mandate.cascade_depth(model), mandate.training_dose(model)
    model.schools.mandated[:] = True
    deep, dose_deep = mandate.cascade_depth(model), mandate.training_dose(model)
    assert deep > shallow and dose_deep < dose_shallow
    nodes = make_model(
        "scenario=hybrid", "scenario.mandate.trainers=1", "scenario.mandate.fanout=2"
    )
    nodes.schools.mandated[:] = True
    assert mandate.training_dose(nodes) > dose_deep


def test_coach_visits_are_limited_by_capacity():
    model = make_model(
        "scenario.movement.coaches=1",
        "scenario.movement.coach_capacity=10",
        "behaviour.supervision.capacity=0",
    )
    model.teachers.adopted[:] = True
    model.teachers.origin[:] = Origin.VOLUNTARY
    visits = [
        coaching.visit(model, np.flatnonzero(model.teachers.adopted), 10).size for _ in range(200)
    ]
    assert abs(np.mean(visits) - 10) < 1.0  # binomial mean 10, se of the mean ~0.22
    coaching.teach_practice(model)
    assert coaching.coach_load(model) == pytest.approx(model.teachers.school.size / 10)


def test_coaching_raises_practice_of_the_visited():
    model = make_model("scenario.movement.coaches=1000", "behaviour.practice.decay=0.0")
    clear_adoption(model)
    teachers = adopt_school(model, 0, practice=0.2)
    coaching.teach_practice(model)
    assert (model.teachers.practice[teachers] > 0.2).all()


# ---------------------------------------------------------------- policy events
def test_leader_joining_the_ministry_adds_coaches_and_shelters_the_movement():
    model = make_model()
    adopted_schools = school_adopted(model)
    opportunities.open_opportunity(
        model, EventParams(year=0, kind="leader_joins_ministry", coaches=3, pace=0, target=0)
    )
    assert opportunities.ministry_paid_coaches(model) == 3
    assert model.schools.sheltered[adopted_schools].all()
    assert not model.schools.sheltered[~adopted_schools].any()


def test_deputy_visit_opens_a_pilot_that_invites_schools_near_the_movement():
    model = make_model()
    opportunities.open_opportunity(
        model, EventParams(year=0, kind="deputy_visit", coaches=0, pace=120, target=10)
    )
    zones_before = set(model.schools.zone[school_adopted(model)])
    adopted_before = school_adopted(model).copy()
    model.steps += 1
    mandate.roll_out(model)
    invited = np.flatnonzero(model.schools.sheltered & ~adopted_before)
    assert invited.size == 10
    assert set(model.schools.zone[invited]) <= zones_before


def test_reversal_withdraws_mandate_shelter_and_ministry_coaches():
    model = make_model("scenario=reversal")
    model.run(model.step_of_year(model.params.scenario.reversal_year) - 1)
    assert model.schools.mandated.any() and mandate.mandate_in_force(model)
    model.step()
    assert reversal.withdrawn(model) and not mandate.mandate_in_force(model)
    assert not model.schools.mandated.any() and not model.schools.sheltered.any()
    assert opportunities.ministry_paid_coaches(model) == 0


# ---------------------------------------------------------------- turnover
def test_turnover_keeps_school_sizes_and_volunteers_carry_the_practice():
    model = make_model("behaviour.turnover.teacher_rate=0.9")
    sizes = np.bincount(model.teachers.school, minlength=model.schools.count)
    volunteers = np.flatnonzero(model.teachers.adopted)
    mandated_school = 100
    forced = adopt_school(model, mandated_school, practice=0.1, origin=Origin.MANDATE)
    model.schools.mandated[mandated_school] = True
    for _ in range(12):
        turnover.move_teachers(model)
    assert (np.bincount(model.teachers.school, minlength=sizes.size) == sizes).all()
    assert model.teachers.adopted[volunteers].all()
    left = forced[model.teachers.school[forced] != mandated_school]
    assert left.size > 0 and not model.teachers.adopted[left].any()


def test_each_year_one_cohort_graduates_and_new_students_arrive_knowing_no_tema():
    model = make_model()
    b = model.params.behaviour
    st = model.students
    st.temas[:], st.progress[:] = 1, 0.5
    st.mastered[:], st.tutors[:] = 0b11, 1
    st.engagement[:], st.score[:] = 0.9, 0.99
    taste, grade = st.taste.copy(), st.grade.copy()
    leaving = grade == b.turnover.cohort_years - 1
    model.steps = b.steps_per_year - 1
    turnover.graduate_cohort(model)  # not yet the end of the school year
    assert (st.grade == grade).all()
    model.steps += 1
    turnover.graduate_cohort(model)
    assert (st.grade[leaving] == 0).all() and (st.grade[~leaving] == grade[~leaving] + 1).all()
    new, old = np.flatnonzero(leaving), np.flatnonzero(~leaving)
    assert (st.temas[:, new] == -1).all() and (st.progress[:, new] == 0).all()
    assert (st.mastered[new] == 0).all() and (st.tutors[new] == -1).all()
    assert (st.engagement[new] == np.float32(b.students.engagement_rest)).all()
    # New scores: around their school's achievement, with the initial spread.
    drawn = st.score[new] - model.schools.achievement[st.school[new]]
    assert abs(drawn.mean()) < 0.01 and 0.8 < drawn.std() / b.assessment.initial_spread < 1.1
    assert (taste[new] != st.taste[new]).mean() > 0.99  # and tastes of their own
    # Those who stay keep everything.
    assert (st.temas[:, old] == 1).all() and (st.progress[:, old] == 0.5).all()
    assert (st.mastered[old] == 0b11).all() and (st.tutors[old] == 1).all()
    assert (st.engagement[old] == np.float32(0.9)).all()
    assert (st.score[old] == np.float32(0.99)).all()
    assert (st.taste[old] == taste[old]).all()


# ---------------------------------------------------------------- classification
def test_school_states_follow_their_teachers():
    model = make_model("behaviour.practice.genuine_threshold=0.5")
    clear_adoption(model)
    adopt_school(model, 0, practice=0.9)
    adopt_school(model, 1, practice=0.1)
    adopt_school(model, 2, practice=0.9)
    model.teachers.adopted[model.teachers.school == 2] = False
    states = school_states(model)
    assert states[0] == SchoolState.GENUINE and states[1] == SchoolState.SURFACE
    assert states[2] == 3  # lapsed
    assert states[3] == 0  # not started
    genuine = genuine_teachers(model)
    assert (
        genuine[model.teachers.school == 0].all() and not genuine[model.teachers.school == 1].any()
    )


# ---------------------------------------------------------------- the practice as a whole
def _tutoring_gain(model, practice: float, months: int = 6) -> float:
    """Temas learnt by tutoring in half the schools, adopted at this practice, over `months`."""
    clear_adoption(model)
    for school in range(0, model.schools.count, 2):
        adopt_school(model, school, practice=practice)
    before = learnt(model)
    for _ in range(months):
        month(model)
    return learnt(model) - before


def test_learning_needs_the_whole_practice_not_a_share_of_it():
    """Half the practice teaches far less than half as much (its parts multiply); with one part
    the dependence is proportional again, so the parameter is what makes it so."""
    ratios = {}
    for parts in (1, 3):
        flags = (
            "behaviour.tutoring.conventional_rate=0.0",
            f"behaviour.tutoring.practice_parts={parts}",
        )
        ratios[parts] = _tutoring_gain(make_model(*flags), 0.4) / _tutoring_gain(
            make_model(*flags), 0.8
        )
    assert ratios[3] < 0.25 < 0.4 < ratios[1]


def test_more_time_in_tutorial_relations_teaches_more_and_paperwork_takes_it():
    gains = {}
    for share in (0.2, 0.4):
        model = make_model(
            "behaviour.tutoring.conventional_rate=0.0", f"behaviour.tutoring.time_share={share}"
        )
        gains[share] = _tutoring_gain(model, 0.9)
    assert gains[0.4] > 1.5 * gains[0.2] > 0
    model = make_model("behaviour.tutoring.time_share=0.4")
    model.teachers.admin_load[:] = 0.2
    assert np.allclose(tutoring.tutorial_time_share(model), 0.4)
    model.teachers.admin_load[:] = 0.9
    assert np.allclose(tutoring.tutorial_time_share(model), 0.1)


def test_only_genuine_demonstrations_recruit_and_win_supervisors_over():
    joined, converted = {}, {}
    for practice in (0.3, 0.9):  # below and above the genuine threshold
        model = make_model(
            "behaviour.diffusion.outreach=0.0",
            "behaviour.diffusion.imitation=0.0",
            "behaviour.diffusion.demonstration_reach=1.0",
            "behaviour.supervision.conversion_rate=1.0",
            "behaviour.supervision.leeway=1.0",
        )
        clear_adoption(model)
        adopt_school(model, 0, practice=practice)
        model.schools.demonstrations[0] = 5
        model.exposure = np.zeros(model.teachers.school.size, dtype=np.float32)
        zone = model.schools.zone[0]
        hazard = diffusion.joining_hazard(model)
        joined[practice] = float(hazard[model.schools.zone[model.teachers.school] == zone].max())
        model.supervisors.stance[:] = Stance.ENFORCE
        model.supervisors.load[:] = 0.0
        for _ in range(20):
            supervision.win_over(model)
        converted[practice] = model.supervisors.stance[zone] == Stance.MODEL_PRACTICE
    assert joined[0.3] == 0.0 < joined[0.9]
    assert not converted[0.3] and converted[0.9]


def test_volunteers_join_below_the_threshold_and_earn_the_practice():
    model = make_model()
    p = model.params.behaviour.practice
    assert p.join_voluntary < p.genuine_threshold
    seeds = np.flatnonzero(model.teachers.adopted)
    assert seeds.size and not genuine_teachers(model)[seeds].any()
    model.run(24)
    assert genuine_teachers(model).sum() > 0, "nobody earned the practice in two years"


def test_surface_volunteers_keep_learning_but_the_formula_alone_lapses_once_free():
    model = make_model("behaviour.motivation.lapse_rate=1.0")
    clear_adoption(model)
    volunteers = adopt_school(model, 0, practice=0.2)
    required = adopt_school(model, 1, practice=0.2, origin=Origin.MANDATE)
    model.teachers.motivation[:] = 1.0
    motivation.lapse(model)
    assert model.teachers.adopted[volunteers].all()
    assert not model.teachers.adopted[required].any()


def test_student_tutors_teach_their_teachers_the_practice_their_school_practises_for_real():
    """Student tutors pass on the practice they were tutored in: in a genuine school they teach
    their teachers more of it; in a school of the formula alone they teach nothing."""
    gained = {}
    for start in (0.2, 0.6):  # surface, genuine (genuine_threshold 0.5)
        for tutors in (False, True):
            model = make_model(
                "scenario.movement.coaches=0",
                "behaviour.supervision.capacity=0",
                "behaviour.practice.peer_rate=0.0",
                "behaviour.practice.self_rate=0.0",
                "behaviour.practice.decay=0.0",
            )
            clear_adoption(model)
            teachers = adopt_school(model, 0, practice=start)
            if tutors:
                model.students.tutors[model.students.school == 0] = 1
                model.student_sums = StudentSums.of(model)  # changed outside the month
            coaching.teach_practice(model)
            gained[start, tutors] = float(model.teachers.practice[teachers].mean()) - start
    assert gained[0.6, False] == pytest.approx(0.0, abs=1e-7)
    assert gained[0.6, True] > 1e-3
    assert gained[0.2, True] == pytest.approx(0.0, abs=1e-7)


def test_mandate_reporting_and_lost_shelter_push_supervisors_to_format_checking():
    def drifted(setup) -> np.ndarray:
        model = make_model(
            "scenario=mandated",
            "behaviour.supervision.drift_rate=1.0",
            "behaviour.supervision.leeway=0.0",
            "behaviour.supervision.reporting_drift=10.0",
            "behaviour.supervision.load_per_supervisor=100000",
        )
        model.supervisors.stance[:] = Stance.MODEL_PRACTICE
        setup(model)
        supervision.measure_load(model)
        supervision.drift_to_formats(model)
        return model.supervisors.stance == Stance.ENFORCE

    zone0 = lambda m: m.schools.zone == 0  # noqa: E731

    def mandated(m):
        m.schools.mandated[zone0(m)] = True

    def lost_shelter(m):
        adopt_school(m, int(np.flatnonzero(zone0(m))[0]), practice=0.9)
        m.supervision.was_sheltered[zone0(m)] = True

    assert not drifted(lambda m: None).any()
    assert drifted(mandated)[0] and drifted(mandated).sum() == 1
    assert drifted(lost_shelter)[0] and drifted(lost_shelter).sum() == 1


# ---------------------------------------------------------------- openings from genuine work
def test_authorities_open_a_pilot_only_after_seeing_genuine_work_sized_by_it():
    for practice, opens in ((0.3, False), (0.9, True)):
        model = make_model(
            "scenario.openings=endogenous",
            "behaviour.opportunities.visibility=1.0",
            "behaviour.opportunities.pilot_per_genuine_school=3",
        )
        clear_adoption(model)
        adopt_school(model, 0, practice=practice)
        adopt_school(model, 1, practice=practice)
        model.schools.demonstrations[:2] = 3
        for _ in range(10):
            opportunities.open_if_seen(model)
        pilots = [p for p in model.programmes if p.mode == "invite"]
        assert bool(pilots) == opens
        if opens:
            assert len(pilots) == 1 and pilots[0].target == 3 * 2  # two genuine schools


def test_scripted_openings_keep_their_dates_and_nothing_opens_by_chance():
    event = "scenario.events=[{year:1,kind:deputy_visit,coaches:0,pace:120,target:20}]"
    for mode in ("scripted", "endogenous"):
        model = make_model(
            f"scenario.openings={mode}", "behaviour.opportunities.visibility=0.0", event
        )
        model.run(model.step_of_year(1) - 1)
        assert not any(p.mode == "invite" for p in model.programmes)
        model.step()
        pilots = [p.target for p in model.programmes if p.mode == "invite"]
        # Endogenous: the dated visit is not a date any more, and nobody sees anything.
        assert pilots == ([20] if mode == "scripted" else [])


def test_student_tutors_count_as_training_capacity():
    loads = {}
    for tutors in (False, True):
        model = make_model("scenario.movement.coaches=1", "behaviour.supervision.capacity=0")
        clear_adoption(model)
        adopt_school(model, 0, practice=0.6)  # genuine: its student tutors pass on the practice
        if tutors:
            model.students.tutors[model.students.school == 0] = 1
            model.student_sums = StudentSums.of(model)  # changed outside the month
        coaching.teach_practice(model)
        loads[tutors] = coaching.coach_load(model)
    assert loads[True] < loads[False]
