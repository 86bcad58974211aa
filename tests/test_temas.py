"""The rules of temas, students' engagement, academic exchanges, graduates and ENLACE levels:
each does what the specification says, and a plausible bug in it would fail here."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from helpers import make_model

from sim.kinds import Origin, Stance
from sim.metrics import step_metrics
from sim.model import TutorialNetworkModel
from sim.population import bit, popcount64
from sim.rules import assessment, catalogue, coaching, exchanges, turnover, tutoring
from sim.rules.adoption import enrol
from sim.rules.lessons import StudentSums


def adopt_school(
    model: TutorialNetworkModel, school: int, practice: float, origin: int = Origin.VOLUNTARY
) -> np.ndarray:
    teachers = np.flatnonzero(model.teachers.school == school)
    enrol(model, teachers, origin, practice)
    return teachers


def clear_adoption(model: TutorialNetworkModel) -> None:
    t = model.teachers
    t.adopted[:] = False
    t.ever_adopted[:] = False
    t.practice[:] = 0.0
    model.schools.ever_adopted[:] = False


def month(model: TutorialNetworkModel) -> None:
    """The instructional core alone, for the calendar's next month."""
    model.steps += 1
    tutoring.tutor_students(model)


def of_school(model: TutorialNetworkModel, school: int) -> np.ndarray:
    s = model.schools
    return np.arange(s.student_start[school], s.student_start[school] + s.n_students[school])


# ---------------------------------------------------------------- the fund
def test_the_fund_grows_only_through_genuine_teachers_and_never_beyond_its_size():
    model = make_model(
        "behaviour.catalogue.size=12",
        "behaviour.catalogue.initial_fund=8",
        "behaviour.catalogue.new_tema_rate=1.0",
    )
    t = model.teachers
    # At the start every teacher masters 2 to 4 temas of the initial fund.
    held = popcount64(t.temas)
    assert held.min() == 2 and held.max() == 4 and (t.temas >> np.uint64(8) == 0).all()
    clear_adoption(model)
    for school in range(0, 20, 2):
        adopt_school(model, school, practice=0.3)  # surface practice works nothing out
    before = t.temas.copy()
    catalogue.work_out_new_temas(model)
    assert model.fund.size == 8 and (t.temas == before).all()
    for school in range(1, 20, 2):
        adopt_school(model, school, practice=0.9)
    genuine = np.flatnonzero(t.adopted & (t.practice >= 0.5))
    assert genuine.size > 4
    catalogue.work_out_new_temas(model)
    # Room for four: the first four genuine teachers, in index order, each work one out.
    assert model.fund.size == 12
    for k, author in zip(range(8, 12), genuine[:4], strict=True):
        assert np.flatnonzero(t.temas & bit(k)).tolist() == [author]
    assert (t.temas[genuine[4:]] == before[genuine[4:]]).all()
    for _ in range(3):
        month(model)
    assert model.fund.size == 12 and (t.temas >> np.uint64(12) == 0).all()
    assert step_metrics(model)["fund_temas"] == 12


def test_a_coach_visit_teaches_the_visited_teacher_a_tema_of_the_fund():
    model = make_model("scenario.movement.coaches=1000", "behaviour.supervision.capacity=0")
    t = model.teachers
    clear_adoption(model)
    adopters = np.concatenate([adopt_school(model, school, 0.5) for school in range(0, 140, 2)])
    model.fund.size = 40  # the fund has grown: a visit may teach any of its temas
    t.temas[:] = 0
    coaching.teach_practice(model)  # the movement's coaches visit every volunteer
    taught = t.temas[adopters]
    assert (popcount64(taught) == 1).all(), "each visit teaches one tema"
    assert (t.temas[~t.adopted] == 0).all()
    assert taught.max() < bit(40) and (taught >= bit(8)).any()
    # Supervisors who model the practice teach a tema on their visits too.
    model.movement_active = False
    model.supervisors.stance[:] = Stance.MODEL_PRACTICE
    model.supervisors.capacity[:] = 1000
    t.temas[:] = 0
    coaching.teach_practice(model)
    assert (popcount64(t.temas[adopters]) == 1).all() and (t.temas[~t.adopted] == 0).all()


# ---------------------------------------------------------------- holding and inquiry
def test_held_temas_are_distinct_unmastered_and_progress_stays_within_bounds():
    model = make_model("behaviour.catalogue.held=3")
    clear_adoption(model)
    for school in range(0, model.schools.count, 3):
        adopt_school(model, school, practice=0.9)
    st = model.students
    assert st.temas.shape == (3, st.school.size)
    for _ in range(8):
        month(model)
        a, b, c = st.temas.astype(int)
        for x, y in ((a, b), (a, c), (b, c)):
            assert not ((x >= 0) & (x == y)).any(), "a tema held twice"
        for h in range(3):
            holds = st.temas[h] >= 0
            k = st.temas[h, holds].astype(np.uint64)
            assert ((st.mastered[holds] >> k) & np.uint64(1) == np.uint64(0)).all()
        assert (st.progress >= 0).all() and (st.progress <= 1).all()
        assert (st.progress[st.temas < 0] == 0).all()
    assert (st.temas >= 0).sum(axis=0).max() == 3 and popcount64(st.mastered).max() > 0


def test_a_tema_nobody_at_the_school_tutors_any_more_is_dropped_unless_finished():
    model = make_model()
    clear_adoption(model)
    st = model.students
    teachers = adopt_school(model, 0, practice=0.9)
    model.teachers.temas[teachers] = bit(1) | bit(2)
    a, b = of_school(model, 0)[:2]
    st.temas[:, a], st.progress[:, a] = [1, 2], [0.5, 0.5]
    st.temas[:, b], st.progress[:, b] = [1, 2], [1.0, 0.5]
    model.teachers.temas[teachers] = bit(2)  # tema 1 is no longer offered at school 0
    model.steps = 0  # month 1: not school 0's demonstration day
    month(model)
    assert st.temas[0, a] == -1 and st.progress[0, a] == 0  # dropped, and nothing else offered
    assert st.temas[0, b] == 1 and st.progress[0, b] == 1  # finished: it waits for its day
    assert (st.temas[1, [a, b]] == 2).all() and (st.progress[1, [a, b]] > 0.5).all()
    held = st.temas[:, of_school(model, 0)]
    assert set(held[held >= 0].tolist()) == {1, 2} and (held == 1).sum() == 1


@pytest.mark.parametrize("per_teacher", [1, 100])
def test_inquiry_goes_at_the_schools_pace_shared_among_a_temas_learners_and_by_interest(
    per_teacher: int,
):
    model = make_model(f"behaviour.tutoring.tutees_per_teacher={per_teacher}")
    b = model.params.behaviour
    clear_adoption(model)
    st = model.students
    teachers = adopt_school(model, 0, practice=0.8)
    model.teachers.temas[teachers] = bit(0) | bit(1)
    model.fund.effort[:2] = [6.0, 9.0]  # long temas: nobody finishes them this month
    mine = of_school(model, 0)
    model.steps = 0  # month 1: not school 0's demonstration day
    month(model)
    assert (np.sort(st.temas[:, mine], axis=0) == [[0], [1]]).all()  # both, by everyone
    # Each of the two temas takes half the student's time; the teachers' places for a tema are
    # shared among all who hold it; interest speeds it.
    pace = b.tutoring.rate * 0.8**b.tutoring.practice_parts * tutoring.tutorial_time_share(model)[0]
    ratio = min(1.0, per_teacher * teachers.size / mine.size)
    w = b.tutoring.interest_weight
    made = np.zeros(mine.size)
    for h in range(2):
        k = st.temas[h, mine]
        speed = (1 - w) + w * catalogue.interest(st.taste[mine], k) / 255
        expected = pace * ratio * speed / 2 / model.fund.effort[k]
        np.testing.assert_allclose(st.progress[h, mine], expected, rtol=1e-5)
        made += expected
    # Progress engages: engagement gains in proportion to it, then settles toward rest.
    rest, p = b.students.engagement_rest, b.students
    engaged = rest + p.engagement_gain * made * (1 - rest)
    engaged -= p.engagement_decay * (engaged - rest)
    np.testing.assert_allclose(st.engagement[mine], engaged, rtol=1e-5)


def test_engaged_students_give_their_own_time_and_progress_faster():
    model = make_model()
    clear_adoption(model)
    p = model.params.behaviour.students
    st = model.students
    teachers = adopt_school(model, 0, practice=0.9)
    model.teachers.temas[teachers] = bit(0)
    model.fund.effort[0] = 4.0  # a long tema: nobody finishes it this month
    keen, calm = of_school(model, 0)[:2]
    st.taste[[keen, calm]] = 7
    st.temas[0, [keen, calm]] = 0
    st.engagement[keen] = p.voluntary_threshold  # from the threshold on
    st.engagement[calm] = np.nextafter(np.float32(p.voluntary_threshold), np.float32(0))
    month(model)
    assert st.progress[0, calm] > 0
    assert st.progress[0, keen] == pytest.approx((1 + p.voluntary_time) * st.progress[0, calm])


def test_inquiry_engages_and_engagement_relaxes_toward_rest_where_nothing_happens():
    model = make_model()
    clear_adoption(model)
    p = model.params.behaviour.students
    st = model.students
    e = np.where(np.arange(st.school.size) % 2 == 0, 0.9, 0.3).astype(np.float32)
    st.engagement[:] = e
    month(model)
    expected = e - np.float32(p.engagement_decay) * (e - np.float32(p.engagement_rest))
    np.testing.assert_allclose(st.engagement, expected, rtol=1e-6)
    # A school's engagement: how far its students stand above rest, as a share of the room.
    above = np.maximum(st.engagement - p.engagement_rest, 0) / (1 - p.engagement_rest)
    school = np.add.reduceat(above, model.schools.student_start) / model.schools.n_students
    np.testing.assert_allclose(model.schools.engagement, school, rtol=1e-5)
    for _ in range(70):
        month(model)
    np.testing.assert_allclose(st.engagement, p.engagement_rest, atol=1e-3)
    # Where students inquire with a tutor, they become engaged.
    adopt_school(model, 0, practice=0.9)
    for _ in range(6):
        month(model)
    mine = of_school(model, 0)
    assert st.engagement[mine].mean() > p.engagement_rest + 0.05
    assert model.schools.engagement[0] > 0.05 and model.schools.engagement[1:].max() < 1e-3


# ---------------------------------------------------------------- demonstrations
def test_demonstrations_happen_only_on_each_schools_calendar_day():
    every = 3
    model = make_model(f"behaviour.catalogue.demonstration_every={every}")
    clear_adoption(model)
    schools = np.arange(model.schools.count)
    for school in schools:
        adopt_school(model, school, practice=0.9)
    shown = np.zeros(schools.size, dtype=int)
    for month_ in range(1, 13):
        model.step()  # the whole month, on the model's own calendar
        assert model.steps == month_
        today = model.schools.demonstrations
        assert (today[(month_ + schools) % every != 0] == 0).all()
        assert model.table[-1]["demonstrations"] == today.sum()
        shown += today > 0
    assert (shown > 0).mean() > 0.9  # and on its day, a school shows what its students finished


def test_demonstrating_masters_the_tema_makes_a_tutor_of_it_and_raises_score_and_engagement():
    model = make_model()
    b = model.params.behaviour
    clear_adoption(model)
    st = model.students
    teachers = adopt_school(model, 0, practice=0.0)  # offers temas, nobody progresses
    model.teachers.temas[teachers] = np.bitwise_or.reduce(bit(np.arange(8)))
    i = of_school(model, 0)[0]
    st.temas[:, i], st.progress[:, i] = [3, 5], [1.0, 1.0]
    st.mastered[i], st.tutors[i] = bit(1), 1
    st.score[i], st.engagement[i] = 0.4, 0.5
    model.steps = 1  # month 2: school 0's day
    month(model)
    assert st.mastered[i] == bit(1) | bit(3) | bit(5)
    assert st.tutors[i] == 5  # the latest demonstrated
    assert model.schools.demonstrations[0] == 2
    score = 0.4 + b.tutoring.conventional_rate * 0.6
    engagement = 0.5 - b.students.engagement_decay * (0.5 - b.students.engagement_rest)
    for _ in range(2):
        score += b.catalogue.tema_worth * (1 - score)
        engagement += b.students.demonstration_boost * (1 - engagement)
    assert st.score[i] == pytest.approx(score, rel=1e-5)
    assert st.engagement[i] == pytest.approx(engagement, rel=1e-5)
    assert (st.temas[:, i] == -1).all() and (st.progress[:, i] == 0).all()  # places freed
    # Its teachers offer nothing now: the new tutor's tema is all the school is offered, and it
    # takes none itself.
    model.teachers.temas[teachers] = 0
    month(model)
    held = st.temas[:, of_school(model, 0)]
    assert set(held[held >= 0].tolist()) == {5} and (st.temas[:, i] == -1).all()


# ---------------------------------------------------------------- exchanges
def exchange_model(*overrides: str) -> TutorialNetworkModel:
    model = make_model("scenario.exchanges.every=6", *overrides)
    clear_adoption(model)
    model.supervisors.stance[:] = Stance.MODEL_PRACTICE
    return model


def test_exchanges_happen_only_on_exchange_months_and_while_someone_organizes_them():
    model = exchange_model("scenario.exchanges.students=3")
    st = model.students
    for school in range(0, 40, 4):
        adopt_school(model, school, practice=0.9)
    rest = st.engagement.copy()
    for step in (5, 7):
        model.steps = step
        exchanges.hold_exchanges(model)
        assert model.exchanges.goers == 0 and (st.engagement == rest).all()
    model.steps = 12
    model.movement_active = False  # nobody organizes visits and interchanges
    exchanges.hold_exchanges(model)
    assert model.exchanges.goers == 0 and (st.engagement == rest).all()
    model.movement_active = True
    exchanges.hold_exchanges(model)
    went = st.engagement != rest
    senders = np.arange(0, 40, 4)
    per_school = np.bincount(st.school[went], minlength=model.schools.count)
    assert (per_school[senders] == np.minimum(3, model.schools.n_students[senders])).all()
    assert per_school.sum() == model.exchanges.goers == 3 * senders.size
    boost = model.params.scenario.exchanges.boost
    np.testing.assert_allclose(st.engagement[went], rest[went] + boost * (1 - rest[went]))


def test_each_sender_visits_another_school_of_its_zone_drawn_at_random():
    model = exchange_model()
    zone = model.schools.zone
    for school in np.flatnonzero(zone == 0):
        adopt_school(model, school, practice=0.9)
    drawn = []
    for _ in range(200):
        senders, hosts = exchanges.pair_schools(model)
        assert (senders == np.flatnonzero(zone == 0)).all()
        assert (hosts != senders).all() and (zone[hosts] == 0).all()
        drawn.append(hosts)
    drawn = np.array(drawn)
    for j in range(senders.size):  # every other school of the zone, about equally often
        counts = np.bincount(drawn[:, j], minlength=model.schools.count)[senders]
        others = np.delete(counts, j)
        assert counts[j] == 0 and others.min() > 200 / (senders.size - 1) / 3


@pytest.mark.parametrize("rule", ["tutors", "top_scorers", "least_engaged"])
def test_each_selection_rule_sends_whom_it_says(rule: str):
    model = exchange_model("scenario.exchanges.students=3")
    model.exchanges.pars = replace(model.exchanges.pars, selection=rule)
    st = model.students
    rng = np.random.default_rng(5)
    st.engagement[:] = rng.random(st.school.size)
    st.tutors[:] = np.where(rng.random(st.school.size) < 0.1, 2, -1)
    for school in range(0, 60, 3):
        adopt_school(model, school, practice=0.9)
    senders, _ = exchanges.pair_schools(model)
    goers = exchanges.choose_goers(model, senders)
    for school in senders:
        mine = of_school(model, school)
        going = np.isin(mine, goers)
        assert going.sum() == min(3, mine.size)
        if rule == "tutors":
            tutor = st.tutors[mine] >= 0
            assert going[tutor].all() if tutor.sum() <= 3 else tutor[going].all()
        key = {"tutors": None, "top_scorers": -st.score, "least_engaged": st.engagement}[rule]
        if key is not None:
            assert key[mine][going].max() <= key[mine][~going].min()


@pytest.mark.parametrize("rule", ["tutors", "lottery", "top_scorers", "least_engaged"])
def test_goers_keyed_a_few_schools_at_a_time_are_the_goers_keyed_all_at_once(rule, monkeypatch):
    """At national scale the senders' students are keyed a group of schools at a time: the same
    draws in the same order, so the same goers, and the stream left where it was."""
    chosen = []
    default = exchanges.KEYED_AT_ONCE
    for at_once in (default, 50):
        monkeypatch.setattr(exchanges, "KEYED_AT_ONCE", at_once)
        model = exchange_model("scenario.exchanges.students=3")
        model.exchanges.pars = replace(model.exchanges.pars, selection=rule)
        for school in range(0, 60, 2):
            adopt_school(model, school, practice=0.9)
        senders, _ = exchanges.pair_schools(model)
        groups = exchanges._groups(model.schools.n_students[senders], at_once)
        assert (len(groups) == 1) == (at_once == default)
        chosen.append((exchanges.choose_goers(model, senders), model.rng.random()))
    assert np.array_equal(chosen[0][0], chosen[1][0]) and chosen[0][1] == chosen[1][1]


def test_a_visiting_tutor_teaches_a_host_teacher_its_tema_and_one_outside_may_join():
    model = exchange_model("scenario.exchanges.recruit=1.0", "scenario.exchanges.students=2")
    t, st = model.teachers, model.students
    sender = 0
    adopt_school(model, sender, practice=0.9)  # genuine: what its students show is worth all
    t.temas[t.school != sender] = 0
    st.tutors[of_school(model, sender)] = 7
    model.steps = 6
    exchanges.hold_exchanges(model)
    taught = np.flatnonzero(t.temas & bit(7))
    taught = taught[t.school[taught] != sender]
    assert model.exchanges.adults_tutored == 2 and 1 <= taught.size <= 2
    host = np.unique(t.school[taught])
    assert host.size == 1 and model.schools.zone[host[0]] == model.schools.zone[sender]
    # Outside the practice, a teacher tutored by a student of a genuine school joins (here
    # surely: recruit 1, every supervisor open).
    assert t.adopted[taught].all() and (t.origin[taught] == Origin.VOLUNTARY).all()
    join = model.params.behaviour.practice.join_voluntary
    assert t.practice[taught] == pytest.approx(join)
    others = np.flatnonzero(t.school != sender)
    assert t.adopted[others].sum() == taught.size
    # An adopter tutored this way learns the practice as from a coach's visit.
    model = exchange_model("scenario.exchanges.students=1")
    t, st = model.teachers, model.students
    zone = model.schools.zone == model.schools.zone[sender]
    for school in np.flatnonzero(zone):
        adopt_school(model, school, practice=0.9 if school == sender else 0.2)
    t.temas[:] = 0
    st.tutors[of_school(model, sender)] = 7
    model.steps = 6
    exchanges.hold_exchanges(model)
    taught = np.flatnonzero(t.temas & bit(7))
    assert taught.size == 1 and t.school[taught[0]] != sender
    rate = model.params.behaviour.practice.coach_rate
    assert t.practice[taught[0]] == pytest.approx(0.2 + rate * 0.8)
    untaught = np.flatnonzero(zone[t.school] & (t.school != sender))
    untaught = untaught[untaught != taught[0]]
    assert (t.practice[untaught] == np.float32(0.2)).all()


def test_adults_tutored_by_visiting_students_count_as_coach_visits():
    model = make_model("scenario.movement.coaches=1", "behaviour.supervision.capacity=0")
    capacity = []
    for adults in (0, 25):
        model.exchanges.adults_tutored = adults
        coaching.teach_practice(model)
        capacity.append(model.teachers.adopted.sum() / coaching.coach_load(model))
    assert capacity[1] - capacity[0] == pytest.approx(25)


# ---------------------------------------------------------------- graduates and ENLACE
def test_engaged_graduates_more_often_go_on_to_upper_secondary():
    model = make_model()
    b = model.params.behaviour
    g, st = model.graduation, model.students
    assert math.isnan(g.continuing) and math.isnan(g.continuing_adopting)
    clear_adoption(model)
    adopting = np.arange(model.schools.count) < 40
    for school in np.flatnonzero(adopting):
        adopt_school(model, school, practice=0.9)
    leaving = st.grade == b.turnover.cohort_years - 1
    in_adopting = adopting[st.school]
    st.engagement[:] = b.students.engagement_rest
    st.engagement[in_adopting] = 0.8
    model.steps = b.steps_per_year
    turnover.graduate_cohort(model)
    engaged = b.students.continue_base + b.students.continue_engagement * (
        0.8 - b.students.engagement_rest
    )
    assert g.continuing_adopting == pytest.approx(engaged)
    assert g.continuing_other == pytest.approx(b.students.continue_base)
    share = in_adopting[leaving].mean()
    assert g.continuing == pytest.approx(share * engaged + (1 - share) * b.students.continue_base)
    row = step_metrics(model)
    assert row["graduates_continuing_adopting"] > row["graduates_continuing_other"]


def test_enlace_cutoffs_put_the_set_shares_at_each_level_at_the_start_and_stay_fixed():
    model = make_model(
        "behaviour.assessment.good_share=0.3", "behaviour.assessment.excellent_share=0.05"
    )
    st = model.students
    n = st.score.size
    good, excellent = assessment.levels(st.score, model.enlace)
    assert good == pytest.approx(0.3, abs=2 / n) and excellent == pytest.approx(0.05, abs=2 / n)
    row = step_metrics(model)
    assert (row["share_good_excellent"], row["share_excellent"]) == (good, excellent)
    cutoffs = model.enlace
    model.run(12)  # a school year, its test and a new cohort
    assert model.enlace == cutoffs
    st.score += 0.05  # everyone learns more: more students reach each level
    model.student_sums = StudentSums.of(model)  # changed outside the month: take them again
    row = step_metrics(model)
    assert row["share_good_excellent"] > good + 0.1 and row["share_excellent"] > excellent
