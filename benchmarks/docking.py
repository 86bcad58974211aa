"""Docking the fast engine against the plain per-agent reference (Axtell et al. 1996).

Both engines run the same arm (a scenario setting) with the same seeds; each gives, per seed, the
docked outcomes at a few checkpoint months spread over the run (a trajectory, not only the final
values). The seeds differ in the system drawn and in every later draw, and the two engines draw
from different generators, so only distributions can agree. For each outcome and checkpoint month
two two-sample tests ask whether the samples could come from one distribution:
Kolmogorov–Smirnov (any difference in shape) and Mann–Whitney U (a shift).

The outcomes (``benchmarks.reference.OUTCOMES``): teachers and schools in genuine practice and
in surface compliance, mean score and its gain, the bureaucratization index, the share of students
at ENLACE good or better (against the cut-offs fixed from the starting scores), temas mastered
per student, students' mean engagement, the share who give their own time, and the temas in the
shared fund.

Level: family-wise significance ``FAMILY_ALPHA`` = 0.05 for one docking (one arm), split
(Bonferroni) over all its tests: 2 tests × 12 outcomes × ``CHECKPOINTS`` = 4 months = 96 tests,
so the engines dock when every p-value exceeds ``LEVEL`` = 0.05 / 96 ≈ 5.2e-4.

The checkpoints are a quarter, half, three quarters and all of the run. Arms with a reversal run
at least three years past it (``Arm.years``), so the last checkpoint falls three years after the
withdrawal and another between it and the end: rules that act only once support is gone (the
lapse of surface adopters nobody requires any more) have time to show.

``mastery_gain`` (mean score minus its initial value) is docked beside ``mastery_mean`` because
most of the spread of the mean score across seeds comes from the schools drawn, not from the rules.

``ARMS`` lists every scenario and every distinct arm of ``configs/experiment/*.yaml`` at its
scenario's default values (sweep axes left at their defaults; the ``policy_reversal`` arms at a
reversal in year 4), on the seminar system, and one scenario on the state system. ``planted_bug``
plants a realistic bug in the fast engine (a rule dropped, a sign flipped, an order swapped);
each must fail to dock.

``uv run python -m benchmarks.docking ARM [--seeds N] [--power]`` prints the tables (``--list``
names the arms); ``--power`` also runs the fast engine with each planted bug.
``tests/test_docking.py`` asserts the docking.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks import reference as reference_module
from benchmarks.reference import OUTCOMES, ReferenceModel
from sim import params as params_module
from sim.params import Params

TESTS = ("ks", "mann_whitney")
CHECKPOINTS = 4  # months compared per run: 1/4, 1/2, 3/4 and all of it
FAMILY_ALPHA = 0.05
LEVEL = FAMILY_ALPHA / (len(TESTS) * len(OUTCOMES) * CHECKPOINTS)  # Bonferroni, one docking
AFTER_REVERSAL = 3  # years an arm with a reversal runs past it
ROOT_SEED = 2004  # the replicate seeds of every arm come from it


@dataclass(frozen=True)
class Arm:
    """A scenario setting to dock: configuration overrides, the years run and the seeds."""

    name: str
    overrides: tuple[str, ...]
    years: int
    seeds: int = 30

    def params(self) -> Params:
        from runs.config import load_params

        return load_params([*self.overrides, f"years={self.years}"])


def _arm(name: str, *overrides: str, years: int = 6, seeds: int = 30) -> Arm:
    return Arm(name, overrides, years, seeds)


# Six years lets every mandate reach its 60 schools; a reversal arm runs three years past it.
ARMS: dict[str, Arm] = {
    a.name: a
    for a in (
        # scenarios (configs/scenario); `historical` runs on its own quarter-national system,
        # far beyond the reference's reach, so it is not docked.
        _arm("hybrid", "scenario=hybrid"),
        _arm("voluntary", "scenario=voluntary", seeds=16),
        _arm("test_and_punish", "scenario=test_and_punish", seeds=16),
        _arm("reversal", "scenario=reversal", years=6 + AFTER_REVERSAL, seeds=16),
        # experiment arms: mandated (all experiments) with policy_reversal's withdrawal, and the
        # mandate beside the movement (voluntary_vs_mandated, mandate_conditions, policy_reversal)
        _arm(
            "mandate_reversed",
            "scenario=mandated",
            "scenario.reversal_year=4",
            years=4 + AFTER_REVERSAL,
        ),
        _arm(
            "mandate_with_movement_reversed",
            "scenario=mandated",
            "scenario.movement.enabled=true",
            "scenario.reversal_year=4",
            years=4 + AFTER_REVERSAL,
            seeds=16,
        ),
        # the state system (about nine times the seminar's schools; the reference takes 10 s to
        # build one): one year, eight seeds, the fewest that can reach the level
        Arm("state_mandated", ("system=state", "scenario=mandated"), years=1, seeds=8),
    )
}


def checkpoints(params: Params) -> tuple[int, ...]:
    """The months compared: a quarter, half, three quarters and all of the run."""
    return tuple(round(params.steps * (k + 1) / CHECKPOINTS) for k in range(CHECKPOINTS))


# --------------------------------------------------------------------------- engines
def fast_trajectory(params: Params, seed: int) -> list[dict[str, float]]:
    """Docked outcomes of one run of the fast engine at each checkpoint month."""
    from sim.model import TutorialNetworkModel

    engine = _ENGINE[-1] if _ENGINE else TutorialNetworkModel
    model = engine(params, seed=seed)
    model.run()
    table = model.table
    start = table[0]["mastery_mean"]
    rows = []
    for month in checkpoints(params):
        row = table[month]
        rows.append(
            {"month": month}
            | {k: row[k] for k in OUTCOMES if k in row}
            | {"mastery_gain": row["mastery_mean"] - start}
        )
    return rows


def reference_trajectory(params: Params, seed: int) -> list[dict[str, float]]:
    """Docked outcomes of one run of the per-agent reference at each checkpoint month."""
    model = ReferenceModel(params, seed, record_steps=False)
    months = checkpoints(params)
    rows = []
    for month in range(1, params.steps + 1):
        model.step()
        if month in months:
            model.collect()
            rows.append({"month": month} | model.latest)
    return rows


Engine = Callable[[Params, int], list[dict[str, float]]]


def _one(job: tuple[Engine, Params, int]) -> list[dict[str, float]]:
    engine, params, seed = job
    return [{"seed": seed} | row for row in engine(params, seed)]


def trajectories(
    engine: Engine, params: Params, seeds: Sequence[int], workers: int | None = None
) -> pd.DataFrame:
    """One row per seed and checkpoint month, runs spread over `workers` processes (default:
    all cores; 1 runs in this process, as a planted bug needs)."""
    jobs = [(engine, params, s) for s in seeds]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers == 1:
        runs = [_one(j) for j in jobs]
    else:
        # Fresh interpreters, not forks of this one (which may hold threads).
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
            runs = list(pool.map(_one, jobs))
    rows = [row for run in runs for row in run]
    return pd.DataFrame(rows).set_index(["month", "seed"])[list(OUTCOMES)].sort_index()


# --------------------------------------------------------------------------- the reference's sample
# The reference is slow by design (plain Python over every student every month), and its output
# is a pure function of its code, the parameters, the seeds and the library versions it runs on.
# Its trajectories per arm are kept in REFERENCE_SAMPLES under a key hashing all of these: a
# sample is used only while every input is what produced it; any change (a rule of the
# reference, a parameter, a version) misses the key and the reference runs again.
# `python -m benchmarks.docking --write-samples` rewrites them; tests/test_docking.py checks
# that a sample is what the reference computes now, seed by seed.
REFERENCE_SAMPLES = Path(__file__).resolve().parent / "docking_reference"


def sample_key(params: Params, seeds: Sequence[int]) -> str:
    """What the reference's trajectories depend on, hashed: its source, the parameters' code and
    values, the seeds, and the Python, Mesa and numpy versions."""
    import mesa

    digest = hashlib.sha256()
    for module in (reference_module, params_module):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(repr(params).encode())
    digest.update(repr([int(s) for s in seeds]).encode())
    versions = (sys.version_info[:2], mesa.__version__, np.__version__)
    digest.update(repr(versions).encode())
    return digest.hexdigest()[:16]


def sample_path(arm: str, params: Params, seeds: Sequence[int]) -> Path:
    return REFERENCE_SAMPLES / f"{arm}-{sample_key(params, seeds)}.parquet"


def reference_sample(arm: str, params: Params, seeds: Sequence[int]) -> pd.DataFrame:
    """The reference's trajectories of an arm: the kept sample if its key matches, else run."""
    path = sample_path(arm, params, seeds)
    if path.exists():
        return pd.read_parquet(path).set_index(["month", "seed"]).sort_index()
    return trajectories(reference_trajectory, params, seeds)


def write_sample(arm: str, params: Params, seeds: Sequence[int]) -> Path:
    """Run the reference on an arm and keep its trajectories (replacing older samples)."""
    from runs.storage import write_parquet_atomic

    table = trajectories(reference_trajectory, params, seeds)
    path = sample_path(arm, params, seeds)
    for old in REFERENCE_SAMPLES.glob(f"{arm}-*.parquet"):
        if old != path:
            old.unlink()
    REFERENCE_SAMPLES.mkdir(exist_ok=True)
    write_parquet_atomic(table.reset_index(), path)
    return path


def compare(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Both tests per checkpoint month and outcome; `docks` is whether both p-values exceed the
    Bonferroni level of one docking."""
    rows = {}
    for month in a.index.unique("month"):
        for k in OUTCOMES:
            x = a.loc[month, k].to_numpy(float)
            y = b.loc[month, k].to_numpy(float)
            if np.ptp(np.concatenate([x, y])) == 0:  # both constant and equal: nothing differs
                p_ks = p_mw = 1.0
            else:
                p_ks = stats.ks_2samp(x, y, method="asymp").pvalue
                p_mw = stats.mannwhitneyu(x, y, alternative="two-sided").pvalue
            rows[(month, k)] = {
                "mean_a": x.mean(),
                "mean_b": y.mean(),
                "p_ks": p_ks,
                "p_mann_whitney": p_mw,
                "docks": min(p_ks, p_mw) > LEVEL,
            }
    table = pd.DataFrame(rows).T
    table.index.names = ["month", "outcome"]
    return table.astype({"mean_a": float, "mean_b": float, "p_ks": float, "p_mann_whitney": float})


def smallest_p(table: pd.DataFrame) -> float:
    return float(table[["p_ks", "p_mann_whitney"]].min().min())


# --------------------------------------------------------------------------- planted bugs
# The model class `fast_trajectory` builds, when a planted order swap replaces the fast engine's.
_ENGINE: list[type] = []


def _lapse_without_paper_only(model) -> None:
    """The lapse rule as the reference once had it: only the demotivated lapse, never the surface
    adopters nobody requires any more."""
    from sim.rules.motivation import lapse_risk

    demotivated, _, held = lapse_risk(model)
    at_risk = np.flatnonzero(demotivated & ~held)
    rate = model.params.behaviour.motivation.lapse_rate
    drop = at_risk[model.rng.random(at_risk.size) < rate]
    model.teachers.adopted[drop] = False


def _no_relaxation(model):  # a rule dropped: engagement never settles back to rest
    return np.float32(1), np.float32(0)


def _demonstrating_before_inquiry(model) -> None:
    """The month's tutoring with two of its stages swapped: the demonstration day comes before
    the month's inquiry, so what is finished waits for the next one."""
    from sim.practice import school_adopted
    from sim.rules import lessons, tutoring
    from sim.rules.catalogue import work_out_new_temas

    s = model.schools
    s.demonstrations[:] = 0
    work_out_new_temas(model)
    practising = np.flatnonzero(school_adopted(model))
    demonstrating = np.zeros(s.count, dtype=bool)
    demonstrating[practising[tutoring.demonstration_day(model, practising)]] = True
    # No lesson, only the day; its sums are kept, as the month's own pass keeps them (the month's
    # lessons below carry its counts of tutors and temas mastered).
    model.student_sums = lessons._pass(model, demonstrating, np.zeros(s.count, dtype=bool))
    if practising.size:
        tutoring.inquire(model, practising)
    lessons.hold_lessons(model, np.zeros(s.count, dtype=bool))


_ORIGINAL: dict[str, Callable] = {}


@contextmanager
def _patched(module, attribute: str, wrong) -> Iterator[None]:
    _ORIGINAL[attribute] = getattr(module, attribute)
    setattr(module, attribute, wrong)
    try:
        yield
    finally:
        setattr(module, attribute, _ORIGINAL.pop(attribute))


def _control_helps(model):  # sign flipped: tight control raises motivation instead
    """Motivation's inputs with the weight of control negated."""
    m = model.params.behaviour
    flipped = dataclasses.replace(m.motivation, control=-m.motivation.control)
    real = model.params
    model.params = dataclasses.replace(real, behaviour=dataclasses.replace(m, motivation=flipped))
    try:
        return _ORIGINAL["_inputs"](model)
    finally:
        model.params = real


@contextmanager
def _engine(model_class) -> Iterator[None]:
    _ENGINE.append(model_class)
    try:
        yield
    finally:
        _ENGINE.pop()


@contextmanager
def planted_bug(name: str) -> Iterator[None]:
    """Temporarily plant a realistic bug in the fast engine (run it with ``workers=1``)."""
    import sim.rules.lessons as lessons
    import sim.rules.motivation as motivation
    import sim.rules.tutoring as tutoring

    if name == "surface lapse dropped":  # a rule dropped: the bug the reference once had
        with _patched(motivation, "lapse", _lapse_without_paper_only):
            yield
    elif name == "relaxation dropped":  # a rule dropped: students' engagement never settles
        with _patched(lessons, "settling_terms", _no_relaxation):
            yield
    elif name == "demonstrations before inquiry":  # an order swapped within the month's tutoring
        with _patched(tutoring, "tutor_students", _demonstrating_before_inquiry):
            yield
    elif name == "control sign flipped":  # a sign flipped in motivation's terms
        with _patched(motivation, "_inputs", _control_helps):
            yield
    elif name == "order swapped":
        with _engine(swapped_order_model()):
            yield
    else:
        raise KeyError(f"planted bug: {name!r}; one of {', '.join(BUGS)}")


BUGS = (
    "relaxation dropped",
    "control sign flipped",
    "demonstrations before inquiry",
    "surface lapse dropped",
    "order swapped",
)


def swapped_order_model():
    """A subclass of the fast engine whose month calls two rules in swapped order: the cohort
    graduates and the next one enters before the month's lessons and the yearly test, instead
    of after them."""
    from sim import network
    from sim.model import TutorialNetworkModel
    from sim.practice import genuine_teachers
    from sim.rules import (
        assessment,
        coaching,
        diffusion,
        exchanges,
        mandate,
        motivation,
        opportunities,
        reversal,
        supervision,
        turnover,
        tutoring,
    )

    class SwappedOrderModel(TutorialNetworkModel):
        def step(self) -> None:
            opportunities.open_scheduled(self)
            reversal.withdraw_if_due(self)
            mandate.roll_out(self)
            self.exposure = network.genuine_share_of_contacts(self, genuine_teachers(self))
            diffusion.recruit_volunteers(self)
            exchanges.hold_exchanges(self)
            supervision.update_supervision(self)
            coaching.teach_practice(self)
            turnover.graduate_cohort(self)  # swapped: belongs after lessons, test and turnover
            tutoring.tutor_students(self)
            assessment.test_if_due(self)
            motivation.update_motivation(self)
            motivation.lapse(self)
            turnover.move_teachers(self)
            self.collect()

    return SwappedOrderModel


def main(argv: Sequence[str] | None = None) -> None:
    from runs.driver import replicate_seeds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arms", nargs="*", help=f"arms to dock (default: all): {', '.join(ARMS)}")
    parser.add_argument("--seeds", type=int, default=None, help="default: the arm's own")
    parser.add_argument("--root-seed", type=int, default=ROOT_SEED)
    parser.add_argument("--power", action="store_true", help="also run the planted bugs")
    parser.add_argument("--list", action="store_true", help="list the arms and stop")
    parser.add_argument(
        "--write-samples",
        action="store_true",
        help=f"run the reference on the arms and keep their samples in {REFERENCE_SAMPLES.name}/",
    )
    args = parser.parse_args(argv)
    if args.list:
        for arm in ARMS.values():
            print(f"{arm.name}: {' '.join(arm.overrides)} years={arm.years} ({arm.seeds} seeds)")
        return
    if args.write_samples:
        for name in args.arms or ARMS:
            arm = ARMS[name]
            seeds = replicate_seeds(args.root_seed, arm.seeds)
            print(f"wrote {write_sample(name, arm.params(), seeds)}", flush=True)
        return
    for name in args.arms or ARMS:
        arm = ARMS[name]
        params = arm.params()
        seeds = replicate_seeds(args.root_seed, args.seeds or arm.seeds)
        reference = reference_sample(name, params, seeds)  # runs it unless a sample matches
        print(
            f"\n{arm.name}: {params.system.name} system, {' '.join(arm.overrides)}, "
            f"{params.years:g} years, months {checkpoints(params)}, {len(seeds)} seeds; "
            f"a = fast engine, b = reference; family-wise alpha {FAMILY_ALPHA} "
            f"(Bonferroni: {LEVEL:.2g} each)"
        )
        runs = [("fast engine", None)] + ([(b, b) for b in BUGS] if args.power else [])
        for label, bug in runs:
            if bug is None:
                fast = trajectories(fast_trajectory, params, seeds)
            else:
                with planted_bug(bug):
                    fast = trajectories(fast_trajectory, params, seeds, workers=1)
            table = compare(fast, reference)
            verdict = "docks" if table["docks"].all() else "does NOT dock"
            print(f"\n{label}: {verdict} (smallest p {smallest_p(table):.2g})")
            shown = table if bug is None else table[~table["docks"].astype(bool)]
            print(shown.to_string(float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    main()
