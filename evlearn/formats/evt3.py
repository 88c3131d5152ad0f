"""Prophesee EVT 3.0 (``.raw``): a ``%`` text header, then little-endian 16-bit words.

Read and written with faery (Rust, streaming). expelliarmus is not used here: on the
shared Gen4.1 sample it takes a TIME_LOW word that steps back by a few microseconds
for a wrap-around and shifts every later event by 4096 us (docs/formats.md).
Word types (top 4 bits) skipped and counted: 0xA EXT_TRIGGER, 0xE OTHERS; words of
unknown types (1, 9, 0xB-0xD) are corrupt data, refused with their byte offset.
"""
from __future__ import annotations

from pathlib import Path

from evlearn.formats import prophesee_header
from evlearn.formats.base import Source, fail, scan_words, to_events

NAME = "evt3"
EXTENSIONS = (".raw",)
DESCRIPTION = "Prophesee EVT 3.0"
SKIPPED_WORDS = {0xA: "trigger", 0xE: "other"}
VALID_WORDS = (0x0, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0xA, 0xE, 0xF)


def sniff(head: bytes) -> bool:
    return prophesee_header.is_evt(head, "3")


def open_source(path) -> Source:
    path = Path(path)
    header = prophesee_header.read_evt_header(path, "3.0", DESCRIPTION)
    size = path.stat().st_size
    if (size - header.data_offset) % 2:
        raise fail(path, f"file ends inside a 2-byte word: 1 stray byte at byte offset {size - 1}")
    sensor = header.sensor_size()
    source = Source(path, NAME, sensor, lambda: iter(()), header.data_offset)

    def chunks():
        import faery

        source.skipped.update(scan_words(path, header.data_offset, "<u2", 12, VALID_WORDS, SKIPPED_WORDS))
        stream = faery.events_stream_from_file(path, file_type="evt", version_fallback="evt3",
                                               dimensions_fallback=(sensor or (65535, 65535, 2))[:2])
        for raw in stream:
            yield to_events(raw["x"], raw["y"], raw["t"], raw["on"])

    source.chunks = chunks
    return source


def write_chunks(path, chunks, sensor_size) -> None:
    from evlearn.formats.faery_writer import write_with_faery

    write_with_faery(path, chunks, sensor_size, file_type="evt", version="evt3")
