"""FEAST never crashes or answers silently wrong: input checked before any kernel, fit validates
every stream first, loaded models refuse non-finite or mis-shaped arrays."""
import json

import numpy as np
import pytest

from evlearn.cli.main import main
from evlearn.events import make_events
from evlearn.feast.layer import FEAST
from evlearn.feast.network import FEASTNetwork
from evlearn.feast.persistence import load_model, save_model
from evlearn.feast.readout import FEASTClassifier, feature_histogram


def streams(n=6, seed=0):
    rng = np.random.default_rng(seed)
    m = 150
    return [make_events(rng.integers(0, 34, m), rng.integers(0, 34, m), np.sort(rng.integers(0, 100_000, m)),
                        rng.integers(0, 2, m)) for _ in range(n)]


@pytest.mark.parametrize("x, y, where", [(1000, 3, "x=1000"), (3, 3000, "y=3000"), (-1, 3, "x=-1")])
def test_feature_histogram_refuses_events_outside_the_sensor(x, y, where):
    """An event at (1000, 3000) used to vanish from the histogram or crash the interpreter."""
    feats = make_events([1, x], [1, y], [0, 5], [0, 1])
    with pytest.raises(ValueError, match=f"features: {where} at event 1 is outside the sensor"):
        feature_histogram(feats, 2, (34, 34, 1))


def test_feature_histogram_refuses_plain_arrays_and_too_large_channels():
    with pytest.raises(ValueError, match="structured array"):
        feature_histogram(np.zeros((3, 4)), 2, (34, 34, 1))
    with pytest.raises(ValueError, match="p=2 >= n_channels=2"):
        feature_histogram(make_events([1], [1], [0], [2]), 2, (34, 34, 1))
    # unmatched events (p < 0) are skipped, not errors
    assert feature_histogram(make_events([1], [1], [0], [-1]), 2, (34, 34, 1), normalise=False).sum() == 0


def _bad_stream():
    return make_events([1, 40], [1, 1], [0, 1], [0, 0])  # x=40 on a 34-wide sensor


@pytest.mark.parametrize("make", [lambda: FEAST(n_neurons=4, radius=1),
                                  lambda: FEASTNetwork(layers=[{"n_neurons": 4, "radius": 1}])])
def test_fit_checks_every_stream_before_learning(make):
    """A bad stream 40 used to leave a half-trained, usable estimator; now nothing changes."""
    data = streams()
    fresh = make()
    with pytest.raises(ValueError, match="stream 5"):
        fresh.fit(data[:5] + [_bad_stream()])
    assert not hasattr(fresh, "weights_") and not hasattr(fresh, "layers_")
    fitted = make().fit(data)
    before = fitted.transform(data[0])
    other = streams(seed=1)
    with pytest.raises(ValueError, match="stream 5"):
        fitted.fit(other[:5] + [_bad_stream()])
    np.testing.assert_array_equal(fitted.transform(data[0]), before)


def _rewrite(path, **changes):
    arrays = dict(np.load(path, allow_pickle=False))
    arrays.update(changes)
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


@pytest.fixture(scope="module")
def classifier_file(tmp_path_factory):
    data = streams(8)
    clf = FEASTClassifier(FEAST(n_neurons=4, radius=1), grid=2).fit(data, np.array(["a", "b"] * 4))
    path = tmp_path_factory.mktemp("model") / "clf.npz"
    save_model(path, clf)
    return path


@pytest.mark.parametrize("key, change, message", [
    ("layer0_weights", lambda a: np.full_like(a, np.nan), "non-finite value"),
    ("layer0_thresholds", lambda a: np.where(np.arange(a.size) == 3, np.inf, a), r"non-finite value \(inf\) at index \(3,\)"),
    ("layer0_thresholds", lambda a: a[:-1], r"shape \(7,\), the parameters need \(8\)"),
    ("layer0_weights", lambda a: a.T, "the parameters need"),
    ("clf_coef", lambda a: np.where(a > 0, np.nan, a), "'clf_coef' holds a non-finite"),
    ("clf_mean", lambda a: a[:3], "'clf_mean' has shape"),
    ("clf_scale", lambda a: -a, "'clf_scale' must be positive"),
    ("clf_intercept", lambda a: a.astype(str), "dtype"),
    ("layer0_wins", lambda a: a[:, None], "'layer0_wins' has shape"),
])
def test_model_loader_refuses_non_finite_or_mis_shaped_arrays(classifier_file, tmp_path, key, change, message):
    """A model with NaN weights or thresholds used to load and evaluate to accuracy 0.18 with exit 0."""
    path = tmp_path / "bad.npz"
    path.write_bytes(classifier_file.read_bytes())
    _rewrite(path, **{key: change(np.load(classifier_file)[key])})
    with pytest.raises(ValueError, match=message):
        load_model(path)


def test_evaluate_with_nan_model_is_one_line_and_exit_2(classifier_file, tmp_path, capsys):
    path = tmp_path / "nan.npz"
    path.write_bytes(classifier_file.read_bytes())
    _rewrite(path, layer0_weights=np.full_like(np.load(classifier_file)["layer0_weights"], np.nan))
    test = tmp_path / "test" / "0"
    test.mkdir(parents=True)
    assert main(["feast", "evaluate", "--model", str(path), "--test", str(tmp_path / "test"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "non-finite" in err and str(path) in err


def _write_folder(root, labels, seed=0):
    from evlearn.datasets.nmnist import write_nmnist

    for i, (label, events) in enumerate(zip(labels, streams(len(labels), seed))):
        write_nmnist(root / label / f"{i:05d}.bin", events)
    return root


def test_evaluate_warns_about_classes_unknown_to_the_model(classifier_file, tmp_path, capsys):
    """A test folder whose labels the model never saw used to print accuracy 0.0, exit 0, no word."""
    test = _write_folder(tmp_path / "test", ["a", "z", "z", "y"])
    assert main(["feast", "evaluate", "--model", str(classifier_file), "--test", str(test), "--json",
                 "--no-progress"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["unknown_classes"] == ["y", "z"] and report["n_samples_unknown_class"] == 3
    assert "warning: 3 of 4 recordings" in captured.err and "never saw (y, z" in captured.err
    assert main(["feast", "evaluate", "--model", str(classifier_file), "--test", str(_write_folder(
        tmp_path / "known", ["a", "b"])), "--json", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["unknown_classes"] == [] and captured.err == ""


def test_fit_refuses_a_grid_finer_than_the_sensor_before_reading(tmp_path, capsys):
    train = _write_folder(tmp_path / "train", ["a", "b"])
    out = tmp_path / "m.npz"
    assert main(["feast", "fit", "--train", str(train), "--out", str(out), "--grid", "100", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--grid 100" in err and "34x34" in err
    assert list(tmp_path.glob("*.npz")) == []


def test_fit_estimates_model_size_and_warns_when_large(tmp_path, capsys, monkeypatch):
    import evlearn.cli.feast as feast_cli
    from evlearn.feast.persistence import estimate_model_bytes

    train = _write_folder(tmp_path / "train", ["a", "b", "a", "b"])
    out = tmp_path / "m.npz"
    monkeypatch.setattr(feast_cli, "LARGE_MODEL_BYTES", 10_000)
    assert main(["feast", "fit", "--train", str(train), "--out", str(out), "--neurons", "6",
                 "--no-progress"]) == 0
    assert "warning: the model will hold about" in capsys.readouterr().err
    model = load_model(out)
    arrays = np.load(out)
    held = sum(arrays[k].nbytes for k in ("layer0_weights", "layer0_thresholds", "clf_coef", "clf_mean",
                                          "clf_scale", "clf_intercept"))
    estimate = estimate_model_bytes(feast_cli.build_model(neurons="6"), len(model.classes_))
    assert 0.9 * held <= estimate <= 1.5 * held
