"""Read-out variants on the same FEAST features (5-fold CV on nmnist-small/Train, seed 0).

    python benchmarks/feast_readout_variants.py   -> benchmarks/results/feast/readout_variants.json/.csv

FEAST (defaults) learns its features from the training folds of each fold once;
every variant then re-reads the same feature events: count normalisation (sqrt,
log1p), classifier penalty, spatial pyramids, soft (bilinear) cell assignment,
shifted copies of the training samples, and appending the count frames. Each
variant is a small classifier scored by the one cross-validation helper,
``evlearn.feast.readout.cross_val_predict`` (the demo's and feast_accuracy.py's).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

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


class FoldFeatures:
    """FEAST output events of every stream, with FEAST (defaults, seed 0) learnt on the given training
    streams; learnt once per training set and shared by all variants (a clone shares it too)."""

    def __init__(self, streams, frames):
        self.streams, self.frames = streams, frames
        self._cache = {}

    def __deepcopy__(self, memo):
        return self

    def of(self, train):
        key = np.asarray(train).tobytes()
        if key not in self._cache:
            from evlearn.feast import FEAST

            layer = FEAST(seed=0).fit([self.streams[i] for i in train])
            self._cache[key] = (layer.n_features_out_, [layer.transform(s) for s in self.streams])
        return self._cache[key]


class ReadoutVariant(ClassifierMixin, BaseEstimator):
    """One read-out on FEAST features; samples are indices into ``fold_features.streams``."""

    def __init__(self, fold_features=None, norm="sqrt", grids=(4,), soft=False, alpha=1e-3, shifts=((0, 0),),
                 append_frames=False):
        self.fold_features, self.norm, self.grids, self.soft = fold_features, norm, grids, soft
        self.alpha, self.shifts, self.append_frames = alpha, shifts, append_frames

    def _vectors(self, index, shifts=((0, 0),)):
        X = np.array([features(self.events_[i], self.channels_, self.grids, dx=dx, dy=dy, soft=self.soft,
                               norm=self.norm) for dx, dy in shifts for i in index])
        if self.append_frames:
            X = np.hstack([X, np.concatenate([self.fold_features.frames[index]] * len(shifts))])
        return X

    def fit(self, index, y):
        from evlearn.feast.readout import make_classifier

        self.channels_, self.events_ = self.fold_features.of(index)
        self.classifier_ = make_classifier(self.alpha).fit(self._vectors(index, self.shifts),
                                                           np.concatenate([y] * len(self.shifts)))
        self.classes_ = self.classifier_.classes_
        return self

    def predict(self, index):
        return self.classifier_.predict(self._vectors(index))


def main() -> int:
    from evlearn.feast.data import load_folder
    from evlearn.feast.readout import count_frame_features, cross_val_predict
    from evlearn.io import run_record, write_csv, write_json

    data = shared_nmnist()
    train, y = load_folder(data / "Train")
    frames = count_frame_features(train, (34, 34, 2))
    frames /= np.linalg.norm(frames, axis=1, keepdims=True)
    shared = FoldFeatures(train, frames)
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
        "append count frames": {"append_frames": True},
    }
    rows = []
    for name, params in variants.items():
        pred = cross_val_predict(ReadoutVariant(shared, **params), np.arange(len(train)), y, n_folds=5, seed=0)
        rows.append({"variant": name, "cv_accuracy": float(np.mean(pred == y))})
        print(rows[-1], flush=True)
    write_json(OUT / "readout_variants.json", run_record({"folds": 5, "data": data / "Train", "feast": "FEAST()"}, 0,
                                                          results=rows))
    write_csv(OUT / "readout_variants.csv", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
