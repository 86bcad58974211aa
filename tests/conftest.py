"""Shared fixtures; the helpers they use live in tests/helpers.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `from helpers import …` in every test module

from helpers import make_model

from sim.model import TutorialNetworkModel


@pytest.fixture
def seminar_model() -> TutorialNetworkModel:
    return make_model()
