"""Prophesee EVT 2.0 (``.raw``): a ``%`` text header, then little-endian 32-bit words.

Read with evlearn's numba decoder (``prophesee_kernels``: one pass over each block of
words, checking as it decodes; equal to expelliarmus and faery event for event);
written with faery's streaming encoder.
Word types (top 4 bits): 0/1 CD OFF/ON, 8 TIME_HIGH, 0xA EXT_TRIGGER, 0xE OTHERS,
0xF CONTINUED. Triggers and "other" words are skipped and counted; a word of any other
type is corrupt data, refused with its byte offset.
"""
from __future__ import annotations

from pathlib import Path

from evlearn.formats import prophesee_header
from evlearn.formats.base import DECODE_CHUNK, Source, add_count, check_whole_records, fail, read_blocks

NAME = "evt2"
EXTENSIONS = (".raw",)
DESCRIPTION = "Prophesee EVT 2.0"
WORD_BYTES = 4


def sniff(head: bytes) -> bool:
    """Whether the first bytes ``head`` of a file are those of a Prophesee EVT 2.0 file."""
    return prophesee_header.is_evt(head, "2")


def open_source(path) -> Source:
    """Open a Prophesee EVT 2.0 file as a :class:`~evlearn.formats.base.Source` of event chunks (checks its header)."""
    path = Path(path)
    header = prophesee_header.read_evt_header(path, "2.0", DESCRIPTION)
    check_whole_records(path, header.data_offset, WORD_BYTES)
    source = Source(path, NAME, header.sensor_size(), lambda: iter(()), header.data_offset)

    def chunks():
        from evlearn.formats.prophesee_kernels import decode_evt2, new_evt2_state

        state = new_evt2_state()
        done = 0
        for words in read_blocks(path, header.data_offset, "<u4", WORD_BYTES * DECODE_CHUNK):
            events, bad = decode_evt2(words, state)
            if bad >= 0:
                raise fail(path, f"corrupt data: word of unknown type 0x{int(words[bad] >> 28):x} "
                                 f"at byte offset {header.data_offset + (done + bad) * WORD_BYTES}")
            done += words.size
            yield events
        add_count(source.skipped, "trigger", state[1])
        add_count(source.skipped, "other", state[2])

    source.chunks = chunks
    return source


def write_chunks(path, chunks, sensor_size) -> None:
    """Write the event chunks to ``path`` as a Prophesee EVT 2.0 file for a sensor of ``sensor_size`` (W, H, P)."""
    from evlearn.formats.faery_writer import write_with_faery

    write_with_faery(path, chunks, sensor_size, file_type="evt", version="evt2")
