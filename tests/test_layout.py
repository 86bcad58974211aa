"""The folders show the architecture: the model imports no runner, storage, app or plotting code;
running sits apart from the app; each rule module is a mechanism of the model."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(package: str, skip: tuple[str, ...] = ()) -> dict[str, set[str]]:
    """Top-level packages each module of `package` imports (its own import statements)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if path.name in skip:
            continue
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden", "skip"),
    [
        # `python -m sim` hands over to runs.cli: the one line the model package has of the CLI.
        (
            "sim",
            {"pandas", "matplotlib", "solara", "hydra", "omegaconf"}
            | {"experiments", "analysis", "runs", "seminar", "benchmarks"},
            ("__main__.py",),
        ),
        ("runs", {"solara", "seminar", "analysis", "benchmarks"}, ()),
        ("seminar", {"experiments", "analysis", "benchmarks"}, ()),
    ],
)
def test_a_package_imports_only_what_its_layer_may(package, forbidden, skip):
    offenders = {
        module: sorted(names & forbidden)
        for module, names in imported_packages(package, skip).items()
        if names & forbidden
    }
    assert not offenders, offenders


def test_every_rule_module_acts_in_the_month():
    """A mechanism module that neither the month nor another rule calls would be dead code."""
    folder = ROOT / "sim" / "rules"
    rules = {p.stem: p.read_text() for p in folder.glob("*.py") if p.stem != "__init__"}
    step = (ROOT / "sim" / "model.py").read_text()
    assert rules
    dead = [
        rule
        for rule in rules
        if f"{rule}." not in step
        and not any(f"sim.rules.{rule} import" in text for text in rules.values())
    ]
    assert not dead, dead
