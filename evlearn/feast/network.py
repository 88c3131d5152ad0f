"""``FEASTNetwork``: FEAST layers in a stack, each learning from the previous layer's output.

A layer's output stream keeps x, y, t and sets the channel ``p`` to the winning
neuron, so the next layer sees a sensor of (width, height, ``n_features_out_``)
channels. Layers are trained greedily: layer l is fitted on the output of the
already-trained layers below it.
"""
from __future__ import annotations

import numpy as np

from evlearn.base import StreamEstimator, accepts_renamed, check_fitted
from evlearn.deprecation import Renamed, map_renamed
from evlearn.events import NMNIST_SENSOR
from evlearn.feast.layer import FEAST, as_stream_list, check_seed
from evlearn.progress import progress_bar
from evlearn.validation import check_number, check_sensor_size, validate_events

LAYER_PARAMS = ("n_neurons", "radius", "tau_us", "eta", "delta_i", "delta_e", "polarity", "inference")


class FEASTNetwork(StreamEstimator):
    """A stack of FEAST layers.

    Parameters
    ----------
    layers : list of dicts of FEAST parameters, one per layer (``sensor_size`` and
        ``seed`` are set by the network). Default: one layer with FEAST's defaults.
    sensor_size : (width, height, channels) of the input.
    n_epochs, shuffle, seed : as for FEAST, shared by every layer (layer i gets ``seed + i``).
        ``random_state`` is a deprecated alias of ``seed``.
    """

    RENAMED = {"random_state": Renamed("seed")}

    @accepts_renamed
    def __init__(self, layers=None, sensor_size=tuple(NMNIST_SENSOR), n_epochs: int = 1, shuffle: bool = True,
                 seed: int | None = 0):
        self.layers = layers
        self.sensor_size = sensor_size
        self.n_epochs = n_epochs
        self.shuffle = shuffle
        self.seed = seed

    def check_params(self):
        """Validate the parameters of the network and of every layer without fitting."""
        self.build_layers()

    def build_layers(self) -> list[FEAST]:
        """The network's layers, configured and validated, not fitted."""
        specs = [{}] if self.layers is None else list(self.layers)
        if not specs:
            raise ValueError("layers must list at least one layer")
        size = tuple(check_sensor_size(self.sensor_size))
        check_number(self.n_epochs, "n_epochs", low=1, integer=True)
        check_seed(self.seed)
        built = []
        for i, spec in enumerate(specs):
            if not isinstance(spec, dict):
                raise ValueError(f"layers[{i}] must be a dict of FEAST parameters, got {spec!r}")
            old = {key: spec[key] for key in spec if key in FEAST.RENAMED}
            spec = {key: value for key, value in spec.items() if key not in old}
            spec.update(map_renamed(f"FEASTNetwork layers[{i}]", old, FEAST.RENAMED, stacklevel=2))
            unknown = set(spec) - set(LAYER_PARAMS)
            if unknown:
                raise ValueError(f"layers[{i}]: unknown parameter(s) {sorted(unknown)}; valid: {', '.join(LAYER_PARAMS)}")
            seed = None if self.seed is None else self.seed + i
            layer = FEAST(**spec, sensor_size=size, n_epochs=self.n_epochs, shuffle=self.shuffle, seed=seed)
            layer.check_params()
            built.append(layer)
            size = layer.output_size
        return built

    def fit(self, streams, y=None, *, progress: bool = False):
        """Fit the layers in turn, each on the previous layer's output streams; returns self.

        Every stream is validated first, so a bad one leaves the network unchanged.
        """
        streams = as_stream_list(streams)
        layers = self.build_layers()
        # every stream is checked before learning starts, so a bad one leaves the network as it was
        size = layers[0].sensor_size
        current = [validate_events(s, size, name=f"stream {i}") for i, s in enumerate(streams)]
        for i, layer in enumerate(layers):
            layer.fit(current, progress=progress)
            if i + 1 < len(layers):
                current = [layer.transform(s) for s in progress_bar(current, progress, desc=f"layer {i} output")]
        self.layers_ = layers
        return self

    def partial_fit(self, stream, y=None):
        """Learn from one stream through every layer (initialising on the first call)."""
        if not hasattr(self, "layers_"):
            self.layers_ = self.build_layers()
        current = stream
        for i, layer in enumerate(self.layers_):
            layer.partial_fit(current)
            if i + 1 < len(self.layers_):
                current = layer.transform(current)
        return self

    def _check_fitted(self):
        check_fitted(self, "layers_")

    def transform(self, stream) -> np.ndarray:
        """Output events of the last layer."""
        self._check_fitted()
        current = stream
        for layer in self.layers_:
            current = layer.transform(current)
        return current

    def stream(self):
        """Chunk-by-chunk ``transform``: each layer's FEASTStream feeds the next."""
        from evlearn.feast.streaming import FEASTStream

        self._check_fitted()
        return FEASTStream(*self.layers_)

    def transform_all(self, stream) -> list[np.ndarray]:
        """Output events of every layer, bottom first."""
        self._check_fitted()
        outputs, current = [], stream
        for layer in self.layers_:
            current = layer.transform(current)
            outputs.append(current)
        return outputs

    def fit_transform(self, streams, y=None, **kwargs):
        """Fit on ``streams``, then return the last layer's output stream of each."""
        self.fit(streams, **kwargs)
        return [self.transform(s) for s in as_stream_list(streams)]

    @property
    def n_features_out_(self) -> int:
        """Output channels of the last layer."""
        self._check_fitted()
        return self.layers_[-1].n_features_out_

    @property
    def output_size(self):
        """Sensor size (W, H, P) of the output streams, P being the last layer's channels."""
        return self.build_layers()[-1].output_size if not hasattr(self, "layers_") else self.layers_[-1].output_size
