"""Same seed and config give identical output; the seed is the only source of randomness."""

from __future__ import annotations

import pandas as pd
from helpers import params_for

from runs.driver import replicate_seeds, run_one


def test_same_seed_same_config_identical_output():
    p = params_for("scenario=hybrid", "years=4")
    a, b = run_one(p, seed=42), run_one(p, seed=42)
    pd.testing.assert_frame_equal(a.steps, b.steps)
    assert a.summary.keys() == b.summary.keys()


def test_different_seeds_give_different_runs():
    p = params_for("scenario=hybrid", "years=4")
    a, b = run_one(p, seed=42), run_one(p, seed=43)
    assert not a.steps.equals(b.steps)


def test_replicate_seeds_depend_only_on_root_and_index():
    assert replicate_seeds(5, 3) == replicate_seeds(5, 10)[:3]
    assert replicate_seeds(5, 3) != replicate_seeds(6, 3)
    assert len(set(replicate_seeds(5, 100))) == 100


def test_global_random_state_does_not_leak_into_a_run():
    import random

    import numpy as np

    p = params_for("scenario=voluntary", "years=2")
    random.seed(1)
    np.random.seed(1)
    a = run_one(p, seed=7)
    random.seed(2)
    np.random.seed(2)
    b = run_one(p, seed=7)
    pd.testing.assert_frame_equal(a.steps, b.steps)


def test_a_run_is_the_same_whatever_the_number_of_threads(monkeypatch):
    """The compiled per-school loops run schools in parallel threads on large systems; each
    school touches only its own students, so one thread and all of them give the same run bit
    for bit. The state system, made to use threads at any size, long enough for the mandate and
    the movement to reach hundreds of schools."""
    import numba
    import numpy as np

    import sim.threads
    from sim.model import TutorialNetworkModel

    assert numba.config.NUMBA_NUM_THREADS >= 2  # the machine has two cores to share out
    p = params_for(
        "system=state",
        "scenario=hybrid",
        "scenario.mandate.target=270",
        "scenario.mandate.pace=90",
        "years=3",
    )
    runs = []
    for threshold in (np.iinfo(np.int64).max, 0):  # one thread, then all of them
        monkeypatch.setattr(sim.threads, "PARALLEL_FROM_STUDENTS", threshold)
        model = TutorialNetworkModel(p, seed=5)
        model.run()
        runs.append(model)
    one, every = runs
    assert one.table[-1]["schools_adopted"] > 100  # many schools' loops ran side by side
    assert pd.DataFrame(list(one.table)).equals(pd.DataFrame(list(every.table)))
    for population in ("students", "teachers", "schools"):
        a, b = getattr(one, population), getattr(every, population)
        for field in a.__dataclass_fields__:
            assert np.array_equal(getattr(a, field), getattr(b, field)), (population, field)


def test_small_systems_run_in_one_thread_and_large_ones_in_all():
    """A second thread would hold back a sweep's workers sharing the cores (sim/threads.py)."""
    import numba

    from sim.threads import PARALLEL_FROM_STUDENTS, threads_for

    with threads_for(PARALLEL_FROM_STUDENTS - 1):
        assert numba.get_num_threads() == 1
    with threads_for(PARALLEL_FROM_STUDENTS):
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
