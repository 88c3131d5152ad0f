"""Time-surface benchmark on real N-MNIST recordings (one run, one JSON file).

Measures events per second of
  * our global time-surface kernel (evlearn.functional.global_time_surfaces) vs
    tonic's ``ToTimesurface(sensor_size, dt, tau)`` (target: >= 10x), and
  * our local per-event kernel (evlearn.functional.local_time_surfaces) vs its pure
    NumPy reference (target: >= 50x),
on the same samples, in the same process, after warming numba up. On every sample
the contenders take turns, each running twice per turn: "cold" is the best first
call of a turn (right after the other contender), "warm" the best second call (a
loop over a data set); see ``time_per_sample``. Each call's output is discarded,
as in a data loader that consumes one sample at a time. Outputs are also checked
against each other (max relative difference) on the first samples.

    /work/venv/bin/python benchmarks/time_surfaces.py            # writes benchmarks/results/time_surfaces.json
    /work/venv/bin/python benchmarks/time_surfaces.py --n-samples 20 --output /tmp/ts.json
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time
from pathlib import Path

import numpy as np

from evlearn.datasets.nmnist import read_nmnist
from evlearn.events import NMNIST_SENSOR
from evlearn.functional.global_time_surface import global_time_surfaces
from evlearn.functional.local_time_surface import local_time_surfaces, local_time_surfaces_reference
from evlearn.io import run_record, write_json

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "nmnist-small" / "Train"
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "time_surfaces.json"
GLOBAL_TARGET, LOCAL_TARGET = 10.0, 50.0


@dataclasses.dataclass(frozen=True)
class TimeSurfaceBenchmark:
    data: str = str(DEFAULT_DATA)
    n_samples: int = 200
    seed: int = 0
    repeats: int = 3
    check_samples: int = 10
    # (dt_us, tau_us) for global surfaces: 1 ms and 10 ms slices of ~300 ms recordings
    global_settings: tuple = ((1_000, 5_000.0), (10_000, 20_000.0))
    # (radius, tau_us, merge_polarities) for local surfaces: FEAST / HOTS sized patches
    local_settings: tuple = ((2, 20_000.0, False), (2, 20_000.0, True), (4, 20_000.0, False))


def pick_samples(config: TimeSurfaceBenchmark) -> list[Path]:
    files = sorted(Path(config.data).glob("*/*.bin"))
    if len(files) < config.n_samples:
        raise ValueError(f"{config.data}: found {len(files)} .bin files, need {config.n_samples}")
    chosen = np.random.default_rng(config.seed).choice(len(files), config.n_samples, replace=False)
    return [files[i] for i in sorted(chosen)]


def time_per_sample(functions: dict, streams, repeats: int) -> dict:
    """Summed seconds over samples, per function: ``{"warm": ..., "cold": ...}``.

    On each sample the functions take ``repeats`` turns; in a turn a function runs
    twice in a row. The first call follows the other contender, whose work has evicted
    this one's buffers from the caches ("cold"); the second is the steady state of a
    loop over a data set ("warm"). Each counts its best over the turns (timeit's rule,
    which drops bursts of load from other processes on this shared machine).
    """
    total = {name: {"warm": 0.0, "cold": 0.0} for name in functions}
    for events in streams:
        best = {name: {"warm": float("inf"), "cold": float("inf")} for name in functions}
        for _ in range(repeats):
            for name, function in functions.items():
                for state in ("cold", "warm"):
                    start = time.perf_counter()
                    function(events)  # result discarded
                    best[name][state] = min(best[name][state], time.perf_counter() - start)
        for name in functions:
            for state in ("warm", "cold"):
                total[name][state] += best[name][state]
    return total


def max_relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    scale = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0


def run(config: TimeSurfaceBenchmark) -> dict:
    import tonic  # benchmark-only dependency

    sensor = tuple(NMNIST_SENSOR)
    paths = pick_samples(config)
    streams = [read_nmnist(path) for path in paths]
    n_events = int(sum(len(events) for events in streams))
    checked = streams[: config.check_samples]
    load_before = os.getloadavg()

    # Warm up numba (compiles or loads the on-disk cache) before any timing.
    global_time_surfaces(streams[0], sensor, 1_000, 5_000.0)
    local_time_surfaces(streams[0], sensor, 1, 1_000.0)

    global_rows = []
    for dt, tau in config.global_settings:
        theirs = tonic.transforms.ToTimesurface(sensor_size=sensor, dt=dt, tau=tau)
        ours = lambda ev, dt=dt, tau=tau: global_time_surfaces(ev, sensor, dt, tau)  # noqa: E731
        seconds = time_per_sample({"evlearn": ours, "tonic": theirs}, streams, config.repeats)
        difference = max(max_relative_difference(ours(ev), theirs(ev.copy())) for ev in checked)
        row = {"dt_us": dt, "tau_us": tau}
        for state in ("warm", "cold"):
            speedup = seconds["tonic"][state] / seconds["evlearn"][state]
            row[state] = {"evlearn_events_per_s": n_events / seconds["evlearn"][state],
                          "tonic_events_per_s": n_events / seconds["tonic"][state],
                          "speedup": speedup, "meets_target": speedup >= GLOBAL_TARGET}
        global_rows.append({**row, "target": GLOBAL_TARGET, "max_relative_difference_vs_tonic": difference})

    local_rows = []
    for radius, tau, merge in config.local_settings:
        ours = lambda ev, r=radius, tau=tau, m=merge: local_time_surfaces(ev, sensor, r, tau, m)  # noqa: E731
        reference = lambda ev, r=radius, tau=tau, m=merge: local_time_surfaces_reference(ev, sensor, r, tau, m)  # noqa: E731
        seconds = time_per_sample({"numba": ours, "numpy_reference": reference}, streams, config.repeats)
        difference = max(max_relative_difference(ours(ev), reference(ev)) for ev in checked)
        row = {"radius": radius, "tau_us": tau, "merge_polarities": merge}
        for state in ("warm", "cold"):
            speedup = seconds["numpy_reference"][state] / seconds["numba"][state]
            row[state] = {"numba_events_per_s": n_events / seconds["numba"][state],
                          "numpy_reference_events_per_s": n_events / seconds["numpy_reference"][state],
                          "speedup": speedup, "meets_target": speedup >= LOCAL_TARGET}
        local_rows.append({**row, "target": LOCAL_TARGET, "max_relative_difference_vs_reference": difference})

    return {
        "benchmark": "time_surfaces",
        "data": {"root": config.data, "samples": len(streams), "events": n_events,
                 "files": [str(path.relative_to(config.data)) for path in paths]},
        "timing": {"statistic": (f"sum over samples of the best of {config.repeats} turns; per turn each contender "
                                 "runs twice: cold = first call (after the other contender), warm = second call; "
                                 "outputs discarded"),
                   "cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                   "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "global": global_rows,
        "local": local_rows,
        **run_record(config, config.seed),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder with <label>/<id>.bin N-MNIST files")
    parser.add_argument("--n-samples", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    config = TimeSurfaceBenchmark(data=args.data, n_samples=args.n_samples, seed=args.seed, repeats=args.repeats)
    result = run(config)
    write_json(args.output, result)
    for row in result["global"]:
        for state in ("warm", "cold"):
            r = row[state]
            print(f"global dt={row['dt_us']} tau={row['tau_us']} ({state}): {r['evlearn_events_per_s']:.3g} ev/s vs "
                  f"tonic {r['tonic_events_per_s']:.3g} ev/s = {r['speedup']:.1f}x (target {row['target']:.0f}x)")
    for row in result["local"]:
        for state in ("warm", "cold"):
            r = row[state]
            print(f"local R={row['radius']} tau={row['tau_us']} merge={row['merge_polarities']} ({state}): "
                  f"{r['numba_events_per_s']:.3g} ev/s vs NumPy {r['numpy_reference_events_per_s']:.3g} ev/s "
                  f"= {r['speedup']:.1f}x (target {row['target']:.0f}x)")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
