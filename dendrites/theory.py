"""Exact sparse-representation theory of dendritic segments.

After Ahmad & Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active
dendrites", arXiv:1601.00720 (2016).

Notation (the paper's): a population of ``n`` cells of which ``a`` are active
(a random SDR); a dendritic segment with ``s`` synapses onto distinct cells; the
segment produces an NMDA spike ("matches") when at least ``theta`` of its
synapses see an active cell.

Every probability is a hypergeometric tail summed in log space: each term is a
product of ratios of exact integer differences (never a difference of huge
log-gammas), so values as small as 1e-300 keep full relative precision for any
population size n up to 1e18 (checked against mpmath in the tests; larger n is
refused), and no probability is ever negative or above one. Where a probability
is close to one, the complementary tail is summed instead of computing ``1 - p``.
``exact_false_match_probability`` repeats the main formula with Python integers
(slow, exact) as a reference for tests.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.special import logsumexp

from evlearn.validation import check_number

__all__ = [
    "false_match_probability",
    "log_false_match_probability",
    "exact_false_match_probability",
    "overlap_distribution",
    "replaced_cells",
    "noise_match_probability",
    "noise_false_negative_probability",
    "neuron_false_match_probability",
    "neuron_detection_probability",
    "expected_union_size",
    "union_size_distribution",
    "union_false_match_probability",
    "union_false_match_probability_expected_size",
    "ThresholdChoice",
    "choose_threshold",
    "choose_segment",
    "PAPER_VALUES",
]


# --------------------------------------------------------------------- validation
MAX_N = 10**18  # population sizes up to here are exact to a few ulps (int64 differences; checked with mpmath)

def check_sizes(n, a, s, theta=None):
    """Check population size ``n``, active cells ``a``, synapses ``s`` and threshold ``theta``.

    ``a, s <= n`` and ``theta <= s``; ValueError naming the first bad argument.
    """
    check_number(n, "n", low=1, high=MAX_N, integer=True)
    check_number(a, "a", low=0, integer=True)
    check_number(s, "s", low=0, integer=True)
    if a > n:
        raise ValueError(f"a (active cells) must be <= n (population size), got a={a}, n={n}")
    if s > n:
        raise ValueError(f"s (synapses on the segment) must be <= n (population size), got s={s}, n={n}")
    if theta is not None:
        check_number(theta, "theta", low=0, integer=True)
        if theta > s:
            raise ValueError(f"theta (NMDA threshold) must be <= s (synapses), got theta={theta}, s={s}")


def _check_fraction(value, name):
    return check_number(value, name, low=0.0, high=1.0)


# ---------------------------------------------------------------- log probabilities
def _prob(log_p: float) -> float:
    """exp of a log probability, clipped into [0, 1] against rounding."""
    return float(min(1.0, math.exp(min(0.0, log_p)))) if log_p > -np.inf else 0.0


def overlap_distribution(n: int, a: int, s: int) -> np.ndarray:
    """P(overlap = b) for b = 0..s between a fixed s-cell segment and a random a-of-n SDR.

    Hypergeometric: C(s, b) C(n - s, a - b) / C(n, a). Returned as float64
    (entries below ~1e-308 underflow to 0; use the log functions for tails).
    """
    check_sizes(n, a, s)
    return np.exp(_log_overlap(n, a, s))


def _log_overlap(n, a, s):
    """log of C(s, b) C(n - s, a - b) / C(n, a) for b = 0..s, to a few ulps for any n <= MAX_N.

    Differences of log-gammas of n lose every digit for huge n (gammaln(1e15) ~ 3e16), so the
    ratio is written as products of s factors, each a ratio of exact int64 differences:
    C(n - s, a - b) / C(n, a) = prod_{i<b} (a - i) / (n - s + 1 + i) * prod_{j<s-b} (n - a - j) / (n - j).
    ``a`` may be an integer array of shape (U,): the result then has shape (U, s + 1).
    """
    n, s = int(n), int(s)
    a = np.asarray(a, dtype=np.int64)[..., None]
    i = np.arange(s, dtype=np.int64)
    with np.errstate(divide="ignore"):
        log_hits = np.log(np.maximum(a - i, 0) / (n - s + 1 + i))       # -inf once i >= a
        log_misses = np.log(np.maximum(n - a - i, 0) / (n - i))         # -inf once i >= n - a
        log_choose = np.log((s - i) / (i + 1.0))
    zero = np.zeros((*a.shape[:-1], 1))
    hits = np.concatenate((zero, np.cumsum(log_hits, axis=-1)), axis=-1)
    misses = np.concatenate((zero, np.cumsum(log_misses, axis=-1)), axis=-1)
    choose = np.concatenate(([0.0], np.cumsum(log_choose)))
    return choose + hits + misses[..., ::-1]


# ------------------------------------------------------------------ false match
def log_false_match_probability(n: int, a: int, s: int, theta: int) -> float:
    """Natural log of :func:`false_match_probability` (``-inf`` when it is exactly 0)."""
    check_sizes(n, a, s, theta)
    return float(logsumexp(_log_overlap(n, a, s)[theta:]))


def false_match_probability(n: int, a: int, s: int, theta: int) -> float:
    """Probability that a random SDR (a of n cells active) makes a segment spike.

    P = sum_{b=theta..s} C(s, b) C(n - s, a - b) / C(n, a)   (Ahmad & Hawkins 2016, eq. 1)

    The segment has ``s`` synapses on distinct cells and an NMDA threshold
    ``theta``. Example from the paper: n=10000, a=300, s=24, theta=12 gives 8.4e-13.

    Parameters
    ----------
    n : int
        Cells in the population (1 <= n <= 1e18).
    a : int
        Active cells of an SDR (0 <= a <= n).
    s : int
        Synapses of the segment, on distinct cells (s <= n).
    theta : int
        NMDA threshold: active synapses needed for a spike (0 <= theta <= s).

    Returns
    -------
    float
        A probability in [0, 1], with full relative precision down to about 1e-300.

    Raises
    ------
    ValueError
        An argument out of range (the message names it).

    Examples
    --------
    >>> from evlearn.dendrites import theory
    >>> f"{theory.false_match_probability(n=10_000, a=300, s=24, theta=12):.2e}"   # the paper's 8.4e-13
    '8.38e-13'
    """
    return _prob(log_false_match_probability(n, a, s, theta))


def exact_false_match_probability(n: int, a: int, s: int, theta: int) -> Fraction:
    """The same sum with exact integers (a ``Fraction``); slow, for reference and tests."""
    check_sizes(n, a, s, theta)
    numerator = sum(math.comb(s, b) * math.comb(n - s, a - b) for b in range(theta, s + 1) if a - b >= 0)
    return Fraction(numerator, math.comb(n, a))


# ----------------------------------------------------------------------- noise
def replaced_cells(a: int, noise: float) -> int:
    """Number of active cells replaced at noise fraction ``noise``: round(noise * a), half up."""
    check_number(a, "a", low=0, integer=True)
    _check_fraction(noise, "noise")
    return int(math.floor(noise * a + 0.5))


def _log_noise_loss(a, s, v):
    """log P(k of the segment's s cells are among the v replaced cells), k = 0..s."""
    return _log_overlap(a, v, s)


def check_noise_args(a, s, theta, noise, n):
    """Check the noise formulas' arguments (``s <= a``, ``theta <= s``, noise in [0, 1]).

    Returns the number of pattern cells the noise replaces; ValueError naming the first bad argument.
    """
    if n is not None:
        check_sizes(n, a, s, theta)
    check_number(a, "a", low=1, high=MAX_N, integer=True)
    check_number(s, "s", low=0, integer=True)
    check_number(theta, "theta", low=0, integer=True)
    if s > a:
        raise ValueError(f"s (synapses) must be <= a: a segment samples cells of one stored pattern, got s={s}, a={a}")
    if theta > s:
        raise ValueError(f"theta (NMDA threshold) must be <= s (synapses), got theta={theta}, s={s}")
    return replaced_cells(a, noise)


def noise_match_probability(a: int, s: int, theta: int, noise: float, n: int | None = None) -> float:
    """Probability that a stored pattern still makes its segment spike under noise.

    The segment's ``s`` synapses sample cells of a stored pattern with ``a``
    active cells. Noise replaces ``v = round(noise * a)`` of those cells with
    cells outside the pattern (so the noisy SDR still has ``a`` active cells).
    The segment loses ``k`` synapses with k ~ Hypergeometric(a, s, v) and still
    matches while ``s - k >= theta``:

        P = sum_{k=0..s-theta} C(s, k) C(a - s, v - k) / C(a, v).

    ``n`` does not enter (replacement cells never hit the segment); pass it to
    have it validated against ``a`` and ``s``.

    Parameters
    ----------
    a, s, theta : int
        Active cells of the pattern, synapses of the segment (s <= a), NMDA threshold (theta <= s).
    noise : float
        Fraction of the pattern's active cells replaced by other cells, in [0, 1].
    n : int, optional
        Population size, only checked.

    Returns
    -------
    float
        A probability in [0, 1], with full relative precision down to about 1e-300.

    Raises
    ------
    ValueError
        An argument out of range (the message names it).

    Examples
    --------
    >>> from evlearn.dendrites import theory
    >>> round(theory.noise_match_probability(a=300, s=24, theta=12, noise=0.5), 4)
    0.584
    """
    v = check_noise_args(a, s, theta, noise, n)
    return _prob(float(logsumexp(_log_noise_loss(a, s, v)[: s - theta + 1])))


def noise_false_negative_probability(a: int, s: int, theta: int, noise: float, n: int | None = None) -> float:
    """1 - :func:`noise_match_probability`, summed directly (accurate when tiny).

    P = sum_{k=s-theta+1..s} C(s, k) C(a - s, v - k) / C(a, v), the paper's
    false-negative equation for a pattern with ``v`` replaced cells.

    Parameters
    ----------
    a, s, theta : int
        Active cells of the pattern, synapses of the segment (s <= a), NMDA threshold (theta <= s).
    noise : float
        Fraction of the pattern's active cells replaced by other cells, in [0, 1].
    n : int, optional
        Population size, only checked.

    Returns
    -------
    float
        A probability in [0, 1], with full relative precision down to about 1e-300.

    Raises
    ------
    ValueError
        An argument out of range (the message names it).

    Examples
    --------
    >>> from evlearn.dendrites import theory
    >>> round(theory.noise_false_negative_probability(a=300, s=24, theta=12, noise=0.5), 4)
    0.416
    """
    v = check_noise_args(a, s, theta, noise, n)
    return _prob(float(logsumexp(_log_noise_loss(a, s, v)[s - theta + 1:])))


# ------------------------------------------------------------ many segments
def check_count(value, name):
    """``value`` as a count >= 1 (ValueError naming ``name`` otherwise)."""
    return check_number(value, name, low=1, integer=True)


def neuron_false_match_probability(n: int, a: int, s: int, theta: int, segments: int) -> float:
    """Probability that any of ``segments`` independent segments matches a random SDR.

    Given the SDR, each segment (its own random synapses) matches independently
    with the single-segment probability p, so P = 1 - (1 - p)^segments, computed
    as -expm1(segments * log1p(-p)) to stay accurate for tiny p.

    Parameters
    ----------
    n : int
        Cells in the population (1 <= n <= 1e18).
    a : int
        Active cells of an SDR (0 <= a <= n).
    s : int
        Synapses of the segment, on distinct cells (s <= n).
    theta : int
        NMDA threshold: active synapses needed for a spike (0 <= theta <= s).
    segments : int
        Segments of the neuron (>= 1).

    Returns
    -------
    float
        A probability in [0, 1], with full relative precision down to about 1e-300.

    Raises
    ------
    ValueError
        An argument out of range (the message names it).

    Examples
    --------
    >>> from evlearn.dendrites import theory
    >>> f"{theory.neuron_false_match_probability(10_000, 300, 24, 12, segments=100):.2e}"
    '8.38e-11'
    """
    check_count(segments, "segments")
    p = false_match_probability(n, a, s, theta)
    if p >= 1.0:
        return 1.0
    return float(min(1.0, -math.expm1(segments * math.log1p(-p))))


def neuron_detection_probability(n: int, a: int, s: int, theta: int, segments: int, noise: float = 0.0) -> float:
    """Probability that a neuron fires for one of its stored patterns under noise.

    The segment storing the pattern matches with :func:`noise_match_probability`;
    the other ``segments - 1`` segments (other, independent patterns) each see a
    uniformly random SDR and add false matches. P = 1 - (1 - p_own)(1 - p_fm)^(segments-1).

    Parameters
    ----------
    n : int
        Cells in the population (1 <= n <= 1e18).
    a : int
        Active cells of an SDR (0 <= a <= n).
    s : int
        Synapses of the segment, on distinct cells (s <= n).
    theta : int
        NMDA threshold: active synapses needed for a spike (0 <= theta <= s).
    segments : int
        Segments of the neuron (>= 1), one per stored pattern.
    noise : float
        Fraction of the pattern's active cells replaced by other cells, in [0, 1].

    Returns
    -------
    float
        A probability in [0, 1], with full relative precision down to about 1e-300.

    Raises
    ------
    ValueError
        An argument out of range (the message names it).

    Examples
    --------
    >>> from evlearn.dendrites import theory
    >>> round(theory.neuron_detection_probability(10_000, 300, 24, 12, segments=100, noise=0.3), 4)
    0.9913
    """
    check_count(segments, "segments")
    p_miss = noise_false_negative_probability(a, s, theta, noise, n=n)
    p_fm = false_match_probability(n, a, s, theta)
    log_none = math.log(p_miss) if p_miss > 0 else -math.inf
    if segments > 1:
        log_none += (segments - 1) * math.log1p(-p_fm) if p_fm < 1 else -math.inf
    return float(min(1.0, -math.expm1(log_none))) if log_none > -math.inf else 1.0


# ---------------------------------------------------------------------- unions
def expected_union_size(n: int, s: int, patterns: int) -> float:
    """Expected number of distinct synapses after storing ``patterns`` random s-cell samples.

    n * (1 - (1 - s/n)^M), the formula Numenta's union scripts use.
    """
    check_sizes(n, 0, s)
    check_count(patterns, "patterns")
    return float(n * -math.expm1(patterns * math.log1p(-s / n))) if s < n else float(n)


def union_size_distribution(n: int, s: int, patterns: int, *, progress: bool = False) -> np.ndarray:
    """P(the union of ``patterns`` random s-subsets of n cells has u cells), u = 0..min(n, M*s).

    Exact Markov chain: adding one s-subset to a union of u cells adds j new
    cells with probability C(u, s - j) C(n - u, j) / C(n, s). The work grows as
    ``union_work(s, patterns)``.
    """
    check_sizes(n, 0, s)
    check_count(patterns, "patterns")
    return np.exp(_log_union_size(n, s, patterns, progress))


def union_work(s: int, patterns: int) -> int:
    """Terms the exact union chain evaluates (at most): s + 1 per reachable size per added pattern."""
    return (s + 1) * sum(k * s - s + 1 for k in range(1, patterns))


def _log_union_size(n, s, patterns, progress=False):
    from evlearn.progress import progress_bar

    top = min(n, patterns * s)
    log_p = np.full(top + 1, -np.inf)
    log_p[s] = 0.0
    for _ in progress_bar(range(patterns - 1), progress, desc="union sizes", unit="pattern"):
        new = np.full(top + 1, -np.inf)
        sizes = np.flatnonzero(np.isfinite(log_p))
        steps = _log_overlap(n, sizes, s)[:, ::-1]   # [u, j]: C(u, s - j) C(n - u, j) / C(n, s), by symmetry
        for j in range(s + 1):  # sizes are distinct, so each j writes distinct targets u + j
            ok = np.isfinite(steps[:, j])
            target = sizes[ok] + j
            new[target] = np.logaddexp(new[target], log_p[sizes[ok]] + steps[ok, j])
        log_p = new
    return log_p


def union_false_match_probability(n: int, a: int, s: int, theta: int, patterns: int, *,
                                  progress: bool = False) -> float:
    """False-match probability of one segment storing the union of ``patterns`` patterns.

    The union property: the segment holds ``s`` synapses to each of ``M =
    patterns`` random patterns (a of n active), randomly mixed, and spikes when
    >= theta synapses see a new random SDR. Exact: the number of distinct
    synapses u follows :func:`union_size_distribution`, and
    P = sum_u P(u) * false_match_probability(n, a, u, theta).

    Parameters
    ----------
    n : int
        Cells in the population (1 <= n <= 1e18).
    a : int
        Active cells of an SDR (0 <= a <= n).
    s : int
        Synapses of the segment, on distinct cells (s <= n).
    theta : int
        NMDA threshold: active synapses needed for a spike (0 <= theta <= s).
    patterns : int
        M, patterns stored on the segment (>= 1).
    progress : bool, default False
        Show a progress bar over the exact union chain (see :func:`union_work`).

    Returns
    -------
    float
        A probability in [0, 1], with full relative precision down to about 1e-300.

    Raises
    ------
    ValueError
        An argument out of range (the message names it).

    Examples
    --------
    >>> from evlearn.dendrites import theory
    >>> f"{theory.union_false_match_probability(n=2048, a=40, s=20, theta=10, patterns=10):.2e}"
    '2.82e-03'
    """
    check_sizes(n, a, s, theta)
    check_count(patterns, "patterns")
    log_size = _log_union_size(n, s, patterns, progress)
    terms = [log_size[u] + (log_false_match_probability(n, a, u, theta) if u >= theta else -np.inf)
             for u in np.flatnonzero(np.isfinite(log_size))]
    return _prob(float(logsumexp(terms)))


def union_false_match_probability_expected_size(n: int, a: int, s: int, theta: int, patterns: int) -> float:
    """Paper-style approximation: one segment with round(expected_union_size) synapses."""
    check_sizes(n, a, s, theta)
    size = int(round(expected_union_size(n, s, patterns)))
    return false_match_probability(n, a, size, theta) if size >= theta else 0.0


# ----------------------------------------------------------- choosing theta / s
@dataclass(frozen=True)
class ThresholdChoice:
    """A segment design: threshold, synapse count and its two error rates."""

    n: int
    a: int
    s: int
    theta: int
    noise: float
    false_match: float        # random SDR wrongly matched
    false_negative: float     # stored pattern missed at this noise level

    @property
    def total_error(self) -> float:
        """False-match plus false-negative probability at this threshold."""
        return self.false_match + self.false_negative


def choose_threshold(n: int, a: int, s: int, noise: float, false_match_weight: float = 1.0) -> ThresholdChoice:
    """The theta in 1..s minimising ``false_match_weight * P(false match) + P(false negative)``.

    Raising theta lowers false matches but makes noisy patterns fail; with equal
    weights this is the error of a detector seeing random and stored-noisy SDRs
    equally often. Ties go to the larger theta (fewer false matches).

    Parameters
    ----------
    n, a, s : int
        Population, active cells, synapses of the segment (as :func:`false_match_probability`).
    noise : float
        Fraction of the pattern's active cells replaced by other cells, in [0, 1].
    false_match_weight : float, default 1.0
        Weight of false matches against false negatives (>= 0).

    Returns
    -------
    ThresholdChoice
        The chosen ``theta`` with its false-match and false-negative probabilities.

    Examples
    --------
    >>> from evlearn.dendrites import theory
    >>> choice = theory.choose_threshold(n=10_000, a=300, s=24, noise=0.3)
    >>> choice.theta, f"{choice.false_match:.1e}", f"{choice.false_negative:.1e}"
    (7, '4.5e-06', '2.7e-06')
    """
    check_sizes(n, a, s)
    check_number(s, "s", low=1, integer=True)
    check_number(false_match_weight, "false_match_weight", low=0.0)
    best = None
    for theta in range(1, s + 1):
        choice = ThresholdChoice(n, a, s, theta, noise, false_match_probability(n, a, s, theta),
                                 noise_false_negative_probability(a, s, theta, noise, n=n))
        cost = false_match_weight * choice.false_match + choice.false_negative
        if best is None or cost <= best[0]:
            best = (cost, choice)
    return best[1]


def choose_segment(n: int, a: int, noise: float, max_false_match: float = 1e-9,
                   max_false_negative: float = 1e-3, max_synapses: int | None = None) -> ThresholdChoice:
    """The smallest segment (s, then theta) meeting both error targets at this noise level.

    For each s = 1, 2, ... (up to ``max_synapses``, default a) the thresholds with
    P(false match) <= max_false_match are tried from the lowest (most noise
    tolerant); the first s where the false-negative target also holds wins.
    Raises ValueError when no segment up to ``max_synapses`` meets both targets.

    Parameters
    ----------
    n, a : int
        Population and active cells.
    noise : float
        Fraction of the pattern's active cells replaced by other cells, in [0, 1].
    max_false_match, max_false_negative : float
        Error targets, probabilities in [0, 1].
    max_synapses : int, optional
        Largest s tried (default ``a``).

    Returns
    -------
    ThresholdChoice
        The smallest ``s`` and its lowest suitable ``theta``, with both error rates.

    Raises
    ------
    ValueError
        No segment up to ``max_synapses`` meets both targets, or an argument out of range.

    Examples
    --------
    >>> from evlearn.dendrites import theory
    >>> choice = theory.choose_segment(n=10_000, a=300, noise=0.3)   # P(fm) <= 1e-9, P(fn) <= 1e-3
    >>> choice.s, choice.theta
    (24, 10)
    """
    check_sizes(n, a, 0)
    _check_fraction(max_false_match, "max_false_match")
    _check_fraction(max_false_negative, "max_false_negative")
    limit = a if max_synapses is None else check_number(max_synapses, "max_synapses", low=1, integer=True)
    for s in range(1, min(limit, a) + 1):
        for theta in range(1, s + 1):
            fm = false_match_probability(n, a, s, theta)
            if fm > max_false_match:
                continue
            fn = noise_false_negative_probability(a, s, theta, noise, n=n)
            if fn <= max_false_negative:
                return ThresholdChoice(n, a, s, theta, noise, fm, fn)
            break  # larger theta only adds false negatives
    raise ValueError(
        f"no segment with s <= {min(limit, a)} synapses reaches false match <= {max_false_match:g} and "
        f"false negative <= {max_false_negative:g} at noise {noise:g} (n={n}, a={a}); relax a target or lower the noise"
    )


# ----------------------------------------------------------- published numbers
# Published values used to check the formulas: arXiv:1601.00720 (example in the
# text) and Numenta's htmresearch/projects/sdr_paper notebook
# (sdr_math_neuron_paper.ipynb, tables 1B-1D) and union script
# (sdr_paper_unions.py). Inputs and the value printed there; our code recomputes
# each one (tests and `evlearn dendrites figures` write the comparison).
#: Published values the formulas are checked against: (label, kind, params, published value).
PAPER_VALUES = [
    # (label, kind, params, published value)
    ("text example", "false_match", dict(n=10000, a=300, s=24, theta=12), 8.37584522709849e-13),
    ("notebook example", "false_match", dict(n=10000, a=300, s=30, theta=15), 1.04849765783378e-15),
    ("Table 1B s=6", "false_match", dict(n=100000, a=2000, s=6, theta=6), 6.35308872941916e-11),
    ("Table 1B s=8", "false_match", dict(n=100000, a=2000, s=8, theta=8), 2.52507239284961e-14),
    ("Table 1B s=10", "false_match", dict(n=100000, a=2000, s=10, theta=10), 1.00163216178113e-17),
    ("Table 1C theta=6", "false_match", dict(n=100000, a=2000, s=12, theta=6), 5.29386836275369e-8),
    ("Table 1C theta=8", "false_match", dict(n=100000, a=2000, s=16, theta=8), 2.81724528327272e-10),
    ("Table 1C theta=10", "false_match", dict(n=100000, a=2000, s=20, theta=10), 1.54192767258720e-12),
    ("Table 1C theta=12", "false_match", dict(n=100000, a=2000, s=24, theta=12), 8.58694100276592e-15),
    ("Table 1D theta=10 M=2", "false_match", dict(n=100000, a=2000, s=40, theta=10), 4.91541864813209e-9),
    ("Table 1D theta=10 M=4", "false_match", dict(n=100000, a=2000, s=80, theta=10), 4.62568448037595e-6),
    ("Table 1D theta=10 M=6", "false_match", dict(n=100000, a=2000, s=120, theta=10), 1.58799793094937e-4),
    ("Table 1D theta=20 M=6", "false_match", dict(n=100000, a=2000, s=240, theta=20), 1.07990763941591e-7),
    ("Fig. effect of s: a=32 n=2000 s=2", "false_match", dict(n=2000, a=32, s=2, theta=1), 0.0317518759379690),
    ("Fig. effect of s: a=32 n=4000 s=30", "false_match", dict(n=4000, a=32, s=30, theta=15), 1.03307534135054e-25),
    ("Fig. effect of s: a=4000 n=16000 s=30", "false_match", dict(n=16000, a=4000, s=30, theta=15), 0.00272515634577904),
    ("Fig. effect of n: a=64 n=300 s=64 theta=12", "false_match", dict(n=300, a=64, s=64, theta=12), 0.767798046805888),
    ("Fig. noise: a=128 s=30 theta=12 v=64", "noise_false_negative", dict(a=128, s=30, theta=12, noise=0.5), 0.0716985160403564),
    ("Fig. noise: a=128 s=30 theta=16 v=26", "noise_false_negative", dict(a=128, s=30, theta=16, noise=26 / 128), 1.97277260559420e-5),
    ("Unions: n=10000 a=200 s=25 theta=15 M=1", "union_expected_size", dict(n=10000, a=200, s=25, theta=15, patterns=1), 5.30352419025194e-20),
    ("Unions: n=10000 a=200 s=25 theta=15 M=10", "union_expected_size", dict(n=10000, a=200, s=25, theta=15, patterns=10), 0.000127080441383853),
    ("Unions: n=20000 a=200 s=25 theta=15 M=19", "union_expected_size", dict(n=20000, a=200, s=25, theta=15, patterns=19), 8.14089056445047e-5),
]

_KINDS = {
    "false_match": false_match_probability,
    "noise_false_negative": noise_false_negative_probability,
    "union_expected_size": union_false_match_probability_expected_size,
}


def paper_checks() -> list[dict]:
    """Recompute every entry of PAPER_VALUES: label, params, published, computed, relative error."""
    rows = []
    for label, kind, params, published in PAPER_VALUES:
        computed = _KINDS[kind](**params)
        rows.append({"label": label, "kind": kind, **params, "published": published, "computed": computed,
                     "relative_error": abs(computed - published) / published})
    return rows
