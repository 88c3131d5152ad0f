"""Atomic writes leave nothing behind on SIGTERM/SIGHUP, and a SIGKILL leftover is removed by the next write.

Before: a kill during a model write left a hidden 0-byte ``.model.npz.<random>.tmp`` beside the output.
"""
import os
import signal
import subprocess
import sys
import time

import pytest

from evlearn.io import write_bytes

WRITER = """
import sys, time
from pathlib import Path
from evlearn.io import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"partial")
    Path(sys.argv[2]).write_text("ready")
    time.sleep(60)
"""


def _default_signal_actions():
    # A test runner started under nohup passes SIGHUP on as ignored, and the writer rightly keeps an
    # ignored signal ignored: give the child the default actions so the test sees the writer's own.
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)


def _start_writer(tmp_path):
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "model.npz"), str(ready)],
        preexec_fn=_default_signal_actions,
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "writer did not start"
        time.sleep(0.05)
    assert len(list(tmp_path.glob(".model.npz.*.tmp"))) == 1
    return proc


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_terminating_signal_removes_the_temporary(tmp_path, signum):
    proc = _start_writer(tmp_path)
    proc.send_signal(signum)
    assert proc.wait(timeout=60) == 128 + signum
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ready"]


def test_sigkill_leftover_is_removed_by_the_next_write(tmp_path):
    proc = _start_writer(tmp_path)
    proc.kill()
    proc.wait(timeout=60)
    leftover = list(tmp_path.glob(".model.npz.*.tmp"))
    assert len(leftover) == 1  # SIGKILL cannot be caught ...
    write_bytes(tmp_path / "model.npz", b"done")  # ... so the next write of the same file cleans it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "ready"]


def test_temporaries_of_live_processes_are_kept(tmp_path):
    from evlearn.io import remove_stale_temporaries

    mine = tmp_path / f".model.npz.{os.getpid()}.abc.tmp"
    mine.write_bytes(b"")
    other = tmp_path / ".other.npz.1.abc.tmp"
    other.write_bytes(b"")
    assert remove_stale_temporaries(tmp_path / "model.npz") == []
    assert mine.exists() and other.exists()


def test_handlers_are_restored_after_writing(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    write_bytes(tmp_path / "x.bin", b"1")
    assert signal.getsignal(signal.SIGTERM) is before
