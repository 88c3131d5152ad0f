"""Diagnostics of a fitted FEAST layer and pictures of them.

``diagnostics(layer)`` summarises what was recorded during learning: the
fraction of events no neuron matched (overall and per training stream), the
win count of each neuron and the threshold of each neuron after each stream.
``plot_weights`` draws the learned weights as patches (as in Fig. 5 of Afshar
et al. 2020); ``plot_diagnostics`` draws the threshold dynamics, the
unmatched-event fraction over learning and the win counts.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def diagnostics(layer) -> dict:
    """Learning diagnostics of a fitted FEAST layer as plain arrays and numbers."""
    from evlearn.base import check_fitted

    check_fitted(layer, "weights_")
    history = layer.history_
    events = np.asarray(history["events"], dtype=np.int64)
    missed = np.asarray(history["missed"], dtype=np.int64)
    sizes = np.diff(np.concatenate([[0], events]))
    wins = np.asarray(history["wins"], dtype=np.int64)
    return {
        "n_events": int(layer.n_events_seen_),
        "missed_fraction": float(missed.sum() / max(layer.n_events_seen_, 1)),
        "missed_fraction_per_stream": missed / np.maximum(sizes, 1),
        "events": events,
        "wins": wins,
        "unused_neurons": int(np.count_nonzero(wins == 0)),
        "thresholds": np.array(history["thresholds"]) if history["thresholds"] else np.zeros((0, wins.size)),
    }


def plot_weights(layer, path, *, max_neurons: int = 128) -> Path:
    """Learned weights as image patches, one row block per population (polarity)."""
    from evlearn.io import save_figure

    from matplotlib.figure import Figure  # not pyplot: no global backend or figure registry touched

    patches = layer.weight_patches()[:max_neurons]  # (F, C, side, side)
    n, channels = patches.shape[:2]
    # stacked contexts: channels side by side in one picture per neuron
    images = np.concatenate(list(patches.transpose(1, 0, 2, 3)), axis=2) if channels > 1 else patches[:, 0]
    cols = min(16, n)
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(cols * 0.62 * max(1, images.shape[2] / images.shape[1]) ** 0.5, rows * 0.62))
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="viridis", interpolation="nearest")
    groups = layer.n_features_out_ // layer.n_neurons
    title = f"FEAST weights: {layer.n_neurons} neurons x {groups} population(s), R={layer.radius}"
    if layer.polarity == "split" and groups == 2:
        title += " (rows 1-%d: OFF, then ON)" % int(np.ceil(layer.n_neurons / cols))
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path, dpi=100)
    return Path(path)


def plot_diagnostics(layer, path) -> Path:
    """Threshold dynamics, unmatched-event fraction and win counts over learning."""
    from evlearn.io import save_figure

    from matplotlib.figure import Figure

    d = diagnostics(layer)
    fig = Figure(figsize=(12, 3.2))
    axes = fig.subplots(1, 3)
    events = d["events"]
    thresholds = d["thresholds"]
    if thresholds.size:
        low, mid, high = np.percentile(thresholds, [10, 50, 90], axis=1)
        axes[0].fill_between(events, low, high, alpha=0.25, label="10-90% of neurons")
        axes[0].plot(events, mid, lw=1.5, label="median")
        for k in np.linspace(0, thresholds.shape[1] - 1, min(4, thresholds.shape[1])).astype(int):
            axes[0].plot(events, thresholds[:, k], lw=0.6, alpha=0.8)
        axes[0].legend(fontsize=7, loc="lower right")
        if events.size > 1 and events[0] > 0:
            axes[0].set_xscale("log")
    axes[0].set(title="selection thresholds (4 neurons drawn)", xlabel="events seen", ylabel="threshold")
    frac = d["missed_fraction_per_stream"]
    axes[1].plot(events, frac, ".", ms=2, alpha=0.4, label="per stream")
    if frac.size >= 10:
        width = max(5, frac.size // 20)
        smooth = np.convolve(frac, np.ones(width) / width, mode="valid")
        axes[1].plot(events[width - 1:], smooth, lw=1.5, label=f"mean of {width}")
        axes[1].legend(fontsize=7)
    axes[1].set(title=f"unmatched events ({d['missed_fraction']:.1%} overall)", xlabel="events seen",
                ylabel="fraction unmatched")
    axes[2].bar(np.arange(d["wins"].size), d["wins"], width=1.0)
    axes[2].set(title=f"wins per output channel ({unused_channels_text(layer, d['unused_neurons'])})",
                xlabel="output channel (population x K + neuron)", ylabel="wins")
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
    return Path(path)



def unused_channels_text(layer, unused: int | None = None) -> str:
    """'0 of 128 never won; K=64 neurons x 2 population(s)': says why 128 channels when K=64."""
    if unused is None:
        unused = diagnostics(layer)["unused_neurons"]
    groups = layer.n_features_out_ // layer.n_neurons
    return f"{unused} of {layer.n_features_out_} never won; K={layer.n_neurons} neurons x {groups} population(s)"
