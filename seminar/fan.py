"""The fan: the same levers run with 20 seeds in the background, so that the plots show the
spread the live run is one story out of ("one seed is one story", docs/seminar.md).

The fan's seeds are the main job's replicate seeds for the run's root seed: replicate 1 is the
live run itself. The buttons pressed in the live run are not in the fan: it shows the levers.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from runs.driver import replicate_seeds
from seminar.settings import Levers, params_for
from sim.model import TutorialNetworkModel

log = logging.getLogger(__name__)
FAN_SEEDS = 20
FAN_KEYS = ("schools_genuine", "mastery_mean", "motivation_adopters", "bureaucratization_index")
# The band drawn: from this quantile of the seeds to its mirror image.
LOW_QUANTILE = 0.1
YIELD_S = 0.0005


@dataclass(frozen=True)
class Fan:
    """Per month, each metric's low and high quantile over the fan's seeds."""

    years: np.ndarray
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]
    seeds: int


def run_fan(levers: Levers, cancel: threading.Event, seeds: int = FAN_SEEDS) -> Fan | None:
    """Run the levers with `seeds` seeds; None if cancelled (the page moved on) or failed."""
    try:
        params = params_for(levers)
        tables = []
        for seed in replicate_seeds(levers.seed, seeds):
            model = TutorialNetworkModel(params, seed=seed)
            for _ in range(params.steps):
                # Waiting a moment each month lets the live run and the page go first.
                if cancel.wait(YIELD_S):
                    return None
                model.step()
            tables.append(model.table)
    except Exception:  # the fan is a help, never a reason for the page to fail
        log.exception("the fan of seeds failed")
        return None
    values = {key: np.array([[row[key] for row in t] for t in tables]) for key in FAN_KEYS}
    return Fan(
        years=np.array([row["year"] for row in tables[0]]),
        low={k: np.quantile(v, LOW_QUANTILE, axis=0) for k, v in values.items()},
        high={k: np.quantile(v, 1 - LOW_QUANTILE, axis=0) for k, v in values.items()},
        seeds=seeds,
    )
