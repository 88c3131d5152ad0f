"""Finite-size soft modes: simulated spread of vanishing amplitudes vs theory.finite_size_spread.

    python benchmarks/hebbian_finite_size.py [--out benchmarks/results/hebbian/finite_size.json]

(a) Pure state, K = 3, d = 0.5, T = 0.7, N = 20,000: spread of m_2, m_3 over 10
    independent networks vs the linear-response prediction.
(b) Hierarchical state, d = 0.5, T = 0.45, N = 50,000: one 3,000-sweep run, the
    smallest amplitude over time vs the predicted s.d. (theory: exactly 0).
Temperatures in the 'mean-field' coupling convention (as when finite_size.json was made).
"""
from __future__ import annotations

import argparse

import numpy as np

from evlearn.hebbian import theory
from evlearn.hebbian.config import NetworkConfig
from evlearn.hebbian.experiments import build_network, ordered
from evlearn.hebbian.glauber import simulate
from evlearn.io import run_record, write_json

CONVENTION = "mean-field"


def prediction(d, temperature, N):
    dist = theory.site_distribution(3, d, convention=CONVENTION)
    state = theory.solve(1 / temperature, 3, d, init="pure", dist=dist)
    return (state, theory.finite_size_spread(state, 1 / temperature, dist, N),
            theory.stability_eigenvalues(state, 1 / temperature, dist))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/hebbian/finite_size.json")
    args = parser.parse_args()

    d, T, N = 0.5, 0.7, 20_000
    state, sd, eig = prediction(d, T, N)
    samples = []
    for seed in range(10):
        cfg = NetworkConfig(N=N, K=3, d=d, protocol="archetypes", beta=1 / T, n_sweeps=200, n_measure=100,
                            seed=seed, convention=CONVENTION)
        xi, _, couplings = build_network(cfg)
        samples.append(simulate(couplings, xi, cfg.beta, 200, n_measure=100, init="archetype", seed=seed + 1).m_mean)
    samples = np.array(samples)
    spread = {"d": d, "T": T, "N": N, "networks": 10, "theory_m": state.m, "stability_eigenvalues": eig,
              "predicted_sd": sd,
              "simulated_mean": samples.mean(axis=0), "simulated_sd": samples.std(axis=0)}

    d, T, N = 0.5, 0.45, 50_000
    state, sd, eig = prediction(d, T, N)
    cfg = NetworkConfig(N=N, K=3, d=d, protocol="archetypes", beta=1 / T, n_sweeps=3000, n_measure=1000,
                        convention=CONVENTION)
    xi, _, couplings = build_network(cfg)
    run = simulate(couplings, xi, cfg.beta, 3000, n_measure=1000, init="archetype", seed=1)
    smallest = np.array([ordered(m)[2] for m in run.m_trace])
    long_run = {"d": d, "T": T, "N": N, "sweeps": 3000, "theory_m": ordered(state.m), "stability_eigenvalues": eig,
                "predicted_sd": sd,
                "time_average_m": ordered(run.m_mean),
                "smallest_amplitude_at_sweeps": {str(t): float(smallest[t]) for t in (100, 500, 1000, 2000, 3000)}}
    print("spread over networks:", spread)
    print("long run:", long_run)
    write_json(args.out, run_record(None, 0, spread_over_networks=spread, long_run=long_run))


if __name__ == "__main__":
    main()
