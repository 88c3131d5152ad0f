"""CIFAR-10/100 loaders on small generated batches written in the original file format.

The original batches were pickled by Python 2 (protocol 2): dict keys and the
array buffer are Python-2 ``str`` (BINSTRING opcodes) and arrays are rebuilt
by ``numpy.core.multiarray._reconstruct``. ``_py2_pickle`` writes exactly that.
"""
from __future__ import annotations

import io
import pickle
import struct

import numpy as np
import pytest

from evlearn.datasets.cifar import load_cifar, read_cifar_batch


class _Py2Pickler(pickle._Pickler):
    """Protocol-2 pickler that writes bytes as Python-2 str, like the CIFAR authors' cPickle."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_bytes(self, obj):
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def _py2_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    _Py2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def _batch(rng, n, label_keys, n_classes=(10,)):
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    batch = {b"batch_label": b"testing batch 1 of 1", b"data": data,
             b"filenames": [b"img_%d.png" % i for i in range(n)]}
    for key, k in zip(label_keys, n_classes):
        batch[key] = rng.integers(0, k, size=n).tolist()
    return batch


@pytest.fixture
def cifar10_root(tmp_path, rng):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batches = {}
    for name, n in [*((f"data_batch_{i}", 3 + i) for i in range(1, 6)), ("test_batch", 4)]:
        batches[name] = _batch(rng, n, [b"labels"])
        (folder / name).write_bytes(_py2_pickle(batches[name]))
    (folder / "batches.meta").write_bytes(_py2_pickle({b"label_names": [b"airplane"] * 10}))
    return tmp_path, batches


def _expected_images(data):
    # Row layout: 1024 red, then 1024 green, then 1024 blue values, each 32 rows of 32.
    n = len(data)
    images = np.empty((n, 32, 32, 3), dtype=np.uint8)
    for i in range(n):
        for c in range(3):
            for r in range(32):
                images[i, r, :, c] = data[i, c * 1024 + r * 32: c * 1024 + (r + 1) * 32]
    return images


def test_fixture_is_in_the_python2_format(cifar10_root):
    root, _ = cifar10_root
    raw = (root / "cifar-10-batches-py" / "test_batch").read_bytes()
    assert raw[:2] == b"\x80\x02" and b"cnumpy.core.multiarray\n_reconstruct\n" in raw
    assert b"U\x04data" in raw  # SHORT_BINSTRING key, as cPickle wrote py2 str
    assert b"_codecs" not in raw


def test_cifar10_train_and_test(cifar10_root):
    root, batches = cifar10_root
    images, labels = load_cifar(root, "train")
    assert images.shape == (4 + 5 + 6 + 7 + 8, 32, 32, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and images.flags.c_contiguous
    data = np.concatenate([batches[f"data_batch_{i}"][b"data"] for i in range(1, 6)])
    np.testing.assert_array_equal(images, _expected_images(data))
    assert labels.tolist() == sum((batches[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])
    test_images, test_labels = load_cifar(root / "cifar-10-batches-py", split="test")  # the folder itself
    np.testing.assert_array_equal(test_images, _expected_images(batches["test_batch"][b"data"]))
    assert test_labels.tolist() == batches["test_batch"][b"labels"]


def test_cifar100_fine_and_coarse(tmp_path, rng):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    batches = {}
    for split, n in (("train", 7), ("test", 3)):
        batches[split] = _batch(rng, n, [b"fine_labels", b"coarse_labels"], (100, 20))
        (folder / split).write_bytes(_py2_pickle(batches[split]))
    images, fine = load_cifar(tmp_path, "train", kind="cifar100")
    _, coarse = load_cifar(tmp_path, "train", kind="cifar100", label_type="coarse")
    np.testing.assert_array_equal(images, _expected_images(batches["train"][b"data"]))
    assert fine.tolist() == batches["train"][b"fine_labels"]
    assert coarse.tolist() == batches["train"][b"coarse_labels"]
    assert load_cifar(tmp_path, "test", "cifar100")[0].shape == (3, 32, 32, 3)


def test_python3_pickles_with_str_keys_load_too(tmp_path, rng):
    batch = {k.decode(): v for k, v in _batch(rng, 2, [b"labels"]).items()}
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps(batch, protocol=2))  # Python 3 protocol 2 uses _codecs.encode for bytes
    images, labels = read_cifar_batch(path)
    np.testing.assert_array_equal(images, _expected_images(batch["data"]))
    assert labels.tolist() == batch["labels"]


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_a_pickle_that_runs_code_is_refused(tmp_path, capsys):
    path = tmp_path / "test_batch"
    path.write_bytes(pickle.dumps({b"data": _Evil(), b"labels": []}, protocol=2))
    with pytest.raises(ValueError, match=r"test_batch: not a CIFAR python batch \(refusing to load .*builtin.*\.print\)"):
        read_cifar_batch(path)
    assert "pwned" not in capsys.readouterr().out


def test_invalid_batches_raise(tmp_path, rng):
    def write(name, obj):
        (tmp_path / name).write_bytes(_py2_pickle(obj))
        return tmp_path / name

    good = _batch(rng, 2, [b"labels"])
    with pytest.raises(ValueError, match=r"no 'labels' entry"):
        read_cifar_batch(write("a", {b"data": good[b"data"]}))
    with pytest.raises(ValueError, match=r"'data' must be uint8 \[N, 3072\]"):
        read_cifar_batch(write("b", {b"data": good[b"data"][:, :100], b"labels": [0, 1]}))
    with pytest.raises(ValueError, match="2 images but 1 labels"):
        read_cifar_batch(write("c", {b"data": good[b"data"], b"labels": [0]}))
    with pytest.raises(ValueError, match="expected a pickled dict"):
        read_cifar_batch(write("d", [1, 2]))
    (tmp_path / "e").write_bytes(b"not a pickle at all")
    with pytest.raises(ValueError, match="e: not a CIFAR python batch"):
        read_cifar_batch(tmp_path / "e")
    (tmp_path / "f").write_bytes(_py2_pickle(good)[:-20])
    with pytest.raises(ValueError, match="f: not a CIFAR python batch"):
        read_cifar_batch(tmp_path / "f")


def test_label_range_and_missing_files(tmp_path, rng, cifar10_root):
    folder = tmp_path / "cifar-10-batches-py"
    bad = _batch(rng, 2, [b"labels"])
    bad[b"labels"] = [3, 10]
    (folder / "test_batch").write_bytes(_py2_pickle(bad))
    with pytest.raises(ValueError, match=r"labels value 10 at index 1 is outside 0\.\.9"):
        load_cifar(tmp_path, "test")
    (folder / "data_batch_3").unlink()
    with pytest.raises(ValueError, match=r"missing cifar10 train file\(s\): .*data_batch_3"):
        load_cifar(tmp_path, "train")
    with pytest.raises(ValueError, match=r"missing cifar100 test file\(s\): .*cifar-100-python/test"):
        load_cifar(tmp_path, "test", kind="cifar100")
    with pytest.raises(ValueError, match="no such folder"):
        load_cifar(tmp_path / "nowhere")
    for kwargs, message in (({"kind": "cifar1000"}, "kind"), ({"split": "val"}, "split"),
                            ({"label_type": "super"}, "label_type")):
        with pytest.raises(ValueError, match=message):
            load_cifar(tmp_path, **kwargs)
