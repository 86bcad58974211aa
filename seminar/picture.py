"""The picture of the system: schools grouped by zone and region, coloured by their state, with
the professional network's links between them.

Regions are boxes, zones are boxes inside them, schools are marks on a grid inside their zone.
The layout depends only on the hierarchy, so it stays put for a whole run while the marks,
hatching and links change. The figure is built once per run; each frame redraws only the
zones, links and marks over the still regions (seminar/drawing.py).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from seminar.drawing import DPI, Blitted, figure
from seminar.palette import BLACK, BLUISH_GREEN, GREY, LIGHT_GREY, SKY_BLUE, STATE_STYLE
from sim.kinds import SchoolState

# Picture size in pixels: about what the page gives it at 1280×720.
WIDTH_PX, HEIGHT_PX = 660, 300
# Share of a cell kept free around what it holds, and the band on top of a region for its name.
PAD = 0.06
REGION_PAD = 0.015
LABEL_BAND = 0.12
# A click counts for a school within this distance (the picture is 1 high).
NEAR = 0.03
ZONE_EDGE, ENFORCING_EDGE, HATCH = LIGHT_GREY, "#A6A6A6", "///"
# Link styles by (within one zone, between two schools in genuine practice): (colour, width,
# alpha). Ties that leave the zone are drawn faint so the zones' own networks stay readable.
LINK_STYLE = {
    (False, False): (GREY, 0.4, 0.10),
    (False, True): (BLUISH_GREEN, 0.5, 0.18),
    (True, False): (GREY, 0.6, 0.40),
    (True, True): (BLUISH_GREEN, 1.1, 0.75),
}


@dataclass(frozen=True)
class Layout:
    """Where each school, zone and region is drawn, in units where the picture is 1 high."""

    xy: np.ndarray  # [schools, 2]
    zone: np.ndarray  # [schools]: the zone each school is drawn in
    zone_boxes: np.ndarray  # [zones, 4]: x, y, width, height
    region_boxes: np.ndarray  # [regions, 4]
    width: float


@dataclass(frozen=True)
class Scene:
    """What the picture shows at one moment (copied out of the model under the run's lock)."""

    states: np.ndarray  # per school: NOT_STARTED, SchoolState.GENUINE, SURFACE, LAPSED
    mandated: np.ndarray  # per school
    sheltered: np.ndarray  # per school
    enforcing_zone: np.ndarray  # per zone: its supervisor enforces paperwork
    links: np.ndarray  # [pairs, 2] schools joined by at least one teacher tie
    # A lens recolours every school (seminar/story.py): its colours and mark sizes, or none.
    lens: tuple[list, np.ndarray] | None = None


# ------------------------------------------------------------------------------ layout
def grid_shape(n: int, aspect: float) -> tuple[int, int]:
    """(columns, rows) that fit n equal square cells largest into a box of width/height
    `aspect`."""
    best, shape = -1.0, (n, 1)
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        cell = min(aspect / cols, 1.0 / rows)
        if cell > best * (1 + 1e-9):
            best, shape = cell, (cols, rows)
    return shape


def cells(box: np.ndarray, n: int, top_band: float = 0.0, pad: float = PAD) -> np.ndarray:
    """n boxes (x, y, w, h) on a grid inside `box`, leaving `top_band` of its height free."""
    x, y, w, h = box
    h_free = h * (1.0 - top_band)
    cols, rows = grid_shape(n, w / h_free)
    cw, ch = w / cols, h_free / rows
    i = np.arange(n)
    col, row = i % cols, i // cols
    return np.column_stack(
        [
            x + (col + pad) * cw,
            y + h_free - (row + 1 - pad) * ch,
            np.full(n, cw * (1 - 2 * pad)),
            np.full(n, ch * (1 - 2 * pad)),
        ]
    )


def school_layout(zone_region: np.ndarray, school_zone: np.ndarray, width: float) -> Layout:
    """Regions on a grid, zones on a grid inside each region, schools on a grid in each zone."""
    n_regions = int(zone_region.max()) + 1
    region_boxes = cells(np.array([0.0, 0.0, width, 1.0]), n_regions, pad=REGION_PAD)
    zone_boxes = np.empty((zone_region.size, 4))
    for r in range(n_regions):
        zones = np.flatnonzero(zone_region == r)
        zone_boxes[zones] = cells(region_boxes[r], zones.size, top_band=LABEL_BAND)
    xy = np.empty((school_zone.size, 2))
    for z in range(zone_region.size):
        schools = np.flatnonzero(school_zone == z)
        if schools.size:
            spots = cells(zone_boxes[z], schools.size)
            xy[schools] = spots[:, :2] + spots[:, 2:] / 2
    return Layout(
        xy=xy,
        zone=school_zone.copy(),
        zone_boxes=zone_boxes,
        region_boxes=region_boxes,
        width=width,
    )


def school_links(ties: sp.csr_matrix, teacher_school: np.ndarray, n_schools: int) -> np.ndarray:
    """Pairs of distinct schools (i < j) with at least one tie between their teachers."""
    n = teacher_school.size
    member = sp.csr_matrix((np.ones(n), (np.arange(n), teacher_school)), shape=(n, n_schools))
    joined = sp.triu(member.T @ ties @ member, k=1).tocoo()
    return np.column_stack([joined.row, joined.col]).astype(np.int32)


# ------------------------------------------------------------------------------ drawing
class Picture:
    """The picture of one run: built once, redrawn for each new scene."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        fig = figure(WIDTH_PX, HEIGHT_PX)
        self.blitted = Blitted(fig)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(-0.005, layout.width + 0.005)
        ax.set_ylim(-0.005, 1.005)
        ax.set_axis_off()
        self.zones = self._boxes(ax)
        self.links = {
            kind: LineCollection([], colors=color, linewidths=width, alpha=alpha)
            for kind, (color, width, alpha) in LINK_STYLE.items()
        }
        empty = np.empty((0, 2))
        self.sheltered = ax.scatter(empty, empty, s=190, marker="s", color=SKY_BLUE, lw=0)
        self.marks = [
            ax.scatter(empty, empty, s=size, marker=marker, facecolor=face, edgecolor=edge, lw=0.8)
            for face, edge, marker, size in STATE_STYLE.values()
        ]
        self.mandated = ax.scatter(
            empty, empty, s=140, marker="o", facecolor="none", edgecolor=BLACK, lw=1.4
        )
        self.lens = ax.scatter(empty, empty, s=40, marker="o", edgecolor=BLACK, lw=0.5)
        # Drawn in this order over the still regions, every frame.
        self.moving = [
            *self.zones,
            *(ax.add_collection(links) for links in self.links.values()),
            self.sheltered,
            *self.marks,
            self.mandated,
            self.lens,
        ]
        for artist in self.moving:
            artist.set_animated(True)

    def _boxes(self, ax) -> list[Rectangle]:
        for r, (x, y, w, h) in enumerate(self.layout.region_boxes):
            ax.add_patch(Rectangle((x, y), w, h, facecolor="#F2F2F2", edgecolor=GREY, lw=0.8))
            ax.text(x + 0.012, y + h - 0.012, f"Region {r + 1}", va="top", fontsize=11)
        zones = []
        for x, y, w, h in self.layout.zone_boxes:
            box = Rectangle((x, y), w, h, facecolor="white", edgecolor=ZONE_EDGE, lw=0.8)
            zones.append(ax.add_patch(box))
        return zones

    def render(self, scene: Scene) -> bytes:
        """PNG bytes of the picture for `scene`."""
        with self.blitted.lock:
            self._update(scene)
            return self.blitted.png(self.moving)

    def _update(self, scene: Scene) -> None:
        xy = self.layout.xy
        for box, enforcing in zip(self.zones, scene.enforcing_zone, strict=True):
            box.set_hatch(HATCH if enforcing else None)
            box.set_edgecolor(ENFORCING_EDGE if enforcing else ZONE_EDGE)
        segments = xy[scene.links] if scene.links.size else np.empty((0, 2, 2))
        a, b = scene.links[:, 0], scene.links[:, 1]
        genuine = scene.states == SchoolState.GENUINE
        both = genuine[a] & genuine[b]
        local = self.layout.zone[a] == self.layout.zone[b]
        for (is_local, is_genuine), links in self.links.items():
            links.set_segments(segments[(local == is_local) & (both == is_genuine)])
        self.sheltered.set_offsets(xy[scene.sheltered])
        for state, marks in zip(STATE_STYLE, self.marks, strict=True):
            marks.set_offsets(xy[scene.states == state])
        self.mandated.set_offsets(xy[scene.mandated])
        if scene.lens is None or not scene.lens[0]:
            self.lens.set_offsets(np.empty((0, 2)))
        else:
            colours, sizes = scene.lens
            self.lens.set_offsets(xy)
            self.lens.set_facecolor(colours)
            self.lens.set_sizes(sizes)

    def school_at(self, fx: float, fy: float) -> int | None:
        """The school nearest a click at (fx, fy), fractions of the picture's width and height
        from its top left; None when the click is not on or near a school."""
        x = -0.005 + fx * (self.layout.width + 0.01)
        y = 1.005 - fy * 1.01
        distance = np.hypot(self.layout.xy[:, 0] - x, self.layout.xy[:, 1] - y)
        nearest = int(np.argmin(distance))
        return nearest if distance[nearest] < NEAR else None


@lru_cache(maxsize=1)
def legend_png() -> bytes:
    """The picture's key, drawn once: marks, outlines, links and hatching."""
    handles = [
        Line2D(
            [],
            [],
            ls="",
            marker=marker,
            markersize=math.sqrt(size),
            markerfacecolor=face,
            markeredgecolor=edge,
            label=SchoolState.labels()[state],
        )
        for state, (face, edge, marker, size) in STATE_STYLE.items()
    ]
    handles += [
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            markersize=10,
            markerfacecolor="none",
            markeredgecolor=BLACK,
            label="required by the ministry",
        ),
        Line2D([], [], ls="", marker="s", markersize=11, color=SKY_BLUE, label="sheltered pilot"),
        Line2D([], [], color=BLUISH_GREEN, lw=1.5, label="tie between genuine schools"),
        Patch(
            facecolor="white",
            edgecolor=ENFORCING_EDGE,
            hatch=HATCH,
            label="supervisor enforces paperwork",
        ),
    ]
    fig = Figure(figsize=(WIDTH_PX / DPI, 0.42), dpi=DPI)  # trimmed to its content below
    fig.legend(
        handles=handles,
        loc="center",
        ncol=4,
        fontsize=8.5,
        frameon=False,
        handletextpad=0.3,
        columnspacing=0.8,
        borderaxespad=0.0,
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.02)
    return buffer.getvalue()
