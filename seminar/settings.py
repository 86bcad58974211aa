"""What the seminar's controls set: a scenario from configs/scenario/ and its main levers.

Choosing a scenario loads its values into the levers; every lever is then a Hydra override on
top of that scenario, so a run in the app is exactly `python -m sim scenario=NAME OVERRIDES`
and goes through the same validation. Lever ranges are bounded (and always include the value
the scenario itself sets), so the controls cannot put the model into an invalid state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args, get_type_hints

from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from runs.config import CONFIG_DIR, compose_config, load_params
from runs.driver import replicate_seeds
from sim.params import (
    ConfigError,
    EventParams,
    ExchangeParams,
    MandateParams,
    Params,
    build_params,
)

SEMINAR_SYSTEM = "seminar"
APP_CONFIG = CONFIG_DIR / "app" / "seminar.yaml"
SEED_MAX = 2**31 - 1
# Slider positions are rounded to this many decimals so that, say, 0.1 + 0.2 reads as 0.3 in
# the override and in the page.
DECIMALS = 2

LeverKind = Literal["int", "float", "toggle", "choice"]


@dataclass(frozen=True)
class Levers:
    """Where every lever of the page stands; `params_for` turns it into the model's Params."""

    scenario: str
    seed: int
    years: int
    movement: bool
    mandate: bool
    mandate_pace: float
    mandate_target: int
    coaching: str
    coaches: int
    coach_capacity: int
    exchange_selection: str
    leeway: float
    protect: float
    models_practice: float
    test_pressure: float
    sheltered: bool
    reversal_year: float | None


@dataclass(frozen=True)
class Lever:
    """One control: the Levers field it edits, the config keys it sets, its bounded range."""

    name: str
    label: str
    group: str
    kind: LeverKind
    keys: tuple[str, ...]
    lo: float = 0.0
    hi: float | None = 1.0
    step: float = 1.0
    help: str = ""


# Ranges are what a seminar on about 150 schools needs; each lies inside the range the
# parameter allows (sim/params.py), which tests/test_app.py checks. The mandate target's upper
# end (hi=None) is the fewest schools the seminar system can have: see `lever_range`.
LEVERS: tuple[Lever, ...] = (
    Lever(
        name="movement",
        label="Movement of volunteers",
        group="Who acts",
        kind="toggle",
        keys=("scenario.movement.enabled",),
        help="Volunteer teachers who recruit others through visits, interchanges and public "
        "demonstrations.",
    ),
    Lever(
        name="mandate",
        label="Ministry mandate",
        group="Who acts",
        kind="toggle",
        keys=("scenario.mandate.enabled",),
        help="The ministry requires the lowest-performing schools to adopt the practice.",
    ),
    Lever(
        name="mandate_pace",
        label="Mandate pace (schools a year)",
        group="Mandate",
        kind="float",
        keys=("scenario.mandate.pace",),
        lo=0,
        hi=60,
        step=5,
    ),
    Lever(
        name="mandate_target",
        label="Mandate target (schools)",
        group="Mandate",
        kind="int",
        keys=("scenario.mandate.target",),
        lo=0,
        hi=None,
        step=5,
        help="The lowest-performing schools the mandate reaches in all.",
    ),
    Lever(
        name="coaching",
        label="Ministry coaching",
        group="Mandate",
        kind="choice",
        keys=("scenario.mandate.coaching",),
        help="cascade: trainers train trainers; nodes: collegial nodes model the practice by "
        "tutoring.",
    ),
    Lever(
        name="coaches",
        label="Ministry coaches",
        group="Coaching",
        kind="int",
        keys=("scenario.mandate.coaches",),
        lo=0,
        hi=30,
        step=1,
    ),
    Lever(
        name="coach_capacity",
        label="Coaching visits per coach a month",
        group="Coaching",
        kind="int",
        keys=("scenario.movement.coach_capacity", "scenario.mandate.coach_capacity"),
        lo=0,
        hi=40,
        step=1,
        help="Sets the capacity of the movement's coaches and of the ministry's alike.",
    ),
    Lever(
        name="exchange_selection",
        label="Who goes on exchanges",
        group="Mobilizing structures",
        kind="choice",
        keys=("scenario.exchanges.selection",),
        help="Adopting schools send a few students to another school of their zone. Student "
        "tutors tutor the host's teachers: they train adults and recruit. The least engaged gain "
        "most from going: engagement, and so graduates going on, rise where they are lowest.",
    ),
    Lever(
        name="leeway",
        label="Supervisor leeway",
        group="Supervisors",
        kind="float",
        keys=("behaviour.supervision.leeway",),
        lo=0,
        hi=1,
        step=0.05,
        help="Room a zone supervisor has to shelter schools from the rules.",
    ),
    Lever(
        name="protect",
        label="Supervisors who protect innovation",
        group="Supervisors",
        kind="float",
        keys=("behaviour.supervision.protect",),
        lo=0,
        hi=1,
        step=0.05,
    ),
    Lever(
        name="models_practice",
        label="Supervisors who model the practice",
        group="Supervisors",
        kind="float",
        keys=("behaviour.supervision.models_practice",),
        lo=0,
        hi=1,
        step=0.05,
        help="The rest enforce paperwork. Protect + model cannot exceed 1.",
    ),
    Lever(
        name="test_pressure",
        label="Test pressure (stakes)",
        group="Testing and shelter",
        kind="float",
        keys=("scenario.testing.pressure",),
        lo=0,
        hi=1,
        step=0.1,
        help="Stakes of the yearly test: the lowest-scoring schools are punished.",
    ),
    Lever(
        name="sheltered",
        label="Sheltered pilot status",
        group="Testing and shelter",
        kind="toggle",
        keys=("scenario.sheltered",),
        help="Schools the ministry enrols are sheltered from ordinary rules.",
    ),
    Lever(
        name="reversal_year",
        label="New government withdraws support",
        group="Change of government",
        kind="choice",
        keys=("scenario.reversal_year",),
    ),
    Lever(
        name="years",
        label="Years to run",
        group="Run",
        kind="int",
        keys=("years",),
        lo=1,
        hi=20,
        step=1,
    ),
)
LEVER = {lever.name: lever for lever in LEVERS}
# A menu lever's values are the ones its parameter allows (sim/params.py).
COACHING_CHOICES: tuple[str, ...] = get_args(get_type_hints(MandateParams)["coaching"])
SELECTION_CHOICES: tuple[str, ...] = get_args(get_type_hints(ExchangeParams)["selection"])
CHOICES = {"coaching": COACHING_CHOICES, "exchange_selection": SELECTION_CHOICES}


def choice_labels(name: str) -> dict[str, str]:
    """A menu lever's entries as the page shows them ("top scorers"), each with its value."""
    return {value.replace("_", " "): value for value in CHOICES[name]}


# ------------------------------------------------------------------------------- scenarios
@lru_cache(maxsize=1)
def scenario_names() -> list[str]:
    """The scenarios in configs/scenario/ that run on the seminar system.

    Files starting with _ are shared building blocks; a scenario made for a larger system (its
    mandate reaches more schools than the seminar has, say) is left out of the menu.
    """
    names = []
    for path in sorted((CONFIG_DIR / "scenario").glob("*.yaml")):
        if path.stem.startswith("_"):
            continue
        try:
            own_system = compose_config([f"scenario={path.stem}"]).system.name
            fits = own_system == SEMINAR_SYSTEM and scenario_params(path.stem) is not None
        except (ConfigError, HydraException, OmegaConfBaseException):
            fits = False
        if fits:
            names.append(path.stem)
    return names


@lru_cache(maxsize=16)
def scenario_description(name: str) -> str:
    """What a scenario is, in words: the comment that opens its file in configs/scenario/."""
    lines = []
    for line in (CONFIG_DIR / "scenario" / f"{name}.yaml").read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(lines) or name


def scenario_label(name: str) -> str:
    """The scenario's name as the menu shows it: words, then what it is."""
    return f"{name.replace('_', ' ').capitalize()}: {scenario_description(name)}"


@lru_cache(maxsize=32)
def scenario_params(name: str) -> Params:
    return load_params([f"system={SEMINAR_SYSTEM}", f"scenario={name}"])


@lru_cache(maxsize=1)
def default_seed() -> int:
    """The main job's root seed (configs/config.yaml)."""
    return int(compose_config([]).seed)


def preset(name: str, seed: int | None = None, years: int | None = None) -> Levers:
    """The levers as scenario `name` sets them."""
    p = scenario_params(name)
    s, sup = p.scenario, p.behaviour.supervision
    return Levers(
        scenario=name,
        seed=default_seed() if seed is None else seed,
        years=round(p.years) if years is None else years,
        movement=s.movement.enabled,
        mandate=s.mandate.enabled,
        mandate_pace=s.mandate.pace,
        mandate_target=s.mandate.target,
        coaching=s.mandate.coaching,
        coaches=s.mandate.coaches,
        coach_capacity=s.mandate.coach_capacity,
        exchange_selection=s.exchanges.selection,
        leeway=sup.leeway,
        protect=sup.protect,
        models_practice=sup.models_practice,
        test_pressure=s.testing.pressure,
        sheltered=s.sheltered,
        reversal_year=s.reversal_year,
    )


def choose_scenario(current: Levers, name: str) -> Levers:
    """Switching scenario loads its levers; the seed and the run length stay."""
    return preset(name, seed=current.seed, years=current.years)


# ------------------------------------------------------------------------------- bounds
def fewest_schools(params: Params) -> int:
    """Schools the seminar system has at least, whatever the seed: the mandate target's cap."""
    return params.system.n_zones * params.system.schools_per_zone[0]


def lever_range(lever: Lever, settings: Levers) -> tuple[float, float]:
    """The lever's bounds for these settings; they always contain the scenario's own value."""
    if lever.name == "models_practice":  # the two stance shares add up to at most 1
        return lever.lo, round(1.0 - settings.protect, DECIMALS)
    hi = fewest_schools(scenario_params(settings.scenario)) if lever.hi is None else lever.hi
    own = getattr(preset(settings.scenario, seed=0), lever.name)
    return min(lever.lo, own), max(hi, own)


def reversal_choices(settings: Levers) -> dict[str, float | None]:
    """Labels for the reversal menu: never, or after each whole year of the run."""
    start = scenario_params(settings.scenario).scenario.start_year
    years = sorted({*range(1, settings.years + 1), *_as_list(settings.reversal_year)})
    return {"never": None} | {f"in {start + y:g} (year {y:g})": float(y) for y in years}


def _as_list(year: float | None) -> list[float]:
    return [] if year is None else [year]


def set_lever(settings: Levers, name: str, value: object) -> Levers:
    """Levers with one lever moved, clamped into its range; dependent levers follow."""
    lever = LEVER[name]
    if lever.kind in ("int", "float"):
        lo, hi = lever_range(lever, settings)
        number = min(max(float(value), lo), hi)  # type: ignore[arg-type]
        value = round(number) if lever.kind == "int" else round(number, DECIMALS)
    elif lever.kind == "toggle":
        value = bool(value)
    elif name in CHOICES and value not in CHOICES[name]:
        allowed = ", ".join(CHOICES[name])
        raise ValueError(f"{name}: {value!r} is not allowed; choose one of {allowed}")
    new = dataclasses.replace(settings, **{name: value})
    if name == "protect":  # the two stance shares are shares of one population of supervisors
        room = round(1.0 - new.protect, DECIMALS)
        new = dataclasses.replace(new, models_practice=min(new.models_practice, room))
    if name == "years" and new.reversal_year is not None and new.reversal_year > new.years:
        new = dataclasses.replace(new, reversal_year=None)
    return new


def set_seed(settings: Levers, value: object) -> Levers:
    """A whole number in [0, SEED_MAX]; anything else keeps the current seed."""
    try:
        seed = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return settings
    return dataclasses.replace(settings, seed=min(max(seed, 0), SEED_MAX))


# ------------------------------------------------------------------------------- to the model
def overrides(settings: Levers) -> list[str]:
    """The Hydra overrides that make this run: `python -m sim` would take the same."""
    out = [f"system={SEMINAR_SYSTEM}", f"scenario={settings.scenario}"]
    for lever in LEVERS:
        value = getattr(settings, lever.name)
        text = "null" if value is None else str(value).lower() if isinstance(value, bool) else value
        out += [f"{key}={text}" for key in lever.keys]
    return out


def params_for(settings: Levers) -> Params:
    """Validated Params; raises ConfigError with one line naming the key."""
    return load_params(overrides(settings))


def command_line(settings: Levers) -> str:
    """The main-job command whose single replicate is this very run (docs/seminar.md)."""
    scenario = preset(settings.scenario)
    mine, theirs = overrides(settings), overrides(scenario)
    changed = [o for o, base in zip(mine, theirs, strict=True) if o != base]
    seed = [] if settings.seed == scenario.seed else [f"seed={settings.seed}"]
    return " ".join(
        ["uv run python -m sim", f"scenario={settings.scenario}", "replicates=1", *seed, *changed]
    )


def run_seed(settings: Levers) -> int:
    """The model seed: replicate 1 of the main job run with this root seed."""
    return replicate_seeds(settings.seed, 1)[0]


def injected_events() -> dict[str, EventParams]:
    """The political opportunities the app's buttons open, from configs/app/seminar.yaml.

    They are validated like a scenario's events (same ranges, same one-line errors); a problem
    is a ConfigError naming the file and the key.
    """
    where = shown_path(APP_CONFIG)
    try:
        inject = OmegaConf.to_container(OmegaConf.load(APP_CONFIG), resolve=True)["inject"]
    except (OSError, OmegaConfBaseException, KeyError, TypeError) as err:
        raise ConfigError(f"{where}: cannot read 'inject' ({type(err).__name__})") from None
    if not isinstance(inject, dict) or not all(isinstance(v, dict) for v in inject.values()):
        raise ConfigError(f"{where}: 'inject' must map each kind of event to its values")
    container = OmegaConf.to_container(compose_config([f"system={SEMINAR_SYSTEM}"]), resolve=True)
    container["scenario"]["events"] = [{"year": 0.0, "kind": k, **v} for k, v in inject.items()]
    try:
        events = build_params(container).scenario.events
    except ConfigError as err:
        message = str(err)
        for i, kind in enumerate(inject):
            message = message.replace(f"scenario.events[{i}]", f"inject.{kind}")
        raise ConfigError(f"{where}: {message}") from None
    return {e.kind: e for e in events}


def shown_path(path: Path) -> str:
    """A config file's path as a user would type it: relative to the project when inside it."""
    try:
        return str(path.relative_to(CONFIG_DIR.parent))
    except ValueError:
        return str(path)
