"""Configuration: every value comes from configs/, bad values are refused in one line."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from omegaconf import OmegaConf

from runs.config import CONFIG_DIR, compose_config, load_params
from sim.params import ConfigError, Params, build_params, describe


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["scenario=nope"], "unknown scenario 'nope'; allowed: historical, hybrid, mandated"),
        (["system=planet"], "unknown system 'planet'; allowed: "),
        (["behaviour.tutoring.rat=0.1"], "unknown key 'behaviour.tutoring.rat'"),
        (
            ["+behaviour.tutoring.rat=0.1"],
            "unknown key 'behaviour.tutoring.rat'; allowed keys here:",
        ),
        (
            ["behaviour.tutoring.rate=150"],
            "behaviour.tutoring.rate: 150 is out of range; allowed: a number in [0.0, 100.0]",
        ),
        (
            ["scenario=mandated", "scenario.mandate.pace=-3"],
            "scenario.mandate.pace: -3 is out of range",
        ),
        (
            ["scenario=mandated", "scenario.mandate.target=100000"],
            "scenario.mandate.target: 100000 schools exceeds",
        ),
        (
            ["scenario.mandate.coaching=lecture"],
            "scenario.mandate.coaching: 'lecture' is not allowed; choose one of cascade, nodes",
        ),
        (["years=many"], "years: expected a number in [0.0, 200.0], got 'many'"),
        (["behaviour.catalogue.size=65"], "behaviour.catalogue.size: 65 is out of range"),
        (
            ["behaviour.turnover.cohort_years=1.5"],
            "behaviour.turnover.cohort_years: expected a whole number",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line_naming_the_key(overrides, expected):
    with pytest.raises(ConfigError) as err:
        load_params(overrides)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message


def test_a_missing_key_is_refused():
    cfg = OmegaConf.to_container(compose_config([]), resolve=True)
    del cfg["behaviour"]["tutoring"]["rate"]
    with pytest.raises(ConfigError, match=r"missing key 'behaviour\.tutoring\.rate'"):
        build_params(cfg)
    with pytest.raises(ConfigError, match=r"missing key 'behaviour\.tutoring\.rate'"):
        load_params(["~behaviour.tutoring.rate"])


def test_school_type_shares_must_add_up_to_one():
    with pytest.raises(ConfigError, match="shares must add up to 1"):
        load_params(["system.school_types.0.share=0.9"])


def test_every_scenario_and_system_composes():
    for scenario in ("voluntary", "mandated", "hybrid", "test_and_punish", "reversal"):
        assert load_params([f"scenario={scenario}"]).scenario.name == scenario
    for system in ("seminar", "state", "national"):
        assert load_params([f"system={system}"]).system.name == system


def test_every_parameter_has_a_range_or_a_type_and_the_yaml_sets_all_of_them():
    """configs/ is the single source: the dataclasses carry no defaults."""
    for f in dataclasses.fields(Params):
        assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    model_yaml = yaml.safe_load((CONFIG_DIR / "behaviour" / "default.yaml").read_text())
    keys = {k for k, _, _ in describe() if k.startswith("behaviour.")}

    def leaves(d, prefix="behaviour."):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from leaves(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}"

    assert set(leaves(model_yaml)) == keys


def test_time_unit_is_a_month():
    p = load_params([])
    assert p.behaviour.steps_per_year == 12
    assert p.steps == round(p.years * 12)


def test_the_odd_parameter_table_matches_params_and_configs():
    """docs/ODD.md lists every behavioural and scenario parameter with its configured value."""
    from runs.paramtable import rows

    odd = (CONFIG_DIR.parent / "docs" / "ODD.md").read_text()
    missing = [row for row in rows() if row not in odd]
    assert not missing, f"regenerate with `uv run python -m runs.paramtable`: {missing[:3]}"
