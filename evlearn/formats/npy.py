"""evlearn's own ``.npy`` event arrays: a NumPy file holding a 1-D structured array
with fields x, y, t, p (any integer dtypes; extra fields are ignored).

Read one chunk at a time (the header through NumPy's memory map, the records with plain reads); written as EVENT_DTYPE records, one
chunk at a time, with a header whose length is fixed first and its shape filled in at
the end (so writing streams too).
"""
from __future__ import annotations

import numpy as np

from evlearn.events import EVENT_DTYPE, EVENT_FIELDS
from evlearn.formats.base import DECODE_CHUNK, Source, check_file, fail, read_blocks

NAME = "npy"
EXTENSIONS = (".npy",)
DESCRIPTION = "NumPy .npy event array"
MAGIC = b"\x93NUMPY"
# Room for any event count in the header's shape, so it is written once at the start.
_HEADER_BYTES = 128

def sniff(head: bytes) -> bool:
    """Whether the first bytes ``head`` of a file are those of an evlearn .npy file."""
    return head.startswith(MAGIC)

def open_source(path) -> Source:
    """Open an evlearn .npy file as a :class:`~evlearn.formats.base.Source` of event chunks (checks its header)."""
    path = check_file(path)
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as err:  # NumPy raises ValueError/OSError/UnpicklingError for bad headers
        raise fail(path, f"not a readable .npy file ({err})") from None
    if not isinstance(array, np.ndarray) or array.dtype.names is None or array.ndim != 1:
        raise fail(path, f"expected a 1-D structured array with fields x, y, t, p; found dtype {getattr(array, 'dtype', '?')}")
    missing = [name for name in EVENT_FIELDS if name not in array.dtype.names]
    if missing:
        raise fail(path, f"the array lacks field(s) {missing}; found {list(array.dtype.names)}")
    fractional = [name for name in EVENT_FIELDS
                  if not (np.issubdtype(array.dtype[name], np.integer) or np.issubdtype(array.dtype[name], np.bool_))]
    if fractional:
        raise fail(path, f"field(s) {fractional} must have an integer dtype; found {array.dtype}")
    offset = array.offset if isinstance(array, np.memmap) else 0

    dtype = array.dtype
    del array  # read with plain reads: mapped pages would count as resident memory

    def chunks():
        from evlearn.formats.chunk_kernels import to_events

        for part in read_blocks(path, offset, dtype, DECODE_CHUNK * dtype.itemsize):
            # evlearn's own records (what write_events writes) need no copy
            yield part if dtype == EVENT_DTYPE else to_events(part["x"], part["y"], part["t"], part["p"])

    return Source(path, NAME, None, chunks, offset)

def _header(n_events: int) -> bytes:
    header = {"descr": np.lib.format.dtype_to_descr(EVENT_DTYPE), "fortran_order": False, "shape": (n_events,)}
    text = repr(header).encode("latin-1")
    pad = _HEADER_BYTES - len(MAGIC) - 2 - 2 - len(text) - 1
    if pad < 0:  # cannot happen for EVENT_DTYPE and counts below 10**20
        raise ValueError("npy header does not fit")
    return MAGIC + b"\x01\x00" + (len(text) + pad + 1).to_bytes(2, "little") + text + b" " * pad + b"\n"

def write_chunks(path, chunks, sensor_size) -> None:
    """Write the event chunks to ``path`` as an evlearn .npy file for a sensor of ``sensor_size`` (W, H, P)."""
    n_events = 0
    with open(path, "wb") as handle:
        handle.write(_header(0))
        for events in chunks:
            handle.write(np.ascontiguousarray(events, dtype=EVENT_DTYPE).tobytes())
            n_events += len(events)
        handle.seek(0)
        handle.write(_header(n_events))

