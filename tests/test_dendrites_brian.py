"""Brian2 dendrite model: plateaus, predictive firing, spike-based rates vs theory."""
from __future__ import annotations

import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")
# brian2's equation parser calls a pyparsing API that newer pyparsing deprecates
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pyparsing")

from evlearn.dendrites import brian as dbrian  # noqa: E402
from evlearn.dendrites import theory  # noqa: E402
from evlearn.dendrites.experiments import PatternDetectionConfig, design_experiment, run_pattern_detection  # noqa: E402


def _small_model(rng, theta=6, record_voltage=None):
    n, a, s, neurons, segments = 300, 20, 10, 6, 2
    stored = [np.sort(rng.choice(n, a, replace=False)) for _ in range(neurons * segments)]
    cells = np.array([rng.choice(p, s, replace=False) for p in stored])
    owner = np.repeat(np.arange(neurons), segments)
    # present stored pattern of segment 0 (neuron 0), of segment 5 (neuron 2), then a random SDR
    presented = [stored[0], stored[5], np.sort(rng.choice(n, a, replace=False))]
    model = dbrian.build_network(n, cells, owner, theta, presented, seed=1, record_voltage=[0])
    return dbrian.run_network(model), cells, presented


def test_stored_patterns_make_their_neuron_fire_first(rng):
    model, cells, presented = _small_model(rng)
    latency = dbrian.first_spike_latencies(model)
    assert latency.shape == (3, 6)
    assert np.isfinite(latency).all()                  # feed-forward drive fires every neuron
    detected = dbrian.detections(model)
    # overlaps decide which segments had a plateau; theta=6 of s=10
    overlap = np.array([[np.isin(c, p).sum() for c in cells] for p in presented])
    plateau = dbrian.plateau_matrix(model)
    np.testing.assert_array_equal(plateau, overlap >= 6)
    expected_neuron = (overlap >= 6).reshape(3, 6, 2).any(axis=2)
    np.testing.assert_array_equal(detected, expected_neuron)
    assert detected[0, 0] and detected[1, 2]
    # predicted neurons fire clearly earlier than the others
    assert latency[detected].max() + 3e-3 < latency[~detected].min()


def test_plateau_depolarises_soma_below_threshold(rng):
    model, _, _ = _small_model(rng)
    p = model.params
    v = model.voltages.v[0] / brian2.mV
    t = model.voltages.t / brian2.ms
    before_ff = (t > 5) & (t < float(p.ff_onset / brian2.ms))      # neuron 0 predicted in presentation 0
    assert v[before_ff].max() > -70 + 5
    assert v[before_ff].max() < float(p.v_threshold / brian2.mV)


def test_codegen_target_is_restored():
    before = brian2.prefs.codegen.target
    with dbrian.codegen_target("numpy"):
        assert brian2.prefs.codegen.target == "numpy"
    assert brian2.prefs.codegen.target == before
    with pytest.raises(ValueError, match="codegen target"):
        with dbrian.codegen_target("cuda"):
            pass


def test_numpy_target_builds_without_compiling(rng, monkeypatch):
    """build_network used to create synapses under Brian2's global target ("auto": Cython wherever a compiler
    is present), so every numpy-target run, the default test suite included, compiled Cython."""
    from brian2.codegen.runtime.cython_rt import extension_manager

    def no_compiler(*args, **kwargs):
        raise AssertionError("Cython compiled for a numpy-target network")

    monkeypatch.setattr(extension_manager.cython_extension_manager, "create_extension", no_compiler)
    with dbrian.codegen_target("cython"):           # the global target a user may have chosen
        model, _, _ = _small_model(rng)
    assert dbrian.detections(model)[0, 0]


def test_small_sweep_rates_agree_with_theory():
    config = PatternDetectionConfig(n=400, a=20, s=10, thetas=(2, 4), fp_neurons=10, bank=3, replicas=3,
                                    noise_levels=(0.0, 0.6), random_presentations=6, seed=2)
    result = run_pattern_detection(config)
    assert len(result.false_positive) == 2 and len(result.detection) == 4
    for row in result.false_positive + result.detection:
        assert row["inside_ci"], row
    theta2 = result.false_positive[0]
    assert theta2["trials"] == 10 * (3 * 2 + 6)
    assert theta2["theory"] == pytest.approx(theory.neuron_false_match_probability(400, 20, 10, 2, 3))
    assert theta2["hits"] > 0                            # theta=2 false positives are frequent (~0.3)
    assert result.latency_ms["detected_median"] < result.latency_ms["undetected_median"]


def test_design_is_seeded_and_segments_sample_their_pattern():
    config = PatternDetectionConfig(n=300, a=20, s=8, thetas=(3,), fp_neurons=2, bank=2, replicas=2,
                                    noise_levels=(0.5,), random_presentations=1, seed=4)
    d1, d2 = design_experiment(config), design_experiment(config)
    np.testing.assert_array_equal(d1.synapse_cells, d2.synapse_cells)
    assert d1.synapse_cells.shape == ((2 + 2 * 2) * 3, 8)
    for cells in d1.synapse_cells:
        assert np.unique(cells).size == 8
    for sdr, noise in zip(d1.presented, d1.presented_noise):
        assert sdr.size == 20 and np.unique(sdr).size == 20


@pytest.mark.parametrize("kwargs,match", [
    (dict(s=50), "s must be <= a"),
    (dict(thetas=(20,)), "theta"),
    (dict(noise_levels=(1.5,)), "noise"),
    (dict(bank=0), "bank"),
    (dict(a=2000), "a .* <= n"),
])
def test_invalid_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PatternDetectionConfig(**kwargs).validate()


def test_build_network_rejects_bad_patterns():
    cells = np.arange(10).reshape(2, 5)
    with pytest.raises(ValueError, match="pattern 0"):
        dbrian.build_network(20, cells, [0, 0], 3, [np.array([1, 1, 2])])
    with pytest.raises(ValueError, match="one row per segment"):
        dbrian.build_network(20, cells[:1], [0, 0], 3, [np.array([1, 2])])


@pytest.mark.slow
def test_cython_target_gives_same_spikes(rng):
    pytest.importorskip("Cython")
    model_np, cells, presented = _small_model(np.random.default_rng(3))
    rng2 = np.random.default_rng(3)
    n, a, s, neurons, segments = 300, 20, 10, 6, 2
    stored = [np.sort(rng2.choice(n, a, replace=False)) for _ in range(neurons * segments)]
    cells2 = np.array([rng2.choice(p, s, replace=False) for p in stored])
    presented2 = [stored[0], stored[5], np.sort(rng2.choice(n, a, replace=False))]
    model = dbrian.build_network(n, cells2, np.repeat(np.arange(neurons), segments), 6, presented2, seed=1,
                                 target="cython")
    dbrian.run_network(model, target="cython")
    np.testing.assert_array_equal(dbrian.detections(model), dbrian.detections(model_np))


def test_sdr_spike_times_one_spike_per_active_cell_within_spread():
    params = dbrian.DendriteParams()
    patterns = [np.array([3, 7, 9]), np.array([1, 2])]
    indices, times = dbrian.sdr_spike_times(patterns, params, np.random.default_rng(0))
    t_ms = np.asarray(times / brian2.ms)
    np.testing.assert_array_equal(indices, [3, 7, 9, 1, 2])
    period, spread = float(params.period / brian2.ms), float(params.spread / brian2.ms)
    assert ((t_ms[:3] >= 0) & (t_ms[:3] < spread)).all()
    assert ((t_ms[3:] >= period) & (t_ms[3:] < period + spread)).all()
