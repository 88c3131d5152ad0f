"""Atomic result writing: every file evlearn writes goes through here.

A file is written to a temporary sibling and renamed into place, so an
interrupted run never leaves a half-written model, figure or table behind.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600 files; give results the usual umask-based mode instead.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_bytes(path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


def write_text(path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def _to_jsonable(value):
    """Convert NumPy scalars/arrays and paths so json can write them."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path, data) -> Path:
    return write_text(path, json.dumps(_to_jsonable(data), indent=2, sort_keys=False) + "\n")


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_csv(path, rows: list[dict], fieldnames: list[str] | None = None) -> Path:
    """Write a list of dicts as CSV (columns: ``fieldnames`` or the union of keys in order)."""
    if fieldnames is None:
        fieldnames = []
        for row in rows:
            fieldnames.extend(k for k in row if k not in fieldnames)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(_to_jsonable(row))
    return write_text(path, buffer.getvalue())


def save_npz(path, **arrays) -> Path:
    """Save arrays with ``np.savez_compressed``, atomically."""
    import numpy as np

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)
    return Path(path)


def save_figure(fig, path, **kwargs) -> Path:
    """Save a matplotlib figure atomically (format from the suffix of ``path``)."""
    target = Path(path)
    kwargs.setdefault("dpi", 120)
    kwargs.setdefault("bbox_inches", "tight")
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format=target.suffix.lstrip(".") or "png", **kwargs)
    return target


def package_versions(*names: str) -> dict[str, str]:
    """Versions of Python, evlearn and the given (or all relevant, imported) packages."""
    from importlib import metadata

    wanted = names or ("numpy", "numba", "scipy", "torch", "brian2", "tonic", "matplotlib")
    versions = {"python": platform.python_version(), "platform": platform.platform()}
    for name in ("evlearn", *wanted):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def run_record(config=None, seed=None, **extra) -> dict:
    """What every result records beside itself: seed, config, versions, command line."""
    import dataclasses
    import datetime

    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        config = dataclasses.asdict(config)
    record = {
        "seed": seed,
        "config": config,
        "versions": package_versions(),
        "command": sys.argv,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    record.update(extra)
    return _to_jsonable(record)
