"""`evlearn feast extract | evaluate` on Dask: outputs byte-identical to serial, manifest, failures."""
from __future__ import annotations

import csv
import json
import shutil

import pytest

from evlearn.cli.main import main
from evlearn.feast.bulk import extract_files, extraction_jobs, partition_sizes


@pytest.fixture(scope="module")
def folder(nmnist_dir, tmp_path_factory):
    """Test split of the shared N-MNIST subset (50 recordings) and a small model fitted on 20 of Train."""
    root = tmp_path_factory.mktemp("feast_parallel")
    for label in ("0", "1"):
        for path in sorted((nmnist_dir / "Train" / label).glob("*.bin"))[:10]:
            (root / "train" / label).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, root / "train" / label / path.name)
    model = root / "model.npz"
    assert main(["feast", "fit", "--train", str(root / "train"), "--out", str(model), "--neurons", "8",
                 "--no-progress"]) == 0
    return root, model


def _outputs(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.npy"))}


def test_extract_on_two_workers_equals_serial_byte_for_byte(folder, nmnist_dir, tmp_path, local_executor):
    _, model = folder
    test = nmnist_dir / "Test"
    argv = ["feast", "extract", "--model", str(model), "--in", str(test), "--no-progress"]
    assert main(argv + ["--out", str(tmp_path / "serial")]) == 0
    from evlearn.feast.persistence import load_model

    features = load_model(model).features_
    rows = extract_files(features, extraction_jobs(test, tmp_path / "dask"), executor=local_executor)
    serial = _outputs(tmp_path / "serial")
    assert len(serial) == 50 and _outputs(tmp_path / "dask") == serial
    with open(tmp_path / "serial" / "manifest.csv", newline="") as handle:
        manifest = list(csv.DictReader(handle))
    assert [r["path"] for r in manifest] == [f"{p}" for p in (r["path"] for r in manifest)]
    assert all(r["status"] == "ok" for r in manifest) and len(manifest) == 50
    assert manifest[0]["path"] == sorted(p.relative_to(test).as_posix() for p in test.rglob("*.bin"))[0]
    assert [int(r["events_out"]) for r in manifest] == [r["events_out"] for r in rows]
    assert all(int(r["events_in"]) == (test / r["path"]).stat().st_size // 5 for r in manifest)


@pytest.mark.slow
def test_evaluate_on_two_workers_equals_serial(folder, nmnist_dir, capsys):
    _, model = folder
    argv = ["feast", "evaluate", "--model", str(model), "--test", str(nmnist_dir / "Test"), "--json",
            "--no-progress"]
    assert main(argv) == 0
    serial = json.loads(capsys.readouterr().out)
    assert main(argv + ["--workers", "2"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == serial
    assert captured.err.count("dashboard") == 1


def test_bad_recording_is_listed_and_the_others_written(folder, tmp_path, capsys):
    root, model = folder
    bad = tmp_path / "in"
    shutil.copytree(root / "train", bad)
    victim = sorted(bad.rglob("*.bin"))[3]
    victim.write_bytes(victim.read_bytes()[:-2])
    out = tmp_path / "out"
    assert main(["feast", "extract", "--model", str(model), "--in", str(bad), "--out", str(out),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "1 of 20 recording(s) failed" in err and victim.name in err
    with open(out / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    failed = [r for r in rows if r["status"] != "ok"]
    assert len(failed) == 1 and failed[0]["path"].endswith(victim.name) and "multiple of 5" in failed[0]["status"]
    assert len(list(out.rglob("*.npy"))) == 19 and not list(out.rglob("*.tmp"))


def test_partition_sizes():
    assert partition_sizes(5, 1) == [1] * 5
    sizes = partition_sizes(850, 2)      # the shared N-MNIST on 2 workers: 10 x 64 files, then shrinking to 8
    assert sizes[:10] == [64] * 10 and sizes[10:13] == [53, 40, 30] and min(sizes[:-1]) == 8 and sum(sizes) == 850
    assert partition_sizes(3, 8) == [3]


def test_workers_get_models_without_their_learning_history():
    import pickle

    import numpy as np

    from evlearn.datasets.samples import load_samples
    from evlearn.feast.bulk import _for_workers
    from evlearn.feast.network import FEASTNetwork

    streams, _ = load_samples()
    network = FEASTNetwork(layers=[{"n_neurons": 4, "radius": 2}, {"n_neurons": 4, "radius": 1}]).fit(streams[:3])
    slim = _for_workers(network)
    assert all(not hasattr(layer, "history_") for layer in slim.layers_)
    assert all(hasattr(layer, "history_") for layer in network.layers_)          # the caller's model is untouched
    assert len(pickle.dumps(slim)) < len(pickle.dumps(network))
    assert np.array_equal(slim.transform(streams[5]), network.transform(streams[5]))


@pytest.mark.slow
def test_a_folder_of_camera_recordings_on_two_workers_equals_serial(camera_samples, tmp_path, local_executor):
    from evlearn.feast import FEAST
    from evlearn.formats import read_events
    from test_cli_formats import _camera_folder

    src = _camera_folder(camera_samples, tmp_path / "recordings")
    layer = FEAST(n_neurons=4, radius=1, sensor_size=(1280, 720, 2))
    layer.fit([read_events(src / "prophesee_evt3_sample.raw")[:5000]])
    serial = extract_files(layer, extraction_jobs(src, tmp_path / "serial"))
    parallel = extract_files(layer, extraction_jobs(src, tmp_path / "dask"), executor=local_executor)
    assert parallel == serial and len(serial) == 3 and all(r["status"] == "ok" for r in serial)
    assert _outputs(tmp_path / "dask") == _outputs(tmp_path / "serial")
