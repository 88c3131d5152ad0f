"""Spatial crop and downsample (vectorised: no per-event loop needed).

Both return a new event array and leave the input untouched; the sensor size
of the result is ``(size[0], size[1], P)`` for ``crop`` and ``downsample_size(...)``
for ``downsample``.
"""
from __future__ import annotations

import numbers

import numpy as np

from evlearn.events import SensorSize
from evlearn.validation import check_number, check_sensor_size, validate_events


def _pair(value, name):
    try:
        pair = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a pair of integers (x, y), got {value!r}") from None
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{name} must be a pair of integers (x, y), got {value!r}")
    return int(pair[0]), int(pair[1])


def crop(events, sensor_size, size, origin=None) -> np.ndarray:
    """Keep events inside a ``size = (width, height)`` box and shift them to its corner.

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with int64 fields x, y, t (microseconds, sorted), p (ours or tonic's).
    sensor_size : tuple of int
        (W, H, P): width, height, polarities.
    size : int or tuple of int
        (w, h) of the box in pixels; an int: square.
    origin : tuple of int, optional
        (x0, y0), the box's lower corner; ``None`` centres the box
        (``x0 = (W - w) // 2``, like tonic's ``CenterCrop``).

    Returns
    -------
    numpy.ndarray
        Kept events with ``x - x0, y - y0``, on a (w, h, P) sensor.

    Raises
    ------
    ValueError
        Invalid events (fields, order, coordinates outside the sensor) or parameters.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> from evlearn.functional import crop
    >>> corner = crop(events, (34, 34, 2), size=(17, 17), origin=(0, 0))
    >>> int(corner["x"].max()) < 17 and int(corner["y"].max()) < 17
    True
    """
    sensor = check_sensor_size(sensor_size)
    ev = validate_events(events, sensor)
    width, height = _pair(size, "size")
    if not (0 < width <= sensor.width and 0 < height <= sensor.height):
        raise ValueError(f"crop size {(width, height)} must be positive and fit the sensor {tuple(sensor[:2])}")
    if origin is None:
        x0, y0 = (sensor.width - width) // 2, (sensor.height - height) // 2
    else:
        x0, y0 = _pair(origin, "origin")
    if x0 < 0 or y0 < 0 or x0 + width > sensor.width or y0 + height > sensor.height:
        raise ValueError(
            f"crop box origin {(x0, y0)} size {(width, height)} does not fit the sensor {tuple(sensor[:2])}"
        )
    keep = (ev["x"] >= x0) & (ev["x"] < x0 + width) & (ev["y"] >= y0) & (ev["y"] < y0 + height)
    out = ev[keep]  # boolean indexing copies
    out["x"] -= x0
    out["y"] -= y0
    return out


def downsample_size(sensor_size, factor=None, target_size=None) -> SensorSize:
    """Sensor size after ``downsample`` with the same arguments."""
    sensor = check_sensor_size(sensor_size)
    if (factor is None) == (target_size is None):
        raise ValueError("give exactly one of factor (integer >= 1) or target_size (width, height)")
    if factor is not None:
        check_number(factor, "factor", low=1, integer=True)
        return SensorSize(-(-sensor.width // factor), -(-sensor.height // factor), sensor.polarities)
    width, height = _pair(target_size, "target_size")
    if not (0 < width <= sensor.width and 0 < height <= sensor.height):
        raise ValueError(f"target_size {(width, height)} must be positive and at most the sensor {tuple(sensor[:2])}")
    return SensorSize(width, height, sensor.polarities)


def downsample(events, sensor_size, factor=None, target_size=None) -> np.ndarray:
    """Map pixel coordinates onto a coarser grid; no event is dropped, timestamps unchanged.

    Several events may land on one pixel at the same time.

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with int64 fields x, y, t (microseconds, sorted), p (ours or tonic's).
    sensor_size : tuple of int
        (W, H, P): width, height, polarities.
    factor : int, optional
        ``x -> x // factor`` (tonic ``Downsample(spatial_factor=1/factor)``).
    target_size : tuple of int, optional
        (w, h): ``x -> floor(x * w / W)`` in exact integer arithmetic (tonic
        ``Downsample(sensor_size=..., target_size=(w, h))`` truncates the float product).
        Give exactly one of ``factor`` and ``target_size``.

    Returns
    -------
    numpy.ndarray
        The events on the new grid (see :func:`downsample_size`), same dtype.

    Raises
    ------
    ValueError
        Invalid events (fields, order, coordinates outside the sensor) or parameters.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> from evlearn.functional import downsample
    >>> small = downsample(events, (34, 34, 2), target_size=(10, 10))
    >>> small.size == events.size, int(small["x"].max())
    (True, 9)
    """
    sensor = check_sensor_size(sensor_size)
    new = downsample_size(sensor, factor, target_size)
    ev = validate_events(events, sensor).copy()
    if factor is not None:
        ev["x"] //= factor
        ev["y"] //= factor
    else:
        ev["x"] = ev["x"] * new.width // sensor.width
        ev["y"] = ev["y"] * new.height // sensor.height
    return ev
