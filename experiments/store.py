"""The results store: one folder per run, files written atomically, a completion marker last.

A sweep folder holds Hydra's ``multirun.yaml`` (the config the sweep was launched with) and one
folder per cell; each cell keeps its runs under ``runs/rNNN/`` (NNN: the replicate index), or
``runs/rNNN-dDDD/`` in a posterior ensemble (DDD: the parameter draw, runs.posterior):

- ``config.yaml``: the run's resolved parameters, seed, replicate and cell labels;
- ``summary.parquet``: one row (the run's outcomes), ``steps.parquet``: one row per month;
- ``done.json``: written last; the run's key (a hash of its parameters and seed) and a SHA-256
  digest of every file. A run is finished when its marker is there and every digest matches, so
  a run killed half-way, or a file truncated later, is simply not finished and is redone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runs.storage import write_atomic

DONE = "done.json"
RUN_FILES = ("config.yaml", "summary.parquet", "steps.parquet")
RUNS = "runs"


class StoreError(ValueError):
    """A sweep folder or run that cannot be read; the message is one line naming the path."""


def run_name(replicate: int, draw: int | None = None) -> str:
    """``r003``, or ``r003-d005`` for parameter draw 5 of a posterior ensemble."""
    return f"r{replicate:03d}" if draw is None else f"r{replicate:03d}-d{draw:03d}"


def run_names(replicates: int, draws: int | None = None) -> list[str]:
    """Every run of a cell, replicate by replicate (each replicate's draws together)."""
    if draws is None:
        return [run_name(r) for r in range(replicates)]
    return [run_name(r, d) for r in range(replicates) for d in range(draws)]


def run_dir(cell_dir: Path, replicate: int, draw: int | None = None) -> Path:
    return cell_dir / RUNS / run_name(replicate, draw)


def run_key(params: Any, seed: int) -> str:
    """What makes a run what it is: all its parameters and its seed."""
    text = json.dumps(
        {"params": dataclasses.asdict(params), "seed": int(seed)}, sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_marker(run: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run / DONE).read_text())
    except (OSError, ValueError):
        return None


def problem(run: Path, key: str | None = None) -> str | None:
    """Why `run` is not a finished run (None if it is). With `key`, it must also be that run."""
    marker = read_marker(run)
    if marker is None:
        return f"{run}: unfinished (no {DONE})"
    if key is not None and marker.get("key") != key:
        return f"{run}: finished with other parameters or seed"
    for name in RUN_FILES:
        path = run / name
        if not path.is_file():
            return f"{path}: missing"
        if digest(path) != marker.get("files", {}).get(name):
            return f"{path}: truncated or changed since the run finished (checksum mismatch)"
    return None


def mark_done(run: Path, key: str, extra: dict[str, Any]) -> None:
    files = {name: digest(run / name) for name in RUN_FILES}
    marker = {"key": key, "files": files, **extra}
    write_atomic(run / DONE, json.dumps(marker, indent=1).encode())


def finished_runs(sweep_dir: Path) -> Iterator[Path]:
    """Run folders that carry a completion marker, in a stable order."""
    yield from sorted(p.parent for p in sweep_dir.glob(f"*/{RUNS}/*/{DONE}"))


def all_runs(sweep_dir: Path) -> list[Path]:
    return sorted(p for p in sweep_dir.glob(f"*/{RUNS}/r*") if p.is_dir())
