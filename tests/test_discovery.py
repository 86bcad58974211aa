"""Scenario discovery, robustness, designs and policy search on problems whose answer is known.

PRIM must find a box planted in synthetic data; regret must match a hand computation; a Latin
hypercube must stratify every factor and draw the posterior by its weights; Optuna, searching the
`design_a_scaleup` space with a cheap stand-in objective, must find its known optimum. A few
seconds each, besides importing EMA Workbench and the stand-in search (about 15 s).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from analysis import discovery, robustness
from analysis.collect import Results, Sweep
from experiments import design, plan
from sim.params import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def planted(cells: int = 160, replicates: int = 6, seed: int = 3) -> Results:
    """Runs whose success is likely (90%) only where a > 0.6 and b < 0.3; c and mode do nothing."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "a": rng.random(cells),
            "b": rng.random(cells),
            "c": rng.random(cells),
            "mode": rng.choice(["cascade", "nodes"], cells),
        }
    )
    inside = (x["a"] > 0.6) & (x["b"] < 0.3)
    rows = []
    for i, row in x.iterrows():
        chance = 0.9 if inside[i] else 0.05
        for r in range(replicates):
            rows.append({"cell": f"c{i}", "replicate": r, **row, "score": rng.random() < chance})
    summary = pd.DataFrame(rows)
    summary["score"] = summary["score"].astype(float)
    sweep = Sweep(Path("."), OmegaConf.create({"experiment": {"design": None}}))
    return Results(sweep, summary, pd.DataFrame(), ["a", "b", "c", "mode"], 0)


def test_prim_recovers_a_planted_box_with_replicate_intervals():
    found = discovery.discover(planted(), "score >= 1", density=0.8, bootstrap=200, stability=10)
    box = found.limits.set_index("factor")
    assert set(box.index) == {"a", "b"}  # c and mode are left free
    lo_a = float(box.loc["a", "in the box"].split(" to ")[0])
    hi_b = float(box.loc["b", "in the box"].split(" to ")[1])
    assert lo_a == pytest.approx(0.6, abs=0.08) and hi_b == pytest.approx(0.3, abs=0.08)
    density, coverage = found.density, found.coverage
    assert density[0] > 0.8 and coverage[0] > 0.7
    assert density[1] <= density[0] <= density[2] and coverage[1] <= coverage[0] <= coverage[2]
    assert 0 < density[2] - density[1] < 0.3  # replicate noise, honestly wide but informative
    shares = found.restricted_share  # how often reruns on resamples keep each restriction
    assert shares["b"] >= 0.7 and shares["a"] > shares["c"] and shares["mode"] <= 0.3
    # The tree's most successful leaf is the planted corner.
    best = found.tree[0]
    assert best["probability of success"] > 0.7 and "a >" in best["conditions"]


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("happiness >= 0.5", "unknown outcome 'happiness'"),
        ("__import__('os') == 1", "only outcome names"),
        ("final_schools_genuine >=", "cannot read"),
    ],
)
def test_a_bad_success_definition_is_named_in_one_line(expression, names):
    with pytest.raises(ConfigError, match=names) as err:
        discovery.check_success(expression, ["final_schools_genuine"])
    assert "\n" not in str(err.value)


def test_success_reads_plain_conditions():
    runs = pd.DataFrame({"x": [0.2, 0.6, 0.9, np.nan], "y": [0.1, 0.7, 0.3, 0.1]})
    assert list(discovery.succeeded(runs, "x >= 0.5 and y <= 0.5")) == [False, False, True, False]
    assert list(discovery.succeeded(runs, "x >= 0.5 or y < 0.2")) == [True, True, True, True]


def test_regret_and_satisficing_match_a_hand_computation():
    # Two arms, two states, two replicates (seeds shared by the arms).
    #            state s1          state s2
    # arm A     10, 12 (mean 11)    4, 6  (mean 5)
    # arm B      8,  8 (mean 8)     7, 9  (mean 8)
    # Best in s1: A; in s2: B. Regret of A: s1 0, s2 (7-4 + 9-6)/2 = 3 → mean 1.5, worst 3.
    # Regret of B: s1 (10-8 + 12-8)/2 = 3, s2 0 → mean 1.5, worst 3; a tie broken by
    # satisficing (score ≥ 8): A 2 of 4 runs, B 3 of 4.
    values = {("A", "s1"): [10, 12], ("A", "s2"): [4, 6], ("B", "s1"): [8, 8], ("B", "s2"): [7, 9]}
    rows = [
        {"cell": f"{a}{s}", "arm": a, "state_key": s, "replicate": r, "score": float(v)}
        for (a, s), vs in values.items()
        for r, v in enumerate(vs)
    ]
    table = robustness.table(pd.DataFrame(rows), ["arm", "state_key"], "score", "score >= 8")
    table = table.set_index("arm")
    assert table.loc["A", "mean regret"][0] == pytest.approx(1.5)
    assert table.loc["A", "worst regret"][0] == pytest.approx(3.0)
    assert table.loc["B", "mean regret"][0] == pytest.approx(1.5)
    assert table.loc["A", "satisficing"][0] == pytest.approx(0.5)
    assert table.loc["B", "satisficing"][0] == pytest.approx(0.75)
    assert list(table.index) == ["B", "A"] and list(table["rank"]) == [1, 2]
    lo, hi = table.loc["A", "mean regret"][1:]
    assert lo <= 1.5 <= hi


def test_an_arm_that_ignores_a_key_counts_in_every_state():
    rows = [
        {"cell": "v", "arm": "voluntary", "pace": None, "replicate": 0, "score": 5.0},
        {"cell": "m10", "arm": "mandated", "pace": 10, "replicate": 0, "score": 7.0},
        {"cell": "m40", "arm": "mandated", "pace": 40, "replicate": 0, "score": 3.0},
    ]
    table = robustness.table(pd.DataFrame(rows), ["arm", "pace"], "score", None, bootstrap=10)
    table = table.set_index("arm")
    # voluntary: regret 2 at pace 10, 0 at pace 40; mandated: 0 and 2.
    assert table.loc["voluntary", "mean regret"][0] == pytest.approx(1.0)
    assert table.loc["mandated", "worst regret"][0] == pytest.approx(2.0)


def test_latin_hypercube_stratifies_and_draws_the_posterior_by_weight(tmp_path):
    posterior = tmp_path / "posterior.csv"
    pd.DataFrame(
        {"weight": [0.0, 1.0, 3.0], "behaviour.diffusion.imitation": [0.9, 0.02, 0.05]}
    ).to_csv(posterior, index=False)
    cfg = OmegaConf.create(
        {
            "experiment": {
                "design": {
                    "method": "lhs",
                    "n": 40,
                    "seed": 1,
                    "levers": {
                        "scenario.mandate.pace": [5, 40],
                        "scenario.sheltered": {"choices": [False, True]},
                    },
                    "uncertainties": {"behaviour.practice.decay": [0.01, 0.04]},
                    "posterior": {"file": str(posterior), "prefix": "behaviour.diffusion."},
                }
            }
        }
    )
    spec = design.spec_of(cfg)
    points = design.points(spec)
    assert len(points) == 40 and spec.uncertainties[-1] == "behaviour.diffusion.imitation"
    # One draw in each tenth of the range for every 4 points: a Latin hypercube's strata.
    decay = np.floor((points["behaviour.practice.decay"] - 0.01) / 0.03 * 40)
    assert sorted(decay.astype(int)) == list(range(40))
    assert points["scenario.mandate.pace"].between(5, 40).all()
    assert points["scenario.mandate.pace"].map(lambda v: isinstance(v, int)).all()
    assert set(points["scenario.sheltered"]) == {False, True}
    drawn = points["behaviour.diffusion.imitation"]
    assert 0.9 not in set(drawn)  # weight 0 is never drawn
    assert (drawn == 0.05).sum() == 30  # 3/4 of the points, exactly, being stratified
    # The same point gives the same overrides whenever it is asked for.
    assert design.overrides(spec, 7) == design.overrides(design.spec_of(cfg), 7)
    with pytest.raises(ConfigError, match="power of 2"):
        design.spec_of(OmegaConf.merge(cfg, {"experiment": {"design": {"method": "sobol"}}}))


def test_a_design_experiment_is_checked_and_runs_replicate_zero_first():
    planned = plan.check(["+experiment=mandate_conditions", "point=range(0,4)"])
    assert sum(c.runs for c in planned) == 2 * 4
    cfg = plan.compose_full(["+experiment=mandate_conditions"])
    axes = plan.sweep_axes(cfg.hydra.sweeper.params, [])
    assert next(iter(axes)) == "replicate"  # outermost: every cell's first replicate comes first
    with pytest.raises(ConfigError, match="point: 48 is out of range"):
        plan.check(["+experiment=mandate_conditions", "point=47,48"])
    with pytest.raises(ConfigError, match="both swept and drawn"):
        plan.check(["+experiment=mandate_conditions", "scenario.mandate.pace=10,20"])


def test_optuna_finds_the_known_optimum_of_a_stand_in_objective(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "standin_search.py"),
            "-m",
            "+experiment=design_a_scaleup",
            "hydra/launcher=basic",
            "hydra.sweeper.n_trials=30",
            "hydra.sweeper.n_jobs=1",
            f"hydra.sweep.dir={tmp_path}",
            "output.progress=false",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    best = yaml.safe_load((tmp_path / "optimization_results.yaml").read_text())["best_params"]
    assert abs(best["scenario.mandate.pace"] - 30) <= 6
    assert abs(best["scenario.mandate.coach_capacity"] - 8) <= 4
    assert best["scenario.mandate.coaching"] == "nodes" and best["scenario.sheltered"] is True
