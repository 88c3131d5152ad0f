"""`evlearn dendrites`: every argument checked before any work or file, long unions announced and shown."""
import pytest

from evlearn.cli.main import main

PROB = ["dendrites", "prob", "--n", "100000", "--a", "2000", "--s", "24", "--theta", "12"]


@pytest.mark.parametrize("option, value", [("--seed", "-1"), ("--trials", "0"), ("--seed", str(2**40))])
def test_figures_refuse_bad_options_before_writing(tmp_path, capsys, option, value):
    """`dendrites figures --seed -1` used to write 8 files and then exit 2."""
    out = tmp_path / "figs"
    assert main(["dendrites", "figures", "--out", str(out), "--quick", "--no-brian", "--no-progress",
                 option, value]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and option in err
    assert not out.exists()


def test_prob_refuses_a_union_that_cannot_finish(capsys):
    assert main([*PROB, "--patterns", "100000"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--patterns 100000" in err and "terms" in err


@pytest.mark.parametrize("option, value", [("--patterns", "0"), ("--segments", "-3"), ("--noise", "1.5"),
                                           ("--simulate", "-1")])
def test_prob_refuses_out_of_range_options(capsys, option, value):
    assert main([*PROB, option, value]) == 2
    assert option in capsys.readouterr().err


def test_prob_announces_long_unions_and_shows_progress(capsys, monkeypatch):
    """`dendrites prob --patterns 1000` used to run minutes without a word or a bar."""
    import evlearn.cli.dendrites as cli

    monkeypatch.setattr(cli, "UNION_WARN_TERMS", 1000)
    assert main([*PROB, "--patterns", "30"]) == 0
    err = capsys.readouterr().err
    assert "evaluates about 2.4e+05 terms" in err and "union sizes" in err
    assert main([*PROB, "--patterns", "30", "--no-progress"]) == 0
    assert "union sizes" not in capsys.readouterr().err


def test_simulation_refuses_populations_it_cannot_hold(capsys):
    """The Monte Carlo kernels hold a permutation of n cells: n = 1e12 used to die in a MemoryError."""
    assert main(["dendrites", "prob", "--n", str(10**12), "--a", "300", "--s", "24", "--theta", "12",
                 "--simulate", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "too large to simulate" in err
