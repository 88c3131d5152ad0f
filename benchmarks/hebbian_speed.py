"""Speed of the numba low-rank Glauber kernel vs the dense NumPy reference (same run, ratios).

    python benchmarks/hebbian_speed.py [--out benchmarks/results/hebbian/speed.json]

Times one sweep of each at N = 2000 (dense reference is O(N^2) per sweep), and
the numba kernel alone for N = 10,000 and 50,000 (supervised and unsupervised).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from evlearn.hebbian import couplings as C
from evlearn.hebbian import glauber as G
from evlearn.hebbian import patterns as P
from evlearn.io import run_record, write_json


def seconds_per_sweep(couplings, xi, n_sweeps, reference=False):
    G.simulate(couplings, xi, 5.0, 1, init="archetype", seed=0, reference=reference)  # compile / warm up
    start = time.perf_counter()
    G.simulate(couplings, xi, 5.0, n_sweeps, init="archetype", seed=1, reference=reference)
    return (time.perf_counter() - start) / n_sweeps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/hebbian/speed.json")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    xi = P.make_archetypes(2000, 3, 0.5, rng)
    sup = C.supervised_couplings(P.make_examples(xi, 20, 0.6, rng), 0.6, 0.5)
    fast, slow = seconds_per_sweep(sup, xi, 20), seconds_per_sweep(sup, xi, 2, reference=True)
    rows.append({"N": 2000, "protocol": "supervised", "numba_s_per_sweep": fast,
                 "numpy_dense_s_per_sweep": slow, "speedup": slow / fast})
    for N in (10_000, 50_000):
        xi = P.make_archetypes(N, 3, 0.5, rng)
        eta = P.make_examples(xi, 20, 0.6, rng)
        for protocol in ("supervised", "unsupervised"):
            c = C.hebbian_couplings(protocol, d=0.5, examples=eta, r=0.6)
            rows.append({"N": N, "protocol": protocol, "features": c.features.shape[0],
                         "numba_s_per_sweep": seconds_per_sweep(c, xi, 20)})
    for row in rows:
        print(row)
    write_json(args.out, run_record({"K": 3, "d": 0.5, "M": 20, "r": 0.6, "beta": 5.0}, 0, results=rows))


if __name__ == "__main__":
    main()
