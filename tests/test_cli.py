"""The main job as a user runs it: results, a plot, one-line errors, nothing half-written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_sim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_main_job_writes_tidy_results_and_a_plot(tmp_path):
    out = tmp_path / "run"
    proc = run_sim("years=2", "replicates=2", f"hydra.run.dir={out}", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "voluntary" in proc.stdout and "mandated" in proc.stdout
    steps = pd.read_parquet(out / "steps.parquet")
    summary = pd.read_parquet(out / "summary.parquet")
    assert (out / "adoption.png").stat().st_size > 10_000
    assert (out / ".hydra" / "config.yaml").exists()
    assert set(summary.scenario) == {"voluntary", "mandated"}
    assert len(summary) == 4
    # 2 scenarios x 2 replicates x (24 steps + the initial state)
    assert len(steps) == 2 * 2 * 25
    assert {"schools_genuine", "teachers_surface", "bureaucratization_index"} <= set(steps.columns)


def test_explicit_scenario_runs_alone(tmp_path):
    out = tmp_path / "run"
    proc = run_sim("scenario=hybrid", "years=1", "replicates=1", f"hydra.run.dir={out}", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert set(pd.read_parquet(out / "summary.parquet").scenario) == {"hybrid"}


@pytest.mark.parametrize(
    ("arg", "names"),
    [
        ("scenario=utopia", "scenario 'utopia'"),
        ("behaviour.tutoring.rate=150", "behaviour.tutoring.rate"),
        ("behaviour.tutoring.speed=1", "behaviour.tutoring.speed"),
        ("scenario.mandate.target=999999", "scenario.mandate.target"),
        ("replicates=0", "replicates"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line_and_no_results(tmp_path, arg, names):
    out = tmp_path / "run"
    proc = run_sim(arg, f"hydra.run.dir={out}", cwd=ROOT)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0]
    assert not out.exists()
