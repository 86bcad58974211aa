"""Per-agent snapshots at chosen steps, written as Parquet partitioned by population and step.

Per-step aggregates are the default output at every scale; a national run has 27 million
students, so their individual state is written only at the steps the user asks for
(``output.snapshot_steps``). Each population has its own folder of Hive-style partitions::

    snapshots/population=students/scenario=hybrid/replicate=0/step=12/part-0.parquet

so ``pd.read_parquet("snapshots/population=students")`` reads every student at every chosen
step, with ``scenario``, ``replicate`` and ``step`` as columns, and a filter such as
``filters=[("step", "=", 12)]`` reads one step only. One row per agent; an attribute with one
value per place (the temas held, their progress) becomes one column per place (``temas_0`` ...).
Codes are written as categories (origin, stance, school state).

Snapshots are written into a hidden ``.snapshots.partial`` folder and renamed to ``snapshots``
once the whole job has succeeded: a failed job leaves nothing that looks like a result.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from runs.storage import write_parquet_atomic
from sim.kinds import Origin, SchoolState, Stance
from sim.params import ConfigError

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel

POPULATIONS = ("schools", "teachers", "students", "supervisors")
# The column naming each population's rows, and the coded columns written as categories.
INDEX = {"schools": "school", "teachers": "teacher", "students": "student", "supervisors": "zone"}
CODES = {("teachers", "origin"): Origin.labels(), ("supervisors", "stance"): Stance.labels()}


def check_steps(steps: Iterable[Any], n_steps: int) -> tuple[int, ...]:
    """The chosen steps, sorted and unique; ConfigError naming `output.snapshot_steps` if bad.

    Step 0 is the initial state; step s is the state after s months.
    """
    if isinstance(steps, (str, bytes)) or not isinstance(steps, Iterable):
        raise ConfigError(
            f"output.snapshot_steps: expected a list of steps such as [12, 60], got {steps!r}"
        )
    chosen = set()
    for s in steps:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= n_steps:
            raise ConfigError(
                f"output.snapshot_steps: {s!r} is not allowed; each step must be a whole number "
                f"in [0, {n_steps}] (years x steps_per_year)"
            )
        chosen.add(s)
    return tuple(sorted(chosen))


def _category(codes: np.ndarray, names: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(names))


def population_table(model: TutorialNetworkModel, population: str) -> pa.Table:
    """One row per agent of `population`, one column per attribute (per tema for 2-D ones)."""
    from sim.metrics import school_states
    from sim.practice import genuine_teachers

    arrays = getattr(model, population)
    n = getattr(arrays, fields(arrays)[0].name).shape[-1]
    columns: dict[str, pa.Array] = {}
    if population != "supervisors":  # a supervisor's row is its zone, already a field
        columns[INDEX[population]] = pa.array(np.arange(n, dtype=np.int64))
    for f in fields(arrays):
        values = getattr(arrays, f.name)
        if (population, f.name) in CODES:
            columns[f.name] = _category(values, CODES[population, f.name])
        elif values.ndim == 2:  # [temas, agents]
            for k, row in enumerate(values):
                columns[f"{f.name}_{k}"] = pa.array(row)
        else:
            columns[f.name] = pa.array(values)
    if population == "teachers":
        columns["genuine"] = pa.array(genuine_teachers(model))
    if population == "schools":
        columns["state"] = _category(school_states(model), SchoolState.labels())
    return pa.table(columns)


def write_snapshot(
    model: TutorialNetworkModel, root: Path, partition: dict[str, Any] | None = None
) -> list[Path]:
    """Every population's per-agent state at the model's current step, under `root`."""
    keys = [f"{k}={v}" for k, v in (partition or {}).items()]
    written = []
    for population in POPULATIONS:
        path = root / f"population={population}"
        path = path.joinpath(*keys, f"step={model.steps}", "part-0.parquet")
        write_parquet_atomic(population_table(model, population), path)
        written.append(path)
    return written


@dataclass
class Snapshotter:
    """Runs one model, writing a snapshot whenever it reaches one of the chosen steps."""

    root: Path
    steps: frozenset[int]
    partition: dict[str, Any]

    def run(self, model: TutorialNetworkModel, progress: Any = None) -> None:
        self._maybe_write(model)
        for _ in range(model.params.steps):
            model.run(1, progress=progress)
            self._maybe_write(model)

    def _maybe_write(self, model: TutorialNetworkModel) -> None:
        if model.steps in self.steps:
            write_snapshot(model, self.root, self.partition)


@dataclass
class SnapshotPlan:
    """Where and at which steps a job writes snapshots; use it as a context manager around the
    runs, so that the snapshots appear under `root` only when every run has succeeded."""

    root: Path
    steps: tuple[int, ...]

    @property
    def staging(self) -> Path:
        return self.root.with_name(f".{self.root.name}.partial")

    def for_run(self, **partition: Any) -> Snapshotter | None:
        if not self.steps:
            return None
        return Snapshotter(self.staging, frozenset(self.steps), partition)

    def __enter__(self) -> SnapshotPlan:
        if self.steps:
            shutil.rmtree(self.staging, ignore_errors=True)
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        if not self.steps or not self.staging.exists():
            return
        if kind is None:
            shutil.rmtree(self.root, ignore_errors=True)
            os.replace(self.staging, self.root)
        else:
            shutil.rmtree(self.staging, ignore_errors=True)
