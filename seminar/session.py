"""One run shown in the seminar app: the model, what was injected into it, and its frames.

A `SeminarRun` owns the model and the figures; every change to the model (a step, an injected
opportunity, a reversal) happens under its lock, because the Play loop steps from its own
thread while buttons act from others. A `Frame` is what the page shows after a change: the
month, the picture, the plots and the plain-words notes.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from seminar.explain import Note, explain
from seminar.picture import HEIGHT_PX, WIDTH_PX, Picture, Scene, school_layout, school_links
from seminar.plots import Plots
from seminar.settings import Settings, params_for, run_seed
from sim.kinds import EventKind, Stance
from sim.metrics import school_states
from sim.model import TutorialNetworkModel
from sim.params import EventParams
from sim.rules.opportunities import open_opportunity
from sim.rules.reversal import withdraw_support, withdrawn

log = logging.getLogger(__name__)
Row = dict[str, float]

REVERSAL = EventKind.REVERSAL


@dataclass(frozen=True)
class Frame:
    """What the page shows after the latest change to the run."""

    step: int
    steps: int  # months in the whole run
    year: int  # calendar year
    picture: bytes
    plots: bytes
    notes: tuple[Note, ...]
    finished: bool
    reversed: bool
    failure: str | None = None


class SeminarRun:
    """The model built from the app's settings, stepped and perturbed from the page."""

    def __init__(
        self,
        settings: Settings,
        injections: dict[str, EventParams],
        previous: Sequence[Row] = (),
    ) -> None:
        self.settings = settings
        self.params = params_for(settings)  # ConfigError (one line) for a bad combination
        self.injections = injections
        self.model = TutorialNetworkModel(self.params, seed=run_seed(settings))
        self.lock = threading.RLock()
        self.failure: str | None = None
        self._last: Frame | None = None
        m = self.model
        self.picture = Picture(
            school_layout(m.hierarchy.zone_region, m.schools.zone, WIDTH_PX / HEIGHT_PX)
        )
        self.plots = Plots(
            n_schools=m.schools.count,
            start_year=self.params.scenario.start_year,
            years=self.params.years,
            lapse_threshold=self.params.behaviour.motivation.lapse_threshold,
            previous=previous,
        )

    @property
    def steps(self) -> int:
        return self.params.steps

    @property
    def finished(self) -> bool:
        return self.model.steps >= self.steps

    @property
    def table(self) -> list[Row]:
        return self.model.table

    def advance(self, months: int = 1) -> Frame:
        """Step up to `months` months (not past the run's end); a failing step is reported."""
        with self.lock:
            for _ in range(months):
                if self.finished or self.failure:
                    break
                month = self.model.steps + 1  # Mesa counts the step before running it
                try:
                    self.model.step()
                except Exception as err:  # shown in the page instead of a blank screen
                    log.exception("month %d failed", month)
                    self.failure = failure_message(month, err)
            return self.frame()

    def inject(self, kind: str) -> Frame:
        """Open a political opportunity now, or withdraw support (kind "reversal")."""
        with self.lock:
            if self.failure is None and not self.finished:
                if kind == REVERSAL:
                    withdraw_support(self.model)
                else:
                    year = self.model.steps / self.params.behaviour.steps_per_year
                    event = dataclasses.replace(self.injections[kind], year=year)
                    open_opportunity(self.model, event)
            return self.frame()

    def frame(self) -> Frame:
        with self.lock:
            if self.failure is not None and self._last is not None:
                # The failed month may have left the arrays half-updated: keep the last picture.
                self._last = dataclasses.replace(self._last, failure=self.failure)
                return self._last
            m = self.model
            try:
                picture = self.picture.render(scene_of(m))
                plots = self.plots.render(m.table, m.events_log)
                notes = tuple(explain(m))
            except Exception as err:  # a drawing bug must not blank the page either
                log.exception("drawing month %d failed", m.steps)
                self.failure = f"Could not draw month {m.steps}: {type(err).__name__}: {err}."
                picture, plots, notes = b"", b"", ()
            self._last = Frame(
                step=m.steps,
                steps=self.steps,
                year=math.floor(m.calendar_year()),
                picture=picture,
                plots=plots,
                notes=notes,
                finished=self.finished,
                reversed=withdrawn(m),
                failure=self.failure,
            )
            return self._last


def scene_of(model: TutorialNetworkModel) -> Scene:
    s = model.schools
    return Scene(
        states=school_states(model),
        mandated=s.mandated.copy(),
        sheltered=s.sheltered.copy(),
        enforcing_zone=model.supervisors.stance == Stance.ENFORCE,
        links=school_links(model.ties, model.teachers.school, s.zone.size),
    )


def failure_message(month: int, err: Exception) -> str:
    return (
        f"The model stopped in month {month}: {type(err).__name__}: {err}. The page shows the "
        "run up to the month before. Press Reset to start a new run."
    )
