"""Experiment sweeps as a user runs them: any launcher gives the same runs, an interrupted sweep
resumes without losing or doubling a run, and a bad experiment fails before anything is made.

The sweeps are tiny (one simulated year, two replicates, five cells); the whole file takes
about a minute, most of it starting Python, the process pools and Ray.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.collect import collect
from experiments import plan, store
from runs.driver import replicate_seeds

ROOT = Path(__file__).resolve().parent.parent
SEED = 20040801  # configs/config.yaml

# voluntary_vs_mandated cut down: 3 arms × 2 paces; voluntary ignores the pace, so 5 cells.
TINY = [
    "+experiment=voluntary_vs_mandated",
    "years=1",
    "replicates=2",
    "scenario.mandate.pace=10,40",
    "scenario.mandate.coach_capacity=5",
    "output.progress=false",
]
TINY_CELLS = 5


def sweep_command(folder: Path, *overrides: str, base: list[str] = TINY) -> list[str]:
    return [sys.executable, "-m", "sim", "-m", *base, f"hydra.sweep.dir={folder}", *overrides]


def run_sweep(folder: Path, *overrides: str, base: list[str] = TINY) -> None:
    proc = subprocess.run(
        sweep_command(folder, *overrides, base=base),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def runs_of(folder: Path) -> pd.DataFrame:
    """Every finished run's summary, keyed by cell and replicate."""
    summary = collect(folder).summary
    return summary.set_index(["cell", "replicate"]).sort_index()


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory) -> Path:
    """The tiny sweep with two joblib workers, shared by the tests that only read it."""
    folder = tmp_path_factory.mktemp("sweeps") / "two"
    run_sweep(folder, "hydra.launcher.n_jobs=2")
    return folder


def test_same_runs_with_one_or_two_joblib_workers(two_workers, tmp_path):
    run_sweep(tmp_path / "one", "hydra.launcher.n_jobs=1")
    one, two = runs_of(tmp_path / "one"), runs_of(two_workers)
    assert len(one) == TINY_CELLS * 2
    pd.testing.assert_frame_equal(one, two)
    # Replicate r has the seed spawned for r from the root seed, in every cell.
    seeds = replicate_seeds(SEED, 2)
    assert (one["seed"] == [seeds[r] for r in one.index.get_level_values("replicate")]).all()
    steps_one = collect(tmp_path / "one").steps.sort_values(["cell", "replicate", "step"])
    steps_two = collect(two_workers).steps.sort_values(["cell", "replicate", "step"])
    pd.testing.assert_frame_equal(
        steps_one.reset_index(drop=True), steps_two.reset_index(drop=True)
    )


@pytest.mark.ray
def test_same_runs_on_a_local_ray_instance_with_two_workers(two_workers, tmp_path):
    # The sweep starts its own Ray instance (2 CPUs, one job per CPU) and stops it at exit.
    run_sweep(
        tmp_path / "ray",
        "hydra/launcher=ray_local",
        "hydra.launcher.ray.init.num_cpus=2",
    )
    log = "".join(p.read_text() for p in (tmp_path / "ray").glob("*/*.log"))
    assert "cell " in log  # the jobs ran (on Ray's workers) and logged their cells
    pd.testing.assert_frame_equal(runs_of(two_workers), runs_of(tmp_path / "ray"))


def test_voluntary_arm_runs_once_not_once_per_pace(two_workers):
    summary = collect(two_workers).summary
    voluntary = summary[summary["arm"] == "voluntary"]
    assert len(voluntary) == 2  # two replicates, in one cell
    assert voluntary["scenario.mandate.pace"].isna().all()
    assert set(summary.loc[summary["arm"] == "mandated", "scenario.mandate.pace"]) == {10, 40}


def test_resume_after_a_crash_loses_nothing_and_doubles_nothing(tmp_path):
    folder = tmp_path / "s"
    # 7 cells × 3 replicates: enough jobs to be killed half-way.
    base = [o for o in TINY if not o.startswith(("scenario.mandate.", "replicates", "years"))]
    base += [
        "years=1",
        "replicates=3",
        "scenario.mandate.pace=10,20,40",
        "scenario.mandate.coach_capacity=5",
    ]
    total = (1 + 2 * 3) * 3
    proc = subprocess.Popen(
        sweep_command(folder, "hydra.launcher.n_jobs=2", base=base),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while len(list(store.finished_runs(folder))) < 3:
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep, its pool and the run in progress
    proc.wait()

    finished = {run: (run / store.DONE).stat().st_mtime_ns for run in store.finished_runs(folder)}
    assert 3 <= len(finished) < total
    # A run that finished and whose file was damaged afterwards must be redone too.
    broken = sorted(finished)[0]
    path = broken / "summary.parquet"
    path.write_bytes(path.read_bytes()[:100])

    run_sweep(folder, "hydra.launcher.n_jobs=2", base=base)

    runs = store.all_runs(folder)
    assert len(runs) == total
    assert all(store.problem(run) is None for run in runs)
    summary = collect(folder).summary
    assert len(summary) == total
    assert not summary.duplicated(["cell", "replicate"]).any()
    kept = [run for run in finished if run != broken]
    assert all((run / store.DONE).stat().st_mtime_ns == finished[run] for run in kept)
    assert (broken / store.DONE).stat().st_mtime_ns != finished[broken]
    assert not list(folder.glob("*/runs/*/.*.tmp"))


@pytest.mark.parametrize(
    ("override", "names"),
    [
        ("scenario.mandate.speed=1,2", "unknown key 'scenario.mandate.speed'"),
        ("scenario.mandate.pace=range(0,0)", "empty grid: 'scenario.mandate.pace'"),
        ("arm=voluntary,utopia", "unknown arm 'utopia'"),
        ("scenario.mandate.pace=-5,10", "scenario.mandate.pace: -5 is out of range"),
        ("replicates=0", "replicates"),
        ("replicate=2", "replicate: 2 is out of range"),
    ],
)
def test_bad_experiment_is_named_in_one_line(override, names):
    with pytest.raises(ValueError) as err:
        plan.check([*TINY, override])
    message = str(err.value)
    assert "\n" not in message and names in message and "voluntary_vs_mandated" in message


def test_bad_experiment_exits_before_anything_is_made(tmp_path):
    folder = tmp_path / "s"
    proc = subprocess.run(
        sweep_command(folder, "scenario.mandate.speed=1,2"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "scenario.mandate.speed" in lines[0]
    assert not folder.exists()


def test_unknown_experiment_names_the_ones_there_are():
    with pytest.raises(ValueError, match=r"unknown experiment 'utopia'.*voluntary_vs_mandated"):
        plan.check(["+experiment=utopia"])


@pytest.mark.parametrize(
    ("experiment", "cells"),
    [
        ("voluntary_vs_mandated", 1 + 2 * 9),
        ("bureaucratization_risk", 18),
        ("test_pressure", 2 * 9),
        ("policy_reversal", 3 * 4),
    ],
)
def test_every_experiment_is_valid_and_has_its_cells(experiment, cells):
    planned = plan.check([f"+experiment={experiment}"])
    assert sum(c.runs for c in planned) == cells


def test_arm_and_sweep_may_not_set_the_same_key():
    with pytest.raises(ValueError, match="a key the sweep also sets"):
        plan.check(["+experiment=voluntary_vs_mandated", "scenario.movement.enabled=true,false"])


def test_slurm_and_ray_launcher_configs_compose():
    slurm = plan.compose_full(["+experiment=voluntary_vs_mandated", "hydra/launcher=slurm"])
    assert slurm.hydra.launcher._target_.endswith("SlurmLauncher")
    assert slurm.hydra.launcher.cpus_per_task == 1
    ray = plan.compose_full(["+experiment=voluntary_vs_mandated", "hydra/launcher=ray_local"])
    assert ray.hydra.launcher._target_.endswith("RayLauncher")
    default = plan.compose_full(["+experiment=voluntary_vs_mandated"])
    assert default.hydra.launcher._target_.endswith("JoblibLauncher")
    assert default.hydra.sweep.dir == "multirun/voluntary_vs_mandated"
