"""Time surfaces: numba kernels vs pure NumPy references (hypothesis) vs tonic on real N-MNIST."""
import functools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from evlearn.datasets.nmnist import read_nmnist
from evlearn.events import NMNIST_SENSOR, make_events
from evlearn.functional.global_time_surface import global_time_surfaces, global_time_surfaces_reference
from evlearn.functional.local_time_surface import local_time_surfaces, local_time_surfaces_reference
from event_strategies import event_streams

tonic = pytest.importorskip("tonic")

# The kernels factor exp((T - t) / tau) into two exponentials (see their modules): equal
# to the direct formula up to ~1e-14 relative; values below 1e-300 may round to 0.
RTOL, ATOL = 1e-12, 1e-300


streams = functools.partial(event_streams, t_max=20_000)


taus = st.sampled_from([1.0, 37.0, 500.0, 5_000.0, 1e6])


@pytest.fixture(scope="module")
def samples(nmnist_dir):
    paths = [sorted((nmnist_dir / "Train" / str(label)).glob("*.bin"))[0] for label in range(10)]
    return [read_nmnist(path) for path in paths]


# ---------------------------------------------------------------- local (per event)
@settings(max_examples=80, deadline=None)
@given(streams(), st.integers(0, 3), taus, st.booleans())
def test_local_matches_reference(case, radius, tau, merge):
    events, size = case
    ours = local_time_surfaces(events, size, radius, tau, merge_polarities=merge)
    reference = local_time_surfaces_reference(events, size, radius, tau, merge_polarities=merge)
    channels = 1 if merge else size[2]
    assert ours.shape == (len(events), channels, 2 * radius + 1, 2 * radius + 1)
    np.testing.assert_allclose(ours, reference, rtol=RTOL, atol=ATOL)
    if len(events):
        own = np.zeros(len(events), dtype=np.int64) if merge else events["p"]
        np.testing.assert_array_equal(ours[np.arange(len(events)), own, radius, radius], 1.0)


@settings(max_examples=40, deadline=None)
@given(streams(min_events=1), st.integers(0, 2), taus)
def test_local_merged_is_max_over_polarities(case, radius, tau):
    events, size = case
    split = local_time_surfaces(events, size, radius, tau)
    merged = local_time_surfaces(events, size, radius, tau, merge_polarities=True)
    np.testing.assert_array_equal(merged, split.max(axis=1, keepdims=True))


def test_local_small_example():
    events = make_events([1, 2, 1], [1, 1, 1], [0, 100, 300], [0, 1, 0])
    out = local_time_surfaces(events, (3, 2, 2), radius=1, tau_us=100.0)
    # event 2 at (1, 1), t=300: own pixel 1; (2, 1) of polarity 1 fired at 100 -> exp(-2)
    assert out[2, 0, 1, 1] == 1.0
    assert out[2, 1, 1, 2] == pytest.approx(np.exp(-2.0), rel=1e-14)
    # the row y = 2 lies outside the 2-pixel-high sensor: zero; no polarity-0 event at (2, 1)
    assert not out[2, :, 2, :].any() and out[2, 0, 1, 2] == 0.0
    assert out[0, 1].sum() == 0.0  # nothing of polarity 1 has fired yet at event 0


def test_local_on_nmnist_and_float32(samples):
    events = samples[3][:1500]
    ours = local_time_surfaces(events, NMNIST_SENSOR, 3, 20_000.0)
    np.testing.assert_allclose(ours, local_time_surfaces_reference(events, NMNIST_SENSOR, 3, 20_000.0),
                               rtol=RTOL, atol=ATOL)
    single = local_time_surfaces(events, NMNIST_SENSOR, 3, 20_000.0, dtype=np.float32)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, ours, rtol=1e-6, atol=1e-30)


def test_local_accepts_tonic_arrays(nmnist_dir):
    path = sorted((nmnist_dir / "Test" / "5").glob("*.bin"))[0]
    theirs = tonic.io.read_mnist_file(str(path), dtype=tonic.datasets.NMNIST.dtype)
    ours = read_nmnist(path)
    np.testing.assert_array_equal(local_time_surfaces(theirs, NMNIST_SENSOR, 2, 5e3),
                                  local_time_surfaces(ours, NMNIST_SENSOR, 2, 5e3))


@pytest.mark.parametrize("kwargs, match", [
    (dict(radius=-1, tau_us=1.0), "radius"), (dict(radius=1.5, tau_us=1.0), "radius"),
    (dict(radius=1, tau_us=0.0), "tau_us"), (dict(radius=1, tau_us=1.0, dtype=np.int32), "dtype"),
])
def test_local_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        local_time_surfaces(make_events([0], [0], [0], [0]), (2, 2, 2), **kwargs)


def test_local_rejects_events_outside_sensor():
    with pytest.raises(ValueError, match="y=2 at event 1"):
        local_time_surfaces(make_events([0, 0], [0, 2], [0, 1], [0, 0]), (2, 2, 2), 1, 1.0)


# ---------------------------------------------------------------- global (per slice), tonic's definition
@settings(max_examples=80, deadline=None)
@given(streams(min_events=1), st.integers(1, 6_000), taus, st.integers(0, 5_999), st.booleans())
def test_global_matches_reference_and_tonic(case, dt, tau, overlap, incomplete):
    events, size = case
    overlap = overlap % dt
    ours = global_time_surfaces(events, size, dt, tau, overlap=overlap, include_incomplete=incomplete)
    reference = global_time_surfaces_reference(events, size, dt, tau, overlap, incomplete)
    theirs = tonic.functional.to_timesurface_numpy(events.copy(), size, dt, tau, overlap=overlap,
                                                   include_incomplete=incomplete)
    assert ours.shape == theirs.shape == reference.shape
    np.testing.assert_array_equal(reference, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("dt, tau", [(1_000, 5_000.0), (10_000, 50_000.0), (2_500.5, 800.0)])
def test_global_equals_tonic_on_nmnist(samples, dt, tau):
    transform = tonic.transforms.ToTimesurface(sensor_size=tuple(NMNIST_SENSOR), dt=dt, tau=tau)
    for events in samples:
        theirs = transform(events.copy())
        ours = global_time_surfaces(events, NMNIST_SENSOR, dt, tau)
        assert ours.shape == theirs.shape and ours.shape[1:] == (2, 34, 34)
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)
        assert ((ours == 0) == (theirs == 0)).all()


def test_global_small_example_and_empty():
    events = make_events([0, 1], [0, 0], [100, 250], [0, 1])
    out = global_time_surfaces(events, (2, 1, 2), dt_us=100, tau_us=50.0)
    # slices [100, 200) and [200, 300) end at reference times 200 and 300
    assert out.shape == (1, 2, 1, 2)  # floor((250 - 100 - 100) / 100) + 1 = 1 complete slice
    assert out[0, 0, 0, 0] == pytest.approx(np.exp(-100 / 50), rel=1e-14) and out[0, 1].sum() == 0
    full = global_time_surfaces(events, (2, 1, 2), dt_us=100, tau_us=50.0, include_incomplete=True)
    assert full.shape[0] == 2 and full[1, 1, 0, 1] == pytest.approx(np.exp(-50 / 50), rel=1e-14)
    assert global_time_surfaces(events[:0], (2, 1, 2), 100, 50.0).shape == (0, 2, 1, 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(dt_us=0, tau_us=1.0), "dt_us"), (dict(dt_us=10, tau_us=-1.0), "tau_us"),
    (dict(dt_us=10, tau_us=1.0, overlap=10), "overlap"),
])
def test_global_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        global_time_surfaces(make_events([0], [0], [0], [0]), (2, 2, 2), **kwargs)
