"""Transforms in tonic's style: frozen dataclasses whose ``__call__`` forwards to a kernel.

Each takes an event array (ours or tonic's: fields x, y, t, p) and returns a new
array or a dense representation; none stores per-sample state. They compose with
``Compose`` here or ``tonic.transforms.Compose``, and mix freely with tonic's own
transforms, because the event arrays are the same.

    >>> from evlearn import transforms as T
    >>> pipeline = T.Compose([T.Denoise(filter_time_us=5000),
    ...                       T.ToLocalTimeSurfaces((34, 34, 2), radius=2, tau_us=20000.0)])

Names follow docs/conventions.md: tonic's class names and argument order, times in
µs as ``*_us``. The names used before are accepted for one release with a
FutureWarning: ``CropSpatial`` (now ``CenterCrop``), ``Denoise(sensor_size,
filter_time)`` and ``RefractoryPeriod(sensor_size, refractory_us)`` (now time
first, ``sensor_size`` optional as in tonic), ``TimeWindow(start=, end=)`` and
``ToTimesurface(dt=, tau=)``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from evlearn.deprecation import renamed_kwargs, warn_renamed
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
    "Compose", "TimeWindow", "CenterCrop", "CropSpatial", "Downsample", "Denoise", "RefractoryPeriod",
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


def _renamed_fields(**renames: str):
    """Class decorator: the dataclass ``__init__`` also takes the old keyword names (warning)."""
    def decorate(cls):
        cls.__init__ = renamed_kwargs(**renames)(cls.__init__)
        return cls

    return decorate


def _is_sensor_size(value) -> bool:
    return isinstance(value, (tuple, list)) or (isinstance(value, np.ndarray) and value.ndim == 1)


def _time_first(time_field: str, old_time_field: str | None = None):
    """Class decorator for filters whose sensor size tonic does not need: ``Cls(time_us,
    sensor_size=None)``. The old ``Cls(sensor_size, time)`` order still works, with a warning."""
    def decorate(cls):
        init = cls.__init__
        old_call = f"{cls.__name__}(sensor_size, {old_time_field or time_field})"
        new_call = f"{cls.__name__}({time_field}, sensor_size=None)"

        @functools.wraps(init)
        def __init__(self, *args, **kwargs):
            if args and _is_sensor_size(args[0]):
                warn_renamed(cls.__name__, old_call, new_call, stacklevel=3)
                kwargs["sensor_size"], args = args[0], args[1:]
                if args:
                    kwargs[time_field], args = args[0], args[1:]
            init(self, *args, **kwargs)

        cls.__init__ = renamed_kwargs(**({old_time_field: time_field} if old_time_field else {}))(__init__)
        return cls

    return decorate


@_renamed_fields(start="start_us", end="end_us")
@dataclass(frozen=True)
class TimeWindow:
    """Keep events with ``start_us <= t < end_us`` (``None`` = unbounded). Like tonic's
    ``CropTime`` but half-open and without changing itself."""

    start_us: float | None = None
    end_us: float | None = None

    def __call__(self, events):
        return time_window(events, self.start_us, self.end_us)


@dataclass(frozen=True)
class CenterCrop:
    """tonic's ``CenterCrop(sensor_size, size)``: keep the events inside a centred
    ``size = (w, h)`` box (an int: square), shifted to 0. ``origin = (x0, y0)`` places
    the box elsewhere (tonic has no equivalent)."""

    sensor_size: tuple[int, int, int]
    size: tuple[int, int] | int
    origin: tuple[int, int] | None = None

    @property
    def _box(self):
        return (self.size, self.size) if isinstance(self.size, int) else self.size

    @property
    def output_sensor_size(self) -> SensorSize:
        width, height = self._box
        return SensorSize(width, height, check_sensor_size(self.sensor_size).polarities)

    def __call__(self, events):
        return crop(events, self.sensor_size, self._box, self.origin)


@dataclass(frozen=True)
class CropSpatial(CenterCrop):
    """Deprecated name of :class:`CenterCrop` (tonic's name), kept for one release."""

    def __post_init__(self):
        warn_renamed("evlearn.transforms", "CropSpatial", "CenterCrop", stacklevel=3)


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


@_time_first("filter_time_us", "filter_time")
@dataclass(frozen=True)
class Denoise:
    """Drop events without a 4-neighbour event in the previous ``filter_time_us`` µs (tonic's
    ``Denoise(filter_time)``); ``sensor_size=None``: the extent of each stream."""

    filter_time_us: float
    sensor_size: tuple[int, int, int] | None = None

    def __call__(self, events):
        return denoise(events, self.sensor_size, self.filter_time_us)


@_time_first("refractory_us")
@dataclass(frozen=True)
class RefractoryPeriod:
    """Drop events closer than ``refractory_us`` µs to the previous event at their pixel
    (tonic's ``RefractoryPeriod(delta)``); ``sensor_size=None``: the extent of each stream."""

    refractory_us: float
    sensor_size: tuple[int, int, int] | None = None

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


@_renamed_fields(dt="dt_us", tau="tau_us")
@dataclass(frozen=True)
class ToTimesurface:
    """Global time surfaces every ``dt_us`` µs, ``(S, P, H, W)``: tonic's
    ``ToTimesurface(sensor_size, dt, tau)`` (same positional order)."""

    sensor_size: tuple[int, int, int]
    dt_us: float
    tau_us: float
    overlap: float = 0
    include_incomplete: bool = False

    def __call__(self, events) -> np.ndarray:
        return global_time_surfaces(events, self.sensor_size, self.dt_us, self.tau_us,
                                    self.overlap, self.include_incomplete)
