"""``evlearn feast fit | evaluate | extract`` on a tiny folder copied from the shared data."""
import json
import shutil

import numpy as np
import pytest

from evlearn.cli.main import main


@pytest.fixture(scope="module")
def tiny(nmnist_dir, tmp_path_factory):
    """Train: 3 recordings of each of 3 classes; Test: 2 of each (copies of shared files)."""
    root = tmp_path_factory.mktemp("tiny")
    for label in ("0", "1", "7"):
        files = sorted((nmnist_dir / "Train" / label).glob("*.bin"))[:5]
        for i, path in enumerate(files):
            split = "train" if i < 3 else "test"
            (root / split / label).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, root / split / label / path.name)
    return root


@pytest.fixture(scope="module")
def model(tiny):
    path = tiny / "model.npz"
    assert main(["feast", "fit", "--train", str(tiny / "train"), "--out", str(path), "--neurons", "8",
                 "--seed", "3", "--no-progress"]) == 0
    return path


def test_fit_writes_model_and_evaluate_json(model, tiny, capsys):
    capsys.readouterr()
    assert main(["feast", "evaluate", "--model", str(model), "--test", str(tiny / "test"), "--json",
                 "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert isinstance(report["accuracy"], float) and 0.0 <= report["accuracy"] <= 1.0
    assert report["n_samples"] == 6 and set(report["per_class_accuracy"]) == {"0", "1", "7"}
    assert np.sum(report["confusion_matrix"]) == 6


def test_evaluate_text(model, tiny, capsys):
    assert main(["feast", "evaluate", "--model", str(model), "--test", str(tiny / "test"), "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("accuracy ")


def test_extract_file_and_folder(model, tiny, tmp_path):
    one = next(iter(sorted((tiny / "test").rglob("*.bin"))))
    assert main(["feast", "extract", "--model", str(model), "--in", str(one), "--out", str(tmp_path / "a"),
                 "--no-progress"]) == 0
    events = np.load(tmp_path / "a" / f"{one.stem}.npy")
    assert events.dtype.names == ("x", "y", "t", "p") and events.size == one.stat().st_size // 5
    assert events["p"].max() < 16  # 8 neurons x 2 polarity populations
    assert main(["feast", "extract", "--model", str(model), "--in", str(tiny / "test"), "--out",
                 str(tmp_path / "b"), "--no-progress"]) == 0
    assert len(list((tmp_path / "b").rglob("*.npy"))) == 6


def test_same_seed_same_model(model, tiny, tmp_path):
    again = tmp_path / "again.npz"
    assert main(["feast", "fit", "--train", str(tiny / "train"), "--out", str(again), "--neurons", "8",
                 "--seed", "3", "--no-progress"]) == 0
    a, b = np.load(model), np.load(again)
    np.testing.assert_array_equal(a["layer0_weights"], b["layer0_weights"])


def one_line_error(capsys, *words):
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "error" in err, err
    for word in words:
        assert word in err, err


def test_corrupt_file_is_one_line_error_and_no_model(tiny, tmp_path, capsys):
    bad = tmp_path / "bad"
    shutil.copytree(tiny / "train", bad)
    victim = sorted(bad.rglob("*.bin"))[0]
    victim.write_bytes(victim.read_bytes()[:-3])
    out = tmp_path / "m.npz"
    assert main(["feast", "fit", "--train", str(bad), "--out", str(out), "--no-progress"]) == 2
    one_line_error(capsys, victim.name, "not a multiple of 5")
    assert not out.exists() and list(tmp_path.glob(".m.npz*")) == []


def test_empty_and_wrong_layout_folders(tmp_path, tiny, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["feast", "fit", "--train", str(empty), "--out", str(tmp_path / "m.npz"), "--no-progress"]) == 2
    one_line_error(capsys, "empty")
    flat = tmp_path / "flat"
    flat.mkdir()
    shutil.copy(sorted((tiny / "train").rglob("*.bin"))[0], flat / "x.bin")
    assert main(["feast", "fit", "--train", str(flat), "--out", str(tmp_path / "m.npz"), "--no-progress"]) == 2
    one_line_error(capsys, "flat")
    assert not (tmp_path / "m.npz").exists()


def test_bad_model_and_arguments(tmp_path, tiny, capsys):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a model")
    assert main(["feast", "evaluate", "--model", str(junk), "--test", str(tiny / "test")]) == 2
    one_line_error(capsys, "junk.npz")
    assert main(["feast", "fit", "--train", str(tiny / "train"), "--out", str(tmp_path / "m.npz"),
                 "--layers", "2", "--neurons", "8,4,2"]) == 2
    one_line_error(capsys, "--neurons")


def test_two_layer_fit_and_extract(tiny, tmp_path, capsys):
    path = tmp_path / "two.npz"
    assert main(["feast", "fit", "--train", str(tiny / "train"), "--out", str(path), "--layers", "2",
                 "--neurons", "6,4", "--no-progress"]) == 0
    assert "2 layer(s), 4 output features" in capsys.readouterr().out
    one = next(iter(sorted((tiny / "test").rglob("*.bin"))))
    assert main(["feast", "extract", "--model", str(path), "--in", str(one), "--out", str(tmp_path / "x"),
                 "--no-progress"]) == 0
    assert np.load(tmp_path / "x" / f"{one.stem}.npy")["p"].max() < 4


@pytest.mark.slow
def test_defaults_reach_target_on_shared_test(nmnist_dir, tmp_path, capsys):
    """The issue's acceptance run: CLI defaults, Train 800 -> Test 50, accuracy >= 0.95."""
    model = tmp_path / "feast.npz"
    assert main(["feast", "fit", "--train", str(nmnist_dir / "Train"), "--out", str(model), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["feast", "evaluate", "--model", str(model), "--test", str(nmnist_dir / "Test"), "--json",
                 "--no-progress"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] >= 0.95
