"""The seminar page, built from Solara components (the framework under Mesa's SolaraViz).

Left: the scenario and its levers. Middle: Step, Play, Reset, the speed and the month over
the picture and the live plots. Right: buttons that inject political events into the running
model, messages, and what the mechanisms are doing in plain words. Everything fits a 1280×720
projector. The page's state lives in the `Seminar` component, so each browser tab has its own
run; the Play loop runs in a thread of its own and shows frames only of the run still current.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import solara
import solara.lab
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from runs.config import compose_config
from seminar.explain import Note
from seminar.palette import BLUE
from seminar.picture import legend_png
from seminar.session import REVERSAL, Frame, SeminarRun
from seminar.settings import (
    COACHING_CHOICES,
    LEVERS,
    Lever,
    Levers,
    choose_scenario,
    command_line,
    injected_events,
    lever_range,
    preset,
    reversal_choices,
    scenario_names,
    set_lever,
    set_seed,
)
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

CSS = """
.redes-page { font-size: 15px; line-height: 1.3; padding: 6px; }
.redes-page .v-btn { text-transform: none; letter-spacing: 0; font-size: 15px; }
.redes-controls { width: 280px; min-width: 280px; max-height: calc(100vh - 12px);
  overflow-y: auto; padding-right: 6px; }
.redes-title { font-size: 19px; font-weight: bold; }
.redes-group { font-size: 15px; font-weight: bold; margin-top: 6px; color: #333; }
.redes-lever-label { font-size: 14px; margin-bottom: -8px; }
.redes-help { font-size: 12.5px; color: #555; margin-top: -6px; line-height: 1.2; }
.redes-middle { flex: 0 1 660px; min-width: 420px; }
.redes-middle img { width: 100%; height: auto; display: block; margin: 0 !important; }
.redes-toolbar .v-input__details { display: none; }
.redes-side { flex: 1 1 300px; min-width: 240px; max-height: calc(100vh - 12px); overflow-y: auto; }
.redes-side > *, .redes-controls > * { flex-shrink: 0; }
.redes-note { border-left: 4px solid #BBBBBB; padding: 1px 4px 1px 8px; margin-bottom: 5px;
  font-size: 14.5px; }
.redes-note-alert { border-left-color: #D55E00; background: #FFF4EC; }
.redes-note-topic { font-weight: bold; }
.redes-toolbar { align-items: center; flex-wrap: nowrap; }
.redes-month { font-size: 17px; font-weight: bold; white-space: nowrap; }
.redes-speed { min-width: 150px; max-width: 150px; }
.redes-command { font-family: monospace; font-size: 12px; overflow-wrap: anywhere; }
"""


def start_run(settings: Levers, previous: list | tuple = ()) -> tuple[SeminarRun | None, str]:
    """A new run, or None and a one-line reason (shown in the page, never a blank screen)."""
    try:
        return SeminarRun(settings, injected_events(), previous), ""
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
    swap = solara.use_memo(threading.Lock, [])  # orders "show this frame" against Reset

    def show(source: SeminarRun, new: Frame) -> None:
        with swap:
            if source is run.value:
                frame.set(new)

    def step() -> None:
        if run.value is not None:
            show(run.value, run.value.advance(1))

    def reset() -> None:
        playing.set(False)
        old = run.value
        previous = old.table if old is not None and len(old.table) > 1 else ()
        new, reason = start_run(settings.value, previous)
        with swap:
            problem.set(reason)
            if new is not None:
                run.set(new)
                frame.set(new.frame())

    def inject(kind: str) -> None:
        if run.value is not None:
            show(run.value, run.value.inject(kind))

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

    f = frame.value
    solara.lab.theme.themes.light.primary = BLUE  # buttons in the figures' palette (per session)
    solara.Title("Tutorial networks: seminar")
    solara.Style(CSS)
    with solara.Row(classes=["redes-page"], gap="12px", style={"align-items": "flex-start"}):
        Controls(settings)
        with solara.Column(gap="4px", classes=["redes-middle"]):
            Toolbar(f, playing, speed, on_step=step, on_reset=reset)
            Views(f)
        with solara.Column(gap="4px", classes=["redes-side"]):
            Events(f, on_inject=inject)
            Messages(settings.value, run.value, f, problem.value)
            Notes(f.notes if f else ())


def default_scenario() -> str:
    """The scenario `python -m sim` runs when given none (configs/config.yaml)."""
    return str(compose_config([]).scenario.name)


# ------------------------------------------------------------------------------ run controls
@solara.component
def Toolbar(  # noqa: N802
    frame: Frame | None,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[str],
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


# ------------------------------------------------------------------------------ settings
@solara.component
def Controls(settings: solara.Reactive[Levers]) -> None:  # noqa: N802
    s = settings.value
    with solara.Column(gap="4px", classes=["redes-controls"]):
        solara.Text("Tutorial networks", classes=["redes-title"])
        solara.Select(
            "Scenario",
            values=scenario_names(),
            value=s.scenario,
            on_value=lambda name: settings.set(choose_scenario(settings.value, name)),
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
    disabled = lever.name in MANDATE_LEVERS and not s.mandate

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
        elif lever.name == "coaching":
            solara.Select(
                lever.label,
                values=list(COACHING_CHOICES),
                value=value,
                on_value=move,
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
        if lever.help:
            solara.Text(lever.help, classes=["redes-help"])


# ------------------------------------------------------------------------------ the views
@solara.component
def Views(frame: Frame | None) -> None:  # noqa: N802
    if frame is None:
        return
    with solara.Column(gap="2px"):
        if frame.picture:
            solara.Image(frame.picture, classes=["redes-picture"])
            solara.Image(legend_png(), classes=["redes-legend"])
        if frame.plots:
            solara.Image(frame.plots, classes=["redes-plots"])


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
    if run is not None and settings != run.settings:
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
