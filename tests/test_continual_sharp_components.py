"""SHARP components: masks and rewiring, quantised buffer, long-term kNN memory, loss."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evlearn.continual.sharp_buffer import LongTermMemory, QuantizedReplayBuffer, dequantize, quantize
from evlearn.continual.sharp_masks import (INPUT_STATE, LayerSpec, count_weights, cosine_tau, drop_connections,
                                           frozen_units, initial_states, promote, random_connectivity,
                                           regrow_connections, rewire, select_units, selection_percent,
                                           top_units, weight_mask)

MNIST_SPECS = [LayerSpec("conv", 16, 1, 9), LayerSpec("conv", 16, 16, 9),
               LayerSpec("linear", 500, 784, block=49), LayerSpec("linear", 500, 500)]


# ---------------------------------------------------------------- pruning
def test_random_connectivity_exact_counts_and_dense_first_conv(rng):
    conns = random_connectivity(MNIST_SPECS, 0.4, rng)
    assert conns[0].all()                                  # first conv dense
    assert conns[1].sum() == round(0.4 * 16 * 16)          # per channel pair
    assert conns[2].sum() == round(0.4 * 500 * 784)
    assert conns[3].sum() == round(0.4 * 500 * 500)
    mask = weight_mask(conns[1], MNIST_SPECS[1], (3, 3))
    assert mask.shape == (16, 16, 3, 3)
    # a kept channel pair keeps its whole kernel, a pruned one loses all of it
    per_pair = mask.sum(axis=(2, 3))
    assert set(np.unique(per_pair)) <= {0.0, 9.0}
    assert count_weights(conns[1], MNIST_SPECS[1]) == int(mask.sum())


def test_random_connectivity_can_prune_first_conv_and_rejects_bad_density(rng):
    conns = random_connectivity(MNIST_SPECS[:2], 0.5, rng, first_conv_dense=False)
    assert conns[0].sum() == 8
    with pytest.raises(ValueError, match="density"):
        random_connectivity(MNIST_SPECS, 0.0, rng)


# ---------------------------------------------------------------- selection
def test_cosine_schedule_and_floor():
    assert cosine_tau(0, 30) == pytest.approx(1.0)
    assert cosine_tau(30, 30) == pytest.approx(0.0)
    # phase 1 uses tau(2) as the authors' loop does; the floor is min_activation_perc
    assert selection_percent(1) == pytest.approx(100 * 0.5 * (1 + math.cos(2 * math.pi / 30)))
    assert selection_percent(2) == selection_percent(1)
    assert selection_percent(10) == 90.0
    assert selection_percent(10, min_percent=60) == pytest.approx(75.0)
    with pytest.raises(ValueError):
        selection_percent(0)


def test_top_units_cumulative_cover():
    act = np.array([1.0, 5.0, 3.0, 1.0])   # total 10
    assert top_units(act, 50).tolist() == [1]          # 5 >= 5
    assert top_units(act, 51).tolist() == [1, 2]       # 8 >= 5.1
    assert top_units(act, 100).tolist() == [0, 1, 2, 3]
    assert top_units(np.zeros(3), 90).size == 1        # at least one unit


def test_select_units_leaves_promoted_units_alone():
    states = np.array([0, 1, 2, 0, 3])
    act = np.array([10.0, 0.0, 100.0, 5.0, 0.0])
    new = select_units(states, act, 96)   # total 115: 100 + 10 < 110.4 <= 115
    assert new.tolist() == [1, 0, 2, 1, 3]


# ---------------------------------------------------------------- rewiring
def _random_states(rng, n, promoted=True):
    s = rng.integers(0, 3 if promoted else 2, size=n)
    return s


def test_drop_removes_plastic_to_stable_and_counts_weights(rng):
    spec = LayerSpec("linear", 6, 8, block=2)             # 4 source units of 2 features each
    conn = np.ones((6, 8), dtype=bool)
    src = np.array([0, 1, 0, 2])
    tgt = np.array([0, 0, 1, 2, 0, 1])
    new, n = drop_connections(conn, spec, src, tgt)
    plastic_cols = np.repeat(src == 0, 2)
    assert not new[np.ix_(tgt != 0, plastic_cols)].any()
    assert new[np.ix_(tgt == 0, np.ones(8, bool))].all()
    assert n == 3 * 4


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), density=st.floats(0.1, 0.9))
def test_rewire_keeps_counts_and_never_touches_stable_targets(seed, density):
    rng = np.random.default_rng(seed)
    specs = [LayerSpec("conv", 6, 2, 9), LayerSpec("conv", 8, 6, 9), LayerSpec("linear", 10, 8 * 4, block=4),
             LayerSpec("linear", 7, 10)]
    conns = random_connectivity(specs, density, rng)
    states = initial_states([2, 6, 8, 10, 7])
    for i in range(1, 5):
        states[i] = rng.integers(0, 4, size=len(states[i]))
    before = [count_weights(c, s) for c, s in zip(conns, specs)]
    new, grown, shortfall = rewire(conns, specs, states, rng)
    for i, spec in enumerate(specs):
        after = count_weights(new[i], spec)
        assert after + shortfall[i] == before[i]
        # nothing grows into a non-plastic unit; rows of non-plastic units only lose connections
        stable_rows = states[i + 1] != 0
        assert not grown[i][stable_rows].any()
        assert not (new[i][stable_rows] & ~conns[i][stable_rows]).any()
        # no plastic source feeds a non-plastic unit
        plastic_src = (states[i] == 0)[spec.source_unit_of_input()]
        assert not new[i][np.ix_(stable_rows, plastic_src)].any()
        # grown connections were absent before
        assert not (grown[i] & conns[i]).any()


def test_regrow_reports_shortfall_when_full(rng):
    spec = LayerSpec("linear", 2, 3)
    conn = np.array([[1, 1, 0], [1, 1, 1]], dtype=bool)
    new, grown, shortfall = regrow_connections(conn, spec, np.array([0, 1]), 4, rng)
    assert grown.sum() == 1 and new.all() and shortfall == 3


def test_promote_and_freeze_rules():
    states = [np.full(2, INPUT_STATE), np.array([0, 1, 2]), np.array([0, 1, 2, 3])]
    promoted = promote(states)
    assert promoted[0].tolist() == [INPUT_STATE] * 2
    assert promoted[1].tolist() == [0, 2, 3]
    assert promoted[2].tolist() == [0, 2, 3, 4]
    frozen = frozen_units(promoted, n_early=1, replay_tasks=1)
    assert frozen[0].tolist() == [False, True, True]          # early: frozen once promoted
    assert frozen[1].tolist() == [False, False, True, True]   # late: one more task of learning


# ---------------------------------------------------------------- quantised buffer
@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-3, 1e3), bits=st.integers(1, 8))
def test_quantize_round_trip_error_bound(seed, scale, bits):
    x = np.random.default_rng(seed).normal(size=(5, 7)).astype(np.float32) * scale
    codes, lo, hi = quantize(x, bits)
    assert codes.dtype == np.uint8 and codes.max() <= 2 ** bits - 1
    err = np.abs(dequantize(codes, lo, hi, bits) - x).max()
    assert err <= (hi - lo) / (2 * (2 ** bits - 1)) * (1 + 1e-5) + 1e-6 * scale


def test_quantize_constant_tensor_is_exact():
    codes, lo, hi = quantize(np.full((3, 2), 1.5))
    assert np.array_equal(dequantize(codes, lo, hi), np.full((3, 2), 1.5, dtype=np.float32))


def test_buffer_quotas_recent_classes_and_bytes(rng):
    buf = QuantizedReplayBuffer(per_class=3, recent_tasks=1)
    buf.add_task({0: rng.random((10, 4)), 1: rng.random((2, 4))})
    assert buf.classes == [0, 1] and len(buf) == 5                 # quota 3, class 1 has only 2
    assert buf.memory_bytes == (3 * 4 + 8) + (2 * 4 + 8)
    buf.add_task({2: rng.random((5, 4)), 3: rng.random((5, 4))})
    assert buf.classes == [2, 3]                                   # older classes are gone
    x, y = buf.sample(7, rng)
    assert x.shape == (7, 4) and np.bincount(y).tolist() == [0, 0, 4, 3]
    two = QuantizedReplayBuffer(per_class=2, recent_tasks=2)
    for t in range(3):
        two.add_task({2 * t: rng.random((4, 3)), 2 * t + 1: rng.random((4, 3))})
    assert two.classes == [2, 3, 4, 5] and two.age(5) == 0 and two.age(2) == 1
    # blurry boundaries: a class seen again moves to the newest task
    two.add_task({5: rng.random((4, 3)), 6: rng.random((4, 3))})
    assert two.classes == [4, 5, 6] and two.age(5) == 0


def test_buffer_state_round_trip(rng):
    buf = QuantizedReplayBuffer(per_class=4)
    buf.add_task({1: rng.random((6, 3))})
    other = QuantizedReplayBuffer(per_class=4)
    other.load_state(buf.state())
    assert np.array_equal(other.get(1), buf.get(1)) and other.classes == [1]


# ---------------------------------------------------------------- kNN long-term memory
def test_knn_on_hand_made_data():
    ltm = LongTermMemory(k=3)
    ltm.add(0, np.array([[1, 0, 0], [0.9, 0.1, 0], [1, 0.2, 0]]))
    ltm.add(1, np.array([[0, 1, 0], [0.1, 1, 0], [0, 0.9, 0.1]]))
    queries = np.array([[2, 0.1, 0], [0, 3, 0.2], [0.2, 5, 0]])
    assert ltm.predict(queries).tolist() == [0, 1, 1]
    assert ltm.predict(queries, classes=[0]).tolist() == [0, 0, 0]


def test_knn_uses_per_class_unit_masks():
    ltm = LongTermMemory(k=1)
    # class 0 only looks at unit 0, class 1 at unit 1: distances are computed on those units only
    ltm.add(0, np.array([[1.0, 0.0]]), unit_mask=[True, False])
    ltm.add(1, np.array([[0.0, 1.0]]), unit_mask=[False, True])
    # On unit 0 alone the query is (positive) -> normalised 1 = class 0's memory, distance 0
    assert ltm.predict(np.array([[0.5, 0.2]])).tolist() == [0]
    with pytest.raises(ValueError, match="unit_mask"):
        ltm.add(2, np.ones((1, 2)), unit_mask=[True])


def test_knn_tie_goes_to_smallest_label():
    ltm = LongTermMemory(k=2)
    ltm.add(3, np.array([[1.0, 0.0]]))
    ltm.add(1, np.array([[0.0, 1.0]]))
    assert ltm.predict(np.array([[1.0, 1.0]])).tolist() == [1]
