"""download_nmnist through tonic, offline: a local HTTP server or a pre-placed archive stands in for Mendeley."""
from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading
import zipfile

import numpy as np
import pytest

from evlearn.datasets import tonic_nmnist
from evlearn.datasets.nmnist import read_nmnist
from evlearn.datasets.samples import sample_dir
from evlearn.datasets.tonic_nmnist import download_nmnist

tonic = pytest.importorskip("tonic")


@pytest.fixture
def archive(tmp_path):
    """A small test.zip in the official archive layout: Test/<label>/<id>.bin."""
    path = tmp_path / "served" / "test.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as zf:
        for sample in sorted(sample_dir().glob("*/*.bin")):
            zf.write(sample, f"Test/{sample.parent.name}/{sample.name}")
    return path


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(archive):
    handler = functools.partial(_QuietHandler, directory=str(archive.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/test.zip"


def _check_matches_samples(dataset):
    assert len(dataset) == 40 and dataset.classes == [str(d) for d in range(10)]
    for i in (0, 17, 39):
        path, label = dataset.samples[i]
        original = sample_dir() / str(label) / path.name
        events, got = dataset[i]
        np.testing.assert_array_equal(events, read_nmnist(original))
        assert got == label == int(path.parent.name)


def test_download_from_a_local_server(tmp_path, archive, server, monkeypatch, capsys):
    monkeypatch.setattr(tonic.datasets.NMNIST, "test_url", f"{server}/test.zip")
    monkeypatch.setattr(tonic.datasets.NMNIST, "test_md5", _md5(archive))
    dataset = download_nmnist(tmp_path / "data", train=False, transform=lambda ev: ev[:10])
    assert dataset.folder == tmp_path / "data" / "NMNIST" / "Test"
    assert (tmp_path / "data" / "NMNIST" / "test.zip").read_bytes() == archive.read_bytes()
    _check_matches_samples(download_nmnist(tmp_path / "data", train=False))
    assert len(dataset[0][0]) == 10
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # tonic's messages and bar are hidden


def test_an_archive_already_in_place_needs_no_network(tmp_path, archive, monkeypatch):
    target = tmp_path / "NMNIST" / "test.zip"
    target.parent.mkdir()
    target.write_bytes(archive.read_bytes())
    monkeypatch.setattr(tonic.datasets.NMNIST, "test_url", _closed_port_url())
    monkeypatch.setattr(tonic.datasets.NMNIST, "test_md5", _md5(archive))
    _check_matches_samples(download_nmnist(tmp_path, train=False))


def test_a_complete_folder_does_not_call_tonic(tmp_path, monkeypatch):
    folder = tonic_nmnist.nmnist_folder(tmp_path, train=True)
    for sample in sorted(sample_dir().glob("*/*.bin")):
        (folder / sample.parent.name).mkdir(parents=True, exist_ok=True)
        (folder / sample.parent.name / sample.name).write_bytes(sample.read_bytes())
    monkeypatch.setitem(tonic_nmnist.FULL_SIZE, True, 40)

    def refuse(*args, **kwargs):
        raise AssertionError("tonic was called")

    monkeypatch.setattr(tonic.datasets, "NMNIST", refuse)
    _check_matches_samples(download_nmnist(tmp_path, train=True))


def test_no_network_gives_a_clear_error(tmp_path, monkeypatch):
    url = _closed_port_url()
    monkeypatch.setattr(tonic.datasets.NMNIST, "train_url", url)
    with pytest.raises(ValueError) as err:
        download_nmnist(tmp_path, train=True)
    message = str(err.value)
    assert f"could not download N-MNIST train split from {url}" in message
    assert "refused" in message.lower()
    assert f"extract it to {tmp_path / 'NMNIST'}" in message and "\n" not in message


def test_checksum_mismatch_gives_a_clear_error(tmp_path, archive, server, monkeypatch):
    monkeypatch.setattr(tonic.datasets.NMNIST, "test_url", f"{server}/test.zip")
    monkeypatch.setattr(tonic.datasets.NMNIST, "test_md5", "0" * 32)
    with pytest.raises(ValueError, match=r"could not download N-MNIST test split .*\(File not found or corrupted\.\)"):
        download_nmnist(tmp_path, train=False)


def test_missing_file_on_the_server_gives_a_clear_error(tmp_path, server, monkeypatch):
    monkeypatch.setattr(tonic.datasets.NMNIST, "test_url", f"{server}/nothing.zip")
    with pytest.raises(ValueError, match=r"could not download N-MNIST test split .*File not found"):
        download_nmnist(tmp_path, train=False)
