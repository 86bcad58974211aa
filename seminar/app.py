"""The seminar app: `uv run solara run seminar/app.py`, then open http://localhost:8765.

A window with the levers of the social-movement model, a picture of the school system, live
plots and a panel that says in plain words what the mechanisms are doing (docs/seminar.md).
The page's scripts are served from a cache folder outside the virtual environment, filled on
the first start (seminar/assets.py), so the page works without internet afterwards.
"""

from __future__ import annotations

import logging

import solara
from solara.server import settings as server_settings

from seminar import assets
from seminar.components import SeminarPage

logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
# Solara's corner banner would cover the side panel on a 1280×720 projector.
server_settings.theme.show_banner = False
assets.prepare_on_start()


@solara.component
def Page() -> None:  # noqa: N802
    SeminarPage()
