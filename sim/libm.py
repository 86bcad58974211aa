"""Elementwise exponentials and powers that give the same bits on every machine.

numpy computes `exp`, `expm1` and `**` with an implementation it picks by the processor: on one
with AVX-512 it uses Intel's vector library, elsewhere the C library's functions, and the two
can differ in the last bit. A run must be the same, bit for bit, for a seed whatever machine
runs it, so the model's few such functions are compiled loops that call the C library's
function for every element, on every machine.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from sim.threads import threads_for


@njit(cache=True, parallel=True)
def _power32(x, y):
    out = np.empty(x.size, dtype=np.float32)
    for i in prange(x.size):  # each element on its own: the same whatever the threads
        out[i] = x[i] ** y  # float32 ** float32: the C library's powf
    return out


@njit(cache=True, parallel=True)
def _exp(x, minus_one):
    out = np.empty(x.size, dtype=np.float64)
    for i in prange(x.size):
        out[i] = math.expm1(x[i]) if minus_one else math.exp(x[i])
    return out


def power32(x: np.ndarray, y: float) -> np.ndarray:
    """x ** y elementwise, for float32 x, in float32."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    with threads_for(x.size):
        return _power32(x.ravel(), np.float32(y)).reshape(x.shape)


def expm1(x: np.ndarray | float) -> np.ndarray:
    """exp(x) − 1 elementwise, in float64 (a float for a float)."""
    a = np.asarray(x, dtype=np.float64)
    with threads_for(a.size):
        out = _exp(np.ascontiguousarray(a).ravel(), True).reshape(a.shape)
    return out if a.ndim else float(out)


def exp(x: np.ndarray) -> np.ndarray:
    """exp(x) elementwise, in float64."""
    a = np.ascontiguousarray(x, dtype=np.float64)
    with threads_for(a.size):
        return _exp(a.ravel(), False).reshape(a.shape)
