"""The model's vocabulary: who adopted how, what a supervisor does, what state a school is in,
which political event happened. Each kind is an enum whose members carry their plain-words label,
so the runner, the reports and the seminar app all name them the same way."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class _LabelledInt(IntEnum):
    """An integer code (as stored in the population arrays) with its label."""

    label: str

    def __new__(cls, value: int, label: str) -> _LabelledInt:
        member = int.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> tuple[str, ...]:
        return tuple(m.label for m in cls)


class Origin(_LabelledInt):
    """How a teacher came to the practice (stored as int8 in ``Teachers.origin``)."""

    NONE = 0, "none"
    VOLUNTARY = 1, "voluntary"
    MANDATE = 2, "mandate"


class Stance(_LabelledInt):
    """What a zone supervisor does with the practice (``Supervisors.stance``)."""

    PROTECT = 0, "protect"
    MODEL_PRACTICE = 1, "model the practice"
    ENFORCE = 2, "enforce formats"


class SchoolState(_LabelledInt):
    """A school as users see it: not started, genuine practice, surface compliance, lapsed."""

    NOT_STARTED = 0, "not started"
    GENUINE = 1, "genuine practice"
    SURFACE = 2, "surface compliance"
    LAPSED = 3, "lapsed"


class EventKind(StrEnum):
    """A political opening or its withdrawal; ``short`` labels a plot, ``label`` says it."""

    LEADER_JOINS_MINISTRY = (
        "leader_joins_ministry",
        "leader joins",
        ("a movement leader joined the ministry"),
    )
    DEPUTY_VISIT = (
        "deputy_visit",
        "deputy visit",
        ("a deputy minister visited a school and asked for expansion"),
    )
    MINISTRY_PILOT = "ministry_pilot", "pilot", "the ministry's pilot began inviting schools"
    REVERSAL = "reversal", "reversal", "a new government withdrew support"

    short: str
    label: str

    def __new__(cls, value: str, short: str, label: str) -> EventKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.short = short
        member.label = label
        return member

    @property
    def opens_pilot(self) -> bool:
        """A pilot that invites schools near the movement and shelters them."""
        return self in (EventKind.DEPUTY_VISIT, EventKind.MINISTRY_PILOT)
