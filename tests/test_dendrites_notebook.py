"""The dendrites notebook runs top to bottom."""
from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "dendrites.ipynb"


def test_notebook_executes(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []))
    assert "8.3758e-13" in outputs
    assert "detected: [[1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]," in outputs
    assert [o.text for cell in nb.cells for o in cell.get("outputs", []) if o.get("name") == "stderr"] == []  # no warning
