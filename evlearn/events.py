"""Event arrays: NumPy structured arrays with tonic's field names and dtypes.

An event stream is a 1-D structured array with integer fields ``x``, ``y``,
``t`` (microseconds) and ``p`` (polarity index), sorted by ``t``. Arrays read by
tonic (``tonic.datasets.NMNIST.dtype``) are accepted unchanged, and ours work in
tonic transforms, because both use the same names and int64 fields.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: dtype of an event array: x, y, t (microseconds), p, each int64 (tonic's NMNIST dtype).
EVENT_DTYPE = np.dtype([("x", "<i8"), ("y", "<i8"), ("t", "<i8"), ("p", "<i8")])
EVENT_FIELDS = EVENT_DTYPE.names


class SensorSize(NamedTuple):
    """Sensor size in tonic's order: width (x), height (y), number of polarities."""

    width: int
    height: int
    polarities: int


#: N-MNIST's ATIS sensor: 34 x 34 pixels, 2 polarities.
NMNIST_SENSOR = SensorSize(34, 34, 2)


def make_events(x, y, t, p) -> np.ndarray:
    """Build an event array from four equally long sequences."""
    columns = [np.asarray(c) for c in (x, y, t, p)]
    lengths = {c.shape for c in columns}
    if len(lengths) != 1 or columns[0].ndim != 1:
        raise ValueError(f"x, y, t, p must be 1-D and equally long; got shapes {[c.shape for c in columns]}")
    events = np.empty(len(columns[0]), dtype=EVENT_DTYPE)
    for name, column in zip(EVENT_FIELDS, columns):
        _set_field(events, name, column)
    return events


def as_events(events) -> np.ndarray:
    """Return ``events`` as a contiguous EVENT_DTYPE array, copying only if needed.

    Accepts any structured array that has the fields x, y, t, p (extra fields
    such as tonic's are dropped; field order does not matter).
    """
    array = np.asarray(events)
    if array.dtype.names is None:
        raise ValueError(
            "events must be a structured array with fields x, y, t, p "
            f"(got a plain {array.dtype} array of shape {array.shape})"
        )
    missing = [name for name in EVENT_FIELDS if name not in array.dtype.names]
    if missing:
        raise ValueError(f"events lack field(s) {missing}; found {list(array.dtype.names)}")
    if array.ndim != 1:
        raise ValueError(f"events must be 1-D, got shape {array.shape}")
    if array.dtype == EVENT_DTYPE and array.flags.c_contiguous:
        return array
    out = np.empty(array.shape[0], dtype=EVENT_DTYPE)
    for name in EVENT_FIELDS:
        _set_field(out, name, array[name])
    return out


_INT64 = np.iinfo(np.int64)


def _set_field(events: np.ndarray, name: str, column: np.ndarray) -> None:
    """Copy ``column`` into int64 field ``name``, refusing what int64 cannot hold exactly
    (fractions, NaN, infinities, values beyond +-2**63), which a cast would silently garble."""
    if column.size and column.dtype.kind == "u" and column.max() > _INT64.max:
        raise ValueError(f"field {name!r} holds {column.max()}, beyond the int64 range")
    if column.size and column.dtype.kind not in "iub":
        if column.dtype.kind != "f":
            raise ValueError(f"field {name!r} must hold integers (got dtype {column.dtype})")
        if not np.all(np.isfinite(column)) or not np.all(np.abs(column) < 2.0**63):
            raise ValueError(f"field {name!r} holds non-finite or out-of-range values (dtype {column.dtype})")
        if not np.all(np.equal(np.mod(column, 1), 0)):
            raise ValueError(f"field {name!r} must hold whole numbers (got dtype {column.dtype})")
    events[name] = column
