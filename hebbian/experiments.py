"""Experiments: one network run, and the sweeps behind each figure (theory lines + simulation points).

Each sweep returns a list of flat dict rows (one per theory or simulation
point) so that figures.py can plot them and write them as CSV unchanged.
Simulations start from a cue of archetype 1 (its sign on its support, random
elsewhere); the theory is solved from the matching initial condition (archetype
1 plus a tiny seed for the others). Archetypes 2..K are unlabelled by the cue,
so their magnetisations are reported as |m| sorted in decreasing order.
"""
from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from evlearn.progress import progress_bar

from . import theory
from .config import NetworkConfig
from .couplings import hebbian_couplings
from .glauber import simulate
from .patterns import dataset_entropy, make_archetypes, make_examples


def ordered(m) -> np.ndarray:
    """|m_1| (the cued archetype) followed by the other |m_k| in decreasing order."""
    a = np.abs(np.asarray(m, dtype=np.float64))
    return np.r_[a[:1], np.sort(a[1:])[::-1]]


def build_network(cfg: NetworkConfig):
    """Archetypes, examples (or None) and low-rank couplings for ``cfg``."""
    rng = np.random.default_rng(cfg.seed)
    xi = make_archetypes(cfg.N, cfg.K, cfg.d, rng)
    examples = None if cfg.protocol == "archetypes" else make_examples(xi, cfg.M, cfg.r, rng)
    couplings = hebbian_couplings(cfg.protocol, d=cfg.d, archetypes=xi, examples=examples, r=cfg.r)
    return xi, examples, couplings


def theory_for(cfg: NetworkConfig) -> theory.TheoryState:
    if cfg.protocol == "archetypes":
        return theory.solve(cfg.beta, cfg.K, cfg.d, init="pure")
    return theory.solve(cfg.beta, cfg.K, cfg.d, cfg.r, cfg.M, init="pure")


def run_network(cfg: NetworkConfig, *, progress=False) -> dict:
    """Simulate one network (numba or Brian2) and solve its theory; returns a result dict."""
    xi, _, couplings = build_network(cfg)
    start = time.perf_counter()
    if cfg.backend == "numba":
        result = simulate(couplings, xi, cfg.beta, cfg.n_sweeps, n_measure=cfg.n_measure, init=cfg.init,
                          seed=cfg.seed + 1, progress=progress)
        trace, m_mean = result.m_trace, result.m_mean
    else:
        from .brian import simulate_brian2

        trace, m_mean = simulate_brian2(couplings, xi, cfg.beta, cfg.n_sweeps, n_measure=cfg.n_measure,
                                        p_update=cfg.p_update, init=cfg.init, seed=cfg.seed + 1)
    seconds = time.perf_counter() - start
    th = theory_for(cfg)
    rho = 0.0 if cfg.protocol == "archetypes" else dataset_entropy(cfg.M, cfg.r)
    return {
        "rho": rho,
        "m_simulation": m_mean,
        "m_simulation_ordered": ordered(m_mean),
        "m_theory": ordered(th.m),
        "theory_converged": th.converged,
        "regime_theory": theory.classify(th.m),
        "simulation_seconds": seconds,
        "m_trace": trace,
    }


def _sim_rows(cfg, extra, seeds, kind="simulation"):
    rows = []
    for seed in seeds:
        run_cfg = dataclasses.replace(cfg, seed=seed)
        xi, _, couplings = build_network(run_cfg)
        res = simulate(couplings, xi, run_cfg.beta, run_cfg.n_sweeps, n_measure=run_cfg.n_measure,
                       init=run_cfg.init, seed=seed + 1)
        for k, value in enumerate(ordered(res.m_mean), start=1):
            rows.append({"kind": kind, **extra, "seed": seed, "k": k, "m": float(value)})
    return rows


def _theory_rows(state, extra, kind="theory", spread=None):
    """Rows of one theory solution; ``spread``: finite-N standard deviations (same order as state.m)."""
    order = np.r_[0, 1 + np.argsort(-np.abs(state.m[1:]))]
    sd = np.full(len(order), np.nan) if spread is None else np.asarray(spread)[order]
    return [{"kind": kind, **extra, "k": k, "m": float(v), "regime": theory.classify(state.m),
             "finite_size_sd": float(e)} for k, (v, e) in enumerate(zip(ordered(state.m), sd), start=1)]


def _spread(state, beta, dist, N):
    return None if math.isinf(beta) else theory.finite_size_spread(state, beta, dist, N)


def dilution_sweep(*, N=10_000, K=3, beta=50.0, d_sim=(0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95),
                   d_theory=np.linspace(0.0, 0.97, 98), seeds=(0, 1), n_sweeps=300, n_measure=100,
                   progress=False) -> list[dict]:
    """m_k vs dilution at low temperature, stored archetypes: hierarchical -> parallel."""
    rows = []
    for d in d_theory:
        dist = theory.site_distribution(K, float(d))
        state = theory.solve(beta, K, float(d), init="pure", dist=dist)
        rows += _theory_rows(state, {"d": float(d), "T": 1.0 / beta}, spread=_spread(state, beta, dist, N))
        for k, v in enumerate(theory.hierarchical_amplitudes(K, float(d)), start=1):
            rows.append({"kind": "power_law", "d": float(d), "T": 1.0 / beta, "k": k, "m": float(v)})
    for d in progress_bar(d_sim, progress, desc="dilution sweep"):
        cfg = NetworkConfig(N=N, K=K, d=float(d), protocol="archetypes", beta=beta, n_sweeps=n_sweeps,
                            n_measure=n_measure)
        rows += _sim_rows(cfg, {"d": float(d), "T": 1.0 / beta}, seeds)
    return rows


def temperature_sweep(*, N=10_000, K=3, dilutions=(0.5, 0.8), T_sim=(0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95, 1.05),
                      T_theory=np.linspace(0.01, 1.1, 110), seeds=(0, 1), n_sweeps=300, n_measure=100,
                      progress=False) -> list[dict]:
    """m_k vs temperature T = 1/beta at fixed dilutions, stored archetypes."""
    rows = []
    for d in dilutions:
        dist = theory.site_distribution(K, d)
        for T in T_theory:
            state = theory.solve(1.0 / T, K, d, init="pure", dist=dist)
            rows += _theory_rows(state, {"d": d, "T": float(T)}, spread=_spread(state, 1.0 / T, dist, N))
    jobs = [(d, T) for d in dilutions for T in T_sim]
    for d, T in progress_bar(jobs, progress, desc="temperature sweep"):
        cfg = NetworkConfig(N=N, K=K, d=d, protocol="archetypes", beta=1.0 / T, n_sweeps=n_sweeps,
                            n_measure=n_measure)
        rows += _sim_rows(cfg, {"d": d, "T": float(T)}, seeds)
    return rows


REGIMES = ("paramagnetic", "pure", "hierarchical", "parallel")


def phase_diagram(*, K=3, d_values=np.linspace(0.0, 0.95, 39), T_values=np.linspace(0.02, 1.1, 55),
                  progress=False) -> list[dict]:
    """Theory regime at each (d, T), solved from the archetype-1 cue."""
    rows = []
    for d in progress_bar(d_values, progress, desc="phase diagram"):
        dist = theory.site_distribution(K, float(d))
        for T in T_values:
            state = theory.solve(1.0 / T, K, float(d), init="pure", dist=dist, tol=1e-9, max_iter=5000)
            m = ordered(state.m)
            rows.append({"d": float(d), "T": float(T), "regime": theory.classify(state.m),
                         **{f"m{k}": float(v) for k, v in enumerate(m, start=1)}})
    return rows


def learning_sweep(*, N=10_000, K=2, d=0.4, beta=10.0, r_values=(0.3, 0.5), M_sim=(1, 2, 4, 8, 16, 32, 64, 128),
                   M_theory=None, seeds=(0, 1), protocols=("supervised", "unsupervised"), n_sweeps=300,
                   n_measure=100, progress=False) -> list[dict]:
    """m_k vs the number of examples M per archetype, supervised vs unsupervised, several qualities r."""
    if M_theory is None:
        M_theory = np.unique(np.round(np.geomspace(1, max(M_sim), 40)).astype(int))
    rows = []
    for r in r_values:
        for M in M_theory:
            dist = theory.site_distribution(K, d, r, int(M))
            state = theory.solve(beta, K, d, r, int(M), init="pure", dist=dist)
            rows += _theory_rows(state, {"r": r, "M": int(M), "rho": dataset_entropy(int(M), r), "protocol": "theory"},
                                 spread=_spread(state, beta, dist, N))
    jobs = [(r, M, p) for r in r_values for M in M_sim for p in protocols]
    for r, M, protocol in progress_bar(jobs, progress, desc="learning sweep"):
        cfg = NetworkConfig(N=N, K=K, d=d, r=r, M=int(M), protocol=protocol, beta=beta, n_sweeps=n_sweeps,
                            n_measure=n_measure)
        rows += _sim_rows(cfg, {"r": r, "M": int(M), "rho": dataset_entropy(int(M), r), "protocol": protocol}, seeds)
    return rows


def rho_collapse(*, K=2, d=0.4, beta=10.0, r_values=(0.2, 0.3, 0.5, 0.7),
                 rho_values=np.geomspace(0.01, 3.0, 30)) -> list[dict]:
    """Theory m_k against rho: exact finite-M averages for several r, and the large-M limit (rho only)."""
    rows = []
    for r in r_values:
        Ms = sorted({max(1, int(round((1 - r * r) / (r * r * rho)))) for rho in rho_values})
        for M in Ms:
            rho = dataset_entropy(M, r)
            if rho > rho_values[-1] * 1.2:
                continue
            state = theory.solve(beta, K, d, r, M, init="pure")
            rows += _theory_rows(state, {"r": r, "M": M, "rho": rho, "averaging": "exact"
                                         if (3 + 2 * M) ** K <= theory.MAX_ENUMERATION else "gaussian"})
    for rho in rho_values:
        state = theory.solve(beta, K, d, init="pure", dist=theory.gaussian_site_distribution(K, d, float(rho)))
        rows += _theory_rows(state, {"r": float("nan"), "M": float("nan"), "rho": float(rho), "averaging": "large-M"})
    return rows


def learning_thresholds(rows, *, K, d, beta, fraction=0.9) -> list[dict]:
    """Smallest M with m_1 >= fraction * m_1(M = infinity), per r and protocol (theory and simulation).

    m_1 is the cued archetype. This operational threshold is ours (the paper's
    exact definition could not be checked here); its rho = (1 - r^2)/(M r^2)
    shows whether rho alone sets it. Simulation thresholds are limited to the
    simulated M grid and use the mean over seeds.
    """
    target = float(ordered(theory.solve(beta, K, d, init="pure").m)[0])
    out = []
    for r, protocol in sorted({(row["r"], row["protocol"]) for row in rows}):
        points = {}
        for row in rows:
            if row["r"] == r and row["protocol"] == protocol and row["k"] == 1:
                points.setdefault(row["M"], []).append(row["m"])
        reached = [M for M in sorted(points) if np.mean(points[M]) >= fraction * target]
        M_c = reached[0] if reached else None
        out.append({"r": r, "protocol": protocol, "fraction": fraction, "m1_infinity": target,
                    "M_threshold": M_c, "rho_threshold": dataset_entropy(M_c, r) if M_c else None})
    return out

