"""Prophesee DAT (``.dat``): a ``%`` text header, a 2-byte (event type, event size) pair,
then 8-byte records: uint32 t, uint32 with x (14 bits), y (14 bits), p (4 bits).

Read with evlearn's numba decoder (``prophesee_kernels``; equal to expelliarmus event for
event; faery refuses the N-CARS sample's "Event2d" type); written with faery's DAT 2
encoder. Only CD/TD files (event type 0x00 or 0x0C) hold events; others (e.g. trigger
files) are refused, and so are timestamps that step back (checked while decoding, with
the byte offset; a step back by more than 2**31 us is the 32-bit wrap, unrolled).
"""
from __future__ import annotations

from evlearn.formats import prophesee_header
from evlearn.formats.base import DECODE_CHUNK, Source, check_file, check_whole_records, fail, read_blocks

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
    data_offset = header.data_offset + 2
    check_whole_records(path, data_offset, RECORD_BYTES)
    source = Source(path, NAME, header.sensor_size(), lambda: iter(()), data_offset)

    def chunks():
        from evlearn.formats.prophesee_kernels import decode_dat, new_dat_state

        state = new_dat_state()
        done = 0
        for words in read_blocks(path, data_offset, "<u4", RECORD_BYTES * DECODE_CHUNK):
            records = words.reshape(-1, 2)
            events, bad = decode_dat(records, state)
            if bad >= 0:
                before = int(records[bad - 1, 0]) if bad else int(state[0])
                raise fail(path, f"timestamps must be non-decreasing; event {done + bad} has "
                                 f"t={int(records[bad, 0])} after t={before} "
                                 f"(byte offset {data_offset + RECORD_BYTES * (done + bad)})")
            done += records.shape[0]
            yield events

    source.chunks = chunks
    return source


def write_chunks(path, chunks, sensor_size) -> None:
    """Write the event chunks to ``path`` as a Prophesee DAT file for a sensor of ``sensor_size`` (W, H, P)."""
    from evlearn.formats.faery_writer import write_with_faery

    write_with_faery(path, chunks, sensor_size, file_type="dat", version="dat2")
