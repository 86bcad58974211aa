"""One calibrated value means the same behaviour on a small system and on a large one.

Every recruitment channel is what one agent, one contact, one zone or one state's team does, so
the movement's growth from the same seed schools should not depend on how many schools the
system has beyond them. Docking-style: the voluntary scenario on the one-state `seminar` system
and on the same state four times larger (8 sectors instead of 2: four times the zones, schools
and teachers), with the outreach strong enough to matter (a teacher a month), 16 replicates
each; at four checkpoints the number of teachers who joined is compared with a two-sample KS test,
Bonferroni-corrected to a family-wise error of 0.05. A per-teacher outreach hazard (the old
rule) recruits four times as many on the larger system, and the same test rejects it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from runs.config import load_params
from runs.driver import replicate_seeds
from sim.model import TutorialNetworkModel

REPLICATES = 16
MONTHS = (6, 12, 18, 24)
FAMILY_ERROR = 0.05
LEVEL = FAMILY_ERROR / len(MONTHS)
SMALL = ("scenario=voluntary", "behaviour.diffusion.outreach=1.0", "years=2")
LARGE = (*SMALL, "system.sectors_per_state=8")


def joined(overrides: tuple[str, ...]) -> np.ndarray:
    """Teachers who ever joined as volunteers, beyond the seed schools', at each checkpoint."""
    params = load_params(list(overrides))
    out = []
    for seed in replicate_seeds(1, REPLICATES):
        model = TutorialNetworkModel(params, seed=seed)
        seeds = int(model.teachers.ever_adopted.sum())
        counts = []
        for month in range(1, max(MONTHS) + 1):
            model.step()
            if month in MONTHS:
                counts.append(int(model.teachers.ever_adopted.sum()) - seeds)
        out.append(counts)
    return np.array(out)


@pytest.fixture(scope="module")
def small() -> np.ndarray:
    return joined(SMALL)


def smallest_p(a: np.ndarray, b: np.ndarray) -> float:
    return min(stats.ks_2samp(a[:, j], b[:, j]).pvalue for j in range(len(MONTHS)))


def test_the_movement_grows_alike_on_a_system_four_times_larger(small):
    large = joined(LARGE)
    assert smallest_p(small, large) >= LEVEL, (small.mean(axis=0), large.mean(axis=0))


def test_an_outreach_that_grows_with_the_system_is_caught(small):
    """The old per-teacher hazard: on the larger system the same value recruits four times as
    many through outreach (here: the state's team reaching 4 teachers a month, not 1)."""
    scaled = joined((*LARGE, "behaviour.diffusion.outreach=4.0"))
    assert smallest_p(small, scaled) < LEVEL, (small.mean(axis=0), scaled.mean(axis=0))


def test_the_size_docking_command_compares_two_systems_and_says_whether_they_dock(tmp_path):
    """`experiments.size_docking` (historical vs national with the fitted values; here its CI
    size) writes every run's counts and the tests, and prints the verdict."""
    import json

    import pandas as pd

    from experiments import size_docking

    assert size_docking.main(["--tiny", "--replicates", "3", "--workers", "1", "--out",
                              str(tmp_path)]) == 0  # fmt: skip
    counts = pd.read_parquet(tmp_path / "counts.parquet")
    assert len(counts) == 2 * 3 * len(size_docking.TINY_YEARS)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert len(summary["tests"]) == len(size_docking.TINY_YEARS)
    assert all(0 <= t["ks p"] <= 1 and 0 <= t["mann-whitney p"] <= 1 for t in summary["tests"])
    assert summary["docks"] == all(t["docks"] for t in summary["tests"])


def test_the_one_system_question_compares_runs_from_one_drawn_system(tmp_path):
    """`--one-system` (the national calibration's assumption, here at CI size) runs the same
    scenario drawing a system per seed and from one drawn system: the second set's runs share
    their initial system, the first set's do not."""
    import json

    from experiments import size_docking

    assert size_docking.main(["--tiny", "--one-system", "--replicates", "3", "--workers", "1",
                              "--out", str(tmp_path)]) == 0  # fmt: skip
    summary = json.loads((tmp_path / "summary.json").read_text())
    own, one = summary["systems"].values()
    assert not any(o.startswith("system.seed=") for o in own)
    assert [o for o in one if o.startswith("system.seed=")] and one[: len(own)] == own
