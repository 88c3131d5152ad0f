"""Transforms in tonic's style: frozen dataclasses whose ``__call__`` forwards to a kernel.

Each takes an event array (ours or tonic's: fields x, y, t, p) and returns a new
array or a dense representation; none stores per-sample state. They compose with
``Compose`` here or ``tonic.transforms.Compose``, and mix freely with tonic's own
transforms, because the event arrays are the same.

    >>> from evlearn import transforms as T
    >>> pipeline = T.Compose([T.Denoise((34, 34, 2), filter_time=5000),
    ...                       T.ToLocalTimeSurfaces((34, 34, 2), radius=2, tau_us=20000.0)])
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from evlearn.events import SensorSize
from evlearn.functional.denoise import denoise
from evlearn.functional.frames import count_frame
from evlearn.functional.global_time_surface import global_time_surfaces
from evlearn.functional.local_time_surface import local_time_surfaces
from evlearn.functional.refractory import refractory_period
from evlearn.functional.slicing import time_window
from evlearn.functional.spatial import crop, downsample, downsample_size
from evlearn.validation import check_sensor_size

__all__ = [
    "Compose", "TimeWindow", "CropSpatial", "Downsample", "Denoise", "RefractoryPeriod",
    "ToCountFrame", "ToLocalTimeSurfaces", "ToTimesurface",
]


@dataclass(frozen=True)
class Compose:
    """Apply transforms one after another."""

    transforms: Sequence[Callable[[Any], Any]]

    def __call__(self, events):
        for transform in self.transforms:
            events = transform(events)
        return events


@dataclass(frozen=True)
class TimeWindow:
    """Keep events with ``start <= t < end`` (µs; ``None`` = unbounded). Like tonic's
    ``CropTime`` but half-open and without changing itself."""

    start: float | None = None
    end: float | None = None

    def __call__(self, events):
        return time_window(events, self.start, self.end)


@dataclass(frozen=True)
class CropSpatial:
    """Keep events inside a ``size = (w, h)`` box at ``origin`` (``None``: centred), shifted to 0."""

    sensor_size: tuple[int, int, int]
    size: tuple[int, int]
    origin: tuple[int, int] | None = None

    @property
    def output_sensor_size(self) -> SensorSize:
        return SensorSize(self.size[0], self.size[1], check_sensor_size(self.sensor_size).polarities)

    def __call__(self, events):
        return crop(events, self.sensor_size, self.size, self.origin)


@dataclass(frozen=True)
class Downsample:
    """Coarser pixel grid: ``x // factor`` or ``floor(x * w / W)`` for ``target_size = (w, h)``."""

    sensor_size: tuple[int, int, int]
    factor: int | None = None
    target_size: tuple[int, int] | None = None

    @property
    def output_sensor_size(self) -> SensorSize:
        return downsample_size(self.sensor_size, self.factor, self.target_size)

    def __call__(self, events):
        return downsample(events, self.sensor_size, self.factor, self.target_size)


@dataclass(frozen=True)
class Denoise:
    """Drop events without a 4-neighbour event in the previous ``filter_time`` µs (tonic's rule)."""

    sensor_size: tuple[int, int, int]
    filter_time: float

    def __call__(self, events):
        return denoise(events, self.sensor_size, self.filter_time)


@dataclass(frozen=True)
class RefractoryPeriod:
    """Drop events closer than ``refractory_us`` µs to the previous event at their pixel."""

    sensor_size: tuple[int, int, int]
    refractory_us: float

    def __call__(self, events):
        return refractory_period(events, self.sensor_size, self.refractory_us)


@dataclass(frozen=True)
class ToCountFrame:
    """Event counts per polarity and pixel, shape ``(P, H, W)`` (int64)."""

    sensor_size: tuple[int, int, int]

    def __call__(self, events) -> np.ndarray:
        return count_frame(events, self.sensor_size)


@dataclass(frozen=True)
class ToLocalTimeSurfaces:
    """Per-event time surfaces of radius ``radius``: ``(N, P or 1, 2R+1, 2R+1)``."""

    sensor_size: tuple[int, int, int]
    radius: int
    tau_us: float
    merge_polarities: bool = False
    dtype: Any = np.float64

    def __call__(self, events) -> np.ndarray:
        return local_time_surfaces(events, self.sensor_size, self.radius, self.tau_us,
                                   self.merge_polarities, self.dtype)


@dataclass(frozen=True)
class ToTimesurface:
    """Global time surfaces every ``dt`` µs, ``(S, P, H, W)``: tonic's ``ToTimesurface``."""

    sensor_size: tuple[int, int, int]
    dt: float
    tau: float
    overlap: float = 0
    include_incomplete: bool = False

    def __call__(self, events) -> np.ndarray:
        return global_time_surfaces(events, self.sensor_size, self.dt, self.tau,
                                    self.overlap, self.include_incomplete)
