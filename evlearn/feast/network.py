"""``FEASTNetwork``: FEAST layers in a stack, each learning from the previous layer's output.

A layer's output stream keeps x, y, t and sets the channel ``p`` to the winning
neuron, so the next layer sees a sensor of (width, height, n_features_out_)
channels. Layers are trained greedily: layer l is fitted on the output of the
already-trained layers below it.
"""
from __future__ import annotations

import numpy as np

from evlearn.events import NMNIST_SENSOR
from evlearn.feast.layer import FEAST, _as_stream_list
from evlearn.progress import progress_bar
from evlearn.validation import check_sensor_size, validate_events

LAYER_PARAMS = ("n_neurons", "radius", "tau", "eta", "delta_i", "delta_e", "polarity", "inference")


class FEASTNetwork:
    """A stack of FEAST layers.

    Parameters
    ----------
    layers : list of dicts of FEAST parameters, one per layer (``sensor_size`` and
        ``random_state`` are set by the network). Default: one layer with FEAST's defaults.
    sensor_size : (width, height, channels) of the input.
    n_epochs, shuffle, random_state : as for FEAST, shared by every layer.
    """

    def __init__(self, layers=None, sensor_size=NMNIST_SENSOR, n_epochs: int = 1, shuffle: bool = True,
                 random_state: int | None = 0):
        self.layers = layers
        self.sensor_size = sensor_size
        self.n_epochs = n_epochs
        self.shuffle = shuffle
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in ("layers", "sensor_size", "n_epochs", "shuffle", "random_state")}

    def set_params(self, **params):
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"unknown parameter {key!r} for FEASTNetwork")
            setattr(self, key, value)
        return self

    def _build(self) -> list[FEAST]:
        specs = [{}] if self.layers is None else list(self.layers)
        if not specs:
            raise ValueError("layers must list at least one layer")
        size = tuple(check_sensor_size(self.sensor_size))
        built = []
        for i, spec in enumerate(specs):
            if not isinstance(spec, dict):
                raise ValueError(f"layers[{i}] must be a dict of FEAST parameters, got {spec!r}")
            unknown = set(spec) - set(LAYER_PARAMS)
            if unknown:
                raise ValueError(f"layers[{i}]: unknown parameter(s) {sorted(unknown)}; valid: {', '.join(LAYER_PARAMS)}")
            seed = None if self.random_state is None else self.random_state + i
            layer = FEAST(**spec, sensor_size=size, n_epochs=self.n_epochs, shuffle=self.shuffle, random_state=seed)
            layer._check_params()
            built.append(layer)
            size = layer.output_size
        return built

    def fit(self, streams, y=None, *, progress: bool = False):
        streams = _as_stream_list(streams)
        layers = self._build()
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
            self.layers_ = self._build()
        current = stream
        for i, layer in enumerate(self.layers_):
            layer.partial_fit(current)
            if i + 1 < len(self.layers_):
                current = layer.transform(current)
        return self

    def _check_fitted(self):
        if not hasattr(self, "layers_"):
            from evlearn.feast.layer import NotFittedError

            raise NotFittedError("this FEASTNetwork is not fitted yet; call fit first")

    def transform(self, stream) -> np.ndarray:
        """Output events of the last layer."""
        self._check_fitted()
        current = stream
        for layer in self.layers_:
            current = layer.transform(current)
        return current

    def transform_all(self, stream) -> list[np.ndarray]:
        """Output events of every layer, bottom first."""
        self._check_fitted()
        outputs, current = [], stream
        for layer in self.layers_:
            current = layer.transform(current)
            outputs.append(current)
        return outputs

    def fit_transform(self, streams, y=None, **kwargs):
        self.fit(streams, **kwargs)
        return [self.transform(s) for s in _as_stream_list(streams)]

    @property
    def n_features_out_(self) -> int:
        self._check_fitted()
        return self.layers_[-1].n_features_out_

    @property
    def output_size(self):
        return self._build()[-1].output_size if not hasattr(self, "layers_") else self.layers_[-1].output_size
