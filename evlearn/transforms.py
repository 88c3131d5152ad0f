"""Transforms in tonic's style: frozen dataclasses whose ``__call__`` forwards to a kernel.

Each takes an event array (ours or tonic's: fields x, y, t, p) and returns a new
array or a dense representation; none stores per-sample state. They compose with
``Compose`` here or ``tonic.transforms.Compose``, and mix freely with tonic's own
transforms, because the event arrays are the same.

    >>> from evlearn import transforms as T
    >>> pipeline = T.Compose([T.Denoise(filter_time_us=5000),
    ...                       T.ToLocalTimeSurfaces((34, 34, 2), radius=2, tau_us=20000.0)])

The transforms that remember past events (``Denoise``, ``RefractoryPeriod``,
``ToLocalTimeSurfaces``, ``ToTimesurface``) also have ``.stream()``, as FEAST does: a
fresh :mod:`evlearn.streaming` object that takes consecutive chunks of one stream and
carries that memory across them, so the chunks' outputs (and ``finish()``) concatenate
to the transform's output on the whole stream, exactly:

    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> path = sample_dir() / "0" / "00002.bin"
    >>> surfaces = T.ToLocalTimeSurfaces((34, 34, 2), radius=2, tau_us=20_000.0)
    >>> stream = surfaces.stream()
    >>> blocks = [stream(chunk) for chunk in evlearn.stream_events(path, n_events=1000)]
    >>> np.array_equal(np.concatenate(blocks), surfaces(evlearn.read_events(path)))
    True

``Compose.stream()`` does the same for a pipeline of these and of the transforms that map
each event on its own (``TimeWindow``, ``CenterCrop``, ``Downsample``).

Names follow docs/conventions.md: tonic's class names and argument order, times in
µs as ``*_us``. The names used before are accepted for one release with a
FutureWarning: ``CropSpatial`` (now ``CenterCrop``), ``Denoise(sensor_size,
filter_time)`` and ``RefractoryPeriod(sensor_size, refractory_us)`` (now time
first, ``sensor_size`` optional as in tonic), ``TimeWindow(start=, end=)`` and
``ToTimesurface(dt=, tau=)``.
"""
from __future__ import annotations

import functools
import inspect
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
from evlearn.streaming import (DenoiseStream, GlobalTimeSurfaceStream, LocalTimeSurfaceStream, PerEventStream,
                               PipelineStream, RefractoryStream)
from evlearn.validation import check_sensor_size

__all__ = [
    "Compose", "TimeWindow", "CenterCrop", "CropSpatial", "Downsample", "Denoise", "RefractoryPeriod",
    "ToCountFrame", "ToLocalTimeSurfaces", "ToTimesurface",
]


@dataclass(frozen=True)
class Compose:
    """Apply transforms one after another.

    Parameters
    ----------
    transforms : sequence of callable
        Each takes what the previous one returned (the first one, an event array).

    Examples
    --------
    >>> import evlearn
    >>> from evlearn import transforms as T
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> pipeline = T.Compose([T.Denoise(filter_time_us=5_000), T.ToCountFrame((34, 34, 2))])
    >>> pipeline(events).shape                              # (P, H, W)
    (2, 34, 34)
    """

    transforms: Sequence[Callable[[Any], Any]]

    def __call__(self, events):
        for transform in self.transforms:
            events = transform(events)
        return events

    def stream(self, sensor_size=None) -> PipelineStream:
        """This pipeline over consecutive chunks of one stream (see the module docstring).

        Transforms with a ``.stream()`` carry their memory across chunks; those that map each
        event on its own (``TimeWindow``, ``CenterCrop``, ``Downsample``) apply to each chunk.
        ``sensor_size``: the input's, for filters that have none (after a crop or a downsampling,
        the new grid's). Any other transform (``ToCountFrame``, a plain function) is refused: its
        output on chunks would not be its output on the whole stream.

        Examples
        --------
        >>> import evlearn
        >>> from evlearn import transforms as T
        >>> from evlearn.datasets.samples import sample_dir
        >>> path = sample_dir() / "0" / "00002.bin"
        >>> pipeline = T.Compose([T.Downsample((34, 34, 2), factor=2), T.Denoise(filter_time_us=5_000),
        ...                       T.ToLocalTimeSurfaces((17, 17, 2), radius=1, tau_us=20_000.0)])
        >>> stream = pipeline.stream()       # Denoise takes the downsampled grid, (17, 17, 2)
        >>> blocks = [stream(chunk) for chunk in evlearn.stream_events(path, n_events=1000)]
        >>> blocks.append(stream.finish())
        >>> np.array_equal(np.concatenate(blocks), pipeline(evlearn.read_events(path)))
        True
        """
        stages, sensor = [], sensor_size
        for transform in self.transforms:
            if isinstance(transform, (TimeWindow, CenterCrop, Downsample)):
                stages.append(PerEventStream(transform))
            elif not callable(getattr(transform, "stream", None)):
                raise ValueError(f"Compose.stream(): {getattr(transform, '__name__', type(transform).__name__)} "
                                 "has no .stream() and does not map each event on its own, so its output on "
                                 "chunks would not be its output on the whole stream")
            elif "sensor_size" in inspect.signature(transform.stream).parameters:
                own = getattr(transform, "sensor_size", None)   # a filter's own sensor comes first
                stages.append(transform.stream(sensor if own is None else None))
            else:
                stages.append(transform.stream())
            sensor = getattr(transform, "output_sensor_size", sensor)
        return PipelineStream(stages)


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


def _stream_sensor(transform, sensor_size):
    """The sensor a filter's stream sizes its per-pixel memory for: the argument, else the
    transform's own (the events' extent, the whole-stream default, is unknown until the end)."""
    size = sensor_size if sensor_size is not None else transform.sensor_size
    if size is None:
        raise ValueError(f"{type(transform).__name__}.stream() needs a sensor_size: the transform has none "
                         "and a stream's extent is unknown until it ends (pass stream(sensor_size=...), "
                         "e.g. evlearn.stream_events(path).sensor_size)")
    return size


@_renamed_fields(start="start_us", end="end_us")
@dataclass(frozen=True)
class TimeWindow:
    """Keep events with ``start_us <= t < end_us``.

    Like tonic's ``CropTime`` but half-open and without changing itself;
    :func:`evlearn.functional.time_window` is the function.

    Parameters
    ----------
    start_us, end_us : float or None, default None
        Bounds in microseconds (``None``: unbounded).

    Examples
    --------
    >>> import evlearn
    >>> from evlearn import transforms as T
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> first = T.TimeWindow(end_us=100_000)(events)        # the first 100 ms
    >>> int(first["t"].max()) < 100_000
    True
    """

    start_us: float | None = None
    end_us: float | None = None

    def __call__(self, events):
        return time_window(events, self.start_us, self.end_us)


@dataclass(frozen=True)
class CenterCrop:
    """tonic's ``CenterCrop(sensor_size, size)``: keep the events inside a centred box, shifted to 0.

    :func:`evlearn.functional.crop` is the function.

    Parameters
    ----------
    sensor_size : tuple of int
        (W, H, P) of the input.
    size : int or tuple of int
        (w, h) of the box in pixels; an int: square.
    origin : tuple of int, optional
        (x0, y0), the box's lower corner, to place it elsewhere (tonic has no equivalent).

    Examples
    --------
    >>> import evlearn
    >>> from evlearn import transforms as T
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> crop = T.CenterCrop((34, 34, 2), size=28)
    >>> crop.output_sensor_size
    SensorSize(width=28, height=28, polarities=2)
    >>> int(crop(events)["x"].max()) < 28
    True
    """

    sensor_size: tuple[int, int, int]
    size: tuple[int, int] | int
    origin: tuple[int, int] | None = None

    @property
    def _box(self):
        return (self.size, self.size) if isinstance(self.size, int) else self.size

    @property
    def output_sensor_size(self) -> SensorSize:
        """Sensor size (W, H, P) of the cropped events."""
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
    """Coarser pixel grid: ``x // factor``, or ``floor(x * w / W)`` for ``target_size = (w, h)``.

    :func:`evlearn.functional.downsample` is the function.

    Parameters
    ----------
    sensor_size : tuple of int
        (W, H, P) of the input.
    factor : int, optional
        Integer divisor of both coordinates.
    target_size : tuple of int, optional
        (w, h) of the output grid, instead of ``factor``.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn import transforms as T
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> half = T.Downsample((34, 34, 2), factor=2)
    >>> half.output_sensor_size
    SensorSize(width=17, height=17, polarities=2)
    >>> half(events).size == events.size                    # same events, coarser pixels
    True
    """

    sensor_size: tuple[int, int, int]
    factor: int | None = None
    target_size: tuple[int, int] | None = None

    @property
    def output_sensor_size(self) -> SensorSize:
        """Sensor size (W, H, P) of the downsampled events."""
        return downsample_size(self.sensor_size, self.factor, self.target_size)

    def __call__(self, events):
        return downsample(events, self.sensor_size, self.factor, self.target_size)


@_time_first("filter_time_us", "filter_time")
@dataclass(frozen=True)
class Denoise:
    """Drop events without a 4-neighbour event in the previous ``filter_time_us`` µs.

    tonic's ``Denoise(filter_time)``; :func:`evlearn.functional.denoise` is the function.

    Parameters
    ----------
    filter_time_us : float
        Time window in microseconds (>= 0).
    sensor_size : tuple of int, optional
        (W, H, P); by default the extent of each stream.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn import transforms as T
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> kept = T.Denoise(filter_time_us=10_000)(events)
    >>> kept.size, events.size
    (4625, 5028)
    """

    filter_time_us: float
    sensor_size: tuple[int, int, int] | None = None

    def __call__(self, events):
        return denoise(events, self.sensor_size, self.filter_time_us)

    def stream(self, sensor_size=None) -> DenoiseStream:
        """This filter over consecutive chunks (see the module docstring); ``sensor_size``
        where the transform has none."""
        return DenoiseStream(_stream_sensor(self, sensor_size), self.filter_time_us)


@_time_first("refractory_us")
@dataclass(frozen=True)
class RefractoryPeriod:
    """Drop events closer than ``refractory_us`` µs to the previous event at their pixel.

    tonic's ``RefractoryPeriod(delta)``; :func:`evlearn.functional.refractory_period` is the function.

    Parameters
    ----------
    refractory_us : float
        Refractory period in microseconds (>= 0).
    sensor_size : tuple of int, optional
        (W, H, P); by default the extent of each stream.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn import transforms as T
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> kept = T.RefractoryPeriod(refractory_us=50_000)(events)
    >>> kept.size, events.size
    (963, 5028)
    """

    refractory_us: float
    sensor_size: tuple[int, int, int] | None = None

    def __call__(self, events):
        return refractory_period(events, self.sensor_size, self.refractory_us)

    def stream(self, sensor_size=None) -> RefractoryStream:
        """This filter over consecutive chunks (see the module docstring); ``sensor_size``
        where the transform has none."""
        return RefractoryStream(_stream_sensor(self, sensor_size), self.refractory_us)


@dataclass(frozen=True)
class ToCountFrame:
    """Event counts per polarity and pixel (:func:`evlearn.functional.count_frame`).

    Parameters
    ----------
    sensor_size : tuple of int
        (W, H, P).

    Returns
    -------
    A callable: events -> int64 array of shape (P, H, W).

    Examples
    --------
    >>> import evlearn
    >>> from evlearn import transforms as T
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> frame = T.ToCountFrame((34, 34, 2))(events)
    >>> frame.shape, int(frame.sum()) == events.size
    ((2, 34, 34), True)
    """

    sensor_size: tuple[int, int, int]

    def __call__(self, events) -> np.ndarray:
        return count_frame(events, self.sensor_size)


@dataclass(frozen=True)
class ToLocalTimeSurfaces:
    """Per-event time surfaces (:func:`evlearn.functional.local_time_surfaces`).

    Parameters
    ----------
    sensor_size : tuple of int
        (W, H, P).
    radius : int
        R, half-width of the patch: surfaces are (2R+1) x (2R+1).
    tau_us : float
        Decay time constant in microseconds.
    merge_polarities : bool, default False
        One channel for all polarities.
    dtype : numpy dtype, default float64
        float64 or float32.

    Returns
    -------
    A callable: events -> array of shape (N, P or 1, 2R+1, 2R+1), values in (0, 1].

    Examples
    --------
    >>> import evlearn
    >>> from evlearn import transforms as T
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> surfaces = T.ToLocalTimeSurfaces((34, 34, 2), radius=2, tau_us=20_000)(events)
    >>> surfaces.shape
    (5028, 2, 5, 5)
    """

    sensor_size: tuple[int, int, int]
    radius: int
    tau_us: float
    merge_polarities: bool = False
    dtype: Any = np.float64

    def __call__(self, events) -> np.ndarray:
        return local_time_surfaces(events, self.sensor_size, self.radius, self.tau_us,
                                   self.merge_polarities, self.dtype)

    def stream(self) -> LocalTimeSurfaceStream:
        """These surfaces over consecutive chunks: one ``(len(chunk), C, 2R+1, 2R+1)`` block per chunk."""
        return LocalTimeSurfaceStream(self.sensor_size, self.radius, self.tau_us, self.merge_polarities, self.dtype)


@_renamed_fields(dt="dt_us", tau="tau_us")
@dataclass(frozen=True)
class ToTimesurface:
    """Global time surfaces every ``dt_us`` µs (:func:`evlearn.functional.global_time_surfaces`).

    tonic's ``ToTimesurface(sensor_size, dt, tau)`` in the same positional order.

    Parameters
    ----------
    sensor_size : tuple of int
        (W, H, P).
    dt_us : float
        Slice length in microseconds.
    tau_us : float
        Decay time constant in microseconds.
    overlap : float, default 0
        Microseconds shared by neighbouring slices.
    include_incomplete : bool, default False
        Also emit the last, shorter slice.

    Returns
    -------
    A callable: events -> float64 array of shape (S, P, H, W), one surface per slice.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn import transforms as T
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> surfaces = T.ToTimesurface((34, 34, 2), dt_us=50_000, tau_us=20_000)(events)
    >>> surfaces.shape
    (6, 2, 34, 34)
    """

    sensor_size: tuple[int, int, int]
    dt_us: float
    tau_us: float
    overlap: float = 0
    include_incomplete: bool = False

    def __call__(self, events) -> np.ndarray:
        return global_time_surfaces(events, self.sensor_size, self.dt_us, self.tau_us,
                                    self.overlap, self.include_incomplete)

    def stream(self) -> GlobalTimeSurfaceStream:
        """These surfaces over consecutive chunks: each call returns the slices completed so far,
        ``finish()`` the rest."""
        return GlobalTimeSurfaceStream(self.sensor_size, self.dt_us, self.tau_us, self.overlap,
                                       self.include_incomplete)
