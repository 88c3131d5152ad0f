"""Event file formats: every reader against a reference decoder on the real camera samples,
streaming == whole, writers' round trips, and clear errors on bad input."""
from __future__ import annotations

import numpy as np
import pytest

import evlearn
from evlearn.events import EVENT_DTYPE, make_events
from evlearn.formats import FORMATS, detect_format, read_events, stream_events, write_events

SAMPLES = {
    "evt2": "prophesee_evt2_sample.raw",
    "evt3": "prophesee_evt3_sample.raw",
    "dat": "prophesee_ncars_sample.dat",
    "aedat4": "inivation_sample.aedat4",
}
# Events per sample, as docs/formats.md states them.
COUNTS = {"evt2": 539_481, "evt3": 219_596, "dat": 2_009, "aedat4": 111_954}


def _reference(name: str, path):
    """The decoder each reader must equal: tonic's where tonic reads the format, else the library's."""
    if name == "aedat4":
        import tonic.io

        raw = tonic.io.read_aedat4(str(path))
        return raw["x"], raw["y"], raw["t"], raw["on"]
    if name == "evt3":
        import faery

        raw = np.concatenate(list(faery.events_stream_from_file(path)))
        return raw["x"], raw["y"], raw["t"], raw["on"]
    from expelliarmus import Wizard

    raw = Wizard(encoding=name, fpath=path).read()
    return raw["x"], raw["y"], raw["t"], raw["p"]


@pytest.fixture(scope="module")
def sample_events(camera_samples):
    return {name: read_events(camera_samples / file) for name, file in SAMPLES.items()}


@pytest.mark.parametrize("name", SAMPLES)
def test_reader_equals_reference_event_for_event(camera_samples, sample_events, name):
    path = camera_samples / SAMPLES[name]
    events = sample_events[name]
    assert detect_format(path) == name
    assert events.dtype == EVENT_DTYPE and events.size == COUNTS[name]
    for field, column in zip("xytp", _reference(name, path)):
        np.testing.assert_array_equal(events[field], np.asarray(column).astype(np.int64), err_msg=field)


def test_evt2_readers_agree(camera_samples, sample_events):
    """faery decodes the EVT 2.0 sample as evlearn does (and as expelliarmus, the reference above)."""
    import faery

    raw = np.concatenate(list(faery.events_stream_from_file(camera_samples / SAMPLES["evt2"])))
    for ours, theirs in (("x", "x"), ("y", "y"), ("t", "t"), ("p", "on")):
        np.testing.assert_array_equal(sample_events["evt2"][ours], raw[theirs].astype(np.int64))


def test_sensor_size_from_header(camera_samples):
    sensors = {name: stream_events(camera_samples / file).sensor_size for name, file in SAMPLES.items()}
    assert sensors == {"evt2": (640, 480, 2), "evt3": (1280, 720, 2), "dat": None, "aedat4": (320, 240, 2)}


def test_aedat4_skips_and_counts_imu_samples(camera_samples):
    stream = stream_events(camera_samples / SAMPLES["aedat4"])
    assert sum(chunk.size for chunk in stream) == COUNTS["aedat4"]
    assert stream.skipped == {"imu": 475}


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("n_events", [1, 997, 1 << 20])
def test_streamed_chunks_concatenate_to_the_whole_file(camera_samples, sample_events, name, n_events):
    whole = sample_events[name]
    if n_events == 1:
        whole = whole[:3000]  # 1-event chunks: the first few thousand are enough
    chunks = []
    for chunk in stream_events(camera_samples / SAMPLES[name], n_events=n_events):
        chunks.append(chunk)
        if n_events == 1 and len(chunks) == whole.size:
            break
    assert all(chunk.size == n_events for chunk in chunks[:-1])
    if n_events == 1 << 20:  # the decoder's own chunks by default
        np.testing.assert_array_equal(np.concatenate(list(stream_events(camera_samples / SAMPLES[name]))), whole)
    np.testing.assert_array_equal(np.concatenate(chunks), whole)


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("duration_us", [1, 1000, 10**9])
def test_time_windows_cover_the_file_in_order(camera_samples, sample_events, name, duration_us):
    whole = sample_events[name]
    if duration_us == 1 and whole["t"][-1] - whole["t"][0] > 200_000:
        pytest.skip("1 us windows over a long file: covered on the shorter samples")
    windows = list(stream_events(camera_samples / SAMPLES[name], duration_us=duration_us))
    np.testing.assert_array_equal(np.concatenate(windows), whole)
    t0 = whole["t"][0]
    assert len(windows) == (whole["t"][-1] - t0) // duration_us + 1
    window_of_event = np.repeat(np.arange(len(windows)), [w.size for w in windows])
    np.testing.assert_array_equal(window_of_event, (whole["t"] - t0) // duration_us)


def test_top_level_names_are_the_formats_api():
    assert evlearn.read_events is read_events
    assert evlearn.stream_events is stream_events
    assert evlearn.write_events is write_events


@pytest.mark.parametrize("fmt, suffix", [("evt2", ".raw"), ("evt3", ".raw"), ("dat", ".dat"),
                                         ("aedat4", ".aedat4"), ("npy", ".npy"), ("nmnist", ".bin")])
def test_writers_round_trip_a_real_recording(camera_samples, sample_events, tmp_path, fmt, suffix):
    events = sample_events["aedat4"]
    events = events.copy()
    events["t"] -= events["t"][0]  # the ATIS and DAT formats hold relative times
    if fmt == "nmnist":
        events = events[events["y"] != 240][:50_000]
        events["x"] %= 256
    out = tmp_path / f"copy{suffix}"
    chunks = (events[i:i + 10_000] for i in range(0, events.size, 10_000))
    write_events(out, chunks, format=fmt, sensor_size=(320, 240, 2))
    assert detect_format(out) == fmt or fmt in ("nmnist",)
    np.testing.assert_array_equal(read_events(out, format=fmt), events)


def test_atis_bin_overflow_markers_as_tonic_reads_them(tmp_path):
    import tonic

    events = make_events([1, 2, 3, 4], [5, 6, 7, 8], [10, 9_000_000, 20_000_000, 20_000_001], [0, 1, 1, 0])
    path = write_events(tmp_path / "long.bin", events)
    raw = path.read_bytes()
    assert sum(raw[i + 1] == 240 for i in range(0, len(raw), 5)) > 0  # markers were written
    reference = tonic.io.read_mnist_file(str(path), dtype=tonic.datasets.NMNIST.dtype)
    ours = read_events(path)
    for field in "xytp":
        np.testing.assert_array_equal(ours[field], reference[field])
    np.testing.assert_array_equal(ours, events)
    assert stream_events(path).sensor_size is None


def test_write_events_infers_the_sensor_and_npy_keeps_any_count(tmp_path):
    events = make_events([0, 5, 9], [1, 2, 3], [0, 1, 2], [0, 1, 1])
    write_events(tmp_path / "a.raw", events)
    assert stream_events(tmp_path / "a.raw").sensor_size == (10, 4, 2)
    write_events(tmp_path / "empty.npy", events[:0])
    assert read_events(tmp_path / "empty.npy").size == 0
    assert np.load(tmp_path / "empty.npy").dtype == EVENT_DTYPE


def test_evt3_time_wraps_every_2_to_24_us(tmp_path):
    """A 100 s EVT 3.0 file (faery's encoder wraps its 24-bit clock 5 times) reads back exactly;
    faery's own decoder stops the clock at the first wrap (why evlearn decodes EVT 3.0 itself)."""
    import faery

    t = np.linspace(0, 100_000_000, 1000).astype(np.int64)
    events = make_events(np.arange(1000) % 10, np.arange(1000) % 7, t, np.arange(1000) % 2)
    path = write_events(tmp_path / "long.raw", events, format="evt3", sensor_size=(10, 7, 2))
    np.testing.assert_array_equal(read_events(path), events)
    theirs = np.concatenate(list(faery.events_stream_from_file(path)))
    assert theirs["t"].max() < 1 << 24 < events["t"][-1]


def test_every_format_is_registered_with_a_description():
    assert set(FORMATS) == {"evt2", "evt3", "dat", "aedat4", "nmnist", "npy"}
    assert all(module.DESCRIPTION and module.EXTENSIONS for module in FORMATS.values())
