"""CLI (figures --quick, run --config), config errors, and the notebook executed top to bottom."""
import json
from pathlib import Path

import numpy as np
import pytest

from evlearn.cli.main import main
from evlearn.config import load_config
from evlearn.hebbian.config import NetworkConfig

ROOT = Path(__file__).resolve().parents[1]


CLAIM_FIGURES = ("claim1_hierarchical", "claim2_parallel", "phase_diagram", "claim3_learning", "claim4_cost_loss",
                 "claim5_snr")


def test_figures_quick_writes_png_csv_json(tmp_path, capsys):
    assert main(["hebbian", "figures", "--out", str(tmp_path), "--quick", "--no-progress"]) == 0
    for name in CLAIM_FIGURES:
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
        assert (tmp_path / f"{name}.csv").read_text().startswith(("kind,", "K,"))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["seed"] == 0 and summary["config"]["quick"] is True and "numba" in summary["versions"]
    assert summary["convention"] == "hebb" and summary["checked_against_paper_text"] == "no (abstract only)"
    assert "/tmp" not in json.dumps(summary["config"])
    for part in ("hierarchical", "parallel"):
        assert summary["results"][part]["agreement"]["numba"]["points"] > 0


def test_figures_only_regimes_writes_the_issue_columns(tmp_path, capsys):
    assert main(["hebbian", "figures", "--out", str(tmp_path), "--quick", "--no-progress", "--only", "regimes"]) == 0
    lines = (tmp_path / "regimes.csv").read_text().splitlines()
    assert lines[0] == "K,T,d,start,regime,m_1,m_2,m_3"
    rows = [line.split(",") for line in lines[1:]]
    assert {r[3] for r in rows} == {"cue", "mixture_even", "mixture_odd"}
    assert {r[4] for r in rows} <= {"hierarchical", "parallel", "mixture", "pure", "paramagnetic"}
    assert {r[1] for r in rows} == {"0.05", "0.1", "0.2"}
    assert not (tmp_path / "claim2_parallel.png").exists()
    assert json.loads((tmp_path / "summary_regimes.json").read_text())["figures"] == ["regimes"]
    assert main(["hebbian", "figures", "--out", str(tmp_path), "--quick", "--only", "nope"]) == 2
    assert "unknown figure" in capsys.readouterr().err


def test_full_regimes_grid_is_the_issue_grid():
    from evlearn.hebbian import regimes as R
    from evlearn.hebbian.figures import FiguresConfig

    cfg = FiguresConfig()
    assert cfg.regimes_K == (2, 3, 4) and cfg.regimes_T == (0.05, 0.1, 0.2)
    assert np.allclose(cfg.regimes_d, np.arange(0, 0.951, 0.05)) and R.regime_columns(4)[-1] == "m_4"
    assert cfg.sampling.N >= 20_000 and cfg.sampling.n_seeds >= 3


def test_cli_names_match_the_library():
    from evlearn.cli import hebbian as cli
    from evlearn.hebbian.couplings import CONVENTIONS, DEFAULT_CONVENTION
    from evlearn.hebbian.figures import PARTS

    assert cli.PARTS == tuple(PARTS) and cli.CONVENTIONS == CONVENTIONS and cli.DEFAULT_CONVENTION == DEFAULT_CONVENTION


def test_convention_switch_changes_the_theory(tmp_path, capsys):
    for convention in ("hebb", "mean-field"):
        out = tmp_path / convention
        assert main(["hebbian", "figures", "--out", str(out), "--quick", "--no-progress", "--only", "regimes",
                     "--convention", convention]) == 0
    plain, mean_field = ((tmp_path / c / "regimes.csv").read_text() for c in ("hebb", "mean-field"))
    assert plain != mean_field
    assert json.loads((tmp_path / "mean-field" / "summary_regimes.json").read_text())["convention"] == "mean-field"
    with pytest.raises(SystemExit):  # argparse: one usage line and exit status 2
        main(["hebbian", "figures", "--out", str(tmp_path), "--convention", "plain"])
    assert "invalid choice: 'plain'" in capsys.readouterr().err


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
    cfg = load_config(NetworkConfig, ROOT / "benchmarks" / "script_configs" / "hebbian_supervised.toml")
    assert cfg.N >= 10_000 and cfg.protocol == "supervised"


@pytest.mark.parametrize("body, message", [
    ("d = 1.0\n", "d (dilution)"),
    ("r = 0.0\n", "r (example quality)"),
    ("M = 0\n", "M (examples"),
    ("N = 10\nK = 11\n", "K (archetypes) must not exceed N"),
    ("beta = 0.0\n", "beta"),
    ('protocol = "hebb"\n', "protocol"),
    ("dilution = 0.3\n", "unknown key"),
    ('convention = "plain"\n', "convention must be one of"),
])
def test_config_errors_are_one_line(tmp_path, capsys, body, message):
    config = tmp_path / "bad.yaml" if body.startswith("dil") else tmp_path / "bad.toml"
    config.write_text(body.replace(" = ", ": ") if config.suffix == ".yaml" else body)
    assert main(["hebbian", "run", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_brian2_network_too_large_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    """Issue 14: N = 10,000 in Brian2 used to run 180 s silently up to 5.7 GB; now refused before building."""
    from evlearn.hebbian import brian

    monkeypatch.setattr(brian, "available_memory_bytes", lambda: 8 * 2**30)  # 4 GiB allowed
    config = tmp_path / "big.toml"
    config.write_text('N = 10000\nK = 3\nbackend = "brian2"\nbeta = 10.0\n')
    assert main(["hebbian", "run", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "N=10000" in err and "GiB" in err and "numba" in err
    assert brian.estimate_memory_bytes(10_000) > 6 * 2**30 > brian.estimate_memory_bytes(1000)


def test_notebook_runs_top_to_bottom():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = ROOT / "notebooks" / "hebbian.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "commit without outputs"
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(ROOT)}}).execute()
    text = "".join(o.get("text", "") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "Brian2  m =" in text and "theory  m =" in text and "mean-field" in text
    # its figure is shown (the notebook used to switch to Agg, which a kernel never displays)
    assert any("image/png" in o.get("data", {}) for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs)
    # no warning (a deprecated name, a 0/0 ratio) printed on a documentation page
    assert [o.text for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs if o.get("name") == "stderr"] == []


def test_two_local_workers_give_the_serial_csv(tmp_path, local_executor):
    """Task seeds derive from the run seed and each point's labels, not from who runs the task."""
    from evlearn.hebbian.figures import FiguresConfig, make_figures

    for name, executor in (("serial", None), ("dask", local_executor)):
        make_figures(tmp_path / name, config=FiguresConfig.quick_config(), seed=3, only=["parallel"],
                     executor=executor)
    serial, dask = ((tmp_path / name / "claim2_parallel.csv").read_text() for name in ("serial", "dask"))
    assert serial == dask and serial.count("numba") >= 4


def test_figures_take_the_shared_execution_options():
    from evlearn.cli.execution import executor_settings
    from evlearn.cli.main import build_parser

    args = build_parser().parse_args(["hebbian", "figures", "--out", "x", "--scheduler", "local", "--workers", "2"])
    assert executor_settings(args) == ("local", 2)
