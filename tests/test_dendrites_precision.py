"""The dendrite theory is exact over its whole documented range, n up to 1e18, against mpmath.

The log-gamma formula it replaced lost 0.1 % at n = 1e12, 92 % at 1e15, and printed
``false_match 1`` from about 1e16 where the true value is about 1e-12.
"""
import json

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evlearn.cli.main import main
from evlearn.dendrites import theory as T

mpmath.mp.dps = 50
RTOL = 1e-9


def hypergeometric(n, a, s, b):
    """P(overlap = b): C(s, b) C(n - s, a - b) / C(n, a) in 50-digit arithmetic."""
    if b < 0 or a - b < 0 or b > s or a - b > n - s:
        return mpmath.mpf(0)
    return mpmath.binomial(s, b) * mpmath.binomial(n - s, a - b) / mpmath.binomial(n, a)


def false_match_ref(n, a, s, theta):
    return sum((hypergeometric(n, a, s, b) for b in range(theta, s + 1)), mpmath.mpf(0))


def union_ref(n, a, s, theta, patterns):
    size = {s: mpmath.mpf(1)}
    for _ in range(patterns - 1):
        grown = {}
        for u, p in size.items():
            for j in range(s + 1):  # j new cells: C(u, s - j) C(n - u, j) / C(n, s)
                grown[u + j] = grown.get(u + j, 0) + p * hypergeometric(n, u, s, s - j)
        size = grown
    return sum((p * false_match_ref(n, a, u, theta) for u, p in size.items() if u >= theta), mpmath.mpf(0))


def close(computed, reference):
    return computed == pytest.approx(float(reference), rel=RTOL, abs=0)


@pytest.mark.parametrize("n", [10**4, 10**9, 10**12, 10**13, 10**15, 10**16, 10**17, 10**18])
@pytest.mark.parametrize("fraction, s, theta", [(None, 24, 12), (0.02, 24, 12), (0.3, 40, 10), (0.9, 16, 14)])
def test_false_match_matches_mpmath_up_to_1e18(n, fraction, s, theta):
    a = 300 if fraction is None else int(n * fraction)
    assert close(T.false_match_probability(n, a, s, theta), false_match_ref(n, a, s, theta))


@pytest.mark.parametrize("n", [10**6, 10**13, 10**18])
def test_noise_and_union_match_mpmath_for_huge_n(n):
    a = n // 50
    v = T.replaced_cells(a, 0.3)
    tail = sum((hypergeometric(a, v, 20, k) for k in range(20 - 8 + 1, 21)), mpmath.mpf(0))
    assert close(T.noise_false_negative_probability(a, 20, 8, 0.3, n=n), tail)
    assert close(T.union_false_match_probability(n, a, 8, 3, 3), union_ref(n, a, 8, 3, 3))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(exponent=st.floats(1, 18), fraction=st.floats(0, 1), s=st.integers(0, 60), data=st.data())
def test_false_match_property_against_mpmath(exponent, fraction, s, data):
    n = max(1, int(10**exponent))
    s = min(s, n)
    a = int(fraction * n)
    theta = data.draw(st.integers(0, s))
    assert close(T.false_match_probability(n, a, s, theta), false_match_ref(n, a, s, theta))


def test_population_above_the_documented_range_is_refused(capsys):
    with pytest.raises(ValueError, match=r"n must be in \[1, 1000000000000000000\]"):
        T.false_match_probability(10**19, 300, 24, 12)
    assert main(["dendrites", "prob", "--n", str(10**19), "--a", "300", "--s", "24", "--theta", "12"]) == 2
    assert "n must be in" in capsys.readouterr().err


def test_cli_prints_the_true_tiny_value_at_n_1e16(capsys):
    n = 10**16
    a = n // 50
    assert main(["dendrites", "prob", "--n", str(n), "--a", str(a), "--s", "24", "--theta", "12", "--json"]) == 0
    value = json.loads(capsys.readouterr().out)["false_match"]
    assert close(value, false_match_ref(n, a, 24, 12)) and value < 1e-11
