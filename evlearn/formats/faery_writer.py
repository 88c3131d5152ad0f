"""Streaming writes of the camera formats through faery's encoders (EVT 2.0/3.0, DAT, AEDAT 4)."""
from __future__ import annotations

import numpy as np


# EVT 2.0 time: 28-bit TIME_HIGH words of 64 us; past that faery's encoder wraps, and the
# decoders read the wrap as time going back.
EVT2_TIME_LIMIT = 1 << 34


def write_with_faery(path, chunks, sensor_size, *, file_type: str, version: str | None = None) -> None:
    """Encode EVENT_DTYPE chunks into ``path`` (the caller's temporary file) with faery.

    The dispatch has validated the chunks against ``sensor_size`` (W, H, P): the header
    records W x H, and faery's packets hold one polarity bit.
    """
    import faery
    from faery.file_encoder import events_to_file

    width, height, polarities = sensor_size
    if polarities > 2:
        raise ValueError(f"{file_type} files hold 2 polarities; sensor_size has {polarities}")

    def converted():
        done = 0
        for events in chunks:
            if version == "evt2" and events.size and events["t"][-1] >= EVT2_TIME_LIMIT:
                i = int(np.flatnonzero(events["t"] >= EVT2_TIME_LIMIT)[0])
                raise ValueError(f"EVT 2.0 holds timestamps below 2**34 us (4.8 hours); event {done + i} has "
                                 f"t={events['t'][i]}: write EVT 3.0 or shift the times "
                                 "(evlearn convert --zero-time)")
            done += events.size
            out = np.empty(events.size, dtype=faery.EVENTS_DTYPE)
            out["t"] = events["t"]
            out["x"] = events["x"]
            out["y"] = events["y"]
            out["on"] = events["p"].astype(bool)
            yield out

    extra = {"version": version} if version else {}
    events_to_file(converted(), str(path), dimensions=(int(width), int(height)), zero_t0=False,
                   use_write_suffix=False, file_type=file_type, **extra)
