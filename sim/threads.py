"""How many threads a compiled loop over schools or teachers may use.

The compiled loops over schools (``sim.rules.lessons``, ``sim.rules.tutoring``, the yearly
cohort in ``sim.rules.turnover``), over teachers (``sim.rules.motivation``, ``sim.network``, the
practice's move in ``sim.rules.coaching``, paperwork in ``sim.rules.supervision``) and over any
array (``sim.libm``) can run in parallel threads, with the same result whatever the count: each
school, teacher or element writes only its own state. A second thread pays only
when a loop's work far exceeds what starting and joining threads costs, and it costs much more
than that when other processes share the cores (a sweep's or a calibration's workers): a thread
that loses its core holds every other thread at the loop's end for a scheduler time slice. On the
seminar system two such processes ran nine times slower with two threads each than with one, on
the state system twice as slow. So a process that runs beside others keeps to one thread
(`share_cores`: the experiments' process pools, and a Hydra sweep's jobs under the joblib and
Ray launchers, ``runs/cli.py``), and a process alone runs loops over fewer than
``PARALLEL_FROM_AGENTS`` agents (the seminar system's students, every system's teachers but the
national one's) in one thread and larger ones in all of numba's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba

# Agents a loop must cover before it runs in several threads: a month of the seminar system's
# 12,000 students is a fraction of a millisecond of work, the state system's 0.7 million about
# ten milliseconds (two threads halve it), the national system's 28 million hundreds; a pass
# over the national system's 1.1 million teachers takes some 40 ms in one thread.
PARALLEL_FROM_AGENTS = 250_000
# At most this many threads in this process (None: numba's count). A worker process that shares
# the cores with other workers keeps to one (`share_cores`), whatever the system's size.
_ceiling: int | None = None


def share_cores() -> None:
    """Called in a worker process beside others (a pool's initializer): one thread per loop."""
    global _ceiling
    _ceiling = 1


@contextmanager
def threads_for(agents: int) -> Iterator[None]:
    """Run the compiled loops inside with one thread, or with all, by the agents (students or
    teachers) they cover."""
    before = numba.get_num_threads()
    wanted = numba.config.NUMBA_NUM_THREADS if agents >= PARALLEL_FROM_AGENTS else 1
    wanted = min(wanted, _ceiling or wanted)
    numba.set_num_threads(wanted)
    try:
        yield
    finally:
        numba.set_num_threads(before)
