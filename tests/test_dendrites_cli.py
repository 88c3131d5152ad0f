"""`evlearn dendrites` sub-commands: prob, choose, figures."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from evlearn.cli.main import main
from evlearn.io import read_json

ROOT = Path(__file__).resolve().parents[1]


def test_prob_json_matches_paper(capsys):
    assert main(["dendrites", "prob", "--n", "10000", "--a", "300", "--s", "24", "--theta", "12", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["false_match"] == pytest.approx(8.37584522709849e-13, rel=1e-8)


def test_prob_all_quantities_with_simulation(capsys):
    argv = ["dendrites", "prob", "--n", "1000", "--a", "50", "--s", "20", "--theta", "5", "--noise", "0.5",
            "--segments", "4", "--patterns", "3", "--simulate", "20000", "--seed", "3", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("false_match", "noise_match", "noise_false_negative", "neuron_false_match", "union_false_match"):
        assert 0 <= report[key] <= 1
    for key, sim in report["monte_carlo"].items():
        assert sim["trials"] == 20000 and sim["ci_low"] <= sim["rate"] <= sim["ci_high"]
    assert main(argv[:-1]) == 0                          # text output
    assert "simulated false_match" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["--n", "100", "--a", "200", "--s", "10", "--theta", "5"], "a (active cells) must be <= n"),
    (["--n", "100", "--a", "20", "--s", "10", "--theta", "11"], "theta (NMDA threshold) must be <= s"),
    (["--n", "100", "--a", "20", "--s", "10", "--theta", "5", "--noise", "1.5"], "noise"),
    (["--n", "-3", "--a", "20", "--s", "10", "--theta", "5"], "n must be"),
])
def test_invalid_parameters_exit_2_with_one_line(capsys, argv, message):
    assert main(["dendrites", "prob", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_choose(capsys):
    assert main(["dendrites", "choose", "--n", "10000", "--a", "300", "--noise", "0.3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["false_match"] <= 1e-9 and report["false_negative"] <= 1e-3
    assert main(["dendrites", "choose", "--n", "2000", "--a", "64", "--s", "24", "--noise", "0.5"]) == 0
    assert "theta" in capsys.readouterr().out


def test_figures_quick_without_brian(tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["dendrites", "figures", "--out", str(out), "--quick", "--no-brian", "--no-progress", "--seed", "1"]) == 0
    for name in ("effect_of_n", "effect_of_s_theta", "noise", "union"):
        assert (out / f"{name}.png").stat().st_size > 10_000
        assert (out / f"{name}.csv").read_text().startswith("figure,")
    record = read_json(out / "summary.json")
    assert record["seed"] == 1 and "brian2" in record["versions"] and record["config"]["quick"]
    assert record["montecarlo"]["points"] > 10
    assert all(row["relative_error"] < 1e-3 for row in record["paper_checks"])
    assert "within their 99% CI" in capsys.readouterr().out


@pytest.mark.slow
def test_figures_quick_with_brian(tmp_path):
    out = tmp_path / "figs"
    assert main(["dendrites", "figures", "--out", str(out), "--quick", "--no-progress"]) == 0
    record = read_json(out / "summary.json")
    assert (out / "brian.png").exists() and record["brian"][0]["fraction_inside_ci"] > 0.5


@pytest.mark.slow
def test_full_brian_sweep_reproduces_the_committed_86_of_86(tmp_path):
    """README/docs claim the theory lies inside the 99% interval in 86/86 Brian2 conditions: the whole
    sweep of `dendrites figures` (seed 0, numpy target, ~25 s CPU) measures exactly the committed brian.csv."""
    from evlearn.dendrites.figures import FiguresConfig, figure_brian
    from evlearn.io import write_csv

    _, rows, _ = figure_brian(FiguresConfig(seed=0))
    assert len(rows) == 86 and all(row["inside_ci"] for row in rows)
    committed = ROOT / "benchmarks" / "results" / "dendrites" / "brian.csv"
    with open(write_csv(tmp_path / "brian.csv", rows)) as now, open(committed) as then:
        for row, old in zip(csv.DictReader(now), csv.DictReader(then), strict=True):
            # the theory column moved in its last digits when the theory became exact (mpmath-checked)
            assert float(row.pop("theory")) == pytest.approx(float(old.pop("theory")), rel=1e-9)
            assert row == old
