"""Low-load self-consistency equations of the multitasking Hebbian network.

With K finite and N -> infinity the local field on site i is

    h_i = (c / (1 + rho)) sum_mu xi^mu_i X^mu_i n_mu,

with c = 1 in the plain Hebbian convention ('hebb', default) and c = 1/(1 - d) in
the 'mean-field' one (see couplings.py),
where xi^mu_i X^mu_i is the learnt feature of archetype mu on site i
(X = (1/(r M)) sum_A chi^A, mean 1, variance rho; X = 1 for stored archetypes)
and n_mu = (1/N) sum_i xi^mu_i X^mu_i sigma_i. The replica-symmetric low-load
solution (equivalently, the fixed point of the mean-field dynamics) is

    n_mu = E[ xi^mu X^mu tanh(beta h) ],     m_mu = E[ xi^mu tanh(beta h) ],

the average running over one site's (xi^1 X^1, ..., xi^K X^K). For
example-symmetric states the unsupervised rule gives the same equations (the
paper's statement that the protocol does not change low-load multitasking).

The average is done exactly by enumeration: each xi^mu X^mu takes 1 + 2(M + 1)
values (0, or +-(2k - M)/(r M) with binomial weights), so the joint has
(3 + 2M)^K points. When that is too many we use the large-M limit X = 1 +
sqrt(rho) Z, Z standard normal, with Gauss-Hermite quadrature (averaging
"gaussian"), in which M and r enter only through rho.

Known limits (tested): d = 0, one pattern, rho = 0 gives m = tanh(beta m); at
zero temperature with rho = 0 and mild dilution the hierarchical state has
m_k = (1 - d) d^(k-1) (in both conventions: at T = 0 the constant c drops out).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .couplings import DEFAULT_CONVENTION, convention_factor
from .patterns import check_beta, check_dilution, check_examples_per_archetype, check_quality, dataset_entropy

MAX_ENUMERATION = 2_000_000


def hierarchical_amplitudes(K, d) -> np.ndarray:
    """Zero-temperature hierarchical amplitudes m_k = (1 - d) d^(k-1), k = 1..K."""
    d = check_dilution(d)
    return (1.0 - d) * d ** np.arange(int(K))


def _single_site_support(d, r, M, averaging, n_quadrature):
    """Values (xi, xi X) and weights of one pattern's entry on one site."""
    xi, v, w = [0.0], [0.0], [d]
    if M is None or averaging == "archetypes":
        values, weights = np.array([1.0]), np.array([1.0])
    elif averaging == "exact":
        k = np.arange(M + 1)
        values = (2.0 * k - M) / (r * M)
        weights = special.comb(M, k) * ((1 + r) / 2) ** k * ((1 - r) / 2) ** (M - k)
    else:  # gaussian (large-M) limit: X = 1 + sqrt(rho) Z
        z, wz = np.polynomial.hermite_e.hermegauss(n_quadrature)
        values = 1.0 + math.sqrt(dataset_entropy(M, r)) * z
        weights = wz / wz.sum()
    for sign in (1.0, -1.0):
        xi.extend([sign] * len(values))
        v.extend(sign * values)
        w.extend((1.0 - d) / 2.0 * weights)
    return np.array(xi), np.array(v), np.array(w)


def _product(xi1, v1, w1, K, scale):
    keep = w1 > 0
    xi1, v1, w1 = xi1[keep], v1[keep], w1[keep]
    grids = np.meshgrid(*([np.arange(len(w1))] * K), indexing="ij")
    index = np.stack([g.ravel() for g in grids], axis=1)
    return SiteDistribution(xi1[index], v1[index], np.prod(w1[index], axis=1), scale)


@dataclass(frozen=True)
class SiteDistribution:
    xi: np.ndarray  # (S, K)
    features: np.ndarray  # (S, K) xi * X
    weights: np.ndarray  # (S,)
    scale: float  # c / (1 + rho), c from the convention


def site_distribution(K, d, r=1.0, M=None, *, averaging="auto", n_quadrature=15,
                      convention=DEFAULT_CONVENTION) -> SiteDistribution:
    """Joint distribution of the K learnt features on one site (product measure).

    ``M=None`` means stored archetypes (rho = 0). ``averaging`` is 'exact'
    (binomial enumeration), 'gaussian' (large-M limit) or 'auto' (exact when
    the joint support has at most MAX_ENUMERATION points).
    """
    K = int(K)
    if K < 1:
        raise ValueError(f"K (archetypes) must be >= 1, got {K}")
    d = check_dilution(d)
    if M is None:
        rho, averaging = 0.0, "archetypes"
    else:
        M, r = check_examples_per_archetype(M), check_quality(r)
        rho = dataset_entropy(M, r)
        if averaging == "auto":
            averaging = "exact" if (3 + 2 * M) ** K <= MAX_ENUMERATION else "gaussian"
        if averaging not in ("exact", "gaussian"):
            raise ValueError(f"averaging must be 'auto', 'exact' or 'gaussian', got {averaging!r}")
    xi1, v1, w1 = _single_site_support(d, r, M, averaging, n_quadrature)
    return _product(xi1, v1, w1, K, convention_factor(d, convention) / (1.0 + rho))


def gaussian_site_distribution(K, d, rho, n_quadrature=15, convention=DEFAULT_CONVENTION) -> SiteDistribution:
    """Large-M limit with only rho given: X = 1 + sqrt(rho) Z (Gauss-Hermite nodes)."""
    d = check_dilution(d)
    if not (rho >= 0 and math.isfinite(rho)):
        raise ValueError(f"rho must be finite and >= 0, got {rho}")
    z, wz = np.polynomial.hermite_e.hermegauss(n_quadrature)
    values, weights = 1.0 + math.sqrt(rho) * z, wz / wz.sum()
    xi1 = np.r_[0.0, np.ones(n_quadrature), -np.ones(n_quadrature)]
    v1 = np.r_[0.0, values, -values]
    w1 = np.r_[d, (1 - d) / 2 * weights, (1 - d) / 2 * weights]
    return _product(xi1, v1, w1, int(K), convention_factor(d, convention) / (1.0 + rho))


ZERO_FIELD = 1e-12  # at T = 0 a field this small is a tie (0 in exact arithmetic, +-1e-17 after rounding)


def _activation(beta, fields):
    if math.isinf(beta):
        return np.sign(np.where(np.abs(fields) < ZERO_FIELD, 0.0, fields))
    return np.tanh(beta * fields)


def self_consistency_map(n, beta, dist: SiteDistribution):
    """One application of the right-hand sides: returns (n_new, m)."""
    fields = dist.scale * (dist.features @ n)
    act = _activation(beta, fields) * dist.weights
    return dist.features.T @ act, dist.xi.T @ act


@dataclass(frozen=True)
class TheoryState:
    m: np.ndarray  # Mattis magnetisations with the archetypes
    n: np.ndarray  # overlaps with the learnt features (= m when rho = 0)
    iterations: int
    converged: bool


def solve(beta, K, d, r=1.0, M=None, *, init="hierarchical", averaging="auto", damping=0.5,
          tol=1e-10, max_iter=20_000, dist=None, convention=DEFAULT_CONVENTION) -> TheoryState:
    """Solve the self-consistency equations by damped fixed-point iteration.

    Damped iteration n <- (1 - a) n + a F(n) follows the mean-field relaxation
    dn/dt = -n + F(n), so it lands on a stable solution (a root finder could
    return an unstable one). ``init``: 'hierarchical' (n0 = (1, 1/2, 1/4, ...)),
    'pure' (n0 = (1, 1e-3, 1e-3, ...): a cue of archetype 1 with a small
    symmetry-breaking seed), 'mixture_even' / 'mixture_odd' (see mixture_start)
    or an array of K starting overlaps. ``convention``: see couplings.py
    (ignored when ``dist`` is given).
    """
    beta = check_beta(beta)
    if dist is None:
        dist = site_distribution(K, d, r, M, averaging=averaging, convention=convention)
    K = dist.features.shape[1]
    if isinstance(init, str):
        if init == "hierarchical":
            n = 0.5 ** np.arange(K)
        elif init == "pure":
            n = np.r_[1.0, 1e-3 * 0.9 ** np.arange(K - 1)]
        elif init in MIXTURES:
            n = mixture_start(dist, init)
        else:
            raise ValueError(f"init must be 'hierarchical', 'pure', {MIXTURES} or an array, got {init!r}")
    else:
        n = np.asarray(init, dtype=np.float64).copy()
        if n.shape != (K,):
            raise ValueError(f"init must have shape ({K},)")
    if not 0.0 < damping <= 1.0:
        raise ValueError(f"damping must be in (0, 1], got {damping}")
    m = np.zeros(K)
    for iteration in range(1, max_iter + 1):
        new_n, m = self_consistency_map(n, beta, dist)
        step = new_n - n
        n = n + damping * step
        if np.max(np.abs(step)) < tol:
            return TheoryState(m, n, iteration, True)
    return TheoryState(m, n, max_iter, False)


REGIMES = ("paramagnetic", "pure", "hierarchical", "parallel", "mixture")
MIXTURES = ("mixture_even", "mixture_odd")


def classify(m, tol=1e-3) -> str:
    """Name a solution by its amplitudes ``|m_k|`` (our labels, tolerance ``tol``).

    'paramagnetic': all ~0; 'pure': one non-zero; 'parallel': all K non-zero
    and equal; 'hierarchical': several non-zero, all different; 'mixture':
    several non-zero with some equal but not all K equal and non-zero (e.g. a
    symmetric mixture of a subset of the archetypes).
    """
    a = np.sort(np.abs(np.asarray(m, dtype=np.float64)))[::-1]
    nonzero = a[a >= tol]
    if len(nonzero) == 0:
        return "paramagnetic"
    if len(nonzero) == 1:
        return "pure"
    if len(nonzero) == len(a) and a[0] - a[-1] < tol:
        return "parallel"
    if np.all(-np.diff(nonzero) >= tol):
        return "hierarchical"
    return "mixture"


def mixture_members(K, start) -> int:
    """How many archetypes (the first ones) a symmetric-mixture start combines.

    'mixture_even': the largest even number <= K; 'mixture_odd': the largest
    odd number <= K (for K = 2 that is 1, the cue of archetype 1: there is no
    odd mixture of more than one of two archetypes).
    """
    if start not in MIXTURES:
        raise ValueError(f"start must be one of {MIXTURES}, got {start!r}")
    K = int(K)
    even = K - K % 2
    return even if start == "mixture_even" else (K if K % 2 else K - 1)


def mixture_start(dist: SiteDistribution, start) -> np.ndarray:
    """Overlaps n of the state sigma = sign(xi^1 + ... + xi^s) (random where the sum is 0).

    The damped iteration keeps the symmetry of this start exactly, so it finds
    the symmetric state even where it is unstable; stability_eigenvalues tells.
    """
    s = mixture_members(dist.features.shape[1], start)
    sigma = np.sign(dist.xi[:, :s].sum(axis=1))
    return dist.features.T @ (dist.weights * sigma)


def finite_size_spread(state: TheoryState, beta, dist: SiteDistribution, N) -> np.ndarray:
    """Standard deviation of the quenched finite-N shift of each m_mu (our estimate).

    In a network of N sites the self-consistency uses the empirical site average
    instead of E[.]; linearising n = F_N(n) around the solution gives
    delta m = DG (I - DF)^(-1) delta F + delta G, where delta F, delta G are
    site averages with O(N^(-1/2)) fluctuations. Near an instability (an
    eigenvalue of DF -> 1) the shift is amplified by 1/(1 - lambda): this is the
    origin of small non-zero amplitudes in simulations where the theory has 0.
    """
    beta = check_beta(beta)
    if math.isinf(beta):
        raise ValueError("finite_size_spread needs a finite beta")
    N = int(N)
    if N < 1:
        raise ValueError(f"N must be >= 1, got {N}")
    fields = dist.scale * (dist.features @ state.n)
    tanh = np.tanh(beta * fields)
    sech2 = (1.0 - tanh ** 2) * dist.weights
    DF = beta * dist.scale * (dist.features.T * sech2) @ dist.features
    DG = beta * dist.scale * (dist.xi.T * sech2) @ dist.features
    K = DF.shape[0]
    try:
        response = DG @ np.linalg.inv(np.eye(K) - DF)
    except np.linalg.LinAlgError:
        return np.full(K, np.inf)
    u = (dist.features * tanh[:, None]) @ response.T + dist.xi * tanh[:, None]  # (S, K)
    mean = dist.weights @ u
    var = dist.weights @ (u - mean) ** 2
    return np.sqrt(np.maximum(var, 0.0) / N)


def stability_eigenvalues(state: TheoryState, beta, dist: SiteDistribution) -> np.ndarray:
    """Eigenvalues of the Jacobian DF of n -> F(n) at a solution (all < 1: stable; near 1: soft)."""
    beta = check_beta(beta)
    if math.isinf(beta):
        raise ValueError("stability_eigenvalues needs a finite beta")
    fields = dist.scale * (dist.features @ state.n)
    sech2 = (1.0 - np.tanh(beta * fields) ** 2) * dist.weights
    DF = beta * dist.scale * (dist.features.T * sech2) @ dist.features
    return np.sort(np.linalg.eigvalsh(DF))[::-1]
