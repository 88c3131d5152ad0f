"""FEAST over many recordings: feature streams to files (with a manifest) and evaluation.

Recordings are cut into partitions, one task each, and run by an
:class:`evlearn.parallel.Executor` (serial by default, or Dask workers): the
fitted model is sent to every worker once, each worker writes its output files
atomically, and the outputs are byte for byte those of a serial run.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np

MANIFEST_FIELDS = ("path", "events_in", "events_out", "status")
MAX_PARTITION = 64
MIN_PARTITION = 8   # ~40 ms of work per N-MNIST file partition: well above a task's round trip


def extraction_jobs(source, out) -> list[tuple[Path, Path]]:
    """(input, output) pairs: one event file, or every event file under a folder (any format evlearn
    reads, by extension; sub-folders included, hidden files and ``out`` skipped), each mirrored into
    ``out`` as ``.npy``; in sorted path order (for N-MNIST's ``<label>/<id>.bin``, the order of
    :func:`evlearn.feast.data.list_samples`)."""
    source, out = Path(source), Path(out)
    if source.is_file():
        jobs = [(source, out / f"{source.stem}.npy")]
    elif source.is_dir():
        suffixes = _suffixes()
        skip = out.absolute() if out.absolute() != source.absolute() else None   # earlier outputs, not inputs
        files = _event_files(source, suffixes, skip)
        if not files:
            raise ValueError(f"{source}: no event files ({', '.join(sorted(suffixes))}) in it or its sub-folders")
        jobs = [(path, out / path.relative_to(source).with_suffix(".npy")) for path in files]
    else:
        raise ValueError(f"{source}: no such file or folder")
    sources = {}
    for path, target in jobs:
        if path.absolute() == target.absolute():
            raise ValueError(f"{path}: its feature stream would overwrite it; choose another output folder")
        if target in sources:
            raise ValueError(f"{sources[target]} and {path} would both write {target}; "
                             "rename one or extract them separately")
        sources[target] = path
    return jobs


def _event_files(folder: Path, suffixes: set[str], skip: Path | None) -> list[Path]:
    """Files under ``folder`` with one of ``suffixes``, sorted; hidden files and folders and the folder
    ``skip`` left out (os.walk: one scandir per folder, no stat per file)."""
    found = []
    for here, folders, names in os.walk(folder):
        here = Path(here)
        folders[:] = [name for name in folders if not name.startswith(".") and (here / name).absolute() != skip]
        found += [here / name for name in names
                  if not name.startswith(".") and os.path.splitext(name)[1].lower() in suffixes]
    return sorted(found)


def _suffixes(formats=None) -> set[str]:
    """File extensions of the event ``formats`` (names in evlearn.formats.FORMATS; default: all of them)."""
    from evlearn.formats import FORMATS

    return {suffix for name in (formats or FORMATS) for suffix in FORMATS[name].EXTENSIONS}


def partition_sizes(n_items: int, n_workers: int) -> list[int]:
    """Files per task: one each when serial; otherwise shrinking partitions (evlearn.parallel.guided_sizes)
    of MIN_PARTITION to MAX_PARTITION files, so the workers finish together."""
    from evlearn.parallel import guided_sizes

    if n_workers <= 1:
        return [1] * n_items
    return guided_sizes(n_items, n_workers, MAX_PARTITION, MIN_PARTITION)


def _task_sizes(paths, n_workers: int) -> list[int]:
    """partition_sizes, but one file per task where any is a camera recording (EVT 2.0/3.0, DAT, AEDAT 4.0),
    which are megabytes to gigabytes each, unlike N-MNIST's few kilobytes."""
    from evlearn.formats import CAMERA_FORMATS

    camera = _suffixes(CAMERA_FORMATS)
    if any(Path(path).suffix.lower() in camera for path in paths):
        return [1] * len(paths)
    return partition_sizes(len(paths), n_workers)


def _read(path) -> np.ndarray:
    from evlearn.datasets.nmnist import read_nmnist

    return read_nmnist(path)


def extract_file(features, source, target, progress: bool = False) -> dict:
    """Write the feature stream of one recording (any event file format) to ``target`` (.npy),
    streaming it (evlearn.feast.extract); its manifest row.

    A recording that cannot be read or transformed gets ``status = "error: ..."``
    and no output file. ``progress``: a bar of events/s on stderr.
    """
    from evlearn.feast.extract import extract_stream
    from evlearn.progress import progress_bar

    try:
        with progress_bar(None, progress, desc="extract", unit="ev", unit_scale=True) as bar:
            events_in, events_out = extract_stream(features, source, target, progress=bar)
    except ValueError as err:
        return {"path": str(source), "events_in": None, "events_out": None, "status": f"error: {err}"}
    return {"path": str(source), "events_in": events_in, "events_out": events_out, "status": "ok"}


def _for_workers(model):
    """A shallow copy of a fitted FEAST, FEASTNetwork or FEASTClassifier for transforms on workers: its
    layers lack their learning history (``history_``, never read by transform), which is most of a model's
    pickle (benchmarks/scaling.py: 930 KB with it, 84 KB without, for the CLI's default model)."""
    from evlearn.feast.layer import FEAST

    slim = copy.copy(model)
    if isinstance(slim, FEAST):
        slim.__dict__.pop("history_", None)
    if hasattr(slim, "layers_"):
        slim.layers_ = [_for_workers(layer) for layer in slim.layers_]
    if hasattr(slim, "features_"):
        slim.features_ = _for_workers(slim.features_)
    return slim


def _for_task(path) -> str:
    """A path as tasks carry it: absolute, for workers in other folders (not resolve(), whose lstat of every
    component is serial set-up), and a str, not a Path, which is parsed anew when unpickled: the client, the
    scheduler and a worker each (un)pickle every task, the scheduler all of them before the first one starts."""
    return str(Path(path).absolute())


def _extract_partition(jobs, features) -> list[dict]:
    return [extract_file(features, source, target) for source, target in jobs]


def extract_files(features, jobs, *, executor=None, progress: bool = False) -> list[dict]:
    """Run ``features.transform`` over every (input, output) job; manifest rows in job order.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> from evlearn.feast import FEAST
    >>> jobs = extraction_jobs(sample_dir(), "features")   # every recording, mirrored as .npy
    >>> layer = FEAST(n_neurons=4, radius=1).fit([evlearn.read_events(jobs[0][0])])
    >>> rows = extract_files(layer, jobs)                 # executor=Executor("local", 4): on 4 processes
    >>> rows[0]["status"], len(rows) == len(jobs)
    ('ok', True)
    """
    from evlearn.parallel import Executor, partitions

    executor = executor or Executor()
    jobs = [(_for_task(source), _for_task(target)) for source, target in jobs]
    if len(jobs) == 1 and executor.n_workers <= 1:  # one file, maybe huge: a bar in events/s
        return [extract_file(features, *jobs[0], progress=progress)]
    parts = partitions(jobs, _task_sizes([source for source, _ in jobs], executor.n_workers))
    rows = executor.map(_extract_partition, parts, shared=_for_workers(features), progress=progress, desc="extract")
    return [row for part in rows for row in part]


def write_manifest(path, rows: list[dict], root) -> Path:
    """``manifest.csv``: one row per input, paths relative to ``root`` (the input folder)."""
    from evlearn.io import write_csv

    root = Path(root).absolute()
    relative = [{**row, "path": Path(row["path"]).relative_to(root).as_posix()} for row in rows]
    return write_csv(path, relative, fieldnames=list(MANIFEST_FIELDS))


def _histogram_partition(paths, model) -> np.ndarray:
    return model.histograms([_read(path) for path in paths])


def predict_files(model, paths, *, executor=None, progress: bool = False) -> np.ndarray:
    """Labels a fitted ``FEASTClassifier`` predicts for recordings ``paths`` (features on the executor)."""
    from evlearn.base import check_fitted
    from evlearn.parallel import Executor, partitions

    check_fitted(model, "classifier_")
    executor = executor or Executor()
    paths = [_for_task(p) for p in paths]
    parts = partitions(paths, partition_sizes(len(paths), executor.n_workers))
    blocks = executor.map(_histogram_partition, parts, shared=_for_workers(model), progress=progress,
                          desc="features")
    return model.classifier_.predict(np.concatenate(blocks)) if blocks else np.array([])
