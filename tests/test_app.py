"""The seminar app's pieces: levers that cannot break the model, plain-words notes that match
the mechanisms, the picture and plots, one live run, and the page rendered without a browser."""

from __future__ import annotations

import base64
import dataclasses
import math
import threading
from typing import get_type_hints

import ipyvue
import ipyvuetify as v
import numpy as np
import pytest
import scipy.sparse as sp
import solara
from helpers import make_model

from runs.config import load_params
from runs.driver import replicate_seeds, run_one
from seminar import assets, components, exercises, settings
from seminar import explain as ex
from seminar import story as story_mod
from seminar.components import SeminarPage
from seminar.picture import Picture, Scene, grid_shape, school_layout, school_links
from seminar.plots import Plots
from seminar.session import REVERSAL, SeminarRun
from seminar.settings import LEVER, LEVERS, Levers
from sim.kinds import SchoolState
from sim.metrics import survival_after_reversal
from sim.model import TutorialNetworkModel
from sim.params import ConfigError, Params
from sim.rules import motivation
from sim.rules.mandate import cascade_depth
from sim.rules.opportunities import ministry_paid_coaches

PNG = b"\x89PNG"


def field_of(dotted: str) -> dataclasses.Field:
    """The Params field behind a config key such as 'scenario.mandate.pace'."""
    cls: type = Params
    *path, last = dotted.split(".")
    for name in path:
        cls = get_type_hints(cls)[name]
    return {f.name: f for f in dataclasses.fields(cls)}[last]


@pytest.fixture(autouse=True)
def no_fan_in_rendered_pages(monkeypatch):
    """Pages rendered here would run the fan of seeds in a thread of their own, competing with
    the other tests; the fan itself is tested directly."""
    monkeypatch.setattr(components, "run_fan", lambda levers, cancel: None)


@pytest.fixture(scope="module")
def events():
    return settings.injected_events()


# ------------------------------------------------------------------------------ settings
def test_every_lever_sets_a_real_parameter_within_its_allowed_range():
    for lever in LEVERS:
        for key in lever.keys:
            f = field_of(key)  # KeyError: the lever names no parameter
            if lever.kind in ("int", "float"):
                lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
                assert lo is None or lever.lo >= lo, key
                assert hi is None or lever.hi is None or lever.hi <= hi, key


@pytest.mark.parametrize("name", settings.scenario_names())
def test_a_scenario_preset_reproduces_the_scenario_exactly(name):
    preset = settings.preset(name)
    assert settings.params_for(preset) == settings.scenario_params(name)
    for lever in LEVERS:  # and every preset value lies inside the lever's range
        if lever.kind in ("int", "float"):
            lo, hi = settings.lever_range(lever, preset)
            assert lo <= getattr(preset, lever.name) <= hi, (name, lever.name)


def test_the_scenario_menu_holds_the_seminar_scenarios():
    names = settings.scenario_names()
    assert {"voluntary", "mandated", "hybrid", "test_and_punish", "reversal"} <= set(names)
    assert all(settings.scenario_params(n).system.name == "seminar" for n in names)


def test_levers_clamp_out_of_range_values():
    s = settings.preset("mandated")
    assert settings.set_lever(s, "mandate_pace", 10_000).mandate_pace == LEVER["mandate_pace"].hi
    assert settings.set_lever(s, "mandate_pace", -5).mandate_pace == 0
    cap = settings.fewest_schools(settings.scenario_params("mandated"))
    assert settings.set_lever(s, "mandate_target", 10**9).mandate_target == cap
    assert settings.set_lever(s, "leeway", 0.1 + 0.2).leeway == 0.3  # no 0.30000000000000004
    with pytest.raises(ValueError, match="coaching"):
        settings.set_lever(s, "coaching", "lecture")
    with pytest.raises(ValueError, match="exchange_selection"):
        settings.set_lever(s, "exchange_selection", "top scorers")  # the label, not the value


def test_stance_shares_never_exceed_one():
    s = settings.set_lever(settings.preset("voluntary"), "models_practice", 0.6)
    s = settings.set_lever(s, "protect", 0.7)
    assert s.protect + s.models_practice <= 1.0 + 1e-9
    assert settings.set_lever(s, "models_practice", 0.9).models_practice == pytest.approx(0.3)


def test_any_sequence_of_control_moves_gives_a_runnable_model():
    """The controls cannot put the model into an invalid state (random moves, seeded)."""
    rng = np.random.default_rng(5)
    s = settings.preset("voluntary")
    for _ in range(12):
        for lever in rng.permutation(np.array(LEVERS, dtype=object)):
            if lever.kind == "toggle":
                value: object = bool(rng.integers(2))
            elif lever.name in settings.CHOICES:
                value = str(rng.choice(settings.CHOICES[lever.name]))
            elif lever.name == "reversal_year":
                value = rng.choice(list(settings.reversal_choices(s).values()))
            else:  # anything, including far outside the range
                value = float(rng.uniform(-100, 1000))
            s = settings.set_lever(s, lever.name, value)
        if rng.random() < 0.3:
            s = settings.choose_scenario(s, str(rng.choice(settings.scenario_names())))
        s = settings.set_seed(s, rng.integers(-10, 10**12))
        params = settings.params_for(s)  # raises ConfigError if anything is out of range
        TutorialNetworkModel(params, seed=settings.run_seed(s))


def test_seed_and_run_length_survive_a_scenario_change_and_bad_seeds_are_refused():
    s = dataclasses.replace(settings.preset("voluntary"), seed=77, years=6)
    s = settings.choose_scenario(s, "mandated")
    assert (s.seed, s.years, s.scenario, s.mandate) == (77, 6, "mandated", True)
    assert settings.set_seed(s, "twelve") == s
    assert settings.set_seed(s, None) == s
    assert settings.set_seed(s, -3).seed == 0
    assert settings.set_seed(s, 10**20).seed == settings.SEED_MAX


def test_who_goes_on_exchanges_reaches_the_params_and_follows_a_scenario_switch():
    s = settings.set_lever(settings.preset("voluntary"), "exchange_selection", "least_engaged")
    assert settings.params_for(s).scenario.exchanges.selection == "least_engaged"
    assert "scenario.exchanges.selection=least_engaged" in settings.command_line(s)
    assert settings.choice_labels("exchange_selection")["top scorers"] == "top_scorers"
    # A switch loads the new scenario's value, as for every lever; seed and run length stay.
    s = settings.choose_scenario(dataclasses.replace(s, seed=77, years=6), "hybrid")
    own = dataclasses.replace(settings.preset("hybrid"), seed=77, years=6)
    assert s == own and s.exchange_selection == own.exchange_selection
    # Without the movement or the ministry's nodes nobody organizes exchanges: the lever says so.
    lever = LEVER["exchange_selection"]
    assert components.off_reason(lever, settings.preset("voluntary")) == ""
    assert (
        components.off_reason(lever, settings.preset("mandated")) == components.REASON_NO_EXCHANGES
    )
    nodes = settings.set_lever(settings.preset("mandated"), "coaching", "nodes")
    assert components.off_reason(lever, nodes) == ""


def test_reversal_menu_and_run_length():
    s = settings.preset("reversal")
    choices = settings.reversal_choices(s)
    assert choices["never"] is None and s.reversal_year in choices.values()
    assert settings.set_lever(s, "years", 3).reversal_year is None  # a reversal after the end


def test_an_app_run_is_replicate_one_of_the_main_job():
    s = dataclasses.replace(settings.preset("hybrid"), years=1)
    assert settings.run_seed(s) == replicate_seeds(s.seed, 1)[0]
    run = SeminarRun(s, settings.injected_events())
    run.advance(12)
    main = run_one(settings.params_for(s), settings.run_seed(s)).steps
    np.testing.assert_allclose(
        [r["teachers_genuine"] for r in run.table], main["teachers_genuine"].to_numpy()
    )
    np.testing.assert_allclose(
        [r["mastery_mean"] for r in run.table], main["mastery_mean"].to_numpy()
    )


def test_injected_events_come_validated_from_the_app_config(tmp_path, monkeypatch):
    events = settings.injected_events()
    assert set(events) == {"leader_joins_ministry", "deputy_visit"}
    assert settings.shown_path(settings.APP_CONFIG) == "configs/app/seminar.yaml"
    bad = tmp_path / "seminar.yaml"
    monkeypatch.setattr(settings, "APP_CONFIG", bad)
    bad.write_text("inject:\n  deputy_visit: {coaches: 0, pace: -1, target: 40}\n")
    with pytest.raises(ConfigError, match=r"seminar.yaml: inject.deputy_visit.pace: -1 is out"):
        settings.injected_events()
    bad.write_text("inject:\n  coup: {coaches: 0, pace: 1, target: 4}\n")
    with pytest.raises(ConfigError, match=r"inject.coup.kind: 'coup' is not allowed"):
        settings.injected_events()
    bad.unlink()
    with pytest.raises(ConfigError, match=r"seminar.yaml: cannot read 'inject'"):
        settings.injected_events()


# ------------------------------------------------------------------------------ explain
def test_motivation_terms_add_up_to_what_the_motivation_rule_does():
    model = make_model("scenario=test_and_punish")
    for _ in range(14):  # past the first yearly test, so test pressure is on
        model.step()
    assert model.schools.punished.any()
    terms = motivation.terms(model)
    before = model.teachers.motivation.copy()
    motivation.update_motivation(model)
    after = model.teachers.motivation
    predicted = before + sum(terms.values())
    inside = (predicted > 0) & (predicted < 1)  # the rule clips to [0, 1]
    assert inside.mean() > 0.5
    np.testing.assert_allclose(after[inside], predicted[inside], atol=1e-5)


def test_dropping_out_note_names_whom_the_lapse_rule_can_drop():
    model = make_model("scenario=test_and_punish")
    for _ in range(30):
        model.step()
    demotivated, paper_only, held = motivation.lapse_risk(model)
    free = (demotivated | paper_only) & ~held
    assert held.any()  # the mandate holds demotivated teachers on paper
    note = next(n for n in ex.explain(model) if n.topic == "Dropping out")
    assert f"{int(held.sum())} would drop out but the mandate holds them" in note.text
    # With certain lapses, exactly the teachers the note counts as free to go do go.
    m = model.params.behaviour
    certain = dataclasses.replace(m, motivation=dataclasses.replace(m.motivation, lapse_rate=1.0))
    model.params = dataclasses.replace(model.params, behaviour=certain)
    adopted = model.teachers.adopted.copy()
    motivation.lapse(model)
    np.testing.assert_array_equal(adopted & ~model.teachers.adopted, free)


def test_the_command_line_shown_makes_the_same_run():
    s = settings.set_lever(settings.preset("hybrid"), "leeway", 0.9)
    s = settings.set_lever(settings.set_seed(s, 31), "reversal_year", 4.0)
    words = settings.command_line(s).split()
    assert words[:5] == ["uv", "run", "python", "-m", "sim"]
    args = dict(w.split("=", 1) for w in words[5:])
    assert args.pop("replicates") == "1" and replicate_seeds(int(args.pop("seed")), 1) == [
        settings.run_seed(s)
    ]
    assert load_params([f"{k}={v}" for k, v in args.items()]) == settings.params_for(s)
    assert settings.command_line(settings.preset("hybrid")).endswith("replicates=1")


def test_coach_load_note_says_how_overloaded_coaching_is_and_how_it_is_cascaded():
    model = make_model("scenario=mandated")
    for _ in range(6):
        model.step()
    model.coaching.load = 3.0
    note = ex.coaching(model, model.table[-1])
    assert note.alert
    assert "Coach load is 3.0× capacity" in note.text
    assert "about 33% of adopters" in note.text
    depth, keep = cascade_depth(model), model.params.scenario.mandate.retention
    assert f"a cascade of trainers training trainers: {depth} hand-offs" in note.text
    assert f"keeping {keep:.0%} each pass on {keep**depth:.0%} of it" in note.text
    model.coaching.load = 0.5
    assert not ex.coaching(model, model.table[-1]).alert


def test_notes_follow_the_state_of_the_model():
    voluntary = make_model("scenario=voluntary")
    start = ex.explain(voluntary)
    assert [n.topic for n in start] == ["Now", "Start"]
    for _ in range(3):
        voluntary.step()
    topics = [n.topic for n in ex.explain(voluntary)]
    assert "Mandate" not in topics and "Testing" not in topics
    assert topics.index("Mobilizing structures") < topics.index("Coaching")  # step order

    mandated = make_model("scenario=test_and_punish")
    for _ in range(13):
        mandated.step()
    notes = {n.topic: n for n in ex.explain(mandated)}
    assert notes["Mobilizing structures"].alert  # no movement: nobody organizes visits
    assert "Nobody organizes" in notes["Mobilizing structures"].text
    assert notes["Testing"].alert and "punished" in notes["Testing"].text
    enrolled = int(mandated.schools.mandated.sum())
    assert f"required {enrolled} of the 60" in notes["Mandate"].text
    row = mandated.table[-1]
    assert f"{row['schools_genuine']:.0f} schools in genuine practice" in notes["Now"].text


def test_reversal_note_reports_survival_as_the_metrics_do():
    model = make_model("scenario=reversal", "years=8")
    model.run()
    note = next(n for n in ex.explain(model) if n.topic == "Change of government")
    s = survival_after_reversal(model)
    assert f"{s['survival_voluntary']:.0%} of the volunteers" in note.text
    assert str(math.floor(s["reversal_year"])) in note.text


def test_explaining_changes_nothing_in_the_model():
    model = make_model("scenario=hybrid")
    for _ in range(20):
        model.step()
    before = model.rng.bit_generator.state, model.teachers.motivation.copy(), len(model.table)
    ex.explain(model)
    after = model.rng.bit_generator.state, model.teachers.motivation, len(model.table)
    assert before[0] == after[0] and before[2] == after[2]
    np.testing.assert_array_equal(before[1], after[1])


# ------------------------------------------------------------------------------ picture, plots
def test_grid_shape_holds_every_cell():
    for n in range(1, 30):
        for aspect in (0.3, 1.0, 2.4):
            cols, rows = grid_shape(n, aspect)
            assert (cols * rows >= n and (cols - 1) * rows < n) or cols * (rows - 1) < n


def test_each_school_is_drawn_inside_its_zone_inside_its_region(seminar_model):
    m = seminar_model
    layout = school_layout(m.hierarchy.zone_region, m.schools.zone, 2.4)
    x, y = layout.xy[:, 0], layout.xy[:, 1]
    zx, zy, zw, zh = layout.zone_boxes[m.schools.zone].T
    assert np.all((x > zx) & (x < zx + zw) & (y > zy) & (y < zy + zh))
    rx, ry, rw, rh = layout.region_boxes[m.hierarchy.zone_region].T
    bx, by, bw, bh = layout.zone_boxes.T
    assert np.all((bx >= rx) & (bx + bw <= rx + rw) & (by >= ry) & (by + bh <= ry + rh))
    assert len(np.unique(layout.xy.round(9), axis=0)) == m.schools.zone.size


def test_school_links_are_the_teacher_ties_between_schools(seminar_model):
    m = seminar_model
    links = school_links(m.ties, m.teachers.school, m.schools.zone.size)
    ties = sp.triu(m.ties).tocoo()
    expected = {
        tuple(sorted((int(m.teachers.school[a]), int(m.teachers.school[b]))))
        for a, b in zip(ties.row, ties.col, strict=True)
    }
    expected = {p for p in expected if p[0] != p[1]}
    assert {tuple(p) for p in links.tolist()} == expected


def test_the_picture_changes_with_the_schools_and_not_otherwise(seminar_model):
    m = seminar_model
    n = m.schools.zone.size
    layout = school_layout(m.hierarchy.zone_region, m.schools.zone, 2.4)
    picture = Picture(layout)
    links = school_links(m.ties, m.teachers.school, n)
    states = np.full(n, SchoolState.NOT_STARTED, dtype=np.int8)
    off = np.zeros(n, dtype=bool)
    scene = Scene(states, off, off, np.zeros(m.n_zones, dtype=bool), links)
    first = picture.render(scene)
    assert first.startswith(PNG)
    assert picture.render(scene) == first
    states2 = states.copy()
    states2[:10] = [
        SchoolState.GENUINE,
        SchoolState.SURFACE,
        SchoolState.LAPSED,
        SchoolState.GENUINE,
        SchoolState.SURFACE,
        SchoolState.LAPSED,
        SchoolState.GENUINE,
        SchoolState.GENUINE,
        1,
        2,
    ]
    assert picture.render(dataclasses.replace(scene, states=states2)) != first
    assert picture.render(scene) == first  # nothing left over from the previous frame


def test_plots_grow_with_the_run_and_show_kept_runs_over_the_areas():
    model = make_model("scenario=voluntary", "years=2")
    model.run(6)
    plots = Plots(model.schools.zone.size, 2004, 2, 0.25)
    early = plots.render(model.table[:2], [])
    assert early.startswith(PNG) and plots.render(model.table, []) != early
    kept = Plots(model.schools.zone.size, 2004, 2, 0.25, kept=[("A", model.table)])
    assert kept.render(model.table[:2], []) != early
    # A kept run is drawn over the areas: it shows where the live run's areas cover it.
    assert kept.render(model.table, []) != plots.render(model.table, [])
    assert plots.render(model.table, [(3, 2004.25, "deputy_visit")]) != plots.render(
        model.table, []
    )


# ------------------------------------------------------------------------------ one run
def short(name: str = "voluntary", years: int = 1) -> Levers:
    return dataclasses.replace(settings.preset(name), years=years)


def test_a_run_stops_at_its_last_month(events):
    run = SeminarRun(short(), events)
    frame = run.advance(100)
    assert frame.step == 12 == run.model.steps and frame.finished
    assert run.advance(1).step == 12
    assert frame.picture.startswith(PNG) and frame.plots.startswith(PNG) and frame.notes


def test_a_failing_step_is_reported_in_plain_words(events, monkeypatch):
    run = SeminarRun(short(), events)
    good = run.advance(2)

    def broken() -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(run.model, "step", broken)
    frame = run.advance(3)
    assert frame.failure.startswith("The model stopped in month 3: ZeroDivisionError")
    assert "Press Reset" in frame.failure
    assert frame.step == 2 and frame.picture == good.picture  # the last good picture stays
    assert run.advance(1).step == 2  # no further steps on a broken run


def test_injected_opportunities_and_reversal(events):
    run = SeminarRun(short("voluntary", 3), events)
    run.advance(4)
    run.inject("deputy_visit")
    assert [p.mode for p in run.model.programmes] == ["invite"]
    assert run.model.events_log[-1][2] == "deputy_visit"
    before = int(run.model.schools.sheltered.sum())
    run.inject("leader_joins_ministry")
    assert ministry_paid_coaches(run.model) == events["leader_joins_ministry"].coaches
    assert run.model.schools.sheltered.sum() >= before
    frame = run.inject(REVERSAL)
    assert frame.reversed and not run.model.schools.sheltered.any()
    run.inject("deputy_visit")  # a withdrawn administration opens nothing
    assert [e[2] for e in run.model.events_log].count("deputy_visit") == 1


def test_two_threads_stepping_one_run_never_pass_its_end(events):
    run = SeminarRun(short(), events)
    threads = [threading.Thread(target=run.advance, args=(5,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert run.model.steps == 12 and len(run.table) == 13


# ------------------------------------------------------------------------------ the page
def picture_widget(widget) -> bool:
    return getattr(widget, "classes", None) == "redes-picture"


def month_text(rc) -> str:
    return rc.find(v.Html, class_="redes-month").widget.children[0]


def test_page_steps_warns_about_pending_settings_and_resets(monkeypatch):
    _box, rc = solara.render(SeminarPage(), handle_error=False)
    assert month_text(rc).startswith("Month 0 of 120")
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert month_text(rc).startswith("Month 1 of 120")
    slider = rc.find(v.Sheet, class_="d-flex ma-0 redes-lever-test_pressure").find(v.Slider)
    slider.widget.v_model = 5.0  # beyond the range: clamped
    assert rc.find(v.Html, children=["Test pressure (stakes): 1"]).widgets
    rc.find(v.Alert, class_="redes-pending").assert_single()
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert month_text(rc).startswith("Month 0 of 120")
    rc.find(v.Alert, class_="redes-pending").assert_empty()
    rc.find(v.Btn, children=["Step"]).widget.click()
    notes = [w.children[0] for w in rc.find(v.Html, class_="redes-note-topic").widgets]
    assert "Testing" in notes


def test_page_shows_a_failing_step_instead_of_going_blank(monkeypatch):
    def broken(self) -> None:
        raise RuntimeError("an example failure")

    # Mesa binds a model's step when the model is made: break it before the page makes one.
    monkeypatch.setattr(TutorialNetworkModel, "step", broken)
    _box, rc = solara.render(SeminarPage(), handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.click()
    alert = rc.find(v.Alert, class_="redes-failure")
    alert.assert_single()
    assert "The model stopped in month 1: RuntimeError: an example failure" in str(alert.widget)
    assert rc.find(v.Btn, children=["Step"]).widget.disabled
    pictures = [w for w in rc.find(ipyvue.VueTemplate).widgets if picture_widget(w)]
    assert len(pictures) == 1  # the picture stays
    assert base64.b64decode(pictures[0].src.split(",", 1)[1]).startswith(PNG)


def test_page_says_why_it_cannot_start_a_run(monkeypatch):
    def unreadable() -> dict:
        raise ConfigError("configs/app/seminar.yaml: inject.deputy_visit.pace: -1 is out of range")

    monkeypatch.setattr(components, "injected_events", unreadable)
    _box, rc = solara.render(SeminarPage(), handle_error=False)
    alert = rc.find(v.Alert, class_="redes-problem")
    assert "Cannot start a run: configs/app/seminar.yaml: inject.deputy_visit.pace" in str(
        alert.widget
    )
    assert rc.find(v.Btn, children=["Step"]).widget.disabled

    def broken_config() -> str:
        raise ConfigError("scenario.mandate.pace: -3 is out of range")

    monkeypatch.setattr(components, "default_scenario", broken_config)
    _box, rc = solara.render(SeminarPage(), handle_error=False)
    assert "The seminar app cannot start: scenario.mandate.pace" in str(
        rc.find(v.Alert, class_="redes-problem").widget
    )


# ------------------------------------------------------------------------------ offline assets
def test_offline_assets_are_the_packages_the_page_template_loads(tmp_path):
    specs = assets.required_packages()
    template = assets.TEMPLATE.read_text()
    assert specs and all(spec in template or spec.startswith("font-awesome") for spec in specs)
    assert any("requirejs@" in s for s in specs)
    assert assets.missing_packages(tmp_path) == specs
    for spec in specs:
        (tmp_path / spec).mkdir(parents=True)
        (tmp_path / spec / "package.json").write_text("{}")
    assert assets.missing_packages(tmp_path) == []
    assert assets.ensure_assets(tmp_path) == []  # nothing to fetch, npm not called


def test_load_params_of_the_seminar_system_is_what_the_app_uses():
    assert settings.scenario_params("voluntary") == load_params(
        ["system=seminar", "scenario=voluntary"]
    )


# ------------------------------------------------------------------------------ classroom
@pytest.mark.parametrize("exercise", exercises.EXERCISES, ids=lambda e: e.key)
def test_each_exercise_sets_its_levers_and_its_note_is_there_to_pin(exercise, events):
    levers = exercises.exercise_levers(exercise)
    assert levers.scenario == exercise.scenario and levers.seed == settings.default_seed()
    for name, value in exercise.levers.items():
        assert getattr(levers, name) == value, name  # no lever was clamped away
    run = SeminarRun(levers, events)
    frame = run.advance(exercise.month)
    assert frame.step == exercise.month
    assert exercise.note in [n.topic for n in frame.notes], "the note to pin is not shown"
    assert exercise.question and exercise.predict and exercise.metric in run.table[-1]


def test_the_bureaucracy_exercise_ends_more_bureaucratic_than_its_scenario(events):
    exercise = exercises.EXERCISE["movement_becomes_bureaucracy"]
    ends = []
    for levers in (settings.preset(exercise.scenario), exercises.exercise_levers(exercise)):
        run = SeminarRun(levers, events)
        run.advance(exercise.month)
        ends.append(run.table[-1]["bureaucratization_index"])
    assert ends[1] > ends[0] + 0.1, ends


def test_predict_then_run_reveals_the_value_at_the_month_and_tallies():
    table = [{"step": m, "schools_genuine": 10.0 + m} for m in range(0, 121)]
    g = exercises.reveal(exercises.Guess("voluntary_or_mandated", 80.0), table, 72)
    assert g.actual == 82.0 and g.close(150)  # within 10% of 150 schools
    far = exercises.reveal(exercises.Guess("voluntary_or_mandated", 10.0), table, 72)
    assert not far.close(150)
    assert exercises.tally([g, far], 150).startswith("Tally: 1 of 2 guesses close")
    assert exercises.tally([exercises.Guess("voluntary_or_mandated", 1.0)], 150).startswith("No")


def test_picks_reveal_which_run_ends_higher_and_count_in_the_tally():
    exercise = exercises.EXERCISE["who_goes_on_exchanges"]
    first, second = exercises.arms(exercise)
    assert (first, second) == ("tutors", "least engaged")
    versus = [{"step": 120, "schools_genuine": 140.0, "graduates_continuing": 0.81}]
    own = [{"step": 120, "schools_genuine": 140.0, "graduates_continuing": 0.83}]
    picked = {"schools_genuine": first, "graduates_continuing": second}
    picks = exercises.reveal_picks(exercise, picked, versus, own, 120)
    assert [p.actual for p in picks] == [exercises.TIE, second]
    assert picks[1].said(150) == (
        "More graduates going on to upper secondary: picked least engaged; tutors 81.0%, "
        "least engaged 83.0%: right."
    )
    guess = exercises.reveal(exercises.Guess("voluntary_or_mandated", 5.0), own, 120)
    assert exercises.tally([*picks, guess], 150).startswith("Tally: 1 of 3 guesses right or close")


def test_the_exchanges_exercise_plays_both_rules_from_the_page(monkeypatch):
    # Two years instead of ten: the page does the same, in a fifth of the time.
    exercise = dataclasses.replace(exercises.EXERCISE["who_goes_on_exchanges"], month=24)
    listed = tuple(exercise if e.key == exercise.key else e for e in exercises.EXERCISES)
    monkeypatch.setattr(components, "EXERCISES", listed)
    monkeypatch.setitem(exercises.EXERCISE, exercise.key, exercise)
    _box, rc = solara.render(SeminarPage(), handle_error=False)
    rc.find(v.Select, class_="redes-exercise").widget.v_model = exercise.title
    assert rc.find(v.Btn, children=["Run and reveal"]).widget.disabled
    for metric, name in zip(exercise.picks, exercises.arms(exercise), strict=True):
        rc.find(v.Select, class_=f"redes-pick-{metric}").widget.v_model = name
    rc.find(v.Btn, children=["Run and reveal"]).widget.click()
    assert month_text(rc).startswith(f"Month {exercise.month} of")
    said = rc.find(v.Html, class_="redes-tally").widget.children[0]
    assert said.startswith("More schools in genuine practice: picked tutors; tutors ")
    assert "More graduates going on to upper secondary: picked least engaged" in said
    assert "of 2 guesses right or close" in said
    kept = rc.find(v.Html, class_="redes-kept-names").widget.children[0]
    assert kept == "Kept: run A: voluntary"  # the tutors' run, drawn as a black line
    pinned = rc.find(v.Html, class_="redes-pin").widget.children[0]
    assert pinned.startswith("Read — Exchanges: ") and "the least engaged" in pinned


def test_runs_left_are_kept_as_a_b_c_and_the_oldest_gives_way(events):
    kept: list = []
    for scenario in ("voluntary", "mandated", "hybrid", "reversal"):
        run = SeminarRun(short(scenario), events)
        run.advance(2)
        kept = components.keep_run(kept, run)
    assert [(k.name, k.scenario) for k in kept] == [
        ("B", "mandated"),
        ("C", "hybrid"),
        ("A", "reversal"),
    ]
    assert components.keep_run(kept, SeminarRun(short(), events)) == kept  # nothing run yet


def test_a_run_exports_its_steps_and_command(events):
    run = SeminarRun(short(), events)
    run.advance(3)
    lines = components.steps_csv(run.table).splitlines()
    assert len(lines) == 1 + 4 and lines[0].startswith("step,year")
    png = components.page_png(run.frame())
    assert png.startswith(PNG) and len(png) > len(run.frame().plots)


def test_event_log_says_what_happened_in_plain_words(events):
    run = SeminarRun(short("mandated", 3), events)
    run.advance(14)
    run.inject(REVERSAL)
    log = run.frame().log
    assert any(line.startswith("2004: the ministry required 20 more schools") for line in log)
    assert log[-1] == "2005: a new government withdrew support."


def test_a_schools_story_and_the_lenses(events):
    run = SeminarRun(short("mandated", 3), events)
    run.advance(30)
    since = run.history.required
    required = int(np.argmin(np.where(since >= 0, since, since.max() + 1)))  # the first required
    story = run.story(required)
    assert story[0].startswith(f"School {required + 1}, zone ")
    assert any(line.startswith("Required to adopt since 2004") for line in story)
    assert any("zone supervisor's stance" in line for line in story)
    plain = run.frame().picture
    for lens in story_mod.LENSES[1:]:
        assert run.look_through(lens).picture != plain, lens
    assert run.look_through(story_mod.LENSES[0]).picture == plain
    # A click on a school's mark finds it; a click on empty space finds none.
    xy = run.picture.layout.xy[required]
    fx = (xy[0] + 0.005) / (run.picture.layout.width + 0.01)
    assert run.picture.school_at(fx, (1.005 - xy[1]) / 1.01) == required


def test_scenarios_are_described_in_the_menu():
    for name in settings.scenario_names():
        label = settings.scenario_label(name)
        assert "_" not in label.split(":")[0] and len(label) > len(name) + 20, label


def test_students_and_exchanges_notes_say_the_models_numbers(events):
    run = SeminarRun(short("voluntary", 2), events)
    frame = run.advance(12)  # an exchange month and the first graduation
    row = run.table[-1]
    notes = {n.topic: n.text for n in frame.notes}
    students = notes["Students"]
    assert f"engagement averages {row['student_engagement_mean']:.2f}" in students
    assert f"{row['share_voluntary_time']:.0%} are engaged enough" in students
    assert f"{round(row['demonstrations'])} students demonstrated a tema" in students
    assert f"{row['graduates_continuing']:.0%} are expected to go on" in students
    assert f"{row['graduates_continuing_adopting']:.0%} from adopting schools" in students
    assert f"{row['graduates_continuing_other']:.0%} from the others" in students
    went = f"{round(row['exchange_goers'])} students went; the "
    tutored = f"{round(row['adults_tutored_by_students'])} of them who tutor a tema"
    assert row["exchange_goers"] > 0 and f"This month {went}" in notes["Exchanges"]
    assert tutored in notes["Exchanges"] and ex.SELECTION_WORDS["tutors"] in notes["Exchanges"]
    later = {n.topic: n.text for n in run.advance(1).notes}["Exchanges"]
    assert f"In month 12, {went}" in later and "The next exchange is in month 18." in later
    assert "score" in notes["Learning"] and "mastery" not in notes["Learning"].lower()
    assert set(ex.SELECTION_WORDS) == set(settings.SELECTION_CHOICES)
    other = make_model("scenario=voluntary", "scenario.exchanges.selection=least_engaged")
    other.step()
    assert ex.SELECTION_WORDS["least_engaged"] in ex.exchanges(other, other.table[-1]).text
    mandated = make_model("scenario=mandated")
    mandated.step()
    assert "No academic exchanges" in ex.exchanges(mandated, mandated.table[-1]).text


def test_learning_note_compares_gains_not_levels(events):
    run = SeminarRun(settings.preset("mandated"), events)
    frame = run.advance(48)
    text = next(n.text for n in frame.notes if n.topic == "Learning")
    assert "started at" in text and "Since then adopting schools" in text


def test_page_scripts_are_pinned_at_the_versions_the_template_loads():
    assert sorted(assets.pinned_packages()) == assets.required_packages()
    assert all(v.startswith("sha512-") for v in assets.pinned_packages().values())


def test_page_scripts_live_outside_the_virtual_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("REDES_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert assets.cache_dir() == tmp_path / "redes" / "page"
    monkeypatch.setenv("REDES_CACHE", str(tmp_path / "elsewhere"))
    assert assets.cache_dir() == tmp_path / "elsewhere" / "page"


def test_the_fan_spans_the_seeds_and_is_drawn_behind_the_run(events):
    from seminar.fan import run_fan

    levers = short("voluntary", 1)
    fan = run_fan(levers, threading.Event(), seeds=4)
    assert fan.years.size == 13 and fan.seeds == 4
    for key in fan.low:
        assert (fan.low[key] <= fan.high[key]).all(), key
    assert (fan.high["schools_genuine"] > fan.low["schools_genuine"]).any()  # seeds differ
    again = run_fan(levers, threading.Event(), seeds=4)
    assert all((again.low[k] == fan.low[k]).all() for k in fan.low)  # same seeds, same fan
    run = SeminarRun(levers, events)
    run.advance(12)
    plain = run.frame().plots
    assert run.add_fan(fan).plots != plain
    cancelled = threading.Event()
    cancelled.set()
    assert run_fan(levers, cancelled) is None


def test_event_labels_stack_only_when_events_are_close():
    from seminar.plots import EVENT_LABEL_Y, label_heights

    events = [(0, 2005.0, "a"), (0, 2005.5, "b"), (0, 2009.0, "c"), (0, 2009.2, "d")]
    low, mid = EVENT_LABEL_Y[0], EVENT_LABEL_Y[1]
    assert label_heights(events) == [low, mid, low, mid]


def test_a_start_without_scripts_prints_the_fixing_command(monkeypatch, tmp_path, capsys):
    import solara.server.server as solara_server

    monkeypatch.setenv("REDES_CACHE", str(tmp_path))
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)  # no npm on this machine
    # Both are set by the start: restored after the test.
    monkeypatch.setattr(solara_server, "get_jinja_env", solara_server.get_jinja_env)
    cache = assets.solara_settings.assets
    monkeypatch.setattr(cache, "proxy_cache_dir", cache.proxy_cache_dir)
    assert assets.prepare_on_start() is False
    err = capsys.readouterr().err
    assert f"Fix it with internet once:  {assets.FIX_COMMAND}" in err and "install Node.js" in err
    # The page's template carries the notice, shown at once while the scripts are missing.
    template = solara_server.get_jinja_env("__default__").get_template("index.html.j2")
    notice = template.blocks["after_pre_rendered_html"](template.new_context({}))
    html = "".join(notice)
    assert "its scripts are missing" in html and assets.FIX_COMMAND in html
    assert 'style=" position: fixed' in html  # not display: none
