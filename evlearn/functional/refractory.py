"""Per-pixel refractory period: drop events that follow the pixel's previous event too soon.

tonic's ``RefractoryPeriod`` rule: an event is kept when ``t - t_prev > refractory_us``,
``t_prev`` being the previous event at the same pixel (either polarity, kept or
not: a burst keeps the pixel silent). Unlike tonic, a pixel's first event is
always kept (tonic's memory starts at ``-refractory_us``, which drops a first
event at ``t = 0``).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from evlearn.functional.denoise import _NEVER, empty_memory
from evlearn.validation import check_number, events_on_sensor


@njit(cache=True)
def _refractory_kernel(x, y, t, width, height, refractory_us, last):
    # ``last`` (H, W) is updated in place, so a stream cut in chunks carries it across.
    keep = np.zeros(x.shape[0], dtype=np.bool_)
    for i in range(x.shape[0]):
        previous = last[y[i], x[i]]
        keep[i] = previous == _NEVER or t[i] - previous > refractory_us
        last[y[i], x[i]] = t[i]
    return keep


def refractory_mask_reference(events, sensor_size, refractory_us) -> np.ndarray:
    """Pure NumPy reference: group events by pixel (stable sort) and diff timestamps."""
    width = sensor_size[0]
    pixel = events["y"] * width + events["x"]
    order = np.argsort(pixel, kind="stable")
    same_pixel = np.zeros(order.size, dtype=bool)
    same_pixel[1:] = pixel[order][1:] == pixel[order][:-1]
    gap = np.zeros(order.size, dtype=np.int64)
    gap[1:] = np.diff(events["t"][order])
    keep = np.empty(order.size, dtype=bool)
    keep[order] = ~same_pixel | (gap > refractory_us)
    return keep


def refractory_period(events, sensor_size, refractory_us) -> np.ndarray:
    """Keep the events more than ``refractory_us`` µs after the previous event at their pixel.

    tonic's ``RefractoryPeriod(delta)``; the first event at each pixel is kept.

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with int64 fields x, y, t (microseconds, sorted), p (ours or tonic's).
    sensor_size : tuple of int or None
        (W, H, P); ``None``: the extent of the events.
    refractory_us : float
        Refractory period in microseconds (>= 0).

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
    >>> from evlearn.functional import refractory_period
    >>> refractory_period(events, (34, 34, 2), refractory_us=50_000).size
    963
    """
    ev, size = events_on_sensor(events, sensor_size)
    check_number(refractory_us, "refractory_us", low=0)
    keep = _refractory_kernel(ev["x"], ev["y"], ev["t"], size.width, size.height, float(refractory_us),
                              empty_memory(size.width, size.height))
    return ev[keep]
