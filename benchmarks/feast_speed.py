"""FEAST speed: fused numba kernel vs the plain-NumPy reference of the same layer, in one run.

    python benchmarks/feast_speed.py      -> benchmarks/results/feast/speed.json and speed_grid.csv

Reports events/s per core (CPU time of this process, best of 3, so other load on
the machine distorts it less than wall time; wall time is recorded too) for
inference and learning, the numba/NumPy ratio, time per event as K and R grow,
and an ablation: a straightforward numba kernel (one exp per neighbour, dense
context, (K, D) weight layout) on the same events, to show what the fused
kernel's design buys.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

from feast_accuracy import shared_nmnist  # sibling script: one place finds the shared data

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "feast"


@njit(cache=True)
def naive_kernel(x, y, t, p, weights, radius, tau, width, height):
    """Split-polarity FEAST inference written the obvious way (for the ablation only)."""
    side = 2 * radius + 1
    last = np.full((2, height + 2 * radius, width + 2 * radius), -1e18)
    ctx = np.empty(side * side)
    out = np.empty(x.shape[0], dtype=np.int64)
    for e in range(x.shape[0]):
        c, px, py = p[e], x[e] + radius, y[e] + radius
        last[c, py, px] = t[e]
        norm2 = 0.0
        for dy in range(side):
            for dx in range(side):
                v = np.exp((last[c, py - radius + dy, px - radius + dx] - t[e]) / tau)
                ctx[dy * side + dx] = v
                norm2 += v * v
        inv = 1.0 / np.sqrt(norm2)
        best, best_value = -1, -np.inf
        for k in range(weights.shape[1]):
            d = 0.0
            for j in range(side * side):
                d += weights[c, k, j] * ctx[j] * inv
            if d > best_value:
                best, best_value = k, d
        out[e] = best
    return out


def timed(fn, repeats: int = 3) -> tuple[float, float]:
    """Best (CPU seconds, wall seconds) of ``repeats`` calls."""
    cpu, wall = np.inf, np.inf
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu, wall = min(cpu, time.process_time() - c0), min(wall, time.perf_counter() - w0)
    return cpu, wall


def main() -> int:
    from evlearn.feast import FEAST
    from evlearn.feast.data import load_folder
    from evlearn.io import run_record, write_csv, write_json

    data = shared_nmnist()
    streams, _ = load_folder(data / "Test")
    n = sum(s.size for s in streams)
    small = [s[:600] for s in streams[:5]]  # the NumPy reference is slow: 3000 events
    n_small = sum(s.size for s in small)
    print(f"{len(streams)} streams, {n} events; reference on {n_small} events", flush=True)

    model = FEAST(seed=0).fit(streams)  # default configuration, warmed up (compiled)
    cpu, wall = timed(lambda: [model.transform(s) for s in streams])
    ref_cpu, _ = timed(lambda: [model.transform(s, reference=True) for s in small], repeats=1)
    numba_small_cpu, _ = timed(lambda: [model.transform(s) for s in small])
    learn_cpu, learn_wall = timed(lambda: FEAST(seed=0).fit(streams), repeats=2)
    ref_learn_cpu, _ = timed(lambda: FEAST(seed=0).fit(small, reference=True), repeats=1)
    result = {
        "events": n,
        "inference_events_per_s_cpu": n / cpu,
        "inference_events_per_s_wall": n / wall,
        "learning_events_per_s_cpu": n / learn_cpu,
        "learning_events_per_s_wall": n / learn_wall,
        "reference_inference_events_per_s_cpu": n_small / ref_cpu,
        "reference_learning_events_per_s_cpu": n_small / ref_learn_cpu,
        # same events for both sides of the ratio
        "numba_over_numpy_inference": (n_small / numba_small_cpu) / (n_small / ref_cpu),
        "numba_over_numpy_learning": (n / learn_cpu) / (n_small / ref_learn_cpu),
    }
    print({k: round(v, 1) for k, v in result.items()}, flush=True)

    # ablation: the obvious numba kernel on the same events and weights
    weights = np.ascontiguousarray(model.weights_.reshape(2, model.n_neurons, -1))
    args = [(s["x"], s["y"], s["t"], s["p"]) for s in streams]
    naive_kernel(*args[0], weights, 4, 30_000.0, 34, 34)
    naive_cpu, _ = timed(lambda: [naive_kernel(*a, weights, 4, 30_000.0, 34, 34) for a in args])
    agree = np.mean(np.concatenate([naive_kernel(*a, weights, 4, 30_000.0, 34, 34) + s["p"] * model.n_neurons
                                    for a, s in zip(args, streams)])
                    == np.concatenate([model.transform(s)["p"] for s in streams]))
    result["naive_numba_inference_events_per_s_cpu"] = n / naive_cpu
    result["fused_over_naive"] = naive_cpu / cpu
    result["naive_agrees_fraction"] = float(agree)
    print(f"naive numba kernel: {n / naive_cpu / 1e6:.2f} M ev/s; fused is {naive_cpu / cpu:.1f}x faster "
          f"(same winners for {agree:.4%} of events)", flush=True)

    rows = []
    grid = [(k, 4, "split") for k in (8, 16, 32, 64, 128, 256)] + [(64, r, "split") for r in (0, 1, 2, 3, 5, 6)]
    grid += [(32, 4, "merge"), (64, 4, "stack")]
    for K, R, polarity in grid:
        layer = FEAST(n_neurons=K, radius=R, polarity=polarity, seed=0).fit(streams[:10])
        c, _ = timed(lambda: [layer.transform(s) for s in streams])
        lc, _ = timed(lambda: FEAST(n_neurons=K, radius=R, polarity=polarity, seed=0).fit(streams), repeats=1)
        rows.append({"n_neurons": K, "radius": R, "polarity": polarity, "inference_ns_per_event": 1e9 * c / n,
                     "inference_events_per_s": n / c, "learning_events_per_s": n / lc})
        print(rows[-1], flush=True)
    result["grid"] = rows
    write_json(OUT / "speed.json", run_record({"data": data / "Test", "defaults": "FEAST()"}, 0, **result))
    write_csv(OUT / "speed_grid.csv", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
