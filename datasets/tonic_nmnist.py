"""Download the full N-MNIST through ``tonic.datasets.NMNIST`` and read it as an NMNISTFolder.

tonic fetches ``train.zip``/``test.zip`` from Mendeley Data, checks their MD5
and extracts them to ``<root>/NMNIST/Train|Test/<label>/<id>.bin``: the
official layout that :class:`~evlearn.datasets.folder.NMNISTFolder` reads.
A folder that already holds the whole split is used without any network access.
"""
from __future__ import annotations

import contextlib
import io
import urllib.error
import zipfile
from pathlib import Path
from typing import Callable

from evlearn.datasets.folder import NMNISTFolder
from evlearn.events import NMNIST_SENSOR

# Samples per split of the full data set (Orchard et al. 2015).
FULL_SIZE = {True: 60_000, False: 10_000}


def nmnist_folder(root, train: bool = True) -> Path:
    """Where tonic puts (or has put) one split: ``<root>/NMNIST/Train`` or ``.../Test``."""
    return Path(root).expanduser() / "NMNIST" / ("Train" if train else "Test")


def _complete(folder: Path, train: bool) -> bool:
    return folder.is_dir() and sum(1 for _ in folder.glob("*/*.bin")) >= FULL_SIZE[train]


def download_nmnist(root, train: bool = True, transform: Callable | None = None, *,
                    progress: bool = False) -> NMNISTFolder:
    """Download (if needed) one split of N-MNIST with tonic and return it as an NMNISTFolder.

    Parameters
    ----------
    root : path
        Download folder (tonic's ``save_to``); the split lands in ``<root>/NMNIST/Train|Test``.
    train : bool
        The 60,000-sample training split (True) or the 10,000-sample test split.
    transform : callable, optional
        Applied to each event array by the returned data set.
    progress : bool
        Show tonic's download bar and messages (hidden by default).

    Raises ValueError with the URL and the manual alternative when the
    download fails (no network, server error, checksum mismatch).
    """
    folder = nmnist_folder(root, train)
    if not _complete(folder, train):
        import tonic

        url = tonic.datasets.NMNIST.train_url if train else tonic.datasets.NMNIST.test_url
        archive = tonic.datasets.NMNIST.train_filename if train else tonic.datasets.NMNIST.test_filename
        # tonic prints messages (stdout) and a tqdm bar (stderr); a library stays quiet.
        sink = io.StringIO()
        quiet = contextlib.nullcontext() if progress else _redirect_both(sink)
        try:
            with quiet:
                tonic.datasets.NMNIST(save_to=str(Path(root).expanduser()), train=train)
        except (urllib.error.URLError, OSError, RuntimeError, zipfile.BadZipFile) as err:
            reason = getattr(err, "reason", None) or err
            raise ValueError(
                f"could not download N-MNIST {'train' if train else 'test'} split from {url} ({reason}). "
                f"Without network access, download {archive} elsewhere and extract it to {folder.parent} "
                f"(giving {folder}/<label>/<id>.bin), or put the archive at {folder.parent / archive}"
            ) from None
    return NMNISTFolder(folder, transform=transform, sensor_size=NMNIST_SENSOR)



@contextlib.contextmanager
def _redirect_both(sink):
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield
