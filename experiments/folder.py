"""A sweep folder: the plan of what it will hold, a lock while a sweep runs on it, and how far it
got.

When a sweep starts, ``plan.json`` records what makes its runs what they are (experiment, seed,
replicates, every override and swept value) and the cells it plans, by folder name. One sweep at
a time holds ``.lock`` (an OS file lock, released when its process ends, even when killed). A
sweep whose plan differs from the folder's is refused, so a folder never mixes runs of two
plans; ``sweep_status`` compares the folder with its plan for ``analysis collect`` and
``report``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from hydra._internal.config_loader_impl import get_overrides_dirname  # how Hydra names a job
from omegaconf import DictConfig, OmegaConf

from experiments import plan, store
from runs import posterior
from runs.storage import write_atomic

PLAN = "plan.json"
LOCK = ".lock"
BUSY_EXIT = 75  # EX_TEMPFAIL: try again later
# Keys that change neither a run nor which runs belong to the sweep.
NOT_IDENTITY = ("experiment", "replicate")
RESOLVED = ("seed", "replicates", "years")  # recorded by value, whether set or default
# Recorded by value when a posterior ensemble runs (a plan without them runs none).
ENSEMBLE = ("posterior", "posterior_draws")


class FolderError(ValueError):
    """A sweep folder that cannot take this sweep; the message is one line."""


class FolderBusyError(FolderError):
    """Another sweep holds the folder's lock."""


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep folder is meant to hold."""

    experiment: str
    identity: dict[str, Any]  # seed, replicates, years, the overrides of every cell
    cells: list[str] = field(default_factory=list)  # folder names of the cells that run

    @property
    def replicates(self) -> int:
        return int(self.identity["replicates"])

    @property
    def draws(self) -> int | None:
        """Parameter draws per replicate; None without a posterior ensemble."""
        value = self.identity.get("posterior_draws")
        return None if value is None else int(value)

    @property
    def run_names(self) -> list[str]:
        """The runs every cell holds (``r000``, or ``r000-d000`` ...)."""
        return store.run_names(self.replicates, self.draws)

    @property
    def planned_runs(self) -> int:
        return len(self.cells) * self.replicates * (self.draws or 1)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode()


def make_plan(cfg: DictConfig, overrides: Sequence[str]) -> SweepPlan:
    """The plan of the experiment sweep `cfg` (composed with Hydra's node) and its overrides."""
    axes = plan.sweep_axes(cfg.hydra.sweeper.params or {}, plan.task_overrides(overrides))
    axes = {k: v for k, v in axes.items() if k not in plan.RUN_KEYS}
    exclude = list(cfg.hydra.job.config.override_dirname.exclude_keys)
    names = [
        get_overrides_dirname(plan.parse(cell.overrides), exclude, item_sep=",", kv_sep="=")
        for cell in plan.cells(cfg, axes)
        if cell.runs
    ]
    swept = {
        k: v
        for k, v in axes.items()
        if k not in NOT_IDENTITY
        and not k.startswith("output.")
        and not (k in RESOLVED and len(v) == 1)  # recorded below as its value
    }
    identity = {
        **{key: OmegaConf.select(cfg, key) for key in RESOLVED},
        "overrides": {k: sorted(v) for k, v in sorted(swept.items())},
    }
    if posterior.active(cfg):  # without one, the plan is what it always was
        identity.update({key: OmegaConf.select(cfg, key) for key in ENSEMBLE})
    return SweepPlan(str(cfg.experiment.name), identity, sorted(names))


def read_plan(folder: Path) -> SweepPlan | None:
    """The folder's plan: plan.json, or for an older sweep the one Hydra's multirun.yaml gives."""
    path = folder / PLAN
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            return SweepPlan(data["experiment"], data["identity"], list(data["cells"]))
        except (OSError, ValueError, KeyError, TypeError):
            raise FolderError(
                f"{path}: unreadable; delete it and rerun the sweep to write it again"
            ) from None
    try:
        driver = plan.load_driver_config(folder)
    except Exception:  # a damaged multirun.yaml: analysis.collect names it
        return None
    if driver is None or driver.get("experiment") is None:
        return None
    return make_plan(driver, list(driver.hydra.overrides.task))


def _difference(old: SweepPlan, new: SweepPlan) -> str:
    if old.experiment != new.experiment:
        return f"experiment={old.experiment}, this command experiment={new.experiment}"
    for key in (*RESOLVED, *ENSEMBLE):
        was, now = old.identity.get(key, posterior.NONE), new.identity.get(key, posterior.NONE)
        if was != now:
            return f"{key}={was}, this command {key}={now}"
    was, now = old.identity.get("overrides", {}), new.identity.get("overrides", {})
    for key in sorted(set(was) | set(now)):
        if was.get(key) != now.get(key):
            before = ",".join(was.get(key, [])) or "(not set)"
            after = ",".join(now.get(key, [])) or "(not set)"
            return f"{key}: {before}; this command: {after}"
    return "other cells"


@contextmanager
def claim(folder: Path, new: SweepPlan, wait: bool = False) -> Iterator[None]:
    """Hold `folder` for one sweep of plan `new`: FolderBusyError if another sweep holds it (unless
    `wait`), FolderError if the folder holds a sweep of another plan."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK, timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        raise FolderBusyError(
            f"{folder}: another sweep is running on this folder; wait for it to end, add --wait "
            "to start when it does, or choose another hydra.sweep.dir=PATH"
        ) from None
    try:
        old = read_plan(folder)
        if old is not None and (old.experiment, old.identity) != (new.experiment, new.identity):
            raise FolderError(
                f"{folder}: holds a sweep with {_difference(old, new)}; runs of two plans are "
                "never mixed: choose another hydra.sweep.dir=PATH or remove the folder"
            )
        if old != new:
            write_atomic(folder / PLAN, new.to_json())
        yield
    finally:
        lock.release()


# --------------------------------------------------------------------------- status
@dataclass
class SweepStatus:
    """A sweep folder against its plan: which planned runs finished, which are missing."""

    folder: Path
    plan: SweepPlan
    finished: list[tuple[str, str]]  # (cell, run): run as named in its cell (``r000``)
    missing: list[tuple[str, str]]
    outside: list[Path]  # finished runs the plan does not hold

    @property
    def complete(self) -> bool:
        return not self.missing and not self.outside

    @property
    def complete_cells(self) -> int:
        gaps = {cell for cell, _ in self.missing}
        return sum(cell not in gaps for cell in self.plan.cells)

    def line(self) -> str:
        """One line: complete, or partial with what is missing and how to finish it."""
        p = self.plan
        counts = (
            f"{len(self.finished)} of {p.planned_runs} planned runs finished, "
            f"{self.complete_cells} of {len(p.cells)} cells complete"
        )
        if self.complete:
            return f"complete sweep: {counts}"
        parts = [f"partial sweep: {counts}"]
        if self.missing:
            cell, run = self.missing[0]
            parts.append(f"{len(self.missing)} runs missing (first: {cell}/{store.RUNS}/{run})")
        if self.outside:
            parts.append(f"{len(self.outside)} runs outside the plan (first: {self.outside[0]})")
        return "; ".join(parts) + "; rerun the sweep's command to finish it"


def sweep_status(folder: Path) -> SweepStatus | None:
    """How far the sweep in `folder` got against its plan; None if no plan can be found."""
    sweep_plan = read_plan(folder)
    if sweep_plan is None:
        return None
    names = sweep_plan.run_names
    planned = {(cell, name) for cell in sweep_plan.cells for name in names}
    done = {(run.parent.parent.name, run.name) for run in store.finished_runs(folder)}
    outside = [folder / cell / store.RUNS / name for cell, name in sorted(done - planned)]
    return SweepStatus(
        folder=folder,
        plan=sweep_plan,
        finished=sorted(done & planned),
        missing=sorted(planned - done),
        outside=outside,
    )


@contextmanager
def held_for(checked: Any, wait: bool = False) -> Iterator[None]:
    """Around a checked command line (runs.validate.Checked): an experiment's sweep holds its
    folder while it runs; anything else runs as it is. A refusal is one line on stderr."""
    if checked is None or not (checked.multirun and checked.is_experiment):
        yield
        return
    written = OmegaConf.to_container(checked.config.hydra.sweep, resolve=False)["dir"]
    if "${now:" in str(written):
        yield  # a dated folder of its own: nothing to share
        return
    try:
        folder = Path(str(checked.config.hydra.sweep.dir))
        with claim(folder, make_plan(checked.config, checked.overrides), wait):
            yield
    except FolderError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(BUSY_EXIT if isinstance(err, FolderBusyError) else 2)
