"""Readers, writers and folder data sets (``evlearn.datasets``).

- :mod:`~evlearn.datasets.nmnist`: N-MNIST's 40-bit binary events (read/write).
- :mod:`~evlearn.datasets.folder`: :class:`NMNISTFolder`, a lazy ``<root>/<label>/<id>.bin`` data set.
- :mod:`~evlearn.datasets.samples`: the N-MNIST samples shipped in the package.
- :mod:`~evlearn.datasets.tonic_nmnist`: full N-MNIST download through tonic.
- :mod:`~evlearn.datasets.idx`, :mod:`~evlearn.datasets.mnist`: IDX files; MNIST, Fashion-MNIST, EMNIST-letters.
- :mod:`~evlearn.datasets.cifar`: CIFAR-10/100 python batches.

Only NumPy is imported here; tonic is imported when a download is asked for.
See docs/datasets.md.
"""
from evlearn.datasets.cifar import load_cifar
from evlearn.datasets.folder import NMNISTFolder
from evlearn.datasets.idx import encode_idx, read_idx
from evlearn.datasets.mnist import load_mnist
from evlearn.datasets.nmnist import decode_nmnist, encode_nmnist, read_nmnist, write_nmnist
from evlearn.datasets.samples import load_samples, sample_dataset, sample_dir

__all__ = [
    "NMNISTFolder", "decode_nmnist", "encode_idx", "encode_nmnist", "load_cifar", "load_mnist",
    "load_samples", "read_idx", "read_nmnist", "sample_dataset", "sample_dir", "write_nmnist",
]
