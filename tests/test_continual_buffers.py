"""Shared replay memories: reservoir, GDumb's class-balanced sampler, iCaRL's herding, byte counts."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evlearn.continual.buffers import (ClassBalancedMemory, ExemplarMemory, ReservoirMemory, class_balanced_slot,
                                       herding_order, label_bytes)


def _algorithm_r(stream_length, capacity, seed):
    """Vitter's Algorithm R written out: which stream index ends in each slot."""
    rng = np.random.default_rng(seed)
    slots = []
    for i in range(stream_length):
        if len(slots) < capacity:
            slots.append(i)
        else:
            j = int(rng.integers(0, i + 1))
            if j < capacity:
                slots[j] = i
    return slots


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 60), st.integers(1, 20), st.integers(0, 2**31), st.integers(1, 7))
def test_reservoir_equals_algorithm_r_in_any_batching(n, capacity, seed, batch):
    memory = ReservoirMemory(capacity)
    rng = np.random.default_rng(seed)
    stream = np.arange(n)
    for start in range(0, n, batch):
        memory.add(rng, x=stream[start:start + batch, None].astype(np.uint8), y=stream[start:start + batch])
    assert len(memory) == min(n, capacity) and memory.n_seen == n
    if n:
        assert memory["y"].tolist() == _algorithm_r(n, capacity, seed)


def test_reservoir_reports_the_slot_of_each_sample():
    memory = ReservoirMemory(2)
    slots = memory.add(np.random.default_rng(0), x=np.zeros((2, 3)), y=np.array([4, 5]))
    assert slots.tolist() == [0, 1]
    with pytest.raises(ValueError, match="fields"):
        memory.add(np.random.default_rng(0), x=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="lengths"):
        memory.add(np.random.default_rng(0), x=np.zeros((1, 3)), y=np.zeros(2))


def test_bytes_count_inputs_and_logits_at_their_dtype_and_labels_at_one_byte():
    memory = ReservoirMemory(200)
    rng = np.random.default_rng(0)
    memory.add(rng, x=np.zeros((300, 28, 28), np.uint8), y=np.zeros(300, np.int64), t=np.zeros(300, np.int64),
               logits=np.zeros((300, 10), np.float32))
    assert memory.nbytes(10) == 200 * (784 + 40 + 1)      # task ids are not counted
    assert label_bytes(10) == 1 and label_bytes(256) == 1 and label_bytes(257) == 2
    assert ReservoirMemory(5).nbytes(10) == 0


def test_memory_state_round_trip():
    memory = ReservoirMemory(3)
    memory.add(np.random.default_rng(0), x=np.arange(10, dtype=np.uint8)[:, None], y=np.arange(10))
    copy = ReservoirMemory(3)
    copy.load_state(memory.state())
    assert copy["x"].tolist() == memory["x"].tolist() and copy.n_seen == 10 and copy["x"].dtype == np.uint8


def test_gdumb_greedy_class_balanced_sampler_by_hand():
    rng = np.random.default_rng(0)
    assert class_balanced_slot(np.array([0, 0]), 1, 4, rng) == 2            # room left: append
    assert class_balanced_slot(np.array([0, 1, 1, 1]), 1, 4, rng) == -1      # class 1 has >= 4/2 slots: drop
    assert class_balanced_slot(np.array([0, 1, 1, 0]), 2, 4, rng) in (0, 3)  # tie 0/1: the smaller label loses
    memory = ClassBalancedMemory(4)
    memory.add(rng, x=np.zeros((8, 1), np.uint8), y=np.array([0, 0, 0, 0, 1, 1, 1, 2]))
    # 0000 -> 1 replaces a 0 (0 < 4/2) -> again (1 < 2) -> third 1 dropped (2 >= 2) -> 2 replaces a 0 (0 and 1 tie)
    assert np.bincount(memory["y"], minlength=3).tolist() == [1, 2, 1]
    assert memory.n_seen == 8 and memory.nbytes(3) == 4 * (1 + 1)


def test_herding_selection_order_by_hand():
    f = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.96, 0.28]])
    # mean (0.64, 0.52). k=1: distances 0.632, 0.8, 0.283, 0.4 -> row 2;
    # k=2: (row2 + row)/2 for rows 0, 1, 3: 0.2, 0.51, 0.141 -> row 3;
    # k=3: (row2 + row3 + row)/3 for rows 0, 1: 0.267, 0.211 -> row 1; then row 0.
    assert herding_order(f, 4).tolist() == [2, 3, 1, 0]
    assert herding_order(f * np.array([[5.0], [1.0], [2.0], [1.0]]), 2).tolist() == [2, 3]   # L2-normalised first
    assert herding_order(f, 10).tolist() == [2, 3, 1, 0]
    with pytest.raises(ValueError, match="herding"):
        herding_order(np.zeros(3), 1)


def test_exemplar_memory_shrinks_each_class_to_its_best():
    memory = ExemplarMemory(6)
    memory.set_class(0, np.arange(3, dtype=np.uint8)[:, None])
    memory.set_class(1, np.arange(3, 6, dtype=np.uint8)[:, None])
    assert memory.per_class(3) == 2
    memory.shrink(2)
    x, y = memory.data()
    assert x.ravel().tolist() == [0, 1, 3, 4] and y.tolist() == [0, 0, 1, 1]
    assert memory.nbytes(10) == 4 * 2
    copy = ExemplarMemory(6)
    copy.load_state(memory.state())
    assert copy.data()[0].tolist() == x.tolist()
