import json

from evlearn.cli.main import main


def test_demo_runs_full_feast_pipeline(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "FEAST winner histograms" in text and "baseline" in text
    summary = json.loads((out / "summary.json").read_text())
    assert 0.0 <= summary["baseline"]["accuracy"] <= 1.0
    # the learned features must beat chance (0.1) clearly on the shipped samples
    assert summary["feast"]["accuracy"] > 0.5
    assert summary["seed"] == 0 and "versions" in summary and summary["config"]["feast"]["n_neurons"] == 64
    for name in ("samples.png", "feast_weights.png", "feast_diagnostics.png"):
        assert (out / name).stat().st_size > 1000


def test_demo_bad_data_folder_is_one_line_error(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "o"), "--data", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert "missing" in err and "\n" not in err
