"""The model's compiled loops, loaded from numba's on-disk cache ahead of the first month.

numba compiles a loop the first time it is called, or loads it from its cache (``cache=True``,
``__pycache__/``), in whichever month first calls it: the seminar system's first month took
40–60 ms where the others take a few. Where a month must answer at once (the seminar app's
first click) or where months are timed (the benchmark), `load_cached_loops` loads every loop the
cache holds for this machine beforehand. A batch run does not: loading all of them (33
signatures, 0.3–0.9 s) costs more than loading, on first call, the ones a run uses. Where the
cache has nothing for a loop yet, it is compiled on its first call, as before.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from numba.core.dispatcher import Dispatcher

_loaded = False


def load_cached_loops() -> None:
    """Load, once per process, every compiled loop of `sim` that the cache holds for this
    machine and this source."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for loop in _loops():
        for signature in _cached_signatures(loop):
            loop.compile(signature)


def _loops() -> Iterator[Dispatcher]:
    seen: set[int] = set()
    for name, module in list(sys.modules.items()):
        if not (name == "sim" or name.startswith("sim.")) or module is None:
            continue
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and id(value) not in seen:
                seen.add(id(value))
                yield value


def _cached_signatures(loop: Dispatcher) -> list[tuple]:
    """The signatures the cache holds for this loop, compiled for this machine (numba's cache
    index; a loop it cannot read is loaded on its first call instead)."""
    cache = getattr(loop, "_cache", None)
    try:
        index = cache._cache_file._load_index()
        codegen = loop.targetctx.codegen()
        return [key[0] for key in index if cache._index_key(key[0], codegen) == key]
    except (AttributeError, OSError, TypeError, ValueError):
        return []
