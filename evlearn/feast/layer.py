"""``FEAST``: one layer of online feature extraction with adaptive selection thresholds.

Afshar, Ralph, Xu, Tapson, van Schaik, Cohen, "Event-Based Feature Extraction
Using Adaptive Selection Thresholds", Sensors 20(6):1600, 2020 (arXiv:1907.07853).

scikit-learn contract: ``__init__`` stores arguments, ``fit``/``partial_fit``
validate and set attributes ending in ``_``, ``transform`` maps an event stream
to a feature event stream whose ``p`` field is the winning neuron.
"""
from __future__ import annotations

import numpy as np

from evlearn.base import StreamEstimator, accepts_renamed, check_fitted
from evlearn.deprecation import Renamed
from evlearn.events import NMNIST_SENSOR
from evlearn.feast.kernels import MODES, feast_chunk_kernel, feast_kernel, feast_reference, layout
from evlearn.progress import progress_bar
from evlearn.validation import check_number, check_sensor_size, validate_events

# Names before docs/conventions.md; accepted with a FutureWarning for one release.
RENAMED = {"tau": Renamed("tau_us"), "random_state": Renamed("seed")}


def check_seed(seed, name: str = "seed"):
    """A seed is a non-negative int or None (fresh entropy); returns it unchanged."""
    if seed is not None:
        check_number(seed, name, low=0, integer=True)
    return seed


class FEAST(StreamEstimator):
    """A layer of K neurons with unit weight vectors and adaptive selection thresholds.

    Parameters
    ----------
    n_neurons : int, default 64
        K, neurons per population.
    radius : int, default 4
        R: the context is the (2R+1) x (2R+1) time-surface patch around the event.
    tau_us : float, default 30_000.0
        Time constant of the exponential time surface, in microseconds (30 ms).
    eta : float, default 0.001
        Learning rate of the winner's weights, w <- normalise((1 - eta) w + eta c).
    delta_i : float, default 0.001
        Rise of the winner's threshold (paper: 0.001).
    delta_e : float, default 0.003
        Fall of every threshold after an event no neuron matched (0.003, as a public
        re-implementation quotes the paper; the first author's MATLAB demo uses 0.01).
    polarity : {"split", "stack", "merge"}, default "split"
        "split": one population and surface per input channel, as in the paper's
        N-MNIST set-up; "stack": one population, context = all channels' patches side
        by side (for stacked layers); "merge": one surface, channels ignored.
    sensor_size : tuple of int, default (34, 34, 2)
        (width, height, channels) of the input, tonic's order.
    inference : {"nearest", "threshold"}, default "nearest"
        "nearest": ``transform`` gives every event its best-matching neuron;
        "threshold": only events some neuron matches are kept, as during learning.
    n_epochs : int, default 1
        Passes over the training streams in ``fit``.
    shuffle : bool, default True
        Visit training streams in a random order each epoch (seeded).
    seed : int or None, default 0
        Seed of the weight initialisation and the visiting order (None: fresh
        entropy). ``tau`` and ``random_state`` are deprecated aliases of ``tau_us``
        and ``seed`` (docs/conventions.md).

    Attributes
    ----------
    weights_ : ndarray of float64, shape (F, D)
        Unit weight vectors; F = ``n_features_out_``, D = channels x (2R+1)^2 context values.
    thresholds_ : ndarray of float64, shape (F,)
        Selection threshold of each neuron.
    n_features_out_ : int
        Output channels: populations x K.
    n_events_seen_ : int
        Events learned from.
    history_ : dict
        Learning diagnostics; see :func:`evlearn.feast.plots.diagnostics`.

    Examples
    --------
    >>> from evlearn import FEAST
    >>> from evlearn.datasets.samples import load_samples
    >>> streams, labels = load_samples()  # 40 shipped N-MNIST recordings
    >>> layer = FEAST(n_neurons=16, radius=3).fit(streams[:4])
    >>> features = layer.transform(streams[0])  # same x, y, t; p = winning neuron
    >>> features.dtype.names
    ('x', 'y', 't', 'p')
    """

    RENAMED = RENAMED

    @accepts_renamed
    def __init__(self, n_neurons: int = 64, radius: int = 4, tau_us: float = 30_000.0, eta: float = 0.001,
                 delta_i: float = 0.001, delta_e: float = 0.003, polarity: str = "split",
                 sensor_size=tuple(NMNIST_SENSOR), inference: str = "nearest", n_epochs: int = 1,
                 shuffle: bool = True, seed: int | None = 0):
        self.n_neurons = n_neurons
        self.radius = radius
        self.tau_us = tau_us
        self.eta = eta
        self.delta_i = delta_i
        self.delta_e = delta_e
        self.polarity = polarity
        self.sensor_size = sensor_size
        self.inference = inference
        self.n_epochs = n_epochs
        self.shuffle = shuffle
        self.seed = seed

    # validation ----------------------------------------------------------------------
    def check_params(self):
        """Validate the parameters without fitting; returns the sensor size. ValueError names the bad one."""
        check_number(self.n_neurons, "n_neurons", low=1, integer=True)
        check_number(self.radius, "radius", low=0, high=64, integer=True)
        check_number(self.tau_us, "tau_us", low=0, low_open=True)
        check_number(self.eta, "eta", low=0, high=1)
        check_number(self.delta_i, "delta_i", low=0)
        check_number(self.delta_e, "delta_e", low=0)
        check_number(self.n_epochs, "n_epochs", low=1, integer=True)
        check_seed(self.seed)
        if self.polarity not in MODES:
            raise ValueError(f"polarity must be one of {sorted(MODES)}, got {self.polarity!r}")
        if self.inference not in ("nearest", "threshold"):
            raise ValueError(f"inference must be 'nearest' or 'threshold', got {self.inference!r}")
        return check_sensor_size(self.sensor_size)

    def _shape(self):
        size = self.check_params()
        _, groups, n_ctx = layout(MODES[self.polarity], size.polarities, self.radius)
        return size, groups, n_ctx

    @property
    def weights_shape(self) -> tuple[int, int]:
        """Shape the parameters give ``weights_``: (output channels, context length)."""
        _, groups, n_ctx = self._shape()
        return groups * self.n_neurons, n_ctx

    def initialise(self):
        """Seeded initial weights and zero thresholds, as at the start of ``fit`` (returns self)."""
        size, groups, n_ctx = self._shape()
        rng = np.random.default_rng(self.seed)
        weights = rng.random((groups * self.n_neurons, n_ctx))
        self.weights_ = weights / np.linalg.norm(weights, axis=1, keepdims=True)
        self.thresholds_ = np.zeros(groups * self.n_neurons)
        self.n_features_out_ = groups * self.n_neurons
        self.n_events_seen_ = 0
        self.history_ = {"events": [], "missed": [], "thresholds": [], "wins": np.zeros(self.n_features_out_, np.int64)}
        return self

    def _check_fitted(self):
        check_fitted(self, "weights_")
        size, groups, n_ctx = self._shape()
        if self.weights_.shape != (groups * self.n_neurons, n_ctx) or self.thresholds_.shape != (groups * self.n_neurons,):
            raise ValueError(
                f"parameters changed after fitting: weights have shape {self.weights_.shape}, "
                f"the current parameters need {(groups * self.n_neurons, n_ctx)}; refit"
            )
        # the kernel updates these in place through reshaped views: keep them contiguous float64
        self.weights_ = np.ascontiguousarray(self.weights_, dtype=np.float64)
        self.thresholds_ = np.ascontiguousarray(self.thresholds_, dtype=np.float64)
        return size, groups, n_ctx

    # the event loop ------------------------------------------------------------------
    def _run(self, events, *, learn: bool, use_threshold: bool, reference: bool = False, name="events",
             memory=None):
        size, groups, n_ctx = self._check_fitted()
        ev = validate_events(events, size, name=name)
        K = self.n_neurons
        weights = self.weights_.reshape(groups, K, n_ctx)
        thresholds = self.thresholds_.reshape(groups, K)
        args = (ev["x"], ev["y"], ev["t"], ev["p"])
        common = (self.radius, float(self.tau_us), MODES[self.polarity], size.width, size.height, size.polarities,
                  learn, use_threshold, float(self.eta), float(self.delta_i), float(self.delta_e))
        if reference:
            winners = feast_reference(*args, weights, thresholds, *common)
        else:
            weights_t = np.ascontiguousarray(weights.transpose(0, 2, 1))
            if memory is None:  # a whole stream: time-surface memory starts empty
                winners = feast_kernel(*args, weights_t, thresholds, *common)
            else:  # one chunk of a stream (FEAST.stream): the memory carries over
                winners = feast_chunk_kernel(*args, weights_t, thresholds, *common, *memory)
            if learn:
                weights[...] = weights_t.transpose(0, 2, 1)
        if groups > 1:  # population g's neuron k is output channel g*K + k
            winners = np.where(winners >= 0, winners + ev["p"] * K, -1)
        return ev, winners

    def _learn_stream(self, events, reference=False, name="events"):
        ev, winners = self._run(events, learn=True, use_threshold=True, reference=reference, name=name)
        matched = winners[winners >= 0]
        self.history_["wins"] += np.bincount(matched, minlength=self.n_features_out_)
        self.n_events_seen_ += int(ev.size)
        self.history_["events"].append(self.n_events_seen_)
        self.history_["missed"].append(int(ev.size - matched.size))
        self.history_["thresholds"].append(self.thresholds_.copy())
        return winners

    def partial_fit(self, stream, y=None, *, reference: bool = False):
        """Learn from one event stream (initialising the layer on the first call)."""
        if not hasattr(self, "weights_"):
            self.initialise()
        self._learn_stream(stream, reference=reference)
        return self

    def fit(self, streams, y=None, *, progress: bool = False, reference: bool = False):
        """Initialise and learn online from a sequence of event streams (``n_epochs`` passes).

        Each stream is an independent recording: the time-surface memory starts
        empty for each one, weights and thresholds carry over.
        """
        streams = as_stream_list(streams)
        size = self.check_params()
        # every stream is checked before learning starts, so a bad one leaves the layer as it was
        streams = [validate_events(s, size, name=f"stream {i}") for i, s in enumerate(streams)]
        self.initialise()
        rng = np.random.default_rng(self.seed)
        total = self.n_epochs * len(streams)
        with progress_bar(None, progress, total=total, desc="FEAST fit", unit="sample") as bar:
            for _ in range(self.n_epochs):
                order = rng.permutation(len(streams)) if self.shuffle else np.arange(len(streams))
                for i in order:
                    self._learn_stream(streams[i], reference=reference, name=f"stream {i}")
                    bar.update(1)
        return self

    def transform(self, stream, *, reference: bool = False) -> np.ndarray:
        """Feature events of one stream: same x, y, t; ``p`` = winning neuron (output channel).

        With ``inference="threshold"`` events no neuron matches are dropped.
        Weights and thresholds are not changed.
        """
        return self._transform(stream, reference=reference)

    def _transform(self, stream, *, reference: bool = False, memory=None, name="events") -> np.ndarray:
        use_threshold = self.inference == "threshold"
        ev, winners = self._run(stream, learn=False, use_threshold=use_threshold, reference=reference,
                                memory=memory, name=name)
        out = ev.copy()
        out["p"] = winners
        return out[winners >= 0] if use_threshold else out

    def stream(self):
        """A :class:`~evlearn.feast.streaming.FEASTStream`: ``transform`` chunk by chunk, carrying
        the time-surface memory across chunks (same output as ``transform`` on the whole stream)."""
        from evlearn.feast.streaming import FEASTStream

        return FEASTStream(self)

    def fit_transform(self, streams, y=None, **kwargs) -> list[np.ndarray]:
        """Fit on ``streams``, then return the feature stream of each (see :meth:`fit` and :meth:`transform`)."""
        self.fit(streams, **kwargs)
        return [self.transform(s) for s in as_stream_list(streams)]

    @property
    def output_size(self):
        """Sensor size of the output stream: (width, height, ``n_features_out_``)."""
        size, groups, _ = self._shape()
        return (size.width, size.height, groups * self.n_neurons)

    def weight_patches(self) -> np.ndarray:
        """Weights as images: (``n_features_out_``, context channels, 2R+1, 2R+1)."""
        self._check_fitted()
        side = 2 * self.radius + 1
        return self.weights_.reshape(self.n_features_out_, -1, side, side)

    def save(self, path):
        """Save the fitted layer to ``path`` (``.npz``, no pickle); returns the path. See :mod:`evlearn.feast.persistence`."""
        from evlearn.feast.persistence import save_model

        return save_model(path, self)

    @classmethod
    def load(cls, path) -> "FEAST":
        """A layer saved by :meth:`save`; ValueError if ``path`` holds another kind of model."""
        from evlearn.feast.persistence import load_model

        model = load_model(path)
        if not isinstance(model, cls):
            raise ValueError(f"{path}: holds a {type(model).__name__}, not a {cls.__name__}")
        return model


def as_stream_list(streams) -> list:
    """A non-empty list of event streams; one bare stream is refused (fit wants many)."""
    if isinstance(streams, np.ndarray) and streams.dtype.names is not None:
        raise ValueError("fit takes a list of event streams; wrap a single stream as [events] or use partial_fit")
    streams = list(streams)
    if not streams:
        raise ValueError("no event streams to learn from (got an empty sequence)")
    return streams
