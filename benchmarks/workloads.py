"""The benchmark's workloads, and the worker that runs one of them in a fresh process.

Each workload runs in its own Python process so that its peak resident memory is its own:
``python -m benchmarks.workloads '<workload as JSON>'`` prints one JSON line of measurements.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

# The mandate of the national benchmark: PEMLE's 9,000 lowest-performing schools, reached in
# three years. The scenario files size their mandates for the seminar system, so the larger
# systems get the same shares of their schools: 4.5% of them, a third of those each year.
NATIONAL_MANDATE = ("scenario.mandate.target=9000", "scenario.mandate.pace=3000")
STATE_MANDATE = ("scenario.mandate.target=270", "scenario.mandate.pace=90")


@dataclass(frozen=True)
class Workload:
    """One measured run: an engine, a configuration, and how many steps to time."""

    name: str
    engine: str  # "fast" (sim.model) or "reference" (benchmarks.reference)
    overrides: tuple[str, ...]
    steps: int | None = None  # None: the whole run (years x steps per year)
    targets: dict[str, float] = field(default_factory=dict)  # measurement -> upper bound


def workloads(tiny: bool = False, reference_steps: int = 36) -> list[Workload]:
    """The workloads of the benchmark; `tiny` runs each for three steps on the seminar system."""
    hybrid = ("scenario=hybrid", "years=10")
    state = ("system=state", *hybrid, *STATE_MANDATE)
    national = ("system=national", *hybrid, *NATIONAL_MANDATE)
    if tiny:
        seminar = ("system=seminar", "scenario=hybrid", "years=0.25")
        state = national = seminar
        reference_steps = 3
    else:
        seminar = ("system=seminar", *hybrid)
    return [
        Workload("seminar", "fast", seminar, targets={"step_ms_max": 50}),
        Workload("state", "fast", state, targets={"run_s": 1.5}),
        Workload(
            "national",
            "fast",
            national,
            targets={"wall_s": 45, "peak_rss_gb": 1.5, "bytes_per_student": 40},
        ),
        Workload(f"state, first {reference_steps} steps", "fast", state, steps=reference_steps),
        Workload(
            f"state, first {reference_steps} steps",
            "reference",
            state,
            steps=reference_steps,
        ),
    ]


def _engine(workload: Workload) -> Any:
    """The model class of the workload's engine (imported before any timing starts)."""
    if workload.engine == "reference":
        from benchmarks.reference import ReferenceModel

        return ReferenceModel
    from sim.model import TutorialNetworkModel

    return TutorialNetworkModel


def _counts(model: Any) -> dict[str, int]:
    if hasattr(model, "student_list"):  # the reference
        students, teachers = len(model.student_list), len(model.teacher_list)
        schools, supervisors = len(model.school_list), len(model.supervisors)
    else:
        students, teachers = model.students.school.size, model.teachers.school.size
        schools, supervisors = model.schools.zone.size, model.supervisors.zone.size
    return {
        "schools": schools,
        "students": students,
        "teachers": teachers,
        "agents": students + teachers + supervisors,
    }


def measure(workload: Workload, progress: bool = False) -> dict[str, Any]:
    """Build the model, run it step by step, and report times, memory and throughput."""
    from runs.config import load_params

    logging.getLogger("MESA").setLevel(logging.WARNING)
    params = load_params(list(workload.overrides))
    engine = _engine(workload)
    cpu_start = time.process_time()
    start = time.perf_counter()
    if workload.engine == "fast":  # as the seminar app does: no month waits for numba's cache
        from sim.compiled import load_cached_loops

        load_cached_loops()
    load_s = time.perf_counter() - start
    model = engine(params, seed=1)
    init_s = time.perf_counter() - start  # the loops' loading included
    steps = params.steps if workload.steps is None else workload.steps
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=steps, desc=workload.name, unit="step", file=sys.stderr, leave=False)
    step_s = []
    for _ in range(steps):
        t = time.perf_counter()
        model.step()
        step_s.append(time.perf_counter() - t)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    run_s = sum(step_s)
    counts = _counts(model)
    result: dict[str, Any] = {
        **asdict(workload),
        **counts,
        "steps": steps,
        "init_s": init_s,
        "load_s": load_s,
        "run_s": run_s,
        "wall_s": init_s + run_s,
        # CPU seconds of the same span: close to wall seconds on an idle machine, and the
        # figure to trust when other work competes for the cores.
        "cpu_s": time.process_time() - cpu_start,
        "step_ms_mean": 1e3 * run_s / max(steps, 1),
        "step_ms_max": 1e3 * max(step_s, default=0.0),
        "agent_steps_per_s": counts["agents"] * steps / run_s if run_s else float("nan"),
        # ru_maxrss is in kilobytes on Linux.
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "bytes_per_student": float("nan"),
    }
    result["state_bytes"] = float("nan")
    if workload.engine == "fast":
        result["bytes_per_student"] = model.students.nbytes() / counts["students"]
        populations = (model.students, model.teachers, model.schools, model.supervisors)
        result["state_bytes"] = sum(p.nbytes() for p in populations)
    return result


def main() -> None:
    spec = json.loads(sys.argv[1])
    spec["overrides"] = tuple(spec["overrides"])
    progress = "--progress" in sys.argv[2:]
    result = measure(Workload(**spec), progress=progress)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
