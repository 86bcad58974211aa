"""Space-filling designs over policy levers and behavioural uncertainties (scipy.stats.qmc).

An experiment may declare ``experiment.design`` instead of (or beside) a grid: ``method`` (lhs or
sobol), ``n`` points, ``seed``, and the ranges of its ``levers`` (what a government chooses) and
``uncertainties`` (what nobody knows), each either ``[low, high]`` (an integer range when both are
integers) or ``{choices: [...]}``. With ``posterior``, every point also draws the keys of the
calibration posterior (docs/calibration/posterior.csv: weighted samples): the design has one more
dimension, mapped through the weights' cumulative sum, so points are stratified over the posterior
too. The sweep goes over ``point`` (0 .. n-1); point p's values are the same whenever they are
asked for, so a job needs only its point number, and resuming works as for a grid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from runs.config import CONFIG_DIR
from sim.params import ConfigError

if TYPE_CHECKING:  # pandas and scipy load only when a design is drawn: the check stays light
    import pandas as pd

METHODS = ("lhs", "sobol")
POINT = "point"  # the swept key that numbers a design's points
ROOT = CONFIG_DIR.parent


@dataclass(frozen=True)
class Factor:
    """One dimension of the design: a key with a numeric range or a list of choices."""

    key: str
    kind: str  # "lever" or "uncertainty"
    low: float | None = None
    high: float | None = None
    integer: bool = False
    choices: tuple[Any, ...] = ()

    def value(self, u: float) -> Any:
        """The factor's value at the unit-interval coordinate u."""
        if self.choices:
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        x = self.low + u * (self.high - self.low)
        return math.floor(x + 0.5) if self.integer else float(x)


@dataclass(frozen=True)
class Design:
    method: str
    n: int
    seed: int
    factors: tuple[Factor, ...]
    posterior: Path | None
    posterior_keys: tuple[str, ...]

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.factors] + list(self.posterior_keys)

    @property
    def levers(self) -> list[str]:
        return [f.key for f in self.factors if f.kind == "lever"]

    @property
    def uncertainties(self) -> list[str]:
        return [f.key for f in self.factors if f.kind == "uncertainty"] + list(self.posterior_keys)


def spec_of(cfg: DictConfig) -> Design | None:
    """The experiment's design, checked (ConfigError naming the key), or None for a grid."""
    raw = OmegaConf.select(cfg, "experiment.design", default=None)
    if raw is None:
        return None
    spec = OmegaConf.to_container(raw, resolve=True)
    where = "design"
    method = str(spec.get("method", "lhs"))
    if method not in METHODS:
        raise ConfigError(f"{where}.method: '{method}' is not allowed; allowed: lhs, sobol")
    n = spec.get("n")
    if not isinstance(n, int) or n < 2:
        raise ConfigError(f"{where}.n: {n!r} is out of range; allowed: an integer ≥ 2")
    if method == "sobol" and n & (n - 1):
        raise ConfigError(f"{where}.n: {n} must be a power of 2 for a Sobol design")
    factors = []
    for kind, block in (("lever", "levers"), ("uncertainty", "uncertainties")):
        for key, rng in (spec.get(block) or {}).items():
            factors.append(_factor(f"{where}.{block}.{key}", key, kind, rng))
    path, keys = None, ()
    if spec.get("posterior"):
        path, keys = _posterior_spec(spec["posterior"])
    if not factors and not keys:
        raise ConfigError(f"{where}: no levers, uncertainties or posterior to sample")
    return Design(method, n, int(spec.get("seed", 0)), tuple(factors), path, keys)


def _factor(where: str, key: str, kind: str, rng: Any) -> Factor:
    if isinstance(rng, Mapping) and "choices" in rng:
        choices = tuple(rng["choices"])
        if len(choices) < 1:
            raise ConfigError(f"{where}: choices is empty")
        return Factor(key, kind, choices=choices)
    ok = isinstance(rng, list) and len(rng) == 2
    ok = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rng)
    if not ok or not rng[0] < rng[1]:
        raise ConfigError(
            f"{where}: expected [low, high] with low < high or {{choices: [...]}}, got {rng}"
        )
    integer = all(isinstance(v, int) for v in rng)
    return Factor(key, kind, float(rng[0]), float(rng[1]), integer)


def _posterior_spec(spec: Any) -> tuple[Path, tuple[str, ...]]:
    """(file, keys) of the posterior block: ``{file: ..., prefix: behaviour.}``."""
    if isinstance(spec, str):
        spec = {"file": spec}
    path = Path(spec["file"])
    path = path if path.is_absolute() else ROOT / path
    table = _posterior_table(path)
    prefix = str(spec.get("prefix", "behaviour."))
    keys = tuple(c for c in table.columns if c.startswith(prefix))
    if not keys:
        raise ConfigError(f"design.posterior: {path} has no column starting with '{prefix}'")
    return path, keys


@lru_cache(maxsize=4)
def _posterior_table(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise ConfigError(f"design.posterior: {path}: unreadable ({type(err).__name__})") from None
    if "weight" not in table or (table["weight"] < 0).any() or table["weight"].sum() <= 0:
        raise ConfigError(f"design.posterior: {path} needs a 'weight' column of weights ≥ 0")
    return table


def unit_sample(design: Design) -> np.ndarray:
    """n × d points in the unit cube (one more dimension for the posterior draw)."""
    from scipy.stats import qmc

    d = len(design.factors) + (1 if design.posterior_keys else 0)
    if design.method == "lhs":
        return qmc.LatinHypercube(d=d, seed=design.seed).random(design.n)
    return qmc.Sobol(d=d, scramble=True, seed=design.seed).random_base2(int(math.log2(design.n)))


@lru_cache(maxsize=16)
def _table(design: Design) -> pd.DataFrame:
    import pandas as pd

    u = unit_sample(design)
    columns: dict[str, list[Any]] = {
        f.key: [f.value(x) for x in u[:, i]] for i, f in enumerate(design.factors)
    }
    if design.posterior_keys:
        table = _posterior_table(design.posterior)
        weights = table["weight"].to_numpy(dtype=float)
        cumulative = np.cumsum(weights) / weights.sum()
        rows = np.minimum(np.searchsorted(cumulative, u[:, -1], side="right"), len(table) - 1)
        for key in design.posterior_keys:
            columns[key] = [float(v) for v in table[key].to_numpy()[rows]]
        columns["posterior_sample"] = [int(r) for r in rows]
    frame = pd.DataFrame(columns)
    frame.index.name = POINT
    return frame


def points(design: Design) -> pd.DataFrame:
    """Every point of the design: a row per point (index ``point``), a column per key."""
    return _table(design).copy()


def values(design: Design, point: int) -> dict[str, Any]:
    """The keys and values of one point."""
    if not 0 <= point < design.n:
        raise ConfigError(f"point: {point} is out of range; allowed: 0 .. {design.n - 1}")
    row = _table(design).iloc[point]
    return {k: _plain(row[k]) for k in design.keys}


def overrides(design: Design, point: int) -> list[str]:
    """Hydra overrides that set a point's values (``scenario.mandate.pace=23``)."""
    return [f"{k}={_override_value(v)}" for k, v in values(design, point).items()]


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _override_value(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return repr(v)
    return str(v)


def of_cell(cfg: DictConfig, cell_overrides: list[str] | tuple[str, ...]) -> list[str]:
    """The design overrides of a job (none for a grid experiment or a job without a point)."""
    design = spec_of(cfg)
    if design is None:
        return []
    for line in cell_overrides:
        key, _, value = line.partition("=")
        if key.lstrip("+~") == POINT:
            return overrides(design, int(value))
    return []


def check(cfg: DictConfig, axes: Mapping[str, list[str]], arm_keys: set[str]) -> dict[str, list]:
    """Before a sweep: the design is valid, every swept point exists, and no key is set twice.
    Returns, per swept ``point=P`` override, the overrides that point sets."""
    design = spec_of(cfg)
    if design is None:
        if POINT in axes:
            raise ConfigError(f"'{POINT}' is swept but the experiment declares no design")
        return {}
    if POINT not in axes:
        raise ConfigError(f"the design's points are not swept; add {POINT}: range(0,{design.n})")
    for key in design.keys:
        if key in axes:
            raise ConfigError(f"'{key}' is both swept and drawn by the design")
        if key in arm_keys:
            raise ConfigError(f"an arm sets '{key}', which the design also draws")
    out = {}
    for line in axes[POINT]:
        value = line.partition("=")[2]
        if not value.isdigit():
            raise ConfigError(f"{POINT}: {value!r} is not a point number")
        out[line] = overrides(design, int(value))
    return out


def lines(space: Mapping[str, list[str]], cell_overrides: tuple[str, ...]) -> list[str]:
    """The design overrides of a cell, from what ``check`` returned."""
    return [line for o in cell_overrides for line in space.get(o, [])]


def keys_of(cfg: DictConfig) -> list[str]:
    """The keys the experiment's design draws (none for a grid)."""
    design = spec_of(cfg)
    return [] if design is None else design.keys
