"""Test helpers: parameters composed from configs/ exactly as the command line would, and models."""

from __future__ import annotations

from functools import lru_cache

from runs.config import load_params
from sim.model import TutorialNetworkModel
from sim.params import Params


@lru_cache(maxsize=64)
def _params(overrides: tuple[str, ...]) -> Params:
    return load_params(list(overrides))


def params_for(*overrides: str) -> Params:
    return _params(tuple(overrides))


def make_model(*overrides: str, seed: int = 1) -> TutorialNetworkModel:
    return TutorialNetworkModel(params_for(*overrides), seed=seed)
