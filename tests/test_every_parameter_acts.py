"""Every behavioural parameter can move an outcome: perturbed alone, with the same seed, it
changes the per-step table in at least one scenario. A parameter that cancels out (as the share of
time in tutorial relations once did) or only decorates fails here, unless it is listed below as
inactive in these scenarios, with the reason (docs/ODD.md says the same)."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, get_args, get_origin, get_type_hints

import numpy as np
import pytest
from helpers import params_for

from sim.model import TutorialNetworkModel
from sim.params import BehaviourParams, ConfigError, ExchangeParams

SCENARIOS = ("voluntary", "hybrid", "test_and_punish", "reversal", "mandated")
YEARS = 6
SEED = 7

# Parameters no scenario of these exercises, with why (none today).
INACTIVE: dict[str, str] = {}


def _value(params, key: str):
    node = params
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _perturbed(value, lo, hi, down: bool = False) -> str:
    """A different allowed value: a quarter of the way toward the top of the range (or toward
    the bottom, at the top or when asked), one more for counts, the other for switches, the
    next choice for a choice (lo holds the choices)."""
    if isinstance(lo, tuple):
        return lo[(lo.index(value) + 1) % len(lo)]
    if isinstance(value, bool):
        return str(not value).lower()
    if isinstance(value, list):
        return f"[{max(value[0] - 1, lo)},{value[1]}]"
    if isinstance(value, int):
        return str(value + 1 if hi is None or value + 1 <= hi else value - 1)
    if hi is None:
        return repr(2 * value + 1)  # unbounded above: double it
    new = value + 0.25 * (hi - value)
    return repr(new if new != value and not down else value - 0.25 * (value - lo))


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
        elif get_origin(hints[f.name]) is Literal:
            out.append((f"{prefix}{f.name}", get_args(hints[f.name]), None))
        else:
            out.append((f"{prefix}{f.name}", f.metadata.get("lo"), f.metadata.get("hi")))
    return out


# Every behavioural parameter, and the scenario levers no scenario file sets (the exchanges).
KEYS = _leaves(BehaviourParams, "behaviour.") + _leaves(ExchangeParams, "scenario.exchanges.")


@pytest.fixture(scope="module")
def baselines() -> dict[str, np.ndarray]:
    return {s: _table(f"scenario={s}") for s in SCENARIOS}


@pytest.mark.parametrize("key,lo,hi", KEYS, ids=[k for k, _, _ in KEYS])
def test_perturbing_the_parameter_moves_an_outcome(key, lo, hi, baselines):
    if key in INACTIVE:
        pytest.skip(INACTIVE[key])
    value = _value(params_for(), key)
    override = f"{key}={_perturbed(value, lo, hi)}"
    try:
        params_for(override)
    except ConfigError:  # the value up the range breaks a cross-field rule: go down instead
        override = f"{key}={_perturbed(value, lo, hi, down=True)}"
    for scenario in SCENARIOS:
        table = _table(f"scenario={scenario}", override)
        base = baselines[scenario]
        if table.shape != base.shape or not np.array_equal(table, base, equal_nan=True):
            return
    pytest.fail(f"{override}: no outcome of {', '.join(SCENARIOS)} moved in {YEARS} years")
