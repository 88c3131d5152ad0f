"""What every format module shares: the Source it returns, errors that name file and place,
and the conversion of a decoder's columns into evlearn's event array.

A format module provides ``NAME``, ``EXTENSIONS``, ``DESCRIPTION``, ``sniff(head)``,
``open_source(path) -> Source`` and, where it writes, ``write_chunks(path, chunks, sensor_size)``.
It decodes; the dispatch (``evlearn.formats.stream``) validates order and sensor bounds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from evlearn.events import SensorSize

# Events per chunk a decoder hands over: 2 MB of EVENT_DTYPE, so that a chunk stays in the
# CPU cache between decoding, converting and checking it (1 M-event chunks made each of
# those passes a trip to main memory: streaming ran at 0.2x the bare decoder).
DECODE_CHUNK = 1 << 16


@dataclass
class Source:
    """An opened event file: header facts and a generator of decoded chunks.

    ``chunks()`` yields EVENT_DTYPE arrays in file order (any sizes, possibly empty);
    ``skipped`` counts non-CD records (triggers, IMU samples, frames, markers) and is
    complete once ``chunks()`` is exhausted.
    """

    path: Path
    format: str
    sensor_size: SensorSize | None
    chunks: Callable[[], Iterator[np.ndarray]]
    data_offset: int = 0
    skipped: dict = field(default_factory=dict)


def fail(path, message: str) -> ValueError:
    """A ValueError whose text starts with the file, as every reader error does."""
    return ValueError(f"{path}: {message}")


def check_file(path) -> Path:
    """Refuse a missing file, a folder or an empty file with one clear line."""
    path = Path(path)
    if path.is_dir():
        raise fail(path, "is a folder, expected an event file")
    if not path.exists():
        raise fail(path, "no such file")
    if path.stat().st_size == 0:
        raise fail(path, "empty file (0 bytes): no header and no events")
    return path


def check_whole_records(path, offset: int, record_bytes: int) -> None:
    """Refuse a file whose data from ``offset`` ends inside a ``record_bytes`` record."""
    size = Path(path).stat().st_size
    tail = (size - offset) % record_bytes
    if tail:
        raise fail(path, f"file ends inside a {record_bytes}-byte record: {tail} stray byte(s) "
                         f"at byte offset {size - tail}")


def add_count(counts: dict, key: str, n: int) -> None:
    """Add ``n`` to ``counts[key]`` (a tally of skipped or special words), leaving zero counts out."""
    if n:
        counts[key] = counts.get(key, 0) + int(n)


# Bytes per block of the raw scans: a few MB, so a scan's NumPy temporaries stay small too.
SCAN_BLOCK_BYTES = 4 << 20


def read_blocks(path, offset: int, dtype, block_bytes: int = SCAN_BLOCK_BYTES):
    """Yield the file from ``offset`` as arrays of ``dtype``, ``block_bytes`` at a time.

    Plain reads, not a memory map: mapped pages would count in the process's resident
    memory and grow with the file.
    """
    dtype = np.dtype(dtype)
    count = max(block_bytes // dtype.itemsize, 1)
    with open(path, "rb") as handle:
        handle.seek(offset)
        while True:
            block = np.fromfile(handle, dtype=dtype, count=count)
            if not block.size:
                return
            yield block


def check_words(path, words, first: int, offset: int, shift: int, valid: tuple) -> None:
    """Check the 4-bit type (``word >> shift``) of a block of words of a Prophesee EVT file.

    Raises ValueError at the first word of an unknown type (corrupt data), with its byte
    offset (``first``: the block's first word index).
    """
    from evlearn.formats.chunk_kernels import word_types

    if word_types(words, shift) & ~sum(1 << code for code in valid):  # NumPy only to say where
        kinds = words >> shift
        i = int(np.flatnonzero(~np.isin(kinds, valid))[0])
        raise fail(path, f"corrupt data: word of unknown type 0x{int(kinds[i]):x} "
                         f"at byte offset {offset + (first + i) * words.itemsize}")
