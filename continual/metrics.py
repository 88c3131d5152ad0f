"""Continual-learning metrics as pure functions of the accuracy matrix.

``R[i, j]`` is the test accuracy on task j after training on task i (T x T).
Definitions follow Lopez-Paz & Ranzato, "Gradient Episodic Memory for
Continual Learning", NeurIPS 2017 (average accuracy, BWT, FWT) and Chaudhry et
al., "Riemannian Walk for Incremental Learning", ECCV 2018 (forgetting).
"""
from __future__ import annotations

import numpy as np


def _check_matrix(R) -> np.ndarray:
    R = np.asarray(R, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] == 0:
        raise ValueError(f"accuracy matrix must be square T x T with T >= 1, got shape {R.shape}")
    return R


def average_accuracy(R) -> float:
    """ACC = mean_j R[T-1, j]: mean accuracy over all tasks after the last one."""
    R = _check_matrix(R)
    return float(R[-1].mean())


def accuracy_curve(R) -> np.ndarray:
    """a_i = mean_{j <= i} R[i, j]: average accuracy on the tasks seen so far, after each task."""
    R = _check_matrix(R)
    return np.array([R[i, : i + 1].mean() for i in range(len(R))])


def forgetting_per_task(R) -> np.ndarray:
    """f_j = max_{l < T-1} R[l, j] - R[T-1, j] for j < T-1 (Chaudhry et al. 2018)."""
    R = _check_matrix(R)
    T = len(R)
    return np.array([R[j:T - 1, j].max() - R[T - 1, j] for j in range(T - 1)])


def average_forgetting(R) -> float:
    """Mean of :func:`forgetting_per_task` (0 for a single task)."""
    f = forgetting_per_task(R)
    return float(f.mean()) if f.size else 0.0


def backward_transfer(R) -> float:
    """BWT = 1/(T-1) sum_{j < T-1} (R[T-1, j] - R[j, j]); negative means forgetting."""
    R = _check_matrix(R)
    T = len(R)
    if T < 2:
        return 0.0
    return float(np.mean([R[T - 1, j] - R[j, j] for j in range(T - 1)]))


def forward_transfer(R, b) -> float:
    """FWT = 1/(T-1) sum_{j >= 1} (R[j-1, j] - b[j]).

    ``b[j]`` is the accuracy on task j of the model at random initialisation.
    """
    R = _check_matrix(R)
    b = np.asarray(b, dtype=float)
    T = len(R)
    if b.shape != (T,):
        raise ValueError(f"baseline vector b must have one entry per task ({T}), got shape {b.shape}")
    if T < 2:
        return 0.0
    return float(np.mean([R[j - 1, j] - b[j] for j in range(1, T)]))


def summarize(R, b=None, train_seconds=None, memory_bytes=None) -> dict:
    """All scalar metrics of one run in a dict (FWT only when ``b`` is given).

    ``train_seconds``: per-task training times (summed); ``memory_bytes``: the
    replay-buffer size after each task (its maximum is the peak).
    """
    R = _check_matrix(R)
    out = {
        "average_accuracy": average_accuracy(R),
        "average_forgetting": average_forgetting(R),
        "bwt": backward_transfer(R),
    }
    if b is not None:
        out["fwt"] = forward_transfer(R, b)
    if train_seconds is not None:
        out["train_seconds"] = float(np.sum(train_seconds))
    if memory_bytes is not None:
        out["peak_memory_bytes"] = int(np.max(memory_bytes)) if len(memory_bytes) else 0
    return out
