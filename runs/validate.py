"""Checking a command line of ``python -m sim`` before anything runs or any folder is made.

Every key a user can set is checked here: the run keys (seed, replicates, compare, output.*),
the model's parameters (through ``sim.params``, pure dataclasses), the launcher settings under
``hydra.launcher`` and the configuration files themselves. A bad input becomes a ``ConfigError``
whose message is one line naming the key or file, what was given and what is allowed; the
command line prints it and exits with code 2.

This module imports Hydra's composing and ``sim.params`` only, never the model's compiled parts,
so that a mistake is reported in about a second.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from runs import posterior
from runs.config import CONFIG_DIR, one_line, params_from_config
from sim.params import ConfigError

MAX_REPLICATES_ENV = "REDES_MAX_REPLICATES"
MAX_REPLICATES = 1000  # seeds per scenario or cell; raise with REDES_MAX_REPLICATES=N
MAX_SEED = 2**63 - 1
MAX_WORKERS = 1024
CALIBRATED = Path("calibrated") / "historical.yaml"
CALIBRATE_COMMAND = "uv run python -m experiments.calibrate"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
# Top-level keys of the composed configuration (configs/config.yaml and the experiments').
TOP_KEYS = {
    "system",
    "behaviour",
    "scenario",
    "years",
    "seed",
    "replicates",
    "compare",
    "output",
    "experiment",
    "arm",
    "replicate",
    "point",
    "calibration",
    "posterior",
    "posterior_draws",
}
# Hydra's own flags that take a value (`--cfg job`): that value is not an override.
FLAGS_WITH_VALUE = {
    "-c",
    "--cfg",
    "-p",
    "--package",
    "-cp",
    "--config-path",
    "-cn",
    "--config-name",
    "-cd",
    "--config-dir",
    "-sc",
    "--shell-completion",
    "--experimental-rerun",
}
MULTIRUN_FLAGS = {"-m", "--multirun"}
MODES = {  # Hydra runs one of these
    "--run": ("-r", "--run"),
    "--multirun": ("-m", "--multirun"),
    "--cfg": ("-c", "--cfg"),
    "--info": ("-i", "--info"),
    "--shell-completion": ("-sc", "--shell-completion"),
}
HYDRA_ONLY_FLAGS = {"-h", "--help", "--hydra-help", "--version", "-i", "--info", "-c", "--cfg"}


@dataclass
class Checked:
    """What a valid command line asks for (the sweep's cells when it is an experiment)."""

    overrides: list[str]
    config: DictConfig  # composed with Hydra's own node, the sweep's values not yet applied
    multirun: bool
    cells: list[Any] = field(default_factory=list)  # experiments.plan.Cell

    @property
    def is_experiment(self) -> bool:
        return self.config.get("experiment") is not None


# --------------------------------------------------------------------------- arguments
def split_argv(argv: Sequence[str]) -> tuple[list[str], dict[str, str | None]]:
    """(overrides, flags) of a command line, the way Hydra's own parser splits it."""
    overrides: list[str] = []
    flags: dict[str, str | None] = {}
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and not arg.startswith("-="):
            name, eq, value = arg.partition("=")
            if eq:
                flags[name] = value
            elif name in FLAGS_WITH_VALUE and i + 1 < len(args):
                flags[name] = args[i + 1]
                i += 1
            else:
                flags[name] = None
        else:
            overrides.append(arg)
        i += 1
    return overrides, flags


def parse_argument(arg: str) -> Override:
    """One override, or a one-line ConfigError saying what form is expected."""
    if "=" not in arg and not arg.startswith("~"):
        raise ConfigError(f"argument '{arg}': expected KEY=VALUE, for example years=5")
    key = arg.split("=", 1)[0]
    if not key.isascii():
        raise ConfigError(
            f"argument {arg!r}: key {key!r} is not a configuration key; keys are ASCII names "
            "such as years or scenario.mandate.pace (see configs/)"
        )
    try:
        (override,) = OverridesParser.create().parse_overrides([arg])
    except HydraException as err:
        if not arg.isascii():
            raise ConfigError(
                f"argument {arg!r}: a value with non-ASCII characters must be quoted, "
                "for example key='valor'"
            ) from None
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        reasons = [ln for ln in lines if not ln.startswith(("Error parsing", "See "))]
        reason = reasons[0] if reasons else type(err).__name__
        raise ConfigError(
            f"argument {arg!r}: not a valid override ({reason}); expected KEY=VALUE"
        ) from None
    if override.is_delete():
        raise ConfigError(
            f"argument '{arg}': removing a key is not supported; every key must have a value "
            f"(set it instead: {override.key_or_group}=VALUE)"
        )
    if not override.key_or_group:
        raise ConfigError(f"argument '{arg}': no key before '='; expected KEY=VALUE")
    return override


# --------------------------------------------------------------------------- files
def check_files(config_dir: Path, calibrated: bool = False) -> None:
    """Every YAML file of the configuration readable, valid and a mapping; with `calibrated`,
    the calibration output too (present and complete)."""
    if not (config_dir / "config.yaml").is_file():
        raise ConfigError(f"{config_dir / 'config.yaml'}: missing; {_fix(config_dir, config_dir)}")
    for path in sorted(config_dir.rglob("*.yaml")):
        if path.relative_to(config_dir) == CALIBRATED and not calibrated:
            continue
        read_yaml(path, config_dir)
    if calibrated:
        check_calibrated(config_dir)


def _fix(path: Path, config_dir: Path) -> str:
    if path.resolve() == (config_dir / CALIBRATED).resolve():
        return f"regenerate it with `{CALIBRATE_COMMAND}`"
    return "restore it (git checkout -- configs/) or correct it"


def read_yaml(path: Path, config_dir: Path) -> Any:
    fix = _fix(path, config_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing; {fix}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (not UTF-8); {fix}") from None
    except OSError as err:
        raise ConfigError(f"{path}: unreadable ({err.strerror}); {fix}") from None
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or type(err).__name__
        raise ConfigError(f"{path}: not valid YAML ({problem}{where}); {fix}") from None
    if data is None:
        raise ConfigError(f"{path}: empty; {fix}")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys, got {type(data).__name__}; {fix}")
    return data


def check_calibrated(config_dir: Path) -> None:
    path = config_dir / CALIBRATED
    data = read_yaml(path, config_dir)
    fix = _fix(path, config_dir)
    for key in ("calibration.pilot.target", "calibration.pilot.pace", "behaviour.diffusion"):
        node: Any = data
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            raise ConfigError(f"{path}: incomplete or truncated (no {key}); {fix}")


# --------------------------------------------------------------------------- composing
@contextmanager
def hydra_context(config_dir: Path) -> Iterator[None]:
    """Hydra initialised on `config_dir` (kept as it is if already initialised)."""
    if GlobalHydra.instance().is_initialized():
        yield
        return
    with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
        yield


def compose_checked(overrides: Sequence[str], config_dir: Path) -> DictConfig:
    """The composed configuration with Hydra's node, or a one-line error naming the problem."""
    try:
        return compose("config", overrides=list(overrides), return_hydra_config=True)
    except (HydraException, OmegaConfBaseException, yaml.YAMLError, UnicodeDecodeError) as err:
        raise _explained(err, config_dir) from None


def _explained(err: BaseException, config_dir: Path) -> ConfigError:
    """A composing error in one line; a damaged calibration file is named with its fix."""
    text = str(err)
    if "calibration" in text or "calibrated" in text:
        try:
            check_calibrated(config_dir)
        except ConfigError as bad_file:
            return bad_file
    if isinstance(err, (yaml.YAMLError, UnicodeDecodeError)):
        try:
            check_files(config_dir, calibrated=(config_dir / CALIBRATED).exists())
        except ConfigError as bad_file:
            return bad_file
    merging = re.match(r"Error merging override (\S+?)=(.*)", text)
    if merging and err.__cause__ is not None:  # a typed key (a launcher's) refused the value
        cause = str(err.__cause__).splitlines()[0]
        return ConfigError(f"{merging[1]}: {merging[2]!r} is not allowed ({cause})")
    return ConfigError(one_line(err))


def model_params(cfg: DictConfig, config_dir: Path) -> Any:
    """The run's Params from a composed config (interpolations resolved here)."""
    try:
        container = {k: OmegaConf.to_container(cfg[k], resolve=True) for k in _PARAM_GROUPS}
        container["years"] = OmegaConf.select(cfg, "years", throw_on_missing=True)
    except OmegaConfBaseException as err:
        raise _explained(err, config_dir) from None
    return params_from_config(container)


# --------------------------------------------------------------------------- run keys
def max_replicates() -> int:
    raw = os.environ.get(MAX_REPLICATES_ENV)
    if raw is None:
        return MAX_REPLICATES
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{MAX_REPLICATES_ENV}: {raw!r} is not allowed; allowed: an integer ≥ 1")
    return int(raw)


def _value(cfg: DictConfig, key: str) -> Any:
    try:
        return OmegaConf.select(cfg, key, throw_on_missing=True)
    except OmegaConfBaseException as err:
        raise ConfigError(f"{key}: {one_line(err)}") from None


def check_integer(key: str, value: Any, lo: int, hi: int, allowed: str | None = None) -> int:
    allowed = allowed or f"an integer in [{lo}, {hi}]"
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{key}: {value!r} is not finite; allowed: {allowed}")
        raise ConfigError(f"{key}: {value!r} is not an integer; allowed: {allowed}")
    if not lo <= value <= hi:
        raise ConfigError(f"{key}: {value!r} is out of range; allowed: {allowed}")
    return value


def check_number(key: str, value: Any, lo: float, hi: float) -> float:
    allowed = f"a number in ({lo}, {hi}]"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{key}: {value!r} is not a number; allowed: {allowed}")
    if not math.isfinite(value) or not lo < value <= hi:
        raise ConfigError(f"{key}: {value!r} is out of range; allowed: {allowed}")
    return float(value)


def check_run_keys(cfg: DictConfig) -> None:
    """seed, replicates, replicate, compare and output.*: their types and ranges."""
    unknown = sorted(set(cfg.keys()) - TOP_KEYS - {"hydra"})
    if unknown:
        raise ConfigError(
            f"unknown key '{unknown[0]}'; allowed top-level keys: {', '.join(sorted(TOP_KEYS))}"
        )
    check_integer("seed", _value(cfg, "seed"), 0, MAX_SEED, "an integer in [0, 2^63 - 1]")
    cap = max_replicates()
    replicates = _value(cfg, "replicates")
    if isinstance(replicates, int) and not isinstance(replicates, bool) and replicates > cap:
        raise ConfigError(
            f"replicates: {replicates} is above the cap of {cap}; allowed: an integer in "
            f"[1, {cap}] (raise the cap with {MAX_REPLICATES_ENV}=N)"
        )
    check_integer("replicates", replicates, 1, cap)
    if "replicate" in cfg and _value(cfg, "replicate") is not None:
        check_integer(
            "replicate",
            _value(cfg, "replicate"),
            0,
            replicates - 1,
            f"null or an integer in [0, {replicates - 1}] (replicates - 1)",
        )
    if "point" in cfg and _value(cfg, "point") is not None:  # a design's point (experiments)
        check_integer("point", _value(cfg, "point"), 0, MAX_SEED, "null or an integer ≥ 0")
    scenario_names(cfg)
    plot = _value(cfg, "output.plot")
    if not isinstance(plot, bool):
        raise ConfigError(f"output.plot: {plot!r} is not allowed; allowed: true, false")
    progress = _value(cfg, "output.progress")
    if not isinstance(progress, bool) and progress != "auto":
        raise ConfigError(
            f"output.progress: {progress!r} is not allowed; allowed: auto, true, false"
        )
    steps = _value(cfg, "output.snapshot_steps")
    if not OmegaConf.is_list(cfg.output.snapshot_steps):
        raise ConfigError(
            f"output.snapshot_steps: {steps!r} is not a list; allowed: a list of steps, e.g. [0,12]"
        )


def scenario_names(cfg: DictConfig) -> list[str]:
    """`compare` as a list of scenario names (`compare=voluntary` is a list of one)."""
    compare = _value(cfg, "compare")
    if isinstance(compare, str):
        return [compare]
    if not OmegaConf.is_list(compare) or not all(isinstance(s, str) for s in compare):
        raise ConfigError(
            f"compare: {compare!r} is not allowed; allowed: a list of scenario names, "
            "e.g. compare=[voluntary,mandated]"
        )
    return [str(s) for s in compare]


def check_snapshot_steps(cfg: DictConfig, steps: int) -> None:
    for step in cfg.output.snapshot_steps:
        check_integer("output.snapshot_steps", step, 0, steps, f"steps in [0, {steps}]")


def check_launcher(cfg: DictConfig) -> None:
    """The launcher settings a sweep would fail on only once its workers start."""
    launcher = cfg.hydra.get("launcher") or {}
    target = str(launcher.get("_target_", ""))

    def integer(key: str, lo: int = 1, hi: int = MAX_WORKERS, allowed: str | None = None) -> None:
        value = _value(cfg, f"hydra.launcher.{key}")
        check_integer(f"hydra.launcher.{key}", value, lo, hi, allowed)

    if target.endswith("JoblibLauncher"):
        value = _value(cfg, "hydra.launcher.n_jobs")
        if value != -1:
            integer("n_jobs", allowed=f"an integer in [1, {MAX_WORKERS}], or -1 for every core")
    elif target.endswith("RayLauncher"):
        if _value(cfg, "hydra.launcher.ray.init.num_cpus") is not None:
            integer(
                "ray.init.num_cpus",
                allowed=f"null (every core) or an integer in [1, {MAX_WORKERS}]",
            )
        remote = _value(cfg, "hydra.launcher.ray.remote.num_cpus")
        if remote is not None:
            check_number("hydra.launcher.ray.remote.num_cpus", remote, 0, MAX_WORKERS)
    elif target.endswith("SlurmLauncher"):
        integer("timeout_min", hi=60 * 24 * 365)
        integer("cpus_per_task")
        integer("nodes", hi=100_000)
        integer("tasks_per_node")
        integer("array_parallelism", hi=100_000)
        check_number("hydra.launcher.mem_gb", _value(cfg, "hydra.launcher.mem_gb"), 0, 1e6)


def check_output_dir(cfg: DictConfig, multirun: bool) -> None:
    """The output folder can be made: its nearest existing parent is a writable folder."""
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    try:
        folder = Path(str(OmegaConf.select(cfg, key)))
    except OmegaConfBaseException as err:
        raise ConfigError(f"{key}: {one_line(err)}") from None
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{key}: {existing} is a file, not a folder; choose another {key}=PATH")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{key}: cannot write in {existing} (read-only?); choose {key}=PATH")


# --------------------------------------------------------------------------- the command line
def check_command(argv: Sequence[str], config_dir: Path | None = None) -> Checked | None:
    """Check `python -m sim ARGV`; None when Hydra only prints something (--help, --cfg)."""
    overrides, flags = split_argv(argv)
    modes = [m for m in MODES if set(MODES[m]) & set(flags)]
    if len(modes) > 1:
        raise ConfigError(
            f"options {' and '.join(modes)}: give only one of --run, --multirun, --cfg, --info "
            "and --shell-completion"
        )
    if HYDRA_ONLY_FLAGS & set(flags):
        return None
    config_dir = Path(flags.get("--config-path") or flags.get("-cp") or config_dir or CONFIG_DIR)
    parsed = [parse_argument(a) for a in overrides]
    check_files(config_dir, calibrated=_uses_historical([], overrides))
    with hydra_context(config_dir):
        plain = [o.input_line for o in parsed if not o.is_sweep_override()]
        cfg = compose_checked(plain, config_dir)
        mode = str(OmegaConf.select(cfg, "hydra.mode"))
        multirun = bool(MULTIRUN_FLAGS & set(flags)) or mode.endswith("MULTIRUN")
        if any(o.is_sweep_override() for o in parsed) and not multirun:
            swept = next(o.input_line for o in parsed if o.is_sweep_override())
            raise ConfigError(f"argument '{swept}': a list of values needs a sweep; add -m")
        checked = Checked(overrides=list(overrides), config=cfg, multirun=multirun)
        for variant in _run_key_variants(cfg, parsed):
            check_run_keys(variant)
            check_launcher(variant)
            draws = check_posterior(variant, parsed, config_dir)
            if variant is cfg:
                checked.draws = draws
        check_output_dir(cfg, multirun)
        if checked.is_experiment:
            checked.cells = _check_experiment(overrides, cfg, config_dir, checked.draws)
        elif multirun:
            _check_plain_sweep(plain, parsed, config_dir, checked.draws)
        else:
            _check_main_job(plain, parsed, cfg, config_dir, checked.draws)
    return checked


def check_posterior(
    cfg: DictConfig, parsed: Sequence[Override], config_dir: Path
) -> list[posterior.Draw] | None:
    """`posterior` and `posterior_draws`: a known name, a count in range, a readable posterior
    file of known keys, and no drawn key also set on the command line. Returns the draws."""
    name, k = posterior.settings(cfg, config_dir)
    if name == posterior.NONE:
        return None
    calibration = Path(posterior.CALIBRATED) / f"{name}.yaml"
    if calibration == CALIBRATED:
        check_calibrated(config_dir)  # the fitted file, with the command that writes it
    else:
        read_yaml(config_dir / calibration, config_dir)
    draws = posterior.draw(posterior.load(name, config_dir), k, int(cfg.seed))
    clash = posterior.conflicts(list(draws[0].values), [o.key_or_group for o in parsed])
    if clash:
        raise ConfigError(
            f"{clash[0]}: drawn by posterior={name}; set it through the posterior or choose it "
            "yourself with posterior=none, not both"
        )
    return draws


def _with_draws(cfg: DictConfig, draws: list[posterior.Draw] | None) -> Iterator[DictConfig]:
    """`cfg`, then `cfg` with each parameter set drawn (each particle once)."""
    yield cfg
    for d in posterior.distinct(draws or []):
        yield posterior.apply(cfg, d.values)


def _run_key_variants(cfg: DictConfig, parsed: Sequence[Override]) -> Iterator[DictConfig]:
    """The composed config, then a copy for each swept value of a key that is not a model key
    (seed=1,2; hydra.launcher.n_jobs=1,2): each must be valid too."""
    yield cfg
    for override in parsed:
        key = override.key_or_group
        if not override.is_sweep_override() or key.split(".")[0] in _MODEL_KEYS:
            continue
        for value in _sweep_values(override):
            variant = cfg.copy()
            OmegaConf.update(variant, key, value, force_add=True)
            yield variant


_MODEL_KEYS = {"system", "behaviour", "scenario", "years", "arm"}
_PARAM_GROUPS = ("system", "behaviour", "scenario")


def _sweep_values(override: Override) -> list[Any]:
    if not override.is_discrete_sweep():
        raise ConfigError(f"{override.key_or_group}: only lists and range() can be swept here")
    parser = OverridesParser.create()
    element = override.get_key_element()
    return [
        parser.parse_override(f"{element}={v}").value() for v in override.sweep_string_iterator()
    ]


def _uses_historical(names: Sequence[str], overrides: Sequence[str]) -> bool:
    return "historical" in names or any(o.endswith("scenario=historical") for o in overrides)


def _check_main_job(
    plain: list[str],
    parsed: Sequence[Override],
    cfg: DictConfig,
    config_dir: Path,
    draws: list[posterior.Draw] | None = None,
) -> None:
    keys = {o.key_or_group for o in parsed}
    names = [str(cfg.scenario.name)] if "scenario" in keys and "compare" not in keys else []
    names = names or scenario_names(cfg) or [str(cfg.scenario.name)]
    if _uses_historical(names, plain):
        check_calibrated(config_dir)
    rest = [o.input_line for o in parsed if o.key_or_group != "scenario"]
    steps = None
    for name in names:
        same = name == str(cfg.scenario.name) and rest == plain  # composed already
        scenario_cfg = cfg if same else compose_checked([*rest, f"scenario={name}"], config_dir)
        for drawn_cfg in _with_draws(scenario_cfg, draws):
            steps = model_params(drawn_cfg, config_dir).steps
    check_snapshot_steps(cfg, steps)


def _check_plain_sweep(
    plain: list[str],
    parsed: Sequence[Override],
    config_dir: Path,
    draws: list[posterior.Draw] | None = None,
) -> None:
    """A sweep without an experiment: every value of every swept key, each once."""
    if _uses_historical([], [o.input_line for o in parsed]):
        check_calibrated(config_dir)
    for drawn_cfg in _with_draws(compose_checked(plain, config_dir), draws):
        model_params(drawn_cfg, config_dir)
    for override in parsed:
        if not override.is_sweep_override() or override.key_or_group.split(".")[0] not in (
            _MODEL_KEYS
        ):
            continue
        element = override.get_key_element()
        for value in override.sweep_string_iterator():
            model_params(compose_checked([*plain, f"{element}={value}"], config_dir), config_dir)


def _check_experiment(
    overrides: list[str],
    cfg: DictConfig,
    config_dir: Path,
    draws: list[posterior.Draw] | None = None,
) -> list[Any]:
    from experiments import plan

    arms = cfg.experiment.get("arms") or {}
    arm_lines = [str(o) for arm in arms.values() for o in (arm.get("overrides") or [])]
    if _uses_historical([], [*overrides, *arm_lines]):
        check_calibrated(config_dir)
    try:
        return plan.check(overrides, draws)
    except ConfigError as err:
        if "calibration" in str(err):
            check_calibrated(config_dir)
        raise


def main(argv: Sequence[str]) -> Checked | None:
    """Check the command line; on a bad input print one line and exit with code 2."""
    try:
        return check_command(argv)
    except ConfigError as err:
        print(f"error: {_single_line(str(err))}", file=sys.stderr)
        sys.exit(2)


def _single_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()
