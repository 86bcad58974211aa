"""The cells of an experiment's sweep, expanded the way Hydra's basic sweeper does, and checked.

An experiment (``configs/experiment/NAME.yaml``) declares its sweep in ``hydra.sweeper.params``;
command-line sweeps (``scenario.mandate.pace=10,20``) replace the experiment's values for the same
key. Each combination is one Hydra job, a *cell*; a cell runs ``replicates`` seeds. ``check``
expands every cell and builds its parameters before Hydra creates anything, so that a bad
experiment fails in one line and leaves no folder behind.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from experiments import design
from runs import posterior
from runs.config import CONFIG_DIR, one_line, params_from_config
from sim.params import ConfigError

# Keys that say how to run, not what is run: they never name a cell (nor its folder). A
# posterior ensemble runs inside every cell; the sweep's plan records it (experiments.folder).
RUN_KEYS = (
    "experiment",
    "replicates",
    "replicate",
    "output.progress",
    "output.plot",
    "posterior",
    "posterior_draws",
)
ENSEMBLE_KEYS = ("posterior", "posterior_draws")
MODEL_KEYS = ("system", "behaviour", "scenario", "years")
# Beyond this many cells, each swept value is checked once rather than every combination.
FULL_CHECK_CELLS = 400


@dataclass(frozen=True)
class Cell:
    """One job of the sweep: its overrides and what it runs."""

    overrides: tuple[str, ...]  # exactly the job's overrides, as the sweeper writes them
    arm: str | None
    runs: bool  # False: the arm ignores a swept key and runs at that key's first value only


def parse(overrides: Sequence[str]) -> list[Override]:
    try:
        return OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as err:
        raise ConfigError(one_line(err)) from None


def key_of(override: Override) -> str:
    return override.key_or_group


def task_overrides(overrides: Sequence[str]) -> list[str]:
    """The overrides that reach a job's config (Hydra's own ``hydra.*`` ones do not)."""
    return [o for o in overrides if not o.lstrip("+~").startswith("hydra")]


def sweep_axes(
    params: Mapping[str, Any], overrides: Sequence[str], intervals: bool = False
) -> dict[str, list[str]]:
    """Key → the job overrides it takes, in sweep order (BasicSweeper's rules: the command
    line replaces the experiment's values for the same key, and keeps its place). With
    `intervals` (a search sweeper such as Optuna's), an interval stands for its two ends."""
    lines = [f"{k}={v}" for k, v in params.items()] + list(task_overrides(overrides))
    axes: dict[str, list[str]] = {}
    for override in parse(lines):
        key, element = key_of(override), override.get_key_element()
        if override.is_sweep_override():
            if intervals and not override.is_discrete_sweep():
                ends = (override.value().start, override.value().end)
                axes[key] = [f"{element}={_plain_number(v)}" for v in ends]
                continue
            if not override.is_discrete_sweep():
                raise ConfigError(f"{key}: only lists and range() can be swept here")
            axes[key] = [f"{element}={v}" for v in override.sweep_string_iterator()]
        else:
            axes[key] = [f"{element}={override.get_value_element_as_str()}"]
    return axes


def _plain_number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def is_search(cfg: DictConfig) -> bool:
    """Whether the sweep is a search (Optuna's sweeper) rather than a list of cells."""
    return "optuna" in str(OmegaConf.select(cfg, "hydra.sweeper._target_", default="")).lower()


def value_of(line: str) -> Any:
    """The typed value of one override (``scenario.mandate.pace=10`` → 10)."""
    return parse([line])[0].value()


def labels(overrides: Sequence[str]) -> dict[str, Any]:
    """What names a cell: its overrides, less the keys that only say how to run."""
    out = {}
    for override in parse(task_overrides(overrides)):
        key = key_of(override)
        if key not in RUN_KEYS and not key.startswith("output."):
            out[key] = override.value()
    return out


def arm_spec(cfg: DictConfig, arm: str | None) -> tuple[list[str], list[str]]:
    """(overrides, ignored keys) of an arm; an experiment without arms runs the base config."""
    if arm is None:
        return [], []
    spec = cfg.experiment.arms[arm]
    return [str(o) for o in spec.get("overrides", [])], [str(k) for k in spec.get("ignores", [])]


def cells(cfg: DictConfig, axes: Mapping[str, list[str]]) -> list[Cell]:
    out = []
    for combo in itertools.product(*axes.values()):
        chosen = dict(zip(axes, combo, strict=True))
        arm_line = chosen.get("arm")
        arm = None if arm_line is None else value_of(arm_line)
        _, ignores = arm_spec(cfg, arm) if arm is not None else ([], [])
        runs = all(chosen[k] == axes[k][0] for k in ignores if k in chosen)
        out.append(Cell(overrides=tuple(combo), arm=arm, runs=runs))
    return out


def compose_full(overrides: Sequence[str]) -> DictConfig:
    """The driver's config, Hydra's own node included (sweep folder, launcher, sweeper)."""
    try:
        if GlobalHydra.instance().is_initialized():
            return compose("config", overrides=list(overrides), return_hydra_config=True)
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            return compose("config", overrides=list(overrides), return_hydra_config=True)
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(one_line(err)) from None


def cell_config(overrides: Sequence[str], arm_overrides: Sequence[str]) -> DictConfig:
    """Config of one cell: the job's overrides, then its arm's (the arm picks the scenario)."""
    return compose_full([*task_overrides(overrides), *arm_overrides])


def model_part(cfg: DictConfig) -> dict[str, Any]:
    """What a run's parameters are built from: system, model, scenario and years."""
    return OmegaConf.to_container(OmegaConf.masked_copy(cfg, list(MODEL_KEYS)), resolve=True)


def is_experiment(overrides: Sequence[str]) -> bool:
    return any(o.lstrip("+").startswith("experiment=") for o in overrides)


def check(overrides: Sequence[str], draws: Sequence[posterior.Draw] | None = None) -> list[Cell]:
    """Every cell of the sweep the command line asks for, or ConfigError naming what is wrong.

    `draws`: the parameter sets of `posterior=NAME` (runs.posterior), run in every cell."""
    plain = [o.input_line for o in parse(overrides) if not o.is_sweep_override()]
    cfg = compose_full(plain)
    exp = cfg.experiment
    name = str(exp.name)

    def fail(message: str) -> ConfigError:
        return ConfigError(f"experiment {name}: {message}")

    if int(cfg.replicates) < 1:
        raise fail(f"replicates: {cfg.replicates} is out of range; allowed: ≥ 1")
    if cfg.replicate is not None and not 0 <= int(cfg.replicate) < int(cfg.replicates):
        raise fail(f"replicate: {cfg.replicate} is out of range; allowed: 0 .. replicates-1")
    axes = sweep_axes(cfg.hydra.sweeper.params or {}, overrides, intervals=is_search(cfg))
    for line in axes.get("replicate", []):
        r = value_of(line)
        if r is not None and not (isinstance(r, int) and 0 <= r < int(cfg.replicates)):
            raise fail(f"replicate: {r!r} is out of range; allowed: 0 .. replicates-1")
    for key in ENSEMBLE_KEYS:
        if len(axes.get(key, [])) > 1:
            raise fail(f"'{key}' is swept; a sweep folder holds one posterior ensemble")
    axes = {k: v for k, v in axes.items() if k not in RUN_KEYS}
    for key, values in axes.items():
        if not values:
            raise fail(f"empty grid: '{key}' has no values to sweep")
    arms = dict(exp.arms or {})
    arm_values = [value_of(v) for v in axes.get("arm", [])]
    if arms and "arm" not in axes:
        raise fail(f"sweep 'arm' over its arms ({', '.join(arms)})")
    for arm in arm_values:
        if arm not in arms:
            raise fail(f"unknown arm '{arm}'; allowed: {', '.join(arms) or 'none declared'}")
    swept = set(axes) - {"arm"}
    for arm in arms:
        arm_overrides, ignores = arm_spec(cfg, arm)
        for key in ignores:
            if key not in swept:
                raise fail(f"arm '{arm}' ignores '{key}', which is not swept")
        for line in arm_overrides:
            if key_of(parse([line])[0]) in swept:
                raise fail(f"arm '{arm}' sets '{line}', a key the sweep also sets")
    for key in exp.axes:
        if key not in axes and key not in design.keys_of(cfg):
            raise fail(f"axis '{key}' is not swept; swept: {', '.join(axes)}")
    contrast_key, reference = exp.contrast.key, exp.contrast.reference
    if contrast_key is not None:
        if contrast_key not in axes:
            raise fail(f"contrast key '{contrast_key}' is not swept; swept: {', '.join(axes)}")
        options = [value_of(v) for v in axes[contrast_key]]
        if reference not in options:
            raise fail(f"contrast reference {reference!r} is not among {contrast_key}: {options}")
    plan = cells(cfg, axes)
    arm_keys = {key_of(o) for arm in arms for o in parse(arm_spec(cfg, arm)[0])}
    try:
        space = design.check(cfg, axes, arm_keys)
        check_ensemble(cfg, draws, [*axes, *arm_keys, *design.keys_of(cfg)])
    except ConfigError as err:
        raise fail(str(err)) from None
    composed: dict[tuple[str, ...], DictConfig] = {}
    for cell in _cells_to_check(plan, axes):
        arm_overrides, _ = arm_spec(cfg, cell.arm)
        cell = replace(cell, overrides=(*cell.overrides, *design.lines(space, cell.overrides)))
        try:
            params_from_config(_quick_cell_config(plain, cell, arm_overrides, composed))
        except ConfigError as err:
            raise fail(f"{err} (cell {', '.join(cell.overrides)})") from None
    if draws:
        _check_drawn_cells(plain, plan, cfg, space, draws, fail)
    return plan


def check_ensemble(
    cfg: DictConfig, draws: Sequence[posterior.Draw] | None, set_keys: Sequence[str]
) -> None:
    """No key both drawn from the posterior and swept, set by an arm or drawn by a design."""
    if not draws:
        return
    clash = posterior.conflicts(list(draws[0].values), set_keys)
    if clash:
        raise ConfigError(
            f"'{clash[0]}' is drawn by posterior={cfg.posterior} and also swept, set by an arm "
            "or drawn by the design; use posterior=none or leave the key to the posterior"
        )


def _check_drawn_cells(
    plain: Sequence[str],
    plan: Sequence[Cell],
    cfg: DictConfig,
    space: Mapping[str, list[str]],
    draws: Sequence[posterior.Draw],
    fail: Any,
) -> None:
    """Every parameter set drawn, in the first runnable cell of each arm (the draws set the same
    keys in every cell; the arms differ by scenario)."""
    firsts: dict[str | None, Cell] = {}
    for cell in plan:
        if cell.runs:
            firsts.setdefault(cell.arm, cell)
    for cell in firsts.values():
        arm_overrides, _ = arm_spec(cfg, cell.arm)
        lines = [*cell.overrides, *design.lines(space, cell.overrides)]
        base = cell_config([*plain, *lines], arm_overrides)
        for d in posterior.distinct(draws):
            try:
                params_from_config(model_part(posterior.apply(base, d.values)))
            except ConfigError as err:
                raise fail(f"{err} (particle {d.particle}, cell {', '.join(lines)})") from None


def _quick_cell_config(
    plain: Sequence[str],
    cell: Cell,
    arm_overrides: Sequence[str],
    composed: dict[tuple[str, ...], DictConfig],
) -> dict[str, Any]:
    """A cell's model part, composing once per choice of config groups and setting the swept
    values on a copy (Hydra composes every job again when it runs; this only checks)."""
    parsed = parse(cell.overrides)
    base_key = (*[o.input_line for o in parsed if _is_group(o)], *arm_overrides)
    if base_key not in composed:
        groups = [o.input_line for o in parsed if _is_group(o)]
        composed[base_key] = cell_config([*plain, *groups], arm_overrides)
    cfg = composed[base_key].copy()
    arm_keys = {key_of(o) for o in parse(arm_overrides)}
    for o in parsed:
        key = key_of(o)
        if _is_group(o) or key in RUN_KEYS or key in arm_keys:
            continue
        if o.is_delete() or OmegaConf.select(cfg, key, default=_ABSENT) is _ABSENT:
            return model_part(cell_config([*plain, *cell.overrides], arm_overrides))
        OmegaConf.update(cfg, key, o.value(), force_add=o.is_add())
    return model_part(cfg)


_ABSENT = object()


def _is_group(override: Override) -> bool:
    """Whether an override picks a config group option (scenario=mandated) rather than a value."""
    return key_of(override) in ("system", "behaviour", "scenario") or "/" in key_of(override)


def _cells_to_check(plan: list[Cell], axes: Mapping[str, list[str]]) -> list[Cell]:
    runnable = [c for c in plan if c.runs]
    if len(runnable) <= FULL_CHECK_CELLS:
        return runnable
    # Large sweeps: every value of every axis at least once.
    seen: set[str] = set()
    chosen = []
    for cell in runnable:
        if not seen.issuperset(cell.overrides):
            chosen.append(cell)
            seen.update(cell.overrides)
    return chosen


def planned_runs(plan: Sequence[Cell], cfg: DictConfig) -> int:
    per_cell = 1 if cfg.replicate is not None else int(cfg.replicates)
    return sum(c.runs for c in plan) * per_cell * posterior.draw_count(cfg)


def load_driver_config(sweep_dir: Path) -> DictConfig | None:
    """The config the sweep was launched with (Hydra writes it before any job starts)."""
    path = sweep_dir / "multirun.yaml"
    return OmegaConf.load(path) if path.is_file() else None
