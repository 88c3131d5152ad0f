"""count_frame: numba kernel vs NumPy reference, vs tonic's ToFrame, and input checks."""
import numpy as np
import pytest
from hypothesis import given, settings

from evlearn.datasets.nmnist import read_nmnist
from evlearn.events import NMNIST_SENSOR, make_events
from evlearn.functional.frames import count_frame, count_frame_reference, count_frames
from event_strategies import event_streams


@settings(max_examples=60, deadline=None)
@given(event_streams())
def test_count_frame_matches_reference(case):
    events, size = case
    frame = count_frame(events, size)
    assert frame.shape == (size[2], size[1], size[0])
    np.testing.assert_array_equal(frame, count_frame_reference(events, size))
    assert frame.sum() == len(events)


def test_count_frame_layout():
    events = make_events([2, 2, 0], [1, 1, 3], [0, 5, 9], [1, 1, 0])
    frame = count_frame(events, (4, 5, 2))
    assert frame.shape == (2, 5, 4)
    assert frame[1, 1, 2] == 2 and frame[0, 3, 0] == 1 and frame.sum() == 3


def test_count_frame_equals_tonic_to_frame(nmnist_dir):
    tonic = pytest.importorskip("tonic")
    path = sorted((nmnist_dir / "Train" / "3").glob("*.bin"))[0]
    events = read_nmnist(path)
    ours = count_frame(events, NMNIST_SENSOR)
    # event_count=N is one frame of all events (n_time_bins=1 drops the last event: right-open bin)
    theirs = tonic.transforms.ToFrame(sensor_size=tuple(NMNIST_SENSOR), event_count=len(events))(events.copy())
    np.testing.assert_array_equal(ours, theirs[0])


def test_count_frames_stacks(rng):
    a = make_events([0, 1], [0, 0], [0, 1], [0, 1])
    b = make_events([], [], [], [])
    frames = count_frames([a, b], (2, 1, 2))
    assert frames.shape == (2, 2, 1, 2)
    assert frames[0].sum() == 2 and frames[1].sum() == 0


@pytest.mark.parametrize(
    "events, match",
    [
        (make_events([5], [0], [0], [0]), "x=5 at event 0"),
        (make_events([0], [0], [0], [2]), "p=2 at event 0"),
        (make_events([0, 0], [0, 0], [5, 1], [0, 0]), "event 1"),
        (np.zeros(3), "structured array"),
    ],
)
def test_count_frame_rejects_bad_events(events, match):
    with pytest.raises(ValueError, match=match):
        count_frame(events, (4, 4, 2))


def test_count_frame_rejects_bad_sensor():
    with pytest.raises(ValueError, match="sensor_size"):
        count_frame(make_events([0], [0], [0], [0]), (4, 0, 2))
    with pytest.raises(ValueError, match="stream 1"):
        count_frames([make_events([0], [0], [0], [0]), make_events([9], [0], [0], [0])], (4, 4, 2))
