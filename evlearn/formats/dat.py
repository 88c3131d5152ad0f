"""Prophesee DAT (``.dat``): a ``%`` text header, a 2-byte (event type, event size) pair,
then 8-byte records: uint32 t, uint32 with x (14 bits), y (14 bits), p (4 bits).

Read with expelliarmus (faery refuses the N-CARS sample's "Event2d" type); written with
faery's DAT 2 encoder. Only CD/TD files (event type 0x00 or 0x0C) hold events; others
(e.g. trigger files) are refused, and so are timestamps that step back (checked before
decoding, with the byte offset; a step back by more than 2**31 us is the 32-bit wrap).
"""
from __future__ import annotations

import numpy as np

from evlearn.formats import prophesee_header
from evlearn.formats.base import check_file, fail, read_blocks
from evlearn.formats.evt2 import open_words

NAME = "dat"
EXTENSIONS = (".dat",)
DESCRIPTION = "Prophesee DAT"
CD_TYPES = (0x00, 0x0C)
RECORD_BYTES = 8


def sniff(head: bytes) -> bool:
    """Whether the first bytes ``head`` of a file are those of a Prophesee DAT file."""
    return head.startswith(b"%") and b"% evt" not in head and b"format EVT" not in head


def open_source(path):
    """Open a Prophesee DAT file as a :class:`~evlearn.formats.base.Source` of event chunks (checks its header)."""
    path = check_file(path)
    header = prophesee_header.read_header(path, DESCRIPTION)
    with open(path, "rb") as handle:
        handle.seek(header.data_offset)
        kind = handle.read(2)
    if len(kind) < 2:
        raise fail(path, f"truncated header: the event type and size bytes are missing at byte offset {header.data_offset}")
    if kind[0] not in CD_TYPES or kind[1] != RECORD_BYTES:
        raise fail(path, f"unsupported DAT event type 0x{kind[0]:02x} of {kind[1]} bytes at byte offset "
                         f"{header.data_offset} (CD events are type 0x00 or 0x0c, 8 bytes)")
    data = type(header)(header.fields, header.data_offset + 2)
    return open_words(path, data, NAME, RECORD_BYTES, "dat", lambda: check_time_order(path, data.data_offset))


def check_time_order(path, offset: int) -> dict:
    """Refuse timestamps that step back, a few MB of records at a time, before expelliarmus reads them.

    A 32-bit timestamp wraps after 71.6 minutes: a step back by more than 2**31 us is that
    wrap (expelliarmus adds 2**32), a smaller one is corrupt data. Compared as uint32
    (``prev - t`` wraps to the size of the step back), without int64 copies of the block.
    """
    done = 0
    last = None
    for records in read_blocks(path, offset, [("t", "<u4"), ("w", "<u4")]):
        t = records["t"]
        prev = np.concatenate((t[:1] if last is None else last, t[:-1]))
        back = (t < prev) & (prev - t < np.uint32(1 << 31))
        if back.any():
            i = int(np.flatnonzero(back)[0])
            raise fail(path, f"timestamps must be non-decreasing; event {done + i} has t={int(t[i])} after "
                             f"t={int(prev[i])} (byte offset {offset + RECORD_BYTES * (done + i)})")
        last = t[-1:].copy()
        done += t.size
    return {}


def write_chunks(path, chunks, sensor_size) -> None:
    """Write the event chunks to ``path`` as a Prophesee DAT file for a sensor of ``sensor_size`` (W, H, P)."""
    from evlearn.formats.faery_writer import write_with_faery

    write_with_faery(path, chunks, sensor_size, file_type="dat", version="dat2")
