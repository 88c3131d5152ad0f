"""Prophesee EVT 2.0 (``.raw``): a ``%`` text header, then little-endian 32-bit words.

Read with expelliarmus (C, chunked: the fastest of the decoders we measured, and equal
to faery's event for event); written with faery's streaming encoder.
Word types (top 4 bits): 0/1 CD OFF/ON, 8 TIME_HIGH, 0xA EXT_TRIGGER, 0xE OTHERS,
0xF CONTINUED. Triggers and "other" words are skipped and counted; a word of any other
type is corrupt data, refused with its byte offset before expelliarmus sees it.
"""
from __future__ import annotations

from pathlib import Path

from evlearn.formats import prophesee_header
from evlearn.formats.base import DECODE_CHUNK, Source, fail, scan_words, to_events

NAME = "evt2"
EXTENSIONS = (".raw",)
DESCRIPTION = "Prophesee EVT 2.0"
WORD_BYTES = 4
SKIPPED_WORDS = {0xA: "trigger", 0xE: "other"}
VALID_WORDS = (0x0, 0x1, 0x8, 0xA, 0xE, 0xF)


def sniff(head: bytes) -> bool:
    """Whether the first bytes ``head`` of a file are those of a Prophesee EVT 2.0 file."""
    return prophesee_header.is_evt(head, "2")


def open_source(path) -> Source:
    """Open a Prophesee EVT 2.0 file as a :class:`~evlearn.formats.base.Source` of event chunks (checks its header)."""
    path = Path(path)
    header = prophesee_header.read_evt_header(path, "2.0", DESCRIPTION)
    return open_words(path, header, NAME, WORD_BYTES, "evt2",
                      lambda: scan_words(path, header.data_offset, "<u4", 28, VALID_WORDS, SKIPPED_WORDS))


def open_words(path, header, name, word_bytes, encoding, precheck) -> Source:
    """A Source for a word-based Prophesee file decoded by expelliarmus (EVT 2.0, DAT).

    ``precheck()`` scans the file before decoding (raising on corrupt data, with its byte
    offset) and returns the counts of skipped records.
    """
    size = path.stat().st_size
    tail = (size - header.data_offset) % word_bytes
    if tail:
        raise fail(path, f"file ends inside a {word_bytes}-byte record: {tail} stray byte(s) "
                         f"at byte offset {size - tail}")
    source = Source(path, name, header.sensor_size(), lambda: iter(()), header.data_offset)

    def chunks():
        source.skipped.update(precheck())
        if size > header.data_offset:  # expelliarmus reports an empty payload as an fseek error
            from expelliarmus import Wizard

            wizard = Wizard(encoding=encoding, fpath=path, chunk_size=DECODE_CHUNK)
            for raw in wizard.read_chunk():
                yield to_events(raw["x"], raw["y"], raw["t"], raw["p"])

    source.chunks = chunks
    return source


def write_chunks(path, chunks, sensor_size) -> None:
    """Write the event chunks to ``path`` as a Prophesee EVT 2.0 file for a sensor of ``sensor_size`` (W, H, P)."""
    from evlearn.formats.faery_writer import write_with_faery

    write_with_faery(path, chunks, sensor_size, file_type="evt", version="evt2")
