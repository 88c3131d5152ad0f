"""EVT 3.0 word decoder (numba), used by evlearn.formats.evt3; kept apart so that importing
the formats package does not load numba.

Word types (top 4 bits of each little-endian 16-bit word), Prophesee's EVT 3.0 spec:
0x0 EVT_ADDR_Y (y, 11 bits), 0x2 EVT_ADDR_X (x, 11 bits; polarity bit 11: one event),
0x3 VECT_BASE_X (x base, 11 bits; polarity bit 11), 0x4 VECT_12 / 0x5 VECT_8 (a bit
per pixel from the x base, which then advances by 12 / 8), 0x6 EVT_TIME_LOW (12 bits),
0x8 EVT_TIME_HIGH (12 bits), 0xA EXT_TRIGGER, 0xE OTHERS, 0x7 / 0xF CONTINUED_4/12.

Time, as faery decodes it (so the shared sample reads identically) plus the 24-bit
wrap-around that faery and expelliarmus both miss: TIME_HIGH sets the time to
``loops << 24 | high << 12`` and TIME_LOW to ``loops << 24 | high << 12 | low``, each
only if that is later than the current time (time never steps back); a TIME_HIGH more
than half its range below the previous one is the wrap (every 16.8 s), and adds 2**24.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# state: t, high, low, loops, y, x_base, polarity, triggers, others
STATE_SIZE = 9


def new_state() -> np.ndarray:
    """A fresh decoder state (int64 array of STATE_SIZE: time bases, current address), carried across chunks."""
    return np.zeros(STATE_SIZE, dtype=np.int64)


@njit(cache=True)
def _popcount(v):
    n = 0
    while v:
        v &= v - 1
        n += 1
    return n


@njit(cache=True)
def count_events(words):
    """Number of CD events (kind 0x2 words and vector-mask bits) in a run of EVT 3.0 16-bit ``words``."""
    n = 0
    for w in words:
        kind = w >> 12
        if kind == 0x2:
            n += 1
        elif kind == 0x4:
            n += _popcount(w & 0xFFF)
        elif kind == 0x5:
            n += _popcount(w & 0xFF)
    return n


@njit(cache=True)
def decode_words(words, state, x, y, t, p):
    """Decode ``words`` into x, y, t, p (sized by ``count_events``); ``state`` carries over."""
    now, high, low, loops, row, x_base, polarity = state[0], state[1], state[2], state[3], state[4], state[5], state[6]
    n = 0
    for w in words:
        kind = w >> 12
        value = w & 0xFFF
        if kind == 0x0:
            row = value & 0x7FF
        elif kind == 0x2:
            x[n] = value & 0x7FF
            y[n] = row
            t[n] = now
            p[n] = value >> 11
            n += 1
        elif kind == 0x3:
            x_base = value & 0x7FF
            polarity = value >> 11
        elif kind == 0x4 or kind == 0x5:
            width = 12 if kind == 0x4 else 8
            for bit in range(width):
                if (value >> bit) & 1:
                    x[n] = x_base + bit
                    y[n] = row
                    t[n] = now
                    p[n] = polarity
                    n += 1
            x_base += width
        elif kind == 0x6:
            low = value
            candidate = (loops << 24) | (high << 12) | low
            if candidate > now:
                now = candidate
        elif kind == 0x8:
            if value + 2048 < high:
                loops += 1
            high = value
            candidate = (loops << 24) | (high << 12)
            if candidate > now:
                now = candidate
        elif kind == 0xA:
            state[7] += 1
        elif kind == 0xE:
            state[8] += 1
    state[0], state[1], state[2], state[3], state[4], state[5], state[6] = now, high, low, loops, row, x_base, polarity
    return n
