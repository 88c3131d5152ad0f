"""Read-out variants on the same FEAST features (5-fold CV on nmnist-small/Train, seed 0).

    python benchmarks/feast_readout_variants.py   -> benchmarks/results/feast/readout_variants.json/.csv

FEAST (defaults) learns its features from the training folds of each fold once;
every variant then re-reads the same feature events: count normalisation (sqrt,
log1p), classifier penalty, spatial pyramids, soft (bilinear) cell assignment,
shifted copies of the training samples, and appending the count frames.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from feast_accuracy import shared_nmnist  # sibling script: one place finds the shared data

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "feast"
G_W = 34  # N-MNIST width and height


def histogram(f, channels, grid, dx=0, dy=0, soft=False, norm="sqrt"):
    x, y, c = f["x"] + dx, f["y"] + dy, f["p"]
    out = np.zeros((grid, grid, channels))
    if soft:
        u, v = (x + 0.5) * grid / G_W - 0.5, (y + 0.5) * grid / G_W - 0.5
        u0, v0 = np.floor(u).astype(int), np.floor(v).astype(int)
        for du, wu in ((0, 1 - (u - u0)), (1, u - u0)):
            for dv, wv in ((0, 1 - (v - v0)), (1, v - v0)):
                np.add.at(out, (np.clip(v0 + dv, 0, grid - 1), np.clip(u0 + du, 0, grid - 1), c), wu * wv)
    else:
        np.add.at(out, (np.clip(y * grid // G_W, 0, grid - 1), np.clip(x * grid // G_W, 0, grid - 1), c), 1)
    vec = np.sqrt(out.ravel()) if norm == "sqrt" else np.log1p(out.ravel())
    n = np.linalg.norm(vec)
    return vec / n if n else vec


def features(f, channels, grids=(4,), **kw):
    return np.concatenate([histogram(f, channels, g, **kw) for g in grids])


def main() -> int:
    from evlearn.feast import FEAST
    from evlearn.feast.data import load_folder
    from evlearn.feast.readout import count_frame_features, make_classifier, stratified_folds
    from evlearn.io import run_record, write_csv, write_json

    data = shared_nmnist()
    train, y = load_folder(data / "Train")
    fold = stratified_folds(y, 5, 0)
    per_fold = []
    for k in range(5):
        layer = FEAST(seed=0).fit([train[i] for i in np.flatnonzero(fold != k)])
        per_fold.append([layer.transform(s) for s in train])
    channels = layer.n_features_out_
    frames = count_frame_features(train, (34, 34, 2))
    frames /= np.linalg.norm(frames, axis=1, keepdims=True)
    shifts = ((0, 0), (2, 0), (-2, 0), (0, 2), (0, -2))
    variants = {
        "defaults (4x4, sqrt, alpha 1e-3)": {},
        "log1p counts": {"norm": "log"},
        "alpha 1e-4": {"alpha": 1e-4},
        "alpha 1e-1": {"alpha": 1e-1},
        "pyramid 2x2 + 4x4": {"grids": (2, 4)},
        "pyramid 1 + 2x2 + 4x4": {"grids": (1, 2, 4)},
        "soft cells": {"soft": True},
        "shifted training copies (+-2 px)": {"shifts": shifts},
        "append count frames": {"frames": True},
    }
    rows = []
    for name, v in variants.items():
        v = dict(v)
        alpha, use_shifts, add_frames = v.pop("alpha", 1e-3), v.pop("shifts", ((0, 0),)), v.pop("frames", False)
        pred = np.empty_like(y)
        for k in range(5):
            tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            feats = per_fold[k]
            Xtr = np.array([features(feats[i], channels, dx=dx, dy=dy, **v) for dx, dy in use_shifts for i in tr])
            ytr = np.concatenate([y[tr]] * len(use_shifts))
            Xte = np.array([features(feats[i], channels, **v) for i in te])
            if add_frames:
                Xtr, Xte = np.hstack([Xtr, frames[tr]]), np.hstack([Xte, frames[te]])
            pred[te] = make_classifier(alpha).fit(Xtr, ytr).predict(Xte)
        rows.append({"variant": name, "cv_accuracy": float(np.mean(pred == y))})
        print(rows[-1], flush=True)
    write_json(OUT / "readout_variants.json", run_record({"folds": 5, "data": data / "Train", "feast": "FEAST()"}, 0,
                                                          results=rows))
    write_csv(OUT / "readout_variants.csv", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
