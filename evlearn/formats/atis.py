"""The ATIS 40-bit ``.bin`` format of N-MNIST and N-Caltech101 (Orchard et al. 2015).

Each record is 5 bytes, big endian: x, y, then polarity (bit 7) and a 23-bit
timestamp in microseconds. A record with y == 240 is a timestamp-overflow marker,
as tonic reads it (``tonic.io.read_mnist_file``): it adds 2**13 us to its own and every
later timestamp and is not an event. Markers are skipped and counted. The format has
no header, so no sensor size: N-MNIST is 34 x 34, N-Caltech101 240 x 180.

Decoded here with NumPy (tonic's reader is whole-file only): five byte columns,
which is what tonic does too; the streaming version carries the marker count.
"""
from __future__ import annotations

import numpy as np

from evlearn.events import EVENT_DTYPE
from evlearn.formats.base import DECODE_CHUNK, Source, add_count, check_file, fail

NAME = "nmnist"
EXTENSIONS = (".bin",)
DESCRIPTION = "ATIS .bin (N-MNIST, N-Caltech101)"
RECORD_BYTES = 5
OVERFLOW_Y = 240
OVERFLOW_US = 1 << 13
MAX_TIMESTAMP = (1 << 23) - 1


def sniff(head: bytes) -> bool:
    """Whether the first bytes ``head`` of a file are those of an ATIS .bin (N-MNIST) file."""
    return False  # no header: recognised by its extension only


def decode_records(raw: bytes, overflows_before: int = 0) -> tuple[np.ndarray, int]:
    """Decode whole 5-byte records; return the events and the number of overflow markers."""
    data = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    marker = data[:, 1] == OVERFLOW_Y
    t = ((data[:, 2].astype(np.int64) & 0x7F) << 16) | (data[:, 3].astype(np.int64) << 8) | data[:, 4]
    n_markers = int(np.count_nonzero(marker))
    if n_markers:
        t = t + OVERFLOW_US * (overflows_before + np.cumsum(marker))
    elif overflows_before:
        t = t + OVERFLOW_US * overflows_before
    keep = ~marker if n_markers else slice(None)
    events = np.empty(int(data.shape[0] - n_markers), dtype=EVENT_DTYPE)
    events["x"] = data[keep, 0]
    events["y"] = data[keep, 1]
    events["p"] = data[keep, 2] >> 7
    events["t"] = t[keep]
    return events, n_markers


def open_source(path) -> Source:
    """Open an ATIS .bin (N-MNIST) file as a :class:`~evlearn.formats.base.Source` of event chunks (checks its header)."""
    path = check_file(path)
    size = path.stat().st_size
    if size % RECORD_BYTES:
        whole = size - size % RECORD_BYTES
        raise fail(path, f"size {size} bytes is not a multiple of {RECORD_BYTES}; truncated record at byte offset {whole}")
    source = Source(path, NAME, None, lambda: iter(()))

    def chunks():
        markers = 0
        with open(path, "rb") as handle:
            while raw := handle.read(DECODE_CHUNK * RECORD_BYTES):
                events, n = decode_records(raw, markers)
                markers += n
                yield events
        add_count(source.skipped, "overflow marker", markers)

    source.chunks = chunks
    return source


def encode_records(events, overflows_before: int = 0) -> tuple[bytes, int]:
    """Encode events as 5-byte records, inserting overflow markers where t needs more than 23 bits.

    Returns the bytes and the total number of markers written so far (carried between chunks).
    """
    ev = np.asarray(events)
    if ev.size and (ev["x"].max() > 255 or ev["y"].max() > 255 or ev["p"].max() > 1 or
                    ev["x"].min() < 0 or ev["y"].min() < 0 or ev["p"].min() < 0):
        raise ValueError("the ATIS .bin format holds x, y in 0..255 and p in {0, 1}")
    if np.any(ev["y"] == OVERFLOW_Y):
        i = int(np.flatnonzero(ev["y"] == OVERFLOW_Y)[0])
        raise ValueError(f"event {i} has y=240, which the ATIS .bin format reserves for overflow markers")
    # Markers needed before each event so that t - 8192 * markers fits 23 bits; never fewer than before.
    needed = np.maximum((ev["t"] - MAX_TIMESTAMP + OVERFLOW_US - 1) // OVERFLOW_US, 0)
    needed = np.maximum.accumulate(np.maximum(needed, overflows_before)) if ev.size else needed
    new_markers = np.diff(needed, prepend=overflows_before)
    n_records = ev.size + int(new_markers.sum())
    out = np.zeros((n_records, RECORD_BYTES), dtype=np.uint8)
    rows = np.arange(ev.size) + np.cumsum(new_markers)  # each event after its own markers
    marker_rows = np.setdiff1d(np.arange(n_records), rows)
    out[marker_rows, 1] = OVERFLOW_Y
    residual = ev["t"] - OVERFLOW_US * needed
    out[rows, 0] = ev["x"]
    out[rows, 1] = ev["y"]
    out[rows, 2] = (ev["p"] << 7) | (residual >> 16)
    out[rows, 3] = (residual >> 8) & 0xFF
    out[rows, 4] = residual & 0xFF
    return out.tobytes(), int(needed[-1]) if ev.size else overflows_before


def write_chunks(path, chunks, sensor_size) -> None:
    """Write the event chunks to ``path`` as an ATIS .bin (N-MNIST) file for a sensor of ``sensor_size`` (W, H, P)."""
    markers = 0
    with open(path, "wb") as handle:
        for events in chunks:
            raw, markers = encode_records(events, markers)
            handle.write(raw)
