"""IDX reader/encoder and the MNIST-family loader (real mnist-small, generated EMNIST/Fashion files)."""
from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from evlearn.datasets.idx import decode_idx, encode_idx, read_idx
from evlearn.datasets.mnist import find_idx_files, load_mnist


def _read_idx_by_hand(path):
    """Independent reference: parse the header with struct, as the MNIST page describes it."""
    import struct

    raw = gzip.open(path).read()
    _, _, ndim = struct.unpack(">HBB", raw[:4])
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(shape)


def test_read_idx_on_real_mnist_small(mnist_dir):
    images = read_idx(mnist_dir / "train-images-idx3-ubyte.gz")
    labels = read_idx(mnist_dir / "train-labels-idx1-ubyte.gz")
    assert images.shape == (3000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (3000,) and set(labels.tolist()) == set(range(10))
    np.testing.assert_array_equal(images, _read_idx_by_hand(mnist_dir / "train-images-idx3-ubyte.gz"))


def test_raw_and_gz_give_the_same_array(mnist_dir, tmp_path):
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.open(mnist_dir / "t10k-labels-idx1-ubyte.gz").read())
    np.testing.assert_array_equal(read_idx(raw), read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz"))


@pytest.mark.parametrize("header, message", [
    (b"\x01\x00\x08\x01", "bad IDX magic number 01000801"),
    (b"\x00\x00\x07\x01", "bad IDX magic number 00000701"),
    (b"\x00\x00\x08\x00", "bad IDX magic number 00000800"),
    (b"\x00\x00", "too short for an IDX header"),
    (b"\x00\x00\x08\x03\x00\x00", "header announces 3 dimensions but the file ends at byte 6"),
])
def test_bad_headers_raise(tmp_path, header, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(header)
    with pytest.raises(ValueError, match=rf"bad-idx1-ubyte: {message}"):
        read_idx(path)


def test_size_mismatch_and_corrupt_gzip_raise(tmp_path):
    good = encode_idx(np.arange(12, dtype=np.uint8).reshape(3, 4))
    (tmp_path / "short").write_bytes(good[:-1])
    with pytest.raises(ValueError, match=r"short: shape \(3, 4\) needs 24 bytes, file has 23"):
        read_idx(tmp_path / "short")
    (tmp_path / "long").write_bytes(good + b"\x00")
    with pytest.raises(ValueError, match="needs 24 bytes, file has 25"):
        read_idx(tmp_path / "long")
    (tmp_path / "broken.gz").write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(ValueError, match=r"broken\.gz: corrupt gzip data"):
        read_idx(tmp_path / "broken.gz")
    with pytest.raises(ValueError, match="no such file"):
        read_idx(tmp_path / "absent")
    with pytest.raises(ValueError, match="cannot hold dtype int64"):
        encode_idx(np.zeros(3, dtype=np.int64))


_IDX_DTYPES = st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(_IDX_DTYPES, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
                  elements={"allow_nan": False}))
def test_idx_round_trip(array):
    decoded = decode_idx(encode_idx(array))
    assert decoded.dtype == array.dtype and decoded.shape == array.shape
    np.testing.assert_array_equal(decoded, array)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64))
def test_decode_idx_never_crashes_on_garbage(raw):
    try:
        decode_idx(raw)
    except ValueError:
        pass


def test_load_mnist_on_shared_subset(mnist_dir):
    train_x, train_y = load_mnist(mnist_dir, "train")
    test_x, test_y = load_mnist(mnist_dir, split="test")
    assert train_x.shape == (3000, 28, 28) and test_x.shape == (1000, 28, 28)
    assert train_x.dtype == np.uint8 and train_y.dtype == test_y.dtype == np.int64
    assert set(test_y.tolist()) == set(range(10))
    assert train_x.flags.c_contiguous
    # A digit is written brighter in its middle than at the border.
    assert train_x[:, 10:18, 10:18].mean() > 4 * train_x[:, :3, :].mean()


def test_load_mnist_finds_torchvision_layout_and_dot_names(mnist_dir, tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(mnist_dir / name, raw / name)
    images, labels = load_mnist(tmp_path, "test", kind="fashion")
    assert images.shape == (1000, 28, 28)
    kaggle = tmp_path / "kaggle"
    kaggle.mkdir()
    (kaggle / "t10k-images.idx3-ubyte").write_bytes(gzip.open(raw / "t10k-images-idx3-ubyte.gz").read())
    shutil.copy(raw / "t10k-labels-idx1-ubyte.gz", kaggle)
    np.testing.assert_array_equal(load_mnist(kaggle, "test")[0], images)


def _write_emnist(folder, images_stored, labels):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "emnist-letters-test-images-idx3-ubyte.gz").write_bytes(gzip.compress(encode_idx(images_stored)))
    (folder / "emnist-letters-test-labels-idx1-ubyte.gz").write_bytes(gzip.compress(encode_idx(labels)))


def test_emnist_letters_labels_shift_and_images_are_transposed(tmp_path, rng):
    upright = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([1, 26, 3, 13, 1], dtype=np.uint8)
    _write_emnist(tmp_path / "gzip", upright.transpose(0, 2, 1), labels)  # EMNIST stores transposed images
    images, got = load_mnist(tmp_path, "test", kind="emnist-letters")
    np.testing.assert_array_equal(images, upright)
    assert got.tolist() == [0, 25, 2, 12, 0] and got.dtype == np.int64


def test_label_range_and_count_are_checked(tmp_path, rng):
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    _write_emnist(tmp_path / "bad", images, np.array([1, 0, 2], dtype=np.uint8))
    with pytest.raises(ValueError, match=r"label 0 at index 1 is outside 1\.\.26"):
        load_mnist(tmp_path / "bad", "test", kind="emnist-letters")
    _write_emnist(tmp_path / "count", images, np.array([1, 2], dtype=np.uint8))
    with pytest.raises(ValueError, match="holds 3 images but .* holds 2 labels"):
        load_mnist(tmp_path / "count", "test", kind="emnist-letters")
    _write_emnist(tmp_path / "flat", images.reshape(3, -1), np.array([1, 2, 3], dtype=np.uint8))
    with pytest.raises(ValueError, match=r"expected uint8 images \[N, H, W\]"):
        load_mnist(tmp_path / "flat", "test", kind="emnist-letters")


def test_missing_files_list_what_was_looked_for(tmp_path, mnist_dir):
    with pytest.raises(ValueError) as err:
        load_mnist(tmp_path, "train")
    message = str(err.value)
    assert "train-images-idx3-ubyte or train-images.idx3-ubyte (raw or .gz)" in message
    assert str(tmp_path / "MNIST" / "raw") in message and "\n" not in message
    shutil.copy(mnist_dir / "train-images-idx3-ubyte.gz", tmp_path)
    with pytest.raises(ValueError, match="no mnist train labels file: looked for train-labels-idx1-ubyte"):
        find_idx_files(tmp_path, "train")
    with pytest.raises(ValueError, match="no such folder"):
        load_mnist(tmp_path / "absent")
    with pytest.raises(ValueError, match="kind must be one of"):
        load_mnist(tmp_path, kind="kmnist")
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist(tmp_path, split="val")


def test_huge_announced_shape_is_a_size_error_not_an_overflow():
    header = b"\x00\x00\x08\x04" + b"\xff\xff\xff\xff" * 4
    with pytest.raises(ValueError, match="needs 340282366604025813516997721482669850645 bytes, file has 20"):
        decode_idx(header)
