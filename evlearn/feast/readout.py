"""Read-out: per-sample feature histograms and a linear classifier on top.

A FEAST layer turns each input event into an output event whose channel is the
winning neuron. The read-out counts winners per spatial cell (a ``grid`` x
``grid`` partition of the sensor) and per channel, takes the square root of the
counts (variance-stabilising for Poisson-like counts) and L2-normalises each
sample's vector, then fits :class:`evlearn.classify.LogisticRegression`. The
baseline uses the same classifier on event-count frames, so the difference is
what the learned features add.
"""
from __future__ import annotations

import numpy as np
from numba import njit
from sklearn.base import ClassifierMixin, clone

from evlearn.base import StreamEstimator, check_fitted
from evlearn.classify import LogisticRegression
from evlearn.deprecation import Renamed, map_renamed, ms_to_us
from evlearn.events import as_events
from evlearn.validation import check_fields_in_range, check_number, check_sensor_size


@njit(cache=True)
def _histogram_kernel(x, y, c, n_channels, grid, width, height):
    out = np.zeros((grid, grid, n_channels), dtype=np.float64)
    for i in range(x.shape[0]):
        ch = c[i]
        if ch < 0:  # unmatched event (threshold inference): no feature
            continue
        gx = (x[i] * grid) // width
        gy = (y[i] * grid) // height
        out[gy, gx, ch] += 1.0
    return out


def feature_histogram(features, n_channels: int, sensor_size, grid: int = 4, normalise: bool = True) -> np.ndarray:
    """Counts of feature events per (cell row, cell column, channel), flattened.

    ``features`` is an event array whose ``p`` field is the feature channel (as
    returned by ``FEAST.transform``); events with ``p < 0`` are skipped. With
    ``normalise`` the counts are square-rooted and scaled to unit L2 norm.
    """
    size = check_sensor_size(sensor_size)
    check_number(grid, "grid", low=1, integer=True)
    check_number(n_channels, "n_channels", low=1, integer=True)
    try:
        ev = as_events(features)
    except ValueError as err:
        raise ValueError(f"features: {err}") from None
    check_fields_in_range(ev, (("x", 0, size.width, "width"), ("y", 0, size.height, "height")), name="features")
    if ev.size and ev["p"].max() >= n_channels:  # p < 0 marks an unmatched event (skipped)
        raise ValueError(f"features: channel p={ev['p'].max()} >= n_channels={n_channels}")
    hist = _histogram_kernel(ev["x"], ev["y"], ev["p"], n_channels, grid, size.width, size.height)
    vector = hist.ravel()
    if normalise:
        vector = np.sqrt(vector)
        norm = np.linalg.norm(vector)
        if norm > 0:
            vector /= norm
    return vector


def count_frame_features(streams, sensor_size) -> np.ndarray:
    """Baseline features: 2-channel event-count frames, log1p, flattened (N, P*H*W)."""
    from evlearn.functional.frames import count_frames

    return np.log1p(count_frames(streams, sensor_size).reshape(len(streams), -1).astype(np.float64))


def make_classifier(alpha: float = 1e-3, max_iter: int = 500) -> LogisticRegression:
    """The read-out classifier: multinomial :class:`~evlearn.classify.LogisticRegression` with L2 penalty ``alpha``."""
    return LogisticRegression(alpha=alpha, max_iter=max_iter)


def stratified_folds(labels, n_folds: int, seed: int = 0) -> np.ndarray:
    """Fold index per sample, each class spread evenly over the folds."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    fold = np.empty(labels.size, dtype=int)
    offset = 0
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        fold[idx] = (np.arange(idx.size) + offset) % n_folds
        offset += idx.size
    return fold


def cross_val_predict(model, X, y, *, n_folds: int = 5, seed: int = 0, progress: bool = False,
                      desc: str = "cross-validation") -> np.ndarray:
    """Out-of-fold predictions of ``model`` (a fresh clone per fold) on stratified folds.

    The one cross-validation helper of FEAST's read-outs (the demo, the CLI's
    benchmark script, tests): ``X`` is a 2-D feature array or a list of event
    streams; ``model`` any scikit-learn style classifier, e.g. ``FEASTClassifier``
    (which learns its features on the training folds only) or ``LogisticRegression``.
    """
    from evlearn.progress import progress_bar

    y = np.asarray(y)
    check_number(n_folds, "n_folds", low=2, integer=True)
    if len(X) != y.size:
        raise ValueError(f"need one label per sample: {len(X)} samples, {y.size} labels")
    fold = stratified_folds(y, n_folds, seed)
    pred = np.empty(y.shape, dtype=y.dtype)
    for k in progress_bar(range(n_folds), progress, desc=desc, total=n_folds):
        train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        if test.size:
            fitted = clone(model).fit(_take(X, train), y[train])
            pred[test] = fitted.predict(_take(X, test))
    return pred


def _take(X, index):
    return X[index] if isinstance(X, np.ndarray) else [X[i] for i in index]


def classification_report(y_true, y_pred, classes=None) -> dict:
    """Accuracy, per-class accuracy and confusion matrix (rows: true, columns: predicted)."""
    y_true = np.asarray(y_true).astype(str)
    y_pred = np.asarray(y_pred).astype(str)
    if classes is None:
        classes = sorted(set(y_true) | set(y_pred))
    classes = [str(c) for c in classes]
    index = {c: i for i, c in enumerate(classes)}
    confusion = np.zeros((len(classes), len(classes)), dtype=int)
    for t, p in zip(y_true, y_pred):
        if t in index and p in index:  # a prediction outside ``classes`` only counts as wrong
            confusion[index[t], index[p]] += 1
    per_class = {}
    for c in classes:
        mask = y_true == c
        per_class[c] = float(np.mean(y_pred[mask] == c)) if mask.any() else None
    return {
        "accuracy": float(np.mean(y_true == y_pred)) if y_true.size else 0.0,
        "n_samples": int(y_true.size),
        "classes": classes,
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
    }


class FEASTClassifier(ClassifierMixin, StreamEstimator):
    """Features from a FEAST layer or network, histogram read-out, logistic regression.

    ``fit(streams, labels)`` learns a clone of ``features`` without labels (the
    object passed in is never changed), then fits the classifier on the
    per-sample histograms (``grid`` x ``grid`` cells x output channels, sqrt + L2
    normalised). ``predict(streams)`` returns labels, ``predict_proba`` and
    ``decision_function`` the read-out's probabilities and scores. Nested
    parameters work as in scikit-learn: ``set_params(features__n_neurons=32)``.

    Parameters
    ----------
    features : FEAST or FEASTNetwork, optional
        The (unfitted) feature extractor; default ``FEAST()``.
    grid : int, default 4
        Cells per side of the spatial histogram.
    alpha : float, default 1e-3
        L2 penalty of the logistic regression (:class:`evlearn.classify.LogisticRegression`).
    max_iter : int, default 500
        Iterations of the logistic regression's solver.

    Attributes
    ----------
    features_ : FEAST or FEASTNetwork
        The fitted clone of ``features``.
    classifier_ : evlearn.classify.LogisticRegression
        The fitted read-out.
    classes_ : numpy.ndarray, shape (n_classes,)
        Labels seen in ``fit``, sorted.

    Examples
    --------
    >>> import numpy as np
    >>> from evlearn import FEAST, FEASTClassifier
    >>> from evlearn.datasets.samples import load_samples
    >>> streams, labels = load_samples()        # 40 shipped N-MNIST digits, 4 per class
    >>> model = FEASTClassifier(FEAST(n_neurons=8, radius=2), grid=2)
    >>> model = model.fit(streams[::2], labels[::2])   # 2 per class
    >>> model.classes_
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> model.predict(streams[1::2]).shape
    (20,)
    >>> model.predict_proba(streams[1::2]).shape         # (n_streams, n_classes)
    (20, 10)
    """

    def __init__(self, features=None, grid: int = 4, alpha: float = 1e-3, max_iter: int = 500):
        self.features = features
        self.grid = grid
        self.alpha = alpha
        self.max_iter = max_iter

    def check_params(self):
        """Validate the read-out's and the features' parameters without fitting."""
        check_number(self.grid, "grid", low=1, integer=True)
        make_classifier(self.alpha, self.max_iter).check_params()
        self._extractor().check_params()

    def _extractor(self):
        from evlearn.feast.layer import FEAST

        return FEAST() if self.features is None else clone(self.features)

    def histograms(self, streams, *, progress: bool = False) -> np.ndarray:
        """Normalised feature histograms of each stream, shape (N, grid*grid*channels)."""
        from evlearn.progress import progress_bar

        check_fitted(self, "features_")
        extractor = self.features_
        width, height, channels = extractor.output_size
        rows = []
        for i, stream in enumerate(progress_bar(streams, progress, desc="features", total=len(streams))):
            try:
                feats = extractor.transform(stream)
            except ValueError as err:
                raise ValueError(f"stream {i}: {err}") from None
            rows.append(feature_histogram(feats, channels, (width, height, 1), grid=self.grid))
        return np.array(rows)

    def fit(self, streams, labels, *, progress: bool = False):
        """Fit the feature extractor on ``streams``, then the classifier on their feature histograms (one label per stream); returns self."""
        self.check_params()
        streams = list(streams)
        labels = np.asarray(labels)
        if labels.shape != (len(streams),):
            raise ValueError(f"need one label per stream: {len(streams)} streams, labels of shape {labels.shape}")
        self.features_ = self._extractor().fit(streams, progress=progress)
        X = self.histograms(streams, progress=progress)
        self.classifier_ = make_classifier(self.alpha, self.max_iter).fit(X, labels)
        self.classes_ = self.classifier_.classes_
        return self

    def _readout(self, method: str, streams, progress: bool):
        check_fitted(self, "classifier_")
        return getattr(self.classifier_, method)(self.histograms(list(streams), progress=progress))

    def predict(self, streams, *, progress: bool = False) -> np.ndarray:
        """The predicted label of each stream (event arrays), an array of shape (n_streams,)."""
        return self._readout("predict", streams, progress)

    def predict_proba(self, streams, *, progress: bool = False) -> np.ndarray:
        """Class probabilities, (n_streams, n_classes), columns in the order of ``classes_``."""
        return self._readout("predict_proba", streams, progress)

    def decision_function(self, streams, *, progress: bool = False) -> np.ndarray:
        """Read-out scores (see ``LogisticRegression.decision_function``)."""
        return self._readout("decision_function", streams, progress)


def build_pipeline(n_neurons=(64,), radius: int = 4, tau_us: float = 30_000.0, grid: int = 4, n_epochs: int = 1,
                   seed: int = 0, **layer_params) -> FEASTClassifier:
    """The default FEAST pipeline (the CLI's defaults): one layer per entry of ``n_neurons``.

    Layer 1: ``n_neurons[0]`` neurons per polarity population (split polarities),
    radius ``radius``, time constant ``tau_us``; upper layers stack the previous
    layer's channels with radius 1. Read-out: ``grid`` x ``grid`` winner
    histograms, sqrt + L2 normalised, logistic regression. ``neurons``,
    ``tau_ms`` and ``epochs`` are deprecated aliases (docs/conventions.md).
    """
    from evlearn.feast.layer import FEAST
    from evlearn.feast.network import FEASTNetwork

    old = {key: layer_params.pop(key) for key in list(layer_params) if key in _PIPELINE_RENAMED}
    renamed = map_renamed("build_pipeline", old, _PIPELINE_RENAMED)
    n_neurons, tau_us = renamed.get("n_neurons", n_neurons), renamed.get("tau_us", tau_us)
    n_epochs = renamed.get("n_epochs", n_epochs)
    n_neurons = [int(n_neurons)] if np.isscalar(n_neurons) else [int(k) for k in n_neurons]
    first = {"n_neurons": n_neurons[0], "radius": radius, "tau_us": tau_us, **layer_params}
    if len(n_neurons) == 1:
        features = FEAST(**first, n_epochs=n_epochs, seed=seed)
    else:
        upper = [{"n_neurons": k, "radius": 1, "tau_us": tau_us, "polarity": "stack"} for k in n_neurons[1:]]
        features = FEASTNetwork(layers=[first, *upper], n_epochs=n_epochs, seed=seed)
    return FEASTClassifier(features, grid=grid)


_PIPELINE_RENAMED = {"neurons": Renamed("n_neurons"), "epochs": Renamed("n_epochs"),
                     "tau_ms": Renamed("tau_us", ms_to_us, " (microseconds: tau_ms=30 is tau_us=30_000)")}
