"""Docking the fast engine against the plain per-agent reference (Axtell et al. 1996).

Both engines run the same scenario with the same seeds; each gives one value of every docked
outcome per seed (the seeds differ in the system drawn and in every later draw, and the two
engines draw from different generators, so only distributions can agree). For each outcome two
two-sample tests ask whether the samples could come from one distribution: Kolmogorov–Smirnov
(any difference in shape) and Mann–Whitney U (a shift). The family-wise significance level
``FAMILY_ALPHA`` is split among all of them (Bonferroni): the engines dock when every p-value
exceeds ``FAMILY_ALPHA / (2 * len(OUTCOMES))``.

``mastery_gain`` (final minus initial mean mastery) is docked beside ``mastery_mean`` because
most of the spread of mean mastery across seeds comes from the schools drawn, not from the
rules; the gain removes it and so detects smaller differences in the instructional core.

``uv run python -m benchmarks.docking [OVERRIDES] [--seeds N] [--power]`` prints the table;
``--power`` also runs the fast engine with plausible bugs planted, to show what the test can
and cannot detect. ``tests/test_docking.py`` asserts the docking.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks.reference import OUTCOMES, run_reference  # OUTCOMES: adoption, learning, bureau
from sim.params import Params

TESTS = ("ks", "mann_whitney")
FAMILY_ALPHA = 0.05
LEVEL = FAMILY_ALPHA / (len(TESTS) * len(OUTCOMES))  # Bonferroni


def fast_outcomes(params: Params, seed: int) -> dict[str, float]:
    """Final docked outcomes of one run of the fast engine."""
    from sim.model import TutorialNetworkModel

    model = TutorialNetworkModel(params, seed=seed)
    model.run()
    first, last = model.table[0], model.table[-1]
    out = {k: last[k] for k in OUTCOMES if k in last}
    out["mastery_gain"] = last["mastery_mean"] - first["mastery_mean"]
    return out


def reference_outcomes(params: Params, seed: int) -> dict[str, float]:
    """Final docked outcomes of one run of the per-agent reference."""
    return run_reference(params, seed)


Engine = Callable[[Params, int], dict[str, float]]


def _one(job: tuple[Engine, Params, int]) -> dict[str, float]:
    engine, params, seed = job
    return engine(params, seed)


def outcomes(
    engine: Engine, params: Params, seeds: Sequence[int], workers: int | None = None
) -> pd.DataFrame:
    """One row of outcomes per seed, runs spread over `workers` processes (default: all cores)."""
    jobs = [(engine, params, s) for s in seeds]
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        rows = [_one(j) for j in jobs]
    else:
        # Fresh interpreters, not forks of this one (which may hold threads).
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
            rows = list(pool.map(_one, jobs))
    return pd.DataFrame(rows, index=pd.Index(seeds, name="seed"))[list(OUTCOMES)]


def compare(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Both tests per outcome; `docks` is whether every p-value exceeds the Bonferroni level."""
    rows = {}
    for k in OUTCOMES:
        x, y = a[k].to_numpy(float), b[k].to_numpy(float)
        if np.ptp(np.concatenate([x, y])) == 0:  # both constant and equal: nothing differs
            p_ks = p_mw = 1.0
        else:
            p_ks = stats.ks_2samp(x, y, method="asymp").pvalue
            p_mw = stats.mannwhitneyu(x, y, alternative="two-sided").pvalue
        rows[k] = {
            "mean_a": x.mean(),
            "mean_b": y.mean(),
            "p_ks": p_ks,
            "p_mann_whitney": p_mw,
            "docks": min(p_ks, p_mw) > LEVEL,
        }
    return pd.DataFrame(rows).T


# --------------------------------------------------------------------------- power
def _no_student_tutors(model, who):  # demonstrators never become tutors
    st = model.students
    model.schools.demonstrations[:] = np.bincount(st.school[who], minlength=model.schools.zone.size)
    st.tema[who] = -1


def _fidelity_ignored(model):  # any adopting school teaches at full fidelity
    return (_ORIGINAL["school_fidelity"](model) > 0).astype(float)


_ORIGINAL: dict[str, Callable] = {}


@contextmanager
def planted_bug(name: str) -> Iterator[None]:
    """Temporarily replace one rule of the fast engine with a plausibly wrong version."""
    import sim.rules.motivation
    import sim.rules.tutoring

    module, attribute, wrong = {
        "demonstrators never tutor": (sim.rules.tutoring, "demonstrate", _no_student_tutors),
        "nobody lapses": (sim.rules.motivation, "lapse", lambda model: None),
        "fidelity ignored": (sim.rules.tutoring, "school_fidelity", _fidelity_ignored),
    }[name]
    _ORIGINAL[attribute] = getattr(module, attribute)
    setattr(module, attribute, wrong)
    try:
        yield
    finally:
        setattr(module, attribute, _ORIGINAL.pop(attribute))


BUGS = ("demonstrators never tutor", "nobody lapses", "fidelity ignored")


def main(argv: Sequence[str] | None = None) -> None:
    from runs.config import load_params
    from runs.driver import replicate_seeds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="configuration overrides as for python -m sim")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--root-seed", type=int, default=2004)
    parser.add_argument("--power", action="store_true", help="also run planted bugs")
    args = parser.parse_args(argv)
    params = load_params(args.overrides)
    seeds = replicate_seeds(args.root_seed, args.seeds)
    reference = outcomes(reference_outcomes, params, seeds)
    print(
        f"{params.system.name} system, {params.scenario.name}, {params.years:g} years, "
        f"{len(seeds)} seeds; a = fast engine, b = reference; KS and Mann-Whitney per outcome, "
        f"family-wise alpha {FAMILY_ALPHA} (Bonferroni: {LEVEL:.4f} each)"
    )
    runs = [("fast engine", None)] + ([(b, b) for b in BUGS] if args.power else [])
    for label, bug in runs:
        if bug is None:
            fast = outcomes(fast_outcomes, params, seeds)
        else:
            with planted_bug(bug):
                fast = outcomes(fast_outcomes, params, seeds, workers=1)
        table = compare(fast, reference)
        print(f"\n{label}: {'docks' if table['docks'].all() else 'does NOT dock'}")
        print(table.to_string(float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    main()
