"""What ``evlearn info`` reports about an event file, computed while streaming it
(memory does not grow with the file)."""
from __future__ import annotations

import numpy as np

from evlearn.formats import stream_events


def summarise_file(path, *, format: str | None = None, n_events: int | None = None, progress=None) -> dict:
    """Event count, time span, rate, sensor, extent and polarity balance of one file.

    Reads ``path`` chunk by chunk (``n_events`` per chunk), validating as it goes, so a
    corrupt file raises the reader's ValueError. ``progress``: an object with
    ``update(n)`` (e.g. a tqdm bar) told of each chunk's events.
    """
    stream = stream_events(path, format=format, n_events=n_events)
    n = on = 0
    first_t = last_t = None
    low = np.array([np.iinfo(np.int64).max] * 2)
    high = np.array([np.iinfo(np.int64).min] * 2)
    for chunk in stream:
        if not chunk.size:
            continue
        if first_t is None:
            first_t = int(chunk["t"][0])
        last_t = int(chunk["t"][-1])
        n += chunk.size
        on += int(np.count_nonzero(chunk["p"] == 1))
        for i, field in enumerate("xy"):
            low[i] = min(low[i], int(chunk[field].min()))
            high[i] = max(high[i], int(chunk[field].max()))
        if progress is not None:
            progress.update(chunk.size)
    duration_us = last_t - first_t if n else 0
    return {
        "file": str(path),
        "format": stream.format,
        "events": n,
        "sensor": list(stream.sensor_size) if stream.sensor_size is not None else None,
        "duration_us": duration_us,
        "rate_hz": n / (duration_us * 1e-6) if duration_us else 0.0,
        "first_t_us": first_t,
        "last_t_us": last_t,
        "x_range": [int(low[0]), int(high[0])] if n else None,
        "y_range": [int(low[1]), int(high[1])] if n else None,
        "on_fraction": on / n if n else None,
        "skipped": stream.skipped,
    }
