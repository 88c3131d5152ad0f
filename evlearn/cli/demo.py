"""``evlearn demo``: the whole pipeline on the N-MNIST samples shipped in the package.

Finds the samples (the package's ``evlearn/samples`` folder, or ``--data``, or
the shared subset ``../shared/data/nmnist-small/Train`` in a source checkout),
learns FEAST features online and scores their winner-histogram read-out
against the event-count-frame baseline with the same cross-validation folds
and classifier, prints a short report and saves pictures of the learned
features and the learning diagnostics under ``--out``.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np


def add_parser(subparsers):
    from evlearn.cli.helptext import with_examples

    parser = subparsers.add_parser(
        "demo",
        help="run the pipeline on the shipped N-MNIST samples (under a minute)",
        description="Run the evlearn pipeline on the N-MNIST samples shipped in the package: "
        "FEAST features learned online vs the event-count-frame baseline, both cross-validated "
        "with the same logistic-regression read-out; saves pictures of the learned features, "
        "learning diagnostics and a JSON summary under --out.",
        **with_examples("evlearn demo                                  the shipped samples -> ./evlearn-demo",
                        "evlearn demo --out results/demo --seed 1",
                        "evlearn demo --data ../shared/data/nmnist-small/Train   a folder of <label>/<id>.bin"),
    )
    parser.add_argument("--out", default="evlearn-demo", help="output folder (default: ./evlearn-demo)")
    parser.add_argument("--data", default=None, help="folder of <label>/<id>.bin samples (default: the shipped samples)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.set_defaults(func=run)


def _has_samples(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*/*.bin"))


def find_samples(data=None) -> Path:
    """The sample folder: ``data`` if given, else the shipped samples, else the shared subset."""
    if data is not None:
        return Path(data)
    try:
        from evlearn.datasets.samples import sample_dir

        shipped = Path(sample_dir())
    except (ImportError, AttributeError, ValueError, OSError):
        shipped = Path(__file__).resolve().parents[1] / "samples"
    if _has_samples(shipped):
        return shipped
    root = Path(__file__).resolve().parents[2]
    shared = Path(os.environ.get("EVLEARN_SHARED_DATA", root.parent / "shared" / "data")) / "nmnist-small" / "Train"
    if _has_samples(shared):
        return shared
    raise ValueError(f"no samples found: {shipped} is empty and {shared} does not exist; pass --data DIR")


def _subset(labels, per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in np.unique(labels)]
    return np.sort(np.concatenate(keep))


def run(args) -> int:
    from evlearn.datasets.nmnist import SENSOR_SIZE
    from evlearn.feast.data import load_folder
    from evlearn.feast.layer import FEAST
    from evlearn.feast.plots import diagnostics, plot_diagnostics, plot_weights, unused_channels_text
    from evlearn.feast.readout import (FEASTClassifier, classification_report, count_frame_features,
                                       cross_val_predict, make_classifier)
    from evlearn.io import run_record, save_figure, write_json

    start = time.perf_counter()
    folder = find_samples(args.data)
    out = Path(args.out)
    progress = not args.no_progress
    streams, labels = load_folder(folder, progress=progress)
    classes = sorted(set(labels.tolist()))  # as list_samples names them, without listing the folder again
    if len(streams) > 200:  # the shared subset: a small balanced slice keeps the demo under a minute
        keep = _subset(labels, 12, args.seed)
        streams, labels = [streams[i] for i in keep], labels[keep]
    n_folds = int(min(5, np.bincount(np.unique(labels, return_inverse=True)[1]).min()))
    if n_folds < 2:
        raise ValueError(f"{folder}: need at least 2 samples per class for cross-validation")
    n_events = int(sum(s.size for s in streams))
    print(f"evlearn demo: {len(streams)} samples, {len(classes)} classes, {n_events} events from {folder}")

    # Both read-outs see the same folds; FEAST learns its features on the training folds only.
    config = FEAST(seed=args.seed).get_params()
    cv = {"n_folds": n_folds, "seed": args.seed, "progress": progress}
    frames = count_frame_features(streams, SENSOR_SIZE)
    pred_base = cross_val_predict(make_classifier(), frames, labels, desc="baseline CV", **cv)
    pred_feast = cross_val_predict(FEASTClassifier(FEAST(**config), grid=4), streams, labels, desc="FEAST CV", **cv)
    baseline = classification_report(labels, pred_base, classes)
    feast = classification_report(labels, pred_feast, classes)
    print(f"  {n_folds}-fold cross-validated accuracy, logistic regression on")
    feast_name = f"FEAST winner histograms (K={config['n_neurons']}, R={config['radius']}, 4x4 cells)"
    print(f"    {'event-count frames (baseline)':<{len(feast_name)}}  {baseline['accuracy']:.3f}")
    print(f"    {feast_name}  {feast['accuracy']:.3f}")

    # pictures: a layer learned on every sample (labels are never used for features)
    tick = time.perf_counter()
    layer = FEAST(**config).fit(streams)
    learn_rate = layer.n_events_seen_ / (time.perf_counter() - tick)
    print(f"  FEAST learning speed (all samples, one core): {learn_rate / 1e6:.2f} M events/s")
    info = diagnostics(layer)
    pictures = [
        save_figure(frames_figure(streams, labels), out / "samples.png"),
        plot_weights(layer, out / "feast_weights.png"),
        plot_diagnostics(layer, out / "feast_diagnostics.png"),
    ]
    print(f"  unmatched events while learning: {info['missed_fraction']:.2%}; "
          f"output channels: {unused_channels_text(layer, info['unused_neurons'])}")
    summary = run_record(
        {"data": str(folder), "n_folds": n_folds, "feast": {**config, "sensor_size": list(config["sensor_size"])},
         "grid": 4},
        args.seed,
        n_samples=len(streams),
        n_events=n_events,
        baseline=baseline,
        feast=feast,
        learning_events_per_s=learn_rate,
        missed_fraction=info["missed_fraction"],
        seconds=time.perf_counter() - start,
    )
    write_json(out / "summary.json", summary)
    names = ", ".join(p.name for p in pictures)
    print(f"  saved {names} and summary.json in {out} ({summary['seconds']:.1f} s)")
    return 0


def frames_figure(streams, labels):
    """One event-count frame per class (ON minus OFF), as the data look to the baseline.

    The colour map is centred on 0 (white: as many ON as OFF events) with one
    scale shared by every panel and a colour bar, so colours compare across digits.
    """
    from matplotlib.figure import Figure  # not pyplot: no global backend or figure registry touched

    from evlearn.datasets.nmnist import SENSOR_SIZE
    from evlearn.functional.frames import count_frame

    classes = list(np.unique(labels))
    frames = []
    for label in classes:
        frame = count_frame(streams[int(np.flatnonzero(labels == label)[0])], SENSOR_SIZE)
        frames.append(frame[1] - frame[0])
    limit = max(1, int(max(np.abs(f).max() for f in frames)))
    fig = Figure(figsize=(1.4 * len(classes) + 0.8, 1.9))
    axes = np.atleast_1d(fig.subplots(1, len(classes)))
    for ax, label, frame in zip(axes, classes, frames):
        image = ax.imshow(frame, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(str(label), fontsize=9)
        ax.axis("off")
    bar = fig.colorbar(image, ax=list(axes), shrink=0.8, pad=0.02)
    bar.set_label("ON - OFF events\nper pixel", fontsize=8)
    fig.suptitle("event-count frames (red: more ON, blue: more OFF events), one sample per class", fontsize=9)
    return fig
