"""The launching process, prepared before Hydra starts a launcher.

A local Ray instance listens on the loopback interface only. Ray turns a loopback node address
into the machine's network address unless it is told that it runs no cluster
(``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, what Ray does by default on a laptop running macOS or
Windows); the variable must be set before Ray is imported, so it is set here, when the sweep's
launcher config (configs/hydra/launcher/ray_local.yaml) asks for a local instance on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import os

from omegaconf import DictConfig, OmegaConf

RAY_NO_CLUSTER = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def wants_loopback_ray(cfg: DictConfig) -> bool:
    """Whether the launcher starts a local Ray instance bound to a loopback address."""
    launcher = OmegaConf.select(cfg, "hydra.launcher") or {}
    if not str(launcher.get("_target_", "")).endswith("RayLauncher"):
        return False
    init = OmegaConf.select(cfg, "hydra.launcher.ray.init") or {}
    if init.get("address") is not None:
        return False  # joining a running cluster: its own settings hold
    host = init.get("_node_ip_address")
    try:
        return host is not None and ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return str(host) == "localhost"


def jobs_share_cores(launcher: DictConfig | dict, multirun: bool) -> bool:
    """Whether this job runs beside the sweep's other jobs on the same cores: Hydra's joblib
    launcher (unless it runs one job at a time) and Ray start several on one machine; the basic
    launcher runs them one after another, and SLURM gives each its own CPUs."""
    if not multirun:
        return False
    target = str(launcher.get("_target_", ""))
    if target.endswith("JoblibLauncher"):
        return int(launcher.get("n_jobs", -1) or -1) != 1
    return target.endswith("RayLauncher")


def prepare(cfg: DictConfig | None) -> None:
    if cfg is not None and wants_loopback_ray(cfg):
        os.environ.setdefault(RAY_NO_CLUSTER, "0")
