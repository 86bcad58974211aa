"""Calibration to the historical record: the scenario, the ABC-SMC machinery, the script's tiny
mode end to end, the committed calibrated file, and the report built from a calibration."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from analysis import calibration_report
from experiments import calibrate
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
