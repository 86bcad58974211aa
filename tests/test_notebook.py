"""docs/quickstart.ipynb runs from top to bottom in a fresh kernel: any error in any cell fails,
and the seminar page it shows at the end renders as a widget."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

DOCS = Path(__file__).resolve().parent.parent / "docs"
WIDGET = "application/vnd.jupyter.widget-view+json"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_quickstart_notebook_runs_top_to_bottom():
    nb = nbformat.read(DOCS / "quickstart.ipynb", as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")  # stored clean
    client = NotebookClient(
        nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(DOCS)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    code = [c for c in nb.cells if c.cell_type == "code"]
    printed = "".join(o.get("text", "") for o in code[0].outputs)
    assert "final values" in printed and "hybrid" in printed
    assert any("image/png" in o.get("data", {}) for o in code[2].outputs)  # the plot
    assert any(WIDGET in o.get("data", {}) for o in code[-1].outputs)  # the seminar page
