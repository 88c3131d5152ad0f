"""``evlearn feast fit | evaluate | extract``: FEAST features and read-out from the command line.

    evlearn feast fit --train DIR --out MODEL [--layers N] [--neurons K[,K2..]] [--seed S]
    evlearn feast evaluate --model MODEL --test DIR [--json]
    evlearn feast extract --model MODEL --in FILE_OR_DIR --out DIR [--scheduler local --workers 4]

DIR is a folder of class sub-folders ``<label>/<id>.bin`` (N-MNIST format).
MODEL (one ``.npz`` file, written atomically) holds the learned features and
the read-out classifier.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from evlearn.cli.execution import add_execution_options, open_executor

LARGE_MODEL_BYTES = 100_000_000  # above this `feast fit` warns before reading any recording
DEFAULTS = {"neurons": "64", "radius": 4, "tau_ms": 30.0, "grid": 4, "layers": 1, "seed": 0, "epochs": 1}


def add_parser(subparsers):
    from evlearn.cli.helptext import with_examples

    parser = subparsers.add_parser(
        "feast",
        help="learn FEAST features and a read-out, evaluate it, extract feature streams",
        description="FEAST: online event-based feature extraction with adaptive selection thresholds "
        "(Afshar et al., Sensors 2020), with a winner-histogram + logistic-regression read-out.",
        **with_examples("evlearn feast fit --train DIR/Train --out model.npz",
                        "evlearn feast evaluate --model model.npz --test DIR/Test --json",
                        "evlearn feast extract --model model.npz --in DIR/Test --out features/",
                        "evlearn feast fit --help                     options of one action"),
    )
    commands = parser.add_subparsers(dest="feast_command", metavar="{fit,evaluate,extract}")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    fit = commands.add_parser("fit", help="learn features and read-out from a folder of labelled recordings",
                              description="Learn FEAST features online from every recording of --train "
                              "(labels unused), then fit the read-out on per-sample winner histograms. "
                              "MODEL is written only when everything succeeded.",
                              **with_examples("evlearn feast fit --train DIR/Train --out model.npz",
                                              "evlearn feast fit --train DIR/Train --out model.npz --neurons 32 --tau 15",
                                              "evlearn feast fit --train DIR/Train --out deep.npz --layers 2 --neurons 64,32"))
    fit.add_argument("--train", required=True, metavar="DIR", help="folder of <label>/<id>.bin recordings")
    fit.add_argument("--out", required=True, metavar="MODEL", help="model file to write (.npz)")
    fit.add_argument("--layers", type=int, default=DEFAULTS["layers"], help="number of FEAST layers (default: 1)")
    fit.add_argument("--neurons", default=DEFAULTS["neurons"],
                     help="neurons per polarity population, one value or one per layer, e.g. 64,32 (default: 64)")
    fit.add_argument("--radius", type=int, default=DEFAULTS["radius"], help="context radius R of layer 1 (default: 4)")
    fit.add_argument("--tau", type=float, default=DEFAULTS["tau_ms"], help="time-surface time constant in ms (default: 30)")
    fit.add_argument("--grid", type=int, default=DEFAULTS["grid"], help="read-out spatial grid, G x G cells (default: 4)")
    fit.add_argument("--epochs", type=int, default=DEFAULTS["epochs"], help="passes over the training data (default: 1)")
    fit.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="random seed (default: 0)")
    fit.add_argument("--no-progress", action="store_true", help="hide progress bars")
    fit.set_defaults(func=run_fit)

    evaluate = commands.add_parser("evaluate", help="accuracy of a model on a folder of labelled recordings",
                                   description="Predict every recording of --test with a model written by "
                                   "`evlearn feast fit` and report the accuracy (overall and per class).",
                                   **with_examples("evlearn feast evaluate --model model.npz --test DIR/Test",
                                                   "evlearn feast evaluate --model model.npz --test DIR/Test --json"))
    evaluate.add_argument("--model", required=True, metavar="MODEL", help="model file written by `evlearn feast fit`")
    evaluate.add_argument("--test", required=True, metavar="DIR", help="folder of <label>/<id>.bin recordings")
    evaluate.add_argument("--json", action="store_true",
                          help="print one JSON object: accuracy, per-class accuracy, confusion matrix")
    evaluate.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_execution_options(evaluate)
    evaluate.set_defaults(func=run_evaluate)

    extract = commands.add_parser("extract", help="write the feature event streams of recordings",
                                  description="Run the model's FEAST layers over one event file (any format evlearn "
                                  "reads: EVT 2.0/3.0, DAT, AEDAT 4.0, .bin, .npy; streamed, so memory stays "
                                  "constant) or every such file under a folder (N-MNIST's <label>/<id>.bin, "
                                  "a folder of camera recordings, sub-folders included) "
                                  "and write each output stream (x, y, t, p = feature index) as a .npy "
                                  "structured array (tonic-compatible), mirroring the input layout, and "
                                  "DIR/manifest.csv (path, events in, events out, status). A recording that "
                                  "fails is listed with its error and the command exits with status 2.",
                                  **with_examples("evlearn feast extract --model model.npz --in DIR/Test --out features/",
                                                  "evlearn feast extract --model model.npz --in one.bin --out features/",
                                                  "evlearn feast extract --model model.npz --in DIR --out f/ --workers 2"))
    extract.add_argument("--model", required=True, metavar="MODEL",
                         help="model file written by `evlearn feast fit` (its FEAST layers are used)")
    extract.add_argument("--in", dest="source", required=True, metavar="FILE_OR_DIR",
                         help="one event file, or a folder of them: .raw, .dat, .aedat4, .bin, .npy "
                              "(sub-folders kept; camera recordings run one per task on Dask)")
    extract.add_argument("--out", required=True, metavar="DIR", help="folder for the .npy feature streams")
    extract.add_argument("--no-progress", action="store_true", help="hide progress bars")
    add_execution_options(extract)
    extract.set_defaults(func=run_extract)


def _neurons(text: str, layers: int) -> list[int]:
    try:
        values = [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--neurons must be integers separated by commas, got {text!r}") from None
    if len(values) == 1:
        values = values * layers
    if len(values) != layers:
        raise ValueError(f"--neurons lists {len(values)} values for {layers} layers")
    return values


def build_model(layers: int = 1, neurons="64", radius: int = 4, tau_ms: float = 30.0, grid: int = 4,
                epochs: int = 1, seed: int = 0):
    """The model ``evlearn feast fit`` trains (see :func:`evlearn.feast.readout.build_pipeline`)."""
    from evlearn.feast.readout import build_pipeline
    from evlearn.validation import check_number

    check_number(layers, "--layers", low=1, high=4, integer=True)
    check_number(tau_ms, "--tau", low=0, low_open=True)
    return build_pipeline(n_neurons=_neurons(neurons, layers), radius=radius, tau_us=tau_ms * 1e3, grid=grid,
                          n_epochs=epochs, seed=seed)


def run_fit(args) -> int:
    from evlearn.feast.data import list_samples, load_folder
    from evlearn.feast.persistence import estimate_model_bytes, save_model
    from evlearn.validation import check_sensor_size

    progress = not args.no_progress
    model = build_model(args.layers, args.neurons, args.radius, args.tau, args.grid, args.epochs, args.seed)
    model.check_params()  # every parameter, then the folder layout, before reading any recording
    width, height, _ = check_sensor_size(model.features.sensor_size)
    if args.grid > min(width, height):
        raise ValueError(f"--grid {args.grid} gives read-out cells smaller than a pixel on the "
                         f"{width}x{height} sensor; use at most {min(width, height)} (default: {DEFAULTS['grid']})")
    _, classes = list_samples(args.train)
    size = estimate_model_bytes(model, len(classes))
    if size > LARGE_MODEL_BYTES:
        print(f"evlearn feast fit: warning: the model will hold about {size / 1e6:.0f} MB of arrays "
              f"({model.features.n_neurons if args.layers == 1 else args.neurons} neurons); learning time "
              "grows in proportion", file=sys.stderr)
    start = time.perf_counter()
    streams, labels = load_folder(args.train, progress=progress, desc="reading")
    if len(np.unique(labels)) < 2:
        raise ValueError(f"{args.train}: need recordings of at least two classes to fit the read-out")
    model.fit(streams, labels, progress=progress)
    train_accuracy = model.score(streams, labels)
    save_model(args.out, model)
    layers = model.features_.layers_ if hasattr(model.features_, "layers_") else [model.features_]
    missed = sum(sum(layer.history_["missed"]) for layer in layers[:1]) / max(layers[0].n_events_seen_, 1)
    print(f"fitted FEAST ({len(layers)} layer(s), {model.features_.n_features_out_} output features) on "
          f"{len(streams)} recordings, {sum(s.size for s in streams)} events in {time.perf_counter() - start:.1f} s")
    print(f"  unmatched events during learning: {missed:.2%}; training accuracy of the read-out: {train_accuracy:.3f}")
    print(f"  wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.1f} MB)")
    return 0


def _load_classifier(path):
    from evlearn.feast.persistence import load_model
    from evlearn.feast.readout import FEASTClassifier

    model = load_model(path)
    if not isinstance(model, FEASTClassifier):
        raise ValueError(f"{path}: holds FEAST features without a read-out; make it with `evlearn feast fit`")
    return model


def run_evaluate(args) -> int:
    from evlearn.feast.bulk import predict_files
    from evlearn.feast.data import list_samples
    from evlearn.feast.readout import classification_report
    from evlearn.io import portable_path

    model = _load_classifier(args.model)
    samples, _ = list_samples(args.test)
    labels = np.array([label for _, label in samples])
    known = set(map(str, model.classes_))
    unknown = sorted(set(labels.tolist()) - known)
    if unknown:  # those recordings can only be counted wrong: say so rather than print a bare low accuracy
        n_unknown = int(np.isin(labels, unknown).sum())
        print(f"evlearn feast evaluate: warning: {n_unknown} of {labels.size} recordings of {args.test} have "
              f"classes the model never saw ({', '.join(unknown)}; it knows {', '.join(sorted(known))}); "
              "they count as wrong", file=sys.stderr)
    with open_executor(args, "feast evaluate") as executor:
        predicted = predict_files(model, [path for path, _ in samples], executor=executor,
                                  progress=not args.no_progress)
    classes = sorted(known | set(labels.tolist()))
    report = classification_report(labels, predicted, classes)
    report.update(model=portable_path(args.model), test=portable_path(args.test), unknown_classes=unknown,
                  n_samples_unknown_class=int(np.isin(labels, unknown).sum()))
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"accuracy {report['accuracy']:.4f} on {report['n_samples']} recordings of {args.test}")
    for label, value in report["per_class_accuracy"].items():
        if value is not None:
            print(f"  class {label}: {value:.3f}")
    return 0


def run_extract(args) -> int:
    from evlearn.feast.bulk import extract_files, extraction_jobs, write_manifest
    from evlearn.feast.persistence import load_model

    model = load_model(args.model)
    features = getattr(model, "features_", model)
    source, out = Path(args.source), Path(args.out)
    jobs = extraction_jobs(source, out)
    with open_executor(args, "feast extract") as executor:
        rows = extract_files(features, jobs, executor=executor, progress=not args.no_progress)
    manifest = write_manifest(out / "manifest.csv", rows, source if source.is_dir() else source.parent)
    failed = [row for row in rows if row["status"] != "ok"]
    if failed:
        raise ValueError(f"{len(failed)} of {len(rows)} recording(s) failed, first {failed[0]['path']}: "
                         f"{failed[0]['status']}; the others were written (see {manifest})")
    n_events = sum(row["events_out"] for row in rows)
    print(f"wrote {len(rows)} feature stream(s), {n_events} events, to {out} (list: {manifest})")
    return 0
