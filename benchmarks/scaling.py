"""Serial vs a Dask LocalCluster, measured in one run, and an extrapolation to 16/64/256 workers.

Two workloads (issue 13):

* FEAST extraction: the CLI-default model (fitted here on nmnist-small/Train,
  not timed) over all 850 shared N-MNIST recordings (Train + Test), one .npy
  output per recording, as `evlearn feast extract`.
* Split-MNIST: benchmarks/configs/split_mnist.toml, 5 strategies x 3 seeds, as
  `evlearn bench run` (one task per run); `--epochs` overrides the config's
  epochs to fit a run on a busy machine (the JSON records what was used).

Serial runs use one torch thread (each Dask worker has one thread). Outputs are
checked equal (extraction byte for byte, accuracy matrices exactly). Overheads:
cluster start, the workers' warm-up (the imports and numba cache loads the
serial process did before its timed phase, excluded from both sides' timed
phases), pickling and broadcasting the model / data, the round trip of an
empty task, and the CPU an idle cluster uses with Dask's default settings and
with evlearn's (evlearn.parallel.WORKER_SETTINGS). The machine's load
(os.getloadavg) and the CPU time each side obtained are recorded, since the
cores may be shared with other jobs (on a virtual machine, with its host's).

Each workload is measured several times (``--repeats``, ``--bench-repeats``),
serial and parallel in turn (a fresh cluster each time; FEAST extraction
serially right before and right after the Dask phase, and the mean of the two,
which cancels a steady drift of the machine's speed: on a shared VM the CPU
seconds of the same serial extraction, recorded per phase, vary by tens of
percent from one minute to the next); the speed-up is the median of the paired
ratios, and every repeat is kept in the JSON with the seconds all CPUs spent
idle, waiting for I/O and stolen by the hypervisor. Before each timed phase the
file system is synced, so the write-back of one phase's output files is not
billed to the next. Both workloads also run on a plain ``multiprocessing`` pool
of as many processes, forked from the warm benchmark process, with the same
tasks (FEAST: the same partitions, after the second serial phase): the speed-up
these cores give without Dask, against which Dask's own cost shows.

    python benchmarks/scaling.py [--workers 2] [--repeats 9] [--bench-repeats 3] [--epochs 1] [--skip-bench]
"""
from __future__ import annotations

import argparse
import heapq
import math
import multiprocessing
import os
import pickle
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from feast_accuracy import shared_nmnist  # noqa: E402  sibling script: one place finds the shared data

N_MNIST_FULL = 70_000          # recordings in the full N-MNIST (60k train + 10k test)
SWEEP_RUNS = 500
WORKER_COUNTS = (1, 2, 16, 64, 256)
SERIAL = ("serial", "serial_after")


def _noop(x):
    return x


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _workers_cpu(executor) -> float:
    return sum(executor.client.run(_cpu_seconds).values())


def _cpu_states() -> dict:
    """Seconds all CPUs spent idle, waiting for I/O and stolen by the hypervisor so far (Linux; else empty)."""
    try:
        with open("/proc/stat") as handle:
            fields = handle.readline().split()
    except OSError:
        return {}
    ticks = os.sysconf("SC_CLK_TCK")
    return {"idle_s": int(fields[4]) / ticks, "iowait_s": int(fields[5]) / ticks, "steal_s": int(fields[8]) / ticks}


class Phase:
    """Wall time, CPU time obtained (this process + workers) and load average of one measured phase.

    The file system is synced first: the previous phase's output files are not written back during this one."""

    def __init__(self, executor=None):
        self.executor = executor

    def __enter__(self):
        os.sync()
        self.states0 = _cpu_states()
        self.load_before = os.getloadavg()[0]
        self.cpu0 = _cpu_seconds() + (_workers_cpu(self.executor) if self.executor else 0.0)
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.cpu = _cpu_seconds() + (_workers_cpu(self.executor) if self.executor else 0.0) - self.cpu0
        self.load_after = os.getloadavg()[0]
        self.states = {k: v - self.states0[k] for k, v in _cpu_states().items()}
        return False

    def record(self) -> dict:
        return {"wall_s": round(self.wall, 3), "cpu_s": round(self.cpu, 3),
                "cores_obtained": round(self.cpu / self.wall, 3),
                "load_avg_1min": [round(self.load_before, 2), round(self.load_after, 2)],
                "all_cpus": {k: round(v, 2) for k, v in self.states.items()}}


def _tree_bytes(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.npy"))}


def overheads(executor, payload) -> dict:
    """Task round trip, and pickling and broadcasting ``payload`` (the model or the data), on ``executor``."""
    n = 200
    t0 = time.perf_counter()
    executor.map(_noop, range(n))
    out = {"empty_task_round_trip_ms": round(1000 * (time.perf_counter() - t0) / n, 3)}
    t0 = time.perf_counter()
    out["payload_bytes"] = len(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    out["payload_pickle_ms"] = round(1000 * (time.perf_counter() - t0), 3)
    t0 = time.perf_counter()
    executor.client.scatter(payload, broadcast=True, hash=False)
    out["payload_broadcast_ms"] = round(1000 * (time.perf_counter() - t0), 3)
    return out


def idle_cluster_cpu(n_workers: int, seconds: float = 5.0) -> dict:
    """Percent of one core an idle LocalCluster (client, scheduler, nannies, workers) uses, with Dask's default
    settings and with evlearn's WORKER_SETTINGS."""
    import logging

    import psutil
    from distributed import Client, LocalCluster

    from evlearn.parallel import Executor

    def tree_cpu():
        total = 0.0
        for proc in [psutil.Process()] + psutil.Process().children(recursive=True):
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:     # a process that ended meanwhile
                pass
        return total

    def measure():
        time.sleep(1.0)                       # past the start-up
        cpu0, t0 = tree_cpu(), time.perf_counter()
        time.sleep(seconds)
        return round(100 * (tree_cpu() - cpu0) / (time.perf_counter() - t0), 1)

    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster):
        defaults = measure()
    with Executor("local", n_workers):
        ours = measure()
    return {"dask_defaults_percent_of_a_core": defaults, "evlearn_settings_percent_of_a_core": ours,
            "seconds": seconds}


def task_timeline(stream, since: float, until: float) -> dict:
    """From Dask's task ``stream`` (distributed.get_task_stream): when the first task started computing after
    ``since`` (the call), and per worker its busy (computing) time and how long before ``until`` (the
    return) it ran out of tasks."""
    busy, last = {}, {}
    first = math.inf
    for task in stream.data:
        for span in task["startstops"]:
            if span["action"] == "compute":
                first = min(first, span["start"])
                busy[task["worker"]] = busy.get(task["worker"], 0.0) + span["stop"] - span["start"]
                last[task["worker"]] = max(last.get(task["worker"], 0.0), span["stop"])
    return {"first_task_start_s": round(first - since, 3),
            "worker_busy_s": sorted(round(b, 3) for b in busy.values()),
            "worker_idle_at_end_s": sorted(round(until - t, 3) for t in last.values())}


def _median(values) -> float:
    return float(np.median(list(values)))


def _warm_worker(modules, features=None, jobs=()) -> None:
    """On every worker, what this process did before its serial phase: import ``modules`` (torch) or extract
    ``jobs`` (FEAST: loads the modules and numba kernels extraction uses). Timed apart: a serial run's own
    warm-up happened before its timed phase too."""
    import importlib

    from evlearn.feast.bulk import _extract_partition

    for name in modules:
        importlib.import_module(name)
    _extract_partition([(source, target.with_name(f"{os.getpid()}-{target.name}")) for source, target in jobs],
                       features)


def _pool_partition(args):
    from evlearn.feast.bulk import _extract_partition

    return _extract_partition(*args)


def _pool_run(args):
    from evlearn.continual.runner import _run_task

    _run_task(*args)


def feast_extraction(n_workers: int, work: Path, repeats: int) -> dict:
    from distributed import get_task_stream

    from evlearn.cli.feast import build_model
    from evlearn.feast.bulk import _for_task, _for_workers, extract_files, extraction_jobs, partition_sizes
    from evlearn.feast.data import load_folder
    from evlearn.parallel import Executor, partitions

    data = shared_nmnist()
    streams, labels = load_folder(data / "Train")
    model = build_model().fit(streams, labels)          # CLI defaults, not timed
    features = model.features_

    def jobs(tag):
        return [job for split in ("Train", "Test") for job in extraction_jobs(data / split, work / tag / split)]

    extract_files(features, jobs("warm")[:2])           # numba kernels compiled before timing
    reps = []
    for r in range(repeats):
        with Phase() as serial:
            rows = extract_files(features, jobs("serial"))
        t0 = time.perf_counter()
        with Executor("local", n_workers) as executor:
            start_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            executor.client.run(_warm_worker, (), _for_workers(features), jobs("warm")[:2])
            warmup_s = time.perf_counter() - t0
            with get_task_stream(executor.client) as stream, Phase(executor) as parallel:  # its RPCs untimed
                since = time.time()
                extract_files(features, jobs("dask"), executor=executor)
                until = time.time()
            timeline = task_timeline(stream, since, until)
            if r == repeats - 1:
                costs = overheads(executor, _for_workers(features))   # what extract_files sends
        with Phase() as serial_after:      # serial again: the mean of the two cancels a drift of the machine
            extract_files(features, jobs("serial_after"))
        parts = partitions([tuple(map(_for_task, job)) for job in jobs("pool")],   # as extract_files sends them
                           partition_sizes(len(rows), n_workers))
        with multiprocessing.get_context("fork").Pool(n_workers) as pool:    # forked: kernels already loaded
            pool.map(_pool_partition, [(part[:1], features) for part in parts[:n_workers]])
            with Phase() as plain:
                pool.map(_pool_partition, [(part, features) for part in parts], chunksize=1)
        equal = (_tree_bytes(work / "serial") == _tree_bytes(work / "dask") == _tree_bytes(work / "pool")
                 == _tree_bytes(work / "serial_after"))
        for tag in ("serial", "pool", "dask", "serial_after"):
            shutil.rmtree(work / tag)
        serial_s = (serial.wall + serial_after.wall) / 2
        reps.append({"serial": serial.record(), "serial_after": serial_after.record(),
                     "processes_without_dask": plain.record(),
                     "parallel": {**parallel.record(), **timeline}, "cluster_start_s": round(start_s, 3),
                     "worker_warmup_s": round(warmup_s, 3),
                     "speedup_map": round(serial_s / parallel.wall, 3),
                     "speedup_processes_without_dask": round(serial_s / plain.wall, 3),
                     "speedup_including_cluster_start": round(serial_s / (start_s + parallel.wall), 3),
                     "outputs_byte_identical": equal})
        print(f"  FEAST extraction, repeat {r + 1}/{repeats}: serial {serial_s:.2f} s, {n_workers} processes "
              f"without Dask x{reps[-1]['speedup_processes_without_dask']}, Dask x{reps[-1]['speedup_map']}",
              flush=True)
    n_files = len(rows)
    return {
        "files": n_files, "events_in": int(sum(r["events_in"] for r in rows)),
        "events_out": int(sum(r["events_out"] for r in rows)),
        "files_per_task": [len(part) for part in parts], "repeats": reps,
        "speedup_map": round(_median(rep["speedup_map"] for rep in reps), 3),
        "speedup_processes_without_dask": round(_median(rep["speedup_processes_without_dask"] for rep in reps), 3),
        "speedup_including_cluster_start": round(_median(rep["speedup_including_cluster_start"] for rep in reps), 3),
        "cluster_start_s": round(_median(rep["cluster_start_s"] for rep in reps), 3),
        "worker_warmup_s": round(_median(rep["worker_warmup_s"] for rep in reps), 3),
        "outputs_byte_identical": all(rep["outputs_byte_identical"] for rep in reps),
        "overheads": {**costs,
                      "model_bytes_with_history": len(pickle.dumps(features, protocol=pickle.HIGHEST_PROTOCOL))},
        "serial_seconds_per_file": _median(rep[k]["wall_s"] for rep in reps for k in SERIAL) / n_files,
        "serial_cpu_seconds_per_file": _median(rep[k]["cpu_s"] for rep in reps for k in SERIAL) / n_files,
    }


def split_mnist(n_workers: int, work: Path, epochs: int | None, repeats: int) -> dict:
    import dataclasses

    import torch

    from evlearn.continual.data import load_arrays
    from evlearn.continual.runner import read_bench_config, run_benchmark, validate
    from evlearn.io import read_json
    from evlearn.parallel import Executor

    torch.set_num_threads(1)
    cfg = read_bench_config(ROOT / "benchmarks" / "configs" / "split_mnist.toml")   # data root: from ROOT
    if epochs is not None:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, n_epochs=epochs))
    arrays = load_arrays(cfg.data.name, cfg.data.root)
    reps = []
    for r in range(repeats):
        with Phase() as serial:
            serial_results = run_benchmark(cfg, work / "serial")
        t0 = time.perf_counter()
        with Executor("local", n_workers) as executor:
            start_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            executor.client.run(_warm_worker, ("torch",))    # imported here before the serial phase
            warmup_s = time.perf_counter() - t0
            with Phase(executor) as parallel:
                parallel_results = run_benchmark(cfg, work / "dask", executor=executor)
            if r == repeats - 1:
                costs = overheads(executor, arrays)
        tasks = [(cfg, spec, seed, str(work / "pool" / spec.label / f"seed_{seed}"), None)   # as run_benchmark's
                 for spec in validate(cfg) for seed in cfg.seeds]
        with multiprocessing.get_context("fork").Pool(n_workers) as pool:   # forked: torch already imported
            with Phase() as plain:
                pool.map(_pool_run, [(task, arrays) for task in tasks], chunksize=1)
        pool_results = [read_json(Path(task[3]) / "metrics.json") for task in tasks]
        equal = all(np.array_equal(a["accuracy_matrix"], b["accuracy_matrix"]) and
                    np.array_equal(a["accuracy_matrix"], c["accuracy_matrix"])
                    for a, b, c in zip(serial_results, parallel_results, pool_results))
        run_seconds = [sum(read_json(p)["task_seconds"]) for p in sorted((work / "serial").glob("*/seed_*/metrics.json"))]
        for tag in ("serial", "dask", "pool"):
            shutil.rmtree(work / tag)
        reps.append({"serial": serial.record(), "parallel": parallel.record(),
                     "processes_without_dask": plain.record(), "cluster_start_s": round(start_s, 3),
                     "worker_warmup_s": round(warmup_s, 3),
                     "speedup_map": round(serial.wall / parallel.wall, 3),
                     "speedup_processes_without_dask": round(serial.wall / plain.wall, 3),
                     "speedup_including_cluster_start": round(serial.wall / (start_s + parallel.wall), 3),
                     "accuracy_matrices_identical": bool(equal),
                     "serial_train_seconds_per_run": {"mean": float(np.mean(run_seconds)),
                                                      "max": float(np.max(run_seconds))}})
        print(f"  Split-MNIST, repeat {r + 1}/{repeats}: serial {serial.wall:.1f} s, {n_workers} processes without "
              f"Dask x{reps[-1]['speedup_processes_without_dask']}, Dask x{reps[-1]['speedup_map']}", flush=True)
    n_runs = len(serial_results)
    return {
        "config": "benchmarks/configs/split_mnist.toml", "epochs": cfg.train.n_epochs, "runs": n_runs,
        "repeats": reps,
        "speedup_map": round(_median(rep["speedup_map"] for rep in reps), 3),
        "speedup_processes_without_dask": round(_median(rep["speedup_processes_without_dask"] for rep in reps), 3),
        "speedup_including_cluster_start": round(_median(rep["speedup_including_cluster_start"] for rep in reps), 3),
        "cluster_start_s": round(_median(rep["cluster_start_s"] for rep in reps), 3),
        "worker_warmup_s": round(_median(rep["worker_warmup_s"] for rep in reps), 3),
        "accuracy_matrices_identical": all(rep["accuracy_matrices_identical"] for rep in reps), "overheads": costs,
        "serial_seconds_per_run": _median(rep["serial"]["wall_s"] for rep in reps) / n_runs,
        "serial_cpu_seconds_per_run": _median(rep["serial"]["cpu_s"] for rep in reps) / n_runs,
    }


def cpu_inflation(workload: dict, serial_keys) -> float:
    """Median over repeats of the CPU seconds the parallel phase used over those of serial (mean of ``serial_keys``)."""
    return round(_median(rep["parallel"]["cpu_s"] / np.mean([rep[k]["cpu_s"] for k in serial_keys])
                         for rep in workload["repeats"]), 3)


def extrapolate(per_item_s: float, n_items: int, task_sizes, start_s: float, ship_s: float,
                round_trip_s: float, workers, inflation: float = 1.0) -> list[dict]:
    """Makespan model: start + ship + max(the tasks list-scheduled on the workers, the scheduler's
    per-task cost in series). ``task_sizes(n_items, workers)``: items per task, in submission order;
    ``inflation``: CPU a task takes on a worker over what it takes serially."""
    rows = []
    for w in workers:
        if w == 1:                      # serial, in-process: no scheduler
            rows.append({"workers": 1, "tasks": n_items, "items_per_task": "1",
                         "predicted_s": round(n_items * per_item_s, 1), "predicted_speedup": 1.0})
            continue
        sizes = task_sizes(n_items, w)
        free = [0.0] * w                # each task goes to the first worker free, as Dask's queue does
        for size in sizes:
            heapq.heapreplace(free, free[0] + size * per_item_s * inflation)
        scheduler = len(sizes) * round_trip_s / min(w, 8)   # round trips overlap, up to ~8 in flight
        total = start_s + ship_s + max(max(free), scheduler)
        rows.append({"workers": w, "tasks": len(sizes), "items_per_task": f"{max(sizes)}..{min(sizes)}",
                     "predicted_s": round(total, 1), "predicted_speedup": round(n_items * per_item_s / total, 2)})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=9, help="serial/parallel rounds of FEAST extraction (median)")
    parser.add_argument("--bench-repeats", type=int, default=3, help="serial/parallel rounds of Split-MNIST")
    parser.add_argument("--epochs", type=int, default=None, help="override the Split-MNIST config's epochs")
    parser.add_argument("--skip-bench", action="store_true", help="FEAST extraction only")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "scaling.json"))
    parser.add_argument("--extrapolate-only", action="store_true",
                        help="measure nothing: recompute the extrapolation of the measurements in --out")
    args = parser.parse_args(argv)

    from evlearn.feast.bulk import partition_sizes
    from evlearn.io import read_json, run_record, write_csv, write_json

    if args.extrapolate_only:
        stored = read_json(args.out)
        result = {k: stored[k] for k in ("workers", "cpu_count", "idle_cluster_cpu", "feast_extraction", "split_mnist")
                  if k in stored}
        result["measured"] = stored.get("measured") or {k: stored[k] for k in ("command", "created", "versions")}
    else:
        os.chdir(ROOT)                      # the config's relative data root
        work = Path(tempfile.mkdtemp(prefix="evlearn-scaling-"))
        try:
            result = {"workers": args.workers, "cpu_count": os.cpu_count(),
                      "idle_cluster_cpu": idle_cluster_cpu(args.workers),
                      "feast_extraction": feast_extraction(args.workers, work / "feast", args.repeats)}
            if not args.skip_bench:
                result["split_mnist"] = split_mnist(args.workers, work / "bench", args.epochs, args.bench_repeats)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    fe = result["feast_extraction"]
    inflation = {"feast_extraction": cpu_inflation(fe, SERIAL)}
    tables = {"feast_extraction_full_nmnist": extrapolate(
        fe["serial_cpu_seconds_per_file"], N_MNIST_FULL, partition_sizes, fe["cluster_start_s"] + fe["worker_warmup_s"],
        fe["overheads"]["payload_broadcast_ms"] / 1000, fe["overheads"]["empty_task_round_trip_ms"] / 1000,
        WORKER_COUNTS, inflation["feast_extraction"])}
    if "split_mnist" in result:
        sm = result["split_mnist"]
        inflation["split_mnist"] = cpu_inflation(sm, ("serial",))
        tables[f"sweep_{SWEEP_RUNS}_runs"] = extrapolate(
            sm["serial_cpu_seconds_per_run"], SWEEP_RUNS, lambda n, w: [1] * n, sm["cluster_start_s"] + sm["worker_warmup_s"],
            sm["overheads"]["payload_broadcast_ms"] / 1000, sm["overheads"]["empty_task_round_trip_ms"] / 1000,
            WORKER_COUNTS, inflation["split_mnist"])
    result["extrapolation"] = {
        "tables": tables,
        "parallel_cpu_over_serial_cpu": inflation,
        "assumptions": [
            "each worker is one core as fast as one core of this machine: a task costs its serial CPU seconds "
            "per file (FEAST) or per run (sweep), not wall time, which the shared machine inflated, times the "
            "measured ratio of the workers' CPU seconds to serial CPU seconds for the same work "
            "(parallel_cpu_over_serial_cpu: Dask's own work and the cost of busy cores on this machine); "
            "that this ratio holds on other machines is not measured",
            "sweep runs cost what the measured Split-MNIST runs cost (epochs as recorded above)",
            "tasks as `evlearn feast extract` cuts them (evlearn.feast.bulk.partition_sizes: 64 files, "
            "shrinking to 8 at the end) or one per run, each given to the first free worker; task time = "
            "items x per-item time",
            "the scheduler's per-task round trip (measured with empty tasks) overlaps for up to 8 tasks in "
            "flight and bounds the makespan from below",
            "cluster start, worker warm-up (imports, numba cache loads) and one broadcast of the model (or "
            "data) as measured here, independent of workers",
            "inputs and outputs on a shared file system fast enough not to limit (not measured here)",
            "no GPU and no 16-core machine was available to this task: no measured curve beside the model",
        ],
    }
    record = run_record(None, None, script="benchmarks/scaling.py", **result)
    write_json(args.out, record)
    write_csv(Path(args.out).with_suffix(".csv"),
              [{"workload": name, **row} for name, rows in tables.items() for row in rows])
    print(f"FEAST extraction, {args.workers} workers (median of {len(fe['repeats'])}): x{fe['speedup_map']} "
          f"(x{fe['speedup_processes_without_dask']} without Dask; x{fe['speedup_including_cluster_start']} with "
          f"cluster start); identical outputs: {fe['outputs_byte_identical']}")
    if "split_mnist" in result:
        sm = result["split_mnist"]
        print(f"Split-MNIST {sm['runs']} runs, {sm['epochs']} epoch(s), {args.workers} workers (median of "
              f"{len(sm['repeats'])}): x{sm['speedup_map']} (x{sm['speedup_processes_without_dask']} without Dask); identical: {sm['accuracy_matrices_identical']}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
