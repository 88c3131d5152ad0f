"""Time-window selection and slicing of event streams (no per-event loop: searchsorted).

``slice_by_time`` follows tonic's ``SliceByTime`` exactly (same windows, same
number of slices), so slices line up with tonic's ``ToFrame(time_window=...)``
and ``ToTimesurface``.
"""
from __future__ import annotations

import numpy as np

from evlearn.deprecation import renamed_kwargs
from evlearn.validation import check_number, validate_events


def count_slices(duration, window_us, overlap=0, include_incomplete: bool = False) -> int:
    """Number of windows tonic's SliceByTime cuts from ``duration`` µs (at least 1)."""
    rounding = np.ceil if include_incomplete else np.floor
    return max(int(rounding((duration - window_us) / (window_us - overlap)) + 1), 1)


def slice_bounds(t: np.ndarray, window_us, overlap=0, include_incomplete: bool = False,
                 start_time=None, end_time=None) -> tuple[np.ndarray, np.ndarray]:
    """Start and end event indices of each time window (tonic's SliceByTime rule).

    Windows start at ``start_time`` (default: first timestamp) every
    ``window_us - overlap`` microseconds and are half-open ``[start, start + window_us)``.
    The number of windows is ``floor((duration - window_us) / stride) + 1``
    (``ceil`` with ``include_incomplete``), at least 1; ``duration`` runs from
    ``start_time`` to ``end_time`` (default: last timestamp). ``t`` must be sorted
    and non-empty.
    """
    stride = window_us - overlap
    start = t[0] if start_time is None else start_time
    end = t[-1] if end_time is None else end_time
    n_slices = count_slices(end - start, window_us, overlap, include_incomplete)
    window_starts = np.arange(n_slices) * stride + start
    window_ends = window_starts + window_us
    return np.searchsorted(t, window_starts), np.searchsorted(t, window_ends)


def _check_window(window_us, overlap):
    check_number(window_us, "window_us", low=0, low_open=True)
    check_number(overlap, "overlap", low=0)
    if overlap >= window_us:
        raise ValueError(f"overlap must be smaller than window_us ({window_us}), got {overlap}")


def slice_by_time(events, window_us, overlap=0, *, include_incomplete: bool = False,
                  start_time=None, end_time=None, sensor_size=None) -> list[np.ndarray]:
    """Cut a stream into windows of ``window_us`` microseconds, ``overlap`` shared between neighbours.

    Same windows as ``tonic.slicers.slice_events_by_time`` (see :func:`slice_bounds`).

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with int64 fields x, y, t (microseconds, sorted), p (ours or tonic's).
    window_us : float
        Window length in microseconds (> 0).
    overlap : float, default 0
        Microseconds shared by neighbouring windows (< ``window_us``).
    include_incomplete : bool, default False
        Also return the last, shorter window.
    start_time, end_time : int, optional
        Time span to cut, in microseconds (default: first and last timestamps).
    sensor_size : tuple of int, optional
        (W, H, P), to check the coordinates against.

    Returns
    -------
    list of numpy.ndarray
        One event array (a copy) per window; ``[]`` for an empty stream.

    Raises
    ------
    ValueError
        Invalid events (fields, order, coordinates outside the sensor) or parameters.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> from evlearn.functional import slice_by_time
    >>> [part.size for part in slice_by_time(events, window_us=100_000)]
    [1804, 1600, 1621]
    """
    ev = validate_events(events, sensor_size)
    _check_window(window_us, overlap)
    if ev.size == 0:
        return []
    starts, ends = slice_bounds(ev["t"], window_us, overlap, include_incomplete, start_time, end_time)
    return [ev[s:e].copy() for s, e in zip(starts, ends)]


@renamed_kwargs(start="start_us", end="end_us")
def time_window(events, start_us=None, end_us=None, *, sensor_size=None) -> np.ndarray:
    """Events with ``start_us <= t < end_us``, as a copy.

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with int64 fields x, y, t (microseconds, sorted), p (ours or tonic's).
    start_us, end_us : float or None
        Bounds in microseconds (``None``: unbounded).
    sensor_size : tuple of int, optional
        (W, H, P), to check the coordinates against.

    Returns
    -------
    numpy.ndarray
        The events inside the window, same dtype.

    Raises
    ------
    ValueError
        Invalid events (fields, order, coordinates outside the sensor) or parameters.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> from evlearn.functional import time_window
    >>> time_window(events, 100_000, 200_000).size
    1598
    """
    ev = validate_events(events, sensor_size)
    if start_us is not None:
        check_number(start_us, "start_us")
    if end_us is not None:
        check_number(end_us, "end_us")
    if start_us is not None and end_us is not None and end_us < start_us:
        raise ValueError(f"end_us ({end_us}) must not be before start_us ({start_us})")
    t = ev["t"]
    first = 0 if start_us is None else int(np.searchsorted(t, start_us, side="left"))
    last = t.size if end_us is None else int(np.searchsorted(t, end_us, side="left"))
    return ev[first:last].copy()
