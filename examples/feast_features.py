"""FEAST features of N-MNIST digits
==================================

FEAST neurons (Afshar et al. 2020, "Event-based Feature Extraction Using
Adaptive Selection Thresholds", Sensors) learn features online from the local
time surface around each event: the closest neuron within its threshold wins and
moves towards the surface, and thresholds adapt so that every neuron ends up
used. This fits one layer of 16 neurons on the 40 N-MNIST recordings shipped
with evlearn (Orchard et al. 2015), draws the learned weights, and classifies
held-out recordings from per-cell histograms of the winning neurons.

Usage::

    python examples/feast_features.py [--output-dir OUT]
"""
import argparse
from pathlib import Path

import numpy as np

from evlearn import FEAST, FEASTClassifier
from evlearn.datasets.samples import load_samples
from evlearn.feast.plots import plot_diagnostics, plot_weights

parser = argparse.ArgumentParser(description="FEAST features of N-MNIST digits")
parser.add_argument("--output-dir", type=Path, default=Path("feast_features_output"))
args = parser.parse_args()

# %%
# Learn the features
# ------------------
# 40 recordings (4 per digit); patches of 9x9 pixels, default time constant 30 ms,
# seeded by default.
streams, labels = load_samples()
layer = FEAST(n_neurons=16, radius=4).fit(streams)
plot_weights(layer, args.output_dir / "weights.png")
print(f"{layer.n_events_seen_} events seen; thresholds from {layer.thresholds_.min():.3f} "
      f"to {layer.thresholds_.max():.3f}")

# %%
# How learning went: thresholds, events no neuron matched, wins per neuron.
plot_diagnostics(layer, args.output_dir / "diagnostics.png")

# %%
# Features of one recording
# -------------------------
# ``transform`` keeps every event's position and time; its polarity becomes the
# index of the winning neuron (-1 where none matched). With ``polarity="split"``
# (the default) each input polarity has its own 16 neurons: 32 output channels.
features = layer.transform(streams[0])
print(features[:5])
print("winning neuron counts:", np.bincount(features["p"][features["p"] >= 0], minlength=layer.n_features_out_))

# %%
# Classify held-out recordings
# ----------------------------
# Train on 3 recordings per digit, test on the 4th: a 4x4 grid of winner
# histograms, then logistic regression. 10 test recordings only, so the accuracy
# is coarse; ``benchmarks/feast_accuracy.py`` measures it on the shared subset.
test = np.arange(len(labels)) % 4 == 3
train_streams = [s for s, t in zip(streams, test) if not t]
test_streams = [s for s, t in zip(streams, test) if t]
classifier = FEASTClassifier(layer, grid=4).fit(train_streams, labels[~test])
print(f"held-out accuracy: {classifier.score(test_streams, labels[test]):.2f} on {test.sum()} recordings")
