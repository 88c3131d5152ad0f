"""Input validation in one place: clear ``ValueError`` messages saying what and where.

Every public entry point calls these before handing arrays to numba kernels, so
bad input never surfaces as a crash deep inside compiled code.
"""
from __future__ import annotations

import numbers

import numpy as np

from evlearn.events import SensorSize, as_events


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def validate_events(events, sensor_size=None, *, name: str = "events") -> np.ndarray:
    """Check an event stream and return it as a contiguous EVENT_DTYPE array.

    Checks: structured array with x, y, t, p; timestamps non-decreasing;
    with ``sensor_size`` (W, H, P), 0 <= x < W, 0 <= y < H, 0 <= p < P.
    Raises ValueError naming the first offending event.
    """
    try:
        ev = as_events(events)
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    if ev.size == 0:
        return ev
    t = ev["t"]
    if t[0] < 0:
        raise ValueError(f"{name}: negative timestamp t={t[0]} at event 0")
    decreasing = t[1:] < t[:-1]  # no temporary diff array: 2x faster on strided fields
    if decreasing.any():
        i = _first(decreasing) + 1
        raise ValueError(
            f"{name}: timestamps must be non-decreasing; event {i} has t={t[i]} after t={t[i - 1]} "
            "(sort with events[np.argsort(events['t'], kind='stable')])"
        )
    if sensor_size is not None:
        size = check_sensor_size(sensor_size)
        check_fields_in_range(ev, (("x", 0, size.width, "width"), ("y", 0, size.height, "height"),
                                   ("p", 0, size.polarities, "polarities")), name=name)
    return ev


def check_fields_in_range(ev: np.ndarray, limits, *, name: str = "events") -> None:
    """Check ``low <= ev[field] < high`` for each ``(field, low, high, label)`` of ``limits``.

    Raises ValueError naming the first offending event.
    """
    if ev.size == 0:
        return
    for field, low, high, label in limits:
        column = ev[field]
        if column.min() >= low and column.max() < high:  # fast path; the mask only on failure
            continue
        i = _first((column < low) | (column >= high))
        raise ValueError(
            f"{name}: {field}={column[i]} at event {i} is outside the sensor "
            f"({label}={high}, valid {low}..{high - 1})"
        )


def events_on_sensor(events, sensor_size=None, *, name: str = "events") -> tuple[np.ndarray, SensorSize]:
    """Validated events and their sensor size; ``None`` (as tonic's filters allow) means the
    smallest sensor that holds the events, (max x + 1, max y + 1, max p + 1)."""
    if sensor_size is not None:
        size = check_sensor_size(sensor_size)
        return validate_events(events, size, name=name), size
    ev = validate_events(events, name=name)
    if ev.size == 0:
        return ev, SensorSize(1, 1, 1)
    for field in ("x", "y", "p"):
        if ev[field].min() < 0:
            i = _first(ev[field] < 0)
            raise ValueError(f"{name}: {field}={ev[field][i]} at event {i} is negative")
    return ev, SensorSize(int(ev["x"].max()) + 1, int(ev["y"].max()) + 1, int(ev["p"].max()) + 1)


def check_sensor_size(sensor_size) -> SensorSize:
    """Return ``sensor_size`` as a SensorSize of three positive ints."""
    try:
        values = tuple(sensor_size)
    except TypeError:
        raise ValueError(f"sensor_size must be (width, height, polarities), got {sensor_size!r}") from None
    if len(values) != 3 or not all(isinstance(v, numbers.Integral) and v > 0 for v in values):
        raise ValueError(f"sensor_size must be three positive integers (width, height, polarities), got {sensor_size!r}")
    return SensorSize(*(int(v) for v in values))


def check_number(value, name: str, *, low=None, high=None, low_open: bool = False,
                 high_open: bool = False, integer: bool = False):
    """Check a scalar parameter against an interval; return it unchanged.

    ``low``/``high`` are inclusive bounds unless ``low_open``/``high_open``.
    """
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'}, got {value!r}")
    if not integer and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value!r}")
    return value
