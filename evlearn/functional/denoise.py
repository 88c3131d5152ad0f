"""Background-activity filter: drop events with no recent neighbour.

tonic's ``Denoise`` rule: an event at (x, y, t) is kept when one of its four
neighbours (x±1, y), (x, y±1) had an event (either polarity) at ``t_n`` with
``t_n + filter_time > t``, counting earlier events in stream order. Isolated
events (sensor noise) go, events on moving edges stay. Unlike tonic, a pixel
that has not fired yet never counts as a recent neighbour (tonic starts its
memory at ``filter_time``, so it keeps every event of the first ``filter_time`` µs
that has an in-range neighbour); from ``t >= filter_time`` on both agree.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from evlearn.deprecation import renamed_kwargs
from evlearn.validation import check_number, events_on_sensor

_NEVER = np.iinfo(np.int64).min
_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def empty_memory(width, height) -> np.ndarray:
    """Last-event time per pixel, (H, W) int64, before any event: the state a stream carries."""
    return np.full((height, width), _NEVER, dtype=np.int64)


@njit(cache=True)
def _denoise_kernel(x, y, t, width, height, filter_time, last):
    # ``last`` (H, W) is updated in place, so a stream cut in chunks carries it across.
    keep = np.zeros(x.shape[0], dtype=np.bool_)
    for i in range(x.shape[0]):
        xi, yi, ti = x[i], y[i], t[i]
        last[yi, xi] = ti
        recent = False
        if xi > 0 and last[yi, xi - 1] != _NEVER and last[yi, xi - 1] + filter_time > ti:
            recent = True
        elif xi < width - 1 and last[yi, xi + 1] != _NEVER and last[yi, xi + 1] + filter_time > ti:
            recent = True
        elif yi > 0 and last[yi - 1, xi] != _NEVER and last[yi - 1, xi] + filter_time > ti:
            recent = True
        elif yi < height - 1 and last[yi + 1, xi] != _NEVER and last[yi + 1, xi] + filter_time > ti:
            recent = True
        keep[i] = recent
    return keep


def last_time_at(events, sensor_size, dx, dy, include_self=False):
    """NumPy helper: for each event i, the time of the latest event j < i (j <= i with
    ``include_self``) at pixel (x_i + dx, y_i + dy), and whether there is one.

    Returns ``(times, found)``. Vectorised with one sort and a searchsorted on the key
    ``pixel * N + index``, so it is an independent check of the per-event kernels.
    """
    width, height = sensor_size[0], sensor_size[1]
    n = events.size
    index = np.arange(n, dtype=np.int64)
    key = np.sort((events["y"] * width + events["x"]) * n + index)
    qx, qy = events["x"] + dx, events["y"] + dy
    inside = (qx >= 0) & (qx < width) & (qy >= 0) & (qy < height)
    query = (qy * width + qx) * n + index + (1 if include_self else 0)
    pos = np.searchsorted(key, query, side="left") - 1
    found = inside & (pos >= 0)
    found[found] = key[pos[found]] // n == (qy * width + qx)[found]
    times = np.zeros(n, dtype=np.int64)
    times[found] = events["t"][key[pos[found]] % n]
    return times, found


def denoise_mask_reference(events, sensor_size, filter_time) -> np.ndarray:
    """Pure NumPy reference of the keep-mask (see ``last_time_at``)."""
    keep = np.zeros(events.size, dtype=bool)
    for dx, dy in _NEIGHBOURS:
        times, found = last_time_at(events, sensor_size, dx, dy)
        keep |= found & (times + filter_time > events["t"])
    return keep


@renamed_kwargs(filter_time="filter_time_us")
def denoise(events, sensor_size, filter_time_us) -> np.ndarray:
    """Keep the events with a 4-neighbour event less than ``filter_time_us`` µs before them.

    tonic's ``Denoise(filter_time)``. Neighbours outside the sensor never fire.

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with int64 fields x, y, t (microseconds, sorted), p (ours or tonic's).
    sensor_size : tuple of int or None
        (W, H, P); ``None``: the extent of the events.
    filter_time_us : float
        Time window in microseconds (>= 0).

    Returns
    -------
    numpy.ndarray
        The kept events (a copy), same dtype.

    Raises
    ------
    ValueError
        Invalid events (fields, order, coordinates outside the sensor) or parameters.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> from evlearn.functional import denoise
    >>> denoise(events, (34, 34, 2), filter_time_us=10_000).size
    4625
    """
    ev, size = events_on_sensor(events, sensor_size)
    check_number(filter_time_us, "filter_time_us", low=0)
    keep = _denoise_kernel(ev["x"], ev["y"], ev["t"], size.width, size.height, float(filter_time_us),
                           empty_memory(size.width, size.height))
    return ev[keep]
