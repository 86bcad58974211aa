"""The seminar page, built from Solara components (the framework under Mesa's SolaraViz).

Left: the guided exercises (with predict-then-run), the scenario and its levers. Middle: Step,
Play, Reset, the speed, the text size and the month over the picture (click a school for its
story; a lens recolours it) and the live plots, with the runs kept as A, B, C, the fan of seeds
and the export. Right: pinned alerts and the exercise's note and question, buttons that inject
political events into the running model, messages, what the mechanisms are doing in plain
words, and the event log. Everything fits a 1280×720 and a 1024×768 projector. The page's state
lives in the `Seminar` component, so each browser tab has its own run; the Play loop and the fan
run in threads of their own and show frames only of the run still current.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import solara
import solara.lab
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException
from PIL import Image

from runs.config import compose_config
from seminar.exercises import (
    EXERCISE,
    EXERCISES,
    PICKED,
    Exercise,
    Guess,
    Round,
    arms,
    exercise_levers,
    reveal,
    reveal_picks,
    tally,
)
from seminar.explain import Note
from seminar.fan import FAN_SEEDS, run_fan
from seminar.palette import BLUE
from seminar.picture import legend_png
from seminar.session import REVERSAL, Frame, Row, SeminarRun
from seminar.settings import (
    CHOICES,
    LEVERS,
    Lever,
    Levers,
    choice_labels,
    choose_scenario,
    command_line,
    injected_events,
    lever_range,
    preset,
    reversal_choices,
    scenario_label,
    scenario_names,
    set_lever,
    set_seed,
)
from seminar.story import LENS_KEYS, LENSES
from sim.params import ConfigError

log = logging.getLogger(__name__)
# Play: months advanced per frame, and the shortest time a frame stays on screen.
SPEEDS = {"1 month": 1, "3 months": 3, "1 year": 12}
FRAME_SECONDS = 0.25
INJECT_BUTTONS = (
    ("deputy_visit", "Deputy minister visits"),
    ("leader_joins_ministry", "Leader joins ministry"),
    (REVERSAL, "New government withdraws support"),
)
# Levers that only matter when the ministry's mandate is on.
MANDATE_LEVERS = {"mandate_pace", "mandate_target", "coaching", "coaches"}

TEXT_SIZES = {"100%": 1.0, "125%": 1.25, "150%": 1.5}
# Kept runs are named A, B, C; a fourth replaces the oldest.
RUN_NAMES = ("A", "B", "C")
REASON_REVERSED = (
    "No new opportunities: the new government has withdrawn support, and no administration "
    "opens anything for the rest of the run."
)
REASON_STOPPED = "The run has ended or stopped: press Reset to start a new one."
REASON_NO_MANDATE = "Off while the ministry mandate is off (Who acts, above)."
REASON_NO_EXCHANGES = (
    "Off while nobody organizes exchanges: they need the movement, or the mandate with "
    "coaching by nodes."
)
LOG_SHOWN = 8
# What the class answers before a run: a number, or for a comparison the run picked per figure.
Answer = float | dict[str, str] | None


def page_css(scale: float) -> str:
    """The page's style at a text scale; below 1150 px wide (a 1024×768 projector) the columns
    narrow so that all three fit the screen's width."""

    def px(size: float) -> str:
        return f"{size * scale:.1f}px"

    return f"""
.redes-page {{ font-size: {px(15)}; line-height: 1.3; padding: 6px; flex-wrap: nowrap;
  max-width: 100vw; box-sizing: border-box; }}
.redes-page .v-btn {{ text-transform: none; letter-spacing: 0; font-size: {px(15)}; }}
.redes-controls {{ width: 280px; min-width: 280px; max-height: calc(100vh - 12px);
  overflow-y: auto; overflow-x: hidden; padding: 0 6px 0 12px; box-sizing: border-box; }}
.redes-title {{ font-size: {px(19)}; font-weight: bold; }}
.redes-group {{ font-size: {px(15)}; font-weight: bold; margin-top: 6px; color: #333; }}
.redes-lever-label {{ font-size: {px(14)}; margin-bottom: -8px; }}
.redes-help {{ font-size: {px(12.5)}; color: #555; margin-top: -6px; line-height: 1.2; }}
.redes-reason {{ font-size: {px(13)}; color: #7a3b00; line-height: 1.2; }}
.redes-middle {{ flex: 0 1 660px; min-width: 0; }}
.redes-middle img {{ width: 100%; height: auto; display: block; margin: 0 !important; }}
.redes-toolbar .v-input__details {{ display: none; }}
.redes-side {{ flex: 1 1 300px; min-width: 240px; max-height: calc(100vh - 12px);
  overflow-y: auto; overflow-x: hidden; }}
.redes-side > *, .redes-controls > * {{ flex-shrink: 0; }}
.redes-alerts {{ position: sticky; top: 0; z-index: 2; background: white; max-height: 50vh;
  overflow-y: auto; }}
.redes-buttons {{ flex-wrap: wrap; row-gap: 4px; }}
.redes-controls .v-btn, .redes-export .v-btn {{ max-width: 100%; height: auto !important;
  min-height: 32px; }}
.redes-controls .v-btn__content, .redes-export .v-btn__content {{ white-space: normal; }}
.redes-side .v-btn {{ max-width: 100%; height: auto !important; min-height: 32px;
  padding-top: 3px; padding-bottom: 3px; }}
.redes-side .v-btn__content {{ white-space: normal; text-align: left; }}
.redes-note {{ border-left: 4px solid #BBBBBB; padding: 1px 4px 1px 8px; margin-bottom: 5px;
  font-size: {px(14.5)}; }}
.redes-note-alert {{ border-left-color: #D55E00; background: #FFF4EC; }}
.redes-note-topic {{ font-weight: bold; }}
.redes-pinned {{ border: 2px solid #0072B2; background: #EEF6FB; padding: 4px 8px;
  margin-bottom: 6px; font-size: {px(14.5)}; }}
.redes-toolbar {{ align-items: center; flex-wrap: wrap; row-gap: 2px; }}
.redes-month {{ font-size: {px(17)}; font-weight: bold; white-space: nowrap; }}
.redes-speed {{ min-width: 130px; max-width: 130px; }}
.redes-text-size {{ min-width: 120px; max-width: 120px; }}
.redes-command {{ font-family: monospace; font-size: {px(12)}; overflow-wrap: anywhere; }}
.redes-lens {{ min-width: 170px; max-width: 170px; }}
.redes-lens-key {{ margin-top: 2px; }}
.redes-log {{ font-size: {px(13)}; }}
@media (max-width: 1150px) {{
  .redes-controls {{ width: 240px; min-width: 240px; }}
  .redes-side {{ flex: 1 1 230px; min-width: 220px; }}
  .redes-page {{ gap: 8px !important; }}
}}
"""


def start_run(
    levers: Levers, kept: Sequence[tuple[str, Sequence[Row]]] = ()
) -> tuple[SeminarRun | None, str]:
    """A new run, or None and a one-line reason (shown in the page, never a blank screen)."""
    try:
        return SeminarRun(levers, injected_events(), kept), ""
    except ConfigError as err:
        return None, str(err)
    except Exception as err:  # a bug in building the model: say it in the page, log the rest
        log.exception("could not start a run")
        return None, f"{type(err).__name__}: {err}"


def first_settings() -> tuple[Levers | None, str]:
    """The default scenario's levers, or None and why the configuration cannot give them."""
    try:
        return preset(default_scenario()), ""
    except (ConfigError, HydraException, OmegaConfBaseException) as err:
        return None, str(err).splitlines()[0]


def keep_run(kept: list[Kept], run: SeminarRun | None) -> list[Kept]:
    """The runs kept for comparison after leaving `run`: it takes the next free name, or the
    oldest run's name when A, B and C are taken. A run of one month or less is not kept."""
    if run is None or len(run.table) <= 1:
        return kept
    name = RUN_NAMES[len(kept)] if len(kept) < len(RUN_NAMES) else kept[0].name
    rest = kept if len(kept) < len(RUN_NAMES) else kept[1:]
    return [*rest, Kept(name, run.levers.scenario, tuple(run.table))]


@dataclass(frozen=True)
class Kept:
    """A run kept for comparison: its name in the plots' legends and its rows."""

    name: str
    scenario: str
    table: tuple[Row, ...]


@solara.component
def SeminarPage() -> None:  # noqa: N802
    first, reason = solara.use_memo(first_settings, [])
    if first is None:
        solara.Error(f"The seminar app cannot start: {reason}", classes=["redes-problem"])
    else:
        Seminar(first)


@solara.component
def Seminar(first: Levers) -> None:  # noqa: N802
    settings = solara.use_reactive(first)
    initial = solara.use_memo(lambda: start_run(first), [])
    run = solara.use_reactive(initial[0])
    problem = solara.use_reactive(initial[1])
    first_frame = solara.use_memo(lambda: initial[0].frame() if initial[0] else None, [])
    frame = solara.use_reactive(first_frame)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(next(iter(SPEEDS)))
    text_size = solara.use_reactive(next(iter(TEXT_SIZES)))
    kept = solara.use_reactive(cast(list[Kept], []))
    exercise = solara.use_reactive(cast(Exercise | None, None))
    guesses = solara.use_reactive(cast(list[Round], []))
    lens = solara.use_reactive(LENSES[0])
    with_fan = solara.use_reactive(True)
    school = solara.use_reactive(cast(int | None, None))
    swap = solara.use_memo(threading.Lock, [])  # orders "show this frame" against Reset

    def show(source: SeminarRun, new: Frame) -> None:
        with swap:
            if source is run.value:
                frame.set(new)

    def step() -> None:
        if run.value is not None:
            show(run.value, run.value.advance(1))

    def restart(levers: Levers) -> SeminarRun | None:
        playing.set(False)
        now_kept = keep_run(kept.value, run.value)
        new, reason = start_run(levers, [(k.name, k.table) for k in now_kept])
        if new is not None:
            new.lens = lens.value
        with swap:
            problem.set(reason)
            kept.set(now_kept)
            if new is not None:
                run.set(new)
                frame.set(new.frame())
        return new

    def reset() -> None:
        exercise.set(None)
        restart(settings.value)

    def clear_runs() -> None:
        kept.set([])

    def inject(kind: str) -> None:
        if run.value is not None:
            show(run.value, run.value.inject(kind))

    def load_exercise(chosen: Exercise, answer: Answer) -> None:
        """Set the exercise's levers, play to its month, pin its note; reveal a guess. A
        comparison first plays the run it is compared with, which stays as a kept run."""
        seed = settings.value.seed
        first = restart(exercise_levers(chosen, seed=seed, versus=True)) if chosen.versus else None
        if first is not None:
            first.advance(chosen.month)
        levers = exercise_levers(chosen, seed=seed)
        settings.set(levers)
        exercise.set(chosen)
        new = restart(levers)
        if new is None:
            return
        show(new, new.advance(chosen.month))
        if isinstance(answer, dict) and first is not None:
            picks = reveal_picks(chosen, answer, first.table, new.table, chosen.month)
            guesses.set([*guesses.value, *picks])
        elif isinstance(answer, float | int):
            round_ = reveal(Guess(chosen.key, float(answer)), new.table, chosen.month)
            guesses.set([*guesses.value, round_])

    def change_lens(name: str) -> None:
        lens.set(name)
        if run.value is not None:
            show(run.value, run.value.look_through(name))

    def pick_school(where: dict) -> None:
        source = run.value
        if source is not None:
            school.set(source.picture.school_at(float(where["x"]), float(where["y"])))

    def fan_loop(cancel: threading.Event) -> None:
        source = run.value
        if source is None or not with_fan.value:
            return
        fan = run_fan(source.levers, cancel)
        if fan is not None and not cancel.is_set():
            show(source, source.add_fan(fan))

    def play_loop(cancel: threading.Event) -> None:
        source = run.value
        if not playing.value or source is None:
            return
        while not cancel.is_set():
            started = time.monotonic()
            new = source.advance(SPEEDS[speed.value])
            show(source, new)
            if new.finished or new.failure:
                playing.set(False)
                return
            cancel.wait(max(0.0, FRAME_SECONDS - (time.monotonic() - started)))

    # intrusive_cancel would trace every line of the model: the loop checks `cancel` instead.
    solara.use_thread(play_loop, dependencies=[playing.value, run.value], intrusive_cancel=False)
    solara.use_thread(fan_loop, dependencies=[run.value, with_fan.value], intrusive_cancel=False)

    f = frame.value
    n_schools = run.value.model.schools.zone.size if run.value is not None else 0
    story = run.value.story(school.value) if run.value and school.value is not None else []
    solara.lab.theme.themes.light.primary = BLUE  # buttons in the figures' palette (per session)
    solara.Title("Tutorial networks: seminar")
    solara.Style(page_css(TEXT_SIZES[text_size.value]))
    with solara.Row(classes=["redes-page"], gap="12px", style={"align-items": "flex-start"}):
        with solara.Column(gap="4px", classes=["redes-controls"]):
            Exercises(exercise.value, guesses.value, n_schools, on_load=load_exercise)
            Controls(settings)
        with solara.Column(gap="4px", classes=["redes-middle"]):
            Toolbar(f, playing, speed, text_size, lens.value, change_lens, step, reset)
            Views(f, lens.value, on_school=pick_school)
            with solara.Row(gap="8px", classes=["redes-buttons"], style={"align-items": "center"}):
                solara.Switch(
                    label=f"Fan of {FAN_SEEDS} seeds behind the run",
                    value=with_fan,
                    classes=["redes-fan"],
                )
                KeptRuns(kept.value, on_clear=clear_runs)
            Export(run.value, f)
        with solara.Column(gap="4px", classes=["redes-side"]):
            Alerts(f, exercise.value)
            Story(story, on_close=lambda: school.set(None))
            Events(f, on_inject=inject)
            Messages(settings.value, run.value, f, problem.value)
            Notes(tuple(n for n in f.notes if not n.alert) if f else ())
            EventLog(f.log if f else ())


def default_scenario() -> str:
    """The scenario `python -m sim` runs when given none (configs/config.yaml)."""
    return str(compose_config([]).scenario.name)


# ------------------------------------------------------------------------------ run controls
@solara.component
def Toolbar(  # noqa: N802
    frame: Frame | None,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[str],
    text_size: solara.Reactive[str],
    lens: str,
    on_lens: Callable[[str], None],
    on_step: Callable[[], None],
    on_reset: Callable[[], None],
) -> None:
    stopped = frame is None or frame.finished or frame.failure is not None
    with solara.Row(gap="8px", classes=["redes-toolbar"]):
        solara.Button(
            "Step",
            on_click=on_step,
            disabled=stopped or playing.value,
            color="primary",
            classes=["redes-step"],
        )
        solara.Button(
            "Pause" if playing.value else "Play",
            on_click=lambda: playing.set(not playing.value),
            disabled=stopped,
            color="primary",
            classes=["redes-play"],
        )
        solara.Button("Reset", on_click=on_reset, outlined=True, classes=["redes-reset"])
        solara.Select(
            "Speed", values=list(SPEEDS), value=speed, dense=True, classes=["redes-speed"]
        )
        solara.Select(
            "Text size",
            values=list(TEXT_SIZES),
            value=text_size,
            dense=True,
            classes=["redes-text-size"],
        )
        solara.Select(
            "Lens",
            values=list(LENSES),
            value=lens,
            on_value=on_lens,
            dense=True,
            classes=["redes-lens"],
        )
        month = f"Month {frame.step} of {frame.steps} · {frame.year}" if frame else "No run"
        solara.Text(month, classes=["redes-month"])


@solara.component
def Events(frame: Frame | None, on_inject: Callable[[str], None]) -> None:  # noqa: N802
    """Buttons that open a political opportunity, or withdraw support, in the running model."""
    stopped = frame is None or frame.finished or frame.failure is not None
    with solara.Column(gap="4px", classes=["redes-events"]):
        solara.Text("Political events, now:", classes=["redes-group"])
        for kind, label in INJECT_BUTTONS:
            # After a reversal, no administration opens new opportunities (rules/opportunities).
            blocked = stopped or (frame is not None and frame.reversed)
            solara.Button(
                label,
                on_click=lambda kind=kind: on_inject(kind),
                disabled=blocked,
                outlined=True,
                classes=[f"redes-inject-{kind}"],
            )
        if stopped:
            solara.Text(REASON_STOPPED, classes=["redes-reason"])
        elif frame is not None and frame.reversed:
            solara.Text(REASON_REVERSED, classes=["redes-reason"])


# ------------------------------------------------------------------------------ settings
@solara.component
def Controls(settings: solara.Reactive[Levers]) -> None:  # noqa: N802
    s = settings.value
    with solara.Column(gap="4px"):
        labels = {scenario_label(name): name for name in scenario_names()}
        solara.Select(
            "Scenario",
            values=list(labels),
            value=scenario_label(s.scenario),
            on_value=lambda label: settings.set(choose_scenario(settings.value, labels[label])),
            classes=["redes-scenario"],
        )
        solara.InputInt(
            "Seed",
            value=s.seed,
            on_value=lambda v: settings.set(set_seed(settings.value, v)),
            classes=["redes-seed"],
        )
        group = ""
        for lever in LEVERS:
            if lever.group != group:
                group = lever.group
                solara.Text(group, classes=["redes-group"])
            LeverControl(lever, settings)
        solara.Text("The same run from the command line:", classes=["redes-help"])
        solara.Text(command_line(s), classes=["redes-command"])


@solara.component
def LeverControl(lever: Lever, settings: solara.Reactive[Levers]) -> None:  # noqa: N802
    s = settings.value
    value = getattr(s, lever.name)
    reason = off_reason(lever, s)
    disabled = bool(reason)

    def move(new: object) -> None:
        settings.set(set_lever(settings.value, lever.name, new))

    with solara.Column(gap="0px", classes=[f"redes-lever-{lever.name}"]):
        if lever.kind == "toggle":
            solara.Switch(label=lever.label, value=bool(value), on_value=move)
        elif lever.kind in ("int", "float"):
            lo, hi = lever_range(lever, s)
            solara.Text(f"{lever.label}: {value:g}", classes=["redes-lever-label"])
            slider = solara.SliderInt if lever.kind == "int" else solara.SliderFloat
            slider(
                "",
                value=value,
                min=lo,
                max=hi,
                step=lever.step,
                on_value=move,
                thumb_label=False,
                disabled=disabled,
            )
        elif lever.name in CHOICES:
            labels = choice_labels(lever.name)
            solara.Select(
                lever.label,
                values=list(labels),
                value=next(k for k, v in labels.items() if v == value),
                on_value=lambda text: move(labels[text]),
                disabled=disabled,
                dense=True,
            )
        else:
            choices = reversal_choices(s)
            label = next(k for k, v in choices.items() if v == value)
            solara.Select(
                lever.label,
                values=list(choices),
                value=label,
                dense=True,
                on_value=lambda text: move(choices[text]),
            )
        if disabled:
            solara.Text(reason, classes=["redes-reason"])
        elif lever.help:
            solara.Text(lever.help, classes=["redes-help"])


def off_reason(lever: Lever, s: Levers) -> str:
    """Why a lever has no effect with these settings ("" when it has one)."""
    if lever.name in MANDATE_LEVERS and not s.mandate:
        return REASON_NO_MANDATE
    organized = s.movement or (s.mandate and s.coaching == "nodes")
    if lever.name == "exchange_selection" and not organized:
        return REASON_NO_EXCHANGES
    return ""


# ------------------------------------------------------------------------------ the views
@solara.component_vue("picture.vue")
def ClickablePicture(  # noqa: N802
    src: str, classes: str, event_clicked: Callable[[dict], None]
) -> None:
    """The picture as an <img> that reports where it was clicked."""


@solara.component
def Views(  # noqa: N802
    frame: Frame | None, lens: str, on_school: Callable[[dict], None]
) -> None:
    if frame is None:
        return
    with solara.Column(gap="2px"):
        if frame.picture:
            src = "data:image/png;base64," + base64.b64encode(frame.picture).decode()
            ClickablePicture(src=src, classes="redes-picture", event_clicked=on_school)
            if lens == LENSES[0]:
                solara.Image(legend_png(), classes=["redes-legend"])
            else:
                solara.Text(f"Lens: {LENS_KEYS[lens]}", classes=["redes-help", "redes-lens-key"])
        if frame.plots:
            solara.Image(frame.plots, classes=["redes-plots"])


@solara.component
def Story(lines: Sequence[str], on_close: Callable[[], None]) -> None:  # noqa: N802
    """One school's story, from a click on the picture."""
    if not lines:
        return
    with solara.Column(gap="0px", classes=["redes-story", "redes-pinned"]):
        with solara.Row(style={"align-items": "center", "justify-content": "space-between"}):
            solara.Text("A school's story", classes=["redes-note-topic"])
            solara.Button("Close", on_click=on_close, text=True, classes=["redes-story-close"])
        for line in lines:
            solara.Text(line)


@solara.component
def Messages(  # noqa: N802
    settings: Levers, run: SeminarRun | None, frame: Frame | None, problem: str
) -> None:
    if problem:
        solara.Error(f"Cannot start a run: {problem}", classes=["redes-problem"])
    if frame is not None and frame.failure:
        solara.Error(frame.failure, classes=["redes-failure"])
    elif frame is not None and frame.finished:
        solara.Info("The run has reached its last month. Press Reset to run again.", dense=True)
    if run is not None and settings != run.levers:
        solara.Warning(
            "Settings changed: press Reset to start a run with them.",
            dense=True,
            classes=["redes-pending"],
        )


@solara.component
def Notes(notes: tuple[Note, ...]) -> None:  # noqa: N802
    with solara.Column(gap="0px", classes=["redes-notes-list"]):
        for note in notes:
            style = ["redes-note", "redes-note-alert"] if note.alert else ["redes-note"]
            with solara.Column(gap="0px", classes=style):
                solara.Text(note.topic, classes=["redes-note-topic"])
                solara.Text(note.text)


@solara.component
def Alerts(frame: Frame | None, exercise: Exercise | None) -> None:  # noqa: N802
    """Pinned at the top of the right column: the exercise's note and question, then the
    notes that flag what to point at."""
    notes = frame.notes if frame is not None else ()
    with solara.Column(gap="0px", classes=["redes-alerts"]):
        if exercise is not None:
            with solara.Column(gap="2px", classes=["redes-pinned"]):
                solara.Text(exercise.title, classes=["redes-note-topic"])
                pinned = next((n for n in notes if n.topic == exercise.note), None)
                if pinned is not None:
                    solara.Text(f"Read — {pinned.topic}: {pinned.text}", classes=["redes-pin"])
                solara.Text(f"Discuss: {exercise.question}", classes=["redes-question"])
        for note in notes:
            if note.alert and (exercise is None or note.topic != exercise.note):
                with solara.Column(gap="0px", classes=["redes-note", "redes-note-alert"]):
                    solara.Text(note.topic, classes=["redes-note-topic"])
                    solara.Text(note.text)


@solara.component
def Exercises(  # noqa: N802
    current: Exercise | None,
    guesses: list[Round],
    n_schools: int,
    on_load: Callable[[Exercise, Answer], None],
) -> None:
    """Load an exercise of docs/seminar.md; in predict-then-run, enter the class's guess first
    (for a comparison, pick for each figure the run that will end higher)."""
    titles = {e.title: e for e in EXERCISES}
    chosen = solara.use_reactive(EXERCISES[0].title)
    guess = solara.use_reactive(cast(float | None, None))
    picked = solara.use_reactive(cast(dict[str, str], {}))
    exercise = titles[chosen.value]
    answer: Answer = guess.value
    if exercise.picks:
        mine = {m: picked.value[m] for m in exercise.picks if m in picked.value}
        answer = mine if len(mine) == len(exercise.picks) else None
    with solara.Column(gap="2px", classes=["redes-exercises"]):
        solara.Text("Tutorial networks", classes=["redes-title"])
        solara.Select("Exercise", values=list(titles), value=chosen, classes=["redes-exercise"])
        solara.Text(f"Predict: {exercise.predict}", classes=["redes-help", "redes-predict"])
        if exercise.picks:
            for metric in exercise.picks:
                solara.Select(
                    f"More {PICKED[metric][0]}",
                    values=list(arms(exercise)),
                    value=picked.value.get(metric),
                    on_value=lambda name, m=metric: picked.set(picked.value | {m: name}),
                    dense=True,
                    classes=[f"redes-pick-{metric}"],
                )
        else:
            solara.InputFloat(
                "The class's guess", value=guess, optional=True, classes=["redes-guess"]
            )
        with solara.Row(gap="4px", classes=["redes-buttons"]):
            solara.Button(
                "Load exercise",
                on_click=lambda: on_load(exercise, None),
                color="primary",
                outlined=True,
                classes=["redes-load-exercise"],
            )
            solara.Button(
                "Run and reveal",
                on_click=lambda: on_load(exercise, answer),
                disabled=answer is None,
                color="primary",
                classes=["redes-reveal"],
            )
        if answer is None:
            what = "a pick for each figure" if exercise.picks else "a guess"
            solara.Text(f"Enter {what} to run and reveal.", classes=["redes-reason"])
        revealed = [g for g in guesses if g.actual is not None]
        if revealed:
            last = latest_round(revealed)
            said = " ".join(g.said(n_schools) for g in last)
            solara.Text(f"{said} {tally(guesses, n_schools)}", classes=["redes-tally"])
        if current is not None:
            solara.Text(f"Loaded: {current.title}", classes=["redes-help"])


def latest_round(revealed: Sequence[Round]) -> list[Round]:
    """The last round played: one guess, or the picks of one comparison."""
    last = revealed[-1]
    if isinstance(last, Guess):
        return [last]
    n = len(EXERCISE[last.exercise].picks)
    return list(revealed[-n:])


@solara.component
def KeptRuns(kept: list[Kept], on_clear: Callable[[], None]) -> None:  # noqa: N802
    """The names of the runs kept for comparison (drawn as black lines in the plots)."""
    if not kept:
        solara.Text(
            "Reset keeps the run you leave as run A, B or C, drawn as a black line.",
            classes=["redes-help", "redes-kept"],
        )
        return
    with solara.Row(gap="6px", style={"align-items": "center"}, classes=["redes-kept"]):
        names = "; ".join(f"run {k.name}: {k.scenario}" for k in kept)
        solara.Text(f"Kept: {names}", classes=["redes-kept-names"])
        solara.Button("Clear", on_click=on_clear, text=True, classes=["redes-clear-runs"])


def page_png(frame: Frame) -> bytes:
    """The page's picture, its key and its plots, one under the other, as one PNG."""
    parts = [Image.open(io.BytesIO(png)) for png in (frame.picture, legend_png(), frame.plots)]
    width = max(p.width for p in parts)
    sheet = Image.new("RGB", (width, sum(p.height for p in parts)), "white")
    top = 0
    for part in parts:
        sheet.paste(part, (0, top))
        top += part.height
    out = io.BytesIO()
    sheet.save(out, format="png")
    return out.getvalue()


def steps_csv(table: Sequence[Row]) -> str:
    """A run's steps as CSV, one row a month, every metric the model collects."""
    out = io.StringIO()
    if table:
        writer = csv.DictWriter(out, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    return out.getvalue()


@solara.component
def Export(run: SeminarRun | None, frame: Frame | None) -> None:  # noqa: N802
    """Take the run away: its plots as PNG, its steps as CSV; its command line is on the left."""
    if run is None or frame is None:
        return
    with solara.Row(gap="6px", classes=["redes-export", "redes-buttons"]):
        solara.FileDownload(
            lambda: page_png(frame), filename="redes-run.png", label="Picture and plots (PNG)"
        )
        solara.FileDownload(
            lambda: steps_csv(run.table), filename="redes-steps.csv", label="Steps (CSV)"
        )
        solara.FileDownload(
            lambda: command_line(run.levers) + "\n",
            filename="redes-command.txt",
            label="Command line",
        )


@solara.component
def EventLog(log: Sequence[str]) -> None:  # noqa: N802
    """What happened, in plain words, latest first."""
    if not log:
        return
    with solara.Column(gap="0px", classes=["redes-log"]):
        solara.Text("What happened", classes=["redes-group"])
        for line in reversed(log[-LOG_SHOWN:]):
            solara.Text(line, classes=["redes-log-line"])
