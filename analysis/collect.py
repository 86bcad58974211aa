"""From a sweep folder to one tidy dataset: a row per run (summary) and a row per run and month.

Every finished run is checked against its completion marker before it is read, so a file that
was truncated or changed after its run finished is named in an error instead of being read.
Runs without a marker (interrupted) are left out and counted; rerunning the sweep finishes them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from omegaconf import DictConfig, OmegaConf

from experiments import plan, store
from experiments.folder import SweepStatus, sweep_status
from experiments.store import StoreError

COLLECTED = "collected"
ID_COLUMNS = ("experiment", "cell", "arm", "system", "scenario", "replicate", "seed")


@dataclass
class Sweep:
    path: Path
    config: DictConfig  # the config the sweep was launched with (Hydra's multirun.yaml)

    @property
    def experiment(self) -> DictConfig:
        return self.config.experiment

    @property
    def name(self) -> str:
        return str(self.experiment.name)


@dataclass
class Results:
    sweep: Sweep
    summary: pd.DataFrame  # one row per run: ids, cell labels, outcomes
    steps: pd.DataFrame  # one row per run and month
    label_keys: list[str]  # the keys that name cells (arm and the swept keys)
    unfinished: int
    status: SweepStatus | None = None  # the folder against the sweep's plan


def open_sweep(path: Path) -> Sweep:
    """The sweep folder at `path`, or StoreError saying in one line why it is not one."""
    if not path.is_dir():
        raise StoreError(f"{path}: no such folder")
    try:
        config = plan.load_driver_config(path)
    except Exception as err:  # a damaged multirun.yaml: name it, whatever the parser said
        raise StoreError(f"{path / 'multirun.yaml'}: unreadable ({type(err).__name__})") from None
    if config is None:
        raise StoreError(
            f"{path}: not a sweep folder (no multirun.yaml); "
            "run `python -m sim -m +experiment=NAME` to make one"
        )
    if "experiment" not in config:
        raise StoreError(f"{path}: a multirun without an experiment (run with +experiment=NAME)")
    return Sweep(path=path, config=config)


def read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise StoreError(f"{path}: not a readable Parquet file ({reason})") from None


def collect(path: Path) -> Results:
    sweep = open_sweep(path)
    summaries, steps = [], []
    unfinished = 0
    for run in store.all_runs(path):
        if store.read_marker(run) is None:
            unfinished += 1
            continue
        why = store.problem(run)
        if why is not None:
            raise StoreError(f"{why}; rerun the sweep to redo this run")
        summaries.append(read_parquet(run / "summary.parquet"))
        steps.append(read_parquet(run / "steps.parquet"))
    if not summaries:
        raise StoreError(f"{path}: no finished runs yet ({unfinished} unfinished)")
    summary = pd.concat(summaries, ignore_index=True)
    keys = label_keys(sweep, summary)
    summary = in_sweep_order(summary, keys, list(sweep.experiment.arms or {}))
    step_table = pd.concat(steps, ignore_index=True)
    run_keys = ["cell", "replicate", *(["draw"] if "draw" in summary else [])]
    step_table = step_table.merge(
        summary[[*run_keys, *[k for k in keys if k != "arm"]]], on=run_keys, how="left"
    )
    return Results(sweep, summary, step_table, keys, unfinished, sweep_status(path))


def label_keys(sweep: Sweep, summary: pd.DataFrame) -> list[str]:
    """Columns that name a cell: arm first, then the swept keys in sweep order."""
    config = OmegaConf.to_container(sweep.config.hydra.sweeper.params or {}) or {}
    cli = list(sweep.config.hydra.overrides.task)
    axes = plan.sweep_axes(config, cli, intervals=plan.is_search(sweep.config))
    keys = [k for k in axes if k not in plan.RUN_KEYS and k in summary.columns]
    if "arm" in keys:
        keys.remove("arm")
    return (["arm"] if "arm" in summary.columns and summary["arm"].notna().any() else []) + keys


def in_sweep_order(summary: pd.DataFrame, keys: list[str], arms: list[str]) -> pd.DataFrame:
    """Arms in the order the experiment declares them, then each swept value ascending."""
    order = pd.DataFrame(index=summary.index)
    for key in keys:
        column = summary[key]
        if key == "arm":
            order[key] = column.map(lambda a: arms.index(a) if a in arms else len(arms))
        elif _all_numbers(column):
            order[key] = pd.to_numeric(column.map(_as_number))
        else:
            order[key] = column.astype(str)
    order["replicate"] = summary["replicate"]
    if "draw" in summary:  # a posterior ensemble: each replicate's parameter draws in order
        order["draw"] = summary["draw"]
    ranked = order.sort_values(list(order.columns), kind="stable", na_position="first")
    return summary.loc[ranked.index].reset_index(drop=True)


def _as_number(value: object) -> float:
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def _all_numbers(column: pd.Series) -> bool:
    return all(isinstance(v, (int, float, bool)) for v in column.dropna())


def write_collected(results: Results) -> Path:
    """SWEEP/collected/{runs,steps,cells}/: one dataset, Parquet partitioned by arm (Hive style,
    ``arm=NAME/part-0.parquet``), each file written atomically. DuckDB reads it with
    ``read_parquet('collected/runs/**/*.parquet', hive_partitioning=true)``, pandas with
    ``pd.read_parquet('collected/runs')``."""
    out = results.sweep.path / COLLECTED
    tables = {"runs": results.summary, "steps": results.steps, "cells": cell_means(results)}
    for name, df in tables.items():
        write_dataset(out / name, df)
    return out


def write_dataset(folder: Path, df: pd.DataFrame) -> None:
    """One table as Parquet files under `folder`, a partition per arm; files of a partition that
    is no longer there (an arm dropped from the sweep) are removed."""
    if "arm" in df and df["arm"].notna().all():
        parts = [
            (folder / f"arm={arm}" / "part-0.parquet", group.drop(columns="arm"))
            for arm, group in df.groupby("arm", sort=False)
        ]
    else:
        parts = [(folder / "part-0.parquet", df)]
    for path, part in parts:
        store.write_atomic(path, _to_parquet(part.reset_index(drop=True)))
    written = {path for path, _ in parts}
    for stale in folder.glob("**/*.parquet"):
        if stale not in written:
            stale.unlink()


def cell_means(results: Results) -> pd.DataFrame:
    """One row per cell: its labels, its finished replicates and the mean of every outcome."""
    from experiments import design as designs
    from sim import outcomes

    summary = results.summary
    keys = [*results.label_keys, *designs.keys_of(results.sweep.config)]
    keys = [k for k in dict.fromkeys(keys) if k in summary]
    names = [o.name for o in outcomes.OUTCOMES if o.name in summary]
    first = summary.drop_duplicates("cell").set_index("cell")[keys]
    grouped = summary.groupby("cell", sort=False)
    means = grouped[names].mean()
    table = first.join(grouped.size().rename("replicates")).join(means)
    return table.loc[summary["cell"].drop_duplicates()].reset_index()


def _to_parquet(df: pd.DataFrame) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), sink)
    return sink.getvalue().to_pybytes()


def note_unfinished(results: Results) -> None:
    if results.unfinished:
        print(
            f"note: {results.unfinished} unfinished runs left out; rerun the sweep to finish them",
            file=sys.stderr,
        )
