"""FEAST inference over a stream cut in chunks: the same feature events as ``transform`` on
the whole stream, exactly, with memory that does not grow with the stream.

Each layer keeps its time-surface memory (decay factors per pixel and channel, and their
time reference) between chunks and runs the same numba kernel as ``transform``; a network
chains its layers' streams. Weights and thresholds are read, never changed.

    >>> import numpy as np
    >>> import evlearn
    >>> from evlearn.datasets.samples import load_samples, sample_dir
    >>> streams, labels = load_samples()
    >>> model = evlearn.FEAST(n_neurons=8, radius=2).fit(streams[:2])   # FEAST or FEASTNetwork, fitted
    >>> stream = model.stream()
    >>> path = sample_dir() / "0" / "00002.bin"
    >>> parts = [stream(chunk) for chunk in evlearn.stream_events(path, n_events=1000)]
    >>> np.array_equal(np.concatenate(parts), model.transform(evlearn.read_events(path)))
    True
"""
from __future__ import annotations

import numpy as np

from evlearn.feast.kernels import MODES, empty_memory
from evlearn.streaming import _ChunkedStream


class FEASTStream:
    """Stateful ``transform`` of one or more fitted FEAST layers (bottom first)."""

    def __init__(self, *layers):
        if not layers:
            raise ValueError("FEASTStream needs at least one fitted FEAST layer")
        self.layers = layers
        self._inputs = []
        self._memories = []
        for layer in layers:
            size, _, _ = layer._check_fitted()
            self._inputs.append(_ChunkedStream(size))
            self._memories.append(empty_memory(MODES[layer.polarity], size.polarities, size.height,
                                               size.width, layer.radius))

    @property
    def n_events_seen(self) -> int:
        """Input events processed so far."""
        return self._inputs[0].n_events_seen

    def __call__(self, chunk) -> np.ndarray:
        current = chunk
        for layer, checker, memory in zip(self.layers, self._inputs, self._memories):
            ev = checker._accept(current)  # order across chunks; the event index in the stream
            current = layer._transform(ev, memory=memory)
        return current

    def finish(self) -> np.ndarray:
        """Nothing is held back: every chunk's features come out with it (empty array)."""
        from evlearn.events import EVENT_DTYPE

        return np.empty(0, dtype=EVENT_DTYPE)
