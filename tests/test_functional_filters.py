"""Slicing, crop, downsample, refractory period and denoise: kernels vs NumPy references vs tonic."""
import functools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from evlearn.datasets.nmnist import read_nmnist
from evlearn.events import NMNIST_SENSOR, make_events
from evlearn.functional.denoise import denoise, denoise_mask_reference
from evlearn.functional.refractory import refractory_mask_reference, refractory_period
from evlearn.functional.slicing import slice_by_time, time_window
from evlearn.functional.spatial import crop, downsample, downsample_size
from event_strategies import event_streams

tonic = pytest.importorskip("tonic")


streams = functools.partial(event_streams, max_events=80, max_side=7, t_max=5_000)


@pytest.fixture(scope="module")
def sample(nmnist_dir):
    return read_nmnist(sorted((nmnist_dir / "Train" / "7").glob("*.bin"))[0])


# ---------------------------------------------------------------- refractory period
@settings(max_examples=80, deadline=None)
@given(streams(), st.integers(0, 600))
def test_refractory_matches_reference(case, period):
    events, size = case
    kept = refractory_period(events, size, period)
    np.testing.assert_array_equal(kept, events[refractory_mask_reference(events, size, period)])


@settings(max_examples=40, deadline=None)
@given(streams(min_events=1, t_min=1), st.integers(0, 600))
def test_refractory_equals_tonic_after_time_zero(case, period):
    events, size = case  # tonic drops a pixel's first event only at t == 0
    theirs = tonic.functional.refractory_period_numpy(events.copy(), period)
    np.testing.assert_array_equal(refractory_period(events, size, period), theirs)


def test_refractory_on_nmnist_equals_tonic(sample):
    events = sample[sample["t"] > 0]
    ours = refractory_period(events, NMNIST_SENSOR, 1000)
    np.testing.assert_array_equal(ours, tonic.transforms.RefractoryPeriod(delta=1000)(events.copy()))
    assert 0 < len(ours) < len(events)


def test_refractory_first_event_kept_and_burst_silences():
    events = make_events([0, 0, 0, 0], [0, 0, 0, 0], [0, 5, 9, 30], [0, 1, 0, 0])
    kept = refractory_period(events, (1, 1, 2), 10)
    assert kept["t"].tolist() == [0, 30]  # 5 and 9 fall within 10 us of their predecessor


# ---------------------------------------------------------------- denoise
@settings(max_examples=80, deadline=None)
@given(streams(), st.integers(0, 2_000))
def test_denoise_matches_reference(case, filter_time):
    events, size = case
    kept = denoise(events, size, filter_time)
    np.testing.assert_array_equal(kept, events[denoise_mask_reference(events, size, filter_time)])


@settings(max_examples=40, deadline=None)
@given(streams(min_events=1), st.integers(1, 2_000))
def test_denoise_equals_tonic_after_filter_time(case, filter_time):
    events, size = case
    events["t"] += filter_time  # tonic's memory starts at filter_time: agree from there on
    theirs = tonic.functional.denoise_numpy(events.copy(), filter_time=filter_time)
    np.testing.assert_array_equal(denoise(events, size, filter_time), theirs)


def test_denoise_on_nmnist_equals_tonic(sample):
    filter_time = 5_000
    ours = denoise(sample, NMNIST_SENSOR, filter_time)
    theirs = tonic.transforms.Denoise(filter_time=filter_time)(sample.copy())
    late = lambda ev: ev[ev["t"] >= filter_time]  # noqa: E731
    np.testing.assert_array_equal(late(ours), late(theirs))
    assert 0 < len(ours) < len(sample)


def test_denoise_drops_isolated_keeps_neighbours():
    events = make_events([0, 1, 5, 9], [0, 0, 5, 9], [0, 10, 20, 30_000], [0, 0, 1, 0])
    kept = denoise(events, (10, 10, 2), 1_000)
    assert kept["t"].tolist() == [10]  # only the event whose neighbour fired 10 us before


# ---------------------------------------------------------------- slicing
@settings(max_examples=60, deadline=None)
@given(streams(min_events=1), st.integers(1, 3_000), st.integers(0, 2_999), st.booleans())
def test_slice_by_time_equals_tonic(case, window, overlap, incomplete):
    events, size = case
    overlap = overlap % window
    ours = slice_by_time(events, window, overlap, include_incomplete=incomplete)
    theirs = tonic.slicers.slice_events_by_time(events.copy(), window, overlap=overlap, include_incomplete=incomplete)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


def test_slice_by_time_without_overlap_partitions_complete_windows(sample):
    slices = slice_by_time(sample, 10_000)
    assert all(np.all(s["t"] - s["t"][0] < 10_000) for s in slices if len(s))
    joined = np.concatenate(slices)
    np.testing.assert_array_equal(joined, sample[: len(joined)])
    assert slice_by_time(sample[:0], 10) == []


def test_time_window_half_open(sample):
    part = time_window(sample, 50_000, 60_000)
    assert part.size and part["t"].min() >= 50_000 and part["t"].max() < 60_000
    assert part.size == np.count_nonzero((sample["t"] >= 50_000) & (sample["t"] < 60_000))
    assert time_window(sample).size == sample.size
    with pytest.raises(ValueError, match="end"):
        time_window(sample, 10, 5)


@pytest.mark.parametrize("window, overlap, match", [(0, 0, "window_us"), (10, 10, "overlap"), (10, -1, "overlap")])
def test_slice_by_time_rejects_bad_windows(sample, window, overlap, match):
    with pytest.raises(ValueError, match=match):
        slice_by_time(sample, window, overlap)


# ---------------------------------------------------------------- crop / downsample
@settings(max_examples=60, deadline=None)
@given(streams(), st.data())
def test_crop_shifts_and_keeps_inside(case, data):
    events, (width, height, n_pol) = case
    w, h = data.draw(st.integers(1, width)), data.draw(st.integers(1, height))
    x0, y0 = data.draw(st.integers(0, width - w)), data.draw(st.integers(0, height - h))
    out = crop(events, (width, height, n_pol), (w, h), origin=(x0, y0))
    inside = (events["x"] >= x0) & (events["x"] < x0 + w) & (events["y"] >= y0) & (events["y"] < y0 + h)
    assert len(out) == inside.sum()
    np.testing.assert_array_equal(out["x"], events["x"][inside] - x0)
    np.testing.assert_array_equal(out["t"], events["t"][inside])
    assert (out["x"] < w).all() and (out["y"] < h).all()


def test_center_crop_equals_tonic(sample):
    ours = crop(sample, NMNIST_SENSOR, (20, 16))
    theirs = tonic.transforms.CenterCrop(sensor_size=tuple(NMNIST_SENSOR), size=(20, 16))(sample.copy())
    np.testing.assert_array_equal(ours, theirs)


def test_crop_rejects_box_outside_sensor(sample):
    with pytest.raises(ValueError, match="does not fit"):
        crop(sample, NMNIST_SENSOR, (10, 10), origin=(30, 0))
    with pytest.raises(ValueError, match="size"):
        crop(sample, NMNIST_SENSOR, (40, 10))


@pytest.mark.parametrize("factor, target", [(2, None), (3, None), (4, None), (None, (10, 7)), (None, (34, 34))])
def test_downsample_equals_tonic(sample, factor, target):
    if factor is not None:
        ours = downsample(sample, NMNIST_SENSOR, factor=factor)
        theirs = tonic.transforms.Downsample(spatial_factor=1 / factor)(sample.copy())
    else:
        ours = downsample(sample, NMNIST_SENSOR, target_size=target)
        theirs = tonic.transforms.Downsample(sensor_size=tuple(NMNIST_SENSOR), target_size=target)(sample.copy())
    np.testing.assert_array_equal(ours, theirs)
    new = downsample_size(NMNIST_SENSOR, factor, target)
    assert ours["x"].max() < new.width and ours["y"].max() < new.height


def test_downsample_size_and_errors():
    assert downsample_size((35, 34, 2), factor=2) == (18, 17, 2)
    with pytest.raises(ValueError, match="exactly one"):
        downsample_size((34, 34, 2))
    with pytest.raises(ValueError, match="factor"):
        downsample(make_events([0], [0], [0], [0]), (34, 34, 2), factor=0)
