"""A cheap stand-in for the main job, for testing policy search: the same configs and search
space (`+experiment=design_a_scaleup`), but the objective is a known function of the settings
with its optimum at pace 30, 8 visits a month, coaching by nodes, sheltered schools."""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runs.config import CONFIG_DIR

OPTIMUM = {"pace": 30, "coach_capacity": 8, "coaching": "nodes", "sheltered": True}


@hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")
def objective(cfg: DictConfig) -> float:
    mandate = cfg.scenario.mandate
    return (
        -(((mandate.pace - OPTIMUM["pace"]) / 35) ** 2)
        - ((mandate.coach_capacity - OPTIMUM["coach_capacity"]) / 18) ** 2
        + 0.5 * (mandate.coaching == OPTIMUM["coaching"])
        + 0.5 * (bool(cfg.scenario.sheltered) == OPTIMUM["sheltered"])
    )


if __name__ == "__main__":
    objective()
