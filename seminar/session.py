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

import numpy as np

from seminar.explain import Note, explain
from seminar.fan import Fan
from seminar.picture import HEIGHT_PX, WIDTH_PX, Picture, Scene, school_layout, school_links
from seminar.plots import Plots
from seminar.settings import Levers, params_for, run_seed
from seminar.story import LENSES, SchoolHistory, lens_colours, school_story
from sim.compiled import load_cached_loops
from sim.kinds import EventKind, Stance
from sim.metrics import school_states
from sim.model import TutorialNetworkModel
from sim.params import EventParams
from sim.rules.opportunities import open_opportunity
from sim.rules.reversal import withdraw_support, withdrawn

log = logging.getLogger(__name__)
Row = dict[str, float]

REVERSAL = EventKind.REVERSAL
# What a supervisor does, as the event log says it ("turned to checking formats").
STANCE_WORDS = {
    Stance.PROTECT: "protecting the practice",
    Stance.MODEL_PRACTICE: "modelling the practice",
    Stance.ENFORCE: "checking formats",
}


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
    log: tuple[str, ...] = ()


class SeminarRun:
    """The model built from the page's levers, stepped and perturbed from the page."""

    def __init__(
        self,
        levers: Levers,
        injections: dict[str, EventParams],
        kept: Sequence[tuple[str, Sequence[Row]]] = (),
    ) -> None:
        self.levers = levers
        self.params = params_for(levers)  # ConfigError (one line) for a bad combination
        self.injections = injections
        load_cached_loops()  # the page's first month must not wait for numba to load them
        self.model = TutorialNetworkModel(self.params, seed=run_seed(levers))
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
            kept=kept,
        )
        self.log: list[str] = []
        self.history = SchoolHistory.start(m)
        self.lens = LENSES[0]
        self._seen = Seen(m.supervisors.stance.copy(), 0, 0, 0)

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
                    self._record()
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
                self._record()
            return self.frame()

    def add_fan(self, fan: Fan) -> Frame:
        """Draw the fan of seeds behind the live run."""
        with self.lock:
            self.plots.set_fan(fan)
            return self.frame()

    def look_through(self, lens: str) -> Frame:
        """Recolour the picture by `lens` (one of seminar.story.LENSES)."""
        with self.lock:
            self.lens = lens if lens in LENSES else LENSES[0]
            return self.frame()

    def story(self, school: int) -> list[str]:
        with self.lock:
            return school_story(self.model, school, self.history)

    def _record(self) -> None:
        """Add to the event log, in plain words, what changed since the last look."""
        m, seen = self.model, self._seen
        self.history.record(m)
        year = math.floor(m.calendar_year())
        stance = m.supervisors.stance
        for i in np.flatnonzero(stance != seen.stance):
            words = STANCE_WORDS[Stance(int(stance[i]))]
            self.log.append(
                f"{year}: the supervisor of zone {m.supervisors.zone[i] + 1} turned to {words}."
            )
        for _, _, kind in m.events_log[seen.events :]:
            self.log.append(f"{year}: {EventKind(kind).label}.")
        mandated, sheltered = int(m.schools.mandated.sum()), int(m.schools.sheltered.sum())
        year_end = m.steps % self.params.behaviour.steps_per_year == 0
        if mandated > seen.mandated and year_end:  # one line a year, not one a month
            self.log.append(
                f"{year - 1}: the ministry required {mandated - seen.mandated} more schools to "
                f"adopt ({mandated} in all)."
            )
        elif mandated > seen.mandated:
            mandated = seen.mandated  # counted at the year's end
        if sheltered != seen.sheltered:
            self.log.append(f"{year}: {sheltered} schools are sheltered pilots now.")
        self._seen = Seen(stance.copy(), len(m.events_log), mandated, sheltered)

    def frame(self) -> Frame:
        with self.lock:
            if self.failure is not None and self._last is not None:
                # The failed month may have left the arrays half-updated: keep the last picture.
                self._last = dataclasses.replace(self._last, failure=self.failure)
                return self._last
            m = self.model
            try:
                lens = lens_colours(m, self.lens, self.history)
                picture = self.picture.render(dataclasses.replace(scene_of(m), lens=lens))
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
                log=tuple(self.log),
            )
            return self._last


@dataclass(frozen=True)
class Seen:
    """What the event log last saw of the model."""

    stance: np.ndarray
    events: int
    mandated: int
    sheltered: int


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
