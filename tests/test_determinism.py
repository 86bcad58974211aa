"""Same seed and config give identical output; the seed is the only source of randomness."""

from __future__ import annotations

import pandas as pd
import pytest
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
        monkeypatch.setattr(sim.threads, "PARALLEL_FROM_AGENTS", threshold)
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

    from sim.threads import PARALLEL_FROM_AGENTS, threads_for

    with threads_for(PARALLEL_FROM_AGENTS - 1):
        assert numba.get_num_threads() == 1
    with threads_for(PARALLEL_FROM_AGENTS):
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


def test_a_job_beside_a_sweeps_other_jobs_keeps_to_one_thread(monkeypatch):
    """Jobs that share the machine's cores (joblib with several at once, Ray) run each loop in
    one thread; a lone run, a one-at-a-time launcher and a SLURM job use all of them."""
    import numba

    import sim.threads
    from experiments.launch import jobs_share_cores
    from sim.threads import PARALLEL_FROM_AGENTS, share_cores, threads_for

    joblib = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
    ray = "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"
    slurm = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    basic = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"
    assert jobs_share_cores({"_target_": joblib, "n_jobs": -1}, multirun=True)
    assert jobs_share_cores({"_target_": joblib, "n_jobs": 2}, multirun=True)
    assert jobs_share_cores({"_target_": ray}, multirun=True)
    assert not jobs_share_cores({"_target_": joblib, "n_jobs": 1}, multirun=True)
    assert not jobs_share_cores({"_target_": slurm}, multirun=True)
    assert not jobs_share_cores({"_target_": basic}, multirun=True)
    assert not jobs_share_cores({"_target_": joblib, "n_jobs": -1}, multirun=False)
    monkeypatch.setattr(sim.threads, "_ceiling", None)
    share_cores()
    with threads_for(PARALLEL_FROM_AGENTS):
        assert numba.get_num_threads() == 1


class _Deferring:
    """Mixed into the model: classrooms the practice has not reached are left alone."""

    defers_unreached_classrooms = True


@pytest.mark.parametrize(
    "overrides, months",
    [
        (("scenario=voluntary", "scenario.exchanges.selection=top_scorers"), 38),
        (("scenario=test_and_punish",), 26),  # the test ranks every school's score
        (("system=state", "scenario=hybrid", "scenario.exchanges.selection=least_engaged"), 26),
    ],
)
def test_deferring_unreached_classrooms_leaves_the_run_bit_for_bit(overrides, months):
    """A run observed only through its teachers and schools (a calibration run) may leave the
    classrooms the practice has not reached alone and catch them up when read
    (sim/rules/lessons.py). Teachers and schools are then the same every month, and once the
    deferred classrooms are brought up to date, every student and every school's sums are the
    same too. Were a catch-up missing or miscounted (a newly reached school's goers chosen by
    stale scores, the test ranking stale scores, a newcomer given the lessons of the months
    before it entered), the runs would part."""
    import numpy as np

    from sim.model import TutorialNetworkModel
    from sim.rules.lessons import StudentSums

    class Deferring(_Deferring, TutorialNetworkModel):
        pass

    p = params_for(*overrides)
    full, deferring = TutorialNetworkModel(p, seed=3), Deferring(p, seed=3)
    for _ in range(months):
        full.step()
        deferring.step()
        reached = deferring.classrooms.reached
        for population in ("teachers", "schools"):
            a, b = getattr(full, population), getattr(deferring, population)
            for field in a.__dataclass_fields__:
                x, y = getattr(a, field), getattr(b, field)
                if (population, field) == ("schools", "engagement"):
                    x, y = x[reached], y[reached]  # a deferred school's is taken when read
                assert np.array_equal(x, y), (full.steps, population, field)
    rooms = deferring.classrooms
    assert 0 < rooms.reached.sum() < rooms.reached.size  # some deferred, some reached
    assert (rooms.done[~rooms.reached] < deferring.steps - 1).all()  # deferred across months
    deferring.student_sums = StudentSums.of(deferring)  # brings every classroom up to date
    for field in full.students.__dataclass_fields__:
        a, b = getattr(full.students, field), getattr(deferring.students, field)
        assert np.array_equal(a, b), field
    for field in ("score", "good", "excellent", "engagement", "above_rest", "tutors"):
        a, b = getattr(full.student_sums, field), getattr(deferring.student_sums, field)
        assert np.array_equal(a, b), field


def test_exponentials_and_powers_are_the_c_librarys_on_every_machine():
    """numpy's own exp, expm1 and power differ in the last bit between processors (Intel's
    vector library on AVX-512); the model's come from the C library, element by element, as
    Python's math module and the C library's powf give them."""
    import ctypes
    import ctypes.util
    import math

    import numpy as np

    from sim import libm

    powf = ctypes.CDLL(ctypes.util.find_library("m")).powf
    powf.restype, powf.argtypes = ctypes.c_float, (ctypes.c_float, ctypes.c_float)
    x = np.random.default_rng(8).random(2000)
    assert [float(v) for v in libm.expm1(-3 * x)] == [math.expm1(-3 * v) for v in x]
    assert [float(v) for v in libm.exp(2 * x - 1)] == [math.exp(2 * v - 1) for v in x]
    assert libm.expm1(-0.5) == math.expm1(-0.5)
    x32 = x.astype(np.float32)
    power = libm.power32(x32, 3)
    assert power.dtype == np.float32
    assert [float(v) for v in power] == [float(np.float32(powf(float(v), 3.0))) for v in x32]
