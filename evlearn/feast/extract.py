"""FEAST feature extraction from an event file of any size: stream it through a fitted
layer or network and write the feature events, with memory that does not grow with the file."""
from __future__ import annotations

from pathlib import Path

from evlearn.formats import stream_events, write_events


def extract_stream(features, source, target, *, format: str | None = None, n_events: int | None = None,
                   progress=None) -> tuple[int, int]:
    """Write ``features.transform`` of the events in ``source`` to ``target`` (``.npy``), streaming.

    ``features``: a fitted FEAST or FEASTNetwork; ``source``: any format ``read_events`` reads.
    The output equals ``features.transform(read_events(source))``, written atomically (nothing
    appears at ``target`` on error). ``progress``: an object with ``update(n)`` told of each
    chunk's input events. Returns (events read, feature events written).
    """
    extractor = features.stream()
    read = written = 0

    def feature_chunks():
        nonlocal read, written
        try:
            for chunk in stream_events(source, format=format, n_events=n_events):
                out = extractor(chunk)
                read += chunk.size
                written += out.size
                yield out
                if progress is not None:
                    progress.update(chunk.size)
        except ValueError as err:
            message = str(err)
            raise ValueError(message if message.startswith(str(source)) else f"{source}: {message}") from None
        yield extractor.finish()

    write_events(Path(target), feature_chunks(), format="npy")
    return read, written
