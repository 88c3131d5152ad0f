"""Stateful streaming transforms: chunk by chunk == whole stream, bit for bit, on every
reader's sample and on random streams, with 1-event chunks and cuts inside timestamp groups."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from evlearn.functional.denoise import denoise
from evlearn.functional.global_time_surface import global_time_surfaces
from evlearn.functional.local_time_surface import local_time_surfaces
from evlearn.functional.refractory import refractory_period
from evlearn.streaming import DenoiseStream, GlobalTimeSurfaceStream, LocalTimeSurfaceStream, RefractoryStream
from event_strategies import event_streams

SENSOR = (12, 10, 2)


def _cuts(n: int, rng, how: str) -> list[int]:
    """Chunk boundaries: every event, random places, or inside runs of equal timestamps."""
    if how == "ones":
        return list(range(1, n))
    if how == "random":
        return sorted(set(rng.integers(0, n + 1, size=max(1, n // 5)).tolist()))
    raise ValueError(how)


def _chunks(events, cuts):
    return [events[a:b] for a, b in zip([0, *cuts], [*cuts, events.size])]


def _run_stream(stream, chunks):
    parts = [stream(chunk) for chunk in chunks] + [stream.finish()]
    return np.concatenate(parts)


def _pairs(sensor, dt_us=400):
    """(streaming object, whole-stream function) for every stateful transform."""
    return [
        (lambda: DenoiseStream(sensor, filter_time_us=300), lambda ev: denoise(ev, sensor, 300)),
        (lambda: RefractoryStream(sensor, refractory_us=200), lambda ev: refractory_period(ev, sensor, 200)),
        (lambda: LocalTimeSurfaceStream(sensor, radius=2, tau_us=500.0),
         lambda ev: local_time_surfaces(ev, sensor, 2, 500.0)),
        (lambda: LocalTimeSurfaceStream(sensor, radius=1, tau_us=7.0, merge_polarities=True, dtype=np.float32),
         lambda ev: local_time_surfaces(ev, sensor, 1, 7.0, True, np.float32)),
        (lambda: GlobalTimeSurfaceStream(sensor, dt_us=dt_us, tau_us=300.0),
         lambda ev: global_time_surfaces(ev, sensor, dt_us, 300.0)),
        (lambda: GlobalTimeSurfaceStream(sensor, dt_us=250, tau_us=5.0, overlap_us=100, include_incomplete=True),
         lambda ev: global_time_surfaces(ev, sensor, 250, 5.0, 100, True)),
    ]


@settings(max_examples=40, deadline=None)
@given(case=event_streams(max_events=120, t_max=3000), seed=st.integers(0, 2**16),
       how=st.sampled_from(["ones", "random"]))
def test_chunked_equals_whole_on_random_streams(case, seed, how):
    events, sensor = case
    rng = np.random.default_rng(seed)
    chunks = _chunks(events, _cuts(events.size, rng, how))
    for make_stream, whole in _pairs(sensor):
        np.testing.assert_array_equal(_run_stream(make_stream(), chunks), whole(events))


def test_cuts_inside_groups_of_equal_timestamps():
    t = np.repeat(np.arange(0, 2000, 100), 5)  # 20 groups of 5 events with the same t
    rng = np.random.default_rng(3)
    from evlearn.events import make_events

    events = make_events(rng.integers(0, 12, t.size), rng.integers(0, 10, t.size), t, rng.integers(0, 2, t.size))
    cuts = [2, 3, 12, 13, 14, 47, 48, 52, 99]  # each inside a group
    assert all(t[c - 1] == t[c] for c in cuts)
    for make_stream, whole in _pairs(SENSOR):
        np.testing.assert_array_equal(_run_stream(make_stream(), _chunks(events, cuts)), whole(events))


@pytest.mark.parametrize("name", ["evt2", "evt3", "dat", "aedat4"])
def test_chunked_equals_whole_on_every_readers_sample(camera_samples, name):
    from evlearn.formats import read_events, stream_events
    from test_formats import SAMPLES

    path = camera_samples / SAMPLES[name]
    whole = read_events(path)[:20_000]
    sensor = stream_events(path).sensor_size or (int(whole["x"].max()) + 1, int(whole["y"].max()) + 1, 2)
    # Reader chunks (n_events and time windows) and 1-event chunks over the first events.
    ones = [whole[i:i + 1] for i in range(300)] + [whole[300:]]
    readers = [c for c in stream_events(path, n_events=997)]
    windows = [c for c in stream_events(path, duration_us=1000)]
    for chunks in (ones, readers, windows):
        limit = sum(c.size for c in chunks)
        assert limit >= whole.size
        for make_stream, whole_fn in _pairs(sensor, dt_us=5000)[:3] + _pairs(sensor, dt_us=5000)[4:5]:
            stream = make_stream()
            parts, seen = [], 0
            for chunk in chunks:
                chunk = chunk[:max(whole.size - seen, 0)]
                seen += chunk.size
                parts.append(stream(chunk))
            parts.append(stream.finish())
            np.testing.assert_array_equal(np.concatenate(parts), whole_fn(whole))


def test_streams_refuse_time_going_back_across_chunks():
    from evlearn.events import make_events

    stream = DenoiseStream(SENSOR, filter_time_us=10)
    stream(make_events([1, 2], [1, 1], [5, 9], [0, 0]))
    with pytest.raises(ValueError, match=r"event 2 has t=3 after t=9"):
        stream(make_events([1], [1], [3], [0]))


def test_empty_streams_and_chunks():
    from evlearn.events import make_events

    empty = make_events([], [], [], [])
    for make_stream, whole in _pairs(SENSOR):
        assert _run_stream(make_stream(), [empty, empty]).shape == whole(empty).shape


@pytest.mark.parametrize("polarity, inference", [("split", "nearest"), ("stack", "threshold"), ("merge", "nearest")])
def test_feast_stream_equals_transform(nmnist_dir, polarity, inference):
    from evlearn.datasets.nmnist import read_nmnist
    from evlearn.feast import FEAST

    files = sorted(nmnist_dir.glob("Train/*/*.bin"))[:3]
    streams = [read_nmnist(f) for f in files]
    layer = FEAST(n_neurons=8, radius=2, polarity=polarity, inference=inference).fit(streams[:2])
    events = np.concatenate([streams[2][:1000], streams[2][1000:2000]])
    rng = np.random.default_rng(0)
    for cuts in ([*range(1, 200)], sorted(set(rng.integers(1, 2000, 30).tolist()))):
        stream = layer.stream()
        got = np.concatenate([stream(c) for c in _chunks(events, cuts)] + [stream.finish()])
        np.testing.assert_array_equal(got, layer.transform(events))


def test_feast_network_stream_equals_transform(nmnist_dir):
    from evlearn.datasets.nmnist import read_nmnist
    from evlearn.feast import FEASTNetwork

    streams = [read_nmnist(f) for f in sorted(nmnist_dir.glob("Train/*/*.bin"))[:3]]
    network = FEASTNetwork(layers=[{"n_neurons": 4, "radius": 1}, {"n_neurons": 4, "radius": 1}]).fit(streams[:2])
    stream = network.stream()
    got = np.concatenate([stream(c) for c in _chunks(streams[2], [1, 2, 500, 501, 3000])])
    np.testing.assert_array_equal(got, network.transform(streams[2]))


def _cuts_inside_groups(t, n_cuts=25) -> list[int]:
    """Up to ``n_cuts`` chunk boundaries, each between two events of the same timestamp."""
    inside = np.flatnonzero(t[1:] == t[:-1]) + 1
    return inside[::max(1, inside.size // n_cuts)].tolist()


@pytest.mark.parametrize("how", ["ones", "groups"])
def test_transform_classes_stream_equals_whole_on_a_real_sample(camera_samples, how):
    """``.stream()`` of the stateful transform classes: chunks of 1 event, and chunks cut
    inside groups of equal timestamps, give the transform's output on the whole stream."""
    from evlearn import transforms as T
    from evlearn.formats import read_events

    events = read_events(camera_samples / "prophesee_evt2_sample.raw")[:3000]  # 273 us, 2,726 repeated times
    sensor = (640, 480, 2)
    cuts = list(range(1, events.size)) if how == "ones" else _cuts_inside_groups(events["t"])
    assert len(cuts) >= 20 and all(events["t"][c - 1] == events["t"][c] for c in cuts) == (how == "groups")
    transforms = [T.Denoise(20, sensor_size=sensor), T.RefractoryPeriod(100, sensor_size=sensor),
                  T.ToLocalTimeSurfaces(sensor, radius=2, tau_us=500.0),
                  T.ToLocalTimeSurfaces(sensor, radius=1, tau_us=50.0, merge_polarities=True, dtype=np.float32),
                  T.ToTimesurface(sensor, dt_us=40, tau_us=30.0, overlap=10, include_incomplete=True)]  # 9 slices
    for transform in transforms:
        got = _run_stream(transform.stream(), _chunks(events, cuts))
        np.testing.assert_array_equal(got, transform(events), err_msg=type(transform).__name__)
    # Filters without a sensor size (the whole-stream default: the events' extent) take one for the stream.
    for transform in (T.Denoise(20), T.RefractoryPeriod(100)):
        got = _run_stream(transform.stream(sensor_size=sensor), _chunks(events, cuts))
        np.testing.assert_array_equal(got, transform(events))
        with pytest.raises(ValueError, match=r"stream\(\) needs a sensor_size"):
            transform.stream()


def _pipelines(sensor, t_max):
    """Compose pipelines of stateful and per-event transforms, with the sensor their stream is given."""
    from evlearn import transforms as T

    half = (max(1, sensor[0] // 2), max(1, sensor[1] // 2), sensor[2])
    return [
        (T.Compose([T.TimeWindow(start_us=t_max // 4, end_us=3 * t_max // 4), T.Denoise(300),
                    T.RefractoryPeriod(200, sensor_size=sensor), T.ToLocalTimeSurfaces(sensor, 2, 500.0)]), sensor),
        (T.Compose([T.Downsample(sensor, target_size=half[:2]), T.Denoise(300),   # Denoise: the new grid's sensor
                    T.ToTimesurface(half, dt_us=400, tau_us=300.0)]), None),
        (T.Compose([T.CenterCrop(sensor, half[:2]), T.RefractoryPeriod(100)]), None),
        (T.Compose([]), None),
    ]


@settings(max_examples=40, deadline=None)
@given(case=event_streams(max_events=120, t_max=3000), seed=st.integers(0, 2**16),
       how=st.sampled_from(["ones", "random"]))
def test_composed_stream_equals_the_pipeline_on_the_whole_stream(case, seed, how):
    events, sensor = case
    chunks = _chunks(events, _cuts(events.size, np.random.default_rng(seed), how))
    for pipeline, stream_sensor in _pipelines(sensor, 3000):
        got = _run_stream(pipeline.stream(stream_sensor), chunks)
        np.testing.assert_array_equal(got, pipeline(events), err_msg=repr(pipeline))


def test_compose_stream_refuses_what_cannot_stream():
    from evlearn import transforms as T

    for transform, name in [(T.ToCountFrame(SENSOR), "ToCountFrame"), (np.flipud, "flipud")]:
        with pytest.raises(ValueError, match=rf"Compose.stream\(\): {name} has no .stream\(\)"):
            T.Compose([T.Denoise(10), transform]).stream(SENSOR)
    with pytest.raises(ValueError, match=r"Denoise.stream\(\) needs a sensor_size"):
        T.Compose([T.TimeWindow(end_us=5), T.Denoise(10)]).stream()
