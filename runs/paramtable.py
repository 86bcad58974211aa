"""`python -m runs.paramtable`: the parameter table of docs/ODD.md, from params.py and configs/."""

from __future__ import annotations

from typing import Any

from omegaconf import OmegaConf

from runs.config import compose_config
from sim.params import describe

SECTIONS = ("behaviour.", "scenario.", "years")


def _value(cfg: dict[str, Any], key: str) -> Any:
    node: Any = cfg
    for part in key.split("."):
        node = node[part]
    return node


def rows() -> list[str]:
    cfg = OmegaConf.to_container(compose_config([]), resolve=True)
    out = []
    for key, allowed, meaning in describe():
        if key.startswith(SECTIONS) and key != "scenario.events":
            out.append(f"| `{key}` | {_value(cfg, key)} | {allowed} | {meaning} |")
    return out


if __name__ == "__main__":
    print("| key | default | allowed | meaning |")
    print("| --- | --- | --- | --- |")
    print("\n".join(rows()))
