"""FEASTNetwork (stacked layers) and the FEASTClassifier read-out."""
import numpy as np
import pytest

from evlearn.events import make_events
from evlearn.feast.layer import FEAST
from evlearn.feast.network import FEASTNetwork
from evlearn.feast.readout import FEASTClassifier, classification_report, feature_histogram


def test_second_layer_learns_from_first_layer_output(nmnist_dir):
    from evlearn.datasets.nmnist import read_nmnist

    data = [read_nmnist(p)[:800] for p in sorted((nmnist_dir / "Test").rglob("*.bin"))[:4]]
    net = FEASTNetwork(layers=[{"n_neurons": 8, "radius": 2}, {"n_neurons": 4, "radius": 1, "polarity": "stack"}])
    net.fit(data)
    first, second = net.transform_all(data[0])
    assert net.layers_[1].sensor_size == (34, 34, 16)
    assert first["p"].max() < 16 and second["p"].max() < 4
    np.testing.assert_array_equal(second, net.transform(data[0]))
    assert net.layers_[1].n_events_seen_ == sum(s.size for s in data)


def test_network_rejects_bad_layer_specs():
    events = make_events([1], [1], [0], [0])
    with pytest.raises(ValueError, match="unknown parameter"):
        FEASTNetwork(layers=[{"neurons": 3}]).fit([events])
    with pytest.raises(ValueError, match="at least one layer"):
        FEASTNetwork(layers=[]).fit([events])


def test_feature_histogram_is_sqrt_l2_normalised_per_cell():
    feats = make_events([0, 0, 33, 33], [0, 0, 33, 0], [0, 1, 2, 3], [1, 1, 0, 2])
    raw = feature_histogram(feats, 3, (34, 34, 1), grid=2, normalise=False).reshape(2, 2, 3)
    assert raw[0, 0, 1] == 2 and raw[1, 1, 0] == 1 and raw[0, 1, 2] == 1 and raw.sum() == 4
    norm = feature_histogram(feats, 3, (34, 34, 1), grid=2)
    np.testing.assert_allclose(np.linalg.norm(norm), 1.0)
    np.testing.assert_allclose(norm, np.sqrt(raw.ravel()) / np.linalg.norm(np.sqrt(raw.ravel())))


def test_classifier_separates_two_synthetic_classes():
    rng = np.random.default_rng(0)

    def sample(label):
        n = 300
        x = rng.integers(0, 17, n) + (17 if label == "right" else 0)
        return make_events(x, rng.integers(0, 34, n), np.sort(rng.integers(0, 50_000, n)), rng.integers(0, 2, n))

    labels = np.array(["left", "right"] * 10)
    data = [sample(label) for label in labels]
    clf = FEASTClassifier(FEAST(n_neurons=4, radius=1)).fit(data, labels)
    assert clf.score(data, labels) == 1.0


def test_classification_report():
    report = classification_report(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert report["accuracy"] == pytest.approx(2 / 3)
    assert report["per_class_accuracy"] == {"a": 0.5, "b": 1.0}
    assert report["confusion_matrix"] == [[1, 1], [0, 1]]


def test_top_level_names():
    import evlearn
    import evlearn.feast

    assert evlearn.FEAST is evlearn.feast.FEAST and evlearn.FEASTNetwork is evlearn.feast.FEASTNetwork
