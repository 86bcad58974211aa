"""One job of an experiment's sweep: one cell, its replicates, each stored as a finished run.

The seed of replicate r is ``replicate_seeds(seed, replicates)[r]`` whatever job, worker or
launcher runs it, so a sweep gives the same runs on one core, two, a Ray cluster or SLURM.
With ``posterior=NAME`` every replicate runs each of the ``posterior_draws`` parameter sets drawn
from the root seed alone (runs.posterior), the same in every cell.
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
from runs import posterior
from runs.config import CONFIG_DIR, params_from_config
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
    variants = cell_variants(cfg, cell_cfg)
    params = variants[0][2]
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
        for draw, run_cfg, run_params in variants:
            run = store.run_dir(cell_dir, r, None if draw is None else draw.index)
            key = store.run_key(run_params, seeds[r])
            why = store.problem(run, key)
            if why is None:
                continue
            if (run / store.DONE).exists() or any((run / f).exists() for f in store.RUN_FILES):
                log.info("redoing %s", why)
            run_ids = {**ids, "replicate": r, "seed": seeds[r], **posterior.ids(draw)}
            write_run(run, run_params, run_cfg, run_ids, labels, key, posterior.values_of(draw))
            computed += 1
    log.info(
        "cell %s: %d runs computed, %d already finished",
        ids["cell"],
        computed,
        len(wanted) * len(variants) - computed,
    )
    return objective(cfg, cell_dir)


Variant = tuple[posterior.Draw | None, DictConfig, Params]


def cell_variants(cfg: DictConfig, cell_cfg: DictConfig) -> list[Variant]:
    """The cell's configuration once, or once per parameter set of `posterior=NAME`."""
    draws = posterior.ensemble(cfg, posterior.job_config_dir(CONFIG_DIR))
    if draws is None:
        return [(None, cell_cfg, params_from_config(plan.model_part(cell_cfg)))]
    variants = []
    for d in draws:
        drawn_cfg = posterior.apply(cell_cfg, d.values)
        variants.append((d, drawn_cfg, params_from_config(plan.model_part(drawn_cfg))))
    return variants


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
    drawn: dict[str, float] | None = None,
) -> None:
    """Simulate one run and store it: marker removed first, files atomically, marker last.

    `drawn`: the values of its posterior draw, kept in its summary beside the cell's labels."""
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
    summary = pd.DataFrame([{**ids, **labels, **(drawn or {}), **result.summary}])
    named = ("cell", "arm", "replicate", "seed", "draw")
    steps = label(result.steps, **{k: ids[k] for k in named if k in ids})
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
