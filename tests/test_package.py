"""redes as an installed package: the built wheel, installed into a fresh virtual environment,
runs the main job (`redes`) and a scenario from Python, far from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
UV = [sys.executable, "-m", "uv"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SCENARIO = """
from pathlib import Path

import runs.config
from runs.config import load_params
from runs.driver import run_one

assert "site-packages" in str(runs.config.CONFIG_DIR), runs.config.CONFIG_DIR
params = load_params(["scenario=hybrid", "years=1"])
result = run_one(params, seed=7)
print(params.scenario.name, len(result.steps), result.summary["n_schools"])
"""


def run(cwd: Path, *cmd: str, **env: str) -> subprocess.CompletedProcess:
    # No inherited virtual environment, and bytecode cached as on a user's machine.
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    proc = subprocess.run(
        list(cmd), cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed in it (pinned to uv.lock's
    versions, so that uv installs from its cache); returns its bin/ folder."""
    tmp = tmp_path_factory.mktemp("package")
    run(tmp, *UV, "build", "--quiet", "--wheel", "--out-dir", str(tmp / "dist"), str(ROOT))
    wheel = next((tmp / "dist").glob("redes-*.whl"))
    pins = tmp / "pins.txt"
    run(
        tmp,
        *UV,
        *("export", "--quiet", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes"),
        *("--project", str(ROOT), "--output-file", str(pins)),
    )
    venv = tmp / "venv"
    run(tmp, *UV, "venv", "--quiet", "--python", sys.executable, str(venv))
    run(
        tmp,
        *UV,
        *("pip", "install", "--quiet", "--python", str(venv / "bin" / "python")),
        *("--constraints", str(pins), str(wheel)),
        UV_NO_CONFIG="1",
        UV_COMPILE_BYTECODE="0",
    )
    return venv / "bin"


def test_installed_console_script_runs_the_main_job_and_helps(installed, tmp_path):
    proc = run(tmp_path, str(installed / "redes"), "--help")
    assert "test_and_punish" in proc.stdout and "_base" not in proc.stdout
    out = tmp_path / "out"
    proc = run(
        tmp_path, str(installed / "redes"), "years=1", "replicates=1", f"hydra.run.dir={out}"
    )
    assert "genuine schools" in proc.stdout
    table = pd.read_parquet(out / "comparison.parquet")
    assert set(table.scenario) == {"voluntary", "mandated"}
    assert (out / ".hydra" / "config.yaml").exists()


def test_installed_package_runs_a_scenario_from_python(installed, tmp_path):
    proc = run(tmp_path, str(installed / "python"), "-c", SCENARIO)
    name, rows, schools = proc.stdout.split()
    assert name == "hybrid" and int(rows) == 13 and int(schools) > 0
