"""Diluted archetypes and their noisy examples (Agliari, Alessandrelli, Barra, Ricci-Tersenghi 2023).

An archetype xi^mu has N entries in {-1, 0, +1}: 0 with probability d (dilution),
+1 or -1 with probability (1 - d)/2 each. The network never sees archetypes; it
gets M examples per archetype, eta^{mu,A}_i = chi^{mu,A}_i xi^mu_i with
chi = +1 with probability (1 + r)/2 and -1 otherwise, so each non-zero entry is
flipped with probability (1 - r)/2 and blank entries stay blank.
"""
from __future__ import annotations

import math

import numpy as np

from evlearn.validation import check_number


def check_dilution(d) -> float:
    """Dilution d as a float in [0, 1); ValueError otherwise."""
    return float(check_number(d, "d (dilution)", low=0.0, high=1.0, high_open=True))


def check_quality(r) -> float:
    """Example quality r as a float in (0, 1]; ValueError otherwise."""
    return float(check_number(r, "r (example quality)", low=0.0, high=1.0, low_open=True))


def check_examples_per_archetype(M) -> int:
    """Examples per archetype M as an int >= 1; ValueError otherwise."""
    return int(check_number(M, "M (examples per archetype)", low=1, integer=True))


def check_sizes(N, K) -> tuple[int, int]:
    """Neurons N and archetypes K as ints, 1 <= K <= N; ValueError otherwise."""
    N = int(check_number(N, "N (neurons)", low=1, integer=True))
    K = int(check_number(K, "K (archetypes)", low=1, integer=True))
    if K > N:
        raise ValueError(f"K (archetypes) must not exceed N (neurons), got K={K} > N={N}")
    return N, K


def check_beta(beta) -> float:
    """Inverse temperature: positive; ``math.inf`` means zero temperature."""
    if isinstance(beta, (int, float)) and not isinstance(beta, bool) and beta == math.inf:
        return math.inf
    return float(check_number(beta, "beta (inverse temperature)", low=0.0, low_open=True))


def dataset_entropy(M, r) -> float:
    """rho = (1 - r^2) / (M r^2): the variance of the normalised example average.

    (1/(r M)) sum_A chi^A has mean 1 and variance rho, so rho -> 0 is the
    big-data (or perfect-quality) limit in which examples reveal the archetype.
    """
    M = check_examples_per_archetype(M)
    r = check_quality(r)
    return (1.0 - r * r) / (M * r * r)


def make_archetypes(N, K, d, rng=None) -> np.ndarray:
    """K diluted archetypes, shape (K, N), int8 in {-1, 0, +1}."""
    N, K = check_sizes(N, K)
    d = check_dilution(d)
    rng = np.random.default_rng(rng)
    signs = np.where(rng.random((K, N)) < 0.5, -1, 1).astype(np.int8)
    blank = rng.random((K, N)) < d
    signs[blank] = 0
    return signs


def make_examples(archetypes, M, r, rng=None) -> np.ndarray:
    """M noisy examples of each archetype, shape (K, M, N), int8 in {-1, 0, +1}."""
    xi = np.asarray(archetypes)
    if xi.ndim != 2 or not np.isin(xi, (-1, 0, 1)).all():
        raise ValueError("archetypes must be a (K, N) array with entries in {-1, 0, +1}")
    M = check_examples_per_archetype(M)
    r = check_quality(r)
    rng = np.random.default_rng(rng)
    K, N = xi.shape
    chi = np.where(rng.random((K, M, N)) < (1.0 + r) / 2.0, 1, -1).astype(np.int8)
    return (chi * xi[:, None, :].astype(np.int8)).astype(np.int8)


def mattis_magnetisations(archetypes, sigma) -> np.ndarray:
    """m_mu = (1/N) sum_i xi^mu_i sigma_i, one per archetype (not divided by 1 - d)."""
    xi = np.asarray(archetypes, dtype=np.float64)
    s = np.asarray(sigma, dtype=np.float64)
    if s.ndim != 1 or xi.ndim != 2 or xi.shape[1] != s.shape[0]:
        raise ValueError(f"sigma must have length N={xi.shape[-1]}, got shape {s.shape}")
    return xi @ s / s.shape[0]
