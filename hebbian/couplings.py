"""Hebbian couplings from examples, supervised and unsupervised, kept in low-rank form.

Every rule here gives J = (scale / N) F^T F with zero diagonal, where the rows of
F are "features" (one per archetype, or one per example):

- ``archetypes`` (storage, the M -> infinity limit): F = xi, scale = c.
- ``supervised`` (the teacher tells which archetype each example belongs to, so
  examples are averaged per archetype first): F^mu = (1/(r M)) sum_A eta^{mu,A},
  scale = c / (1 + rho).
- ``unsupervised`` (examples used one by one): F^{mu,A} = eta^{mu,A} / r,
  scale = c / (M (1 + rho)).

Normalisation. (1/(r M)) sum_A eta^{mu,A}_i = xi^mu_i X^mu_i with E[X] = 1 and
E[X^2] = 1 + rho, rho = (1 - r^2)/(M r^2); the factor 1/(1 + rho) removes the
example noise from the self-overlap. The constant c is a stated convention
(``convention=``):

- ``"hebb"`` (default): c = 1, the plain Hebbian sum (1/N) sum_mu xi_i xi_j,
  the usual normalisation of this group's papers; a learnt feature then has
  self-overlap 1 - d, and the retrieval temperature of one pattern is 1 - d.
- ``"mean-field"``: c = 1 / (1 - d), which makes the self-overlap one, so that
  retrieval of one pattern starts at T = 1 for every d (the convention of the
  first version of this package).

Both give the same physics: beta J is the same when T_mean-field = T_hebb / (1 - d).
The unsupervised scale is chosen so that, for example-symmetric states, the
local field equals the supervised one: this is the sense in which the paper
states that both protocols share the same low-load behaviour. We could not read
the paper's exact prefactors here (see docs/hebbian.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .patterns import check_dilution, check_quality, dataset_entropy

PROTOCOLS = ("archetypes", "supervised", "unsupervised")
CONVENTIONS = ("hebb", "mean-field")
DEFAULT_CONVENTION = "hebb"


def check_convention(convention) -> str:
    """``convention`` if it is one of CONVENTIONS ('hebb', 'mean-field'); ValueError otherwise."""
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    return convention


def convention_factor(d, convention=DEFAULT_CONVENTION) -> float:
    """The constant c in front of the couplings: 1 ('hebb') or 1 / (1 - d) ('mean-field')."""
    d = check_dilution(d)
    return 1.0 if check_convention(convention) == "hebb" else 1.0 / (1.0 - d)


@dataclass(frozen=True)
class LowRankCouplings:
    """Hebbian couplings J_ij = scale / N * sum_f features[f, i] features[f, j] (i != j), J_ii = 0.

    Kept in low-rank form: N x N is never formed unless asked (:meth:`dense`).

    Parameters
    ----------
    features : numpy.ndarray
        (F, N) float64: one row per stored feature (archetype or example).
    scale : float
        The prefactor (see the module docstring).
    protocol : str
        The rule that made them: "archetypes", "supervised" or "unsupervised".
    convention : str, default "hebb"
        "hebb" or "mean-field" (see the module docstring).

    Examples
    --------
    >>> from evlearn.hebbian import patterns
    >>> from evlearn.hebbian.couplings import hebbian_couplings
    >>> xi = patterns.make_archetypes(N=500, K=3, d=0.5, rng=0)    # (K, N) in {-1, 0, +1}
    >>> eta = patterns.make_examples(xi, M=20, r=0.5, rng=1)        # (K, M, N)
    >>> J = hebbian_couplings("supervised", d=0.5, examples=eta, r=0.5)
    >>> J.n_neurons, J.features.shape, J.dense().shape
    (500, (3, 500), (500, 500))
    """

    features: np.ndarray  # (F, N) float64
    scale: float
    protocol: str
    convention: str = DEFAULT_CONVENTION

    @property
    def n_neurons(self) -> int:
        """N, the number of neurons."""
        return int(self.features.shape[1])

    def dense(self) -> np.ndarray:
        """The N x N coupling matrix (for small N, tests and Brian2)."""
        F = self.features
        J = (self.scale / F.shape[1]) * (F.T @ F)
        np.fill_diagonal(J, 0.0)
        return J

    def local_fields(self, sigma) -> np.ndarray:
        """h_i = sum_{j != i} J_ij sigma_j without forming J."""
        F = self.features
        s = np.asarray(sigma, dtype=np.float64)
        q = F @ s
        return (self.scale / F.shape[1]) * (F.T @ q - (F * F).sum(axis=0) * s)


def _check_examples(examples) -> np.ndarray:
    eta = np.asarray(examples)
    if eta.ndim != 3 or not np.isin(eta, (-1, 0, 1)).all():
        raise ValueError("examples must be a (K, M, N) array with entries in {-1, 0, +1}")
    return eta


def archetype_couplings(archetypes, d, convention=DEFAULT_CONVENTION) -> LowRankCouplings:
    """Couplings that store the archetypes themselves (the many-examples limit).

    Parameters
    ----------
    archetypes : numpy.ndarray
        (K, N) archetypes in {-1, 0, +1}.
    d : float
        Dilution: fraction of blank (0) entries of each archetype, in [0, 1).
    convention : {"hebb", "mean-field"}, default "hebb"
        The constant c of the module docstring.

    Returns
    -------
    LowRankCouplings
        J = (scale / N) F^T F with zero diagonal, kept as its features F.
    """
    xi = np.asarray(archetypes)
    if xi.ndim != 2 or not np.isin(xi, (-1, 0, 1)).all():
        raise ValueError("archetypes must be a (K, N) array with entries in {-1, 0, +1}")
    c = convention_factor(d, convention)
    return LowRankCouplings(xi.astype(np.float64), c, "archetypes", convention)


def supervised_couplings(examples, r, d, convention=DEFAULT_CONVENTION) -> LowRankCouplings:
    """Average the M examples of each archetype, then store the K averages.

    Parameters
    ----------
    examples : numpy.ndarray
        (K, M, N) examples in {-1, 0, +1}: M noisy examples of each of K archetypes.
    r : float
        Example quality in (0, 1]: the correlation of an example with its archetype.
    d : float
        Dilution: fraction of blank (0) entries of each archetype, in [0, 1).
    convention : {"hebb", "mean-field"}, default "hebb"
        The constant c of the module docstring.

    Returns
    -------
    LowRankCouplings
        J = (scale / N) F^T F with zero diagonal, kept as its features F.
    """
    eta = _check_examples(examples)
    r, c = check_quality(r), convention_factor(d, convention)
    K, M, N = eta.shape
    rho = dataset_entropy(M, r)
    features = eta.sum(axis=1, dtype=np.float64) / (r * M)
    return LowRankCouplings(features, c / (1.0 + rho), "supervised", convention)


def unsupervised_couplings(examples, r, d, convention=DEFAULT_CONVENTION) -> LowRankCouplings:
    """Store each of the K * M examples as it comes (no labels).

    Parameters
    ----------
    examples : numpy.ndarray
        (K, M, N) examples in {-1, 0, +1}: M noisy examples of each of K archetypes.
    r : float
        Example quality in (0, 1]: the correlation of an example with its archetype.
    d : float
        Dilution: fraction of blank (0) entries of each archetype, in [0, 1).
    convention : {"hebb", "mean-field"}, default "hebb"
        The constant c of the module docstring.

    Returns
    -------
    LowRankCouplings
        J = (scale / N) F^T F with zero diagonal, kept as its features F.
    """
    eta = _check_examples(examples)
    r, c = check_quality(r), convention_factor(d, convention)
    K, M, N = eta.shape
    rho = dataset_entropy(M, r)
    features = eta.reshape(K * M, N).astype(np.float64) / r
    return LowRankCouplings(features, c / (M * (1.0 + rho)), "unsupervised", convention)


def hebbian_couplings(protocol, *, d, archetypes=None, examples=None, r=None,
                      convention=DEFAULT_CONVENTION) -> LowRankCouplings:
    """Hebbian couplings by one of the three rules (``PROTOCOLS``).

    Parameters
    ----------
    protocol : {"archetypes", "supervised", "unsupervised"}
        :func:`archetype_couplings`, :func:`supervised_couplings` or :func:`unsupervised_couplings`.
    d : float
        Dilution: fraction of blank (0) entries of each archetype, in [0, 1).
    convention : {"hebb", "mean-field"}, default "hebb"
        The constant c of the module docstring.
    archetypes : numpy.ndarray, optional
        (K, N) in {-1, 0, +1}; needed by "archetypes".
    examples : numpy.ndarray, optional
        (K, M, N) in {-1, 0, +1}; needed by the two example rules.
    r : float, optional
        Example quality in (0, 1]; needed by the two example rules.

    Returns
    -------
    LowRankCouplings
        J = (scale / N) F^T F with zero diagonal, kept as its features F.

    Raises
    ------
    ValueError
        An unknown protocol, a missing input, or inputs of the wrong shape or values.

    Examples
    --------
    >>> from evlearn.hebbian import patterns
    >>> from evlearn.hebbian.couplings import hebbian_couplings
    >>> xi = patterns.make_archetypes(N=500, K=3, d=0.5, rng=0)    # (K, N) in {-1, 0, +1}
    >>> eta = patterns.make_examples(xi, M=20, r=0.5, rng=1)        # (K, M, N)
    >>> J = hebbian_couplings("unsupervised", d=0.5, examples=eta, r=0.5)
    >>> J.protocol, J.features.shape                               # one feature per example
    ('unsupervised', (60, 500))
    """
    if protocol == "archetypes":
        if archetypes is None:
            raise ValueError("protocol 'archetypes' needs archetypes")
        return archetype_couplings(archetypes, d, convention)
    if protocol in ("supervised", "unsupervised"):
        if examples is None or r is None:
            raise ValueError(f"protocol {protocol!r} needs examples and r")
        rule = supervised_couplings if protocol == "supervised" else unsupervised_couplings
        return rule(examples, r, d, convention)
    raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
