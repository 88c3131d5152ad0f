"""Event files: one entry point for every format, one small module per format.

    read_events(path)                       whole file -> event array
    stream_events(path, n_events=..., duration_us=...)   consecutive chunks, bounded memory
    write_events(path, events_or_chunks, format=...)      atomic, streaming

Formats (docs/formats.md): Prophesee EVT 2.0 / EVT 3.0 (``.raw``) and DAT (``.dat``),
iniVation AEDAT 4.0 (``.aedat4``), the ATIS ``.bin`` of N-MNIST/N-Caltech101 and
evlearn's ``.npy``. EVT 2.0, EVT 3.0 and DAT are decoded by evlearn's numba kernels
(equal to expelliarmus/faery event for event, faster in streaming: docs/formats.md); the
libraries used (aedat for AEDAT 4.0, faery for writing camera formats) load inside the
functions that use them, and so do the kernels: importing this package costs NumPy only.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from evlearn.formats import aedat4, atis, dat, evt2, evt3, npy
from evlearn.formats.base import Source, check_file, fail
from evlearn.formats.stream import guarded, join_events, recut, validated
from evlearn.io import atomic_path
from evlearn.validation import check_sensor_size

#: Format name -> its module (``sniff``, ``open_source``, ``write_chunks``, ``EXTENSIONS``).
FORMATS = {module.NAME: module for module in (evt2, evt3, dat, aedat4, atis, npy)}
CAMERA_FORMATS = ("evt2", "evt3", "dat", "aedat4")  # their headers record a sensor size

__all__ = ["FORMATS", "EventStream", "convert_file", "detect_format", "read_events", "stream_events",
           "write_events"]

_HEAD_BYTES = 4096
_UNSUPPORTED = {b"#!AER-DAT2": "AEDAT 2.0", b"#!AER-DAT3": "AEDAT 3.1"}


def detect_format(path) -> str:
    """The format of ``path`` from its header, or its extension where the format has no header."""
    path = check_file(path)
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
    for magic, name in _UNSUPPORTED.items():
        if head.startswith(magic):
            raise fail(path, f"{name} files are not supported (readable formats: {', '.join(FORMATS)})")
    for name in ("aedat4", "npy", "evt2", "evt3"):
        if FORMATS[name].sniff(head):
            return name
    suffix = path.suffix.lower()
    if suffix == ".raw":
        if not head.startswith(b"%"):
            raise fail(path, "missing header: a Prophesee .raw file starts with '%' header lines (byte offset 0)")
        raise fail(path, "the header does not say EVT 2.0 or EVT 3.0 (no '% evt' or '% format' line); "
                         "pass format='evt2' or 'evt3'")
    by_suffix = [name for name, module in FORMATS.items() if suffix in module.EXTENSIONS]
    if by_suffix:
        return by_suffix[0]
    if head.startswith(b"%"):
        return "dat"
    raise fail(path, f"unknown event file format (extension {suffix or 'none'!r}, no known header); "
                     f"known formats: {', '.join(f'{n} ({m.DESCRIPTION})' for n, m in FORMATS.items())}")


def format_from_extension(path) -> str:
    """The format a new file gets from its extension (``.raw`` -> EVT 2.0)."""
    suffix = Path(path).suffix.lower()
    for name, module in FORMATS.items():
        if suffix in module.EXTENSIONS:
            return name
    raise ValueError(f"{path}: cannot tell the format from extension {suffix or 'none'!r}; "
                     f"pass format= one of {', '.join(FORMATS)}")


def _module(name: str):
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    return FORMATS[name]


class EventStream:
    """Consecutive validated chunks of one file, with what its header says.

    Iterate it once. ``format``, ``sensor_size`` (None where the format has no header
    that gives it) and ``path`` are known on opening; ``skipped`` (counts of triggers,
    IMU samples, frames, overflow markers) and ``n_events`` once the stream is exhausted.
    """

    def __init__(self, source: Source, n_events=None, duration_us=None):
        self._source = source
        self.path = source.path
        self.format = source.format
        self.sensor_size = source.sensor_size
        self.n_events = 0
        self._chunks = recut(self._counted(validated(guarded(source.chunks(), str(source.path)), str(source.path),
                                                     source.sensor_size)),
                             n_events, duration_us)

    def _counted(self, chunks):
        for chunk in chunks:
            self.n_events += chunk.size
            yield chunk

    @property
    def skipped(self) -> dict:
        """Counts of what was read but is not an event (triggers, IMU samples, frames...), by kind."""
        return dict(self._source.skipped)

    def __iter__(self) -> Iterator[np.ndarray]:
        return self._chunks


def open_source(path, format: str | None = None) -> Source:
    """Open ``path`` as a :class:`~evlearn.formats.base.Source` of its format (detected from the header when ``format`` is None)."""
    name = detect_format(path) if format is None else _module(format).NAME
    return FORMATS[name].open_source(path)


def stream_events(path, *, n_events: int | None = None, duration_us: int | None = None,
                  format: str | None = None) -> EventStream:
    """Read ``path`` as consecutive event arrays, holding one chunk at a time in memory.

    Their concatenation equals ``read_events(path)``. Errors (ValueError) name the
    file and the byte offset or event index where it went wrong.

    Parameters
    ----------
    path : str or os.PathLike
        An event file of any format :func:`read_events` reads.
    n_events : int, optional
        Events per chunk (the last may be shorter).
    duration_us : int, optional
        Chunks span this many microseconds each, ``[t0 + k d, t0 + (k + 1) d)``,
        empty windows included. Without ``n_events`` or ``duration_us`` the chunks
        are the decoder's own non-empty chunks (about 2**16 events; AEDAT 4.0:
        its packets).
    format : str, optional
        One of :data:`FORMATS` (``"evt2"``, ``"evt3"``, ``"dat"``, ``"aedat4"``,
        ``"nmnist"``, ``"npy"``); by default from the header, else the extension.

    Returns
    -------
    EventStream
        An iterable of structured arrays of :data:`evlearn.events.EVENT_DTYPE`;
        ``sensor_size`` and ``format`` are known on opening, ``n_events`` and
        ``skipped`` once it is exhausted.

    Raises
    ------
    ValueError
        The file is missing, of an unknown or unsupported format, or damaged.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> stream = evlearn.stream_events(sample_dir() / "0" / "00002.bin", duration_us=100_000)
    >>> [chunk.size for chunk in stream]                   # 100 ms windows
    [1804, 1600, 1621, 3]
    >>> stream.n_events, stream.format
    (5028, 'nmnist')
    """
    return EventStream(open_source(path, format), n_events, duration_us)


def read_events(path, *, format: str | None = None) -> np.ndarray:
    """Read a whole event file into one validated event array.

    Parameters
    ----------
    path : str or os.PathLike
        Prophesee EVT 2.0 / EVT 3.0 (``.raw``) or DAT (``.dat``), iniVation AEDAT 4.0
        (``.aedat4``), ATIS ``.bin`` (N-MNIST, N-Caltech101) or evlearn's ``.npy``.
    format : str, optional
        One of :data:`FORMATS`; by default from the header, else the extension.

    Returns
    -------
    numpy.ndarray
        Structured array of :data:`evlearn.events.EVENT_DTYPE`, shape (n_events,):
        int64 ``x``, ``y`` (pixels), ``t`` (microseconds, sorted) and ``p`` (polarity).

    Raises
    ------
    ValueError
        The file is missing, of an unknown or unsupported format, or damaged (the
        message names the file and the byte offset).

    See Also
    --------
    stream_events : the same events in chunks, for files larger than memory.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # a shipped N-MNIST digit
    >>> events.dtype.names
    ('x', 'y', 't', 'p')
    >>> events.size, int(events["t"][-1] - events["t"][0])  # events, duration in µs
    (5028, 304404)
    """
    return join_events(list(stream_events(path, format=format)))


def write_events(path, events, *, format: str | None = None, sensor_size=None, progress=None) -> Path:
    """Write an event array, or an iterable of consecutive event arrays, to ``path`` atomically.

    Events are validated first; on any error nothing is left at ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    events : numpy.ndarray or iterable of numpy.ndarray
        One event array (fields x, y, t in microseconds, p; ours or tonic's) or
        consecutive chunks of one stream (written as they come, e.g. from
        :func:`stream_events`).
    format : str, optional
        One of :data:`FORMATS`; by default from the extension (``.raw`` is written as EVT 2.0).
    sensor_size : tuple of int, optional
        (W, H, P), recorded in the header of camera formats; by default the events'
        extent when given one array (required for chunks written to a camera format).
    progress : object, optional
        Anything with ``update(n)`` (e.g. a tqdm bar), told of each chunk's events.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        Invalid events, an unknown format, or a camera format without a sensor size.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")
    >>> path = evlearn.write_events(Path(tempfile.mkdtemp()) / "digit.raw", events, sensor_size=(34, 34, 2))
    >>> evlearn.formats.detect_format(path)                 # .raw: Prophesee EVT 2.0
    'evt2'
    >>> np.array_equal(evlearn.read_events(path), events)
    True
    """
    module = _module(format or format_from_extension(path))
    if isinstance(events, np.ndarray) or not isinstance(events, Iterable):
        single = np.asarray(events)
        chunks: Iterable[np.ndarray] = [single]
        if sensor_size is None and module.NAME in CAMERA_FORMATS and single.size:
            sensor_size = (int(single["x"].max()) + 1, int(single["y"].max()) + 1, 2)
    else:
        chunks = events
    if sensor_size is None and module.NAME in CAMERA_FORMATS:
        raise ValueError(f"{path}: writing {module.DESCRIPTION} needs sensor_size (W, H, P)")
    size = check_sensor_size(sensor_size) if sensor_size is not None else None
    checked = validated(_as_event_chunks(chunks), "events", size)
    with atomic_path(path) as tmp:
        module.write_chunks(tmp, _reported(checked, progress), size)
    return Path(path)


def _as_event_chunks(chunks):
    from evlearn.events import as_events

    for chunk in chunks:
        yield as_events(chunk)


def _reported(chunks, progress):
    for chunk in chunks:
        yield chunk
        if progress is not None:
            progress.update(chunk.size)



def event_extent(path, *, format: str | None = None) -> tuple[int, int, int]:
    """(max x + 1, max y + 1, 2): the smallest sensor that holds a file's events (one streaming pass)."""
    width = height = 1
    for chunk in stream_events(path, format=format):
        if chunk.size:
            width = max(width, int(chunk["x"].max()) + 1)
            height = max(height, int(chunk["y"].max()) + 1)
    return width, height, 2


def convert_file(source, target, *, format: str | None = None, source_format: str | None = None,
                 sensor_size=None, zero_time: bool = False, progress=None) -> tuple[int, str]:
    """Stream ``source`` into ``target`` (format from its extension unless ``format``), atomically.

    The sensor size written to a camera format is ``sensor_size``, else the one in the
    source's header, else the events' extent (an extra pass over the source). With
    ``zero_time`` the first event's time is subtracted from every timestamp (AEDAT 4.0
    times count from 1970, which EVT 2.0's 34-bit clock cannot hold).
    Returns (events written, target format).
    """
    name = _module(format or format_from_extension(target)).NAME
    stream = stream_events(source, format=source_format)
    size = sensor_size or stream.sensor_size
    if size is None and name in CAMERA_FORMATS:
        size = event_extent(source, format=source_format)
    write_events(target, _zeroed(stream) if zero_time else stream, format=name, sensor_size=size, progress=progress)
    return stream.n_events, name


def _zeroed(chunks):
    origin = None
    for chunk in chunks:
        if origin is None and chunk.size:
            origin = int(chunk["t"][0])
        if chunk.size:
            chunk = chunk.copy()
            chunk["t"] -= origin
        yield chunk
