"""Learning rules on hand-computed cases, parameter validation, numba kernel vs NumPy reference."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from evlearn.hebbian import couplings as C
from evlearn.hebbian import glauber as G
from evlearn.hebbian import patterns as P

EXAMPLES = np.array([[[1, -1, 1], [1, 1, 0]]], dtype=np.int8)  # K=1, M=2, N=3


def test_dataset_entropy_hand_value():
    assert P.dataset_entropy(2, 0.5) == pytest.approx(1.5)  # (1 - 1/4) / (2 / 4)
    assert P.dataset_entropy(1, 1.0) == 0.0


@pytest.mark.parametrize("convention, c", [("hebb", 1.0), ("mean-field", 1 / 0.75)])
def test_supervised_couplings_hand_computed(convention, c):
    # zeta = (eta1 + eta2) / (r M) = (2, 0, 1); scale = c / (1 + 1.5), c = 1 or 1 / (1 - 0.25)
    J = C.supervised_couplings(EXAMPLES, r=0.5, d=0.25, convention=convention).dense()
    expected = np.array([[0, 0, 2], [0, 0, 0], [2, 0, 0]]) * c / 2.5 / 3
    np.testing.assert_allclose(J, expected)


@pytest.mark.parametrize("convention, c", [("hebb", 1.0), ("mean-field", 1 / 0.75)])
def test_unsupervised_couplings_hand_computed(convention, c):
    # J_ij = c sum_A eta_i eta_j / (N r^2 M (1 + rho)) = c sum_A eta_i eta_j * 4 / (3 * 2 * 2.5)
    J = C.unsupervised_couplings(EXAMPLES, r=0.5, d=0.25, convention=convention).dense()
    expected = np.array([[0, 0, 1], [0, 0, -1], [1, -1, 0]]) * c * 4 / 15
    np.testing.assert_allclose(J, expected)


def test_archetype_couplings_plain_hebb_by_default_and_over_one_minus_d_in_mean_field():
    xi = np.array([[1, 0, -1, 1], [0, 1, 1, -1]], dtype=np.int8)
    expected = (xi.T.astype(float) @ xi) / 4
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(C.archetype_couplings(xi, d=0.5).dense(), expected)
    mean_field = C.archetype_couplings(xi, d=0.5, convention="mean-field")
    np.testing.assert_allclose(mean_field.dense(), expected / 0.5)
    assert mean_field.convention == "mean-field" and C.DEFAULT_CONVENTION == "hebb"


def test_unknown_convention_is_a_clear_error():
    with pytest.raises(ValueError, match="convention must be one of"):
        C.archetype_couplings(np.ones((1, 3), np.int8), d=0.1, convention="plain")


def test_low_rank_fields_equal_dense_fields(rng):
    xi = P.make_archetypes(50, 3, 0.4, rng)
    eta = P.make_examples(xi, 5, 0.7, rng)
    sigma = np.where(rng.random(50) < 0.5, -1, 1)
    for protocol in ("supervised", "unsupervised"):
        c = C.hebbian_couplings(protocol, d=0.4, examples=eta, r=0.7)
        np.testing.assert_allclose(c.local_fields(sigma), c.dense() @ sigma, atol=1e-12)


def test_examples_keep_blanks_and_flip_with_probability(rng):
    xi = P.make_archetypes(20_000, 1, 0.3, rng)
    eta = P.make_examples(xi, 4, 0.6, rng)
    assert np.all(eta[:, :, xi[0] == 0] == 0)
    support = xi[0] != 0
    flipped = (eta[0][:, support] != xi[0][support]).mean()
    assert flipped == pytest.approx((1 - 0.6) / 2, abs=0.01)
    assert (xi == 0).mean() == pytest.approx(0.3, abs=0.01)


@pytest.mark.parametrize("call", [
    lambda: P.make_archetypes(10, 2, 1.0),
    lambda: P.make_archetypes(10, 2, -0.1),
    lambda: P.make_archetypes(10, 11, 0.2),
    lambda: P.make_archetypes(10, 0, 0.2),
    lambda: P.make_examples(np.ones((1, 3), np.int8), 0, 0.5),
    lambda: P.make_examples(np.ones((1, 3), np.int8), 2, 0.0),
    lambda: P.make_examples(np.ones((1, 3), np.int8), 2, 1.5),
    lambda: P.make_examples(np.full((1, 3), 2), 2, 0.5),
    lambda: P.dataset_entropy(0, 0.5),
    lambda: P.check_beta(0.0),
    lambda: P.check_beta(-1.0),
    lambda: C.hebbian_couplings("hebb", d=0.1, archetypes=np.ones((1, 3))),
    lambda: G.simulate(C.archetype_couplings(np.ones((1, 4), np.int8), 0.0), np.ones((1, 4)), 1.0, 0),
])
def test_invalid_parameters_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_numba_kernel_matches_numpy_reference(rng):
    xi = P.make_archetypes(60, 2, 0.3, rng)
    eta = P.make_examples(xi, 3, 0.6, rng)
    for protocol in ("supervised", "unsupervised"):
        c = C.hebbian_couplings(protocol, d=0.3, examples=eta, r=0.6)
        fast = G.simulate(c, xi, 2.0, 6, init="archetype", seed=7)
        slow = G.simulate(c, xi, 2.0, 6, init="archetype", seed=7, reference=True)
        np.testing.assert_array_equal(fast.sigma, slow.sigma)
        np.testing.assert_allclose(fast.m_trace, slow.m_trace, atol=1e-12)


def test_simulate_is_seeded_by_default_and_records_its_seed(rng):
    xi = P.make_archetypes(300, 2, 0.3, rng)
    c = C.archetype_couplings(xi, 0.3)
    a, b = G.simulate(c, xi, 5.0, 3), G.simulate(c, xi, 5.0, 3)
    assert a.seed == 0 and np.array_equal(a.sigma, b.sigma)
    assert not np.array_equal(a.sigma, G.simulate(c, xi, 5.0, 3, seed=1).sigma)


def test_cost_trace_is_the_hamiltonian_of_the_dense_couplings(rng):
    xi = P.make_archetypes(80, 2, 0.4, rng)
    c = C.supervised_couplings(P.make_examples(xi, 3, 0.6, rng), 0.6, 0.4)
    result = G.simulate(c, xi, 3.0, 4, init="archetype", record_cost=True)
    s = result.sigma.astype(float)
    assert result.cost_trace[-1] == pytest.approx(-0.5 * s @ c.dense() @ s / 80)


def test_zero_temperature_dynamics_keeps_a_stored_pattern(rng):
    xi = P.make_archetypes(500, 1, 0.0, rng)
    result = G.simulate(C.archetype_couplings(xi, 0.0), xi, math.inf, 3, init="archetype", seed=1)
    assert result.m_mean[0] == 1.0


@settings(max_examples=25, deadline=None)
@given(d=st.floats(0.0, 0.9), r=st.floats(0.05, 1.0), M=st.integers(1, 30))
def test_learnt_feature_has_unit_normalised_self_overlap(d, r, M):
    from evlearn.hebbian.theory import site_distribution

    dist = site_distribution(1, d, r, M, averaging="exact", convention="mean-field")
    assert dist.weights.sum() == pytest.approx(1.0)
    second_moment = dist.weights @ dist.features[:, 0] ** 2
    assert second_moment * dist.scale == pytest.approx(1.0, rel=1e-9)  # (1-d)(1+rho) * 1/((1+rho)(1-d))
    hebb = site_distribution(1, d, r, M, averaging="exact")
    assert second_moment * hebb.scale == pytest.approx(1.0 - d, rel=1e-9)  # plain Hebbian: 1 - d


@settings(max_examples=20, deadline=None)
@given(N=st.integers(2, 30), K=st.integers(1, 3), d=st.floats(0.0, 0.9), M=st.integers(1, 4),
       beta=st.sampled_from([0.3, 1.0, 4.0, 50.0]), protocol=st.sampled_from(C.PROTOCOLS),
       seed=st.integers(0, 2**16))
def test_kernel_equals_reference_for_any_small_network(N, K, d, M, beta, protocol, seed):
    # finite beta only: at T = 0 a field that is 0 in exact arithmetic may round to +-1e-17 differently
    rng = np.random.default_rng(seed)
    K = min(K, N)
    xi = P.make_archetypes(N, K, d, rng)
    eta = P.make_examples(xi, M, 0.5, rng)
    c = C.hebbian_couplings(protocol, d=d, archetypes=xi, examples=eta, r=0.5)
    fast = G.simulate(c, xi, beta, 3, seed=seed)
    slow = G.simulate(c, xi, beta, 3, seed=seed, reference=True)
    np.testing.assert_array_equal(fast.sigma, slow.sigma)
