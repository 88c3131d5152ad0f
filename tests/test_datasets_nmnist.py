"""N-MNIST 40-bit reader/writer: real files vs tonic, corrupt input, atomic writes, round trips."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from evlearn.datasets import nmnist
from evlearn.datasets.nmnist import decode_nmnist, encode_nmnist, read_nmnist, write_nmnist
from evlearn.events import EVENT_DTYPE, make_events


def _some_files(nmnist_dir: Path, n: int = 12) -> list[Path]:
    files = sorted(nmnist_dir.glob("*/*/*.bin"))
    step = max(1, len(files) // n)
    return files[::step][:n]


def test_reader_matches_tonic_on_real_files(nmnist_dir):
    import tonic

    for path in _some_files(nmnist_dir):
        events = read_nmnist(path)
        reference = tonic.io.read_mnist_file(str(path), dtype=tonic.datasets.NMNIST.dtype)
        assert events.dtype == EVENT_DTYPE
        assert len(events) == path.stat().st_size // 5 > 1000
        for field in "xytp":
            np.testing.assert_array_equal(events[field], reference[field])


def test_real_file_round_trips_byte_for_byte(nmnist_dir, tmp_path):
    path = _some_files(nmnist_dir, 1)[0]
    copy = write_nmnist(tmp_path / "copy.bin", read_nmnist(path))
    assert copy.read_bytes() == path.read_bytes()


def test_known_bytes_decode_to_known_event():
    # x=3, y=33, polarity 1, t = 0x12345 (23 bits: 0b0000001_00100011_01000101)
    raw = bytes([3, 33, 0x80 | 0x01, 0x23, 0x45])
    events = decode_nmnist(raw)
    assert events.tolist() == [(3, 33, 0x12345, 1)]
    assert encode_nmnist(events) == raw


@pytest.mark.parametrize("cut", [1, 2, 4])
def test_truncated_file_names_file_and_offset(nmnist_dir, tmp_path, cut):
    raw = _some_files(nmnist_dir, 1)[0].read_bytes()
    bad = tmp_path / "truncated.bin"
    bad.write_bytes(raw[:-cut])
    whole = len(raw) - 5
    with pytest.raises(ValueError, match=rf"truncated\.bin.*not a multiple of 5.*byte offset {whole}\b"):
        read_nmnist(bad)


@pytest.mark.parametrize("record, field", [((34, 0, 0, 0, 1), "x=34"), ((0, 40, 0, 0, 1), "y=40"),
                                           ((255, 1, 0, 0, 1), "x=255")])
def test_out_of_range_coordinates_raise(tmp_path, record, field):
    good = bytes([1, 2, 0, 0, 0])
    path = tmp_path / "bad.bin"
    path.write_bytes(good + bytes(record))
    with pytest.raises(ValueError, match=rf"bad\.bin: {field} at event 1 is outside the sensor"):
        read_nmnist(path)


def test_out_of_range_is_fine_with_a_larger_sensor(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(bytes([200, 100, 0x80, 0, 7]))
    events = read_nmnist(path, sensor_size=(256, 256, 2))
    assert events.tolist() == [(200, 100, 7, 1)]


def test_decreasing_time_raises(tmp_path):
    path = tmp_path / "backwards.bin"
    path.write_bytes(bytes([0, 0, 0, 0, 9, 0, 0, 0, 0, 5]))
    with pytest.raises(ValueError, match=r"backwards\.bin: timestamps must be non-decreasing; event 1"):
        read_nmnist(path)


def test_empty_file_gives_empty_array(tmp_path):
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    events = read_nmnist(path)
    assert events.shape == (0,) and events.dtype == EVENT_DTYPE


def test_missing_file_and_folder_raise_value_error(tmp_path):
    with pytest.raises(ValueError, match=r"nope\.bin: no such file"):
        read_nmnist(tmp_path / "nope.bin")
    with pytest.raises(ValueError, match="is a folder"):
        read_nmnist(tmp_path)


def test_encoder_writes_overflow_markers_and_rejects_what_the_format_cannot_hold():
    # Past 23 bits the writer inserts an overflow marker (y = 240), which the reader and tonic undo.
    events = make_events([0, 1], [0, 2], [5, nmnist.MAX_TIMESTAMP + 1], [0, 1])
    raw = encode_nmnist(events)
    assert len(raw) == 3 * 5 and raw[6] == 240
    assert decode_nmnist(raw).tolist() == events.tolist()
    with pytest.raises(ValueError, match="x=300"):
        encode_nmnist(make_events([300], [0], [0], [0]), sensor_size=None)
    with pytest.raises(ValueError, match="p=2"):
        encode_nmnist(make_events([0], [0], [0], [2]), sensor_size=None)
    with pytest.raises(ValueError, match="outside the sensor"):
        encode_nmnist(make_events([34], [0], [0], [0]))


def test_writer_is_atomic_on_failure(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old content")
    with pytest.raises(ValueError):
        write_nmnist(target, make_events([0, 0], [0, 0], [5, 1], [0, 0]))  # time runs backwards
    assert target.read_bytes() == b"old content"
    assert os.listdir(tmp_path) == ["out.bin"]
    with pytest.raises(ValueError):
        write_nmnist(tmp_path / "new.bin", make_events([99], [0], [0], [0]))
    assert os.listdir(tmp_path) == ["out.bin"]


def test_writer_leaves_no_partial_file_when_the_write_fails(tmp_path, monkeypatch):
    import evlearn.io

    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(evlearn.io.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_nmnist(target, make_events([1], [1], [1], [1]))
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


@st.composite
def event_streams(draw, max_size=60):
    n = draw(st.integers(0, max_size))
    width = draw(st.integers(1, 256))
    height = draw(st.integers(1, 240))  # y = 240 marks a timestamp overflow, not an event
    x = draw(st.lists(st.integers(0, width - 1), min_size=n, max_size=n))
    y = draw(st.lists(st.integers(0, height - 1), min_size=n, max_size=n))
    p = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    t = sorted(draw(st.lists(st.integers(0, nmnist.MAX_TIMESTAMP), min_size=n, max_size=n)))
    return make_events(x, y, t, p), (width, height, 2)


@settings(max_examples=150, deadline=None)
@given(event_streams())
def test_encode_decode_round_trip(stream):
    events, sensor = stream
    raw = encode_nmnist(events, sensor_size=sensor)
    assert len(raw) == 5 * len(events)
    np.testing.assert_array_equal(decode_nmnist(raw, sensor_size=sensor), events)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200).map(lambda b: b[: len(b) - len(b) % 5]))
def test_decode_encode_round_trip_on_any_bytes(raw):
    # Any whole records decode without a sensor limit unless time runs backwards; records
    # with y = 240 are overflow markers, which the writer may place elsewhere: without
    # markers the bytes come back unchanged, with them the events do.
    try:
        events = decode_nmnist(raw, sensor_size=None)
    except ValueError as err:
        assert "non-decreasing" in str(err)
        return
    encoded = encode_nmnist(events, sensor_size=None)
    if 240 not in raw[1::5]:
        assert encoded == raw
    np.testing.assert_array_equal(decode_nmnist(encoded, sensor_size=None), events)


@settings(max_examples=30, deadline=None)
@given(event_streams(max_size=30))
def test_write_read_round_trip(tmp_path_factory, stream):
    events, sensor = stream
    path = tmp_path_factory.mktemp("rt") / "sample.bin"
    write_nmnist(path, events, sensor_size=sensor)
    np.testing.assert_array_equal(read_nmnist(path, sensor_size=sensor), events)
    assert [p.name for p in path.parent.iterdir()] == ["sample.bin"]


def test_encoder_never_wraps_coordinates_of_a_large_sensor():
    with pytest.raises(ValueError, match="x=300 at event 0"):
        encode_nmnist(make_events([300], [0], [0], [0]), sensor_size=(640, 480, 2))
