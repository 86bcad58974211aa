"""The Mesa face: agents users can read and select, and a DataCollector."""

from __future__ import annotations

from helpers import make_model

from sim.agents import MinistryNode, Student, Supervisor, Teacher
from sim.practice import genuine_teachers


def test_every_population_has_mesa_agents_reading_the_current_state():
    model = make_model("scenario=hybrid")
    model.run(24)
    students = model.agents_by_type[Student]
    teachers = model.agents_by_type[Teacher]
    assert len(students) == model.students.school.size
    assert len(teachers) == model.teachers.school.size
    assert len(model.agents_by_type[Supervisor]) == model.n_zones
    levels = {node.level for node in model.agents_by_type[MinistryNode]}
    assert levels == {"federal", "state", "zone"}

    genuine = genuine_teachers(model)
    picked = teachers.select(lambda a: a.genuine)
    assert len(picked) == int(genuine.sum())
    some = next(iter(picked))
    assert some.practice == model.teachers.practice[some.index]
    model.teachers.motivation[some.index] = 0.123
    assert abs(some.motivation - 0.123) < 1e-6

    tutors = students.select(lambda a: a.is_tutor)
    assert len(tutors) == int((model.students.tutors >= 0).sum()) > 0
    for tutor in tutors:  # a student tutors only a tema it has demonstrated
        assert tutor.tutor_of in tutor.mastered
    learner = next(iter(students.select(lambda a: len(a.temas) > 0)))
    assert len(learner.temas) == len(learner.progress) <= model.params.behaviour.catalogue.held
    assert not set(learner.temas) & set(learner.mastered)


def test_datacollector_holds_one_row_per_step():
    model = make_model()
    model.run(5)
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 6
    assert df["schools_genuine"].tolist() == [r["schools_genuine"] for r in model.table]


def test_handles_made_on_demand_when_populations_are_large():
    from helpers import params_for

    from sim.model import TutorialNetworkModel

    model = TutorialNetworkModel(params_for(), seed=3, handles_max=10)
    assert Student not in model.agents_by_type
    s = model.student(5)
    assert s is model.student(5) and s.school == model.students.school[5]
    assert model.teacher(2).school == model.teachers.school[2]
    assert s.score == model.students.score[5] and s.engagement == model.students.engagement[5]
