import json

from evlearn.cli.main import main


def test_demo_runs_and_writes_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "accuracy" in text
    summary = json.loads((out / "summary.json").read_text())
    assert 0.0 <= summary["baseline"]["accuracy"] <= 1.0
    assert summary["seed"] == 0 and "versions" in summary
    assert (out / "samples.png").stat().st_size > 1000


def test_demo_bad_data_folder_is_one_line_error(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "o"), "--data", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert "missing" in err and "\n" not in err
