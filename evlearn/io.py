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
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import Iterator


TERMINATING_SIGNALS = ("SIGTERM", "SIGHUP")


@contextlib.contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception, Ctrl-C, SIGTERM or SIGHUP the temporary file is removed and
    ``path`` is untouched (the signals exit with status 128 + signal number, as
    the default action would). A temporary left by a process killed with SIGKILL
    is removed by the next write of the same ``path``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    with _signals_raise_system_exit():
        tmp_path = _new_temporary(target)
        try:
            yield tmp_path
            os.replace(tmp_path, target)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise


def _new_temporary(target: Path) -> Path:
    """Create an empty ``.NAME.PID.XXXXXXXX.tmp`` beside ``target``, mode from the umask as for any new
    file (``tempfile.mkstemp`` would make it 0600 and need a chmod: one more metadata write per file)."""
    for _ in range(100):
        candidate = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free temporary name beside {target}")


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove temporaries of ``target`` (``.NAME.PID.XXXX.tmp``) whose writing process is gone."""
    prefix = f".{target.name}."
    removed = []
    with os.scandir(target.parent) as entries:   # not glob: it compiles a new pattern for every file written
        names = [entry.name for entry in entries if entry.name.startswith(prefix) and entry.name.endswith(".tmp")]
    for name in names:
        pid = name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            candidate = target.parent / name
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _signals_raise_system_exit():
    """While a temporary exists, turn SIGTERM/SIGHUP (default action: die at once) into SystemExit,
    so the ``except`` in :func:`atomic_path` removes the temporary. Handlers set by the
    application are left alone; signals can only be caught in the main thread."""
    installed = {}
    if threading.current_thread() is threading.main_thread():
        for name in TERMINATING_SIGNALS:
            number = getattr(signal, name, None)
            if number is not None and signal.getsignal(number) is signal.SIG_DFL:
                installed[number] = signal.signal(number, _exit_on_signal)
    try:
        yield
    finally:
        for number, previous in installed.items():
            signal.signal(number, previous)


def write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename); returns the path."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


def write_text(path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically; returns the path."""
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
    """Write ``data`` as indented JSON (NumPy values and paths converted) atomically; returns the path."""
    return write_text(path, json.dumps(_to_jsonable(data), indent=2, sort_keys=False) + "\n")


def read_json(path):
    """Read a JSON file."""
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


def portable_path(path, root=None) -> str:
    """``path`` as results should record it: relative to ``root`` (default: the current folder, the
    project root when scripts run from it) when inside it or a sibling of it (``../shared/data/...``),
    else only its name (a temporary or machine-specific place means nothing elsewhere)."""
    path = Path(path)
    if not path.is_absolute():
        return str(path)
    root = Path(root or os.getcwd()).resolve()
    for base, prefix in ((root, ""), (root.parent, "../")):
        if path.is_relative_to(base) and base != Path(base.anchor):
            return prefix + str(path.relative_to(base)) if path != base else (prefix.rstrip("/") or ".")
    return path.name or str(path)


def _portable(value):
    """Every absolute path string or Path inside ``value``, made portable."""
    if isinstance(value, dict):
        return {k: _portable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_portable(v) for v in value]
    if isinstance(value, (str, Path)) and os.path.isabs(value):
        return portable_path(value)
    return value


def run_record(config=None, seed=None, **extra) -> dict:
    """What every result records beside itself: seed, config, versions, command line.

    Paths are recorded relative to the project or data root (see :func:`portable_path`),
    so committed results never hold the producing machine's folders.
    """
    import dataclasses
    import datetime

    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        config = dataclasses.asdict(config)
    record = {
        "seed": seed,
        "config": config,
        "versions": package_versions(),
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else [],  # no machine-specific path
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    record.update(extra)
    return _to_jsonable(_portable(record))
