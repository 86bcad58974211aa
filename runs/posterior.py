"""Parameter sets drawn from a calibration's posterior: runs that carry what the record leaves
unknown.

A calibration (`python -m experiments.calibrate`) leaves weighted particles, parameter sets the
record cannot tell apart, in ``configs/calibrated/NAME_posterior.csv``: a comment header, then
the columns ``particle`` (its id), ``weight`` (summing to 1) and one column per fitted config key
(``behaviour.diffusion.outreach`` ..., ``calibration.pilot.target``).

With ``posterior=NAME`` (``none`` by default) a run draws ``posterior_draws`` particles by their
weights, with a numpy Generator seeded from the root ``seed`` alone, so that every launcher, job
and worker draws the same ones; every scenario (or sweep cell) runs each draw with each replicate
seed. A draw sets the config keys it names that the run's configuration has: the pilot's size,
for example, exists only where ``scenario=historical`` composes the calibration.

This module reads the file with the standard library and numpy only, so that the command line
can be checked before the model is imported.
"""

from __future__ import annotations

import copy
import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.params import ConfigError, describe

NONE = "none"
DEFAULT_DRAWS = 8
MAX_DRAWS = 1000  # a mistyped posterior_draws=100000 would mean days of runs
CALIBRATED = "calibrated"
SUFFIX = "_posterior.csv"
PARTICLE, WEIGHT = "particle", "weight"
EXPORT_COMMAND = "uv run python -m experiments.calibrate --export-posterior"
# The draws' stream: a spawn key no run seed uses (replicate r's key is (r,), one element), so a
# draw never shares random numbers with a run, whatever the number of replicates.
SPAWN_KEY = tuple(b"posterior")
# A key drawn together with another that follows it: a pilot of another size keeps its duration,
# so its pace (schools a year) scales with its size.
FOLLOWS = {"calibration.pilot.target": "calibration.pilot.pace"}


@dataclass(frozen=True)
class Posterior:
    """Weighted particles of one calibration, in file order; weights sum to 1."""

    path: Path
    keys: tuple[str, ...]
    particles: tuple[int, ...]
    values: tuple[tuple[float, ...], ...]  # one row per particle, one value per key
    weights: tuple[float, ...]


@dataclass(frozen=True)
class Draw:
    """One parameter set of an ensemble: its place (0 .. K-1), the particle and its values."""

    index: int
    particle: int
    values: dict[str, float]


def ids(draw: Draw | None) -> dict[str, int]:
    """A run's columns that say which parameter draw it is: none outside an ensemble."""
    return {} if draw is None else {"draw": draw.index, "particle": draw.particle}


def values_of(draw: Draw | None) -> dict[str, float]:
    """A run's columns of drawn values, one per key: none outside an ensemble."""
    return {} if draw is None else dict(draw.values)


# --------------------------------------------------------------------------- names and files
def names(config_dir: Path) -> list[str]:
    """The posteriors there can be: one per calibration (``configs/calibrated/NAME.yaml``)."""
    found = sorted(p.stem for p in (config_dir / CALIBRATED).glob("*.yaml"))
    return [NONE, *found]


def path_of(name: str, config_dir: Path) -> Path:
    return config_dir / CALIBRATED / f"{name}{SUFFIX}"


def settings(cfg: Any, config_dir: Path) -> tuple[str, int]:
    """(name, draws) of a composed config, or ConfigError naming the key and what is allowed."""
    name = cfg.get("posterior", NONE)
    allowed = names(config_dir)
    if not isinstance(name, str) or name not in allowed:
        raise ConfigError(f"posterior: {name!r} is not allowed; allowed: {', '.join(allowed)}")
    draws = cfg.get("posterior_draws", DEFAULT_DRAWS)
    allowed_draws = f"an integer in [1, {MAX_DRAWS}]"
    if isinstance(draws, bool) or not isinstance(draws, int):
        shown = "is not finite" if isinstance(draws, float) and not math.isfinite(draws) else ""
        raise ConfigError(
            f"posterior_draws: {draws!r} {shown or 'is not an integer'}; allowed: {allowed_draws}"
        )
    if not 1 <= draws <= MAX_DRAWS:
        raise ConfigError(f"posterior_draws: {draws} is out of range; allowed: {allowed_draws}")
    return name, draws


def active(cfg: Any) -> bool:
    return str(cfg.get("posterior", NONE)) != NONE


def draw_count(cfg: Any) -> int:
    """Parameter sets per cell or scenario: 1 without a posterior."""
    return int(cfg.get("posterior_draws", DEFAULT_DRAWS)) if active(cfg) else 1


def read(path: Path, known: set[str]) -> Posterior:
    """The posterior at `path`, or ConfigError naming the file, the problem and the fix.

    `known`: the config keys a column may name."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing; write it with `{EXPORT_COMMAND}`") from None
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or "not a text file"
        raise ConfigError(
            f"{path}: unreadable ({reason}); write it with `{EXPORT_COMMAND}`"
        ) from None
    return parse(path, lines, known)


def parse(path: Path, lines: Sequence[str], known: set[str]) -> Posterior:
    """A posterior file's lines, checked (comment lines, starting with #, are skipped)."""

    def bad(problem: str) -> ConfigError:
        return ConfigError(f"{path}: {problem}; write it again with `{EXPORT_COMMAND}`")

    table = ("" if line.startswith("#") else line for line in lines)
    rows = [(n, r) for n, r in enumerate(csv.reader(table), start=1) if r]
    if not rows:
        raise bad("empty")
    header, body = [c.strip() for c in rows[0][1]], rows[1:]
    if header[:2] != [PARTICLE, WEIGHT] or len(header) < 3:
        raise bad(f"expected the columns {PARTICLE}, {WEIGHT}, then one per fitted key")
    keys = tuple(header[2:])
    for key in keys:
        if key not in known:
            raise bad(f"column {key!r} is not a config key the calibration can set")
    if len(set(keys)) != len(keys):
        raise bad("a key has two columns")
    if not body:
        raise bad("no particles")
    numbers = [_numbers(bad, line, row, len(header)) for line, row in body]
    particles = tuple(_particle(bad, row[0]) for row in numbers)
    if len(set(particles)) != len(particles):
        raise bad("two rows have the same particle id")
    weights = [row[1] for row in numbers]
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise bad("weights must be ≥ 0 and not all 0")
    total = math.fsum(weights)
    return Posterior(
        path=path,
        keys=keys,
        particles=particles,
        values=tuple(tuple(row[2:]) for row in numbers),
        weights=tuple(w / total for w in weights),
    )


def _numbers(bad: Any, line: int, row: list[str], width: int) -> list[float]:
    if len(row) != width:
        raise bad(f"line {line} has {len(row)} values, not {width}")
    try:
        values = [float(v) for v in row]
    except ValueError:
        raise bad(f"line {line} holds a value that is not a number") from None
    if not all(math.isfinite(v) for v in values):
        raise bad(f"line {line} holds a value that is not finite (NaN or infinite)")
    return values


def _particle(bad: Any, value: float) -> int:
    if not value.is_integer() or value < 0:
        raise bad(f"particle id {value:g} is not a whole number ≥ 0")
    return int(value)


def known_keys(calibration: Mapping[str, Any]) -> set[str]:
    """What a posterior column may name: a model parameter, or a number of the calibration's
    file (its own `calibration.*` inputs, such as the pilot's size)."""
    return {key for key, _, _ in describe()} | set(_number_leaves(calibration))


def _number_leaves(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, Mapping):
        return [k for key, v in node.items() for k in _number_leaves(v, f"{prefix}{key}.")]
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return [prefix.rstrip(".")]
    return []


def load(name: str, config_dir: Path) -> Posterior:
    """The posterior of calibration `name`, its columns checked against that calibration."""
    import yaml

    try:
        text = (config_dir / CALIBRATED / f"{name}.yaml").read_text(encoding="utf-8")
        calibration = yaml.safe_load(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        calibration = {}  # its own check names that file; here only its keys are missing
    return read(path_of(name, config_dir), known_keys(calibration))


# --------------------------------------------------------------------------- drawing
def draw(posterior: Posterior, k: int, seed: int) -> list[Draw]:
    """K particles drawn by weight (with replacement) from a stream of the root seed alone.

    Each draw takes one uniform number, mapped through the cumulative weights, so the first
    draws stay the same when K grows, and a particle of weight 0 is never drawn."""
    import numpy as np

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=SPAWN_KEY))
    cumulative = np.cumsum(posterior.weights)
    cumulative /= cumulative[-1]
    rows = np.searchsorted(cumulative, rng.random(k), side="right")
    rows = np.minimum(rows, len(posterior.particles) - 1)
    return [
        Draw(
            index=d,
            particle=posterior.particles[int(row)],
            values=dict(zip(posterior.keys, posterior.values[int(row)], strict=True)),
        )
        for d, row in enumerate(rows)
    ]


def ensemble(cfg: Any, config_dir: Path) -> list[Draw] | None:
    """The draws a composed config asks for; None with ``posterior: none``."""
    name, k = settings(cfg, config_dir)
    if name == NONE:
        return None
    return draw(load(name, config_dir), k, int(cfg.seed))


def distinct(draws: Sequence[Draw]) -> list[Draw]:
    """The first draw of each particle drawn (checking each parameter set once is enough)."""
    first: dict[int, Draw] = {}
    for d in draws:
        first.setdefault(d.particle, d)
    return list(first.values())


# --------------------------------------------------------------------------- applying
def apply(cfg: Any, values: Mapping[str, float]) -> Any:
    """A copy of the composed config `cfg` (a DictConfig) with a draw's values set.

    Keys the configuration does not have are left out: they do not act on this run. A key whose
    configured value is a whole number takes the draw rounded, as the calibration ran it."""
    from omegaconf import OmegaConf

    out = copy.deepcopy(cfg)
    for key, value in values.items():
        current = OmegaConf.select(cfg, key, default=_ABSENT)
        if current is _ABSENT:
            continue
        OmegaConf.update(out, key, _typed(current, value), force_add=False)
        follower = FOLLOWS.get(key)
        if follower is not None and OmegaConf.select(cfg, follower, default=_ABSENT) is not _ABSENT:
            OmegaConf.update(out, follower, _scaled(cfg, key, follower, value))
    return out


_ABSENT = object()


def _typed(current: Any, value: float) -> Any:
    if isinstance(current, int) and not isinstance(current, bool):
        return round(value)
    return float(value)


def _scaled(cfg: Any, key: str, follower: str, value: float) -> float:
    from omegaconf import OmegaConf

    base, base_follower = OmegaConf.select(cfg, key), OmegaConf.select(cfg, follower)
    if not base:
        raise ConfigError(
            f"{key}: the configured value is 0, so {follower} cannot follow a drawn {key}"
        )
    return float(_typed(base, value)) * float(base_follower) / float(base)


def conflicts(drawn_keys: Sequence[str], set_keys: Sequence[str]) -> list[str]:
    """Keys a posterior draws (or derives) that something else sets too: a command line, an
    arm, a design; a run must not silently lose either value."""
    drawn = {*drawn_keys, *(FOLLOWS[k] for k in drawn_keys if k in FOLLOWS)}
    return [k for k in dict.fromkeys(set_keys) if k in drawn]


def job_config_dir(default: Path) -> Path:
    """The config folder a Hydra job composed from (``-cp``), `default` outside a job."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        for source in HydraConfig.get().runtime.config_sources:
            if source.provider == "main" and source.schema == "file":
                return Path(source.path)
    return default
