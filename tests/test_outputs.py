"""What the main job shows and writes for people: the printed comparison (100 columns, totals,
units, when each outcome is taken), the long numeric comparison.parquet, learning taken at the
same point of the school year, files a group can read, and a help that teaches."""

from __future__ import annotations

import math
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import stats
from runs import table
from sim import outcomes
from sim.metrics import school_year_end

ROOT = Path(__file__).resolve().parent.parent
UMASK = 0o027  # group may read, others nothing: every file and folder must follow it


def run_sim(*args: str, umask: int | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )


@pytest.fixture(scope="module")
def main_job(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("main") / "run"
    proc = run_sim(
        "years=2", "replicates=3", "output.snapshot_steps=[6]", f"hydra.run.dir={out}", umask=UMASK
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_printed_table_fits_100_columns_and_says_what_it_counts(main_job):
    out, stdout = main_job
    lines = stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    summary = pd.read_parquet(out / "summary.parquet")
    schools = sorted(set(summary["n_schools"]))
    assert f"{schools[0]:,}" in lines[0] and "schools" in lines[0] and "teachers" in lines[0]
    assert "final values (month 24)" in stdout
    assert "at the end of the last school year (month 23" in stdout
    assert "mean over the run" in stdout
    genuine = next(line for line in lines if line.startswith("genuine schools"))
    assert "of " in genuine and " schools" in genuine
    assert any(line.startswith("mean score") and "score 0–1" in line for line in lines)


def test_comparison_parquet_is_long_numeric_and_matches_the_runs(main_job):
    out, _ = main_job
    comp = pd.read_parquet(out / "comparison.parquet")
    summary = pd.read_parquet(out / "summary.parquet")
    assert list(comp.columns) == ["outcome", "scenario", "mean", "lo", "hi", "n"]
    assert all(pd.api.types.is_float_dtype(comp[c]) for c in ("mean", "lo", "hi"))
    assert set(comp.outcome) == set(outcomes.TABLE)
    assert len(comp) == len(outcomes.TABLE) * 2 and (comp.n == 3).all()
    row = comp[(comp.outcome == "final_schools_genuine") & (comp.scenario == "mandated")].iloc[0]
    x = summary.loc[summary.scenario == "mandated", "final_schools_genuine"]
    assert row["mean"] == pytest.approx(x.mean())
    assert row["lo"] <= row["mean"] <= row["hi"]


def test_learning_is_taken_the_month_before_the_cohort_turns_over(main_job):
    out, _ = main_job
    steps = pd.read_parquet(out / "steps.parquet")
    summary = pd.read_parquet(out / "summary.parquet")
    assert (summary.year_end_step == 23).all()
    for run in summary.itertuples():
        month = steps[(steps.scenario == run.scenario) & (steps.replicate == run.replicate)]
        at = month.set_index("step")
        assert run.year_end_mastery_mean == at.loc[23, "mastery_mean"]
        assert run.final_mastery_mean == at.loc[24, "mastery_mean"]
    # A new cohort lowers mean mastery: the month after the turnover is not what is reported.
    assert (summary.final_mastery_mean < summary.year_end_mastery_mean).all()


def test_school_year_end_is_the_last_month_before_a_turnover():
    rows = [{"step": s} for s in range(30)]
    assert school_year_end(rows, 12)["step"] == 23
    assert school_year_end(rows[:5], 12)["step"] == 4  # shorter than a school year: the last
    assert school_year_end(rows, 1)["step"] == 29  # a turnover every step: the last


def test_every_output_follows_the_umask(main_job):
    out, _ = main_job
    paths = [out, *out.rglob("*")]
    assert any(p.name == "config.yaml" for p in paths)  # Hydra's own files are included
    assert any(".parquet" in p.name and "snapshots" in str(p) for p in paths)
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        expected = (0o777 if path.is_dir() else 0o666) & ~UMASK
        assert mode == expected, f"{path}: {oct(mode)}"


def test_render_wraps_many_scenarios_within_100_columns():
    names = [f"scenario_with_a_long_name_{i}" for i in range(7)]
    long = pd.DataFrame(
        [[o, s, 1234.5, 1000.0, 1469.0, 3] for s in names for o in outcomes.TABLE],
        columns=table.COLUMNS,
    )
    summary = pd.DataFrame({"n_schools": [150, 152], "year_end_step": [119, 119]})
    text = table.render(long, summary, "seminar system", months=120)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert all(name in text for name in names)
    assert "of 150–152 schools" in text and "1.23e+03 [1e+03, 1.47e+03]" in text


def test_the_tables_intervals_stay_inside_each_outcomes_range():
    """Three replicates of a rare count: the t interval alone would reach below 0 schools, and
    that of a share near 1 above 1; cut to the range, both stay where the mean can be."""
    from runs.intervals import mean_ci

    counts = [0.0, 0.0, 12.0]
    assert mean_ci(counts)[1] < 0
    m, lo, hi, n = mean_ci(counts, within=(0.0, None))
    assert (m, n) == (4.0, 3) and lo == 0.0 and hi == mean_ci(counts)[2]
    shares = [0.99, 1.0, 0.9]
    assert mean_ci(shares)[2] > 1
    assert mean_ci(shares, within=(0.0, 1.0))[2] == 1.0
    summary = pd.DataFrame(
        {"scenario": "mandated", "final_schools_genuine": counts, "final_motivation_mean": shares}
    )
    long = table.comparison(summary, ["final_schools_genuine", "final_motivation_mean"])
    assert (long["lo"] >= 0).all() and (long["hi"] <= [np.inf, 1.0]).all()


def test_sweep_comparison_cells_are_numbers():
    rng = np.random.default_rng(1)
    summary = pd.DataFrame(
        {
            "cell": np.repeat(["a", "b"], 4),
            "arm": np.repeat(["voluntary", "mandated"], 4),
            **{col: rng.random(8) for col in stats.OUTCOMES},
        }
    )
    comp = stats.comparison(summary, ["arm"])
    assert list(comp.columns) == ["cell", "outcome", "mean", "lo", "hi", "n"]
    assert len(comp) == 2 * len(stats.OUTCOMES)
    assert all(isinstance(v, float) for v in comp["mean"])
    first = comp.iloc[0]
    assert first["mean"] == pytest.approx(summary.loc[:3, first["outcome"]].mean())
    assert first["lo"] < first["mean"] < first["hi"] and not math.isnan(first["lo"])


def test_help_teaches_the_choices_and_levers():
    proc = run_sim("scenario=hybrid", "--help")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    for name in ("seminar", "national", "voluntary", "test_and_punish", "policy_reversal"):
        assert f"  {name} " in text
    assert "The movement alone: volunteer teachers" in text  # configs/scenario/voluntary.yaml
    for hidden in ("_base", "_sweep", "calibrated", "app:", "== Config =="):
        assert hidden not in text
    assert "scenario.mandate.pace=15\n" in text  # the hybrid scenario's value
    assert "schools added per year; allowed: [0.0, 10000000]" in text
    assert "docs/ODD.md" in text
    assert max(len(line) for line in text.splitlines()) <= 100
