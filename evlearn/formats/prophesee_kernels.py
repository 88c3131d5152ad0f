"""EVT 2.0 and DAT decoders (numba), one block of raw words at a time, each with its NumPy
reference; used by evlearn.formats.evt2 / .dat and kept apart so that importing the
formats package does not load numba.

Why not expelliarmus (which decodes both identically, event for event: tests compare):
it reads the file itself and checks nothing, so evlearn had to read every file twice
(a NumPy scan for corrupt words or steps back in time, then expelliarmus) and convert
its records; that made streaming 0.6x expelliarmus's whole-file read at best. Decoding
the scanned block directly is one pass (docs/formats.md, measured).

EVT 2.0 words (top 4 bits): 0/1 CD OFF/ON (6-bit time LSBs at 22, x at 11, y at 0, 11 bits
each), 8 TIME_HIGH (28 bits of time >> 6), 0xA EXT_TRIGGER and 0xE OTHERS (counted),
0xF CONTINUED (ignored); any other type is corrupt data. DAT records: uint32 time,
uint32 with x (14 bits), y (14 bits), p (4 bits); the 32-bit clock wraps (a step back by
more than 2**31 us adds 2**32), a smaller step back is corrupt data.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from evlearn.events import EVENT_DTYPE

EVT2_VALID = (0x0, 0x1, 0x8, 0xA, 0xE, 0xF)
HALF_CLOCK = 1 << 31

# EVT 2.0 state: time high (us), triggers, others; DAT state: last raw time (-1: none), wraps.
EVT2_STATE, DAT_STATE = 3, 2


def new_evt2_state() -> np.ndarray:
    """Fresh EVT 2.0 decoder state (time base, trigger and "other" counts), carried across blocks."""
    return np.zeros(EVT2_STATE, dtype=np.int64)


def new_dat_state() -> np.ndarray:
    """Fresh DAT decoder state (last 32-bit time, wraps so far), carried across blocks."""
    return np.array([-1, 0], dtype=np.int64)


def _rows(events: np.ndarray) -> np.ndarray:
    return events.view(np.int64).reshape(-1, 4)  # EVENT_DTYPE records as rows of x, y, t, p


@njit(cache=True)
def _decode_evt2(words, state, out):
    high = state[0]
    n = 0
    for i in range(words.size):
        w = words[i]
        kind = w >> 28
        if kind <= 1:
            out[n, 0] = (w >> 11) & 0x7FF
            out[n, 1] = w & 0x7FF
            out[n, 2] = high | ((w >> 22) & 0x3F)
            out[n, 3] = kind
            n += 1
        elif kind == 0x8:
            high = np.int64(w & 0x0FFFFFFF) << 6
        elif kind == 0xA:
            state[1] += 1
        elif kind == 0xE:
            state[2] += 1
        elif kind != 0xF:
            state[0] = high
            return n, i
    state[0] = high
    return n, -1


def decode_evt2(words: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, int]:
    """Decode little-endian EVT 2.0 ``words``: (events, index of the first word of an unknown
    type or -1; decoding stops there). ``state`` carries the time base and counts over."""
    out = np.empty(words.size, dtype=EVENT_DTYPE)
    n, bad = _decode_evt2(words, state, _rows(out))
    return out[:n], int(bad)


def decode_evt2_reference(words: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, int]:
    """NumPy reference of :func:`decode_evt2`."""
    kinds = words >> 28
    unknown = np.flatnonzero(~np.isin(kinds, EVT2_VALID))
    bad = int(unknown[0]) if unknown.size else -1
    if bad >= 0:
        words, kinds = words[:bad], kinds[:bad]
    high_at = np.where(kinds == 0x8, np.arange(words.size), -1)
    np.maximum.accumulate(high_at, out=high_at)  # the last TIME_HIGH word at or before each word
    high = np.where(high_at >= 0, (words[high_at].astype(np.int64) & 0x0FFFFFFF) << 6, state[0])
    cd = kinds <= 1
    events = np.empty(int(cd.sum()), dtype=EVENT_DTYPE)
    w = words[cd].astype(np.int64)
    events["x"], events["y"], events["p"] = (w >> 11) & 0x7FF, w & 0x7FF, kinds[cd]
    events["t"] = high[cd] | ((w >> 22) & 0x3F)
    if words.size:
        state[0] = high[-1]
    state[1] += int(np.count_nonzero(kinds == 0xA))
    state[2] += int(np.count_nonzero(kinds == 0xE))
    return events, bad


@njit(cache=True)
def _decode_dat(records, state, out):
    last, wraps = state[0], state[1]
    for i in range(records.shape[0]):
        t = np.int64(records[i, 0])
        if last >= 0 and t < last:
            if last - t < HALF_CLOCK:
                state[0], state[1] = last, wraps
                return i
            wraps += 1
        last = t
        w = records[i, 1]
        out[i, 0] = w & 0x3FFF
        out[i, 1] = (w >> 14) & 0x3FFF
        out[i, 2] = t + (wraps << 32)
        out[i, 3] = w >> 28
    state[0], state[1] = last, wraps
    return -1


def decode_dat(records: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, int]:
    """Decode DAT ``records`` (uint32 pairs, shape (n, 2)): (events, index of the first record
    whose time steps back by less than 2**31 us, or -1; decoding stops there)."""
    out = np.empty(records.shape[0], dtype=EVENT_DTYPE)
    bad = int(_decode_dat(records, state, _rows(out)))
    return (out if bad < 0 else out[:bad]), bad


def decode_dat_reference(records: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, int]:
    """NumPy reference of :func:`decode_dat`."""
    t = records[:, 0].astype(np.int64)
    if not t.size:
        return np.empty(0, dtype=EVENT_DTYPE), -1
    previous = np.concatenate(([t[0] if state[0] < 0 else state[0]], t[:-1]))
    back = t < previous
    steps = np.flatnonzero(back & (previous - t < HALF_CLOCK))
    bad = int(steps[0]) if steps.size else -1
    end = t.size if bad < 0 else bad
    wraps = state[1] + np.cumsum(back[:end])
    w = records[:end, 1].astype(np.int64)
    events = np.empty(end, dtype=EVENT_DTYPE)
    events["x"], events["y"], events["p"] = w & 0x3FFF, (w >> 14) & 0x3FFF, w >> 28
    events["t"] = t[:end] + (wraps << 32)
    if end:
        state[0], state[1] = t[end - 1], wraps[-1]
    return events, bad
