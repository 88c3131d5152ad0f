"""Property-based fuzzing: hostile input gives a clean ValueError or a valid result, never a crash,
another exception, a hang or partial output.

Targets: the N-MNIST reader, the FEAST model loader, the config loaders, and the public functions
that take event arrays. Inputs: random bytes, truncations, byte flips, wrong dtypes, out-of-range
coordinates, unsorted times, NaN, empty arrays. Each target counts its cases; the totals are printed
at the end of the test session ("fuzz cases per target"). Hypothesis' deadline catches hangs.
"""
from __future__ import annotations

import dataclasses
import io
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from evlearn.events import EVENT_FIELDS

FUZZ = settings(max_examples=100, deadline=5000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _clean(fuzz_cases, target, call):
    """Run ``call``: a ValueError is the contract's clean refusal; anything else fails the test."""
    fuzz_cases[target] = fuzz_cases.get(target, 0) + 1
    try:
        return call()
    except ValueError as err:
        assert str(err) and "\n" not in str(err), f"{target}: error not on one line: {err!r}"
        return None


# ------------------------------------------------------------------ event arrays
FIELD_DTYPES = st.sampled_from(["<i8", "<i4", "<i2", "u1", "<u2", "<u8", "<f8", "<f4", "?"])


@st.composite
def hostile_events(draw):
    """Structured arrays with every field's dtype, range and order drawn freely (NaN, huge, negative)."""
    n = draw(st.integers(0, 40))
    names = list(EVENT_FIELDS)
    if draw(st.integers(0, 9)) == 0:  # sometimes a field missing or an extra one
        names = names[:-1] + [draw(st.sampled_from(["q", "ts", "p"]))]
    dtype = np.dtype([(name, draw(FIELD_DTYPES)) for name in dict.fromkeys(names)])
    array = np.zeros(n, dtype=dtype)
    for name in dtype.names:
        kind = dtype[name]
        if kind.kind == "f":
            column = draw(hnp.arrays(kind, n, elements=st.floats(width=kind.itemsize * 8)))
        elif kind.kind == "b":
            column = draw(hnp.arrays(kind, n))
        else:
            info = np.iinfo(kind)
            small = st.integers(max(info.min, -3), min(info.max, 40))
            column = draw(hnp.arrays(kind, n, elements=st.one_of(small, st.integers(info.min, info.max))))
        array[name] = column
    if draw(st.booleans()) and "t" in dtype.names and dtype["t"].kind in "iu":
        array = np.sort(array, order="t")
    return array


sensors = st.tuples(st.integers(1, 40), st.integers(1, 40), st.integers(1, 3))


@pytest.fixture(scope="module")
def fitted_layer():
    from evlearn.events import make_events
    from evlearn.feast.layer import FEAST

    rng = np.random.default_rng(0)
    streams = [make_events(rng.integers(0, 34, 100), rng.integers(0, 34, 100), np.sort(rng.integers(0, 10**5, 100)),
                           rng.integers(0, 2, 100)) for _ in range(3)]
    return FEAST(n_neurons=3, radius=1).fit(streams)


def _event_targets(layer):
    from evlearn import transforms as T
    from evlearn.feast.readout import feature_histogram
    from evlearn.functional.denoise import denoise
    from evlearn.functional.frames import count_frame
    from evlearn.functional.global_time_surface import global_time_surfaces
    from evlearn.functional.local_time_surface import local_time_surfaces
    from evlearn.functional.refractory import refractory_period
    from evlearn.functional.slicing import slice_by_time
    from evlearn.functional.spatial import crop, downsample
    from evlearn.validation import validate_events

    return {
        "validate_events": lambda ev, size: validate_events(ev, size),
        "denoise": lambda ev, size: denoise(ev, size, 1000),
        "refractory_period": lambda ev, size: refractory_period(ev, size, 500),
        "count_frame": lambda ev, size: count_frame(ev, size),
        "local_time_surfaces": lambda ev, size: local_time_surfaces(ev, size, 1, 1000.0),
        "global_time_surfaces": lambda ev, size: global_time_surfaces(ev, size, 5000, 1000.0),
        "slice_by_time": lambda ev, size: slice_by_time(ev, 5000),
        "crop": lambda ev, size: crop(ev, size, (1, 1)),
        "downsample": lambda ev, size: downsample(ev, size, factor=2),
        "transforms.Compose": lambda ev, size: T.Compose([T.Denoise(1000, sensor_size=size),
                                                          T.ToCountFrame(size)])(ev),
        "feature_histogram": lambda ev, size: feature_histogram(ev, 3, size, grid=2),
        "FEAST.transform": lambda ev, size: layer.transform(ev),
        "FEAST.partial_fit": lambda ev, size: layer.partial_fit(ev),
    }


EVENT_TARGETS = sorted(_event_targets(None))


@pytest.mark.parametrize("target", EVENT_TARGETS)
def test_event_functions_survive_hostile_arrays(target, fitted_layer, fuzz_cases):
    call = _event_targets(fitted_layer)[target]

    @settings(FUZZ, max_examples=60)
    @given(events=hostile_events(), size=sensors)
    def fuzz(events, size):
        _clean(fuzz_cases, target, lambda: call(events, size))

    fuzz()


@FUZZ
@given(value=st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=5),
                       hnp.arrays(st.sampled_from(["<i8", "<f8", "u1"]), hnp.array_shapes(max_dims=3, max_side=4))))
def test_event_functions_refuse_non_event_objects(value, fuzz_cases):
    from evlearn.functional.frames import count_frame

    _clean(fuzz_cases, "non-event objects", lambda: count_frame(value, (4, 4, 2)))


# ------------------------------------------------------------------ N-MNIST reader
@FUZZ
@given(raw=st.binary(max_size=400))
def test_nmnist_decoder_random_bytes(raw, fuzz_cases):
    from evlearn.datasets.nmnist import decode_nmnist

    events = _clean(fuzz_cases, "decode_nmnist random bytes", lambda: decode_nmnist(raw))
    if events is not None:
        assert events.size == len(raw) // 5 and (events["x"] < 34).all() and (np.diff(events["t"]) >= 0).all()


@pytest.fixture(scope="module")
def sample_bytes():
    from evlearn.datasets.samples import sample_dir

    return next(iter(sorted(sample_dir().glob("*/*.bin")))).read_bytes()


@FUZZ
@given(cut=st.integers(0, 10**6), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8))
def test_nmnist_reader_truncated_and_flipped_files(sample_bytes, tmp_path_factory, cut, flips, fuzz_cases):
    from evlearn.datasets.nmnist import read_nmnist

    raw = bytearray(sample_bytes[:cut % (len(sample_bytes) + 1)])
    for where, value in flips:
        if raw:
            raw[where % len(raw)] = value
    path = tmp_path_factory.mktemp("nmnist") / "f.bin"
    path.write_bytes(bytes(raw))
    _clean(fuzz_cases, "read_nmnist truncations + flips", lambda: read_nmnist(path))


# ------------------------------------------------------------------ model loader
@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    """A saved FEASTClassifier's bytes and a stream to use it on."""
    from evlearn.events import make_events
    from evlearn.feast.layer import FEAST
    from evlearn.feast.persistence import save_model
    from evlearn.feast.readout import FEASTClassifier

    rng = np.random.default_rng(1)
    streams = [make_events(rng.integers(0, 34, 80), rng.integers(0, 34, 80), np.sort(rng.integers(0, 10**5, 80)),
                           rng.integers(0, 2, 80)) for _ in range(6)]
    clf = FEASTClassifier(FEAST(n_neurons=3, radius=1), grid=2).fit(streams, np.array(["a", "b"] * 3))
    path = tmp_path_factory.mktemp("model") / "m.npz"
    save_model(path, clf)
    return path.read_bytes(), streams[0]


def _load_and_use(path, stream):
    from evlearn.feast.persistence import load_model

    model = load_model(path)
    features = getattr(model, "features_", model)
    features.transform(stream)
    if hasattr(model, "classifier_"):
        model.predict([stream])


@FUZZ
@given(cut=st.integers(0, 10**6), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
       junk=st.binary(max_size=64))
def test_model_loader_damaged_files(model_bytes, tmp_path_factory, cut, flips, junk, fuzz_cases):
    good, stream = model_bytes
    raw = bytearray(good[:cut % (len(good) + 1)] if cut % 3 else good) + junk
    for where, value in flips:
        if raw:
            raw[where % len(raw)] = value
    path = tmp_path_factory.mktemp("model") / "m.npz"
    path.write_bytes(bytes(raw))
    _clean(fuzz_cases, "load_model damaged bytes", lambda: _load_and_use(path, stream))


ARRAY_KEYS = ["layer0_weights", "layer0_thresholds", "layer0_wins", "layer0_events", "layer0_missed",
              "layer0_threshold_trace", "clf_coef", "clf_intercept", "clf_mean", "clf_scale", "clf_classes"]


@FUZZ
@given(key=st.sampled_from(ARRAY_KEYS), replacement=hnp.arrays(
    st.sampled_from(["<f8", "<f4", "<i8", "u1", "<U3", "?"]), hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
    elements=None), data=st.data())
def test_model_loader_replaced_arrays(model_bytes, tmp_path_factory, key, replacement, data, fuzz_cases):
    good, stream = model_bytes
    arrays = dict(np.load(io.BytesIO(good), allow_pickle=False))
    arrays[key] = replacement if data.draw(st.booleans()) else np.full_like(arrays[key], np.nan, dtype=np.float64)
    path = tmp_path_factory.mktemp("model") / "m.npz"
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    _clean(fuzz_cases, "load_model replaced arrays", lambda: _load_and_use(path, stream))


# ------------------------------------------------------------------ config loaders
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(string.ascii_letters, max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(string.ascii_lowercase, max_size=6),
                                                                       inner, max_size=3)), max_leaves=8)


def _bench_dicts():
    from evlearn.continual.runner import DataConfig, ScenarioConfig, TrainConfig

    def section(cls):
        return st.dictionaries(st.sampled_from([f.name for f in dataclasses.fields(cls)]), values, max_size=4)

    top = {"name": values, "seeds": st.one_of(values, st.lists(st.integers(-2, 5), max_size=3)),
           "strategies": st.one_of(values, st.lists(st.sampled_from(["naive", "er", "ewc", "bogus"]), max_size=3)),
           "memory_size": values, "options": values, "data": section(DataConfig),
           "scenario": section(ScenarioConfig), "train": section(TrainConfig), "backbone": values}
    return st.fixed_dictionaries({}, optional=top)


@pytest.fixture(scope="module")
def continual_loaded():
    """Import torch and the strategy registry once, outside the timed cases."""
    from evlearn.continual.runner import BenchConfig, DataConfig, ScenarioConfig, validate

    validate(BenchConfig(data=DataConfig(name="synthetic"), scenario=ScenarioConfig(n_tasks=2)))


@FUZZ
@given(data=st.data())
def test_bench_config_from_random_tables(continual_loaded, data, fuzz_cases):
    from evlearn.config import from_dict
    from evlearn.continual.runner import BenchConfig, validate

    table = data.draw(_bench_dicts())
    _clean(fuzz_cases, "bench config tables", lambda: validate(from_dict(BenchConfig, table)))


@FUZZ
@given(table=st.dictionaries(st.sampled_from(["N", "K", "d", "r", "M", "protocol", "beta", "n_sweeps", "n_measure",
                                              "init", "backend", "p_update", "seed", "typo"]), values, max_size=5))
def test_hebbian_config_from_random_tables(table, fuzz_cases):
    from evlearn.config import from_dict
    from evlearn.hebbian.config import NetworkConfig

    _clean(fuzz_cases, "hebbian config tables", lambda: from_dict(NetworkConfig, table))


@FUZZ
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)),
       suffix=st.sampled_from([".toml", ".yaml", ".yml"]))
def test_config_file_reader_random_bytes(tmp_path_factory, raw, suffix, fuzz_cases):
    from evlearn.config import load_config
    from evlearn.continual.runner import BenchConfig

    path = tmp_path_factory.mktemp("config") / f"c{suffix}"
    path.write_bytes(raw)
    _clean(fuzz_cases, "config files random bytes", lambda: load_config(BenchConfig, path))


# ------------------------------------------------------------------ no half-written output
@settings(max_examples=25, deadline=20000, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=60))
def test_extract_never_half_writes(model_bytes, sample_bytes, tmp_path_factory, raw, fuzz_cases):
    """A bad recording beside a good one: the good one's stream and the manifest are written whole,
    the bad one is listed as failed and has no output, nothing temporary is left."""
    import csv

    from evlearn.cli.main import main

    root = tmp_path_factory.mktemp("extract")
    model = root / "m.npz"
    model.write_bytes(model_bytes[0])
    (root / "in" / "0").mkdir(parents=True)
    (root / "in" / "0" / "a.bin").write_bytes(sample_bytes)
    (root / "in" / "0" / "b.bin").write_bytes(raw)
    fuzz_cases["feast extract (no half-written output)"] = fuzz_cases.get("feast extract (no half-written output)", 0) + 1
    code = main(["feast", "extract", "--model", str(model), "--in", str(root / "in"), "--out", str(root / "out"),
                 "--no-progress"])
    assert code in (0, 2)
    written = sorted(p.relative_to(root / "out").as_posix() for p in (root / "out").rglob("*") if p.is_file())
    assert written == (["0/a.npy", "manifest.csv"] if code == 2 else ["0/a.npy", "0/b.npy", "manifest.csv"])
    with open(root / "out" / "manifest.csv") as handle:
        status = {row["path"]: row["status"] for row in csv.DictReader(handle)}
    assert status["0/a.bin"] == "ok" and (status["0/b.bin"] == "ok") == (code == 0)
    np.load(root / "out" / "0" / "a.npy")  # whole, readable
