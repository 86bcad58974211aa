"""`uv run python -m experiments.calibrate [--tiny | --national] [--workers N] [--seed S]
[--out DIR] [--fresh]`.

`uv run python -m experiments.calibrate --export-posterior [--out DIR]` writes the posterior file
below from the committed run's weighted particles (docs/calibration/posterior.csv), without
simulating.

Fits the free parameters of `scenario=historical` (experiments.calibration_sim.FREE) to the
historical record (RECORD: 8 schools in 2004, about 60 by 2008, about 400 by 2010) by ABC-SMC
(experiments.calibration_abc), each proposal simulated `replicates` times. Then it reruns the
fitted values with more replicates (the fit's error) and measures how each target moves with
each parameter around them (which parameters the record pins down).

Writes, each file whole or not at all:
- `configs/calibrated/historical.yaml`: the fitted values, their intervals, the targets and the
  fit, which `scenario=historical` composes (with --tiny: DIR/historical.yaml only);
- `configs/calibrated/historical_posterior.csv`: the last generation's weighted particles (ids,
  weights summing to 1, one column per fitted key), which `posterior=historical` draws from
  (runs/posterior.py; with --tiny: DIR/historical_posterior.csv only);
- DIR (default outputs/calibration/historical, or .../tiny): proposals.parquet (every proposal
  with its distance and weight), trajectories.parquet (schools in the practice by month of every
  simulation), sensitivity.parquet, summary.json (settings, generations, wall time).

Resumable: every simulation is journaled in DIR/journal as soon as it finishes
(experiments.journal says how and why). A rerun into the same DIR takes the finished ones from
the journal and simulates only the others; the outputs are the same bytes either way, since a
simulation's trajectory depends only on its parameters and seed. A journal of another
calibration (settings, seed, base parameters or model code) is refused; `--fresh` discards it.
The journal is kept after success, so a rerun rewrites the same outputs without simulating.

`--tiny` runs a few proposals on the `seminar` system for CI; it never writes configs/.
`--national` runs the full calibration on the `national` system itself (the fitted values mean
the same behaviour on every system: docs/calibration.md); its records go to
outputs/calibration/national, and it writes configs/ as the full calibration does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import multiprocessing
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

import sim as model_package
from experiments import calibration_abc as abc
from experiments import calibration_sim
from experiments.calibration_sim import (
    FREE,
    RECORD,
    base_params,
    pilot_pace,
    simulate,
    target_steps,
    theta_values,
    with_values,
)
from experiments.journal import (
    FOLDER,
    Journal,
    JournalError,
    Manifest,
    code_fingerprint,
    params_digest,
)
from experiments.store import run_key
from runs import posterior as posterior_file
from runs.arguments import OneLineParser
from runs.config import CONFIG_DIR, compose_config
from runs.storage import write_atomic, write_parquet_atomic
from sim.params import ConfigError, Params
from sim.threads import share_cores

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("calibrate")
CALIBRATED = CONFIG_DIR / "calibrated" / "historical.yaml"
POSTERIOR = posterior_file.path_of("historical", CONFIG_DIR)
# The committed run's particles, as the calibration report wrote them (proposal_id, weight,
# distance, one column per free parameter): the source of `--export-posterior`.
REPORTED_POSTERIOR = ROOT / "docs" / "calibration" / "posterior.csv"
INTERVAL = 0.9  # posterior intervals are the central 90%

# Phases, the first part of every simulation's seed key (generations are 0, 1, ...).
REFINE, CHECK, SENSITIVITY = 50, 100, 200
# The seed of the one drawn system every run starts from, when the settings fix one.
SYSTEM = 300
# What a simulation's trajectory depends on besides its parameters and seed: the model's code
# and the libraries that draw its random numbers and compile its rules. A journal simulated
# with others belongs to another calibration.
MODEL_SOURCES = (Path(model_package.__file__).parent, Path(calibration_sim.__file__))
MODEL_LIBRARIES = ("numpy", "numba", "scipy", "mesa")


@dataclass(frozen=True)
class Settings:
    """How much to simulate. `generations` lists the proposals of each ABC-SMC generation."""

    name: str
    generations: tuple[int, ...]
    keep: int  # particles kept per generation
    replicates: int  # runs per proposal; the distance uses their mean
    refine: int  # closest particles of the last generation rerun to choose the fitted values
    refine_replicates: int  # extra runs for each of them
    check_replicates: int  # fresh runs of the fitted values: the fit's error
    sensitivity_replicates: int  # runs per side of each finite difference
    sensitivity_step: float  # finite-difference step, as a share of the prior range
    overrides: tuple[str, ...]  # on top of scenario=historical
    # Every run starts from one drawn system (`system.seed`, from the root seed), which each
    # worker draws once; otherwise each run draws its own from its seed.
    one_system: bool = False


# About 640 runs of six simulated years on the `historical` system: ~35 min on 2 idle cores.
FULL = Settings("full", (96, 64, 64, 64), 24, 2, 8, 4, 8, 3, 0.1, ())
# The same on all of Mexico's 200,000 schools: the classrooms the movement has not reached are
# caught up only when read (sim/rules/lessons.py), so a run costs a few times a `historical` one.
# The record is of one Mexico, so every run starts from one drawn national system and the seeds
# vary what happens in it; a worker draws it once (a fifth of a run's cost) and copies it.
NATIONAL = dataclasses.replace(
    FULL, name="national", overrides=("system=national",), one_system=True
)
# A few runs on the seminar system, whose 150 schools cannot hold PEMLE's 9,000.
TINY = Settings(
    "tiny", (6, 4), 3, 2, 2, 1, 2, 1, 0.1, ("system=seminar", "scenario.mandate.target=60")
)


# ---------------------------------------------------------------------------- simulation
def task_seed(root: int, phase: int, index: int, replicate: int) -> int:
    """A seed that depends only on what the run is for, never on worker or job order."""
    seq = np.random.SeedSequence(root, spawn_key=(phase, index, replicate))
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def _simulate(task: tuple[Params, int]) -> np.ndarray:
    return simulate(*task)


class Simulator:
    """Runs simulations in worker processes and keeps every trajectory for the report; takes
    those the journal already holds from it and journals the others as they finish."""

    def __init__(
        self, base: Params, root_seed: int, workers: int, progress: bool, journal: Journal
    ) -> None:
        self.base, self.root, self.workers, self.journal = base, root_seed, workers, journal
        self.steps = np.array(target_steps(base))
        self.trajectories: list[pd.DataFrame] = []
        self.runs = 0  # simulations the calibration consists of, however obtained
        self.resumed = 0  # of which taken from the journal
        # Fresh interpreters, not forks of a process that may hold threads (pyarrow, plotting).
        spawn = multiprocessing.get_context("spawn")
        self._pool = (
            ProcessPoolExecutor(workers, mp_context=spawn, initializer=share_cores)
            if workers > 1
            else None
        )
        self._bar = _progress_bar(progress)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        if self._bar is not None:
            self._bar.close()

    def counts(self, phase: int, u: np.ndarray, replicates: int, shared_seeds: bool = False):
        """Schools at the target steps, [len(u), replicates], for unit-cube positions `u`.

        With shared_seeds every position uses the same seeds (common random numbers), so a
        finite difference measures the parameter and not the seed.
        """
        tasks, keys = [], []
        for i, row in enumerate(u):
            params = with_values(self.base, unit_to_values(row))
            for r in range(replicates):
                seed = task_seed(self.root, phase, 0 if shared_seeds else i, r)
                tasks.append((params, seed))
                keys.append((phase, i, r, seed))
        results = self._series(tasks)
        self.runs += len(tasks)
        self._keep(keys, results)
        out = np.array([series[self.steps] for series in results], dtype=float)
        return out.reshape(len(u), replicates, len(self.steps))

    def _series(self, tasks: list[tuple[Params, int]]) -> list[np.ndarray]:
        """Each task's trajectory, in task order: from the journal when it holds the task, else
        simulated now and journaled as soon as it finishes, so a kill loses only the
        simulations under way. Which ones came from the journal changes nothing downstream."""
        names = [run_key(params, seed) for params, seed in tasks]
        found = {k: self.journal.get(name) for k, name in enumerate(names)}
        results = {k: series for k, series in found.items() if series is not None}
        missing = [k for k in range(len(tasks)) if k not in results]
        self.resumed += len(results)
        if self._bar is not None:
            self._bar.total = (self._bar.total or 0) + len(missing)
        for j, series in self._finished([tasks[k] for k in missing]):
            k = missing[j]
            self.journal.put(names[k], series)
            results[k] = series
            if self._bar is not None:
                self._bar.update(1)
        return [results[k] for k in range(len(tasks))]

    def _finished(self, tasks: list[tuple[Params, int]]) -> Iterator[tuple[int, np.ndarray]]:
        """(position in `tasks`, trajectory) of each task as soon as it finishes: in task order
        in this process, in order of completion in the pool."""
        if self._pool is None:
            yield from enumerate(map(_simulate, tasks))
            return
        futures = {self._pool.submit(_simulate, task): j for j, task in enumerate(tasks)}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:  # after a failure, start nothing more
                future.cancel()

    def _keep(self, keys: list[tuple[int, int, int, int]], results: list[np.ndarray]) -> None:
        start, spy = self.base.scenario.start_year, self.base.behaviour.steps_per_year
        for (phase, i, r, seed), series in zip(keys, results, strict=True):
            steps = np.arange(series.size)
            self.trajectories.append(
                pd.DataFrame(
                    {
                        "phase": phase,
                        "proposal": i,
                        "replicate": r,
                        "seed": seed,
                        "step": steps,
                        "calendar_year": start + steps / spy,
                        "schools_adopted": series,
                    }
                )
            )


def _progress_bar(enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=0, unit="run", desc="calibrating", file=sys.stderr, leave=False)


def unit_to_values(u: np.ndarray) -> dict[str, float]:
    return theta_values(np.array([p.from_unit(x) for p, x in zip(FREE, u, strict=True)]))


# ---------------------------------------------------------------------------- ABC-SMC
def run_abc(sim: Simulator, settings: Settings, rng: np.random.Generator):
    """ABC-SMC over the free parameters; returns the generations and every proposal."""
    recorded = np.array([t.schools for t in RECORD])
    dims = len(FREE)
    generations: list[abc.Generation] = []
    tables = []
    for g, n in enumerate(settings.generations):
        if g == 0:
            u, importance = abc.prior_draws(n, dims, rng), np.ones(n)
        else:
            u, importance = abc.propose(generations[-1], n, rng)
        counts = sim.counts(g, u, settings.replicates)
        mean = counts.mean(axis=1)
        distance = abc.log_distance(mean, recorded)
        ids = np.arange(n) + sum(settings.generations[:g])
        ceiling = generations[-1].tolerance if generations else np.inf
        generations.append(abc.select(g, u, importance, distance, ids, settings.keep, ceiling))
        log.info(
            "generation %d: %d proposals, %d runs so far, tolerance %.3f",
            g,
            n,
            sim.runs,
            generations[-1].tolerance,
        )
        tables.append(_proposal_table(g, ids, u, importance, distance, mean, generations[-1]))
    return generations, pd.concat(tables, ignore_index=True)


def _proposal_table(g, ids, u, importance, distance, mean, kept: abc.Generation) -> pd.DataFrame:
    table = pd.DataFrame({"generation": g, "proposal_id": ids, "proposal": np.arange(len(ids))})
    for j, p in enumerate(FREE):
        table[f"u_{p.key}"] = u[:, j]
        table[p.key] = p.from_unit(u[:, j])
    table["importance"] = importance
    table["distance"] = distance
    for k, t in enumerate(RECORD):
        table[f"schools_{t.label}"] = mean[:, k]
    weight = dict(zip(kept.proposal_ids.tolist(), kept.weights.tolist(), strict=True))
    table["kept"] = table["proposal_id"].isin(weight)
    table["weight"] = table["proposal_id"].map(weight).fillna(0.0)
    return table


def posterior_summary(last: abc.Generation) -> list[dict[str, Any]]:
    """Per parameter: median and central interval of the weighted particles, in natural units,
    and how far the record narrowed the prior (1 − interval width / prior's interval width)."""
    rows = []
    lo_q, hi_q = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2
    for j, p in enumerate(FREE):
        uq = abc.weighted_quantile(last.u[:, j], last.weights, np.array([lo_q, 0.5, hi_q]))
        lo, med, hi = (float(p.from_unit(x)) for x in uq)
        rows.append(
            {
                "key": p.key,
                "label": p.label,
                "median": _sig(med),
                "lo": _sig(lo),
                "hi": _sig(hi),
                "prior": [_sig(p.lo), _sig(p.hi)],
                "prior_scale": "log-uniform" if p.log else "uniform",
                "contraction": round(1.0 - float(uq[2] - uq[0]) / INTERVAL, 3),
            }
        )
    return rows


def _sig(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def choose_fitted(
    sim: Simulator, last: abc.Generation, proposals: pd.DataFrame, settings: Settings
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The fitted values: among the last generation's `refine` closest particles, the one
    closest to the record once each is rerun `refine_replicates` more times. A single particle's
    distance over two runs is noisy; more runs keep a lucky draw from being chosen."""
    recorded = np.array([t.schools for t in RECORD])
    order = np.argsort(last.distances, kind="stable")[: settings.refine]
    extra = sim.counts(REFINE, last.u[order], settings.refine_replicates)
    by_id = proposals.set_index("proposal_id")
    rows = []
    for k, i in enumerate(order):
        pid = int(last.proposal_ids[i])
        before = by_id.loc[pid, [f"schools_{t.label}" for t in RECORD]].to_numpy(float)
        runs = settings.replicates + settings.refine_replicates
        mean = (settings.replicates * before + extra[k].sum(axis=0)) / runs
        rows.append(
            {
                "proposal_id": pid,
                "runs": runs,
                "distance": float(abc.log_distance(mean, recorded)),
                **{f"schools_{t.label}": float(m) for t, m in zip(RECORD, mean, strict=True)},
            }
        )
    best = int(np.argmin([r["distance"] for r in rows]))
    return last.u[order[best]], rows


# ---------------------------------------------------------------------------- sensitivity
def local_sensitivity(sim: Simulator, u_hat: np.ndarray, settings: Settings) -> pd.DataFrame:
    """d log(schools + 1) at each target / d (share of the prior range), by central differences
    with common random numbers, around the fitted values."""
    h = settings.sensitivity_step
    rows = []
    for j, p in enumerate(FREE):
        hi, lo = u_hat.copy(), u_hat.copy()
        hi[j], lo[j] = min(1.0, u_hat[j] + h), max(0.0, u_hat[j] - h)
        counts = sim.counts(
            SENSITIVITY + j, np.array([lo, hi]), settings.sensitivity_replicates, True
        )
        logs = np.log(counts + 1.0).mean(axis=1)  # [2, targets]
        slope = (logs[1] - logs[0]) / (hi[j] - lo[j])
        for k, t in enumerate(RECORD):
            rows.append(
                {
                    "key": p.key,
                    "label": p.label,
                    "target": t.label,
                    "dlog_du": float(slope[k]),
                    "schools_low": float(counts[0, :, k].mean()),
                    "schools_high": float(counts[1, :, k].mean()),
                    "u_low": float(lo[j]),
                    "u_high": float(hi[j]),
                }
            )
    return pd.DataFrame(rows)


def identifiability(sensitivity: pd.DataFrame) -> dict[str, Any]:
    """Eigen-decomposition of JᵀJ (J: targets × parameters, log counts per unit of the prior
    range): large eigenvalues are combinations the record pins down, small ones it does not."""
    keys = [p.key for p in FREE]
    j = (
        sensitivity.pivot(index="target", columns="key", values="dlog_du")
        .loc[[t.label for t in RECORD], keys]
        .to_numpy()
    )
    values, vectors = np.linalg.eigh(j.T @ j)
    order = np.argsort(values)[::-1]
    return {
        "eigenvalues": [_sig(float(v)) for v in values[order]],
        "eigenvectors": [[_sig(float(x), 3) for x in vectors[:, i]] for i in order],
        "keys": keys,
    }


# ---------------------------------------------------------------------------- outputs
def calibrated_document(
    settings: Settings,
    seed: int,
    estimate: dict[str, float],
    base: Params,
    posterior: list[dict[str, Any]],
    check: np.ndarray,
    generations: list[abc.Generation],
    runs: int,
) -> tuple[str, dict[str, Any]]:
    """The YAML text that `scenario=historical` composes, and its content as a mapping."""
    target = round(estimate["calibration.pilot.target"])
    recorded = np.array([t.schools for t in RECORD])
    mean = check.mean(axis=0)
    model_values: dict[str, Any] = {}
    for key, value in estimate.items():
        if key.startswith("behaviour."):
            node = model_values
            *path, leaf = key.split(".")[1:]
            for part in path:
                node = node.setdefault(part, {})
            node[leaf] = _sig(value)
    for row, key in zip(posterior, estimate, strict=True):
        row["estimate"] = target if key == "calibration.pilot.target" else _sig(estimate[key])
    doc = {
        "behaviour": model_values,
        "calibration": {
            "pilot": {"target": target, "pace": _sig(pilot_pace(target, base))},
            "system": base.system.name,
            "overrides": list(settings.overrides + system_seed(settings, seed)),
            "method": "ABC-SMC (population Monte Carlo, quantile tolerances), log-ratio distance",
            "mode": settings.name,
            "seed": seed,
            "runs": runs,
            "replicates_per_proposal": settings.replicates,
            "estimate": (
                f"of the last generation's {settings.refine} closest particles, the closest "
                f"over {settings.replicates + settings.refine_replicates} runs"
            ),
            "interval": INTERVAL,
            "tolerances": [_sig(g.tolerance) for g in generations],
            "parameters": posterior,
            "targets": [
                {
                    "year": t.label,
                    "calendar_year": _sig(t.calendar, 6),
                    "recorded": t.schools,
                    "simulated_mean": _sig(float(mean[k])),
                    "simulated_min": float(check[:, k].min()),
                    "simulated_max": float(check[:, k].max()),
                    "relative_error": _sig(float(mean[k] / t.schools - 1.0), 3),
                    "source": t.source,
                }
                for k, t in enumerate(RECORD)
            ],
            "fit": {
                "replicates": int(check.shape[0]),
                "rms_log_error": _sig(float(abc.log_distance(mean, recorded))),
            },
        },
    }
    header = (
        "# @package _global_\n"
        "# Fitted to the historical record by `uv run python -m experiments.calibrate`"
        f" ({settings.name} mode).\n"
        "# Written by that script only: rerun it, never edit by hand. `scenario=historical`\n"
        "# composes this file; docs/calibration.md explains every entry.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100), doc


# ---------------------------------------------------------------------------- posterior file
def particles_of(last: abc.Generation) -> pd.DataFrame:
    """The last generation's particles: id, weight and value of each free parameter."""
    table = pd.DataFrame({"proposal_id": last.proposal_ids, "weight": last.weights})
    for j, p in enumerate(FREE):
        table[p.key] = p.from_unit(last.u[:, j])
    return table


def posterior_text(particles: pd.DataFrame, mode: str, source: str | None = None) -> str:
    """The posterior file: a header saying where it comes from, then one row per particle (by
    id) with its weight, normalized to sum to 1, and its values written exactly (repr)."""
    table = particles.sort_values("proposal_id", kind="stable")
    weights = table["weight"].to_numpy(dtype=float)
    weights = weights / weights.sum()
    keys = [p.key for p in FREE]
    origin = [f"# Copied from that run's {source} by `--export-posterior`."] if source else []
    lines = [
        "# Weighted particles of the last ABC-SMC generation, fitted to the historical record by",
        f"# `uv run python -m experiments.calibrate` ({mode} mode).",
        *origin,
        "# Written by that script only: rerun it, never edit by hand. `posterior=historical`",
        "# draws parameter sets from it by weight; docs/sweeps.md explains its use.",
        ",".join([posterior_file.PARTICLE, posterior_file.WEIGHT, *keys]),
    ]
    for pid, weight, row in zip(table["proposal_id"], weights, table[keys].to_numpy(), strict=True):
        lines.append(",".join([str(int(pid)), repr(float(weight)), *(repr(float(v)) for v in row)]))
    return "\n".join(lines) + "\n"


def write_posterior(text: str, path: Path, calibrated: dict[str, Any]) -> None:
    """Check the text as `posterior=` will read it (known keys, weights), then write it whole."""
    posterior_file.parse(path, text.splitlines(), posterior_file.known_keys(calibrated))
    write_atomic(path, text.encode())


def export_posterior(source: Path, target: Path, calibrated_path: Path = CALIBRATED) -> Path:
    """The posterior file from a calibration report's particle table (rerunnable: the same
    source gives the same file byte for byte)."""
    try:
        particles = pd.read_csv(source)
    except (OSError, ValueError) as err:
        raise ConfigError(f"{source}: unreadable ({type(err).__name__})") from None
    wanted = ["proposal_id", "weight", *(p.key for p in FREE)]
    missing = [c for c in wanted if c not in particles]
    if missing:
        raise ConfigError(f"{source}: no column {missing[0]!r}; expected {', '.join(wanted)}")
    try:
        calibrated = yaml.safe_load(calibrated_path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"{calibrated_path}: unreadable ({type(err).__name__})") from None
    mode = str(calibrated.get("calibration", {}).get("mode", "full"))
    shown = source.relative_to(ROOT) if source.is_relative_to(ROOT) else source
    write_posterior(posterior_text(particles[wanted], mode, str(shown)), target, calibrated)
    return target


# ---------------------------------------------------------------------------- command line
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = OneLineParser(
        prog="python -m experiments.calibrate",
        description=" ".join(__doc__.split("\n\n")[0].split()),
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--tiny", action="store_true", help="a few runs on the seminar system")
    size.add_argument(
        "--national", action="store_true", help="the full calibration on the national system"
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (≥ 1)")
    parser.add_argument("--seed", type=int, default=None, help="root seed (default: config seed)")
    parser.add_argument("--out", type=Path, default=None, help="folder for the run's records")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help=f"discard DIR/{FOLDER} (finished simulations) instead of resuming from it",
    )
    parser.add_argument(
        "--export-posterior",
        action="store_true",
        help=f"write {POSTERIOR.name} from {REPORTED_POSTERIOR.name} without simulating",
    )
    args = parser.parse_args(argv)
    if args.export_posterior:
        args.settings = FULL
        return args
    if args.workers < 1:
        parser.error(f"--workers: {args.workers} is out of range; allowed: ≥ 1")
    if args.seed is not None and not 0 <= args.seed < 2**63:
        parser.error(f"--seed: {args.seed} is out of range; allowed: 0 to 2^63 − 1")
    settings = TINY if args.tiny else NATIONAL if args.national else FULL
    if args.out is None:
        args.out = (
            ROOT
            / "outputs"
            / "calibration"
            / {"full": "historical"}.get(settings.name, settings.name)
        )
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out: {args.out} is a file; give a folder")
    args.settings = settings
    return args


def system_seed(settings: Settings, root: int) -> tuple[str, ...]:
    """The override that fixes one drawn system for every run, when the settings ask for it."""
    if not settings.one_system:
        return ()
    return (f"system.seed={task_seed(root, SYSTEM, 0, 0)}",)


def manifest_of(settings: Settings, seed: int, base: Params) -> Manifest:
    """What this calibration's journal must have been simulated for. The base parameters are
    hashed with the free parameters set to the prior's lowest corner: `base` holds the committed
    fit's values of them (the scenario composes it, and a full calibration rewrites it), which no
    simulation runs with, so they must not make the next rerun's journal look foreign."""
    anchor = with_values(base, unit_to_values(np.zeros(len(FREE))))
    return Manifest(settings.name, seed, params_digest(anchor), model_fingerprint())


def model_fingerprint() -> str:
    files = [f for src in MODEL_SOURCES for f in (src.rglob("*.py") if src.is_dir() else [src])]
    return code_fingerprint(ROOT, files, MODEL_LIBRARIES)


def export_main(args: argparse.Namespace) -> int:
    """`--export-posterior`: the posterior file from the committed run's particles."""
    target = POSTERIOR if args.out is None else args.out / POSTERIOR.name
    try:
        export_posterior(REPORTED_POSTERIOR, target)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {target}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.export_posterior:
        return export_main(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    settings: Settings = args.settings
    seed = int(compose_config([]).seed) if args.seed is None else args.seed
    try:
        base = base_params(settings.overrides + system_seed(settings, seed))
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    journal = Journal(args.out / FOLDER)
    try:
        found = journal.start(manifest_of(settings, seed, base), args.fresh)
    except JournalError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    log.info("%s: %d finished simulations found", journal.folder, found)
    started = time.perf_counter()
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(999,)))
    show = sys.stderr.isatty() and not args.no_progress
    sim = Simulator(base, seed, args.workers, show, journal)
    try:
        generations, proposals = run_abc(sim, settings, rng)
        last = generations[-1]
        u_hat, refined = choose_fitted(sim, last, proposals, settings)
        estimate = unit_to_values(u_hat)
        check = sim.counts(CHECK, u_hat[None, :], settings.check_replicates)[0]
        sensitivity = local_sensitivity(sim, u_hat, settings)
    finally:
        sim.close()
    wall = time.perf_counter() - started
    cpu = sum(
        r.ru_utime + r.ru_stime
        for r in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )
    posterior = posterior_summary(last)
    text, doc = calibrated_document(
        settings, seed, estimate, base, posterior, check, generations, sim.runs
    )
    summary = {
        "settings": asdict(settings),
        "seed": seed,
        "workers": args.workers,
        "runs": sim.runs,
        "resumed_runs": sim.resumed,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "generations": [
            {
                "index": g.index,
                "proposed": g.proposed,
                "kept": int(g.u.shape[0]),
                "tolerance": g.tolerance,
                "effective_size": g.effective_size,
            }
            for g in generations
        ],
        "refined": refined,
        "identifiability": identifiability(sensitivity),
        "calibrated": doc,
    }
    out: Path = args.out
    write_parquet_atomic(proposals, out / "proposals.parquet")
    write_parquet_atomic(
        pd.concat(sim.trajectories, ignore_index=True), out / "trajectories.parquet"
    )
    write_parquet_atomic(sensitivity, out / "sensitivity.parquet")
    summary_text = json.dumps(summary, indent=2, default=float) + "\n"
    write_atomic(out / "summary.json", summary_text.encode())
    # Only the full calibration on `historical` replaces the committed fit; the others (tiny,
    # and the same fit on `national`) keep theirs beside their records.
    committed = settings is FULL
    target = CALIBRATED if committed else out / CALIBRATED.name
    write_atomic(target, text.encode())
    particles = posterior_text(particles_of(last), settings.name)
    write_posterior(particles, POSTERIOR if committed else out / POSTERIOR.name, doc)
    print(
        f"{settings.name}: {sim.runs} runs ({sim.resumed} from the journal) in {wall:.0f} s "
        f"on {args.workers} workers "
        f"({cpu:.0f} CPU s); "
        f"RMS log error {doc['calibration']['fit']['rms_log_error']}; wrote {target}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
