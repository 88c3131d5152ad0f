"""``evlearn demo``: the whole pipeline on the N-MNIST samples shipped in the package.

Finds the samples (the package's ``evlearn/samples`` folder, or ``--data``, or
the shared subset ``../shared/data/nmnist-small/Train`` in a source checkout),
scores the event-count-frame baseline with cross-validation, prints a short
report and saves pictures under ``--out``.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "demo",
        help="run the pipeline on the shipped N-MNIST samples (under a minute)",
        description="Run the evlearn pipeline on the N-MNIST samples shipped in the package: "
        "event-count-frame baseline and a cross-validated read-out; saves pictures and a JSON "
        "summary under --out.",
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
    from evlearn.feast.data import list_samples, load_folder
    from evlearn.feast.readout import classification_report, count_frame_features, cross_val_predict
    from evlearn.io import run_record, write_json

    start = time.perf_counter()
    folder = find_samples(args.data)
    out = Path(args.out)
    samples, classes = list_samples(folder)
    streams, labels = load_folder(folder, progress=not args.no_progress)
    if len(streams) > 200:  # the shared subset: a small balanced slice keeps the demo under a minute
        keep = _subset(labels, 12, args.seed)
        streams, labels = [streams[i] for i in keep], labels[keep]
    n_folds = int(min(5, np.bincount(np.unique(labels, return_inverse=True)[1]).min()))
    if n_folds < 2:
        raise ValueError(f"{folder}: need at least 2 samples per class for cross-validation")
    n_events = int(sum(s.size for s in streams))
    print(f"evlearn demo: {len(streams)} samples, {len(classes)} classes, {n_events} events from {folder}")

    X = count_frame_features(streams, SENSOR_SIZE)
    pred = cross_val_predict(X, labels, n_folds=n_folds, seed=args.seed)
    baseline = classification_report(labels, pred, classes)
    print(f"  baseline (event-count frames + logistic regression), {n_folds}-fold CV accuracy: {baseline['accuracy']:.3f}")

    figure = _plot_frames(streams, labels, out / "samples.png")
    summary = run_record(
        {"data": str(folder), "n_folds": n_folds},
        args.seed,
        n_samples=len(streams),
        n_events=n_events,
        baseline=baseline,
        seconds=time.perf_counter() - start,
    )
    write_json(out / "summary.json", summary)
    print(f"  saved {figure} and {out / 'summary.json'} ({summary['seconds']:.1f} s)")
    return 0


def _plot_frames(streams, labels, path) -> Path:
    """One event-count frame per class (ON minus OFF), as the data look to the baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evlearn.datasets.nmnist import SENSOR_SIZE
    from evlearn.functional.frames import count_frame
    from evlearn.io import save_figure

    classes = list(np.unique(labels))
    fig, axes = plt.subplots(1, len(classes), figsize=(1.4 * len(classes), 1.7))
    for ax, label in zip(np.atleast_1d(axes), classes):
        frame = count_frame(streams[int(np.flatnonzero(labels == label)[0])], SENSOR_SIZE)
        ax.imshow(frame[1] - frame[0], cmap="RdBu_r")
        ax.set_title(str(label), fontsize=9)
        ax.axis("off")
    fig.suptitle("event-count frames (ON - OFF), one sample per class", fontsize=9)
    save_figure(fig, path)
    plt.close(fig)
    return Path(path)
