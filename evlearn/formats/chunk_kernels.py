"""The per-chunk work of the streaming readers in one compiled pass each (numba), so that
reading in chunks costs little beside the decoder: copying a decoder's columns into
evlearn's event records, checking a chunk, finding the word types of a block. A NumPy reference sits
beside each kernel (tests compare them); kept apart so that importing the formats
package does not load numba.

The checks only say whether a chunk is good; the callers build their error message
(which event, which byte offset) with NumPy on the rare chunk that is not.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from evlearn.events import EVENT_DTYPE

@njit(cache=True)
def _fill(x, y, t, p, out):
    for i in range(t.size):
        out[i, 0] = x[i]
        out[i, 1] = y[i]
        out[i, 2] = t[i]
        out[i, 3] = p[i]


def to_events(x, y, t, p) -> np.ndarray:
    """Copy decoder columns (integer or bool dtypes) into one EVENT_DTYPE array, in one pass."""
    out = np.empty(len(t), dtype=EVENT_DTYPE)
    _fill(x, y, t, p, out.view(np.int64).reshape(-1, 4))  # the records as rows of x, y, t, p
    return out


def to_events_reference(x, y, t, p) -> np.ndarray:
    """NumPy reference of :func:`to_events` (one pass per field)."""
    out = np.empty(len(t), dtype=EVENT_DTYPE)
    out["x"], out["y"], out["t"], out["p"] = x, y, t, p
    return out


@njit(cache=True)
def _events_ok(x, y, t, p, after_t, width, height, polarities):
    previous = max(after_t, 0)
    for i in range(t.size):
        if t[i] < previous:
            return False
        previous = t[i]
        if width > 0 and not (0 <= x[i] < width and 0 <= y[i] < height and 0 <= p[i] < polarities):
            return False
    return True


def events_ok(events: np.ndarray, sensor_size=None, after_t: int = 0) -> bool:
    """Whether an EVENT_DTYPE chunk passes the stream checks: timestamps non-negative,
    non-decreasing and not before ``after_t`` (the previous chunk's last); with
    ``sensor_size`` (W, H, P), every x, y, p inside it."""
    width, height, polarities = sensor_size if sensor_size is not None else (0, 0, 0)
    return bool(_events_ok(events["x"], events["y"], events["t"], events["p"], int(after_t),
                           width, height, polarities))


def events_ok_reference(events: np.ndarray, sensor_size=None, after_t: int = 0) -> bool:
    """NumPy reference of :func:`events_ok`."""
    t = events["t"]
    if not t.size:
        return True
    ok = t[0] >= max(after_t, 0) and not (t[1:] < t[:-1]).any()
    if sensor_size is not None:
        ok = ok and all(((events[f] >= 0) & (events[f] < n)).all() for f, n in zip("xyp", sensor_size))
    return bool(ok)


@njit(cache=True)
def _word_types(words, shift):
    seen = 0
    for w in words:
        seen |= 1 << (w >> shift)
    return seen


def word_types(words: np.ndarray, shift: int) -> int:
    """The 4-bit types ``word >> shift`` present in ``words``, as a bit mask (bit k: type k)."""
    return int(_word_types(words, words.dtype.type(shift)))


def word_types_reference(words: np.ndarray, shift: int) -> int:
    """NumPy reference of :func:`word_types`."""
    return int(np.bitwise_or.reduce(np.left_shift(1, (words >> shift).astype(np.int64)), initial=0))
