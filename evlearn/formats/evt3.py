"""Prophesee EVT 3.0 (``.raw``): a ``%`` text header, then little-endian 16-bit words.

Written with faery (Rust, streaming); read with evlearn's own numba decoder
(``evt3_kernel``), because neither library reads long files right (docs/formats.md):
faery stops the clock at the first 24-bit wrap-around of the time (16.8 s into a
recording), and expelliarmus takes a TIME_LOW word that steps back by a few
microseconds for a wrap-around and shifts every later event by 4096 us. Our decoder
follows faery's convention otherwise, so the shared sample reads identically.
Word types skipped and counted: 0xA EXT_TRIGGER, 0xE OTHERS; words of
unknown types (1, 9, 0xB-0xD) are corrupt data, refused with their byte offset.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evlearn.formats import prophesee_header
from evlearn.events import EVENT_DTYPE
from evlearn.formats.base import DECODE_CHUNK, Source, add_count, check_words, fail, read_blocks

NAME = "evt3"
EXTENSIONS = (".raw",)
DESCRIPTION = "Prophesee EVT 3.0"
VALID_WORDS = (0x0, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0xA, 0xE, 0xF)


def sniff(head: bytes) -> bool:
    """Whether the first bytes ``head`` of a file are those of a Prophesee EVT 3.0 file."""
    return prophesee_header.is_evt(head, "3")


def open_source(path) -> Source:
    """Open a Prophesee EVT 3.0 file as a :class:`~evlearn.formats.base.Source` of event chunks (checks its header)."""
    path = Path(path)
    header = prophesee_header.read_evt_header(path, "3.0", DESCRIPTION)
    size = path.stat().st_size
    if (size - header.data_offset) % 2:
        raise fail(path, f"file ends inside a 2-byte word: 1 stray byte at byte offset {size - 1}")
    sensor = header.sensor_size()
    source = Source(path, NAME, sensor, lambda: iter(()), header.data_offset)

    def chunks():
        from evlearn.formats.evt3_kernel import count_events, decode_words, new_state

        state = new_state()
        first = 0
        for words in read_blocks(path, header.data_offset, "<u2", 2 * DECODE_CHUNK):
            check_words(path, words, first, header.data_offset, 12, VALID_WORDS)
            first += words.size
            events = np.empty(count_events(words), dtype=EVENT_DTYPE)
            decode_words(words, state, events["x"], events["y"], events["t"], events["p"])
            yield events
        add_count(source.skipped, "trigger", state[7])
        add_count(source.skipped, "other", state[8])

    source.chunks = chunks
    return source


def write_chunks(path, chunks, sensor_size) -> None:
    """Write the event chunks to ``path`` as a Prophesee EVT 3.0 file for a sensor of ``sensor_size`` (W, H, P)."""
    from evlearn.formats.faery_writer import write_with_faery

    write_with_faery(path, chunks, sensor_size, file_type="evt", version="evt3")
