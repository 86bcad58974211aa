"""Every bad input is one line naming the key or file, a non-zero exit code, no traceback and
nothing made: the command line, the configuration files, sweep folders and `analysis`.

Most cases run the checks in this process (they are what `python -m sim` and
`python -m analysis` run first); a few run the real commands to show that the whole path
behaves the same, and that the check does not import the model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock
from hydra.core.global_hydra import GlobalHydra

from analysis.__main__ import main as analysis_main
from experiments import folder as sweep_folder
from runs import validate
from runs.config import CONFIG_DIR

ROOT = Path(__file__).resolve().parent.parent
EXP = ["-m", "+experiment=voluntary_vs_mandated"]
TINY = [
    *EXP,
    "years=1",
    "replicates=2",
    "scenario.mandate.pace=10,40",
    "scenario.mandate.coach_capacity=5",
]

# (arguments, a fragment the one line must hold)
COMMAND_LINE = [
    (["replicates=abc"], "replicates: 'abc' is not an integer"),
    (["replicates=2.5"], "replicates: 2.5 is not an integer"),
    (["replicates=0"], "replicates: 0 is out of range"),
    (["replicates=-3"], "replicates: -3 is out of range"),
    (["replicates=1000000"], "above the cap of 1000"),
    (["replicates=true"], "replicates: True is not an integer"),
    (["replicates=1e400"], "replicates: inf is not finite"),
    (["seed=abc"], "seed: 'abc' is not an integer"),
    (["seed=1.5"], "seed: 1.5 is not an integer"),
    (["seed=-1"], "seed: -1 is out of range"),
    (["seed=1e400"], "seed: inf is not finite"),
    (["seed=99999999999999999999999"], "seed: 99999999999999999999999 is out of range"),
    (["years=abc"], "years"),
    (["years=-1"], "years: -1 is out of range"),
    (["years=1e400"], "years: inf is not finite"),
    (["years=nan"], "years: nan is not finite"),
    (["years=500"], "years: 500 is out of range"),
    (["compare=[voluntary,utopia]"], "unknown scenario 'utopia'"),
    (["compare=5"], "compare: 5 is not allowed"),
    (["compare=[1,2]"], "compare: [1, 2] is not allowed"),
    (["output.progress=maybe"], "output.progress: 'maybe' is not allowed; allowed: auto"),
    (["output.progress=2"], "output.progress: 2 is not allowed"),
    (["output.plot=maybe"], "output.plot: 'maybe' is not allowed"),
    (["output.plot=1"], "output.plot: 1 is not allowed"),
    (["output.snapshot_steps=5"], "output.snapshot_steps: 5 is not a list"),
    (["output.snapshot_steps=[1000]"], "output.snapshot_steps: 1000 is out of range"),
    (["output.snapshot_steps=[1.5]"], "output.snapshot_steps: 1.5 is not an integer"),
    (["output.foo=1"], "unknown key 'output.foo'"),
    (["foo"], "argument 'foo': expected KEY=VALUE"),
    (["=3"], "argument '=3': no key before '='"),
    (["~years"], "argument '~years': removing a key is not supported"),
    (["~seed"], "argument '~seed': removing a key"),
    (["ñ=1"], "key 'ñ' is not a configuration key"),
    (["years=ñ"], "non-ASCII characters must be quoted"),
    (["a.b=[1,2"], "argument 'a.b=[1,2': not a valid override"),
    (["+foo=1"], "unknown key 'foo'"),
    (["foo=1"], "unknown key 'foo'"),
    (["years=1,2"], "argument 'years=1,2': a list of values needs a sweep"),
    (["scenario=utopia"], "unknown scenario 'utopia'"),
    (["system=planet"], "unknown system 'planet'"),
    (["behaviour=nope"], "unknown behaviour 'nope'"),
    (["behaviour.tutoring.rate=150"], "behaviour.tutoring.rate: 150 is out of range"),
    (["behaviour.tutoring.rate=abc"], "behaviour.tutoring.rate"),
    (["behaviour.tutoring.speed=1"], "unknown key 'behaviour.tutoring.speed'"),
    (["behaviour.catalogue.size=65"], "behaviour.catalogue.size: 65 is out of range"),
    (["behaviour.catalogue.initial_fund=60"], "behaviour.catalogue.initial_fund: 60 exceeds"),
    (["scenario.exchanges.selection=oldest"], "scenario.exchanges.selection: 'oldest' is not"),
    (["behaviour.supervision.protect_boost=1e9"], "behaviour.supervision.protect_boost"),
    (["scenario.mandate.target=1e400"], "scenario.mandate.target: inf is not finite"),
    (["scenario.mandate.pace=1e400"], "scenario.mandate.pace: inf is not finite"),
    (["scenario.mandate.pace=-1"], "scenario.mandate.pace: -1 is out of range"),
    (["scenario.mandate.target=2.5"], "scenario.mandate.target: expected a whole number"),
    (["scenario.mandate.target=999999"], "scenario.mandate.target: 999999 schools exceeds"),
    (["scenario.mandate.coaching=lecture"], "'lecture' is not allowed"),
    (["scenario.movement.enabled=maybe"], "expected true or false, got 'maybe'"),
    (["scenario.reversal_year=1e400"], "scenario.reversal_year: inf is not finite"),
    (["scenario.reversal_year=500"], "scenario.reversal_year: 500 is out of range"),
    (["hydra.run.dir=/etc/hostname/out"], "is a file, not a folder"),
    # a posterior ensemble: the name, the number of draws, keys both drawn and set
    (["posterior=utopia"], "posterior: 'utopia' is not allowed; allowed: none, historical"),
    (["posterior=historical", "posterior_draws=0"], "posterior_draws: 0 is out of range"),
    (["posterior_draws=1001"], "posterior_draws: 1001 is out of range; allowed: an integer in"),
    (["posterior_draws=abc"], "posterior_draws: 'abc' is not an integer"),
    (["posterior_draws=2.5"], "posterior_draws: 2.5 is not an integer"),
    (["posterior_draws=1e400"], "posterior_draws: inf is not finite"),
    (
        ["posterior=historical", "behaviour.diffusion.imitation=0.1"],
        "behaviour.diffusion.imitation: drawn by posterior=historical",
    ),
    (
        ["scenario=historical", "posterior=historical", "calibration.pilot.pace=50"],
        "calibration.pilot.pace: drawn by posterior=historical",
    ),
    # sweeps: the same keys, the launcher's and the sweep's own
    ([*EXP, "seed=abc"], "seed: 'abc' is not an integer"),
    ([*EXP, "seed=1,abc"], "seed: 'abc' is not an integer"),
    ([*EXP, "replicates=2.5"], "replicates: 2.5 is not an integer"),
    ([*EXP, "replicates=3", "replicate=5"], "replicate: 5 is out of range"),
    ([*EXP, "hydra.launcher.n_jobs=0"], "hydra.launcher.n_jobs: 0 is out of range"),
    ([*EXP, "hydra.launcher.n_jobs=abc"], "hydra.launcher.n_jobs: 'abc' is not allowed"),
    ([*EXP, "hydra.launcher.n_jobs=2.5"], "hydra.launcher.n_jobs: '2.5' is not allowed"),
    (
        [*EXP, "hydra/launcher=ray_local", "hydra.launcher.ray.init.num_cpus=0"],
        "hydra.launcher.ray.init.num_cpus: 0 is out of range",
    ),
    (
        [*EXP, "hydra/launcher=slurm", "hydra.launcher.timeout_min=0"],
        "hydra.launcher.timeout_min: 0 is out of range",
    ),
    (
        [*EXP, "hydra/launcher=slurm", "hydra.launcher.mem_gb=-1"],
        "hydra.launcher.mem_gb: -1 is out of range",
    ),
    ([*EXP, "scenario.mandate.pace=10,1e400"], "scenario.mandate.pace: inf is not finite"),
    ([*EXP, "scenario.mandate.speed=1,2"], "unknown key 'scenario.mandate.speed'"),
    ([*EXP, "arm=voluntary,utopia"], "unknown arm 'utopia'"),
    ([*EXP, "output.progress=maybe"], "output.progress: 'maybe' is not allowed"),
    (["-m", "years=1,500"], "years: 500 is out of range"),
    (["+experiment=utopia"], "unknown experiment 'utopia'"),
    ([*EXP, "posterior=none,historical"], "'posterior' is swept; a sweep folder holds one"),
    ([*EXP, "posterior=historical", "posterior_draws=0,2"], "posterior_draws: 0 is out of range"),
    (
        ["-m", "+experiment=mandate_conditions", "posterior=historical"],
        "'behaviour.diffusion.outreach' is drawn by posterior=historical and also",
    ),
    ([*EXP, "--cfg", "hydra"], "options --multirun and --cfg: give only one"),
]


def case_id(value: object) -> str | None:
    return " ".join(value) if isinstance(value, list) else None


@pytest.fixture(autouse=True)
def fresh_hydra():
    GlobalHydra.instance().clear()
    yield
    GlobalHydra.instance().clear()


def one_error_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("error: ") and "Traceback" not in text
    return lines[0]


def check_in_process(argv: list[str], capsys) -> tuple[int, str]:
    """What `python -m sim ARGV` does before the job: the check, then the sweep folder."""
    with pytest.raises(SystemExit) as ended:
        checked = validate.main(argv)
        with sweep_folder.held_for(checked):
            pass
    return ended.value.code, one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize(("argv", "names"), COMMAND_LINE, ids=case_id)
def test_bad_command_line(argv, names, tmp_path, capsys):
    out = tmp_path / "out"
    key = "hydra.sweep.dir" if "-m" in argv else "hydra.run.dir"
    extra = [] if any(a.startswith(f"{key}=") for a in argv) else [f"{key}={out}"]
    code, line = check_in_process([*argv, *extra], capsys)
    assert code == 2 and names in line
    assert not out.exists()


def test_a_bad_replicates_cap_is_named(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(validate.MAX_REPLICATES_ENV, "lots")
    code, line = check_in_process(["replicates=3", f"hydra.run.dir={tmp_path / 'o'}"], capsys)
    assert code == 2 and validate.MAX_REPLICATES_ENV in line


def test_the_replicates_cap_can_be_raised(monkeypatch):
    monkeypatch.setenv(validate.MAX_REPLICATES_ENV, "5000")
    assert validate.check_command(["replicates=2000", "years=1"]) is not None


def test_a_single_compare_scenario_is_a_list_of_one():
    assert validate.check_command(["compare=voluntary"]) is not None


# --------------------------------------------------------------------------- configuration files
CALIBRATED = "calibrated/historical.yaml"
POSTERIOR = "calibrated/historical_posterior.csv"
FILES = [
    # (file, damage, arguments, fragment)
    (CALIBRATED, "missing", ["scenario=historical"], "missing; regenerate it with `uv run"),
    (CALIBRATED, "empty", ["scenario=historical"], "empty; regenerate it with"),
    (CALIBRATED, "truncated", ["scenario=historical"], "incomplete or truncated"),
    (CALIBRATED, "bytes", ["scenario=historical"], "not a text file"),
    (CALIBRATED, "invalid", ["compare=[historical,voluntary]"], "not valid YAML"),
    ("behaviour/default.yaml", "invalid", [], "not valid YAML"),
    ("behaviour/default.yaml", "empty", [], "empty; restore it"),
    ("behaviour/default.yaml", "bytes", [], "not a text file"),
    ("scenario/mandated.yaml", "empty", [], "empty"),
    ("system/seminar.yaml", "list", [], "expected a mapping"),
    ("experiment/voluntary_vs_mandated.yaml", "invalid", EXP, "not valid YAML"),
    ("config.yaml", "missing", [], "config.yaml: missing"),
    (POSTERIOR, "missing", ["posterior=historical"], "missing; write it with `uv run python"),
    (POSTERIOR, "empty", ["posterior=historical"], "empty; write it again with"),
    (POSTERIOR, "bytes", ["posterior=historical"], "unreadable (not a text file)"),
    (POSTERIOR, "negative", ["posterior=historical"], "weights must be ≥ 0"),
    (POSTERIOR, "nan", ["posterior=historical"], "holds a value that is not finite"),
    (POSTERIOR, "column", ["posterior=historical"], "column 'behaviour.diffusion.speed' is not"),
    (POSTERIOR, "short", ["posterior=historical"], "line 7 has 5 values, not 6"),
    (POSTERIOR, "zero", [*EXP, "posterior=historical"], "weights must be ≥ 0 and not all 0"),
]


def damage(path: Path, how: str) -> None:
    text = path.read_text() if path.exists() else ""
    if how == "missing":
        path.unlink()
    elif how == "empty":
        path.write_text("")
    elif how == "truncated":
        path.write_text(text[: text.index("calibration:") + 16])  # cut in the middle of a key
    elif how == "bytes":
        path.write_bytes(bytes(range(128, 256)) * 3)
    elif how == "invalid":
        path.write_text(text + "\nbroken: [1, 2\n  other: }\n")
    elif how == "list":
        path.write_text("- one\n- two\n")
    else:
        path.write_text(damaged_posterior(text, how))


def damaged_posterior(text: str, how: str) -> str:
    """The posterior file with one problem: a weight below 0 or NaN, a column that is no config
    key, a row cut short, or every weight 0."""
    lines = text.splitlines()
    first = next(i for i, ln in enumerate(lines) if not ln.startswith("#")) + 1  # first particle
    cells = lines[first].split(",")
    if how in ("negative", "nan"):
        cells[1] = "-0.5" if how == "negative" else "nan"
        lines[first] = ",".join(cells)
    elif how == "column":
        lines[first - 1] = lines[first - 1].replace("imitation", "speed")
    elif how == "short":
        lines[first] = ",".join(cells[:-1])
    elif how == "zero":
        for i in range(first, len(lines)):
            row = lines[i].split(",")
            lines[i] = ",".join([row[0], "0", *row[2:]])
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("name", "how", "argv", "names"), FILES, ids=case_id)
def test_damaged_config_file_is_named_with_what_to_do(name, how, argv, names, tmp_path, capsys):
    configs = tmp_path / "configs"
    shutil.copytree(CONFIG_DIR, configs)
    damage(configs / name, how)
    out = tmp_path / "out"
    key = "hydra.sweep.dir" if "-m" in argv else "hydra.run.dir"
    code, line = check_in_process(["-cp", str(configs), *argv, f"{key}={out}"], capsys)
    assert code == 2 and names in line and str(configs / name) in line
    assert not out.exists()


# --------------------------------------------------------------------------- sweep folders
def sweep_argv(folder: Path, *extra: str) -> list[str]:
    return [*TINY, f"hydra.sweep.dir={folder}", *extra]


def held(argv: list[str], capsys) -> tuple[int, str]:
    """The sweep folder's part of `python -m sim ARGV` (the rest is checked above)."""
    overrides, _ = validate.split_argv(argv)
    with validate.hydra_context(CONFIG_DIR):
        parsed = [validate.parse_argument(o) for o in overrides]
        plain = [o.input_line for o in parsed if not o.is_sweep_override()]
        cfg = validate.compose_checked(plain, CONFIG_DIR)
    checked = validate.Checked(overrides=overrides, config=cfg, multirun=True)
    with pytest.raises(SystemExit) as ended, sweep_folder.held_for(checked):
        pass
    return ended.value.code, one_error_line(capsys.readouterr().err)


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("plan") / "sweep"
    GlobalHydra.instance().clear()
    checked = validate.check_command(sweep_argv(folder))
    with sweep_folder.held_for(checked):
        pass
    GlobalHydra.instance().clear()
    return (folder / sweep_folder.PLAN).read_bytes()


@pytest.fixture
def planned_folder(tmp_path, tiny_plan) -> Path:
    """A sweep folder that holds the tiny sweep's plan, as a started sweep leaves it."""
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / sweep_folder.PLAN).write_bytes(tiny_plan)
    (folder / sweep_folder.LOCK).touch()
    return folder


SWEEP_FOLDERS = [
    (["replicates=3"], "replicates=2, this command replicates=3"),
    (["posterior=historical", "posterior_draws=2"], "posterior=none, this command posterior=hist"),
    (["years=2"], "years=1, this command years=2"),
    (["scenario.mandate.pace=10,20"], "scenario.mandate.pace"),
    (["scenario.mandate.coach_capacity=10"], "scenario.mandate.coach_capacity"),
    (["seed=7"], "seed=20040801, this command seed=7"),
    (["behaviour.tutoring.rate=0.5"], "behaviour.tutoring.rate"),
]


@pytest.mark.parametrize(("extra", "names"), SWEEP_FOLDERS, ids=case_id)
def test_a_folder_of_another_plan_is_refused(planned_folder, extra, names, capsys):
    before = (planned_folder / sweep_folder.PLAN).read_bytes()
    code, line = held(sweep_argv(planned_folder, *extra), capsys)
    assert code == 2 and names in line and "never mixed" in line
    assert (planned_folder / sweep_folder.PLAN).read_bytes() == before
    assert sorted(p.name for p in planned_folder.iterdir()) == [".lock", "plan.json"]


def test_the_same_plan_resumes(planned_folder):
    with sweep_folder.held_for(validate.check_command(sweep_argv(planned_folder))):
        pass  # no refusal: the same command resumes its sweep


def test_a_busy_folder_is_refused(planned_folder, capsys):
    with FileLock(planned_folder / sweep_folder.LOCK):
        code, line = held(sweep_argv(planned_folder), capsys)
    assert code == sweep_folder.BUSY_EXIT and "another sweep is running" in line
    assert "--wait" in line


def test_a_damaged_plan_is_named(planned_folder, capsys):
    (planned_folder / sweep_folder.PLAN).write_text("{not json")
    code, line = held(sweep_argv(planned_folder), capsys)
    assert code == 2 and "plan.json: unreadable" in line


# --------------------------------------------------------------------------- analysis
def fake_sweep(folder: Path, plan: bool = True, multirun: str | None = "experiment: {}\n") -> Path:
    folder.mkdir(parents=True)
    if plan:
        identity = {"seed": 1, "replicates": 2, "years": 1, "overrides": {}}
        data = {"experiment": "x", "identity": identity, "cells": ["arm=a", "arm=b"]}
        (folder / sweep_folder.PLAN).write_text(json.dumps(data))
    if multirun is not None:
        (folder / "multirun.yaml").write_text(multirun)
    return folder


ANALYSIS = [
    (lambda d: ["collect", str(d / "nowhere")], 2, "no such folder"),
    (lambda d: ["report", str(d / "nowhere")], 2, "no such folder"),
    (lambda d: ["collect", str(fake_sweep(d / "s", False, None))], 2, "not a sweep folder"),
    (lambda d: ["report", str(fake_sweep(d / "s", False, None))], 2, "not a sweep folder"),
    (lambda d: ["collect", str(fake_sweep(d / "s", False, "[1, 2"))], 2, "multirun.yaml"),
    (lambda d: ["collect", str(fake_sweep(d / "s", False, "a: 1\n"))], 2, "without an experiment"),
    (lambda d: ["collect", str(fake_sweep(d / "s"))], 3, "partial sweep: 0 of 4 planned runs"),
    (lambda d: ["report", str(fake_sweep(d / "s"))], 3, "add --partial"),
    (lambda d: ["collect", str(fake_sweep(d / "s", multirun=None))], 3, "partial sweep"),
    (lambda d: ["sensitivity", str(d), "--workers", "0"], 2, "--workers: 0 is out of range"),
    (lambda d: ["sensitivity", str(d), "--workers", "abc"], 2, "--workers: 'abc'"),
    (lambda d: ["sensitivity", str(d), "--years", "-1"], 2, "--years: -1 is out of range"),
    (lambda d: ["sensitivity", str(d), "--years", "inf"], 2, "--years: inf is out of range"),
    (lambda d: ["sensitivity", str(d), "--trajectories", "0"], 2, "--trajectories"),
    (lambda d: ["sensitivity", str(d), "--base-samples", "0"], 2, "--base-samples"),
    (lambda d: ["sensitivity", str(d), "--method", "magic"], 2, "--method"),
    (lambda d: ["frobnicate", str(d)], 2, "invalid choice: 'frobnicate'"),
    (lambda d: ["collect"], 2, "sweep_dir"),
]


@pytest.mark.parametrize(("argv", "code", "names"), ANALYSIS, ids=range(len(ANALYSIS)))
def test_bad_analysis_input(argv, code, names, tmp_path, capsys):
    args = argv(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    try:
        returned = analysis_main(args)
    except SystemExit as ended:  # argparse
        returned = ended.code
    assert returned == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert names in one_error_line(captured.err)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_a_damaged_plan_is_named_by_analysis(tmp_path, capsys):
    folder = fake_sweep(tmp_path / "s")
    (folder / sweep_folder.PLAN).write_text("[")
    assert analysis_main(["collect", str(folder)]) == 2
    assert "plan.json: unreadable" in one_error_line(capsys.readouterr().err)


# --------------------------------------------------------------------------- the real commands
def run(module: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("module", "args", "code", "names"),
    [
        ("sim", ["replicates=abc"], 2, "replicates: 'abc' is not an integer"),
        ("sim", ["foo"], 2, "argument 'foo'"),
        ("sim", [*EXP, "seed=abc"], 2, "seed: 'abc'"),
        ("analysis", ["sensitivity", ".", "--workers", "0"], 2, "--workers"),
    ],
)
def test_the_commands_end_in_one_line(module, args, code, names, tmp_path):
    out = tmp_path / "out"
    key = "hydra.sweep.dir" if "-m" in args else "hydra.run.dir"
    extra = [f"{key}={out}"] if module == "sim" else []
    proc = run(module, *args, *extra)
    assert proc.returncode == code
    assert names in one_error_line(proc.stderr) and proc.stdout == ""
    assert not out.exists()


def test_a_damaged_calibration_file_ends_the_command_in_one_line(tmp_path):
    configs = tmp_path / "configs"
    shutil.copytree(CONFIG_DIR, configs)
    damage(configs / CALIBRATED, "bytes")
    proc = run("sim", "-cp", str(configs), "scenario=historical", f"hydra.run.dir={tmp_path / 'o'}")
    assert proc.returncode == 2
    line = one_error_line(proc.stderr)
    assert str(configs / CALIBRATED) in line and "uv run python -m experiments.calibrate" in line
    assert not (tmp_path / "o").exists()


def test_the_check_does_not_import_the_model():
    code = (
        "import sys; from runs.validate import check_command; "
        "check_command(['-m', '+experiment=voluntary_vs_mandated', 'years=1']); "
        "check_command(['scenario=historical', 'compare=[voluntary,mandated]']); "
        "print(sorted(m for m in ('numba', 'mesa', 'sim.model', 'pandas', 'ray') "
        "if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_at_least_sixty_bad_inputs_are_covered():
    # the tables, then the cases of their own: a bad cap, a busy folder, a damaged plan (twice),
    # a full disk; the real commands repeat some of the tables' cases end to end.
    total = len(COMMAND_LINE) + len(FILES) + len(SWEEP_FOLDERS) + len(ANALYSIS) + 5
    assert total >= 60


def test_compare_given_as_one_name_is_that_scenario():
    from omegaconf import OmegaConf

    from runs.cli import scenario_names

    cfg = OmegaConf.create({"compare": "voluntary", "scenario": {"name": "mandated"}})
    assert scenario_names(cfg, ["compare=voluntary"]) == ["voluntary"]


def test_a_full_disk_ends_the_job_in_one_line(monkeypatch, tmp_path, capsys):
    from runs import cli

    def full(cfg):
        raise OSError(28, "No space left on device", str(tmp_path / "out" / "steps.parquet"))

    monkeypatch.setattr(cli, "main_job", full)
    monkeypatch.setattr(sys, "argv", ["sim", f"hydra.run.dir={tmp_path / 'out'}"])
    with pytest.raises(SystemExit) as ended:
        cli.app()
    assert ended.value.code == 1
    line = one_error_line(capsys.readouterr().err)
    assert "steps.parquet: No space left on device" in line
