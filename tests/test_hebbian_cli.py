"""CLI (figures --quick, run --config), config errors, and the notebook executed top to bottom."""
import json
from pathlib import Path

import pytest

from evlearn.cli.main import main
from evlearn.config import load_config
from evlearn.hebbian.config import NetworkConfig

ROOT = Path(__file__).resolve().parents[1]


def test_figures_quick_writes_png_csv_json(tmp_path, capsys):
    assert main(["hebbian", "figures", "--out", str(tmp_path), "--quick", "--no-progress"]) == 0
    for name in ("hierarchical_dilution", "temperature", "phase_diagram", "learning"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
        assert (tmp_path / f"{name}.csv").read_text().startswith(("kind,", "d,"))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["seed"] == 0 and summary["config"]["quick"] is True and "numba" in summary["versions"]


def test_figures_only_one_part(tmp_path, capsys):
    assert main(["hebbian", "figures", "--out", str(tmp_path), "--quick", "--no-progress", "--only", "phase"]) == 0
    assert (tmp_path / "phase_diagram.png").exists() and not (tmp_path / "temperature.png").exists()
    assert json.loads((tmp_path / "summary_phase.json").read_text())["figures"] == ["phase"]
    assert main(["hebbian", "figures", "--out", str(tmp_path), "--quick", "--only", "nope"]) == 2
    assert "unknown figure" in capsys.readouterr().err


def test_run_config_writes_result(tmp_path, capsys):
    config = tmp_path / "net.toml"
    config.write_text('N = 2000\nK = 2\nd = 0.4\nr = 0.6\nM = 10\nprotocol = "unsupervised"\n'
                      "beta = 10.0\nn_sweeps = 40\nn_measure = 20\nseed = 3\n")
    assert main(["hebbian", "run", "--config", str(config), "--out", str(tmp_path / "out")]) == 0
    record = json.loads((tmp_path / "out" / "result.json").read_text())
    assert record["seed"] == 3 and record["config"]["protocol"] == "unsupervised"
    assert abs(record["m_simulation_ordered"][0] - record["m_theory"][0]) < 0.06
    assert (tmp_path / "out" / "trace.csv").read_text().count("\n") == 41 + 1


def test_shipped_config_loads():
    cfg = load_config(NetworkConfig, ROOT / "benchmarks" / "configs" / "hebbian_supervised.toml")
    assert cfg.N >= 10_000 and cfg.protocol == "supervised"


@pytest.mark.parametrize("body, message", [
    ("d = 1.0\n", "d (dilution)"),
    ("r = 0.0\n", "r (example quality)"),
    ("M = 0\n", "M (examples"),
    ("N = 10\nK = 11\n", "K (archetypes) must not exceed N"),
    ("beta = 0.0\n", "beta"),
    ('protocol = "hebb"\n', "protocol"),
    ("dilution = 0.3\n", "unknown key"),
])
def test_config_errors_are_one_line(tmp_path, capsys, body, message):
    config = tmp_path / "bad.yaml" if body.startswith("dil") else tmp_path / "bad.toml"
    config.write_text(body.replace(" = ", ": ") if config.suffix == ".yaml" else body)
    assert main(["hebbian", "run", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_notebook_runs_top_to_bottom():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = ROOT / "notebooks" / "hebbian.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "commit without outputs"
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(ROOT)}}).execute()
    text = "".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "Brian2  m =" in text and "theory  m =" in text
