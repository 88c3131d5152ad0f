"""FEAST accuracy on N-MNIST (shared subset): Train 800 -> Test 50, 5-fold CV on Train, 3 seeds.

    python benchmarks/feast_accuracy.py            # defaults, seeds 0 1 2  -> results/feast/accuracy.json
    python benchmarks/feast_accuracy.py --sweep    # one-at-a-time tuning sweep, CV on Train only -> sweep.json
    python benchmarks/feast_accuracy.py --extra    # combinations, 2 layers, 2 epochs, CV on Train -> sweep_extra.json

The model is ``evlearn.feast.readout.build_pipeline()`` with no arguments, i.e.
exactly what ``evlearn feast fit`` trains with its defaults. Cross-validation
is ``evlearn.feast.readout.cross_val_predict`` (the demo's too): in every fold a
fresh clone of the model learns its FEAST features from the training folds only. The baseline is the
event-count frame (log1p) with the same logistic regression and the same folds.
Tuning (``--sweep``) uses cross-validation on Train only; Test is never used to
choose anything.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "feast"


def shared_nmnist() -> Path:
    return Path(os.environ.get("EVLEARN_SHARED_DATA", ROOT.parent / "shared" / "data")) / "nmnist-small"


def evaluate_config(train, ytr, test, yte, n_folds: int, seed: int, with_test: bool = True, **config) -> dict:
    from evlearn.feast.readout import build_pipeline, cross_val_predict

    start = time.process_time()
    pred = cross_val_predict(build_pipeline(seed=seed, **config), train, ytr, n_folds=n_folds, seed=seed)
    result = {"config": config, "seed": seed, "cv_accuracy": float(np.mean(pred == ytr)),
              "cv_folds": n_folds}
    if with_test:
        pipe = build_pipeline(seed=seed, **config).fit(train, ytr)
        result["test_accuracy"] = float(np.mean(pipe.predict(test) == yte))
        layer = pipe.features_ if not hasattr(pipe.features_, "layers_") else pipe.features_.layers_[0]
        result["missed_fraction"] = float(sum(layer.history_["missed"]) / layer.n_events_seen_)
    result["cpu_seconds"] = time.process_time() - start
    return result


def baseline(train, ytr, test, yte, n_folds: int, seed: int) -> dict:
    from evlearn.datasets.nmnist import SENSOR_SIZE
    from evlearn.feast.readout import count_frame_features, cross_val_predict, make_classifier

    Xtr, Xte = count_frame_features(train, SENSOR_SIZE), count_frame_features(test, SENSOR_SIZE)
    cv = float(np.mean(cross_val_predict(make_classifier(), Xtr, ytr, n_folds=n_folds, seed=seed) == ytr))
    return {"cv_accuracy": cv, "test_accuracy": make_classifier().fit(Xtr, ytr).score(Xte, yte)}


SWEEP = [
    {},
    {"n_neurons": 32}, {"n_neurons": 96},
    {"radius": 3}, {"radius": 5},
    {"tau_us": 15_000.0}, {"tau_us": 60_000.0},
    {"grid": 3}, {"grid": 5},
    {"polarity": "stack"},
]

# beyond the one-at-a-time sweep: combinations, a second layer, a second pass over the data
EXTRA = [
    {"polarity": "stack", "radius": 3},
    {"polarity": "stack", "n_neurons": 128},
    {"n_epochs": 2},
    {"n_neurons": [64, 32]},
]


def main(argv=None) -> int:
    from evlearn.feast.data import load_folder
    from evlearn.io import run_record, write_csv, write_json

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sweep", action="store_true", help="tuning sweep (CV on Train, seed 0) instead")
    parser.add_argument("--extra", action="store_true", help="the EXTRA configurations (CV on Train, seed 0)")
    parser.add_argument("--data", type=Path, default=shared_nmnist())
    args = parser.parse_args(argv)

    train, ytr = load_folder(args.data / "Train")
    test, yte = load_folder(args.data / "Test")
    print(f"Train {len(train)} samples, Test {len(test)} samples", flush=True)
    if args.sweep or args.extra:
        configs, name = (EXTRA, "sweep_extra") if args.extra else (SWEEP, "sweep")
        rows = []
        for config in configs:
            r = evaluate_config(train, ytr, test, yte, args.folds, 0, with_test=False, **config)
            rows.append({"config": str(config or "defaults"), "cv_accuracy": r["cv_accuracy"],
                         "cpu_seconds": round(r["cpu_seconds"], 1)})
            print(rows[-1], flush=True)
        write_json(OUT / f"{name}.json", run_record({"sweep": configs, "folds": args.folds, "data": args.data}, 0,
                                                     results=rows))
        write_csv(OUT / f"{name}.csv", rows)
        return 0

    runs = []
    for seed in args.seeds:
        r = evaluate_config(train, ytr, test, yte, args.folds, seed)
        runs.append(r)
        print(f"seed {seed}: CV {r['cv_accuracy']:.4f}  Test {r['test_accuracy']:.4f}  "
              f"unmatched {r['missed_fraction']:.3%}  ({r['cpu_seconds']:.0f} s CPU)", flush=True)
    base = baseline(train, ytr, test, yte, args.folds, args.seeds[0])
    print(f"baseline (count frames): CV {base['cv_accuracy']:.4f}  Test {base['test_accuracy']:.4f}", flush=True)
    cv = np.array([r["cv_accuracy"] for r in runs])
    te = np.array([r["test_accuracy"] for r in runs])
    summary = {
        "feast_cv_mean": cv.mean(), "feast_cv_std": cv.std(ddof=1) if cv.size > 1 else 0.0,
        "feast_cv_min": cv.min(), "feast_cv_max": cv.max(),
        "feast_test_mean": te.mean(), "feast_test_std": te.std(ddof=1) if te.size > 1 else 0.0,
        "feast_test_min": te.min(), "feast_test_max": te.max(),
        "baseline_cv": base["cv_accuracy"], "baseline_test": base["test_accuracy"],
    }
    from evlearn.feast.readout import build_pipeline

    config = build_pipeline().features.get_params()
    config["sensor_size"] = list(config["sensor_size"])
    write_json(OUT / "accuracy.json", run_record(
        {"pipeline": "evlearn.feast.readout.build_pipeline() (= evlearn feast fit defaults)", "feast": config,
         "grid": 4, "folds": args.folds, "seeds": args.seeds, "train": args.data / "Train", "test": args.data / "Test"},
        args.seeds, summary=summary, runs=runs, baseline=base))
    write_csv(OUT / "accuracy.csv", [{"seed": r["seed"], "cv_accuracy": r["cv_accuracy"],
                                      "test_accuracy": r["test_accuracy"], "missed_fraction": r["missed_fraction"]}
                                     for r in runs] + [{"seed": "baseline", **base}])
    print({k: round(float(v), 4) for k, v in summary.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
