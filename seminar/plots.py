"""The live plots: adoption split into genuine practice and surface compliance, students (their
score, engagement and graduates going on), motivation and the bureaucratization index, with up
to three kept runs (A, B, C) drawn over them as named black lines for comparison.

Axes are fixed for the whole run (years on x; schools, or 0 to 1, on y) so that runs with
different settings can be compared by eye. Like the picture, the figure is built once per run
and each frame redraws only the data over the still axes (seminar/drawing.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seminar.drawing import Blitted, figure
from seminar.fan import LOW_QUANTILE, Fan
from seminar.palette import (
    BLACK,
    BLUE,
    BLUISH_GREEN,
    GREY,
    LIGHT_GREY,
    REDDISH_PURPLE,
    STATE_STYLE,
    VERMILLION,
)
from sim.kinds import EventKind, SchoolState

Row = dict[str, float]
WIDTH_PX, HEIGHT_PX = 660, 300
# The students' shares run from 0 to 1; the room above 1 holds the key, clear of the lines.
STUDENTS_TOP = 1.3
SHARE_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
EVENT_LABEL_Y = (0.03, 0.14, 0.25)
# Event labels closer in time than this (a label's width at 8 px text) are stacked.
LABEL_GAP_YEARS = 2.0
# Kept runs A, B, C: black, each with its own dash pattern (on, off in points), drawn over the
# areas so that they stay visible. The lapse threshold is a thin grey line, never black.
KEPT_DASHES = ((7, 2), (3, 2), (7, 2, 1.5, 2))


@dataclass(frozen=True)
class Line:
    """One line on one axes: the metric, its look, and whether kept runs are drawn too."""

    axes: int
    key: str
    label: str
    color: str
    style: str = "-"
    width: float = 1.8
    ghost: bool = False


LINES = (
    Line(0, "schools_lapsed", "lapsed", BLACK, ":", 1.4),
    Line(1, "mastery_mean", "mean score", BLUE, ghost=True),
    Line(1, "share_good_excellent", "good or excellent", BLUE, ":"),
    Line(1, "student_engagement_mean", "engagement", BLUISH_GREEN),
    Line(1, "graduates_continuing", "graduates going on", BLUISH_GREEN, "--", 1.2),
    Line(2, "motivation_adopters", "adopters", REDDISH_PURPLE, ghost=True),
    Line(2, "motivation_mean", "all teachers", REDDISH_PURPLE, "--", 1.2),
    Line(3, "bureaucratization_index", "index", VERMILLION, ghost=True),
)
TITLES = ("Schools adopting", "Students", "Motivation", "Bureaucratization")


class Plots:
    """The four plots of one run."""

    def __init__(
        self,
        n_schools: int,
        start_year: float,
        years: float,
        lapse_threshold: float,
        kept: Sequence[tuple[str, Sequence[Row]]] = (),
    ) -> None:
        fig = figure(WIDTH_PX, HEIGHT_PX)
        self.blitted = Blitted(fig)
        self.axes = fig.subplots(2, 2, sharex=True).ravel()
        fig.subplots_adjust(
            left=0.07, right=0.975, bottom=0.085, top=0.93, hspace=0.32, wspace=0.16
        )
        for ax, title in zip(self.axes, TITLES, strict=True):
            ax.set_title(title, fontsize=11, pad=3, loc="left", fontweight="bold")
            ax.tick_params(labelsize=9, pad=1)
            ax.grid(alpha=0.3, lw=0.5)
            ax.set_xlim(start_year, start_year + years)
        self.axes[0].set_ylim(0, n_schools)
        self.axes[1].set_ylim(0, STUDENTS_TOP)
        self.axes[1].set_yticks(SHARE_TICKS)
        self.axes[2].set_ylim(0, 1)
        self.axes[3].set_ylim(0, 1)
        self.axes[2].axhline(lapse_threshold, color=GREY, lw=0.8, ls="--")
        self._kept_runs(kept)
        self.lines = {
            line.key: self.axes[line.axes].plot(
                [], [], color=line.color, ls=line.style, lw=line.width, label=line.label
            )[0]
            for line in LINES
        }
        for line in self.lines.values():
            line.set_animated(True)
        self.bands: list = []
        self.marks: list = []
        genuine, surface = STATE_STYLE[SchoolState.GENUINE][0], STATE_STYLE[SchoolState.SURFACE][0]
        self.axes[0].fill_between([], [], color=genuine, label="genuine practice")
        self.axes[0].fill_between([], [], color=surface, label="surface compliance")
        self._legends()

    def _kept_runs(self, kept: Sequence[tuple[str, Sequence[Row]]]) -> None:
        """Runs kept for comparison, as black lines over the areas, named in each legend.

        They are redrawn with the moving artists, after the areas: drawn into the still
        background they would hide behind the areas."""
        self.kept_lines: list = []
        for (name, rows), dashes in zip(kept, KEPT_DASHES, strict=False):
            years = [r["year"] for r in rows]
            label = f"run {name}"
            style = {"color": BLACK, "lw": 1.6, "dashes": dashes, "zorder": 5, "label": label}
            self.kept_lines += self.axes[0].plot(
                years, [r["schools_genuine"] for r in rows], **style
            )
            for line in LINES:
                if line.ghost:
                    ax = self.axes[line.axes]
                    self.kept_lines += ax.plot(years, [r[line.key] for r in rows], **style)
        for artist in self.kept_lines:
            artist.set_animated(True)

    def set_fan(self, fan: Fan) -> None:
        """Draw the fan of seeds as grey bands behind everything else, and name it."""
        with self.blitted.lock:
            label = f"{fan.seeds} seeds, {LOW_QUANTILE:.0%}–{1 - LOW_QUANTILE:.0%}"
            keys = {0: "schools_genuine"} | {line.axes: line.key for line in LINES if line.ghost}
            for axes, key in keys.items():
                self.axes[axes].fill_between(
                    fan.years,
                    fan.low[key],
                    fan.high[key],
                    color=LIGHT_GREY,
                    lw=0,
                    zorder=0,
                    label=label,
                )
            # Over the stacked areas the band would hide: its edges are drawn with the lines.
            for edge in (fan.low["schools_genuine"], fan.high["schools_genuine"]):
                (line,) = self.axes[0].plot(fan.years, edge, color=GREY, lw=0.8, zorder=4)
                line.set_animated(True)
                self.kept_lines.append(line)
            self._legends()
            self.blitted.invalidate()

    def _legends(self) -> None:
        self.legends = []
        # The students' key names only their own lines (kept runs and the fan are named in the
        # other keys), so that it fits in the room above the shares.
        own = {1: [self.lines[line.key] for line in LINES if line.axes == 1]}
        for i, ax in enumerate(self.axes):
            legend = ax.legend(
                **({"handles": own[i]} if i in own else {}),
                loc="upper left",
                fontsize=8,
                framealpha=0.6,
                ncol=2,
                columnspacing=0.8,
                edgecolor="none",
                handlelength=1.6,
                borderaxespad=0.1,
                labelspacing=0.2,
                bbox_to_anchor=(0.0, 0.98),
            )
            legend.set_animated(True)  # drawn over the data, which is redrawn every frame
            self.legends.append(legend)

    def render(self, table: Sequence[Row], events: Sequence[tuple[int, float, str]]) -> bytes:
        """PNG bytes of the plots for the run so far."""
        with self.blitted.lock:
            self._update(table, events)
            moving = [
                *self.bands,
                *self.kept_lines,
                *self.lines.values(),
                *self.marks,
                *self.legends,
            ]
            return self.blitted.png(moving)

    def _update(self, table: Sequence[Row], events: Sequence[tuple[int, float, str]]) -> None:
        years = np.array([r["year"] for r in table])
        for key, line in self.lines.items():
            line.set_data(years, [r[key] for r in table])
        for artist in self.bands + self.marks:
            artist.remove()
        genuine = np.array([r["schools_genuine"] for r in table])
        adopting = genuine + np.array([r["schools_surface"] for r in table])
        ax = self.axes[0]
        self.bands = [
            ax.fill_between(years, 0, genuine, color=STATE_STYLE[SchoolState.GENUINE][0], lw=0),
            ax.fill_between(
                years, genuine, adopting, color=STATE_STYLE[SchoolState.SURFACE][0], lw=0
            ),
        ]
        self.marks = []
        for (_, year, kind), height in zip(events, label_heights(events), strict=True):
            for ax in self.axes:
                self.marks.append(ax.axvline(year, color=BLACK, lw=0.9, ls="-."))
            for ax in self.axes[:2]:
                label = f" {EventKind(kind).short}"
                where = ax.get_xaxis_transform()
                self.marks.append(ax.text(year, height, label, fontsize=8, transform=where))
        for artist in self.bands + self.marks:
            artist.set_animated(True)


def label_heights(events: Sequence[tuple[int, float, str]]) -> list[float]:
    """A height for each event's label: an event within LABEL_GAP_YEARS of the one before
    takes the next height up, so close labels stack instead of overlapping; others start low."""
    heights: list[float] = []
    level, last = 0, -math.inf
    for _, year, _ in events:
        level = (level + 1) % len(EVENT_LABEL_Y) if year - last < LABEL_GAP_YEARS else 0
        heights.append(EVENT_LABEL_Y[level])
        last = year
    return heights
