"""The streaming core behind read_events / stream_events: re-cut decoded chunks by event
count or time window, and validate order and sensor bounds across chunk boundaries."""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from evlearn.events import EVENT_DTYPE, SensorSize
from evlearn.validation import check_number, validate_events



def guarded(chunks: Iterable[np.ndarray], source: str) -> Iterator[np.ndarray]:
    """Turn a decoder's own exceptions (RuntimeError, Rust panics, ...) into one ValueError
    naming the file and the number of events decoded before it."""
    done = 0
    iterator = iter(chunks)
    while True:
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        except (ValueError, KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as err:  # pyo3 panics derive from BaseException
            raise ValueError(f"{source}: corrupt or truncated data after event {done} "
                             f"({type(err).__name__}: {err})") from None
        done += chunk.size
        yield chunk


def validated(chunks: Iterable[np.ndarray], source: str, sensor_size: SensorSize | None) -> Iterator[np.ndarray]:
    """Check each chunk (non-negative, non-decreasing t; coordinates inside ``sensor_size``),
    also across chunk boundaries; errors name ``source`` and the event's index in the stream."""
    from evlearn.formats.chunk_kernels import events_ok

    done = 0
    last_t = None
    for chunk in chunks:
        if chunk.size:
            # one compiled pass; the NumPy checks only for a chunk it refuses, to say where
            if not events_ok(chunk, sensor_size, 0 if last_t is None else last_t):
                try:
                    validate_events(chunk, sensor_size)
                except ValueError as err:
                    raise ValueError(f"{source}: {_shift_index(str(err).removeprefix('events: '), done)}") from None
                if last_t is not None and chunk["t"][0] < last_t:
                    raise ValueError(f"{source}: timestamps must be non-decreasing; event {done} has "
                                     f"t={chunk['t'][0]} after t={last_t}")
            last_t = chunk["t"][-1]
        done += chunk.size
        yield chunk


def _shift_index(message: str, offset: int) -> str:
    """Rewrite the first 'event N' of a validation message as the index in the whole stream."""
    import re

    return re.sub(r"event (\d+)", lambda m: f"event {int(m.group(1)) + offset}", message, count=1)


def by_count(chunks: Iterable[np.ndarray], n_events: int) -> Iterator[np.ndarray]:
    """Re-cut chunks into consecutive pieces of exactly ``n_events`` (the last may be shorter)."""
    pending: list[np.ndarray] = []
    held = 0
    for chunk in chunks:
        while chunk.size:
            take = min(n_events - held, chunk.size)
            pending.append(chunk[:take])
            held += take
            chunk = chunk[take:]
            if held == n_events:
                yield join_events(pending)
                pending, held = [], 0
    if held:
        yield join_events(pending)


def by_duration(chunks: Iterable[np.ndarray], duration_us: int) -> Iterator[np.ndarray]:
    """Re-cut chunks into windows [t0 + k d, t0 + (k + 1) d), t0 the first event's time.

    Every window from the first event's to the last event's is yielded, empty ones too,
    so window k always starts at t0 + k d.
    """
    pending: list[np.ndarray] = []
    end = None
    for chunk in chunks:
        if not chunk.size:
            continue
        if end is None:
            end = int(chunk["t"][0]) + duration_us
        while chunk.size:
            cut = int(np.searchsorted(chunk["t"], end, side="left"))
            pending.append(chunk[:cut])
            chunk = chunk[cut:]
            if chunk.size:
                yield join_events(pending)
                pending = []
                end += duration_us
    if end is not None:
        yield join_events(pending)


def join_events(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate EVENT_DTYPE arrays (as bytes: 4x faster than NumPy's structured concatenate)."""
    if not parts:
        return np.empty(0, dtype=EVENT_DTYPE)
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([np.ascontiguousarray(part).view(np.uint8) for part in parts]).view(EVENT_DTYPE)


def recut(chunks, n_events, duration_us) -> Iterator[np.ndarray]:
    """Chunks of ``n_events`` events or ``duration_us`` windows; neither: the decoder's own chunks."""
    if n_events is not None and duration_us is not None:
        raise ValueError("give n_events or duration_us, not both")
    if duration_us is not None:
        check_number(duration_us, "duration_us", low=0, low_open=True, integer=True)
        return by_duration(chunks, int(duration_us))
    if n_events is not None:
        return by_count(chunks, int(check_number(n_events, "n_events", low=1, integer=True)))
    return (chunk for chunk in chunks if chunk.size)
