"""A progress bar over a whole sweep, whatever launcher runs its jobs.

Jobs may run in other processes or on other machines, so the bar does not listen to them: it
counts the runs' completion markers in the sweep folder, once a second, from the process that
launched the sweep. Runs finished before an interruption count from the start.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from experiments import plan, store
from runs import posterior

POLL_SECONDS = 1.0


class SweepProgress(Callback):
    """Hydra callback (configs/experiment/_sweep.yaml): a tqdm bar of finished runs."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        setting = config.output.progress
        if not (sys.stderr.isatty() if setting == "auto" else bool(setting)):
            return
        if plan.is_search(config):  # a search: its trials, each a cell
            runs = int(config.replicates) * posterior.draw_count(config)
            total = int(config.hydra.sweeper.n_trials) * runs
        else:
            task = list(config.hydra.overrides.task)
            axes = plan.sweep_axes(config.hydra.sweeper.params or {}, task)
            axes = {k: v for k, v in axes.items() if k not in plan.RUN_KEYS}
            total = plan.planned_runs(plan.cells(config, axes), config)
        sweep_dir = Path(str(config.hydra.sweep.dir))
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, args=(sweep_dir, total), daemon=True)
        self._thread.start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def _watch(self, sweep_dir: Path, total: int) -> None:
        from tqdm import tqdm

        with tqdm(total=total, unit="run", desc="sweep", file=sys.stderr) as bar:
            while True:
                done = sum(1 for _ in store.finished_runs(sweep_dir))
                bar.n = min(done, total)
                bar.refresh()
                if self._stop.wait(POLL_SECONDS):
                    bar.n = min(sum(1 for _ in store.finished_runs(sweep_dir)), total)
                    bar.refresh()
                    return

    # The callback travels with Hydra's context to worker processes: a thread cannot.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()
