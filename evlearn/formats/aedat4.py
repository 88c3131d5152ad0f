"""iniVation AEDAT 4.0 (``.aedat4``): an XML description, then FlatBuffers packets
(LZ4/ZSTD compressed) of several streams: events, frames, IMU samples, triggers.

Read with ``aedat`` (Rust; the decoder tonic uses), packet by packet, keeping the first
event stream; frames, IMU samples and triggers are skipped and counted. Written with
faery's encoder (LZ4).
"""
from __future__ import annotations

from evlearn.events import SensorSize
from evlearn.formats.base import Source, add_count, check_file, fail

NAME = "aedat4"
EXTENSIONS = (".aedat4",)
DESCRIPTION = "iniVation AEDAT 4.0"
MAGIC = b"#!AER-DAT4.0"
_SKIPPED = {"frame": "frame", "imus": "imu", "triggers": "trigger"}


def sniff(head: bytes) -> bool:
    """Whether the first bytes ``head`` of a file are those of an iniVation AEDAT 4.0 file."""
    return head.startswith(MAGIC)


def _decoder(path):
    import aedat

    try:
        return aedat.Decoder(str(path))
    except BaseException as err:  # RuntimeError, OSError, or a Rust panic (a BaseException)
        if isinstance(err, (KeyboardInterrupt, SystemExit)):
            raise
        raise fail(path, f"corrupt AEDAT 4.0 header or description ({err})") from None


def open_source(path) -> Source:
    """Open an iniVation AEDAT 4.0 file as a :class:`~evlearn.formats.base.Source` of event chunks (checks its header)."""
    path = check_file(path)
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise fail(path, f"missing header: an AEDAT 4.0 file starts with {MAGIC.decode()!r} (byte offset 0)")
    streams = _decoder(path).id_to_stream()
    event_ids = sorted(i for i, s in streams.items() if s.get("type") == "events")
    if not event_ids:
        raise fail(path, "the AEDAT 4.0 file has no event stream")
    target = event_ids[0]
    info = streams[target]
    sensor = SensorSize(int(info["width"]), int(info["height"]), 2) if "width" in info else None
    source = Source(path, NAME, sensor, lambda: iter(()))

    def chunks():
        from evlearn.formats.chunk_kernels import to_events

        for packet in _decoder(path):
            if packet["stream_id"] == target and "events" in packet:
                raw = packet["events"]
                yield to_events(raw["x"], raw["y"], raw["t"], raw["on"])
                continue
            for key, name in _SKIPPED.items():
                if key in packet:
                    add_count(source.skipped, name, 1 if key == "frame" else len(packet[key]))
            if "events" in packet:
                add_count(source.skipped, "other-stream events", len(packet["events"]))

    source.chunks = chunks
    return source


def write_chunks(path, chunks, sensor_size) -> None:
    """Write the event chunks to ``path`` as an iniVation AEDAT 4.0 file for a sensor of ``sensor_size`` (W, H, P)."""
    from evlearn.formats.faery_writer import write_with_faery

    write_with_faery(path, chunks, sensor_size, file_type="aedat")
