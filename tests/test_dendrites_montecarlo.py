"""Monte Carlo kernels: same stream as their NumPy references, and agreement with the theory."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evlearn.dendrites import montecarlo as mc
from evlearn.dendrites import theory

KERNEL_ARGS = {
    "false_match": (400, 30, 12, 3),
    "noise_match": (400, 30, 12, 8, 12),        # v = 12 replaced cells
    "neuron_false_match": (400, 30, 12, 3, 4),
    "union_false_match": (400, 30, 8, 3, 5),
}


@pytest.mark.parametrize("name", sorted(mc.REFERENCES))
def test_kernel_matches_numpy_reference_exactly(name):
    kernel, reference = mc.REFERENCES[name]
    args = KERNEL_ARGS[name]
    for seed in (0, 7):
        assert kernel(*args, 400, seed) == reference(*args, 400, seed)


def test_seeded_and_reproducible():
    a = mc.simulate_false_match(1000, 50, 20, 4, trials=20_000, seed=3)
    b = mc.simulate_false_match(1000, 50, 20, 4, trials=20_000, seed=3)
    c = mc.simulate_false_match(1000, 50, 20, 4, trials=20_000, seed=4)
    assert a == b and a.successes != c.successes


# Parameters where the probabilities are ~1e-2..5e-1, so 60k trials measure them well.
# Every check uses a 99.9% interval: with 8 checks a false alarm has probability < 1%.
CASES = [
    ("false_match", dict(n=1000, a=50, s=20, theta=4), lambda: theory.false_match_probability(1000, 50, 20, 4),
     mc.simulate_false_match),
    ("false_match dense", dict(n=200, a=100, s=24, theta=15), lambda: theory.false_match_probability(200, 100, 24, 15),
     mc.simulate_false_match),
    ("noise_match", dict(n=1000, a=50, s=20, theta=10, noise=0.5),
     lambda: theory.noise_match_probability(50, 20, 10, 0.5), mc.simulate_noise_match),
    ("noise_match high theta", dict(n=2048, a=128, s=30, theta=16, noise=0.55),
     lambda: theory.noise_match_probability(128, 30, 16, 0.55), mc.simulate_noise_match),
    ("neuron_false_match", dict(n=1000, a=50, s=20, theta=5, segments=5),
     lambda: theory.neuron_false_match_probability(1000, 50, 20, 5, 5), mc.simulate_neuron_false_match),
    ("neuron_false_match many", dict(n=2000, a=64, s=24, theta=6, segments=30),
     lambda: theory.neuron_false_match_probability(2000, 64, 24, 6, 30), mc.simulate_neuron_false_match),
    ("union_false_match", dict(n=1000, a=50, s=10, theta=5, patterns=10),
     lambda: theory.union_false_match_probability(1000, 50, 10, 5, 10), mc.simulate_union_false_match),
    ("union_false_match paper", dict(n=1000, a=200, s=25, theta=15, patterns=2),
     lambda: theory.union_false_match_probability(1000, 200, 25, 15, 2), mc.simulate_union_false_match),
]


@pytest.mark.parametrize("label,params,expected,simulate", CASES, ids=[c[0] for c in CASES])
def test_theory_within_binomial_confidence_interval(label, params, expected, simulate):
    p = expected()
    assert 1e-3 < p < 0.999
    result = simulate(**params, trials=60_000, seed=11, level=0.999)
    assert result.contains(p), f"{label}: theory {p:.5g} outside [{result.low:.5g}, {result.high:.5g}]"


def test_union_simulation_distinguishes_exact_from_expected_size_approximation():
    # n=1000, a=50, s=10, M=10: the paper-style expected-size formula is ~0.7% too high;
    # the simulation (seeded) agrees with the exact union and rejects the approximation.
    exact = theory.union_false_match_probability(1000, 50, 10, 5, 10)
    approx = theory.union_false_match_probability_expected_size(1000, 50, 10, 5, 10)
    result = mc.simulate_union_false_match(1000, 50, 10, 5, 10, trials=200_000, seed=5, level=0.99)
    assert result.contains(exact)
    assert not result.contains(approx)


def test_confidence_interval_properties():
    low, high = mc.binomial_confidence_interval(0, 100, 0.95)
    assert low == 0.0 and 0.03 < high < 0.04            # rule of three: ~3/n
    low, high = mc.binomial_confidence_interval(50, 100, 0.95)
    assert low < 0.5 < high and high - low == pytest.approx(0.2, abs=0.01)
    assert mc.binomial_confidence_interval(100, 100)[1] == 1.0


@pytest.mark.parametrize("call,match", [
    (lambda: mc.simulate_false_match(100, 200, 10, 5), "a .* <= n"),
    (lambda: mc.simulate_false_match(100, 20, 10, 11), "theta"),
    (lambda: mc.simulate_false_match(100, 20, 10, 5, trials=0), "trials"),
    (lambda: mc.simulate_false_match(100, 20, 10, 5, seed=-1), "seed"),
    (lambda: mc.simulate_noise_match(100, 90, 10, 5, 0.5), "outside the pattern"),
    (lambda: mc.simulate_noise_match(100, 20, 10, 5, 1.2), "noise"),
    (lambda: mc.simulate_union_false_match(100, 20, 10, 5, 0), "patterns"),
    (lambda: mc.binomial_confidence_interval(5, 3), "successes"),
])
def test_invalid_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@settings(max_examples=25, deadline=None)
@given(st.integers(20, 200), st.data())
def test_kernels_equal_references_for_random_sizes(n, data):
    a = data.draw(st.integers(1, n // 2))
    s = data.draw(st.integers(1, a))
    theta = data.draw(st.integers(0, s))
    v = data.draw(st.integers(0, min(a, n - a)))
    k = data.draw(st.integers(1, 4))
    seed = data.draw(st.integers(0, 2**32 - 1))
    args = {"false_match": (n, a, s, theta), "noise_match": (n, a, s, theta, v),
            "neuron_false_match": (n, a, s, theta, k), "union_false_match": (n, a, s, theta, k)}
    for name, (kernel, reference) in mc.REFERENCES.items():
        assert kernel(*args[name], 30, seed) == reference(*args[name], 30, seed), name
