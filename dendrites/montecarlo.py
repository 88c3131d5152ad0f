"""Monte Carlo checks of the dendrite theory: sample random SDRs and segments, count matches.

One numba kernel per formula of :mod:`evlearn.dendrites.theory`, each beside a
plain NumPy reference that runs the same algorithm on the same random stream
(numba's ``np.random`` is the Mersenne Twister of ``np.random.RandomState``, so
for one seed both give identical counts; tests check this). The public
functions validate their arguments, call the kernel and return a
:class:`MonteCarloResult` with an exact (Clopper-Pearson) confidence interval.

Random subsets are drawn by a partial Fisher-Yates shuffle of a persistent
permutation (k swaps give a uniform k-subset whatever the current order), and
marks are cleared cell by cell, so a trial costs O(a + s) and not O(n).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.special import betaincinv

from evlearn.dendrites import theory
from evlearn.validation import check_number

__all__ = [
    "MonteCarloResult",
    "binomial_confidence_interval",
    "simulate_false_match",
    "simulate_noise_match",
    "simulate_neuron_false_match",
    "simulate_union_false_match",
]


@dataclass(frozen=True)
class MonteCarloResult:
    """``successes`` matches in ``trials`` trials; ``low``/``high``: the exact CI at ``level``."""

    successes: int
    trials: int
    level: float
    low: float
    high: float

    @property
    def rate(self) -> float:
        """Estimated probability: successes / trials."""
        return self.successes / self.trials

    def contains(self, probability: float) -> bool:
        """Whether ``probability`` lies in the confidence interval [low, high]."""
        return self.low <= probability <= self.high


def binomial_confidence_interval(successes: int, trials: int, level: float = 0.99) -> tuple[float, float]:
    """Exact two-sided Clopper-Pearson interval for a binomial proportion."""
    check_number(trials, "trials", low=1, integer=True)
    check_number(successes, "successes", low=0, high=trials, integer=True)
    check_number(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)
    alpha = 1.0 - level
    low = 0.0 if successes == 0 else float(betaincinv(successes, trials - successes + 1, alpha / 2))
    high = 1.0 if successes == trials else float(betaincinv(successes + 1, trials - successes, 1 - alpha / 2))
    return low, high


def _result(successes, trials, level):
    low, high = binomial_confidence_interval(int(successes), trials, level)
    return MonteCarloResult(int(successes), trials, level, low, high)


MAX_SIMULATED_N = 10**8   # the kernels hold a permutation of all n cells (8 bytes each)


def _check_common(trials, seed, level, n):
    if n > MAX_SIMULATED_N:
        raise ValueError(f"n={n} is too large to simulate (a permutation of n cells, {8 * n / 1e9:.3g} GB); "
                         f"simulation takes n <= {MAX_SIMULATED_N:.0e}, the exact theory n <= 1e18")
    check_number(trials, "trials", low=1, integer=True)
    check_number(seed, "seed", low=0, high=2**32 - 1, integer=True)
    check_number(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)


# ----------------------------------------------------------------- numba kernels
@njit(cache=True)
def _draw(perm, k):
    """Partial Fisher-Yates: perm[:k] becomes a uniform random k-subset of perm."""
    m = perm.size
    for i in range(k):
        j = i + int(np.random.random() * (m - i))
        tmp = perm[i]
        perm[i] = perm[j]
        perm[j] = tmp


@njit(cache=True)
def _false_match_kernel(n, a, s, theta, trials, seed):
    np.random.seed(seed)
    perm = np.arange(n)
    on_segment = np.zeros(n, np.bool_)
    perm_segment = np.empty(s, np.int64)
    hits = 0
    for _ in range(trials):
        _draw(perm, s)                      # the segment's synapses
        for i in range(s):
            perm_segment[i] = perm[i]
            on_segment[perm[i]] = True
        _draw(perm, a)                      # a random SDR
        overlap = 0
        for i in range(a):
            if on_segment[perm[i]]:
                overlap += 1
        if overlap >= theta:
            hits += 1
        for i in range(s):                  # unmark in O(s), not O(n)
            on_segment[perm_segment[i]] = False
    return hits


@njit(cache=True)
def _noise_match_kernel(n, a, s, theta, v, trials, seed):
    np.random.seed(seed)
    perm = np.arange(n)
    pattern = np.empty(a, np.int64)
    segment = np.empty(s, np.int64)
    present = np.zeros(n, np.bool_)
    hits = 0
    for _ in range(trials):
        _draw(perm, a)                      # the stored pattern: perm[:a]
        pattern[:] = perm[:a]
        _draw(pattern, s)                   # segment: s cells of the pattern
        segment[:] = pattern[:s]
        _draw(pattern, v)                   # noisy copy: drop v pattern cells ...
        for i in range(v, a):
            present[pattern[i]] = True
        outside = perm[a:]                  # ... and add v cells from outside it (a view)
        _draw(outside, v)
        for i in range(v):
            present[outside[i]] = True
        overlap = 0
        for i in range(s):
            if present[segment[i]]:
                overlap += 1
        if overlap >= theta:
            hits += 1
        for i in range(v, a):               # unmark in O(a), not O(n)
            present[pattern[i]] = False
        for i in range(v):
            present[outside[i]] = False
    return hits


@njit(cache=True)
def _neuron_false_match_kernel(n, a, s, theta, segments, trials, seed):
    np.random.seed(seed)
    perm = np.arange(n)
    synapses = np.empty((segments, s), np.int64)
    active = np.zeros(n, np.bool_)
    hits = 0
    for _ in range(trials):
        for k in range(segments):
            _draw(perm, s)
            synapses[k, :] = perm[:s]
        _draw(perm, a)
        for i in range(a):
            active[perm[i]] = True
        for k in range(segments):
            overlap = 0
            for i in range(s):
                if active[synapses[k, i]]:
                    overlap += 1
            if overlap >= theta:
                hits += 1
                break
        for i in range(a):
            active[perm[i]] = False
    return hits


@njit(cache=True)
def _union_false_match_kernel(n, a, s, theta, patterns, trials, seed):
    np.random.seed(seed)
    perm = np.arange(n)
    pattern = np.empty(a, np.int64)
    on_segment = np.zeros(n, np.bool_)
    marked = np.empty(patterns * s, np.int64)
    hits = 0
    for _ in range(trials):
        for m in range(patterns):
            _draw(perm, a)                  # stored pattern m
            pattern[:] = perm[:a]
            _draw(pattern, s)               # its s synapses join the segment
            for i in range(s):
                on_segment[pattern[i]] = True
                marked[m * s + i] = pattern[i]
        _draw(perm, a)                      # a new random SDR
        overlap = 0
        for i in range(a):
            if on_segment[perm[i]]:
                overlap += 1
        if overlap >= theta:
            hits += 1
        for i in range(patterns * s):
            on_segment[marked[i]] = False
    return hits


# --------------------------------------------------------- NumPy references
class _Stream:
    """The same Mersenne Twister stream the numba kernels use (legacy RandomState)."""

    def __init__(self, seed):
        self.rs = np.random.RandomState(seed)

    def draw(self, perm, k):
        m = perm.size
        for i in range(k):
            j = i + int(self.rs.random_sample() * (m - i))
            perm[i], perm[j] = perm[j], perm[i]


def _false_match_reference(n, a, s, theta, trials, seed):
    rng, perm, hits = _Stream(seed), np.arange(n), 0
    for _ in range(trials):
        rng.draw(perm, s)
        segment = perm[:s].copy()
        rng.draw(perm, a)
        hits += np.isin(perm[:a], segment).sum() >= theta
    return int(hits)


def _noise_match_reference(n, a, s, theta, v, trials, seed):
    rng, perm, hits = _Stream(seed), np.arange(n), 0
    for _ in range(trials):
        rng.draw(perm, a)
        pattern, outside = perm[:a].copy(), perm[a:]     # outside: a view, shuffled in place
        rng.draw(pattern, s)
        segment = pattern[:s].copy()
        rng.draw(pattern, v)
        rng.draw(outside, v)
        noisy = np.concatenate([pattern[v:], outside[:v]])
        hits += np.isin(segment, noisy).sum() >= theta
    return int(hits)


def _neuron_false_match_reference(n, a, s, theta, segments, trials, seed):
    rng, perm, hits = _Stream(seed), np.arange(n), 0
    for _ in range(trials):
        synapses = []
        for _k in range(segments):
            rng.draw(perm, s)
            synapses.append(perm[:s].copy())
        rng.draw(perm, a)
        active = perm[:a]
        hits += any(np.isin(syn, active).sum() >= theta for syn in synapses)
    return int(hits)


def _union_false_match_reference(n, a, s, theta, patterns, trials, seed):
    rng, perm, hits = _Stream(seed), np.arange(n), 0
    for _ in range(trials):
        cells = []
        for _m in range(patterns):
            rng.draw(perm, a)
            pattern = perm[:a].copy()
            rng.draw(pattern, s)
            cells.append(pattern[:s])
        segment = np.unique(np.concatenate(cells))
        rng.draw(perm, a)
        hits += np.isin(perm[:a], segment).sum() >= theta
    return int(hits)


# ------------------------------------------------------------------ public API
def simulate_false_match(n: int, a: int, s: int, theta: int, trials: int = 100_000, seed: int = 0,
                         level: float = 0.99) -> MonteCarloResult:
    """Sample ``trials`` (random segment, random SDR) pairs; count overlaps >= theta.

    Estimates :func:`evlearn.dendrites.theory.false_match_probability`.
    """
    theory.check_sizes(n, a, s, theta)
    _check_common(trials, seed, level, n)
    return _result(_false_match_kernel(n, a, s, theta, trials, seed), trials, level)


def simulate_noise_match(n: int, a: int, s: int, theta: int, noise: float, trials: int = 100_000,
                         seed: int = 0, level: float = 0.99) -> MonteCarloResult:
    """Store a random pattern on a segment, replace round(noise*a) of its cells, test the match.

    Estimates :func:`evlearn.dendrites.theory.noise_match_probability`.
    """
    v = theory.check_noise_args(a, s, theta, noise, n)
    if v > n - a:
        raise ValueError(f"cannot replace {v} cells: only n - a = {n - a} cells lie outside the pattern")
    _check_common(trials, seed, level, n)
    return _result(_noise_match_kernel(n, a, s, theta, v, trials, seed), trials, level)


def simulate_neuron_false_match(n: int, a: int, s: int, theta: int, segments: int, trials: int = 100_000,
                                seed: int = 0, level: float = 0.99) -> MonteCarloResult:
    """A neuron with ``segments`` random segments sees a random SDR; count any-segment matches.

    Estimates :func:`evlearn.dendrites.theory.neuron_false_match_probability`.
    """
    theory.check_sizes(n, a, s, theta)
    theory.check_count(segments, "segments")
    _check_common(trials, seed, level, n)
    return _result(_neuron_false_match_kernel(n, a, s, theta, segments, trials, seed), trials, level)


def simulate_union_false_match(n: int, a: int, s: int, theta: int, patterns: int, trials: int = 100_000,
                               seed: int = 0, level: float = 0.99) -> MonteCarloResult:
    """One segment stores ``patterns`` random patterns (s synapses each); count matches of a new SDR.

    Estimates :func:`evlearn.dendrites.theory.union_false_match_probability`.
    """
    theory.check_sizes(n, a, s, theta)
    theory.check_count(patterns, "patterns")
    _check_common(trials, seed, level, n)
    return _result(_union_false_match_kernel(n, a, s, theta, patterns, trials, seed), trials, level)


REFERENCES = {
    "false_match": (_false_match_kernel, _false_match_reference),
    "noise_match": (_noise_match_kernel, _noise_match_reference),
    "neuron_false_match": (_neuron_false_match_kernel, _neuron_false_match_reference),
    "union_false_match": (_union_false_match_kernel, _union_false_match_reference),
}
