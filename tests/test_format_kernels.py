"""The compiled per-block work of the readers equals its NumPy reference (hypothesis), and the
EVT 2.0 / DAT decoders equal expelliarmus event for event on random files, block by block."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from evlearn.events import EVENT_DTYPE
from evlearn.formats import chunk_kernels as ck
from evlearn.formats import prophesee_kernels as pk
from event_strategies import event_streams

FIELDS = ("x", "y", "t", "p")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _words(kinds, payloads) -> np.ndarray:
    return ((np.array(kinds, dtype=np.uint32) << 28) | (np.array(payloads, dtype=np.uint32) & 0x0FFFFFFF))


evt2_words = st.integers(0, 200).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from([0, 1, 0, 1, 8, 0xA, 0xE, 0xF]), min_size=n, max_size=n),
    st.lists(st.integers(0, 2**28 - 1), min_size=n, max_size=n)))


def _blocks(array, cuts):
    bounds = sorted({min(c, len(array)) for c in cuts})
    return [array[a:b] for a, b in zip([0, *bounds], [*bounds, len(array)])]


def _decode_all(decode, blocks, state):
    parts, bads = [], []
    for block in blocks:
        events, bad = decode(block, state)
        parts.append(events)
        bads.append(bad)
        if bad >= 0:
            break
    return np.concatenate(parts) if parts else np.empty(0, EVENT_DTYPE), bads, state


@SETTINGS
@given(words=evt2_words, bad_at=st.none() | st.integers(0, 200), bad_kind=st.sampled_from([2, 3, 5, 9, 0xB, 0xD]),
       cuts=st.lists(st.integers(0, 200), max_size=4))
def test_evt2_decoder_equals_its_numpy_reference_block_by_block(words, bad_at, bad_kind, cuts):
    raw = _words(*words)
    if bad_at is not None and bad_at < raw.size:
        raw[bad_at] = (bad_kind << 28) | 5  # a word of an unknown type: decoding stops there
    ours = _decode_all(pk.decode_evt2, _blocks(raw, cuts), pk.new_evt2_state())
    ref = _decode_all(pk.decode_evt2_reference, _blocks(raw, cuts), pk.new_evt2_state())
    assert ours[0].tobytes() == ref[0].tobytes() and ours[1] == ref[1]
    np.testing.assert_array_equal(ours[2], ref[2])


dat_records = st.integers(0, 150).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 2**32 - 1), min_size=n, max_size=n),
    st.lists(st.integers(0, 2**32 - 1), min_size=n, max_size=n)))


@SETTINGS
@given(records=dat_records, cuts=st.lists(st.integers(0, 150), max_size=4), sort=st.booleans())
def test_dat_decoder_equals_its_numpy_reference_block_by_block(records, cuts, sort):
    t, w = records
    raw = np.array([sorted(t) if sort else t, w], dtype=np.uint32).T.copy()
    ours = _decode_all(pk.decode_dat, _blocks(raw, cuts), pk.new_dat_state())
    ref = _decode_all(pk.decode_dat_reference, _blocks(raw, cuts), pk.new_dat_state())
    assert ours[0].tobytes() == ref[0].tobytes() and ours[1] == ref[1]
    np.testing.assert_array_equal(ours[2], ref[2])


def _valid_evt2(kinds, payloads):
    """A stream expelliarmus reads as it is: a TIME_HIGH first, time never going back."""
    raw = _words([8, *kinds], [0, *payloads])
    high, last, keep = 0, 0, []
    for i, word in enumerate(raw):
        kind = int(word >> 28)
        if kind == 8:
            value = int(word & 0x0FFFFFFF)
            if value < high:
                continue
            high = value
        elif kind <= 1:
            t = (high << 6) | int(word >> 22 & 0x3F)
            if t < last:
                continue
            last = t
        keep.append(i)
    return raw[keep]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=evt2_words, records=dat_records)
def test_evt2_and_dat_readers_equal_expelliarmus_on_random_files(tmp_path, words, records):
    from expelliarmus import Wizard

    from evlearn.formats import read_events

    t, w = records
    dat = np.array([sorted(t), w], dtype=np.uint32).T.copy()
    files = {"evt2": (tmp_path / "random.raw", b"% evt 2.0\n% geometry 2048x2048\n", _valid_evt2(*words)),
             "dat": (tmp_path / "random.dat", b"% Version 2\n\x0c\x08", dat)}
    for encoding, (path, header, data) in files.items():
        path.write_bytes(header + data.tobytes())
        ours = read_events(path, format=encoding)
        theirs = Wizard(encoding=encoding, fpath=path).read() if data.size else None
        theirs = ours if theirs is None and not ours.size else theirs  # expelliarmus: None for no events
        assert ours.size == theirs.size, encoding
        for field in FIELDS:
            np.testing.assert_array_equal(ours[field], theirs[field].astype(np.int64), err_msg=f"{encoding} {field}")


@settings(max_examples=60, deadline=None)
@given(case=event_streams(max_events=80, t_max=500), dtype=st.sampled_from(["<i2", "<u2", "<i8", "<u1"]))
def test_to_events_equals_its_reference_for_decoder_dtypes(case, dtype):
    events, _ = case
    columns = [events[f].astype(dtype if f != "t" else "<i8") for f in FIELDS]
    assert ck.to_events(*columns).tobytes() == ck.to_events_reference(*columns).tobytes()
    bools = ck.to_events(*columns[:3], events["p"].astype(bool))
    assert bools.tobytes() == ck.to_events_reference(*columns[:3], events["p"].astype(bool)).tobytes()


@settings(max_examples=150, deadline=None)
@given(case=event_streams(max_events=30, max_side=4, t_min=-3, t_max=40), shuffle=st.booleans(),
       sensor=st.none() | st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 2)),
       after_t=st.integers(0, 40), seed=st.integers(0, 2**16))
def test_events_ok_equals_its_reference(case, shuffle, sensor, after_t, seed):
    events, _ = case
    if shuffle:
        np.random.default_rng(seed).shuffle(events)
    assert ck.events_ok(events, sensor, after_t) == ck.events_ok_reference(events, sensor, after_t)


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.integers(0, 2**16 - 1), max_size=100), wide=st.booleans())
def test_word_types_equals_its_reference(words, wide):
    raw = np.array(words, dtype=np.uint32 if wide else np.uint16)
    if wide:
        raw = raw << 16
    shift = 28 if wide else 12
    assert ck.word_types(raw, shift) == ck.word_types_reference(raw, shift)


@pytest.mark.parametrize("decode, state", [(pk.decode_evt2, pk.new_evt2_state), (pk.decode_dat, pk.new_dat_state)])
def test_decoders_take_empty_blocks(decode, state):
    block = np.empty((0, 2) if decode is pk.decode_dat else 0, dtype=np.uint32)
    events, bad = decode(block, state())
    assert events.size == 0 and bad == -1
