"""Save/load of FEAST models: round trips, atomic writes, clear errors on bad files."""
import json
import zipfile

import numpy as np
import pytest

from evlearn.events import make_events
from evlearn.feast.layer import FEAST
from evlearn.feast.network import FEASTNetwork
from evlearn.feast.persistence import load_model, read_header, save_model
from evlearn.feast.readout import FEASTClassifier


def streams(n=6, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        m = 200
        out.append(make_events(rng.integers(0, 34, m), rng.integers(0, 34, m),
                               np.sort(rng.integers(0, 100_000, m)), rng.integers(0, 2, m)))
    return out


def test_layer_round_trip(tmp_path):
    data = streams()
    model = FEAST(n_neurons=6, radius=2).fit(data)
    model.save(tmp_path / "layer.npz")
    loaded = FEAST.load(tmp_path / "layer.npz")
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.weights_, model.weights_)
    np.testing.assert_array_equal(loaded.thresholds_, model.thresholds_)
    np.testing.assert_array_equal(loaded.history_["wins"], model.history_["wins"])
    np.testing.assert_array_equal(loaded.transform(data[0]), model.transform(data[0]))
    loaded.partial_fit(data[1])  # a loaded layer keeps learning
    assert read_header(tmp_path / "layer.npz")["kind"] == "FEAST"


def test_network_and_classifier_round_trip(tmp_path):
    data = streams(8)
    labels = np.array(["a", "b"] * 4)
    net = FEASTNetwork(layers=[{"n_neurons": 4}, {"n_neurons": 3, "polarity": "stack", "radius": 1}])
    clf = FEASTClassifier(net, grid=2).fit(data, labels)
    save_model(tmp_path / "clf.npz", clf)
    loaded = load_model(tmp_path / "clf.npz")
    np.testing.assert_array_equal(loaded.predict(data), clf.predict(data))
    np.testing.assert_array_equal(loaded.histograms(data), clf.histograms(data))
    assert len(loaded.features_.layers_) == 2


def test_unfitted_model_cannot_be_saved_and_leaves_no_file(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        save_model(tmp_path / "m.npz", FEAST())
    assert list(tmp_path.iterdir()) == []


def test_corrupt_and_foreign_files_are_clear_errors(tmp_path):
    model = FEAST(n_neurons=3).fit(streams(2))
    path = model.save(tmp_path / "m.npz")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match="not a readable evlearn FEAST model"):
        load_model(truncated)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.arange(3))
    with pytest.raises(ValueError, match="not a readable evlearn FEAST model"):
        load_model(other)
    with pytest.raises(ValueError, match="no such model file"):
        load_model(tmp_path / "missing.npz")
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a readable"):
        load_model(text)


def test_other_format_version_is_refused(tmp_path):
    path = FEAST(n_neurons=3).fit(streams(2)).save(tmp_path / "m.npz")
    arrays = dict(np.load(path))
    header = json.loads(bytes(arrays["header"]).decode())
    header["format_version"] = 99
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(tmp_path / "future.npz", **arrays)
    with pytest.raises(ValueError, match="format version 99"):
        load_model(tmp_path / "future.npz")
    assert zipfile.is_zipfile(path)
