"""Redrawing only what moves: a figure's still parts are drawn once, then each frame restores
them and draws the moving artists on top (matplotlib's blitting), and is sent as a PNG.

Nothing here uses pyplot: each run owns its figures, which the Play loop and the buttons may
ask for from different threads, so every figure carries its own lock.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

DPI = 100
# Fast PNG compression: a frame goes once to a browser on the same machine or network.
PNG_COMPRESSION = 1


class Blitted:
    """A figure whose moving artists are marked animated and redrawn on a cached background."""

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.lock = threading.Lock()
        self._background = None

    def invalidate(self) -> None:
        """The still parts changed (an axis range, say): draw them again next frame."""
        self._background = None

    def png(self, moving: Iterable[Artist]) -> bytes:
        if self._background is None:
            self.canvas.draw()  # animated artists are left out of a full draw
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.canvas.restore_region(self._background)
        for artist in moving:
            artist.axes.draw_artist(artist)
        image = Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba())
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=PNG_COMPRESSION)
        return buffer.getvalue()


def figure(width_px: int, height_px: int) -> Figure:
    return Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
