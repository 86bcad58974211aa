"""Posterior ensembles: the stored posterior comes from the calibration script, draws come from it
by weight and from the root seed alone, a draw sets the keys it names, the two spreads separate
the seeds from the record, and a main job and a sweep on two workers run the same ensemble.

The runs are tiny (seminar system, one year, two replicates, two draws): the file takes about
20 seconds, most of it the main job and the sweep starting Python.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import stats
from analysis.collect import collect
from experiments import calibrate
from experiments.calibration_sim import FREE, pilot_event
from runs import posterior, table
from runs.config import CONFIG_DIR, compose_config, params_from_config
from runs.driver import replicate_seeds
from runs.intervals import spread
from sim import outcomes

ROOT = Path(__file__).resolve().parent.parent
SEED = 20040801  # configs/config.yaml
# Both the main job and the sweep: these values in every scenario and cell.
SHARED = ["years=1", "replicates=2", "posterior=historical", "posterior_draws=2"]
MANDATE = ["scenario.mandate.pace=10", "scenario.mandate.coach_capacity=5"]


@pytest.fixture(scope="module")
def stored() -> posterior.Posterior:
    return posterior.load("historical", CONFIG_DIR)


def write_posterior(path: Path, weights: list[float]) -> posterior.Posterior:
    """A posterior of len(weights) particles, particle i with imitation 0.01 × (i + 1)."""
    lines = ["# a test posterior", "particle,weight,behaviour.diffusion.imitation"]
    lines += [f"{i},{w},{0.01 * (i + 1)}" for i, w in enumerate(weights)]
    path.write_text("\n".join(lines) + "\n")
    return posterior.read(path, {"behaviour.diffusion.imitation"})


# --------------------------------------------------------------------------- the stored sample
def test_the_stored_posterior_is_the_scripts_export_of_the_calibration(stored, tmp_path):
    assert calibrate.main(["--export-posterior", "--out", str(tmp_path)]) == 0
    written = tmp_path / calibrate.POSTERIOR.name
    assert written.read_bytes() == calibrate.POSTERIOR.read_bytes()
    assert written.read_text().startswith("# Weighted particles")
    assert stored.keys == tuple(p.key for p in FREE)
    assert sum(stored.weights) == pytest.approx(1.0, abs=1e-12)
    report = pd.read_csv(calibrate.REPORTED_POSTERIOR)
    assert list(stored.particles) == sorted(report["proposal_id"])
    values = np.array(stored.values)
    for j, p in enumerate(FREE):
        assert (p.lo <= values[:, j]).all() and (values[:, j] <= p.hi).all(), p.key


# --------------------------------------------------------------------------- drawing
def test_draws_depend_on_the_root_seed_alone_and_keep_their_order(stored):
    first = posterior.draw(stored, 8, SEED)
    assert first == posterior.draw(stored, 8, SEED)
    assert [d.particle for d in posterior.draw(stored, 3, SEED)] == [d.particle for d in first[:3]]
    assert [d.particle for d in first] != [d.particle for d in posterior.draw(stored, 8, SEED + 1)]
    rows = {
        pid: dict(zip(stored.keys, v, strict=True))
        for pid, v in zip(stored.particles, stored.values, strict=True)
    }
    for d in first:  # every draw is one of the stored parameter sets, whole
        assert d.values == rows[d.particle]


def test_weighted_resampling_honours_the_weights(tmp_path):
    only = write_posterior(tmp_path / "only.csv", [0.0, 1.0, 0.0])
    assert {d.particle for d in posterior.draw(only, 200, SEED)} == {1}
    uneven = write_posterior(tmp_path / "uneven.csv", [1.0, 4.0])  # normalized to 0.2, 0.8
    assert uneven.weights == (0.2, 0.8)
    share = np.mean([d.particle == 1 for d in posterior.draw(uneven, 4000, SEED)])
    assert abs(share - 0.8) < 4 * np.sqrt(0.8 * 0.2 / 4000)


def test_a_draw_sets_the_keys_it_names_and_the_pilot_keeps_its_duration(stored):
    draw = posterior.draw(stored, 1, SEED)[0]
    historical = compose_config(["scenario=historical"])
    base = pilot_event(params_from_config(historical))
    params = params_from_config(posterior.apply(historical, draw.values))
    target = round(draw.values["calibration.pilot.target"])
    assert (pilot_event(params).target, pilot_event(params).pace) == (
        target,
        target * base.pace / base.target,
    )
    assert params.behaviour.diffusion.imitation == draw.values["behaviour.diffusion.imitation"]
    voluntary = compose_config(["scenario=voluntary"])  # no pilot to size: only the hazards
    drawn = params_from_config(posterior.apply(voluntary, draw.values))
    assert drawn.behaviour.diffusion.outreach == draw.values["behaviour.diffusion.outreach"]
    assert "calibration" not in posterior.apply(voluntary, draw.values)


# --------------------------------------------------------------------------- the two spreads
def test_the_spreads_separate_the_seeds_from_the_record():
    rng = np.random.default_rng(3)
    draws, seeds = 400, 6
    group = np.repeat(np.arange(draws), seeds)
    expected = rng.normal(50.0, 4.0, draws)  # what the record leaves unknown: sd 4
    y = expected[group] + rng.normal(0.0, 2.0, draws * seeds)  # chance: sd 2
    s = spread(y, group)
    assert s.sd_seeds == pytest.approx(2.0, rel=0.05)
    assert s.sd_record == pytest.approx(4.0, rel=0.1)
    assert s.record_hi - s.record_lo == pytest.approx(2 * 1.959964 * s.sd_record)
    flat = spread(50.0 + rng.normal(0.0, 2.0, draws * seeds), group)  # no parameter effect
    assert flat.sd_record < 0.3
    near_one = 0.97 + rng.normal(0.0, 0.02, draws)[group] + rng.normal(0.0, 0.02, group.size)
    share = spread(np.clip(near_one, 0.0, 1.0), group, (0.0, 1.0))  # a share: cut at 1
    assert share.seeds_hi == share.record_hi == 1.0 and share.seeds_lo > 0.0


# --------------------------------------------------------------------------- without a posterior
def test_without_a_posterior_everything_runs_as_before():
    from experiments.folder import make_plan
    from experiments.plan import compose_full
    from runs.driver import run_scenarios

    cfg = compose_config(["years=1"])
    assert cfg.posterior == posterior.NONE and posterior.ensemble(cfg, CONFIG_DIR) is None
    steps, summary = run_scenarios({"voluntary": params_from_config(cfg)}, [SEED], "seminar")
    assert list(summary.columns[:4]) == ["scenario", "system", "replicate", "seed"]
    assert "draw" not in steps and "draw" not in summary
    assert list(table.comparison(summary).columns) == table.COLUMNS
    sweep = ["+experiment=voluntary_vs_mandated", "years=1"]
    identity = make_plan(compose_full(sweep), sweep).identity
    assert "posterior" not in identity and "posterior_draws" not in identity


# --------------------------------------------------------------------------- the ensemble run
def run(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def main_job(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("ensemble") / "main"
    proc = run(*SHARED, *MANDATE, "output.plot=false", f"hydra.run.dir={out}")
    return out, proc.stdout


def test_the_main_job_crosses_draws_with_seeds_and_shows_both_spreads(main_job, stored):
    out, stdout = main_job
    summary = pd.read_parquet(out / "summary.parquet")
    draws = posterior.draw(stored, 2, SEED)
    seeds = replicate_seeds(SEED, 2)
    for _, group in summary.groupby("scenario"):
        runs = sorted(zip(group["draw"], group["particle"], group["seed"], strict=True))
        assert runs == sorted((d.index, d.particle, s) for d in draws for s in seeds)
        for d in draws:  # each run carries the values it ran with
            rows = group[group["draw"] == d.index]
            for key, value in d.values.items():
                if key in rows:
                    assert (rows[key] == value).all()
    long = pd.read_parquet(out / "comparison.parquet")
    assert list(long.columns) == table.ENSEMBLE_COLUMNS
    assert set(long["scenario"]) == {"voluntary", "mandated", "mandated − voluntary"}
    for r in long[long["scenario"] != "mandated − voluntary"].itertuples():
        outcome = outcomes.BY_NAME[r.outcome]
        hi = np.inf if outcome.hi is None else outcome.hi
        for lo_, hi_ in ((r.seeds_lo, r.seeds_hi), (r.record_lo, r.record_hi)):
            assert outcome.lo <= lo_ <= r.mean <= hi_ <= hi
    lines = stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "2 parameter draws from the historical posterior" in stdout
    genuine = next(line for line in lines if line.startswith("genuine schools"))
    assert "[" in genuine and "(" in genuine.split("schools)", 1)[1]
    assert "mandated − voluntary" in stdout


def test_scenario_differences_are_paired_by_draw_and_seed(main_job):
    out, _ = main_job
    summary = pd.read_parquet(out / "summary.parquet")
    long = pd.read_parquet(out / "comparison.parquet").set_index(["scenario", "outcome"])
    a = summary[summary["scenario"] == "mandated"].set_index(["draw", "replicate"]).sort_index()
    b = summary[summary["scenario"] == "voluntary"].set_index(["draw", "replicate"]).sort_index()
    diff = a["final_schools_genuine"] - b["final_schools_genuine"]
    row = long.loc[("mandated − voluntary", "final_schools_genuine")]
    assert row["mean"] == pytest.approx(diff.groupby("draw").mean().mean())
    assert row["sd_seeds"] == pytest.approx(spread(diff, diff.index.get_level_values(0)).sd_seeds)


def test_a_sweep_on_two_workers_runs_the_same_ensemble_and_reports_both_spreads(main_job, tmp_path):
    folder = tmp_path / "sweep"
    run(
        "-m",
        "+experiment=voluntary_vs_mandated",
        "arm=voluntary,mandated",
        *SHARED,
        *MANDATE,
        "output.progress=false",
        "hydra.launcher.n_jobs=2",
        f"hydra.sweep.dir={folder}",
    )
    results = collect(folder)
    swept = results.summary.assign(scenario=results.summary["arm"])
    main = pd.read_parquet(main_job[0] / "summary.parquet")
    key = ["scenario", "draw", "replicate"]
    columns = [*key, "particle", "seed", *(o for o in outcomes.TABLE)]
    pd.testing.assert_frame_equal(
        swept[columns].sort_values(key).reset_index(drop=True),
        main[columns].sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    comp = stats.comparison(results.summary, results.label_keys)
    assert set(stats.SPREADS) <= set(comp.columns)
    effects = stats.effects(results.summary, results.label_keys, "arm", "voluntary")
    assert effects.loc[0, "n"] == 4  # 2 draws × 2 seeds, paired
    assert "Δ genuine schools, record" in effects
    assert results.status is not None and results.status.complete
