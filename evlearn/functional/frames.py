"""Event-count frames: how many events each (polarity, pixel) received.

Layout follows tonic's ``ToFrame``: one frame is ``(P, H, W)`` (indexed
``frame[p, y, x]``). ``count_frames`` stacks one frame per sample, for
classifiers on fixed-size inputs.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from evlearn.validation import check_sensor_size, validate_events


@njit(cache=True)
def _count_frame_kernel(x, y, p, n_pol, height, width):
    frame = np.zeros((n_pol, height, width), dtype=np.int64)
    for i in range(x.shape[0]):
        frame[p[i], y[i], x[i]] += 1
    return frame


def count_frame_reference(events, sensor_size) -> np.ndarray:
    """Pure NumPy reference of ``count_frame`` (no validation)."""
    width, height, n_pol = sensor_size
    frame = np.zeros((n_pol, height, width), dtype=np.int64)
    np.add.at(frame, (events["p"], events["y"], events["x"]), 1)
    return frame


def count_frame(events, sensor_size) -> np.ndarray:
    """Count events per polarity and pixel.

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with int64 fields x, y, t (microseconds, sorted), p (ours or tonic's).
    sensor_size : tuple of int
        (W, H, P): width, height, polarities.

    Returns
    -------
    numpy.ndarray
        int64, shape (P, H, W); ``frame[p, y, x]`` is the number of events of
        polarity ``p`` at pixel ``(x, y)``. Its sum equals ``len(events)``.

    Raises
    ------
    ValueError
        Invalid events (fields, order, coordinates outside the sensor) or parameters.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> from evlearn.functional import count_frame
    >>> frame = count_frame(events, (34, 34, 2))
    >>> frame.shape, int(frame.sum())
    ((2, 34, 34), 5028)
    """
    size = check_sensor_size(sensor_size)
    ev = validate_events(events, size)
    return _count_frame_kernel(ev["x"], ev["y"], ev["p"], size.polarities, size.height, size.width)


def count_frames(streams, sensor_size) -> np.ndarray:
    """Stack ``count_frame`` of several event streams: shape ``(N, P, H, W)``."""
    size = check_sensor_size(sensor_size)
    frames = np.zeros((len(streams), size.polarities, size.height, size.width), dtype=np.int64)
    for i, events in enumerate(streams):
        try:
            frames[i] = count_frame(events, size)
        except ValueError as err:
            raise ValueError(f"stream {i}: {err}") from None
    return frames
