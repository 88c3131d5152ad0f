"""Save and load FEAST models: one ``.npz`` file, written atomically, no pickle.

The file holds a JSON header (format name and version, evlearn version, model
kind, parameters) and the arrays (weights, thresholds, diagnostics, read-out).
Loading checks the format name and version first, so a file from another
format version, a different kind of file or a damaged file gives one clear
``ValueError`` instead of a traceback or a silently wrong model.
"""
from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from evlearn.base import check_fitted

FORMAT = "evlearn-feast"
FORMAT_VERSION = 1


def _layer_arrays(prefix: str, layer) -> dict:
    history = layer.history_
    traces = np.array(history["thresholds"]) if history["thresholds"] else np.zeros((0, layer.n_features_out_))
    return {
        f"{prefix}weights": layer.weights_,
        f"{prefix}thresholds": layer.thresholds_,
        f"{prefix}wins": history["wins"],
        f"{prefix}events": np.asarray(history["events"], dtype=np.int64),
        f"{prefix}missed": np.asarray(history["missed"], dtype=np.int64),
        f"{prefix}threshold_trace": traces,
    }


def _layer_params(layer) -> dict:
    params = layer.get_params(deep=False)
    params["sensor_size"] = list(params["sensor_size"])
    return params


def _current_names(params: dict, renamed: dict) -> dict:
    """Parameters of files written before docs/conventions.md under today's names (no warning:
    the user did nothing wrong)."""
    return {(renamed[key].new if key in renamed else key): value for key, value in params.items()}


def _restore_layer(prefix: str, params: dict, arrays, n_events_seen: int):
    from evlearn.feast.layer import FEAST

    params = _current_names(params, FEAST.RENAMED)
    layer = FEAST(**{**params, "sensor_size": tuple(params["sensor_size"])}).initialise()
    n_out = layer.n_features_out_
    layer.weights_ = checked_array(arrays, f"{prefix}weights", layer.weights_.shape, np.float64)
    layer.thresholds_ = checked_array(arrays, f"{prefix}thresholds", (n_out,), np.float64)
    layer.n_events_seen_ = n_events_seen
    events = checked_array(arrays, f"{prefix}events", (None,), np.int64)
    layer.history_ = {
        "wins": checked_array(arrays, f"{prefix}wins", (n_out,), np.int64),
        "events": events.tolist(),
        "missed": checked_array(arrays, f"{prefix}missed", events.shape, np.int64).tolist(),
        "thresholds": list(checked_array(arrays, f"{prefix}threshold_trace", (events.size, n_out), np.float64)),
    }
    return layer


def checked_array(arrays, key: str, shape: tuple, dtype) -> np.ndarray:
    """``arrays[key]`` as ``dtype`` after checking its shape (None: any length) and that it is finite.

    A model with NaN weights or a truncated array would otherwise load and predict nonsense.
    """
    if key not in arrays:
        raise ValueError(f"array {key!r} is missing")
    array = arrays[key]
    if array.ndim != len(shape) or any(want is not None and got != want for got, want in zip(array.shape, shape)):
        expected = "(" + ", ".join("any" if n is None else str(n) for n in shape) + ")"
        raise ValueError(f"array {key!r} has shape {array.shape}, the parameters need {expected}")
    if not (np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)):
        raise ValueError(f"array {key!r} has dtype {array.dtype}, expected numbers")
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(f"array {key!r} holds a non-finite value ({array[tuple(bad)]}) at index {tuple(int(i) for i in bad)}")
    return np.array(array, dtype=dtype)


def estimate_model_bytes(model, n_classes: int) -> int:
    """Bytes of the arrays a fitted ``model`` (FEASTClassifier, unfitted) will hold: weights,
    thresholds and read-out, before compression (random weights barely compress)."""
    features = model.features if hasattr(model, "grid") else model
    layers = features.build_layers() if hasattr(features, "build_layers") else [features]
    total = 0
    for layer in layers:
        n_out, n_ctx = layer.weights_shape
        total += n_out * (n_ctx + 2) * 8
    if hasattr(model, "grid"):
        n_in = model.grid * model.grid * layers[-1].output_size[2]
        total += (n_in * (n_classes + 2) + n_classes) * 8
    return total


def _features_payload(features) -> tuple[dict, dict]:
    from evlearn.feast.layer import FEAST
    from evlearn.feast.network import FEASTNetwork

    if isinstance(features, FEAST):
        check_fitted(features, "weights_")
        return ({"kind": "FEAST", "params": _layer_params(features), "n_events_seen": features.n_events_seen_},
                _layer_arrays("layer0_", features))
    if isinstance(features, FEASTNetwork):
        check_fitted(features, "layers_")
        params = features.get_params(deep=False)
        params["sensor_size"] = list(params["sensor_size"])
        arrays, layers = {}, []
        for i, layer in enumerate(features.layers_):
            arrays.update(_layer_arrays(f"layer{i}_", layer))
            layers.append({"params": _layer_params(layer), "n_events_seen": layer.n_events_seen_})
        return {"kind": "FEASTNetwork", "params": params, "layers": layers}, arrays
    raise ValueError(f"cannot save a {type(features).__name__}; expected FEAST, FEASTNetwork or FEASTClassifier")


def save_model(path, model) -> Path:
    """Write a fitted FEAST, FEASTNetwork or FEASTClassifier to ``path`` atomically."""
    from evlearn import __version__
    from evlearn.feast.readout import FEASTClassifier
    from evlearn.io import atomic_path

    from evlearn.io import package_versions

    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "evlearn_version": __version__,
              "versions": package_versions("numpy", "numba")}
    if isinstance(model, FEASTClassifier):
        check_fitted(model, "classifier_")
        features, arrays = _features_payload(model.features_)
        clf = model.classifier_
        header.update(kind="FEASTClassifier", features=features,
                      params={"grid": model.grid, "alpha": model.alpha, "max_iter": model.max_iter})
        arrays.update(clf_coef=clf.coef_, clf_intercept=clf.intercept_, clf_mean=clf.mean_, clf_scale=clf.scale_,
                      clf_classes=np.asarray(clf.classes_).astype(str))
    else:
        features, arrays = _features_payload(model)
        header.update(kind=features["kind"], features=features)
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    target = Path(path)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)
    return target


def _build_features(spec: dict, arrays):
    from evlearn.feast.network import FEASTNetwork

    if spec["kind"] == "FEAST":
        return _restore_layer("layer0_", spec["params"], arrays, spec["n_events_seen"])
    if spec["kind"] == "FEASTNetwork":
        from evlearn.feast.layer import FEAST

        params = _current_names(spec["params"], FEASTNetwork.RENAMED)
        if params.get("layers") is not None:
            params["layers"] = [_current_names(layer, FEAST.RENAMED) for layer in params["layers"]]
        net = FEASTNetwork(**{**params, "sensor_size": tuple(params["sensor_size"])})
        net.layers_ = [_restore_layer(f"layer{i}_", layer["params"], arrays, layer["n_events_seen"])
                       for i, layer in enumerate(spec["layers"])]
        return net
    raise ValueError(f"unknown feature kind {spec['kind']!r}")


def read_header(path) -> dict:
    """The JSON header of a model file (format, versions, kind, parameters)."""
    return _open(path)[0]


def _open(path):
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such model file")
    try:
        arrays = dict(np.load(path, allow_pickle=False))
        header = json.loads(bytes(arrays.pop("header")).decode("utf-8"))
    except (zipfile.BadZipFile, zlib.error, KeyError, EOFError, OSError, UnicodeDecodeError, json.JSONDecodeError,
            ValueError) as err:
        raise ValueError(f"{path}: not a readable evlearn FEAST model file ({type(err).__name__}: {err})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path}: not an evlearn FEAST model file (format {header.get('format')!r})")
    if header.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path}: model file format version {header.get('format_version')} (written by evlearn "
            f"{header.get('evlearn_version')}) is not supported; this evlearn reads version {FORMAT_VERSION}. "
            "Refit the model with this version."
        )
    return header, arrays


def load_model(path):
    """Read a model written by ``save_model``; raises ValueError on any problem."""
    from evlearn.classify import LogisticRegression
    from evlearn.feast.readout import FEASTClassifier

    header, arrays = _open(path)
    try:
        if header["kind"] == "FEASTClassifier":
            features = _build_features(header["features"], arrays)
            model = FEASTClassifier(features=None, **header["params"])
            model.features_ = features
            clf = LogisticRegression(alpha=header["params"]["alpha"], max_iter=header["params"]["max_iter"])
            width, height, channels = features.output_size
            n_in = model.grid * model.grid * channels
            classes = arrays.get("clf_classes")
            if classes is None or classes.ndim != 1 or classes.size < 2:
                raise ValueError("array 'clf_classes' must list at least two classes")
            k = classes.size
            clf.coef_ = checked_array(arrays, "clf_coef", (n_in, k), np.float64)
            clf.intercept_ = checked_array(arrays, "clf_intercept", (k,), np.float64)
            clf.mean_ = checked_array(arrays, "clf_mean", (n_in,), np.float64)
            clf.scale_ = checked_array(arrays, "clf_scale", (n_in,), np.float64)
            if not np.all(clf.scale_ > 0):
                raise ValueError("array 'clf_scale' must be positive")
            clf.classes_ = classes
            clf.n_features_in_ = n_in
            model.classifier_ = clf
            model.classes_ = clf.classes_
            return model
        return _build_features(header["features"], arrays)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path}: damaged or inconsistent model file ({type(err).__name__}: {err})") from None
