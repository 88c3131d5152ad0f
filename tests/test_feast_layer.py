"""FEAST layer: the learning rule on hand-made streams, kernel vs NumPy reference, API contract."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from evlearn.events import make_events
from evlearn.feast.kernels import MODES, feast_kernel, feast_reference, layout
from evlearn.feast import FEAST, NotFittedError

FAR = 10**9  # microseconds between repetitions: exp(-FAR / tau) == 0.0 in float64


def repeated_pattern(n, x=3, y=2):
    """One event at the same pixel, repeated far apart in time: the context is the same unit vector."""
    return make_events([x] * n, [y] * n, np.arange(n) * FAR, [0] * n)


def test_single_repeated_pattern_is_learned_by_one_neuron():
    model = FEAST(n_neurons=4, radius=1, tau_us=1000.0, eta=0.05, polarity="merge", sensor_size=(8, 8, 1))
    before = None
    model.partial_fit(repeated_pattern(1))
    before = model.weights_.copy()
    winners = model._learn_stream(repeated_pattern(300))
    assert len(set(winners.tolist())) == 1, "every repetition must be won by the same neuron"
    k = int(winners[0])
    pattern = np.zeros(9)
    pattern[4] = 1.0  # centre of the 3x3 patch
    assert model.weights_[k] @ pattern > 0.999
    others = np.arange(4) != k
    np.testing.assert_array_equal(model.weights_[others], before[others])  # losers never learn
    np.testing.assert_allclose(np.linalg.norm(model.weights_, axis=1), 1.0)
    assert model.history_["wins"][k] == 301


def test_threshold_rises_by_delta_i_for_the_winner_only():
    model = FEAST(n_neurons=3, radius=1, delta_i=0.25, delta_e=0.5, polarity="merge", sensor_size=(8, 8, 1))
    model.partial_fit(repeated_pattern(1))
    model.thresholds_[:] = [-5.0, -5.0, -5.0]
    winners = model._learn_stream(repeated_pattern(1))
    k = int(winners[0])
    expected = np.full(3, -5.0)
    expected[k] += 0.25
    np.testing.assert_array_equal(model.thresholds_, expected)


def test_no_match_lowers_every_threshold_by_delta_e():
    model = FEAST(n_neurons=3, radius=1, delta_i=0.25, delta_e=0.5, polarity="merge", sensor_size=(8, 8, 1))
    model.partial_fit(repeated_pattern(1))
    weights = model.weights_.copy()
    model.thresholds_[:] = [2.0, 3.0, 4.0]  # dot products of unit vectors are <= 1: nobody matches
    winners = model._learn_stream(repeated_pattern(2))
    assert winners.tolist() == [-1, -1]
    np.testing.assert_allclose(model.thresholds_, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(model.weights_, weights)
    assert model.history_["missed"][-1] == 2


def test_winner_is_best_matching_neuron_above_threshold():
    model = FEAST(n_neurons=2, radius=0, polarity="merge", sensor_size=(4, 4, 1))
    model.partial_fit(repeated_pattern(1))
    # radius 0: the context is the scalar 1, dot products are the weights themselves
    model.weights_[:] = [[1.0], [1.0]]
    model.thresholds_[:] = [1.5, 0.0]  # neuron 0 has the same dot product but does not match
    assert model._learn_stream(repeated_pattern(1)).tolist() == [1]


def test_split_polarity_uses_one_population_per_channel():
    model = FEAST(n_neurons=4, radius=1, sensor_size=(8, 8, 2))
    events = make_events([1, 2, 3, 4], [1, 1, 1, 1], [0, 10, 20, 30], [0, 1, 0, 1])
    model.partial_fit(events)
    out = model.transform(events)
    assert model.n_features_out_ == 8
    assert np.all((out["p"] < 4) == (events["p"] == 0))


def random_stream(draw, width, height, channels, n):
    x = draw(st.lists(st.integers(0, width - 1), min_size=n, max_size=n))
    y = draw(st.lists(st.integers(0, height - 1), min_size=n, max_size=n))
    p = draw(st.lists(st.integers(0, channels - 1), min_size=n, max_size=n))
    dt = draw(st.lists(st.integers(0, 5000), min_size=n, max_size=n))
    return np.array(x), np.array(y), np.cumsum(dt).astype(np.int64), np.array(p)


@st.composite
def layer_case(draw):
    width, height = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    channels = draw(st.integers(1, 3))
    mode = draw(st.sampled_from(sorted(MODES.values())))
    radius = draw(st.integers(0, 2))
    K = draw(st.integers(1, 5))
    n = draw(st.integers(1, 60))
    stream = random_stream(draw, width, height, channels, n)
    seed = draw(st.integers(0, 2**16))
    thresholds_start = draw(st.floats(-0.5, 0.9))
    tau = draw(st.sampled_from([2000.0, 40.0]))  # 40 us: the kernel's memory rebases often
    return width, height, channels, mode, radius, K, stream, seed, thresholds_start, tau


@settings(max_examples=60, deadline=None)
@given(layer_case(), st.booleans(), st.booleans())
def test_kernel_agrees_with_numpy_reference_event_by_event(case, learn, use_threshold):
    width, height, channels, mode, radius, K, (x, y, t, p), seed, theta0, tau = case
    _, groups, n_ctx = layout(mode, channels, radius)
    rng = np.random.default_rng(seed)
    weights = rng.random((groups, K, n_ctx))
    weights /= np.linalg.norm(weights, axis=2, keepdims=True)
    thresholds = np.full((groups, K), theta0)
    w_ref, th_ref = weights.copy(), thresholds.copy()
    w_t, th_k = np.ascontiguousarray(weights.transpose(0, 2, 1)), thresholds.copy()
    params = (radius, tau, mode, width, height, channels, learn, use_threshold, 0.1, 0.01, 0.03)
    expected = feast_reference(x, y, t, p, w_ref, th_ref, *params)
    got = feast_kernel(x, y, t, p, w_t, th_k, *params)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(w_t.transpose(0, 2, 1), w_ref, atol=1e-12)
    np.testing.assert_allclose(th_k, th_ref, atol=1e-12)


def test_layer_kernel_and_reference_give_same_fit(nmnist_dir):
    from evlearn.datasets.nmnist import read_nmnist

    stream = read_nmnist(next(iter(sorted((nmnist_dir / "Test").rglob("*.bin")))))[:400]
    fast = FEAST(n_neurons=8, radius=2).partial_fit(stream)
    slow = FEAST(n_neurons=8, radius=2).partial_fit(stream, reference=True)
    np.testing.assert_allclose(fast.weights_, slow.weights_, atol=1e-12)
    np.testing.assert_array_equal(fast.transform(stream)["p"], slow.transform(stream, reference=True)["p"])


def test_fixed_seed_is_reproducible_and_seeds_differ(nmnist_dir):
    from evlearn.datasets.nmnist import read_nmnist

    streams = [read_nmnist(p)[:500] for p in sorted((nmnist_dir / "Test").rglob("*.bin"))[:3]]
    a = FEAST(n_neurons=8, seed=1).fit(streams)
    b = FEAST(n_neurons=8, seed=1).fit(streams)
    c = FEAST(n_neurons=8, seed=2).fit(streams)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_array_equal(a.thresholds_, b.thresholds_)
    assert not np.array_equal(a.weights_, c.weights_)


def test_transform_keeps_xyt_and_does_not_learn():
    events = make_events([1, 2, 3], [1, 2, 3], [0, 5, 9], [0, 1, 1])
    model = FEAST(n_neurons=4, radius=1, sensor_size=(6, 6, 2)).fit([events])
    weights, thresholds = model.weights_.copy(), model.thresholds_.copy()
    out = model.transform(events)
    for field in "xyt":
        np.testing.assert_array_equal(out[field], events[field])
    assert out["p"].min() >= 0 and out["p"].max() < model.n_features_out_
    np.testing.assert_array_equal(model.weights_, weights)
    np.testing.assert_array_equal(model.thresholds_, thresholds)
    assert model.transform(events[:0]).size == 0


def test_threshold_inference_drops_unmatched_events():
    events = make_events([1, 2, 3], [1, 2, 3], [0, 5, 9], [0, 0, 0])
    model = FEAST(n_neurons=2, radius=1, polarity="merge", sensor_size=(6, 6, 1), inference="threshold").fit([events])
    model.thresholds_[:] = 2.0
    assert model.transform(events).size == 0


def test_get_set_params_round_trip():
    model = FEAST(n_neurons=7)
    params = model.get_params()
    assert params["n_neurons"] == 7 and params["delta_e"] == 0.003
    clone = FEAST(**params)
    assert clone.get_params() == params
    assert model.set_params(radius=2) is model and model.radius == 2
    with pytest.raises(ValueError, match="Invalid parameter 'radii'"):
        model.set_params(radii=3)


@pytest.mark.parametrize("params, match", [
    ({"n_neurons": 0}, "n_neurons"),
    ({"radius": -1}, "radius"),
    ({"tau_us": 0}, "tau_us"),
    ({"eta": 1.5}, "eta"),
    ({"polarity": "both"}, "polarity"),
    ({"inference": "soft"}, "inference"),
    ({"sensor_size": (34, 34)}, "sensor_size"),
])
def test_bad_parameters_are_clear_errors(params, match):
    events = make_events([1], [1], [0], [0])
    with pytest.raises(ValueError, match=match):
        FEAST(**params).fit([events])


def test_bad_inputs_are_clear_errors():
    good = make_events([1, 2], [1, 2], [0, 5], [0, 1])
    with pytest.raises(NotFittedError, match="not fitted"):
        FEAST().transform(good)
    with pytest.raises(ValueError, match="non-decreasing"):
        FEAST().fit([make_events([1, 2], [1, 2], [5, 0], [0, 0])])
    with pytest.raises(ValueError, match="outside the sensor"):
        FEAST().fit([make_events([40], [1], [0], [0])])
    with pytest.raises(ValueError, match="structured array"):
        FEAST().fit([np.zeros((3, 4))])
    with pytest.raises(ValueError, match="list of event streams"):
        FEAST().fit(good)
    with pytest.raises(ValueError, match="empty"):
        FEAST().fit([])
    model = FEAST(n_neurons=4).fit([good])
    model.set_params(radius=2)
    with pytest.raises(ValueError, match="refit"):
        model.transform(good)


def test_diagnostics_recorded_during_fit():
    streams = [make_events(np.arange(5), np.arange(5), np.arange(5) * 100, [0, 1, 0, 1, 0]) for _ in range(3)]
    model = FEAST(n_neurons=4, n_epochs=2).fit(streams)
    history = model.history_
    assert history["events"] == [5, 10, 15, 20, 25, 30]
    assert len(history["thresholds"]) == 6 and history["thresholds"][0].shape == (8,)
    assert history["wins"].sum() + sum(history["missed"]) == 30
