"""Morris screening and Sobol indices find what drives an outcome, and nothing where nothing can.

``behaviour.assessment.excellent_share`` only sets where the test's top level starts: it is read
by the metrics, never by the dynamics. With the same seeds at every sample point (common random
numbers) its elementary effects on the number of genuine schools are exactly zero, and so is its
Sobol total index; the imitation hazard must show an effect. Small samples (two simulated years,
a few dozen points) keep the file to about 15 seconds.
"""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf, open_dict

from analysis import sensitivity
from analysis.collect import open_sweep
from experiments import plan
from sim.params import ConfigError

PARAMETERS = {
    "behaviour.diffusion.imitation": [0.05, 0.4],
    "behaviour.practice.coach_rate": [0.075, 0.3],
    "behaviour.assessment.excellent_share": [0.01, 0.1],
}


def make_sweep(tmp_path, parameters=PARAMETERS, outcome="final_schools_genuine"):
    """A sweep folder as Hydra starts one: the driver's config in multirun.yaml."""
    cfg = plan.compose_full(["+experiment=voluntary_vs_mandated", "years=2"])
    with open_dict(cfg):
        cfg.hydra.overrides.task = ["+experiment=voluntary_vs_mandated", "years=2"]
        spec = cfg.experiment.sensitivity
        spec.parameters = parameters
        spec.outcome = outcome
        spec.arm = "voluntary"
        spec.morris.trajectories = 6
        spec.sobol.base_samples = 8
    OmegaConf.save(cfg, tmp_path / "multirun.yaml")
    return open_sweep(tmp_path)


def test_morris_and_sobol_rank_a_driver_above_a_parameter_that_cannot_act(tmp_path):
    sweep = make_sweep(tmp_path)
    tables = sensitivity.run(sweep, ["morris", "sobol"], workers=1)
    morris = tables["morris"].set_index("parameter")
    sobol = tables["sobol"].set_index("parameter")
    assert list(morris.index) == list(PARAMETERS)
    assert morris.loc["behaviour.assessment.excellent_share", "mu_star"] == 0.0
    assert morris.loc["behaviour.diffusion.imitation", "mu_star"] > 0.0
    assert sobol.loc["behaviour.assessment.excellent_share", "ST"] == pytest.approx(0.0, abs=1e-12)
    assert sobol.loc["behaviour.diffusion.imitation", "ST"] > 0.05
    # Stored for the report, and the same again from the same seeds.
    stored = sensitivity.load(tmp_path)
    assert set(stored) == {"morris", "sobol"}
    again = sensitivity.run(sweep, ["morris"], workers=1)["morris"]
    assert again.equals(tables["morris"])


@pytest.mark.parametrize(
    ("parameters", "outcome", "names"),
    [
        (
            {"behaviour.diffusion.speed": [0.1, 0.2]},
            "final_schools_genuine",
            "behaviour.diffusion.speed",
        ),
        ({"behaviour.diffusion.imitation": [0.5, 1.5]}, "final_schools_genuine", "out of range"),
        ({"behaviour.diffusion.imitation": [0.3, 0.1]}, "final_schools_genuine", "low < high"),
        ({"behaviour.diffusion.imitation": [0.1, 0.3]}, "happiness", "outcome 'happiness'"),
    ],
)
def test_bad_sensitivity_settings_are_named_and_nothing_is_written(
    tmp_path, parameters, outcome, names
):
    sweep = make_sweep(tmp_path, parameters, outcome)
    with pytest.raises(ConfigError, match=names):
        sensitivity.run(sweep, ["morris"], workers=1)
    assert not (tmp_path / sensitivity.FOLDER).exists()
