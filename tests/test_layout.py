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


def test_every_rule_module_is_called_by_the_models_step():
    """A mechanism module that the month never calls would be dead model code."""
    step = (ROOT / "sim" / "model.py").read_text()
    rules = [p.stem for p in (ROOT / "sim" / "rules").glob("*.py") if p.stem != "__init__"]
    assert rules
    assert all(f"{rule}." in step for rule in rules), rules
