"""`python -m sim [OVERRIDES]`: the main job.

On the selected system (default: the small embedded `seminar` system) it runs each scenario of
`compare` (default: voluntary and mandated) with `replicates` seeds, prints a comparison table
with 95% confidence intervals, and writes into Hydra's output folder, beside the resolved config:
`steps.parquet` (one row per run and step), `summary.parquet` (one row per run),
`comparison.parquet` (the table, long: outcome, scenario, mean, lo, hi, n) and `adoption.png`.
An explicit `scenario=NAME` runs that scenario alone.

With `posterior=NAME` every scenario runs `posterior_draws` parameter sets drawn from that
calibration's posterior (runs.posterior), each with every replicate seed; the table then gives
each mean with the seeds' and the record's spreads, and the paired differences between scenarios
(runs.table).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from runs import posterior
from runs.config import CONFIG_DIR, compose_config, params_from_config

# The model (numba, Mesa) is imported inside the job, after runs.validate has checked the
# command line: a mistake is reported in about a second.

_RUN_KEYS = {"seed", "replicates", "compare", "output", "hydra", "posterior", "posterior_draws"}


def _user_overrides() -> list[str]:
    return list(HydraConfig.get().overrides.task)


def scenario_names(cfg: DictConfig, overrides: list[str]) -> list[str]:
    """`compare` unless the user picked one scenario with `scenario=NAME` (and no `compare=`)."""
    keys = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    if "scenario" in keys and "compare" not in keys:
        return [str(cfg.scenario.name)]
    compare = [cfg.compare] if isinstance(cfg.compare, str) else cfg.compare  # compare=voluntary
    return [str(s) for s in compare] or [str(cfg.scenario.name)]


def scenario_config(name: str, overrides: list[str]) -> DictConfig:
    """The config of scenario `name` with the user's other overrides applied to it too."""
    rest = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") != "scenario"]
    return compose_config([*rest, f"scenario={name}"])


def scenario_params(name: str, overrides: list[str]):
    """Params of scenario `name` with the user's other overrides applied to it too."""
    return params_from_config(scenario_config(name, overrides))


def ensemble_params(name: str, overrides: list[str], draws: list[posterior.Draw]):
    """(draw, Params) of scenario `name` for every parameter set drawn."""
    cfg = scenario_config(name, overrides)
    return [(d, params_from_config(posterior.apply(cfg, d.values))) for d in draws]


def scenario_runs(names: list[str], overrides: list[str], draws: list[posterior.Draw] | None):
    """Each scenario's parameter sets: its own, or one per draw of a posterior ensemble."""
    if draws is None:
        return {name: [(None, scenario_params(name, overrides))] for name in names}
    return {name: ensemble_params(name, overrides, draws) for name in names}


def ensemble_note(cfg: DictConfig, draws: list[posterior.Draw] | None, seeds: int) -> str | None:
    """The line under the table's title that says what a posterior ensemble ran."""
    if draws is None:
        return None
    return (
        f"{len(draws)} parameter draws from the {cfg.posterior} posterior, each with every "
        f"replicate: {len(draws) * seeds} runs per scenario"
    )


def main_job(cfg: DictConfig) -> float | None:
    from hydra.types import RunMode

    from experiments.launch import jobs_share_cores
    from runs import table
    from runs.driver import plot_adoption, replicate_seeds, run_ensemble
    from runs.snapshots import SnapshotPlan, check_steps
    from runs.storage import write_parquet_atomic
    from sim.threads import share_cores

    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    hydra_cfg = HydraConfig.get()
    if jobs_share_cores(hydra_cfg.launcher, hydra_cfg.mode == RunMode.MULTIRUN):
        share_cores()  # one thread per compiled loop beside the sweep's other jobs
    out = Path(hydra_cfg.runtime.output_dir)
    overrides = _user_overrides()
    if cfg.get("experiment") is not None:  # one cell of an experiment's sweep (docs/sweeps.md)
        from experiments.sweep import run_cell

        return run_cell(cfg, overrides, out)  # the objective, for a search sweeper (Optuna)
    names = scenario_names(cfg, overrides)
    draws = posterior.ensemble(cfg, posterior.job_config_dir(CONFIG_DIR))
    runs = scenario_runs(names, overrides, draws)
    first = next(iter(runs.values()))[0][1]
    seeds = replicate_seeds(int(cfg.seed), int(cfg.replicates))
    progress = cfg.output.progress
    show = sys.stderr.isatty() if progress == "auto" else bool(progress)
    n_steps = first.steps
    plan = SnapshotPlan(out / "snapshots", check_steps(cfg.output.snapshot_steps, n_steps))
    with plan:  # per-agent snapshots appear only if every run succeeds
        steps, summary = run_ensemble(
            runs, seeds, str(cfg.system.name), progress=show, snapshots=plan
        )
    write_parquet_atomic(steps, out / "steps.parquet")
    write_parquet_atomic(summary, out / "summary.parquet")
    comparison = table.comparison(summary) if draws is None else table.ensemble_comparison(summary)
    write_parquet_atomic(comparison, out / "comparison.parquet")
    if cfg.output.plot:
        plot_adoption(steps, out / "adoption.png")
    title = f"{cfg.system.name} system, {first.years:g} years, {len(seeds)} replicates"
    note = ensemble_note(cfg, draws, len(seeds))
    print(table.render(comparison, summary, title, months=n_steps, note=note))
    print(f"results: {out}")


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> float | None:
    try:
        return main_job(cfg)
    except OSError as err:  # a full or read-only disk: one line, not a traceback
        where = err.filename or HydraConfig.get().runtime.output_dir
        print(
            f"error: {where}: {err.strerror or err}; free space or choose another folder "
            "(hydra.run.dir=PATH)",
            file=sys.stderr,
        )
        sys.exit(1)


def main() -> None:
    # Ray's workers run this interpreter in the environment uv has built; by default, under
    # `uv run`, Ray would rebuild that environment for every worker in a copy of the checkout.
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    from runs.validate import main as check_command  # Hydra and sim.params only

    wait = "--wait" in sys.argv  # a sweep waits for another one on its folder to end
    sys.argv = [a for a in sys.argv if a != "--wait"]
    checked = check_command(sys.argv[1:])
    from experiments import launch
    from experiments.folder import held_for
    from runs.help import register as register_help

    register_help()
    launch.prepare(checked and checked.config)  # a local Ray instance on loopback only
    with held_for(checked, wait):
        app()


if __name__ == "__main__":
    main()
