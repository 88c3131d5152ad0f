"""NMNISTFolder and the shipped samples: layout, labels, laziness, transforms, errors."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evlearn.datasets.folder import NMNISTFolder
from evlearn.datasets.nmnist import read_nmnist
from evlearn.datasets.samples import load_samples, sample_dataset, sample_dir
from evlearn.events import EVENT_DTYPE, make_events
from evlearn.datasets.nmnist import write_nmnist


def _tiny_folder(root: Path, names=("a", "b"), per_class=2) -> Path:
    for k, name in enumerate(names):
        for i in range(per_class):
            write_nmnist(root / name / f"{i:05d}.bin", make_events([k, i], [0, 1], [0, 10 + i], [0, 1]))
    return root


def test_shared_splits_layout_and_labels(nmnist_dir):
    train = NMNISTFolder(nmnist_dir, split="train")
    test = NMNISTFolder(nmnist_dir, split="test")
    assert (len(train), len(test)) == (800, 50)
    assert train.classes == test.classes == [str(d) for d in range(10)]
    assert tuple(train.sensor_size) == (34, 34, 2)
    # Labels are the digit of the folder, also where the Test subset lacks class 8.
    for dataset in (train, test):
        for path, label in dataset.samples:
            assert label == int(path.parent.name)
            assert dataset.classes[label] == path.parent.name
    assert 8 not in test.targets and 9 in test.targets
    np.testing.assert_array_equal(train.targets, [label for _, label in train.samples])
    assert train.targets.dtype == np.int64


def test_getitem_reads_lazily_and_applies_transforms(nmnist_dir, monkeypatch):
    import evlearn.datasets.folder as folder_module

    calls = []
    real_read = folder_module.read_nmnist
    monkeypatch.setattr(folder_module, "read_nmnist", lambda path, **kw: calls.append(path) or real_read(path, **kw))
    dataset = NMNISTFolder(nmnist_dir / "Test", transform=lambda ev: ev[ev["p"] == 1],
                           target_transform=lambda label: label + 100)
    assert calls == []  # nothing read at construction
    events, label = dataset[-1]
    path, raw_label = dataset.samples[-1]
    assert calls == [path] and label == raw_label + 100
    expected = read_nmnist(path)
    np.testing.assert_array_equal(events, expected[expected["p"] == 1])
    with pytest.raises(IndexError):
        dataset[len(dataset)]


def test_tonic_transform_works_on_our_events(nmnist_dir):
    import tonic
    import tonic.transforms as T

    to_frame = T.ToFrame(sensor_size=(34, 34, 2), n_time_bins=3)
    dataset = NMNISTFolder(nmnist_dir / "Test", transform=to_frame)
    frames, label = dataset[0]
    reference = to_frame(tonic.io.read_mnist_file(str(dataset.samples[0][0]), dtype=tonic.datasets.NMNIST.dtype))
    assert frames.shape == (3, 2, 34, 34) and frames.sum() > 5000
    np.testing.assert_array_equal(frames, reference)


def test_root_pointing_at_a_class_folder_layout(tmp_path):
    root = _tiny_folder(tmp_path / "data", names=("cat", "ant", "dog"))
    dataset = NMNISTFolder(root)
    assert dataset.classes == ["ant", "cat", "dog"]
    assert [label for _, label in dataset.samples] == [0, 0, 1, 1, 2, 2]
    assert [p.name for p, _ in dataset.samples[:2]] == ["00000.bin", "00001.bin"]
    events, label = dataset[2]
    assert events.dtype == EVENT_DTYPE and label == 1 and events["x"][0] == 0  # "cat" was written as k=0
    assert len(list(dataset)) == 6
    assert "6 samples" in repr(dataset)


def test_numeric_folders_keep_their_number(tmp_path):
    dataset = NMNISTFolder(_tiny_folder(tmp_path, names=("2", "10")))
    assert dataset.classes == [str(i) for i in range(11)]
    assert sorted(set(dataset.targets.tolist())) == [2, 10]


def test_split_is_case_insensitive_and_checked(tmp_path):
    _tiny_folder(tmp_path / "train")
    _tiny_folder(tmp_path / "TEST", names=("a",))
    assert len(NMNISTFolder(tmp_path, split="train")) == 4
    assert len(NMNISTFolder(tmp_path, split="test")) == 2
    with pytest.raises(ValueError, match=r"pass split='train' or split='test'"):
        NMNISTFolder(tmp_path)
    with pytest.raises(ValueError, match=r"split must be one of"):
        NMNISTFolder(tmp_path, split="valid")
    with pytest.raises(ValueError, match=rf"{tmp_path / 'train'}: no Test/ folder"):
        NMNISTFolder(tmp_path / "train", split="test")


def test_clear_errors_name_the_path(tmp_path):
    with pytest.raises(ValueError, match=rf"{tmp_path / 'missing'}: no such folder"):
        NMNISTFolder(tmp_path / "missing")
    (tmp_path / "file.bin").write_bytes(b"")
    with pytest.raises(ValueError, match=r"file\.bin: is a file"):
        NMNISTFolder(tmp_path / "file.bin")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=rf"{tmp_path / 'empty'}: is empty"):
        NMNISTFolder(tmp_path / "empty")
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "00001.bin").write_bytes(b"")
    with pytest.raises(ValueError, match=rf"{tmp_path / 'flat'}: has no class sub-folders"):
        NMNISTFolder(tmp_path / "flat")
    (tmp_path / "nobin" / "0").mkdir(parents=True)
    (tmp_path / "nobin" / "0" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=rf"{tmp_path / 'nobin'}: no \.bin files"):
        NMNISTFolder(tmp_path / "nobin")
    with pytest.raises(ValueError, match="sensor_size"):
        NMNISTFolder(_tiny_folder(tmp_path / "ok"), sensor_size=(34, 34))


def test_sensor_size_is_enforced_when_reading(tmp_path):
    root = tmp_path / "d"
    write_nmnist(root / "0" / "1.bin", make_events([30], [0], [0], [0]))
    dataset = NMNISTFolder(root, sensor_size=(16, 16, 2))
    with pytest.raises(ValueError, match=r"1\.bin: x=30 at event 0 is outside the sensor"):
        dataset[0]


def test_shipped_samples_are_present_and_readable():
    folder = sample_dir()
    files = sorted(folder.glob("*/*.bin"))
    assert len(files) == 40 and sum(f.stat().st_size for f in files) < 1_000_000
    assert (folder / "README.md").read_text().count("CC BY-SA 4.0") >= 1
    events, labels = load_samples()
    assert labels.tolist() == [d for d in range(10) for _ in range(4)]
    assert all(ev.dtype == EVENT_DTYPE and len(ev) > 500 for ev in events)
    dataset = sample_dataset(transform=len)
    assert dataset[0] == (len(events[0]), 0)


def test_shipped_samples_are_unmodified_copies_of_the_shared_training_files(nmnist_dir):
    for path in sample_dir().glob("*/*.bin"):
        original = nmnist_dir / "Train" / path.parent.name / path.name
        assert path.read_bytes() == original.read_bytes()


@pytest.mark.slow
def test_samples_ship_in_the_built_wheel(tmp_path):
    """Build a wheel, install it in a fresh venv without evlearn's source, and read a sample."""
    repo = Path(__file__).resolve().parents[1]
    source = tmp_path / "source"  # build from a copy: setuptools writes build/ beside the sources
    for name in ("pyproject.toml", "README.md"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo / name, source / name)
    for name in ("evlearn", "datasets", "dendrites", "hebbian", "continual"):
        shutil.copytree(repo / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "wheel"), str(source)], check=True, capture_output=True)
    wheel = next((tmp_path / "wheel").glob("evlearn-*.whl"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from evlearn.datasets.samples import sample_dir, load_samples; "
            "ev, y = load_samples(); print(sample_dir(), len(ev), y.sum())")
    out = subprocess.run([sys.executable, "-c", code, str(target)], check=True, capture_output=True,
                         text=True, cwd=tmp_path).stdout.split()
    assert out[0].startswith(str(target)) and out[1:] == ["40", "180"]
