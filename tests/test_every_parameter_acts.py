"""Every behavioural parameter can move an outcome: perturbed alone, with the same seed, it
changes the per-step table in at least one scenario. A parameter that cancels out (as the share of
time in tutorial relations once did) or only decorates fails here, unless it is listed below as
inactive in these scenarios, with the reason (docs/ODD.md says the same)."""

from __future__ import annotations

import dataclasses
from typing import Any, get_type_hints

import numpy as np
import pytest
from helpers import params_for

from sim.model import TutorialNetworkModel
from sim.params import BehaviourParams

SCENARIOS = ("voluntary", "hybrid", "test_and_punish", "reversal", "mandated")
YEARS = 6
SEED = 7

# Parameters no scenario of these exercises, with why (none today).
INACTIVE: dict[str, str] = {}


def _value(params, key: str):
    node = params.behaviour
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _perturbed(value, lo, hi) -> str:
    """A different allowed value: a quarter of the way toward the top of the range (or below,
    at the top), one more for counts, the other for switches."""
    if isinstance(value, bool):
        return str(not value).lower()
    if isinstance(value, list):
        return f"[{max(value[0] - 1, lo)},{value[1]}]"
    if isinstance(value, int):
        return str(value + 1 if hi is None or value + 1 <= hi else value - 1)
    if hi is None:
        return repr(2 * value + 1)  # unbounded above: double it
    new = value + 0.25 * (hi - value)
    return repr(new if new != value else value - 0.25 * (value - lo))


def _table(*overrides: str) -> np.ndarray:
    model = TutorialNetworkModel(params_for(*overrides, f"years={YEARS}"), seed=SEED)
    model.run()
    return np.array([list(row.values()) for row in model.table], dtype=float)


def _leaves(cls: type = BehaviourParams, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(key, lo, hi) of every leaf parameter of a parameter dataclass."""
    hints = get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            out += _leaves(hints[f.name], f"{prefix}{f.name}.")
        else:
            out.append((f"{prefix}{f.name}", f.metadata.get("lo"), f.metadata.get("hi")))
    return out


KEYS = _leaves()


@pytest.fixture(scope="module")
def baselines() -> dict[str, np.ndarray]:
    return {s: _table(f"scenario={s}") for s in SCENARIOS}


@pytest.mark.parametrize("key,lo,hi", KEYS, ids=[k for k, _, _ in KEYS])
def test_perturbing_the_parameter_moves_an_outcome(key, lo, hi, baselines):
    if key in INACTIVE:
        pytest.skip(INACTIVE[key])
    value = _value(params_for(), key)
    override = f"behaviour.{key}={_perturbed(value, lo, hi)}"
    for scenario in SCENARIOS:
        table = _table(f"scenario={scenario}", override)
        base = baselines[scenario]
        if table.shape != base.shape or not np.array_equal(table, base, equal_nan=True):
            return
    pytest.fail(f"{override}: no outcome of {', '.join(SCENARIOS)} moved in {YEARS} years")
