"""`python -m sim [OVERRIDES]`: the main job.

On the selected system (default: the small embedded `seminar` system) it runs each scenario of
`compare` (default: voluntary and mandated) with `replicates` seeds, prints a comparison table
with 95% confidence intervals, and writes into Hydra's output folder, beside the resolved config:
`steps.parquet` (one row per run and step), `summary.parquet` (one row per run),
`comparison.parquet` (the table, long: outcome, scenario, mean, lo, hi, n) and `adoption.png`.
An explicit `scenario=NAME` runs that scenario alone.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from experiments.plan import check as check_experiment
from experiments.plan import is_experiment
from runs import table
from runs.config import CONFIG_DIR, compose_config, load_params, params_from_config
from runs.driver import plot_adoption, replicate_seeds, run_scenarios
from runs.help import register as register_help
from runs.snapshots import SnapshotPlan, check_steps
from runs.storage import write_parquet_atomic
from sim.params import ConfigError

_RUN_KEYS = {"seed", "replicates", "compare", "output", "hydra"}


def _user_overrides() -> list[str]:
    return list(HydraConfig.get().overrides.task)


def scenario_names(cfg: DictConfig, overrides: list[str]) -> list[str]:
    """`compare` unless the user picked one scenario with `scenario=NAME` (and no `compare=`)."""
    keys = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    if "scenario" in keys and "compare" not in keys:
        return [str(cfg.scenario.name)]
    return [str(s) for s in cfg.compare] or [str(cfg.scenario.name)]


def scenario_params(name: str, overrides: list[str]):
    """Params of scenario `name` with the user's other overrides applied to it too."""
    rest = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") != "scenario"]
    return params_from_config(compose_config([*rest, f"scenario={name}"]))


def main_job(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    out = Path(HydraConfig.get().runtime.output_dir)
    overrides = _user_overrides()
    if cfg.get("experiment") is not None:  # one cell of an experiment's sweep (docs/sweeps.md)
        from experiments.sweep import run_cell

        run_cell(cfg, overrides, out)
        return
    names = scenario_names(cfg, overrides)
    scenarios = {name: scenario_params(name, overrides) for name in names}
    seeds = replicate_seeds(int(cfg.seed), int(cfg.replicates))
    progress = cfg.output.progress
    show = sys.stderr.isatty() if progress == "auto" else bool(progress)
    n_steps = next(iter(scenarios.values())).steps
    plan = SnapshotPlan(out / "snapshots", check_steps(cfg.output.snapshot_steps, n_steps))
    with plan:  # per-agent snapshots appear only if every run succeeds
        steps, summary = run_scenarios(
            scenarios, seeds, str(cfg.system.name), progress=show, snapshots=plan
        )
    write_parquet_atomic(steps, out / "steps.parquet")
    write_parquet_atomic(summary, out / "summary.parquet")
    comparison = table.comparison(summary)
    write_parquet_atomic(comparison, out / "comparison.parquet")
    if cfg.output.plot:
        plot_adoption(steps, out / "adoption.png")
    years = next(iter(scenarios.values())).years
    title = f"{cfg.system.name} system, {years:g} years, {len(seeds)} replicates"
    print(table.render(comparison, summary, title, months=n_steps))
    print(f"results: {out}")


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def app(cfg: DictConfig) -> None:
    main_job(cfg)


def validate(argv: list[str]) -> None:
    """Check the command line before Hydra creates an output folder: one line, exit 2."""
    overrides = [a for a in argv if "=" in a and not a.startswith("-")]
    if is_experiment(overrides):
        try:
            check_experiment(overrides)  # every cell of the sweep, before any folder exists
        except ConfigError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
        return
    if any(a in ("-m", "--multirun") for a in argv):
        return  # sweeps are checked per job, where each job's values are known
    try:
        params = load_params(overrides)
        cfg = compose_config(overrides)
        check_steps(cfg.output.snapshot_steps, params.steps)
        if int(cfg.replicates) < 1:
            raise ConfigError(f"replicates: {cfg.replicates} is out of range; allowed: ≥ 1")
        for name in cfg.compare:
            load_params([*overrides, f"scenario={name}"])
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def main() -> None:
    # Ray's workers run this interpreter in the environment uv has built; by default, under
    # `uv run`, Ray would rebuild that environment for every worker in a copy of the checkout.
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    validate(sys.argv[1:])
    register_help()
    app()


if __name__ == "__main__":
    main()
