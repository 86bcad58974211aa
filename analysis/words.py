"""Parameter keys and success definitions in plain words, for the report's axes and tables."""

from __future__ import annotations

from functools import lru_cache

from sim import outcomes
from sim.params import describe


@lru_cache(maxsize=1)
def _meanings() -> dict[str, str]:
    return {key: meaning for key, _, meaning in describe() if meaning}


def meaning(key: str) -> str:
    """What a key means ('schools added per year'), or the key itself if nothing says."""
    if key == "arm":
        return "arm"
    return _meanings().get(key, key)


def axis_label(key: str) -> str:
    """An axis title: the meaning, then the key in small print (for finding it in configs/)."""
    text = meaning(key)
    return text if text == key else f"{text}\n({key})"


def outcome(name: str) -> str:
    return outcomes.label(name)
