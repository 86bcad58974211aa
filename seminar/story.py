"""Looking inside the picture: one school's story, and lenses that recolour the schools.

A school's story is what a student clicking on it should learn: its teachers' practice and
motivation, its supervisor's stance, whether and since when it is required or sheltered, and
how its state changed. The history is recorded by the run month by month (the model keeps
only the present); everything is read from the model's public arrays, nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps

from seminar.palette import BLUE, BLUISH_GREEN, GREY, ORANGE, SKY_BLUE, VERMILLION
from sim.kinds import Origin, SchoolState, Stance
from sim.metrics import school_states

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel

NEVER = -1
LENSES = ("school state", "motivation", "who organizes", "shelter", "supervisor drift")
# What each lens's colours mean, for the key under the picture.
LENS_KEYS = {
    "school state": "",
    "motivation": "Teachers' mean motivation: dark purple 0, yellow 1.",
    "who organizes": "Adopters are mostly volunteers (green), required by the ministry "
    "(orange); grey: nobody practises.",
    "shelter": "Sheltered pilot (sky blue), required and unsheltered (vermillion), neither (grey).",
    "supervisor drift": "The zone supervisor protects (green), models the practice (blue), "
    "enforces formats (vermillion); a large mark: the stance changed since the start.",
}
STANCE_COLOURS = {
    Stance.PROTECT: BLUISH_GREEN,
    Stance.MODEL_PRACTICE: BLUE,
    Stance.ENFORCE: VERMILLION,
}


@dataclass
class SchoolHistory:
    """Per school: the month it was first required and first sheltered, and its state changes."""

    required: np.ndarray
    sheltered: np.ndarray
    states: np.ndarray
    start_stance: np.ndarray  # per supervisor, at month 0
    changes: dict[int, list[tuple[int, SchoolState]]] = field(default_factory=dict)

    @classmethod
    def start(cls, model: TutorialNetworkModel) -> SchoolHistory:
        n = model.schools.zone.size
        history = cls(
            required=np.full(n, NEVER),
            sheltered=np.full(n, NEVER),
            states=school_states(model).copy(),
            start_stance=model.supervisors.stance.copy(),
        )
        history.record(model)
        return history

    def record(self, model: TutorialNetworkModel) -> None:
        month, s = model.steps, model.schools
        self.required[(self.required == NEVER) & s.mandated] = month
        self.sheltered[(self.sheltered == NEVER) & s.sheltered] = month
        states = school_states(model)
        for school in np.flatnonzero(states != self.states):
            self.changes.setdefault(int(school), []).append(
                (month, SchoolState(int(states[school])))
            )
        self.states = states.copy()


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def year_of(model: TutorialNetworkModel, month: int) -> int:
    per_year = model.params.behaviour.steps_per_year
    return int(model.params.scenario.start_year + month // per_year)


def supervisor_of(model: TutorialNetworkModel, zone: int) -> int | None:
    found = np.flatnonzero(model.supervisors.zone == zone)
    return int(found[0]) if found.size else None


def school_story(model: TutorialNetworkModel, school: int, history: SchoolHistory) -> list[str]:
    """The school's story in plain words, one sentence a line."""
    s, t = model.schools, model.teachers
    zone = int(s.zone[school])
    state = SchoolState(int(school_states(model)[school]))
    staff = t.school == school
    adopted = staff & t.adopted
    lines = [
        f"School {school + 1}, zone {zone + 1}: {state.label}.",
        f"{count(int(staff.sum()), 'teacher')}, {int(adopted.sum())} running tutorial networks "
        f"({int((adopted & (t.origin == Origin.VOLUNTARY)).sum())} volunteers, "
        f"{int((adopted & (t.origin == Origin.MANDATE)).sum())} required).",
    ]
    if adopted.any():
        lines.append(
            f"Their practice averages {float(t.practice[adopted].mean()):.2f} "
            f"and their motivation {float(t.motivation[adopted].mean()):.2f}."
        )
    if staff.any():
        lines.append(f"All its teachers' motivation: {float(t.motivation[staff].mean()):.2f}.")
    pupils = model.students.school == school
    if pupils.any():
        engaged = model.students.engagement[pupils]
        threshold = model.params.behaviour.students.voluntary_threshold
        lines.append(
            f"Its {count(int(pupils.sum()), 'student')}: engagement {float(engaged.mean()):.2f}, "
            f"{float((engaged >= threshold).mean()):.0%} giving their own time; "
            f"{count(int(s.demonstrations[school]), 'demonstration')} of a tema this month."
        )
    boss = supervisor_of(model, zone)
    if boss is not None:
        now = Stance(int(model.supervisors.stance[boss]))
        then = Stance(int(history.start_stance[boss]))
        drift = "" if now == then else f" (at the start: {then.label})"
        lines.append(f"Its zone supervisor's stance: {now.label}{drift}.")
    for label, since in (("required to adopt", history.required), ("sheltered", history.sheltered)):
        month = int(since[school])
        if month != NEVER:
            still = (
                ""
                if (s.mandated if label.startswith("req") else s.sheltered)[school]
                else "; no longer"
            )
            lines.append(
                f"{label.capitalize()} since {year_of(model, month)} (month {month}){still}."
            )
    for month, new in history.changes.get(school, []):
        lines.append(f"{year_of(model, month)}: became {new.label}.")
    return lines


def lens_colours(
    model: TutorialNetworkModel, lens: str, history: SchoolHistory
) -> tuple[list, np.ndarray]:
    """Per school, the colour the lens gives it and its mark size (none for the plain view)."""
    s, t = model.schools, model.teachers
    n = s.zone.size
    sizes = np.full(n, 40.0)
    if lens == "motivation":
        total = np.bincount(t.school, weights=t.motivation, minlength=n)
        staff = np.maximum(np.bincount(t.school, minlength=n), 1)
        return list(colormaps["viridis"](total / staff)), sizes
    if lens == "who organizes":
        volunteers = np.bincount(t.school[t.adopted & (t.origin == Origin.VOLUNTARY)], minlength=n)
        required = np.bincount(t.school[t.adopted & (t.origin == Origin.MANDATE)], minlength=n)
        colours = [
            GREY if v + r == 0 else BLUISH_GREEN if v >= r else ORANGE
            for v, r in zip(volunteers, required, strict=True)
        ]
        return colours, sizes
    if lens == "shelter":
        colours = [
            SKY_BLUE if sh else VERMILLION if req else GREY
            for sh, req in zip(s.sheltered, s.mandated, strict=True)
        ]
        return colours, sizes
    if lens == "supervisor drift":
        stance = np.full(s.zone.max() + 1, -1)
        start = np.full(s.zone.max() + 1, -1)
        stance[model.supervisors.zone] = model.supervisors.stance
        start[model.supervisors.zone] = history.start_stance
        zone_stance, drifted = stance[s.zone], (stance != start)[s.zone]
        colours = [
            STANCE_COLOURS.get(Stance(int(x)), GREY) if x >= 0 else GREY for x in zone_stance
        ]
        return colours, np.where(drifted, 90.0, 40.0)
    return [], sizes
