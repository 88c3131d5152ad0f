"""`evlearn bench`: one line + exit 2 for every bad option or config, nothing written first;
reports say which runs are unfinished."""
import pytest

from evlearn.cli.main import main
from evlearn.continual.runner import run_benchmark
from evlearn.io import read_json

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TOML = """\
name = "tiny"
seeds = [0]
strategies = ["naive", "er"]
memory_size = 10
[data]
name = "synthetic"
options = { n_classes = 4, n_features = 4, n_train_per_class = 10, n_test_per_class = 5 }
[scenario]
n_tasks = 2
[train]
epochs = 1
batch_size = 8
lr = 0.1
optimizer = "sgd"
"""


def _one_line_exit_2(capsys, argv, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.mark.parametrize("command", [["bench"], ["feast"], ["dendrites"], ["hebbian"]])
def test_a_part_without_its_action_exits_2(command, capsys):
    """`evlearn bench` with no action used to exit 0 where `evlearn feast` exits 2."""
    assert main(command) == 2
    assert "usage" in capsys.readouterr().out


@pytest.mark.parametrize("threads", ["-1", "0", "100000"])
def test_threads_out_of_range(tmp_path, capsys, threads):
    """`--threads -1` used to raise a RuntimeError from torch; `--threads 0` was accepted silently."""
    config = tmp_path / "c.toml"
    config.write_text(TOML)
    _one_line_exit_2(capsys, ["bench", "run", str(config), "--out", str(tmp_path / "out"), "--threads", threads],
                     "--threads")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("edit, needles", [
    (("[data]\n", "options = 3\n[data]\n"), ["options: expected a table/mapping, got 3"]),
    (("options = { n_classes = 4, n_features = 4, n_train_per_class = 10, n_test_per_class = 5 }", "options = 3"),
     ["data.options: expected a table/mapping, got 3"]),
    (("n_tasks = 2\n", "n_tasks = 2\nclass_order = 5\n"), ["scenario.class_order", "got 5"]),
    (("n_tasks = 2\n", "n_tasks = 2\nclass_order = [0, 1, 2]\n"), ["scenario.class_order lists 3 classes"]),
    (("n_tasks = 2\n", 'n_tasks = "two"\n'), ["scenario.n_tasks: expected an integer, got 'two'"]),
    (("n_tasks = 2\n", "n_tasks = 0\n"), ["scenario.n_tasks must be in [1, inf]"]),
    (("lr = 0.1\n", "lr = -0.1\n"), ["train.lr must be in (0.0, inf]"]),
    (("lr = 0.1\n", 'lr = "fast"\n'), ["train.lr: expected a number"]),
    (('optimizer = "sgd"\n', 'optimizer = "rmsprop"\n'), ["train.optimizer: must be one of ['sgd', 'adam']"]),
    (("seeds = [0]\n", "seeds = [-1]\n"), ["seeds: give a non-empty list of integers >= 0"]),
    (("memory_size = 10\n", "memory_size = -5\n"), ["memory_size must be in [0, inf]"]),
    (('strategies = ["naive", "er"]\n', 'strategies = [{ name = "er", options = 3 }]\n'),
     ["strategies[0].options: expected a table"]),
    (("[scenario]\n", "[options]\ner = 3\n[scenario]\n"), ["options.er: expected a table of options, got 3"]),
    (("n_features = 4,", "n_feature = 4,"), ["data.options: unknown key(s) ['n_feature']"]),
    (("[scenario]\n", "[scenario]\nblurry = 1.5\n"), ["scenario.blurry must be in [0.0, 1.0)"]),
])
def test_config_errors_are_one_line_and_write_nothing(tmp_path, capsys, edit, needles):
    """`options = 3` used to give an AttributeError and `class_order = 5` a TypeError, each after writing
    the run folder."""
    old, new = edit
    assert old in TOML
    config = tmp_path / "c.toml"
    config.write_text(TOML.replace(old, new, 1))
    out = tmp_path / "out"
    _one_line_exit_2(capsys, ["bench", "run", str(config), "--out", str(out), "--no-progress"], "c.toml: ", *needles)
    assert not out.exists()


def test_yaml_syntax_error_is_one_line_with_its_position(tmp_path, capsys):
    """A YAML syntax error used to print PyYAML's four-line message."""
    config = tmp_path / "c.yaml"
    config.write_text("name: x\nseeds: [0, 1\nstrategies: [naive]\n")
    _one_line_exit_2(capsys, ["bench", "run", str(config), "--out", str(tmp_path / "o")],
                     "cannot parse", "c.yaml", "line 3, column 11")


class Killed(RuntimeError):
    pass


def test_report_lists_unfinished_runs(tmp_path, capsys):
    """`bench report` used to leave out strategies with unfinished runs without a word."""
    config = tmp_path / "c.toml"
    config.write_text(TOML.replace("seeds = [0]", "seeds = [0, 1]"))

    def kill(label, seed, task):
        if label == "er" and seed == 0 and task == 0:
            raise Killed

    with pytest.raises(Killed):
        from evlearn.continual.runner import read_bench_config

        run_benchmark(read_bench_config(config), tmp_path / "out", after_task=kill)
    assert main(["bench", "report", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "2 unfinished run(s) left out of the table: er seed 0 (in progress), er seed 1 (not started)" in captured.err
    summary = read_json(tmp_path / "out" / "summary.json")
    assert summary["unfinished"] == [{"label": "er", "seed": 0, "state": "in progress"},
                                     {"label": "er", "seed": 1, "state": "not started"}]
    assert "Unfinished runs, not in the table (2)" in (tmp_path / "out" / "report.md").read_text()
