"""One job of an experiment's sweep: one cell, its replicates, each stored as a finished run.

The seed of replicate r is ``replicate_seeds(seed, replicates)[r]`` whatever job, worker or
launcher runs it, so a sweep gives the same runs on one core, two, a Ray cluster or SLURM.
A run already finished with the same parameters and seed is skipped; anything else is redone.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from experiments import design, plan, store
from runs.config import params_from_config
from runs.driver import label, replicate_seeds, run_one
from runs.storage import remove_orphaned_temps
from sim.params import Params

log = logging.getLogger(__name__)


def run_cell(cfg: DictConfig, overrides: Sequence[str], cell_dir: Path) -> float | None:
    """Run the missing replicates of this job's cell; returns the experiment's objective over
    the cell's finished replicates (None for a cell its arm does not run)."""
    arm = None if cfg.arm is None else str(cfg.arm)
    arm_overrides, ignores = plan.arm_spec(cfg, arm)
    if ignores and not _first_of_ignored(overrides, ignores):
        log.info("arm %s ignores %s: it runs in the cell at their first values", arm, ignores)
        return None
    drawn = design.of_cell(cfg, list(overrides))  # a design point's values, if any
    cell_cfg = plan.cell_config([*overrides, *drawn], arm_overrides)
    params = params_from_config(plan.model_part(cell_cfg))
    labels = plan.labels(overrides)
    labels.update({key: None for key in ignores})  # these keys do not act on this arm
    labels.update(plan.labels(drawn))
    seeds = replicate_seeds(int(cfg.seed), int(cfg.replicates))
    wanted = range(len(seeds)) if cfg.replicate is None else [int(cfg.replicate)]
    ids = {
        "experiment": str(cfg.experiment.name),
        "cell": cell_dir.name,
        "arm": arm,
        "system": params.system.name,
        "scenario": params.scenario.name,
    }
    computed = 0
    for r in wanted:
        run = store.run_dir(cell_dir, r)
        key = store.run_key(params, seeds[r])
        why = store.problem(run, key)
        if why is None:
            continue
        if (run / store.DONE).exists() or any((run / f).exists() for f in store.RUN_FILES):
            log.info("redoing %s", why)
        write_run(run, params, cell_cfg, {**ids, "replicate": r, "seed": seeds[r]}, labels, key)
        computed += 1
    log.info(
        "cell %s: %d runs computed, %d already finished",
        ids["cell"],
        computed,
        len(wanted) - computed,
    )
    return objective(cfg, cell_dir)


def objective(cfg: DictConfig, cell_dir: Path) -> float:
    """The experiment's objective (``experiment.objective``) over the cell's finished runs: the
    mean outcome if the mean constrained outcome stays within its ceiling, else minus the excess,
    so that a search ranks every infeasible setting below every feasible one."""
    spec = cfg.experiment.objective
    runs = sorted(p.parent for p in (cell_dir / store.RUNS).glob(f"*/{store.DONE}"))
    rows = pd.concat([pd.read_parquet(r / "summary.parquet") for r in runs], ignore_index=True)
    value = float(rows[str(spec.outcome)].mean())
    if spec.get("ceiling") is None:
        return value
    excess = float(rows[str(spec.constraint)].mean()) - float(spec.ceiling)
    return value if excess <= 0 else -excess


def write_run(
    run: Path,
    params: Params,
    cell_cfg: DictConfig,
    ids: dict[str, Any],
    labels: dict[str, Any],
    key: str,
) -> None:
    """Simulate one run and store it: marker removed first, files atomically, marker last."""
    (run / store.DONE).unlink(missing_ok=True)
    remove_orphaned_temps(run)  # left by a write that was killed half-way, never a live one
    start = time.perf_counter()
    result = run_one(params, int(ids["seed"]))
    seconds = time.perf_counter() - start
    config = OmegaConf.create(
        {
            "run": {**ids, "labels": labels, "key": key},
            **plan.model_part(cell_cfg),
            "seed": int(cell_cfg.seed),
            "replicates": int(cell_cfg.replicates),
        }
    )
    store.write_atomic(run / "config.yaml", OmegaConf.to_yaml(config).encode())
    summary = pd.DataFrame([{**ids, **labels, **result.summary}])
    steps = label(result.steps, **{k: ids[k] for k in ("cell", "arm", "replicate", "seed")})
    store.write_atomic(run / "summary.parquet", _parquet(summary))
    store.write_atomic(run / "steps.parquet", _parquet(steps))
    store.mark_done(run, key, {"seconds": round(seconds, 3), "events": result.events})


def _parquet(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _first_of_ignored(overrides: Sequence[str], ignores: Sequence[str]) -> bool:
    """Whether this job is the one cell where an arm's ignored keys sit at their first values."""
    driver = plan.load_driver_config(Path(HydraConfig.get().sweep.dir))
    if driver is None:
        return True  # no sweep record: run it (the run key still prevents duplicates)
    axes = plan.sweep_axes(driver.hydra.sweeper.params or {}, list(driver.hydra.overrides.task))
    mine = {plan.key_of(o): o.input_line for o in plan.parse(overrides)}
    return all(mine.get(k) == axes[k][0] for k in ignores if k in axes)
