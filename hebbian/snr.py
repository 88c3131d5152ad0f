"""Signal-to-noise estimate of the hierarchical and parallel states, and the cost/loss pair.

Signal-to-noise (our derivation; the paper's version could not be read here).
Take an ansatz state built from the archetypes on each site:

- 'hierarchical': sigma_i = xi^1_i, or xi^2_i where xi^1_i = 0, and so on;
- 'parallel': sigma_i = sign(xi^1_i + ... + xi^K_i),

random where that is 0. Its amplitudes m_mu = E[xi^mu sigma] follow from the
site distribution. With couplings learnt from examples, the zero-temperature
field on a site is h = c/(1+rho) sum_mu xi^mu X^mu m_mu with X = 1 + sqrt(rho) Z
(large-M limit): mean ("signal") sum_mu xi^mu m_mu and standard deviation
("noise") sqrt(rho sum_mu (xi^mu m_mu)^2), up to the common factor c/(1+rho).
A determined spin (ansatz not 0) is unstable when sigma h < 0, which happens
with probability Phi(-signal/noise); we report the fraction of unstable spins
and the amplitudes after one zero-temperature update of every spin. We call
the ansatz SNR-stable when the signal has the spin's sign on every determined
site class (min_signal > 0): then, without example noise, no spin flips; with
noise (rho > 0) the unstable fraction says how many do. Beside it: the self-consistency solution at T = 0 started
from the ansatz amplitudes.

Cost and loss. The cost is the Hamiltonian per neuron, H/N (glauber.
hamiltonian_per_neuron). The loss is the sum-squared error between the state
and each archetype, L = (1/2N) sum_mu ||xi^mu - s^mu sigma||^2 = sum_mu
(1 - d_mu/2 - ``|m_mu|``), with the sign s^mu = sign(m_mu) that H cannot see
(H is even in each xi^mu); d_mu is the blank fraction of archetype mu.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from . import theory
from .couplings import DEFAULT_CONVENTION

ANSATZ = ("hierarchical", "parallel")


def ansatz_spins(xi_sites, ansatz) -> np.ndarray:
    """Ansatz spin (-1, 0 = undetermined, +1) of each row of ``xi_sites`` (sites x K archetype entries)."""
    xi = np.asarray(xi_sites)
    if ansatz == "hierarchical":
        nonzero = xi != 0
        first = np.argmax(nonzero, axis=1)
        return np.where(nonzero.any(axis=1), xi[np.arange(len(xi)), first], 0).astype(np.int8)
    if ansatz == "parallel":
        return np.sign(xi.sum(axis=1)).astype(np.int8)
    raise ValueError(f"ansatz must be one of {ANSATZ}, got {ansatz!r}")


def ansatz_state(archetypes, ansatz, rng) -> np.ndarray:
    """The ansatz as a network state (N,), +-1, random where the ansatz is undetermined."""
    s = ansatz_spins(np.asarray(archetypes).T, ansatz)
    coin = np.where(rng.random(s.shape[0]) < 0.5, -1, 1).astype(np.int8)
    return np.where(s != 0, s, coin).astype(np.int8)


def measured_unstable_fraction(couplings, archetypes, sigma, ansatz) -> float:
    """Fraction of the determined ansatz spins whose local field opposes them (a field of 0 counts 1/2)."""
    determined = ansatz_spins(np.asarray(archetypes).T, ansatz) != 0
    aligned = np.asarray(sigma, dtype=np.float64) * couplings.local_fields(sigma)
    bad = (aligned < 0) + 0.5 * (aligned == 0)
    return float(bad[determined].mean()) if determined.any() else 0.0


def examples_for(rho, r) -> int:
    """The number of examples M whose rho = (1 - r^2)/(M r^2) is closest to ``rho``."""
    return max(1, int(round((1.0 - r * r) / (r * r * rho))))


def snr_row(K, d, rho, ansatz, *, convention=DEFAULT_CONVENTION) -> dict:
    """SNR estimate for one ansatz at dilution d and dataset entropy rho, with the T = 0 self-consistency."""
    dist = theory.site_distribution(K, d, convention=convention)
    xi, w = dist.xi, dist.weights
    sigma = ansatz_spins(xi, ansatz).astype(np.float64)
    m = xi.T @ (w * sigma)
    signal = xi @ m
    signal = np.where(np.abs(signal) < theory.ZERO_FIELD, 0.0, signal)  # ties stay ties after rounding
    noise = np.sqrt(rho * (xi ** 2) @ (m ** 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(noise > 0, signal / noise, np.sign(signal) * np.inf)
    mean_sign = np.where(noise > 0, 1.0 - 2.0 * ndtr(-np.nan_to_num(z)), np.sign(signal))
    p_flip = np.where(noise > 0, ndtr(-sigma * np.nan_to_num(z)),
                      np.where(sigma * signal > 0, 0.0, np.where(sigma * signal < 0, 1.0, 0.5)))
    determined = sigma != 0
    unstable = float(w[determined] @ p_flip[determined] / w[determined].sum())
    one_step = xi.T @ (w * mean_sign)
    sc_dist = dist if rho == 0 else theory.gaussian_site_distribution(K, d, rho, convention=convention)
    state = theory.solve(math.inf, K, d, init=m.copy(), dist=sc_dist)
    min_signal = float(np.min(sigma[determined] * signal[determined]))
    return {"unstable_fraction": unstable, "min_signal": min_signal, "snr_stable": min_signal > 0,
            "regime_selfconsistent": theory.classify(state.m),
            **{f"m_ansatz_{k}": float(v) for k, v in enumerate(m, start=1)},
            **{f"m_one_step_{k}": float(v) for k, v in enumerate(np.abs(one_step), start=1)},
            **{f"m_selfconsistent_{k}": float(v) for k, v in enumerate(np.abs(state.m), start=1)}}


def sum_squared_error(m_trace, blank_fraction) -> np.ndarray:
    """L = sum_mu (1 - d_mu/2 - ``|m_mu|``) for each row of ``m_trace`` (sweeps x K)."""
    m = np.atleast_2d(np.asarray(m_trace, dtype=np.float64))
    return (1.0 - 0.5 * np.asarray(blank_fraction, dtype=np.float64) - np.abs(m)).sum(axis=1)


def theory_cost(state: theory.TheoryState, dist: theory.SiteDistribution) -> float:
    """H/N at a low-load fixed point as N -> infinity: -(scale/2) sum_mu n_mu^2."""
    return float(-0.5 * dist.scale * state.n @ state.n)
