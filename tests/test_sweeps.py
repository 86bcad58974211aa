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
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from analysis.__main__ import main as analysis_main
from analysis.collect import collect
from experiments import plan, store
from experiments.folder import BUSY_EXIT, sweep_status
from runs import storage
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


def listening_addresses(pid: int) -> set[tuple[str, int, str]]:
    """(address, port, process name) of every listening TCP socket of `pid` and its children."""
    import psutil

    found = set()
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return found
    for proc in procs:
        try:
            for conn in proc.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN:
                    found.add((conn.laddr.ip, conn.laddr.port, proc.name()))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def is_loopback(address: str) -> bool:
    import ipaddress

    ip = ipaddress.ip_address(address.split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


@pytest.mark.ray
def test_same_runs_on_a_local_ray_instance_with_two_workers(two_workers, tmp_path):
    # The sweep starts its own Ray instance (2 CPUs, one job per CPU) and stops it at exit;
    # while it runs, every socket its processes listen on is on the loopback interface.
    proc = subprocess.Popen(
        sweep_command(
            tmp_path / "ray", "hydra/launcher=ray_local", "hydra.launcher.ray.init.num_cpus=2"
        ),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    sockets: set[tuple[str, int, str]] = set()
    while proc.poll() is None:
        sockets |= listening_addresses(proc.pid)
        time.sleep(0.5)
    assert proc.returncode == 0, proc.stderr.read()[-3000:]
    names = {name for _, _, name in sockets}
    assert any("gcs_server" in n for n in names) and any("raylet" in n for n in names), names
    exposed = sorted(s for s in sockets if not is_loopback(s[0]))
    assert not exposed, f"listening beyond loopback: {exposed}"
    log = "".join(p.read_text() for p in (tmp_path / "ray").glob("*/*.log"))
    assert "cell " in log  # the jobs ran (on Ray's workers) and logged their cells
    pd.testing.assert_frame_equal(runs_of(two_workers), runs_of(tmp_path / "ray"))


def test_voluntary_arm_runs_once_not_once_per_pace(two_workers):
    summary = collect(two_workers).summary
    voluntary = summary[summary["arm"] == "voluntary"]
    assert len(voluntary) == 2  # two replicates, in one cell
    assert voluntary["scenario.mandate.pace"].isna().all()
    assert set(summary.loc[summary["arm"] == "mandated", "scenario.mandate.pace"]) == {10, 40}


def start_sweep(folder: Path, *overrides: str, base: list[str] = TINY) -> subprocess.Popen:
    return subprocess.Popen(
        sweep_command(folder, *overrides, base=base),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the pool dies with it
    )


def wait_for(proc: subprocess.Popen, ready, what: str) -> None:
    deadline = time.monotonic() + 300
    while not ready():
        assert proc.poll() is None, f"the sweep ended before {what}"
        assert time.monotonic() < deadline, f"no {what} after 300 s"
        time.sleep(0.05)


def kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep, its pool and the run in progress
    proc.wait()


def test_resume_after_kills_at_three_moments_loses_nothing_and_doubles_nothing(tmp_path):
    folder = tmp_path / "s"
    # 7 cells × 2 replicates: enough jobs to be killed early and late.
    base = [o for o in TINY if not o.startswith("scenario.mandate.")]
    base += ["scenario.mandate.pace=10,20,40", "scenario.mandate.coach_capacity=5"]
    total = (1 + 2 * 3) * 2
    workers = "hydra.launcher.n_jobs=2"

    def finished() -> int:
        return len(list(store.finished_runs(folder)))

    # 1. During start-up: the folder is claimed and planned, no job has started.
    proc = start_sweep(folder, workers, base=base)
    wait_for(proc, lambda: (folder / "plan.json").exists(), "its plan was written")
    kill(proc)
    assert finished() == 0
    # 2. Early: a few runs finished.
    proc = start_sweep(folder, workers, base=base)
    wait_for(proc, lambda: finished() >= 3, "3 runs finished")
    kill(proc)
    status = sweep_status(folder)
    assert status is not None and not status.complete
    assert status.plan.planned_runs == total and len(status.finished) == finished() < total
    assert analysis_main(["collect", str(folder)]) == 3  # partial: said, and nothing written
    assert not (folder / "collected").exists()
    # 3. Late: most runs finished.
    proc = start_sweep(folder, workers, base=base)
    wait_for(proc, lambda: finished() >= total - 5, f"{total - 5} runs finished")
    kill(proc)

    finished_at = {
        run: (run / store.DONE).stat().st_mtime_ns for run in store.finished_runs(folder)
    }
    assert 3 <= len(finished_at) < total
    # A run that finished and whose file was damaged afterwards must be redone too.
    broken = sorted(finished_at)[0]
    path = broken / "summary.parquet"
    path.write_bytes(path.read_bytes()[:100])

    run_sweep(folder, workers, base=base)

    runs = store.all_runs(folder)
    assert len(runs) == total
    assert all(store.problem(run) is None for run in runs)
    assert sweep_status(folder).complete
    summary = collect(folder).summary
    assert len(summary) == total
    assert not summary.duplicated(["cell", "replicate"]).any()
    kept = [run for run in finished_at if run != broken]
    assert all((run / store.DONE).stat().st_mtime_ns == finished_at[run] for run in kept)
    assert (broken / store.DONE).stat().st_mtime_ns != finished_at[broken]
    assert not list(folder.glob("*/runs/*/.*.tmp"))


def test_a_second_sweep_on_a_busy_folder_exits_in_one_line(tmp_path):
    folder = tmp_path / "s"
    first = start_sweep(folder, "hydra.launcher.n_jobs=1")
    wait_for(first, lambda: (folder / "plan.json").exists(), "it claimed its folder")
    second = subprocess.run(
        sweep_command(folder), cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    still_running = first.poll() is None
    assert first.wait(timeout=300) == 0, first.stderr.read()[-3000:]
    assert still_running, "the first sweep ended before the second one started"
    assert second.returncode == BUSY_EXIT
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another sweep is running" in lines[0], second.stderr
    assert sweep_status(folder).complete  # the first sweep finished every run, alone
    assert len(list(store.finished_runs(folder))) == TINY_CELLS * 2


def test_a_waiting_sweep_starts_when_the_folder_is_free(tmp_path):
    """`--wait`: the second claim blocks until the first sweep releases the folder."""
    from experiments.folder import SweepPlan, claim

    sweep = SweepPlan("x", {"seed": 1, "replicates": 1, "years": 1, "overrides": {}}, ["a"])
    order = []
    with claim(tmp_path, sweep):
        waiting = threading.Thread(target=lambda: claim_and_note(claim, tmp_path, sweep, order))
        waiting.start()
        time.sleep(0.5)
        order.append("first ends")
    waiting.join(timeout=30)
    assert order == ["first ends", "second starts"]


def claim_and_note(claim, folder: Path, sweep, order: list[str]) -> None:
    with claim(folder, sweep, wait=True):
        order.append("second starts")


def test_a_resumed_run_leaves_the_temporary_files_of_live_writers(tmp_path):
    orphan = tmp_path / f".summary.parquet.{storage._host()}-999999999.x1.tmp"
    orphan.write_bytes(b"half")
    with storage.atomic_path(tmp_path / "steps.parquet") as live:
        live.write_bytes(b"being written")
        assert storage.remove_orphaned_temps(tmp_path) == 1
        assert live.exists() and not orphan.exists()
    assert (tmp_path / "steps.parquet").read_bytes() == b"being written"


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
        ("mandate_conditions", 2 * 48),  # two arms × the design's points
        ("design_a_scaleup", 2**6),  # a search: each interval's two ends, each choice
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
