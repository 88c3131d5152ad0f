"""Theory solver against known limits, and simulation against theory at one sweep."""
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from evlearn.hebbian import theory as T
from evlearn.hebbian.config import NetworkConfig
from evlearn.hebbian.experiments import dilution_sweep, run_network


@pytest.mark.parametrize("beta", [1.2, 2.0, 5.0])
def test_d0_single_pattern_is_hopfield_tanh(beta):
    expected = brentq(lambda m: m - math.tanh(beta * m), 1e-6, 1.0)
    assert T.solve(beta, 1, 0.0).m[0] == pytest.approx(expected, abs=1e-8)


def test_above_critical_temperature_is_paramagnetic():
    for d in (0.0, 0.5, 0.8):
        assert T.classify(T.solve(1 / 1.1, 3, d, init="pure").m) == "paramagnetic"


@pytest.mark.parametrize("d", [0.1, 0.3, 0.5, 0.6])
def test_zero_temperature_hierarchy_is_power_law(d):
    # exact while each amplitude exceeds the sum of the following ones (K=3: d < 0.618)
    np.testing.assert_allclose(T.solve(math.inf, 3, d).m, T.hierarchical_amplitudes(3, d), atol=1e-9)


def test_power_law_breaks_above_golden_ratio_dilution():
    d = 0.7
    m = T.solve(math.inf, 3, d).m
    assert abs(m[0] - (1 - d)) > 0.01


def test_strong_dilution_moderate_temperature_is_parallel():
    state = T.solve(1 / 0.5, 3, 0.8, init="pure")
    assert T.classify(state.m) == "parallel"
    assert np.ptp(state.m) < 1e-6 and state.m[0] > 0.1


def test_mild_dilution_low_temperature_is_hierarchical():
    state = T.solve(1 / 0.1, 3, 0.5, init="pure")
    assert T.classify(state.m) == "hierarchical" and state.m[0] > state.m[1] > state.m[2] > 0.05


def test_perfect_examples_reduce_to_stored_archetypes():
    a = T.solve(5.0, 2, 0.4, init="pure").m
    b = T.solve(5.0, 2, 0.4, r=1.0, M=3, init="pure").m  # r = 1: examples equal the archetypes
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_exact_average_approaches_large_M_gaussian_limit():
    exact = T.solve(3.0, 1, 0.2, r=0.3, M=400, averaging="exact").m
    gauss = T.solve(3.0, 1, 0.2, r=0.3, M=400, averaging="gaussian").m
    assert exact[0] == pytest.approx(gauss[0], abs=2e-3)


def test_more_examples_improve_retrieval():
    m = [T.solve(10.0, 1, 0.0, r=0.3, M=M).m[0] for M in (1, 4, 16, 64)]
    assert all(a < b for a, b in zip(m, m[1:]))


def test_simulation_matches_theory_along_dilution_sweep():
    rows = dilution_sweep(N=6000, K=3, beta=50.0, d_sim=(0.3, 0.5), d_theory=np.array([0.3, 0.5]),
                          seeds=(0,), n_sweeps=80, n_measure=30)
    th = {(r["d"], r["k"]): r["m"] for r in rows if r["kind"] == "theory"}
    for r in rows:
        if r["kind"] == "simulation":
            assert r["m"] == pytest.approx(th[(r["d"], r["k"])], abs=0.03), r


@pytest.mark.parametrize("protocol", ["supervised", "unsupervised"])
def test_learnt_network_matches_theory(protocol):
    cfg = NetworkConfig(N=6000, K=2, d=0.3, r=0.5, M=12, protocol=protocol, beta=10.0, n_sweeps=80, n_measure=30)
    result = run_network(cfg)
    np.testing.assert_allclose(result["m_simulation_ordered"], result["m_theory"], atol=0.04)


@pytest.mark.slow
@pytest.mark.parametrize("d, temperature", [(0.8, 0.5), (0.5, 0.1), (0.5, 0.7)])
def test_large_network_matches_theory_in_each_regime(d, temperature):
    cfg = NetworkConfig(N=50_000, K=3, d=d, protocol="archetypes", beta=1 / temperature, n_sweeps=300, n_measure=100)
    result = run_network(cfg)
    dist = T.site_distribution(3, d)
    state = T.solve(cfg.beta, 3, d, init="pure", dist=dist)
    spread = T.finite_size_spread(state, cfg.beta, dist, cfg.N)  # soft modes: see docs/hebbian.md
    np.testing.assert_allclose(result["m_simulation_ordered"], result["m_theory"], atol=0.01 + 3 * spread.max())


def test_finite_size_spread_predicts_sample_to_sample_spread():
    """Pure state at d = 0.5, T = 0.7: the vanishing m_2, m_3 are soft (largest eigenvalue of DF near 1);
    their spread over independent networks of N = 20,000 matches the linear-response estimate."""
    d, beta, N = 0.5, 1 / 0.7, 20_000
    dist = T.site_distribution(3, d)
    state = T.solve(beta, 3, d, init="pure", dist=dist)
    predicted = T.finite_size_spread(state, beta, dist, N)
    assert predicted[1] == pytest.approx(predicted[2]) and predicted[1] > 5 * predicted[0]
    assert 0.9 < T.stability_eigenvalues(state, beta, dist)[0] < 1.0  # stable but soft
    samples = []
    for seed in range(8):
        cfg = NetworkConfig(N=N, K=3, d=d, protocol="archetypes", beta=beta, n_sweeps=150, n_measure=75, seed=seed)
        samples.append(run_network(cfg)["m_simulation"][1:])
    ratio = np.sqrt(np.mean(np.square(samples))) / predicted[1]
    assert 0.6 < ratio < 1.6
    assert T.finite_size_spread(state, beta, dist, 4 * N)[1] == pytest.approx(predicted[1] / 2)
