"""Theory solver against known limits, and simulation against theory at one sweep."""
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from evlearn.hebbian import theory as T
from evlearn.hebbian.config import NetworkConfig
from evlearn.hebbian import regimes as R
from evlearn.hebbian.experiments import Sampling, dilution_sweep, ordered, run_network


@pytest.mark.parametrize("beta", [1.2, 2.0, 5.0])
def test_d0_single_pattern_is_hopfield_tanh(beta):
    expected = brentq(lambda m: m - math.tanh(beta * m), 1e-6, 1.0)
    assert T.solve(beta, 1, 0.0).m[0] == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize("convention, Tc", [("mean-field", lambda d: 1.0), ("hebb", lambda d: 1.0 - d)])
def test_above_critical_temperature_is_paramagnetic(convention, Tc):
    for d in (0.0, 0.5, 0.8):
        assert T.classify(T.solve(1 / (1.1 * Tc(d)), 3, d, init="pure", convention=convention).m) == "paramagnetic"
        assert T.classify(T.solve(1 / (0.9 * Tc(d)), 3, d, init="pure", convention=convention).m) != "paramagnetic"


@pytest.mark.parametrize("d", [0.3, 0.8])
def test_conventions_differ_only_by_temperature_scale(d):
    """beta J is the same when T_mean-field = T_hebb / (1 - d)."""
    hebb = T.solve(1 / 0.1, 3, d, init="pure")
    mean_field = T.solve((1 - d) / 0.1, 3, d, init="pure", convention="mean-field")
    np.testing.assert_allclose(hebb.m, mean_field.m, atol=1e-8)


@pytest.mark.parametrize("d", [0.1, 0.3, 0.5, 0.6])
def test_zero_temperature_hierarchy_is_power_law(d):
    # exact while each amplitude exceeds the sum of the following ones (K=3: d < 0.618)
    np.testing.assert_allclose(T.solve(math.inf, 3, d).m, T.hierarchical_amplitudes(3, d), atol=1e-9)


def test_power_law_breaks_above_golden_ratio_dilution():
    d = 0.7
    m = T.solve(math.inf, 3, d).m
    assert abs(m[0] - (1 - d)) > 0.01


def test_strong_dilution_moderate_temperature_is_parallel():
    state = T.solve(1 / 0.5, 3, 0.8, init="pure", convention="mean-field")
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
    sampling = Sampling(N=6000, n_seeds=1, n_sweeps=80, n_measure=30)
    rows = dilution_sweep(sampling, part="test", K=3, T=0.02, d_sim=(0.3, 0.5), d_theory=np.array([0.3, 0.5]))
    th = {(r["d"], r["k"]): r["m"] for r in rows if r["kind"] == "theory"}
    sims = [r for r in rows if r["kind"] == "numba"]
    assert len(sims) == 6
    for r in sims:
        assert r["m"] == pytest.approx(th[(r["d"], r["k"])], abs=0.03), r


def _simulated(K, d, temperature, seeds, N=20_000):
    return np.array([run_network(NetworkConfig(N=N, K=K, d=d, protocol="archetypes", beta=1 / temperature,
                                               n_sweeps=120, n_measure=60, seed=s))["m_simulation_ordered"]
                     for s in seeds])


def test_parallel_regime_equal_amplitudes_at_strong_dilution_plain_convention():
    """K = 3, d = 0.8, T = 0.1 (plain Hebbian couplings): theory and simulation give equal amplitudes."""
    K, d, temperature = 3, 0.8, 0.1
    dist = T.site_distribution(K, d)
    state = T.solve(1 / temperature, K, d, init="pure", dist=dist)
    assert T.classify(state.m) == "parallel" and np.ptp(state.m) < 1e-6 and state.m[0] > 0.1
    spread = T.finite_size_spread(state, 1 / temperature, dist, 20_000)
    simulated = _simulated(K, d, temperature, seeds=(0, 1))
    np.testing.assert_allclose(simulated.mean(axis=0), ordered(state.m), atol=0.01 + 3 * spread.max())
    assert np.ptp(simulated.mean(axis=0)) < 0.03  # equal up to finite size (sorting biases the largest up)


def test_hierarchical_power_law_at_mild_dilution_plain_convention():
    """K = 3, d = 0.3, T = 0.02: m_k = (1 - d) d^(k-1) in theory and simulation."""
    K, d, temperature = 3, 0.3, 0.02
    power_law = T.hierarchical_amplitudes(K, d)
    state = T.solve(1 / temperature, K, d, init="pure")
    assert T.classify(state.m) == "hierarchical"
    np.testing.assert_allclose(ordered(state.m), power_law, atol=2e-3)
    simulated = _simulated(K, d, temperature, seeds=(0,))[0]
    np.testing.assert_allclose(simulated, power_law, atol=0.015)
    assert simulated[0] > simulated[1] > simulated[2] > 0.03


def test_plain_convention_reaches_parallel_where_mean_field_at_fixed_T_does_not():
    """The issue's observation: at fixed low T the mean-field convention never turns parallel (K = 2);
    the plain convention at fixed T turns parallel from d = 0.7 (grid of 0.05)."""
    d_values = tuple(round(0.05 * i, 2) for i in range(19))
    plain = R.solve_line(R.RegimeLine(2, 0.1, "cue", d_values))
    assert R.parallel_onset(plain, 2, 0.1) == 0.7
    mean_field = R.solve_line(R.RegimeLine(2, 0.02, "cue", d_values, convention="mean-field"))
    assert R.parallel_onset(mean_field, 2, 0.02) is None


@pytest.mark.parametrize("m, regime", [
    ([0.0, 0.0005, 0.0], "paramagnetic"), ([0.5, 0.0, 0.0], "pure"), ([0.3, 0.3, 0.3], "parallel"),
    ([0.6, 0.24, 0.1], "hierarchical"), ([0.3, 0.3, 0.0], "mixture"), ([0.23, 0.23, 0.19], "mixture"),
])
def test_classify_names_each_regime(m, regime):
    assert T.classify(m) == regime


def test_mixture_starts_and_their_stability():
    assert [R.theory.mixture_members(K, "mixture_even") for K in (2, 3, 4)] == [2, 2, 4]
    assert [R.theory.mixture_members(K, "mixture_odd") for K in (2, 3, 4)] == [1, 3, 3]
    d_values = (0.0, 0.5)
    rows = R.solve_line(R.RegimeLine(3, 0.1, "mixture_odd", d_values))
    # d = 0: the symmetric 3-mixture of the Hopfield model (m = 1/2 each at T -> 0), stable at low T
    assert rows[0]["regime"] == "parallel" and rows[0]["m_1"] == pytest.approx(0.5, abs=1e-3) and rows[0]["stable"]
    even = R.solve_line(R.RegimeLine(2, 0.1, "mixture_even", (0.0,)))[0]
    # d = 0, K = 2: the even mixture has m = (1/2, 1/2) and is unstable (a saddle), as in the Hopfield model
    assert even["m_1"] == pytest.approx(0.5, abs=1e-3) and not even["stable"]


@pytest.mark.parametrize("protocol", ["supervised", "unsupervised"])
def test_learnt_network_matches_theory(protocol):
    cfg = NetworkConfig(N=6000, K=2, d=0.3, r=0.5, M=12, protocol=protocol, beta=10.0, n_sweeps=80, n_measure=30)
    result = run_network(cfg)
    np.testing.assert_allclose(result["m_simulation_ordered"], result["m_theory"], atol=0.04)


@pytest.mark.slow
@pytest.mark.parametrize("d, temperature", [(0.8, 0.5), (0.5, 0.1), (0.5, 0.7)])
def test_large_network_matches_theory_in_each_regime(d, temperature):
    cfg = NetworkConfig(N=50_000, K=3, d=d, protocol="archetypes", beta=1 / temperature, n_sweeps=300, n_measure=100,
                        convention="mean-field")
    result = run_network(cfg)
    dist = T.site_distribution(3, d, convention="mean-field")
    state = T.solve(cfg.beta, 3, d, init="pure", dist=dist)
    spread = T.finite_size_spread(state, cfg.beta, dist, cfg.N)  # soft modes: see docs/hebbian.md
    np.testing.assert_allclose(result["m_simulation_ordered"], result["m_theory"], atol=0.01 + 3 * spread.max())


def test_finite_size_spread_predicts_sample_to_sample_spread():
    """Pure state at d = 0.5, T = 0.7: the vanishing m_2, m_3 are soft (largest eigenvalue of DF near 1);
    their spread over independent networks of N = 20,000 matches the linear-response estimate."""
    d, beta, N = 0.5, 1 / 0.7, 20_000
    dist = T.site_distribution(3, d, convention="mean-field")
    state = T.solve(beta, 3, d, init="pure", dist=dist)
    predicted = T.finite_size_spread(state, beta, dist, N)
    assert predicted[1] == pytest.approx(predicted[2]) and predicted[1] > 5 * predicted[0]
    assert 0.9 < T.stability_eigenvalues(state, beta, dist)[0] < 1.0  # stable but soft
    samples = []
    for seed in range(8):
        cfg = NetworkConfig(N=N, K=3, d=d, protocol="archetypes", beta=beta, n_sweeps=150, n_measure=75, seed=seed,
                            convention="mean-field")
        samples.append(run_network(cfg)["m_simulation"][1:])
    ratio = np.sqrt(np.mean(np.square(samples))) / predicted[1]
    assert 0.6 < ratio < 1.6
    assert T.finite_size_spread(state, beta, dist, 4 * N)[1] == pytest.approx(predicted[1] / 2)
