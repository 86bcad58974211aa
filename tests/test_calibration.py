"""Calibration to the historical record: the scenario, the ABC-SMC machinery, the script's tiny
mode end to end, resuming it after a kill from its journal, the committed calibrated file, and
the report built from a calibration."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import params_for
from scipy import stats

from analysis import calibration_report
from experiments import calibrate, calibration_sim, journal
from experiments import calibration_abc as abc
from experiments.calibration_sim import (
    FREE,
    RECORD,
    base_params,
    pilot_event,
    target_steps,
    with_values,
)
from runs.config import load_params
from sim.model import TutorialNetworkModel

TINY_SEMINAR = ["system=seminar", "scenario.mandate.target=60"]


# ---------------------------------------------------------------------------- the scenario
def test_historical_scenario_starts_as_the_record_says():
    params = load_params(["scenario=historical"])
    assert params.system.name == "historical"
    assert params.scenario.start_year == 2004
    model = TutorialNetworkModel(params, seed=3)
    t, s = model.teachers, model.schools
    seeded = np.unique(t.school[t.adopted])
    assert seeded.size == 8  # volunteer teachers from eight schools ...
    states = model.hierarchy.zone_state[s.zone[seeded]]
    assert np.unique(states).size == 2  # ... in two states
    assert (s.kind[seeded] == 0).all()  # Telesecundarias
    assert params.scenario.movement.coaches == 1
    opened = {e.kind: params.scenario.start_year + e.year for e in params.scenario.events}
    assert opened == {"leader_joins_ministry": 2006, "deputy_visit": 2007, "ministry_pilot": 2008}
    mandate = params.scenario.mandate
    assert mandate.enabled and mandate.target == 9000
    assert 2010 <= params.scenario.start_year + mandate.start_year < 2011
    assert s.zone.size > 4 * mandate.target  # PEMLE's 9,000 are the lowest-performing few


def test_record_is_read_at_the_months_the_record_names():
    assert target_steps(base_params()) == [12, 47, 72]  # end 2004, before the pilot, 2010
    assert [t.schools for t in RECORD] == [8, 60, 400]


def test_free_values_reach_the_parameters_the_model_runs_with():
    base = base_params(TINY_SEMINAR)
    values = {p.key: float(p.from_unit(np.array(0.25))) for p in FREE}
    params = with_values(base, values)
    d = params.behaviour.diffusion
    assert d.outreach == pytest.approx(values["behaviour.diffusion.outreach"])
    assert d.imitation == pytest.approx(values["behaviour.diffusion.imitation"])
    assert d.demonstration_reach == pytest.approx(values["behaviour.diffusion.demonstration_reach"])
    pilot = pilot_event(params)
    assert pilot.target == round(values["calibration.pilot.target"])
    assert pilot.pace == pytest.approx(pilot.target / 2)  # two years, 2008–2010
    assert params.behaviour.tutoring == base.behaviour.tutoring  # nothing else moves


def test_a_fixed_system_seed_draws_one_system_whatever_the_runs_seed():
    """`system.seed` fixes the drawn schools, teachers and students; the run's seed still moves
    what happens in them. Without it each seed draws its own system (the committed default)."""
    fixed = params_for("system.seed=11", "years=2")
    a, b = TutorialNetworkModel(fixed, seed=1), TutorialNetworkModel(fixed, seed=2)
    assert np.array_equal(a.students.score, b.students.score)
    assert np.array_equal(a.teachers.motivation0, b.teachers.motivation0)
    assert (a.ties != b.ties).nnz == 0
    own = TutorialNetworkModel(params_for("years=2"), seed=1)
    assert not np.array_equal(a.students.score, own.students.score)
    a.run()
    b.run()
    assert [r["schools_adopted"] for r in a.table] != [r["schools_adopted"] for r in b.table]


def test_runs_from_one_drawn_system_are_the_runs_drawn_afresh():
    """A calibration worker draws a fixed system once and starts each run from a copy (reusing
    the last run's arrays): every run must be the one a fresh draw would give, whatever ran in
    the worker before it, with other free values."""
    base = base_params([*TINY_SEMINAR, "system.seed=5", "years=2"])
    values = [{p.key: float(p.from_unit(np.array(u))) for p in FREE} for u in (0.3, 0.8)]
    first, second = (with_values(base, v) for v in values)
    calibration_sim._DRAWN.clear()
    calibration_sim._SPARE.clear()
    fresh = calibration_sim.simulate(second, 3)
    calibration_sim._DRAWN.clear()
    calibration_sim._SPARE.clear()
    calibration_sim.simulate(first, 4)
    calibration_sim.simulate(first, 3)
    assert calibration_sim._DRAWN and calibration_sim._SPARE  # a copy, into the spare arrays
    assert np.array_equal(calibration_sim.simulate(second, 3), fresh)
    drawn = next(iter(calibration_sim._DRAWN.values()))
    model = calibration_sim.RecordModel(second, seed=3)
    assert not np.shares_memory(model.students.score, drawn.students.score)


@pytest.mark.parametrize("p", FREE, ids=lambda p: p.key)
def test_unit_cube_maps_onto_the_prior(p):
    ends = p.from_unit(np.array([0.0, 1.0]))
    np.testing.assert_allclose(ends, [p.lo, p.hi])
    np.testing.assert_allclose(p.to_unit(p.from_unit(np.array([0.3]))), [0.3])


# ---------------------------------------------------------------------------- ABC-SMC
def test_log_distance_is_zero_at_the_record_and_counts_ratios():
    recorded = np.array([8.0, 60.0, 400.0])
    assert abc.log_distance(recorded, recorded) == 0
    double = abc.log_distance(2 * recorded + 1, recorded)
    half = abc.log_distance((recorded + 1) / 2 - 1, recorded)
    assert double == pytest.approx(half) == pytest.approx(math.log(2))


def test_weighted_quantile():
    x = np.arange(101, dtype=float)
    assert abc.weighted_quantile(x, np.ones(101), 0.5) == pytest.approx(50)
    w = np.where(x > 50, 1.0, 1e-9)
    assert abc.weighted_quantile(x, w, 0.5) > 70


def test_abc_smc_recovers_a_known_posterior():
    """Simulator x = θ + N(0, σ), θ ~ U(0, 1), observed x near the prior's edge. ABC-SMC with
    the script's own steps must match the exact ABC posterior at its final tolerance ε (the
    prior times P(|x − observed| ≤ ε | θ)), whose mean and sd we integrate numerically."""
    sigma, observed = 0.05, 0.06
    rng = np.random.default_rng(5)

    def distance(u):
        return np.abs(u[:, 0] + sigma * rng.standard_normal(u.shape[0]) - observed)

    u = abc.prior_draws(2048, 1, rng)
    gen = abc.select(0, u, np.ones(len(u)), distance(u), np.arange(len(u)), 400)
    for g in range(1, 4):
        u, importance = abc.propose(gen, 2000, rng)
        assert ((u >= 0) & (u <= 1)).all() and (importance > 0).all()
        gen = abc.select(g, u, importance, distance(u), np.arange(len(u)), 400, gen.tolerance)
    theta = np.linspace(0, 1, 20001)
    eps = gen.tolerance
    exact = stats.norm.cdf((observed + eps - theta) / sigma)
    exact -= stats.norm.cdf((observed - eps - theta) / sigma)
    exact /= exact.sum()
    exact_mean = float(np.sum(theta * exact))
    exact_sd = math.sqrt(float(np.sum((theta - exact_mean) ** 2 * exact)))
    mean = float(np.sum(gen.weights * gen.u[:, 0]))
    sd = math.sqrt(float(np.sum(gen.weights * (gen.u[:, 0] - mean) ** 2)))
    # Monte Carlo error of a weighted mean: sd / sqrt(effective sample size); 4 of them.
    assert abs(mean - exact_mean) <= 4 * exact_sd / math.sqrt(gen.effective_size)
    assert sd == pytest.approx(exact_sd, rel=0.2)
    # A proposal that forgot its importance weights would be too narrow: the check can fail.
    assert gen.effective_size < len(gen.weights)


# ---------------------------------------------------------------------------- the script
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    before = calibrate.CALIBRATED.read_bytes() if calibrate.CALIBRATED.exists() else None
    assert calibrate.main(["--tiny", "--workers", "1", "--no-progress", "--out", str(out)]) == 0
    after = calibrate.CALIBRATED.read_bytes() if calibrate.CALIBRATED.exists() else None
    assert before == after  # tiny mode never writes configs/
    return out


def test_tiny_mode_writes_a_complete_calibration(tiny_run):
    for name in ("proposals.parquet", "trajectories.parquet", "sensitivity.parquet"):
        assert (tiny_run / name).stat().st_size > 0
    text = (tiny_run / "historical.yaml").read_text()
    assert text.startswith("# @package _global_\n")
    doc = yaml.safe_load(text)
    cal = doc["calibration"]
    assert cal["mode"] == "tiny" and cal["system"] == "seminar"
    assert [t["recorded"] for t in cal["targets"]] == [t.schools for t in RECORD]
    for row in cal["parameters"]:
        lo, hi = row["prior"]
        assert lo <= row["lo"] <= row["median"] <= row["hi"] <= hi, row["key"]
        assert lo <= row["estimate"] <= hi, row["key"]
    assert cal["pilot"]["pace"] == pytest.approx(cal["pilot"]["target"] / 2)
    assert cal["fit"]["rms_log_error"] >= 0


def test_tiny_calibration_is_what_the_model_then_runs_with(tiny_run):
    doc = yaml.safe_load((tiny_run / "historical.yaml").read_text())
    d = doc["behaviour"]["diffusion"]
    pilot = doc["calibration"]["pilot"]
    overrides = [f"behaviour.diffusion.{k}={v}" for k, v in d.items()]
    overrides += [f"++calibration.pilot.{k}={v}" for k, v in pilot.items()]
    params = load_params(["scenario=historical", *TINY_SEMINAR, *overrides])
    assert params.behaviour.diffusion.imitation == d["imitation"]
    assert pilot_event(params).target == pilot["target"]


def test_tiny_calibration_does_not_depend_on_the_number_of_workers(tiny_run, tmp_path):
    assert (
        calibrate.main(["--tiny", "--workers", "2", "--no-progress", "--out", str(tmp_path)]) == 0
    )
    assert (tmp_path / "historical.yaml").read_text() == (tiny_run / "historical.yaml").read_text()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--tiny", "--workers", "0"], "--workers: 0 is out of range; allowed: ≥ 1"),
        (["--tiny", "--seed", "-1"], "--seed: -1 is out of range"),
        (["--tiny", "--generations", "3"], "unrecognized arguments: --generations 3"),
    ],
)
def test_bad_command_lines_are_refused_in_one_line(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_:
        calibrate.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "\n" not in err


def test_an_output_folder_that_is_a_file_is_refused_and_left_alone(tmp_path, capsys):
    occupied = tmp_path / "taken"
    occupied.write_text("not a folder")
    with pytest.raises(SystemExit):
        calibrate.main(["--tiny", "--out", str(occupied)])
    assert occupied.read_text() == "not a folder"
    assert "--out:" in capsys.readouterr().err


# ---------------------------------------------------------------------------- resuming
# Every output but summary.json must be the same bytes however the simulations were obtained;
# summary.json may differ only in the invocation's own cost and in what it took from the journal.
OUTPUTS = (
    "proposals.parquet",
    "trajectories.parquet",
    "sensitivity.parquet",
    "historical.yaml",
    calibrate.POSTERIOR.name,
)
INVOCATION_FIELDS = {"wall_seconds", "cpu_seconds", "resumed_runs"}
KILL_AFTER = 3  # records in the journal when the calibration is killed
POLL_SECONDS = 0.02
DEADLINE_SECONDS = 120.0
OTHER_SEED = 7  # a root seed other than the configured one
SIMULATE = calibrate._simulate  # the real one, which stand-ins call


class StoppedError(Exception):
    """Raised by a stand-in simulation: the calibration stops there, as if killed."""


def tiny_argv(out: Path, *extra: str) -> list[str]:
    return ["--tiny", "--workers", "1", "--no-progress", "--out", str(out), *extra]


def records(out: Path) -> list[Path]:
    return sorted((out / journal.FOLDER).glob(f"*{journal.SUFFIX}"))


def total_runs(run: Path) -> int:
    return json.loads((run / "summary.json").read_text())["runs"]


def with_journal_of(run: Path, out: Path) -> Path:
    """A new output folder holding only a copy of `run`'s journal."""
    shutil.copytree(run / journal.FOLDER, out / journal.FOLDER)
    return out


def assert_same_calibration(out: Path, reference: Path) -> dict:
    """`out` holds the same calibration as `reference`; returns `out`'s summary."""
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    summary = json.loads((out / "summary.json").read_text())
    expected = json.loads((reference / "summary.json").read_text())
    assert expected["resumed_runs"] == 0  # the reference simulated everything

    def calibration(fields: dict) -> dict:
        return {k: v for k, v in fields.items() if k not in INVOCATION_FIELDS}

    assert calibration(summary) == calibration(expected)
    return summary


@pytest.fixture
def simulated(monkeypatch) -> list[int]:
    """The seeds of every simulation run in this process from now on (workers=1)."""
    seeds: list[int] = []

    def counting(task):
        seeds.append(task[1])
        return SIMULATE(task)

    monkeypatch.setattr(calibrate, "_simulate", counting)
    return seeds


def stop_after(monkeypatch, n: int) -> list[int]:
    """Simulations run normally n times, then stop the calibration; returns their seeds."""
    seeds: list[int] = []

    def stopping(task):
        if len(seeds) == n:
            raise StoppedError
        seeds.append(task[1])
        return SIMULATE(task)

    monkeypatch.setattr(calibrate, "_simulate", stopping)
    return seeds


def test_tiny_run_keeps_a_journal_of_every_simulation(tiny_run):
    assert len(records(tiny_run)) == total_runs(tiny_run)
    manifest = json.loads((tiny_run / journal.FOLDER / journal.MANIFEST).read_text())
    assert manifest["settings"] == "tiny"


def test_a_killed_calibration_resumes_to_the_same_outputs(tiny_run, tmp_path, simulated):
    """SIGKILL the script once a few simulations are journaled, then rerun it."""
    out, total = tmp_path / "run", total_runs(tiny_run)
    with (tmp_path / "killed.log").open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "experiments.calibrate", *tiny_argv(out)],
            cwd=calibrate.ROOT,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + DEADLINE_SECONDS
        try:
            while child.poll() is None and time.monotonic() < deadline:
                if len(records(out)) >= KILL_AFTER:
                    break
                time.sleep(POLL_SECONDS)
        finally:
            child.kill()
            child.wait()
    kept = len(records(out))
    assert 0 < kept < total, (tmp_path / "killed.log").read_text()
    assert not (out / "summary.json").exists()
    assert calibrate.main(tiny_argv(out)) == 0
    assert len(simulated) == total - kept  # only the missing ones
    assert assert_same_calibration(out, tiny_run)["resumed_runs"] == kept
    assert not list((out / journal.FOLDER).glob(".*.tmp"))


def test_an_interrupted_calibration_keeps_what_it_finished(tiny_run, tmp_path, monkeypatch):
    """A calibration stopped by an error keeps the simulations it finished; the rerun simulates
    only the rest. The journal starts as the full one with a few records removed, so that only
    those few are simulated."""
    out = with_journal_of(tiny_run, tmp_path)
    removed = records(out)[: KILL_AFTER + 1]
    for path in removed:
        path.unlink()
    first = stop_after(monkeypatch, 1)
    with pytest.raises(StoppedError):
        calibrate.main(tiny_argv(out))
    assert len(first) == 1 and len(records(out)) == total_runs(tiny_run) - len(removed) + 1
    assert not any((out / name).exists() for name in OUTPUTS)  # nothing half-done is written
    second = stop_after(monkeypatch, len(removed))
    assert calibrate.main(tiny_argv(out)) == 0
    assert len(second) == len(removed) - 1 and not set(first) & set(second)
    assert_same_calibration(out, tiny_run)


def test_a_complete_journal_reruns_without_simulating(tiny_run, tmp_path, simulated):
    out = with_journal_of(tiny_run, tmp_path)
    assert calibrate.main(tiny_argv(out)) == 0
    assert simulated == []
    assert assert_same_calibration(out, tiny_run)["resumed_runs"] == total_runs(tiny_run)


def test_damaged_records_are_simulated_again(tiny_run, tmp_path, simulated, caplog):
    out = with_journal_of(tiny_run, tmp_path)
    truncated, flipped = records(out)[:2]
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    data = bytearray(flipped.read_bytes())
    data[-1] ^= 1
    flipped.write_bytes(bytes(data))
    assert calibrate.main(tiny_argv(out)) == 0
    assert len(simulated) == 2
    damaged = [r.getMessage() for r in caplog.records if "damaged record" in r.getMessage()]
    assert len(damaged) == 2 and all("\n" not in line for line in damaged)
    assert {line.split(":")[0] for line in damaged} == {str(truncated), str(flipped)}
    assert assert_same_calibration(out, tiny_run)["resumed_runs"] == total_runs(tiny_run) - 2
    for path in (truncated, flipped):  # replaced by the fresh records
        assert journal.decode(path.stem, path.read_bytes()).size > 0


def other_seed(out: Path, monkeypatch) -> list[str]:
    return tiny_argv(out, "--seed", str(OTHER_SEED))


def other_settings(out: Path, monkeypatch) -> list[str]:
    return ["--no-progress", "--out", str(out)]  # the full calibration


def other_model(out: Path, monkeypatch) -> list[str]:
    monkeypatch.setattr(calibrate, "MODEL_LIBRARIES", (*calibrate.MODEL_LIBRARIES, "pandas"))
    return tiny_argv(out)


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        (other_seed, "seed {seed} there, {other} here"),
        (other_settings, "settings tiny there, full here"),
        (other_model, "other model code or libraries"),
    ],
    ids=["seed", "settings", "model"],
)
def test_a_journal_of_another_calibration_is_refused_in_one_line(
    other, reason, tiny_run, tmp_path, monkeypatch, capsys
):
    out = with_journal_of(tiny_run, tmp_path)
    before = {path.name: path.read_bytes() for path in (out / journal.FOLDER).iterdir()}
    stop_after(monkeypatch, 0)  # a refusal simulates nothing
    assert calibrate.main(other(out, monkeypatch)) == 2
    seed = json.loads((tiny_run / "summary.json").read_text())["seed"]
    assert capsys.readouterr().err.strip() == (
        f"error: {out / journal.FOLDER} belongs to another calibration "
        f"({reason.format(seed=seed, other=OTHER_SEED)}); pass --fresh to discard it"
    )
    after = {path.name: path.read_bytes() for path in (out / journal.FOLDER).iterdir()}
    assert after == before
    assert not any((out / name).exists() for name in OUTPUTS)


def test_fresh_discards_the_journal(tiny_run, tmp_path, monkeypatch):
    out = with_journal_of(tiny_run, tmp_path)
    stop_after(monkeypatch, 0)
    with pytest.raises(StoppedError):
        calibrate.main(tiny_argv(out, "--seed", str(OTHER_SEED), "--fresh"))
    assert records(out) == []
    manifest = json.loads((out / journal.FOLDER / journal.MANIFEST).read_text())
    assert manifest["seed"] == OTHER_SEED


# ---------------------------------------------------------------------------- committed fit
def test_committed_calibration_comes_from_the_script_and_the_scenario_reads_it():
    text = calibrate.CALIBRATED.read_text()
    assert "Written by that script only" in text
    doc = yaml.safe_load(text)
    cal = doc["calibration"]
    assert cal["mode"] == "full" and cal["system"] == "historical" and cal["overrides"] == []
    params = load_params(["scenario=historical"])
    for key, value in doc["behaviour"]["diffusion"].items():
        assert getattr(params.behaviour.diffusion, key) == value
    pilot = pilot_event(params)
    assert (pilot.target, pilot.pace) == (cal["pilot"]["target"], cal["pilot"]["pace"])
    by_key = {row["key"]: row for row in cal["parameters"]}
    assert set(by_key) == {p.key for p in FREE}
    for p in FREE:
        row = by_key[p.key]
        assert p.lo <= row["lo"] <= row["median"] <= row["hi"] <= p.hi
    assert [t["recorded"] for t in cal["targets"]] == [t.schools for t in RECORD]


# ---------------------------------------------------------------------------- the report
def test_report_builds_from_a_calibration(tiny_run, tmp_path):
    out = tmp_path / "report"
    assert calibration_report.main(["--run", str(tiny_run), "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    for section in ("Targets", "Fitted parameters", "Fit", "Sensitivity"):
        assert any(section in h for h in headings), section
    images = [line.split("(")[1].rstrip(")") for line in report.splitlines() if "![" in line]
    assert images and all((out / image).stat().st_size > 1000 for image in images)


def test_validation_rows_carry_the_pemle_schools_states():
    """The validation's own columns reach the collected table (rows are views on the
    DataCollector's columns: a column added to a row after collection would be lost)."""
    from experiments.calibration_validate import ValidationModel

    model = ValidationModel(load_params(["scenario=mandated", "years=1"]), seed=3)
    model.run(13)
    row = model.table[-1]
    assert (
        row["pemle_genuine"] + row["pemle_surface"] + row["pemle_lapsed"]
        == int(model.schools.mandated.sum())
        > 0
    )
    assert 0.0 <= row["pemle_teacher_genuine_share"] <= 1.0
    assert sorted(model.tests) == [2004.0, 2005.0]  # the start, and the first year's test
