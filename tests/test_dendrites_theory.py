"""Exact dendrite theory: published numbers, exactness, numerical safety, validation."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evlearn.dendrites import theory


def test_paper_example_8_4e_13():
    p = theory.false_match_probability(10000, 300, 24, 12)
    assert p == pytest.approx(8.37584522709849e-13, rel=1e-8)


@pytest.mark.parametrize("row", theory.paper_checks(), ids=lambda r: r["label"])
def test_published_numbers(row):
    if row["label"] == "notebook example":
        # Numenta evaluated this one term by term in sympy and lost digits; our value is exact.
        exact = float(theory.exact_false_match_probability(10000, 300, 30, 15))
        assert row["computed"] == pytest.approx(exact, rel=1e-9)
        assert row["relative_error"] < 1e-3
    else:
        assert row["relative_error"] < 1e-8


@pytest.mark.parametrize("n,a,s,theta", [(100000, 2000, 40, 20), (100000, 50000, 30, 25), (5000, 2500, 200, 150),
                                         (100000, 100, 50, 30), (300, 64, 64, 12)])
def test_log_space_equals_exact_integers(n, a, s, theta):
    exact = float(theory.exact_false_match_probability(n, a, s, theta))
    assert theory.false_match_probability(n, a, s, theta) == pytest.approx(exact, rel=1e-8)


def test_tiny_values_keep_relative_precision():
    # ~1e-30 and far below: no underflow to 0, exact to 1e-8 relative.
    for n, a, s, theta in [(100000, 2000, 30, 20), (100000, 500, 40, 40)]:
        exact = theory.exact_false_match_probability(n, a, s, theta)
        p = theory.false_match_probability(n, a, s, theta)
        assert 0 < p < 1e-25
        assert p == pytest.approx(float(exact), rel=1e-8)
    # below the float range: the log is still exact (= -log C(n, a) when theta = s = a)
    log_p = theory.log_false_match_probability(100000, 100, 100, 100)
    assert log_p == pytest.approx(-math.log(math.comb(100000, 100)), rel=1e-12)
    assert log_p < math.log(1e-300) and theory.false_match_probability(100000, 100, 100, 100) == 0.0


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 100000), st.data())
def test_probability_in_unit_interval_and_monotone_in_theta(n, data):
    a = data.draw(st.integers(0, n))
    s = data.draw(st.integers(0, min(n, 60)))
    ps = [theory.false_match_probability(n, a, s, t) for t in range(s + 1)]
    assert all(0.0 <= p <= 1.0 for p in ps)
    assert ps[0] == pytest.approx(1.0)
    assert all(later <= earlier * (1 + 1e-9) for earlier, later in zip(ps, ps[1:]))


def test_overlap_distribution_sums_to_one():
    dist = theory.overlap_distribution(1000, 40, 16)
    assert dist.sum() == pytest.approx(1.0, abs=1e-12)
    assert theory.false_match_probability(1000, 40, 16, 3) == pytest.approx(dist[3:].sum(), rel=1e-10)


def test_noise_match_and_false_negative_are_complements():
    for theta in (8, 12, 16):
        for noise in (0.0, 0.2, 0.5, 0.8, 1.0):
            m = theory.noise_match_probability(128, 30, theta, noise)
            f = theory.noise_false_negative_probability(128, 30, theta, noise)
            assert m + f == pytest.approx(1.0, abs=1e-12)
    assert theory.noise_match_probability(128, 30, 12, 0.0) == 1.0
    assert theory.noise_false_negative_probability(128, 30, 12, 0.0) == 0.0


def test_neuron_many_segments():
    p = theory.false_match_probability(2000, 64, 24, 8)
    assert theory.neuron_false_match_probability(2000, 64, 24, 8, 1) == pytest.approx(p)
    assert theory.neuron_false_match_probability(2000, 64, 24, 8, 50) == pytest.approx(1 - (1 - p) ** 50, rel=1e-9)
    tiny = theory.false_match_probability(10000, 300, 24, 12)
    assert theory.neuron_false_match_probability(10000, 300, 24, 12, 100) == pytest.approx(100 * tiny, rel=1e-9)
    # detection: own segment certain without noise
    assert theory.neuron_detection_probability(2000, 64, 24, 8, 10, 0.0) == 1.0


def test_union_exact_reduces_to_single_pattern_and_tracks_approximation():
    assert theory.union_false_match_probability(10000, 200, 25, 15, 1) == pytest.approx(
        theory.false_match_probability(10000, 200, 25, 15), rel=1e-10)
    dist = theory.union_size_distribution(1000, 10, 5)
    assert dist.sum() == pytest.approx(1.0, abs=1e-10)  # log-gamma rounding, ~1e-12 per step
    assert (dist * np.arange(dist.size)).sum() == pytest.approx(theory.expected_union_size(1000, 10, 5), rel=1e-9)
    exact = theory.union_false_match_probability(10000, 200, 25, 15, 10)
    approx = theory.union_false_match_probability_expected_size(10000, 200, 25, 15, 10)
    assert exact == pytest.approx(approx, rel=0.05)


def test_choose_threshold_balances_errors():
    choice = theory.choose_threshold(2000, 64, 24, 0.5)
    for theta in range(1, 25):
        other = theory.false_match_probability(2000, 64, 24, theta) + \
            theory.noise_false_negative_probability(64, 24, theta, 0.5)
        assert choice.total_error <= other * (1 + 1e-12)
    more_noise = theory.choose_threshold(2000, 64, 24, 0.7)
    assert more_noise.theta <= choice.theta


def test_choose_segment_meets_targets_and_is_minimal():
    c = theory.choose_segment(10000, 300, 0.3, max_false_match=1e-9, max_false_negative=1e-3)
    assert c.false_match <= 1e-9 and c.false_negative <= 1e-3
    smaller = [theory.false_match_probability(10000, 300, c.s - 1, t) <= 1e-9 and
               theory.noise_false_negative_probability(300, c.s - 1, t, 0.3) <= 1e-3 for t in range(1, c.s)]
    assert not any(smaller)
    with pytest.raises(ValueError, match="no segment"):
        theory.choose_segment(100, 50, 0.9, max_false_match=1e-12, max_false_negative=1e-12, max_synapses=10)


@pytest.mark.parametrize("call,match", [
    (lambda: theory.false_match_probability(100, 200, 10, 5), "a .* <= n"),
    (lambda: theory.false_match_probability(100, 20, 10, 11), "theta .* <= s"),
    (lambda: theory.false_match_probability(-5, 2, 1, 1), "n must be"),
    (lambda: theory.false_match_probability(100, -1, 1, 1), "a must be"),
    (lambda: theory.false_match_probability(100, 10, 200, 1), "s .* <= n"),
    (lambda: theory.false_match_probability(100, 10, 5, 2.5), "theta must be an integer"),
    (lambda: theory.noise_match_probability(100, 10, 5, 1.5), "noise"),
    (lambda: theory.noise_match_probability(100, 10, 5, -0.1), "noise"),
    (lambda: theory.noise_match_probability(10, 20, 5, 0.1), "s .* <= a"),
    (lambda: theory.neuron_false_match_probability(100, 10, 5, 2, 0), "segments"),
    (lambda: theory.union_false_match_probability(100, 10, 5, 2, 0), "patterns"),
    (lambda: theory.choose_segment(100, 10, 0.1, max_false_match=2.0), "max_false_match"),
])
def test_invalid_parameters_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
