"""Stateful streaming versions of the event transforms: feed chunks in order, get the same
output as one call on the whole stream, exactly.

Each object keeps what the whole-stream kernel keeps between events (last-event times
per pixel, decayed time-surface memory and its time base, the next time slice) and
hands it to the same numba kernel with each chunk, so the floating-point operations
are the same ones in the same order: chunked output equals whole output bit for bit,
whatever the chunk sizes (tests cut streams into 1-event chunks and inside groups of
equal timestamps).

    >>> import numpy as np
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> from evlearn.functional import local_time_surfaces
    >>> from evlearn.streaming import LocalTimeSurfaceStream
    >>> path = sample_dir() / "0" / "00002.bin"           # a shipped N-MNIST recording
    >>> surfaces = LocalTimeSurfaceStream((34, 34, 2), radius=3, tau_us=20_000)
    >>> parts = [surfaces(chunk) for chunk in evlearn.stream_events(path, n_events=1000)]
    >>> parts[0].shape                                      # (len(chunk), P, 2R+1, 2R+1)
    (1000, 2, 7, 7)
    >>> whole = local_time_surfaces(evlearn.read_events(path), (34, 34, 2), radius=3, tau_us=20_000)
    >>> np.array_equal(np.concatenate(parts), whole)
    True

``finish()`` returns what is still owed once the stream ends: the last global time
surfaces; an empty result for the per-event transforms.
"""
from __future__ import annotations

import numpy as np

from evlearn.events import EVENT_DTYPE
from evlearn.functional.denoise import _denoise_kernel, empty_memory
from evlearn.functional.global_time_surface import _global_time_surfaces_kernel
from evlearn.functional.local_time_surface import _local_time_surfaces_kernel, empty_factors
from evlearn.functional.refractory import _refractory_kernel
from evlearn.functional.slicing import count_slices
from evlearn.validation import check_number, check_sensor_size, validate_events

__all__ = ["DenoiseStream", "RefractoryStream", "LocalTimeSurfaceStream", "GlobalTimeSurfaceStream",
           "PerEventStream", "PipelineStream"]


class _ChunkedStream:
    """Validation shared by every stream: each chunk inside the sensor, time never going back
    across chunks; errors give the event's index in the whole stream."""

    def __init__(self, sensor_size):
        self.sensor_size = check_sensor_size(sensor_size)
        self.n_events_seen = 0
        self.last_t = None

    def _accept(self, chunk) -> np.ndarray:
        name = f"chunk starting at event {self.n_events_seen}"
        ev = validate_events(chunk, self.sensor_size, name=name)
        if ev.size and self.last_t is not None and ev["t"][0] < self.last_t:
            raise ValueError(f"{name}: timestamps must be non-decreasing across chunks; event "
                             f"{self.n_events_seen} has t={ev['t'][0]} after t={self.last_t}")
        if ev.size:
            self.last_t = int(ev["t"][-1])
        self.n_events_seen += ev.size
        return ev


class _PixelMemoryFilter(_ChunkedStream):
    """A per-event keep/drop filter whose state is the last-event time of every pixel."""

    _kernel = None  # a numba kernel (x, y, t, width, height, time_us, last) -> keep mask

    def __init__(self, sensor_size, time_us: float, name: str):
        super().__init__(sensor_size)
        self._time_us = float(check_number(time_us, name, low=0))
        self._last = empty_memory(self.sensor_size.width, self.sensor_size.height)

    def __call__(self, chunk) -> np.ndarray:
        ev = self._accept(chunk)
        keep = type(self)._kernel(ev["x"], ev["y"], ev["t"], self.sensor_size.width, self.sensor_size.height,
                                  self._time_us, self._last)
        return ev[keep]

    def finish(self) -> np.ndarray:
        return np.empty(0, dtype=EVENT_DTYPE)


class DenoiseStream(_PixelMemoryFilter):
    """Streaming ``functional.denoise``: keeps the last-event time of every pixel."""

    _kernel = _denoise_kernel

    def __init__(self, sensor_size, filter_time_us):
        super().__init__(sensor_size, filter_time_us, "filter_time_us")
        self.filter_time_us = filter_time_us


class RefractoryStream(_PixelMemoryFilter):
    """Streaming ``functional.refractory_period``: keeps the last-event time of every pixel."""

    _kernel = _refractory_kernel

    def __init__(self, sensor_size, refractory_us):
        super().__init__(sensor_size, refractory_us, "refractory_us")
        self.refractory_us = refractory_us


class LocalTimeSurfaceStream(_ChunkedStream):
    """Streaming ``functional.local_time_surfaces``: one surface per event, ``(n, C, 2R+1, 2R+1)``."""

    def __init__(self, sensor_size, radius, tau_us, merge_polarities: bool = False, dtype=np.float64):
        super().__init__(sensor_size)
        self.radius = int(check_number(radius, "radius", low=0, integer=True))
        self.tau_us = float(check_number(tau_us, "tau_us", low=0, low_open=True))
        self.merge_polarities = merge_polarities
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.n_channels = 1 if merge_polarities else self.sensor_size.polarities
        self._factor, self._state = empty_factors(self.n_channels, self.sensor_size.height,
                                                  self.sensor_size.width, self.radius)

    def _empty(self, n):
        side = 2 * self.radius + 1
        return np.empty((n, self.n_channels, side, side), dtype=self.dtype)

    def __call__(self, chunk) -> np.ndarray:
        ev = self._accept(chunk)
        channel = np.zeros_like(ev["p"]) if self.merge_polarities else ev["p"]
        size = self.sensor_size
        return _local_time_surfaces_kernel(ev["x"], ev["y"], ev["t"], channel, self.n_channels, size.height,
                                           size.width, self.radius, self.tau_us, self._empty(ev.size),
                                           self._factor, self._state)

    def finish(self) -> np.ndarray:
        """Nothing is pending at the end of the stream: an empty (0, C, 2R+1, 2R+1) array."""
        return self._empty(0)


class GlobalTimeSurfaceStream(_ChunkedStream):
    """Streaming ``functional.global_time_surfaces`` (tonic's ``ToTimesurface``).

    Each call returns the slices completed so far, ``(k, P, H, W)``: slice k is complete
    once an event at or after its window's end has arrived. ``finish()`` returns the rest
    (how many slices there are depends on the last event, as in tonic's SliceByTime).
    """

    def __init__(self, sensor_size, dt_us, tau_us, overlap_us=0, include_incomplete: bool = False):
        super().__init__(sensor_size)
        self.dt_us = float(check_number(dt_us, "dt_us", low=0, low_open=True))
        self.tau_us = float(check_number(tau_us, "tau_us", low=0, low_open=True))
        self.overlap_us = float(check_number(overlap_us, "overlap_us", low=0))
        if self.overlap_us >= self.dt_us:
            raise ValueError(f"overlap_us must be smaller than dt_us ({dt_us}), got {overlap_us}")
        self.include_incomplete = include_incomplete
        size = self.sensor_size
        self._factor, self._state = empty_factors(1, size.polarities * size.height, size.width, 0)
        self._start = None  # first event's time: slice k ends at (k * stride + start) + dt
        self._next_slice = 0

    @property
    def _stride(self) -> float:
        return self.dt_us - self.overlap_us

    def _window_end(self, k: int) -> float:
        return (k * self._stride + self._start) + self.dt_us  # the kernel's float operations

    def _run(self, ev, n_slices, consume_rest) -> np.ndarray:
        size = self.sensor_size
        out = np.empty((n_slices, size.polarities, size.height, size.width))
        _global_time_surfaces_kernel(ev["x"], ev["y"], ev["t"], ev["p"], self._next_slice, self._start,
                                     self.dt_us, self._stride, self.tau_us, out, self._factor, self._state,
                                     consume_rest)
        self._next_slice += n_slices
        return out

    def __call__(self, chunk) -> np.ndarray:
        ev = self._accept(chunk)
        if self._start is None:
            if not ev.size:
                return self._none()
            self._start = float(ev["t"][0])
        done = self._next_slice
        if ev.size:  # slices whose window ends at or before the newest event are complete
            last = ev["t"][-1]
            done = max(done, int((last - self._start - self.dt_us) // self._stride) + 1)
            while done > self._next_slice and not self._window_end(done - 1) <= last:
                done -= 1
            while self._window_end(done) <= last:
                done += 1
        return self._run(ev, done - self._next_slice, consume_rest=True)

    def _none(self) -> np.ndarray:
        size = self.sensor_size
        return np.zeros((0, size.polarities, size.height, size.width))

    def finish(self) -> np.ndarray:
        """Surfaces of the slices still open at the end of the stream (see ``include_incomplete``)."""
        if self._start is None:  # an empty stream has no slices (as the whole-stream function)
            return self._none()
        total = count_slices(self.last_t - self._start, self.dt_us, self.overlap_us, self.include_incomplete)
        return self._run(np.empty(0, dtype=EVENT_DTYPE), max(total - self._next_slice, 0), False)


class PerEventStream:
    """A transform that maps each event on its own (a time window, a crop, a downsampling) over
    consecutive chunks: applied to each chunk, it gives its output on the whole stream."""

    def __init__(self, transform):
        self.transform = transform

    def __call__(self, chunk) -> np.ndarray:
        return self.transform(chunk)

    def finish(self) -> np.ndarray:
        """Nothing is owed: an empty event array."""
        return np.empty(0, dtype=EVENT_DTYPE)


class PipelineStream:
    """Streams in series (``transforms.Compose.stream``): each chunk goes through every stage in
    turn; ``finish()`` passes what each stage still owes through the stages after it."""

    def __init__(self, stages):
        self.stages = list(stages)

    def __call__(self, chunk):
        for stage in self.stages:
            chunk = stage(chunk)
        return chunk

    def finish(self):
        """What the pipeline still owes once the stream ends (e.g. the last global time surfaces)."""
        owed = np.empty(0, dtype=EVENT_DTYPE)
        for stage in self.stages:
            owed = np.concatenate([stage(owed), stage.finish()])
        return owed
