"""National scale: compact state, handles on demand, bounded output, a working benchmark.

Speed is measured by ``python -m benchmarks``, never asserted here; these tests check what
makes the national run possible and what a user relies on at that scale. About 40 s in all
(most of it the tiny benchmark, which starts five Python processes); the test that builds the
national system (2 GB, about 10 s) is marked slow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import make_model, params_for

from benchmarks.workloads import workloads
from runs.config import load_params
from runs.driver import run_one
from runs.snapshots import POPULATIONS, SnapshotPlan, Snapshotter, check_steps, write_snapshot
from sim.agents import Student, Teacher
from sim.model import TutorialNetworkModel
from sim.params import ConfigError

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- state layout
def test_a_student_takes_at_most_40_bytes_of_state(seminar_model):
    st = seminar_model.students
    assert st.nbytes() / st.school.size <= 40
    # A few current temas and counts, nothing per tema of the fund, per school or growing.
    held = seminar_model.params.behaviour.catalogue.held
    assert st.temas.shape == st.progress.shape == (held, st.school.size)
    assert all(getattr(st, f).ndim == 1 for f in ("taste", "mastered", "score", "engagement"))


def test_students_are_stored_by_school_so_school_sums_are_segment_sums(seminar_model):
    s, st = seminar_model.schools, seminar_model.students
    assert np.all(np.diff(st.school) >= 0)
    assert np.array_equal(np.repeat(np.arange(s.zone.size), s.n_students), st.school)


def test_personal_ties_are_the_symmetric_matrix_of_the_pairs_drawn():
    """The tie matrix is built row by row in compiled code (scipy's sparse sum of the pairs and
    their transpose took most of a national build): it must be that sum, entry for entry, with
    a pair drawn twice or both ways one tie."""
    import scipy.sparse as sp

    from sim.system import _symmetric_rows

    rng = np.random.default_rng(4)
    n = 500
    a = np.repeat(np.arange(n), 3)
    b = rng.integers(0, n // 10, a.size)  # few targets: many repeated and reciprocal pairs
    keep = a != b
    a, b = a[keep], b[keep]
    expected = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    expected = (expected + expected.T).tocsr()
    indptr, indices = _symmetric_rows(a, b, n)
    assert np.array_equal(indptr, expected.indptr)
    assert np.array_equal(indices, expected.indices)
    assert expected.max() > 1  # repeats were there to be merged


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng, n: np.clip(rng.normal(0.3, 0.2, n), 0, 1),  # scores, many at 0 and 1
        lambda rng, n: rng.integers(0, 5, n) / 4,  # few distinct values: ranks inside ties
        lambda rng, n: rng.normal(0, 1e3, n),  # negative values: the key reverses them
    ],
)
def test_level_cutoffs_are_numpys_quantiles_to_the_last_bit(draw):
    """The ENLACE cut-offs come from order statistics found by a histogram of the scores' bits
    (numpy's quantile took a fifth of a national build): they must be np.quantile's numbers."""
    from sim.rules.assessment import quantiles

    rng = np.random.default_rng(7)
    for n in (2, 3, 17, 1000, 65_537, 200_001):
        x = draw(rng, n).astype(np.float32)
        q = [rng.random(), 0.5, 0.8, 0.97, 1e-6]
        assert quantiles(x, q).tobytes() == np.quantile(x, q).tobytes(), n


def test_handles_are_made_only_when_asked_for():
    """At national scale no student or teacher object exists until a user asks for one."""
    model = TutorialNetworkModel(params_for("scenario=hybrid"), seed=2, handles_max=0)
    assert len(model.agents_by_type.get(Student, [])) == 0
    assert len(model.agents_by_type.get(Teacher, [])) == 0
    student = model.student(100)
    teacher = model.teacher(7)
    assert len(model.agents_by_type[Student]) == 1 and len(model.agents_by_type[Teacher]) == 1
    model.run(12)
    # A handle reads the arrays, so it shows the current state, not the state when made.
    assert student.score == model.students.score[100]
    assert student.mastered == [k for k in range(64) if int(model.students.mastered[100]) >> k & 1]
    assert teacher.practice == pytest.approx(float(model.teachers.practice[7]))
    with pytest.raises(IndexError):
        model.student(model.students.school.size)


# --------------------------------------------------------------------------- snapshots
def test_snapshot_steps_are_checked_with_a_one_line_error():
    assert check_steps([24, 0, 24], 120) == (0, 24)
    for bad in ([121], [-1], [1.5], ["12"], [True], 12):
        with pytest.raises(ConfigError, match=r"^output\.snapshot_steps: ") as err:
            check_steps(bad, 120)
        assert "\n" not in str(err.value)


def test_snapshots_hold_every_agent_at_the_chosen_steps(tmp_path):
    params = params_for("scenario=mandated", "years=0.5")
    snap = Snapshotter(tmp_path, frozenset({0, 4}), {"scenario": "mandated", "replicate": 0})
    run_one(params, seed=5, snapshots=snap)
    again = TutorialNetworkModel(params, seed=5)
    again.run(4)
    students = pd.read_parquet(tmp_path / "population=students")
    assert set(students["step"].astype(int)) == {0, 4}
    at_4 = students[students["step"].astype(int) == 4].sort_values("student")
    assert len(at_4) == again.students.school.size
    assert np.array_equal(at_4["score"].to_numpy(), again.students.score)
    for h in range(params.behaviour.catalogue.held):
        assert np.array_equal(at_4[f"progress_{h}"].to_numpy(), again.students.progress[h])
    teachers = pd.read_parquet(tmp_path / "population=teachers", filters=[("step", "=", 4)])
    assert np.array_equal(teachers.sort_values("teacher")["adopted"], again.teachers.adopted)
    assert set(teachers["origin"].astype(str)) <= {"none", "voluntary", "mandate"}
    schools = pd.read_parquet(tmp_path / "population=schools", filters=[("step", "=", 4)])
    assert (schools["mandated"].sum(), len(schools)) == (
        again.schools.mandated.sum(),
        again.schools.zone.size,
    )
    assert set(pd.read_parquet(tmp_path / "population=supervisors")["scenario"]) == {"mandated"}


def test_snapshots_appear_only_when_the_job_succeeds(tmp_path):
    model = make_model(seed=1)
    plan = SnapshotPlan(tmp_path / "snapshots", (0,))
    with pytest.raises(RuntimeError), plan:
        write_snapshot(model, plan.staging, {"replicate": 0})
        raise RuntimeError("a run failed")
    assert not (tmp_path / "snapshots").exists() and not plan.staging.exists()
    with plan:
        write_snapshot(model, plan.staging, {"replicate": 0})
    assert not plan.staging.exists()
    assert {p.name for p in (tmp_path / "snapshots").iterdir()} == {
        f"population={p}" for p in POPULATIONS
    }


def test_bad_snapshot_steps_on_the_command_line_exit_2_without_output(tmp_path):
    run_dir = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "output.snapshot_steps=[0,999]",
            f"hydra.run.dir={run_dir}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "output.snapshot_steps" in done.stderr
    assert not run_dir.exists()


# --------------------------------------------------------------------------- progress
def test_progress_advances_once_per_simulated_month(tmp_path):
    class Counter:
        n = 0

        def update(self, k: int) -> None:
            self.n += k

    params = params_for("years=0.5")
    plain, snapping = Counter(), Counter()
    run_one(params, seed=1, progress=plain)
    run_one(params, 1, progress=snapping, snapshots=Snapshotter(tmp_path, frozenset({3}), {}))
    assert plain.n == snapping.n == params.steps


# --------------------------------------------------------------------------- benchmark
def test_every_benchmark_workload_is_a_valid_configuration():
    for w in workloads():
        params = load_params(list(w.overrides))
        assert params.years == 10 and params.scenario.name == "hybrid"


def test_tiny_benchmark_runs_every_workload_and_reports_the_figures(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--no-progress", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "agent-steps/s" in done.stdout and "x reference" in done.stdout
    results = json.loads(out.read_text())
    assert [r["engine"] for r in results] == ["fast"] * 4 + ["reference"]
    for r in results:
        assert r["steps"] == 3 and r["agents"] > 10_000
        assert r["wall_s"] > 0 and r["peak_rss_gb"] > 0 and r["agent_steps_per_s"] > 0
    assert results[-1]["vs_reference"] == pytest.approx(1.0)
    # The same measurements, judged against every workload's full-size targets: each target
    # names a measured figure, and a missed one is said in a line (never a crash).
    from benchmarks.__main__ import check_targets

    full = {w.name: w.targets for w in workloads()}
    for r in results:
        r["targets"] = {key: 0.0 for key in full.get(r["name"], {})}
    missed = check_targets(results, min_ratio=1e9)
    assert len(missed) == sum(len(t) for t in full.values()) + 1
    assert all(isinstance(line, str) for line in missed)
    assert all(r["vs_floor"] > 0 for r in results if r["engine"] == "fast")


def test_benchmark_against_a_baseline_checkout_alternates_and_keeps_every_run(tmp_path):
    """`--baseline CHECKOUT --repeat N`: each fast workload runs N times here and N times in the
    other checkout (here the project itself), the median kept, the ratio taken pair by pair;
    a folder that is not a checkout is refused in one line before anything runs."""
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "benchmarks", "--tiny", "--only", "seminar", "--no-progress"]
    done = subprocess.run(
        [*command, "--baseline", str(ROOT), "--repeat", "2", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(out.read_text())
    assert len(result["runs_s"]) == len(result["baseline_runs_s"]) == 2
    assert result["run_s"] in result["runs_s"]
    assert result["vs_baseline"] > 0 and "x baseline" in done.stdout
    refused = subprocess.run(
        [*command, "--baseline", str(tmp_path)], cwd=ROOT, capture_output=True, text=True
    )
    assert refused.returncode == 2 and refused.stdout == ""  # nothing ran
    said = refused.stderr.strip().splitlines()[-1]
    assert said.startswith("python -m benchmarks: error: --baseline") and str(tmp_path) in said


# --------------------------------------------------------------------------- national
@pytest.mark.slow
def test_national_system_has_every_student_of_mexico():
    """About 200,000 schools, 1.2 million teachers and 27 million students (001), each student
    simulated individually."""
    params = load_params(["system=national", "scenario=hybrid", "scenario.mandate.target=9000"])
    model = TutorialNetworkModel(params, seed=1)
    assert 180_000 <= model.schools.zone.size <= 220_000
    assert 1_000_000 <= model.teachers.school.size <= 1_400_000
    assert 24_000_000 <= model.students.school.size <= 30_000_000
    model.run(2)
    assert model.students.nbytes() / model.students.school.size <= 64
    assert model.student(26_000_000).school == model.students.school[26_000_000]


# --------------------------------------------------------------------------- compiled loops
def test_the_seminar_run_loads_the_cached_compiled_loops_before_its_first_month():
    """Once numba's cache holds the loops, the seminar app's run (and the benchmark) load them
    before the first month, so that no month pays for it; a batch run loads each on first
    call."""
    script = (
        "import sys\n"
        "from runs.config import load_params\n"
        "from sim.model import TutorialNetworkModel\n"
        "from sim.rules import tutoring\n"
        "m = TutorialNetworkModel(load_params(['scenario=hybrid', 'years=1']), seed=3)\n"
        "print(len(tutoring._inquire_schools.signatures))\n"
        "m.run(12)\n"
        "if sys.argv[1:] == ['seminar']:\n"
        "    from seminar.session import SeminarRun\n"
        "    from seminar.settings import injected_events, preset\n"
        "    from sim.compiled import _loops\n"
        "    before = sum(len(loop.signatures) for loop in _loops())\n"
        "    SeminarRun(preset('hybrid'), injected_events())\n"
        "    print(before, sum(len(loop.signatures) for loop in _loops()))\n"
    )
    batch = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert batch.stdout.split() == ["0"]  # inquiry not loaded before a school practises
    app = subprocess.run(
        [sys.executable, "-c", script, "seminar"], cwd=ROOT, check=True, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    loaded_by_the_run, loaded_with_the_app = map(int, app.stdout.split()[1:])
    assert loaded_with_the_app > loaded_by_the_run  # the cache held loops the run never called


def test_the_compiled_interest_is_the_hash_for_every_taste_and_tema():
    """The inquiry loop computes interests in 32-bit arithmetic: the same value as
    `catalogue.interest` for all 65,536 tastes and 64 temas, and choice takes the most
    interesting open tema, the lowest-numbered on ties."""
    from numba import njit

    from sim.population import TASTES
    from sim.rules.catalogue import interest, interest_of
    from sim.rules.tutoring import _choose, _choose_two

    @njit
    def every_interest():
        out = np.empty((TASTES, 64), dtype=np.uint8)
        for taste in range(TASTES):
            for tema in range(64):
                out[taste, tema] = interest_of(taste, tema)
        return out

    table = interest(np.arange(TASTES)[:, None], np.arange(64)[None, :])
    assert np.array_equal(every_interest(), table)
    rng = np.random.default_rng(3)
    for taste in rng.integers(0, TASTES, 300):
        open_temas = rng.integers(1, 2**63, dtype=np.uint64) >> np.uint64(rng.integers(0, 60))
        members = [k for k in range(64) if (int(open_temas) >> k) & 1]
        best = max(members, key=lambda k: (table[taste, k], -k))
        assert _choose(np.uint64(open_temas), np.uint16(taste)) == best
        runner_up = max(set(members) - {best}, key=lambda k: (table[taste, k], -k), default=-1)
        assert _choose_two(np.uint64(open_temas), np.uint16(taste)) == (best, runner_up)
    assert _choose(np.uint64(1) << np.uint64(63), np.uint16(7)) == 63
    assert _choose_two(np.uint64(1) << np.uint64(63), np.uint16(7)) == (63, -1)


def test_the_compiled_bit_set_helpers_agree_with_python():
    """A bit set's lowest member and its member count, compiled (one instruction each), are
    what Python's integers give, for sets of one, many and all 64 temas."""
    from numba import njit

    from sim.population import lowest_member, member_count

    @njit
    def compiled(members):
        return lowest_member(members), member_count(members)

    rng = np.random.default_rng(4)
    sets = [1, 2**63, 2**64 - 1, 0b1011000, *rng.integers(1, 2**63, 200, dtype=np.uint64)]
    for members in sets:
        as_int = int(members)
        expected = ((as_int & -as_int).bit_length() - 1, bin(as_int).count("1"))
        assert compiled(np.uint64(members)) == expected
        assert (lowest_member(as_int), member_count(as_int)) == expected


def test_the_lowest_keys_are_a_stable_sorts_first():
    """`population.lowest` picks what a stable sort's first n are, ties at the cut included
    (the lowest-numbered of them, in index order), NaN keys last."""
    from sim.population import lowest

    rng = np.random.default_rng(8)
    keys = [
        rng.random(500),
        rng.integers(0, 7, 500).astype(np.float32),  # many ties, some at every cut
        np.where(rng.random(500) < 0.1, np.nan, rng.integers(0, 5, 500)),
    ]
    for key in keys:
        for n in (0, 1, 3, 37, 250, 449, 499, 500, 600):
            assert np.array_equal(lowest(key, n), np.argsort(key, kind="stable")[:n]), n


def test_a_tutors_first_catalogue_is_its_lowest_draws_as_a_stable_sort_ranks_them():
    """`system.random_catalogues` gives each tutor the temas of its `count` lowest draws, ties to
    the lower tema: what ranking each row by a stable sort gives, for any count from none to
    the whole fund."""
    from sim.system import _lowest_drawn

    rng = np.random.default_rng(6)
    for fund in (1, 8, 20, 64):
        draws = rng.random((500, fund))
        draws[:50] = np.round(draws[:50], 1)  # ties
        count = rng.integers(0, fund + 1, 500)
        order = np.argsort(draws, axis=1, kind="stable")
        expected = [sum(1 << int(k) for k in order[r, : count[r]]) for r in range(500)]
        assert [int(x) for x in _lowest_drawn(draws, count)] == expected


def test_catalogues_are_grouped_by_school_in_teacher_order():
    """The counting sort of the adopters gives what a stable sort by school gives: each
    school's adopters' catalogues, in teacher order, between its offsets (schools without
    adopters empty, the last school included)."""
    from sim.rules.tutoring import _catalogues_by_school

    rng = np.random.default_rng(5)
    n_schools = 40
    school = rng.integers(0, n_schools - 1, 2_000).astype(np.int32)  # the last school has none
    adopted = rng.random(school.size) < 0.3
    catalogue = rng.integers(0, 2**63, school.size, dtype=np.uint64)
    grouped, offsets = _catalogues_by_school(school, adopted, catalogue, n_schools)
    adopters = np.flatnonzero(adopted)
    order = adopters[np.argsort(school[adopters], kind="stable")]
    assert np.array_equal(grouped, catalogue[order])
    counts = np.bincount(school[adopters], minlength=n_schools)
    assert np.array_equal(offsets, np.concatenate([[0], np.cumsum(counts)]))
    assert offsets[-1] == offsets[-2]


def test_compiled_tutoring_equals_the_same_loops_interpreted_bit_for_bit(monkeypatch):
    """The compiled loops compute what their Python text says: two runs with one seed, one
    through numba's compiled loops and one through the same functions run by the interpreter
    (numpy float32 scalars), agree on every array every month."""
    import sim.rules.lessons as lessons_rules
    import sim.rules.tutoring as tutoring_rules

    params = params_for("scenario=hybrid", "years=0.25")
    compiled = TutorialNetworkModel(params, seed=11)
    interpreted = TutorialNetworkModel(params, seed=11)
    for _ in range(params.steps):
        compiled.step()
        with monkeypatch.context() as patch:
            for module, name in (
                (tutoring_rules, "_inquire_schools"),
                (tutoring_rules, "_catalogues_by_school"),
                (tutoring_rules, "_tutors_offered"),
                (tutoring_rules, "_choose_temas"),
                (tutoring_rules, "_choose_two_places"),
                (tutoring_rules, "_choose_any_places"),
                (tutoring_rules, "_choose"),
                (tutoring_rules, "_choose_two"),
                (tutoring_rules, "_pace_temas"),
                (tutoring_rules, "_advance"),
                (tutoring_rules, "_advance_two"),
                (tutoring_rules, "_advance_any"),
                (lessons_rules, "_month_pass"),
                (lessons_rules, "_demonstrate"),
            ):
                patch.setattr(module, name, getattr(module, name).py_func)
            interpreted.step()
        for population in POPULATIONS:
            a, b = getattr(compiled, population), getattr(interpreted, population)
            for f in a.__dataclass_fields__:
                assert np.array_equal(getattr(a, f), getattr(b, f)), (compiled.steps, f)
    assert (compiled.students.progress > 0).any()  # the loops did work: students inquired


@pytest.mark.parametrize("seed", [0, 1])
def test_inquiry_over_two_places_is_the_loop_over_any_number_bit_for_bit(seed):
    """The two-place inquiry (the default, in straight-line code) computes what the loop over
    any number of places does, for every mix of free, under way and finished places."""
    from sim.rules.tutoring import _advance_any, _advance_two

    rng = np.random.default_rng(seed)
    n, fund = 20_000, 40
    temas = rng.integers(-1, fund, size=(2, n)).astype(np.int8)
    progress = rng.choice([0.0, 0.3, 0.99, 1.0], size=(2, n)).astype(np.float32)
    progress[temas < 0] = 0
    taste = rng.integers(0, 2**16, size=n, dtype=np.uint16)
    engagement = rng.random(n, dtype=np.float32)
    paced = rng.random(fund, dtype=np.float32) * np.float32(0.2)
    effort = np.exp(rng.standard_normal(fund)).astype(np.float32)
    speed = np.linspace(0.5, 1.5, 256, dtype=np.float32)
    terms = (np.float32(0.6), np.float32(1.5), np.float32(0.1))
    results = []
    for advance in (_advance_two, _advance_any):
        state = (temas.copy(), progress.copy(), engagement.copy())
        advance(0, n, paced, state[0], state[1], taste, state[2], effort, speed, *terms)
        results.append(state)
    (t2, p2, e2), (ta, pa, ea) = results
    assert np.array_equal(t2, ta) and np.array_equal(p2, pa) and np.array_equal(e2, ea)
    assert not np.array_equal(p2, progress)  # students inquired


@pytest.mark.parametrize("seed", [0, 1])
def test_choice_over_two_places_is_the_loop_over_any_number_bit_for_bit(seed):
    """The two-place choice (the default, in straight-line code, the two best temas of a student
    with both places free taken from one look) does what the loop over any number of places
    does: the same temas dropped and taken, the same demand, for every mix of free, under way,
    finished and abandoned places, and open sets of none, one and many temas."""
    from sim.rules.tutoring import _choose_any_places, _choose_two_places

    rng = np.random.default_rng(seed)
    n, fund = 20_000, 40
    temas = np.maximum(rng.integers(-10, fund, size=(2, n)), -1).astype(np.int8)  # a fifth free
    same = temas[0] == temas[1]
    temas[1, same & (temas[0] >= 0)] = -1  # a student never holds a tema twice
    progress = rng.choice([0.0, 0.3, 0.99, 1.0], size=(2, n)).astype(np.float32)
    progress[temas < 0] = 0
    mastered = rng.integers(0, 2**40, size=n, dtype=np.uint64) & rng.integers(
        0, 2**40, size=n, dtype=np.uint64
    )
    mastered[: n // 10] = np.uint64(2**fund - 1)  # nothing left open to them
    taste = rng.integers(0, 2**16, size=n, dtype=np.uint16)
    supply = np.where(rng.random(fund) < 0.7, rng.random(fund), 0).astype(np.float32)
    offered = np.uint64(sum(1 << k for k in range(fund) if supply[k] > 0))
    results = []
    for choose in (_choose_two_places, _choose_any_places):
        state = (temas.copy(), progress.copy(), np.zeros(fund, dtype=np.int32))
        choose(0, n, offered, supply, state[0], state[1], mastered, taste, state[2])
        results.append(state)
    (t2, p2, d2), (ta, pa, da) = results
    assert np.array_equal(t2, ta) and np.array_equal(p2, pa) and np.array_equal(d2, da)
    both_free = (temas < 0).all(axis=0) & (t2 >= 0).all(axis=0)
    assert both_free.sum() > 100  # students took two temas at once
    assert ((temas >= 0) & (t2 < 0)).any()  # and abandoned temas nobody offers


def test_the_teacher_counts_are_the_array_expressions():
    """The table's teacher counts, taken in one compiled pass, are what the array expressions
    give, with practice at, just below and just above the genuine threshold as float32 holds it
    (numpy compares float32 practice with the threshold in float32: 0.7 rounds down in float32,
    so practice at it is genuine, which a comparison in float64 would deny)."""
    from sim.kinds import Origin
    from sim.metrics import teacher_counts
    from sim.practice import genuine_teachers

    model = make_model("behaviour.practice.genuine_threshold=0.7")
    t = model.teachers
    rng = np.random.default_rng(9)
    n = t.school.size
    threshold = np.float32(model.params.behaviour.practice.genuine_threshold)
    near = np.array([np.nextafter(threshold, 0), threshold, np.nextafter(threshold, 1)])
    t.practice[:] = np.where(rng.random(n) < 0.5, rng.choice(near, n), rng.random(n))
    t.adopted[:] = rng.random(n) < 0.6
    t.ever_adopted[:] = t.adopted | (rng.random(n) < 0.3)
    t.origin[:] = np.where(t.adopted, rng.integers(1, 3, n), Origin.NONE)
    genuine = genuine_teachers(model)
    expected = (
        int(genuine.sum()),
        int((t.adopted & ~genuine).sum()),
        int((t.ever_adopted & ~t.adopted).sum()),
        int((t.adopted & (t.origin == Origin.VOLUNTARY)).sum()),
        int((t.adopted & (t.origin == Origin.MANDATE)).sum()),
    )
    assert teacher_counts(model) == expected
    assert min(expected) > 0
