"""Composing the Hydra configuration outside of a Hydra app (tests, the browser app, benchmarks)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.params import ConfigError, Params, build_params


def _config_dir() -> Path:
    """The checkout's configs/ when running from one; else the copy installed inside `runs`."""
    checkout = Path(__file__).resolve().parent.parent / "configs"
    if (checkout / "config.yaml").is_file():
        return checkout
    return Path(str(files("runs") / "configs"))


CONFIG_DIR = _config_dir()


def one_line(error: BaseException) -> str:
    """A Hydra or OmegaConf error said in one line that names the key and what is allowed."""
    text = str(error)
    missing = re.search(r"Could not find '(\w+)/([^']+)'", text)
    if missing:
        group, name = missing.groups()
        options = [o for o in re.findall(r"^\t(\S+)$", text, flags=re.M) if not o.startswith("_")]
        options = [o for o in options if "=" not in o]
        return f"unknown {group} '{name}'; allowed: {', '.join(options)}"
    bad_key = re.search(r"Could not override '([^']+)'", text)
    if bad_key:
        return f"unknown key '{bad_key.group(1)}'; see configs/ for the allowed keys"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else type(error).__name__


def compose_config(overrides: Sequence[str] = ()) -> DictConfig:
    """The composed configuration, as ``python -m sim OVERRIDES`` would see it."""
    gh = GlobalHydra.instance()
    if gh.is_initialized():
        return compose(config_name="config", overrides=list(overrides))
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


def params_from_config(cfg: DictConfig | dict[str, Any]) -> Params:
    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    return build_params(container)


def load_params(overrides: Sequence[str] = ()) -> Params:
    """Params for ``overrides`` (for example ``["scenario=mandated", "system=state"]``).

    Raises ConfigError with a one-line message for any bad override.
    """
    try:
        cfg = compose_config(overrides)
    except (HydraException, OmegaConfBaseException) as err:
        raise ConfigError(one_line(err)) from None
    return params_from_config(cfg)
