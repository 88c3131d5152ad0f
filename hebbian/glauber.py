"""Asynchronous Glauber (heat-bath) dynamics of the multitasking Hebbian network.

At each elementary step a site i is chosen (random sequential order: a fresh
random permutation of the N sites each sweep) and set to +1 with probability
(1 + tanh(beta h_i)) / 2, h_i = sum_{j != i} J_ij sigma_j, which samples the
Boltzmann distribution of H = -1/2 sum_{i != j} J_ij sigma_i sigma_j.

The numba kernel never forms J: with J = (scale/N) F^T F it keeps the F overlaps
q_f = sum_j F_fj sigma_j and updates them after each flip, so a sweep costs
O(N F) instead of O(N^2) (F = K supervised, K M unsupervised). The NumPy
reference beside it uses the dense matrix and the same random numbers; a test
checks that both produce the same trajectory.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from evlearn.progress import progress_bar
from evlearn.validation import check_number

from .couplings import LowRankCouplings
from .patterns import check_beta, mattis_magnetisations


@njit(cache=True)
def _heat_bath_probability(beta, h):
    if math.isinf(beta):
        if h > 0.0:
            return 1.0
        if h < 0.0:
            return 0.0
        return 0.5
    return 0.5 * (1.0 + math.tanh(beta * h))


@njit(cache=True)
def _glauber_sweep_kernel(features_t, scale_over_n, self_weight, xi_t, sigma, order, uniforms, beta):
    """One sweep in place on ``sigma``; returns the archetype overlaps sum_i xi_i sigma_i."""
    n, n_features = features_t.shape
    k = xi_t.shape[1]
    q = np.zeros(n_features)
    overlaps = np.zeros(k)
    for j in range(n):  # exact overlaps at the start of each sweep (no drift)
        for f in range(n_features):
            q[f] += features_t[j, f] * sigma[j]
        for mu in range(k):
            overlaps[mu] += xi_t[j, mu] * sigma[j]
    for t in range(order.shape[0]):
        i = order[t]
        s = sigma[i]
        h = 0.0
        for f in range(n_features):
            h += features_t[i, f] * q[f]
        h = scale_over_n * (h - self_weight[i] * s)  # drop the J_ii self term
        new = 1 if uniforms[t] < _heat_bath_probability(beta, h) else -1
        if new != s:
            delta = new - s
            for f in range(n_features):
                q[f] += delta * features_t[i, f]
            for mu in range(k):
                overlaps[mu] += delta * xi_t[i, mu]
            sigma[i] = new
    return overlaps


def _glauber_sweep_reference(J, xi, sigma, order, uniforms, beta):
    """Pure NumPy reference of one sweep with the dense coupling matrix."""
    for t, i in enumerate(order):
        h = float(J[i] @ sigma)
        if math.isinf(beta):
            p = 1.0 if h > 0 else (0.0 if h < 0 else 0.5)
        else:
            p = 0.5 * (1.0 + math.tanh(beta * h))
        sigma[i] = 1 if uniforms[t] < p else -1
    return xi.astype(np.float64) @ sigma


@dataclass(frozen=True)
class SimulationResult:
    m_trace: np.ndarray  # (n_sweeps + 1, K) Mattis magnetisations after each sweep (row 0: initial)
    m_mean: np.ndarray  # (K,) time average over the last n_measure sweeps
    sigma: np.ndarray  # final state, int8
    seed: int | None
    cost_trace: np.ndarray | None = None  # (n_sweeps + 1,) Hamiltonian per neuron after each sweep


def hamiltonian_per_neuron(couplings: LowRankCouplings, sigma) -> float:
    """H / N with H = -1/2 sum_{i != j} J_ij sigma_i sigma_j, from the low-rank form."""
    F = couplings.features
    s = np.asarray(sigma, dtype=np.float64)
    q = F @ s
    N = F.shape[1]
    return float(-0.5 * couplings.scale * (q @ q - (F * F).sum()) / N ** 2)


def initial_state(init, archetypes, rng) -> np.ndarray:
    """'random' (+-1 coin flips), 'archetype' (sign of xi^1, random on its blanks) or an array."""
    xi = np.asarray(archetypes)
    N = xi.shape[1]
    coin = np.where(rng.random(N) < 0.5, -1, 1).astype(np.int8)
    if isinstance(init, str):
        if init == "random":
            return coin
        if init == "archetype":
            return np.where(xi[0] != 0, xi[0], coin).astype(np.int8)
        raise ValueError(f"init must be 'random', 'archetype' or an array of +-1, got {init!r}")
    sigma = np.asarray(init)
    if sigma.shape != (N,) or not np.isin(sigma, (-1, 1)).all():
        raise ValueError(f"init array must have shape ({N},) with entries +-1")
    return sigma.astype(np.int8).copy()


def _check_run(couplings, archetypes, beta, n_sweeps, n_measure):
    if not isinstance(couplings, LowRankCouplings):
        raise ValueError("couplings must be a LowRankCouplings (see evlearn.hebbian.couplings)")
    xi = np.asarray(archetypes)
    if xi.ndim != 2 or xi.shape[1] != couplings.n_neurons:
        raise ValueError(f"archetypes must have shape (K, {couplings.n_neurons})")
    beta = check_beta(beta)
    n_sweeps = int(check_number(n_sweeps, "n_sweeps", low=1, integer=True))
    if n_measure is None:
        n_measure = max(1, n_sweeps // 2)
    n_measure = int(check_number(n_measure, "n_measure", low=1, high=n_sweeps, integer=True))
    return xi, beta, n_sweeps, n_measure


def simulate(couplings, archetypes, beta, n_sweeps=200, *, n_measure=None, init="random",
             seed=0, progress=False, reference=False, record_cost=False) -> SimulationResult:
    """Run ``n_sweeps`` Glauber sweeps and record the Mattis magnetisations.

    Seeded by default (``seed=0``; the seed is kept in the result).

    Parameters
    ----------
    couplings : LowRankCouplings
        The network's couplings (N neurons).
    archetypes : numpy.ndarray
        (K, N) in {-1, 0, +1}: the patterns whose overlaps m are recorded.
    beta : float
        Inverse temperature (> 0; ``math.inf``: zero temperature).
    n_sweeps : int, default 200
        Sweeps of N single-neuron updates, in random order.
    n_measure : int, optional
        Last sweeps averaged into ``m_mean`` (default: half of them).
    init : str, default "random"
        Initial state (see :func:`initial_state`).
    seed : int or None, default 0
        Seed of the initial state and the updates.
    progress : bool, default False
        Show a progress bar over the sweeps.
    reference : bool, default False
        Run the dense NumPy reference (small N only) with the same random numbers as the numba kernel.
    record_cost : bool, default False
        Also record the Hamiltonian per neuron after every sweep (``cost_trace``).

    Returns
    -------
    SimulationResult
        ``m_trace`` (n_sweeps + 1, K), ``m_mean`` (K,), the final state ``sigma`` (N,) int8, the seed.

    Examples
    --------
    >>> import numpy as np
    >>> from evlearn.hebbian import patterns
    >>> from evlearn.hebbian.couplings import hebbian_couplings
    >>> from evlearn.hebbian.glauber import simulate
    >>> xi = patterns.make_archetypes(N=500, K=3, d=0.5, rng=0)
    >>> J = hebbian_couplings("archetypes", d=0.5, archetypes=xi)
    >>> result = simulate(J, xi, beta=10.0, n_sweeps=50)
    >>> result.m_trace.shape
    (51, 3)
    >>> bool((np.abs(result.m_mean) > 0.1).all())    # parallel retrieval: every pattern partly recalled
    True
    """
    xi, beta, n_sweeps, n_measure = _check_run(couplings, archetypes, beta, n_sweeps, n_measure)
    rng = np.random.default_rng(seed)
    N = couplings.n_neurons
    sigma = initial_state(init, xi, rng)
    trace = np.empty((n_sweeps + 1, xi.shape[0]))
    trace[0] = mattis_magnetisations(xi, sigma)
    cost = np.empty(n_sweeps + 1) if record_cost else None
    if record_cost:
        cost[0] = hamiltonian_per_neuron(couplings, sigma)
    if reference:
        J = couplings.dense()
        sigma = sigma.astype(np.float64)
    else:
        features_t = np.ascontiguousarray(couplings.features.T)
        self_weight = (couplings.features ** 2).sum(axis=0)
        xi_t = np.ascontiguousarray(xi.T.astype(np.float64))
        scale_over_n = couplings.scale / N
    for sweep in progress_bar(range(n_sweeps), progress, desc="Glauber sweeps"):
        order = rng.permutation(N)
        uniforms = rng.random(N)
        if reference:
            overlaps = _glauber_sweep_reference(J, xi, sigma, order, uniforms, beta)
        else:
            _glauber_sweep_kernel(features_t, scale_over_n, self_weight, xi_t, sigma, order, uniforms, beta)
            overlaps = xi_t.T @ sigma
        trace[sweep + 1] = overlaps / N
        if record_cost:
            cost[sweep + 1] = hamiltonian_per_neuron(couplings, sigma)
    return SimulationResult(trace, trace[-n_measure:].mean(axis=0), sigma.astype(np.int8), seed, cost)
