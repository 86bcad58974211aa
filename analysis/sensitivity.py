"""Global sensitivity of one outcome to the main behavioural parameters (SALib).

Morris screening (elementary effects) ranks the parameters cheaply; Sobol indices split the
outcome's variance into each parameter's share alone (first order) and with its interactions
(total order). Parameters, ranges, outcome and sample sizes are the experiment's
``experiment.sensitivity`` block (configs/experiment/_sweep.yaml). Every sample point runs the
same seeds (common random numbers), so differences between points come from the parameters.
"""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from omegaconf import OmegaConf

from analysis.collect import Sweep, _to_parquet, read_parquet
from experiments import plan, store
from runs.driver import replicate_seeds, run_one
from sim.params import ConfigError, build_params

FOLDER = "sensitivity"
METHODS = ("morris", "sobol")


@dataclass
class Setup:
    outcome: str
    names: list[str]
    bounds: list[list[float]]
    base: dict[str, Any]  # system, model, scenario, years of the analysed arm
    seeds: list[int]
    trajectories: int
    levels: int
    base_samples: int
    root_seed: int


def setup(
    sweep: Sweep,
    years: float | None = None,
    trajectories: int | None = None,
    base_samples: int | None = None,
) -> Setup:
    """The analysis the sweep's experiment declares, checked: ConfigError names what is wrong.

    The base point is the sweep's first cell of the analysed arm: every swept key at its first
    value, the command line's other overrides kept."""
    exp = sweep.experiment
    spec = exp.sensitivity
    name = sweep.name
    cfg = sweep.config
    axes = plan.sweep_axes(cfg.hydra.sweeper.params or {}, list(cfg.hydra.overrides.task))
    task = [values[0] for key, values in axes.items() if key not in plan.RUN_KEYS and key != "arm"]
    task = [f"+experiment={name}", *task]
    arms = list(exp.arms or {})
    arm = spec.arm if spec.arm is not None else (arms[0] if arms else None)
    if arm is not None and arm not in arms:
        raise ConfigError(f"experiment {name}: sensitivity arm '{arm}' is not one of its arms")
    arm_overrides, _ = plan.arm_spec(sweep.config, arm)
    if years is not None:
        task.append(f"years={years}")
    base = plan.model_part(plan.cell_config(task, arm_overrides))
    parameters = OmegaConf.to_container(spec.parameters)
    if not parameters:
        raise ConfigError(f"experiment {name}: sensitivity.parameters is empty")
    for key, bounds in parameters.items():
        _check_parameter(name, base, key, bounds)
    seeds = replicate_seeds(int(sweep.config.seed), int(spec.replicates))
    return Setup(
        outcome=str(spec.outcome),
        names=list(parameters),
        bounds=[[float(b) for b in v] for v in parameters.values()],
        base=base,
        seeds=seeds,
        trajectories=trajectories or int(spec.morris.trajectories),
        levels=int(spec.morris.levels),
        base_samples=base_samples or int(spec.sobol.base_samples),
        root_seed=int(sweep.config.seed),
    )


def _check_parameter(experiment: str, base: dict[str, Any], key: str, bounds: Any) -> None:
    where = f"experiment {experiment}: sensitivity parameter '{key}'"
    try:
        current = _get(base, key)
    except KeyError:
        raise ConfigError(f"{where} does not exist; see configs/behaviour/default.yaml") from None
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise ConfigError(f"{where} is not a number")
    if not (isinstance(bounds, list) and len(bounds) == 2 and bounds[0] < bounds[1]):
        raise ConfigError(f"{where}: expected [low, high] with low < high, got {bounds}")
    for value in bounds:
        try:
            build_params(_with(base, [key], [value]))
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None


def _get(data: dict[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def _with(base: dict[str, Any], names: Sequence[str], values: Sequence[float]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for key, value in zip(names, values, strict=True):
        *path, leaf = key.split(".")
        node = data
        for part in path:
            node = node[part]
        node[leaf] = round(value) if isinstance(node[leaf], int) else float(value)
    return data


def evaluate(s: Setup, values: Sequence[float]) -> float:
    """The outcome at one sample point, averaged over the seeds (missing values left out)."""
    params = build_params(_with(s.base, s.names, values))
    ys = [run_one(params, seed).summary[s.outcome] for seed in s.seeds]
    ys = [y for y in ys if not (isinstance(y, float) and math.isnan(y))]
    return float(np.mean(ys)) if ys else float("nan")


def sample(s: Setup, method: str) -> np.ndarray:
    from SALib.sample import morris, sobol

    problem = _problem(s)
    if method == "morris":
        return morris.sample(problem, s.trajectories, num_levels=s.levels, seed=s.root_seed)
    return sobol.sample(problem, s.base_samples, calc_second_order=False, seed=s.root_seed)


def _problem(s: Setup) -> dict[str, Any]:
    return {"num_vars": len(s.names), "names": s.names, "bounds": s.bounds}


def analyse(s: Setup, method: str, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    from SALib.analyze import morris, sobol

    problem = _problem(s)
    if method == "morris":
        res = morris.analyze(problem, x, y, num_levels=s.levels, seed=s.root_seed)
        cols = ["mu", "mu_star", "sigma", "mu_star_conf"]
    else:
        res = sobol.analyze(problem, y, calc_second_order=False, seed=s.root_seed)
        cols = ["S1", "S1_conf", "ST", "ST_conf"]
    df = pd.DataFrame({c: np.asarray(res[c], dtype=float) for c in cols})
    df.insert(0, "parameter", s.names)
    return df


def run(
    sweep: Sweep,
    methods: Sequence[str],
    workers: int = 1,
    progress: bool = False,
    **sizes: Any,
) -> dict[str, pd.DataFrame]:
    """Sample, simulate, analyse; writes SWEEP/sensitivity/{METHOD}.parquet and the samples.
    `sizes`: years, trajectories, base_samples, replacing the experiment's values."""
    s = setup(sweep, **sizes)
    first = build_params(s.base)
    probe = run_one(first, s.seeds[0]).summary
    if s.outcome not in probe:
        raise ConfigError(
            f"experiment {sweep.name}: sensitivity outcome '{s.outcome}' is not a run outcome; "
            f"for example: {', '.join(list(probe)[:6])}"
        )
    out_dir = sweep.path / FOLDER
    results = {}
    for method in methods:
        x = sample(s, method)
        y = _evaluate_all(s, x, workers, progress, method)
        if np.isnan(y).any():
            raise ConfigError(
                f"sensitivity outcome '{s.outcome}' is undefined in {int(np.isnan(y).sum())} of "
                f"{y.size} sample points (no run withdrew support?)"
            )
        table = analyse(s, method, x, y)
        samples = pd.DataFrame(x, columns=s.names).assign(**{s.outcome: y})
        store.write_atomic(
            out_dir / f"{method}.parquet",
            _to_parquet(table.assign(outcome=s.outcome, runs=len(y) * len(s.seeds))),
        )
        store.write_atomic(out_dir / f"{method}_samples.parquet", _to_parquet(samples))
        results[method] = table
    return results


def _evaluate_all(s: Setup, x: np.ndarray, workers: int, progress: bool, desc: str) -> np.ndarray:
    jobs = Parallel(n_jobs=workers, return_as="generator")(delayed(evaluate)(s, row) for row in x)
    if progress:
        from tqdm import tqdm

        jobs = tqdm(jobs, total=len(x), desc=desc, unit="point", file=sys.stderr)
    return np.array(list(jobs), dtype=float)


def load(sweep_dir: Path) -> dict[str, pd.DataFrame]:
    """The sensitivity tables stored in a sweep folder (none if it was never run)."""
    out = {}
    for method in METHODS:
        path = sweep_dir / FOLDER / f"{method}.parquet"
        if path.is_file():
            out[method] = read_parquet(path)
    return out
