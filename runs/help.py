"""`python -m sim --help`: what can be run and the levers that matter, for someone new to redes.

Hydra prints its help template (configs/hydra/help/redes.yaml), which asks this module for the
text through the `redes_help` resolver: the systems, scenarios and experiments with the first
sentence of their YAML file's comment, the run settings, and the main levers with their current
value, allowed range and meaning from `sim.params.describe()`. Internal groups (app, calibrated,
files starting with an underscore) are not listed.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from omegaconf import DictConfig, OmegaConf

from runs.config import CONFIG_DIR
from sim.params import Params, describe

RESOLVER = "redes_help"
WIDTH = 100
ODD_TABLE = "docs/ODD.md, section 10 (Parameters)"

# The levers a policy question usually turns first; every other one is in the ODD's table.
LEVERS = (
    "scenario.movement.enabled",
    "scenario.movement.coaches",
    "scenario.mandate.enabled",
    "scenario.mandate.pace",
    "scenario.mandate.target",
    "scenario.mandate.coaching",
    "scenario.mandate.coaches",
    "scenario.mandate.control",
    "scenario.sheltered",
    "scenario.testing.pressure",
    "scenario.testing.punish_share",
    "scenario.reversal_year",
    "behaviour.supervision.load_per_supervisor",
    "behaviour.diffusion.imitation",
    "behaviour.tutoring.rate",
)
# The main job's own settings (configs/config.yaml), which are not model parameters.
RUN_SETTINGS = (
    ("years", "simulated years; one step is one month"),
    ("replicates", "seeds per scenario (≥ 1); the table's intervals are over them"),
    ("seed", "root seed; replicate seeds are spawned from it"),
    ("compare", "scenarios run side by side, e.g. compare=[voluntary,hybrid]"),
    (
        "posterior",
        "none, or historical: run each scenario with parameter sets drawn from the historical "
        "calibration's posterior; the table then adds the record's spread (docs/sweeps.md)",
    ),
    ("posterior_draws", "parameter sets drawn (1–1000); runs = posterior_draws × replicates"),
    ("output.plot", "write adoption.png (true/false)"),
    ("output.snapshot_steps", "steps at which per-agent state is written, e.g. [12,120]"),
)


def first_sentence(path: Path) -> str:
    """The first sentence of a config file's leading comment."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if not text.startswith("@package"):
            lines.append(text)
    comment = " ".join(lines)
    return re.split(r"(?<=[.?!])\s+(?=[A-Z`])", comment, maxsplit=1)[0]


def options(group: str) -> list[tuple[str, str]]:
    """(name, sentence) of every public option of a config group, by name."""
    files = sorted((CONFIG_DIR / group).glob("*.yaml"))
    return [(f.stem, first_sentence(f)) for f in files if not f.stem.startswith("_")]


def _entries(rows: Iterable[tuple[str, str]], indent: int = 2) -> list[str]:
    """`name  text` rows, the text wrapped under itself within WIDTH columns."""
    rows = list(rows)
    width = max(len(name) for name, _ in rows) + 2
    out = []
    for name, text in rows:
        out += textwrap.wrap(
            text,
            WIDTH,
            initial_indent=" " * indent + name.ljust(width),
            subsequent_indent=" " * (indent + width),
        ) or [" " * indent + name]
    return out


def _value(cfg: Any, key: str) -> Any:
    node = cfg
    for part in key.split("."):
        if node is None or part not in node:
            return None
        node = node[part]
    return OmegaConf.to_container(node) if isinstance(node, DictConfig) else node


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).replace("'", "").replace(" ", "")


def choices(key: str) -> tuple[Any, ...]:
    """The values a `Literal[...]` parameter takes (none for other types)."""
    hint: Any = Params
    for part in key.split("."):
        hint = get_type_hints(hint)[part]
    return get_args(hint) if get_origin(hint) is Literal else ()


def _allowed(key: str, allowed: str, value: Any) -> str:
    if allowed:
        return "allowed: " + allowed.removeprefix("a number ").replace("in [", "[")
    if isinstance(value, bool):
        return "true or false"
    names = choices(key)
    return "one of " + ", ".join(map(str, names)) if names else ""


def levers(cfg: Any) -> list[str]:
    """`key=current` on one line, its meaning and allowed range under it, per main lever."""
    meaning = {key: (allowed, doc) for key, allowed, doc in describe()}
    lines = []
    for key in LEVERS:
        allowed, doc = meaning[key]
        value = _value(cfg, key)
        about = "; ".join(t for t in (doc, _allowed(key, allowed, value)) if t)
        lines.append(f"  {key}={_show(value)}")
        lines += textwrap.wrap(about, WIDTH, initial_indent=" " * 6, subsequent_indent=" " * 6)
    return lines


def text(cfg: Any = None) -> str:
    """The whole help text; `cfg` (the composed config) gives the current values."""
    if cfg is None:
        from runs.config import compose_config

        cfg = compose_config([])
    scenario, system = _value(cfg, "scenario.name"), _value(cfg, "system.name")
    parts = [
        "redes: an agent-based model of tutorial networks spreading through Mexico's schools as",
        "a social movement, and of what happens when the government scales them up.",
        "",
        "Usage: python -m sim [KEY=VALUE ...]    (or: redes [KEY=VALUE ...])",
        *textwrap.wrap(
            "Runs each scenario of `compare` on the system, `replicates` seeds each, prints a "
            "comparison table and writes steps.parquet, summary.parquet, comparison.parquet and "
            "adoption.png into outputs/DATE/TIME/. `scenario=NAME` alone runs that scenario "
            f"alone. Now: system={system}, compare={_show(_value(cfg, 'compare'))}"
            + (f", scenario={scenario}." if scenario else "."),
            WIDTH,
            initial_indent="  ",
            subsequent_indent="  ",
        ),
        "",
        "Systems (system=NAME):",
        *_entries(options("system")),
        "",
        "Scenarios (scenario=NAME, or compare=[NAME,NAME]):",
        *_entries(options("scenario")),
        "",
        "Experiments, sweeps with a report (python -m sim -m +experiment=NAME; docs/sweeps.md):",
        *_entries(options("experiment")),
        "",
        "Run settings (KEY=VALUE):",
        *_entries((f"{k}={_show(_value(cfg, k))}", doc) for k, doc in RUN_SETTINGS),
        "",
        "Main levers (KEY=current value; meaning and allowed range below):",
        *levers(cfg),
        "",
        f"Every parameter with its meaning, default and range: {ODD_TABLE},",
        "or: python -m runs.paramtable",
        "The composed configuration: python -m sim --cfg job    Hydra's options: --hydra-help",
    ]
    return "\n".join(parts).replace("$", "$$")  # Hydra passes the text through string.Template


def _resolve(*, _root_: Any) -> str:
    return text(_root_)


def register() -> None:
    """Make `${redes_help:}` available to the help template."""
    if not OmegaConf.has_resolver(RESOLVER):
        OmegaConf.register_new_resolver(RESOLVER, _resolve)
