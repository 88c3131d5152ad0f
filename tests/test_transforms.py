"""Transforms: thin, frozen, and interchangeable with tonic's in both directions."""
import dataclasses

import numpy as np
import pytest

from evlearn import transforms as T
from evlearn.datasets.nmnist import read_nmnist
from evlearn.datasets.samples import sample_dir
from evlearn.events import EVENT_DTYPE, NMNIST_SENSOR, make_events
from evlearn.functional.denoise import denoise
from evlearn.functional.global_time_surface import global_time_surfaces
from evlearn.functional.local_time_surface import local_time_surfaces

tonic = pytest.importorskip("tonic")
SENSOR = tuple(NMNIST_SENSOR)


@pytest.fixture(scope="module")
def path():
    """A shipped recording: these tests run in a fresh clone without ../shared/data."""
    return sorted((sample_dir() / "4").glob("*.bin"))[1]


@pytest.fixture(scope="module")
def events(path):
    return read_nmnist(path)


@pytest.fixture(scope="module")
def tonic_events(path):
    return tonic.io.read_mnist_file(str(path), dtype=tonic.datasets.NMNIST.dtype)


def test_transforms_forward_to_kernels(events):
    np.testing.assert_array_equal(T.Denoise(5000, SENSOR)(events), denoise(events, SENSOR, 5000))
    np.testing.assert_array_equal(T.ToLocalTimeSurfaces(SENSOR, 2, 1e4, merge_polarities=True)(events),
                                  local_time_surfaces(events, SENSOR, 2, 1e4, merge_polarities=True))
    np.testing.assert_array_equal(T.ToTimesurface(SENSOR, 5000, 1e4)(events),
                                  global_time_surfaces(events, SENSOR, 5000, 1e4))
    assert T.ToCountFrame(SENSOR)(events).sum() == len(events)
    kept = T.TimeWindow(10_000, 20_000)(events)
    assert kept["t"].min() >= 10_000 and kept["t"].max() < 20_000


def test_transforms_are_frozen_and_do_not_touch_input(events):
    transform = T.CenterCrop(SENSOR, (20, 20))
    with pytest.raises(dataclasses.FrozenInstanceError):
        transform.size = (10, 10)
    before = events.copy()
    transform(events)
    T.Downsample(SENSOR, factor=2)(events)
    np.testing.assert_array_equal(events, before)


def test_compose_chains_sensor_sizes(events):
    crop = T.CenterCrop(SENSOR, (24, 24), origin=(5, 5))
    down = T.Downsample(crop.output_sensor_size, factor=2)
    frame = T.Compose([T.RefractoryPeriod(500), crop, down, T.ToCountFrame(down.output_sensor_size)])(events)
    assert frame.shape == (2, 12, 12)
    assert 0 < frame.sum() < len(events)


def test_tonic_arrays_work_in_our_transforms(events, tonic_events):
    pipeline = T.Compose([T.Denoise(5000, SENSOR), T.ToCountFrame(SENSOR)])
    np.testing.assert_array_equal(pipeline(tonic_events), pipeline(events))
    # other tonic data sets use narrower fields in another order (DVSGesture: x, y int16, p bool, t)
    narrow = np.empty(len(events), dtype=tonic.datasets.DVSGesture.dtype)
    for name in "xytp":
        narrow[name] = events[name]
    assert narrow.dtype != EVENT_DTYPE
    np.testing.assert_array_equal(pipeline(narrow), pipeline(events))
    np.testing.assert_array_equal(T.Denoise(5000, SENSOR)(narrow), T.Denoise(5000, SENSOR)(events))


def test_our_arrays_work_in_tonic_transforms(events):
    ours = T.Denoise(5000, SENSOR)(events)
    # tonic's ToFrame and Denoise on our output, and tonic's Compose around our transforms
    frames = tonic.transforms.ToFrame(sensor_size=SENSOR, event_count=len(ours))(ours.copy())
    np.testing.assert_array_equal(frames[0], T.ToCountFrame(SENSOR)(ours))
    twice = tonic.transforms.Denoise(filter_time=5000)(ours.copy())
    assert 0 < len(twice) <= len(ours)
    mixed = tonic.transforms.Compose([T.RefractoryPeriod(1000), tonic.transforms.ToTimesurface(SENSOR, 10_000, 5e3)])
    np.testing.assert_allclose(mixed(events), T.ToTimesurface(SENSOR, 10_000, 5e3)(T.RefractoryPeriod(1000)(events)),
                               rtol=1e-12, atol=1e-300)


def test_bad_parameters_raise_on_call(events):
    with pytest.raises(ValueError, match="filter_time"):
        T.Denoise(-1, SENSOR)(events)
    with pytest.raises(ValueError, match="x=.* outside the sensor"):
        T.ToCountFrame((10, 10, 2))(events)


def test_filters_need_no_sensor_size_as_in_tonic(events):
    np.testing.assert_array_equal(T.Denoise(5000)(events), T.Denoise(5000, SENSOR)(events))
    np.testing.assert_array_equal(T.RefractoryPeriod(1000)(events), T.RefractoryPeriod(1000, SENSOR)(events))
    with pytest.raises(ValueError, match="x=-1 at event 0 is negative"):
        T.Denoise(5000)(make_events([-1], [0], [0], [0]))


def test_center_crop_is_tonics_center_crop(events):
    ours = T.CenterCrop(SENSOR, 28)(events)
    theirs = tonic.transforms.CenterCrop(sensor_size=SENSOR, size=28)(events.copy())
    np.testing.assert_array_equal(ours, theirs.astype(EVENT_DTYPE))


@pytest.mark.parametrize("old, new, message", [
    (lambda: T.CropSpatial(SENSOR, (28, 28)), T.CenterCrop(SENSOR, (28, 28)), "'CropSpatial'.*'CenterCrop'"),
    (lambda: T.Denoise(SENSOR, 5000), T.Denoise(5000, SENSOR), "Denoise\\(sensor_size, filter_time\\)"),
    (lambda: T.Denoise(sensor_size=SENSOR, filter_time=5000), T.Denoise(5000, SENSOR), "'filter_time'.*'filter_time_us'"),
    (lambda: T.RefractoryPeriod(SENSOR, 500), T.RefractoryPeriod(500, SENSOR), "RefractoryPeriod\\(sensor_size"),
    (lambda: T.ToTimesurface(SENSOR, dt=5000, tau=1e4), T.ToTimesurface(SENSOR, 5000, 1e4), "'dt'.*'dt_us'"),
    (lambda: T.TimeWindow(start=10, end=20), T.TimeWindow(10, 20), "'start'.*'start_us'"),
])
def test_old_transform_names_warn_and_map(events, old, new, message):
    with pytest.warns(FutureWarning, match=message):
        transform = old()
    np.testing.assert_array_equal(transform(events), new(events))


def test_functional_denoise_old_keyword_warns(events):
    with pytest.warns(FutureWarning, match="'filter_time'.*'filter_time_us'"):
        kept = denoise(events, SENSOR, filter_time=5000)
    np.testing.assert_array_equal(kept, denoise(events, None, 5000))
