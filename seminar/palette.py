"""Colours and marks shared by the picture and the plots.

Okabe and Ito's palette, which people with any common colour-vision deficiency can tell apart;
each school state also has its own marker shape, so the picture reads in grey print as well.
"""

from __future__ import annotations

from sim.kinds import SchoolState

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#8C8C8C"
LIGHT_GREY = "#D9D9D9"

# School state -> (face colour, edge colour, marker, marker area in points²).
STATE_STYLE: dict[int, tuple[str, str, str, float]] = {
    SchoolState.NOT_STARTED: ("#FFFFFF", GREY, "o", 26.0),
    SchoolState.GENUINE: (BLUISH_GREEN, "#00523C", "o", 64.0),
    SchoolState.SURFACE: (ORANGE, "#7A5500", "D", 46.0),
    SchoolState.LAPSED: (BLACK, BLACK, "X", 54.0),
}
