"""G2GNet connectivity masks: ensemble-to-ensemble (group-to-group) wiring.

Konstantaropoulos, Smyrnakis, Papadopouli, "Neuro-inspired Ensemble-to-Ensemble
Communication Primitives for Sparse and Efficient ANNs", arXiv:2508.14140 (2025).

The neurons on each side of a layer are split into ``n_groups`` groups
(ensembles). Input group ``g`` is fully connected to output group ``g``
("matched" groups, connection probability ``p_intra``, 1 by default); any other
pair of neurons is connected with the small inter-group probability
``p_inter``. Defaults follow the public G2GNet code (8 groups, ``p_inter`` =
0.15); see docs/g2gnet.md for what could and could not be checked in the paper.

Groupings (how neurons are assigned to groups):

- ``"index"``: contiguous blocks of neuron indices (group of ``i`` is
  ``i * G // n``); the same for every layer.
- ``"random"``: a seeded random permutation of the contiguous labels, drawn
  independently for each side of each layer.
- ``"mixer"``: contiguous blocks in even layers (0, 2, ...) and interleaved
  groups (``i % G``) in odd layers, so an ensemble of one layer is spread over
  all ensembles of the next (channel mixing as in MLP-Mixer / ShuffleNet).

Masks here are NumPy boolean arrays of shape ``(out_features, in_features)``
(the ``nn.Linear`` weight layout), so this module needs no torch.

Two samplers: ``"exact"`` (default) draws exactly ``round(p_inter * n_inter)``
inter-group connections without replacement, so the density of a mask is a
known number, identical for every seed; ``"bernoulli"`` draws every
inter-group connection independently, as the public code does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evlearn.validation import check_number

GROUPINGS = ("index", "random", "mixer")
SAMPLINGS = ("exact", "bernoulli")


def contiguous_groups(n: int, n_groups: int) -> np.ndarray:
    """Group id of each of ``n`` neurons in contiguous, balanced blocks (sizes differ by at most 1)."""
    return (np.arange(n, dtype=np.int64) * n_groups) // n


def interleaved_groups(n: int, n_groups: int) -> np.ndarray:
    """Group id ``i % n_groups`` of each of ``n`` neurons."""
    return np.arange(n, dtype=np.int64) % n_groups


def _check_sizes(in_features, out_features, n_groups):
    check_number(in_features, "in_features", low=1, integer=True)
    check_number(out_features, "out_features", low=1, integer=True)
    check_number(n_groups, "n_groups", low=1, integer=True)
    if n_groups > min(in_features, out_features):
        raise ValueError(
            f"n_groups ({n_groups}) must not exceed in_features ({in_features}) "
            f"or out_features ({out_features}): every group needs a neuron")


def layer_groups(in_features: int, out_features: int, n_groups: int = 8, grouping: str = "index",
                 *, layer_index: int = 0, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Group ids ``(in_groups, out_groups)`` of the input and output neurons of one layer.

    ``layer_index`` (0 for the first layer) selects contiguous or interleaved
    groups for ``"mixer"``; ``rng`` (a ``numpy.random.Generator`` or a seed)
    draws the permutations for ``"random"``.
    """
    _check_sizes(in_features, out_features, n_groups)
    check_number(layer_index, "layer_index", low=0, integer=True)
    if grouping == "index":
        return contiguous_groups(in_features, n_groups), contiguous_groups(out_features, n_groups)
    if grouping == "mixer":
        make = contiguous_groups if layer_index % 2 == 0 else interleaved_groups
        return make(in_features, n_groups), make(out_features, n_groups)
    if grouping == "random":
        rng = np.random.default_rng(rng)
        return (rng.permutation(contiguous_groups(in_features, n_groups)),
                rng.permutation(contiguous_groups(out_features, n_groups)))
    raise ValueError(f"grouping must be one of {GROUPINGS}, got {grouping!r}")


def same_group(in_groups: np.ndarray, out_groups: np.ndarray) -> np.ndarray:
    """Boolean ``(out, in)`` array: True where output and input neuron share a group."""
    return np.asarray(out_groups)[:, None] == np.asarray(in_groups)[None, :]


def inter_count_for_density(density: float, in_groups, out_groups, p_intra: float = 1.0) -> int:
    """Number of inter-group connections that gives ``round(density * in * out)`` active weights.

    Raises ValueError when the density is below what the intra-group blocks
    alone give (``p_intra`` times their size) or above what the layer can hold.
    """
    check_number(density, "density", low=0.0, high=1.0)
    same = same_group(in_groups, out_groups)
    n_total = same.size
    n_intra = int(same.sum())
    kept_intra = int(round(p_intra * n_intra))
    target = int(round(density * n_total))
    k = target - kept_intra
    if k < 0 or k > n_total - n_intra:
        lowest = kept_intra / n_total
        highest = (kept_intra + n_total - n_intra) / n_total
        raise ValueError(
            f"density {density} is not reachable with these groups and p_intra={p_intra}: "
            f"it must be in [{lowest:.4f}, {highest:.4f}]")
    return k


def _choose(rng, positions: np.ndarray, k: int) -> np.ndarray:
    """``k`` of ``positions`` drawn uniformly without replacement."""
    if k <= 0:
        return positions[:0]
    return rng.choice(positions, size=k, replace=False)


def g2g_mask(in_groups, out_groups, *, p_inter: float | None = 0.15, density: float | None = None,
             p_intra: float = 1.0, sampling: str = "exact", rng=None) -> np.ndarray:
    """Boolean ``(out, in)`` G2G mask for the given group ids.

    Exactly one of ``p_inter`` (inter-group probability) or ``density`` (target
    fraction of active weights, ``1 - sparsity``; needs ``sampling="exact"``)
    is used: ``density`` wins when given.
    """
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    check_number(p_intra, "p_intra", low=0.0, high=1.0)
    rng = np.random.default_rng(rng)
    in_groups = np.asarray(in_groups)
    out_groups = np.asarray(out_groups)
    same = same_group(in_groups, out_groups)
    flat_same = same.ravel()
    intra_pos = np.flatnonzero(flat_same)
    inter_pos = np.flatnonzero(~flat_same)
    mask = np.zeros(same.size, dtype=bool)
    if density is not None:
        if sampling != "exact":
            raise ValueError("a target density needs sampling='exact'")
        k_inter = inter_count_for_density(density, in_groups, out_groups, p_intra)
        mask[_choose(rng, intra_pos, int(round(p_intra * intra_pos.size)))] = True
        mask[_choose(rng, inter_pos, k_inter)] = True
        return mask.reshape(same.shape)
    if p_inter is None:
        raise ValueError("give p_inter or density")
    check_number(p_inter, "p_inter", low=0.0, high=1.0)
    if sampling == "exact":
        mask[_choose(rng, intra_pos, int(round(p_intra * intra_pos.size)))] = True
        mask[_choose(rng, inter_pos, int(round(p_inter * inter_pos.size)))] = True
    else:
        u = rng.random(same.size)
        mask = np.where(flat_same, u < p_intra, u < p_inter)
    return mask.reshape(same.shape)


@dataclass(frozen=True)
class G2GLayerMask:
    """One layer's mask with the group ids it was built from."""

    mask: np.ndarray        # bool (out_features, in_features)
    in_groups: np.ndarray   # int64 (in_features,)
    out_groups: np.ndarray  # int64 (out_features,)


def make_layer_mask(in_features: int, out_features: int, *, n_groups: int = 8, p_inter: float | None = 0.15,
                    sparsity: float | None = None, grouping: str = "index", layer_index: int = 0,
                    p_intra: float = 1.0, sampling: str = "exact", seed=None) -> G2GLayerMask:
    """Groups and mask of one layer, reproducible from ``seed``.

    ``sparsity`` (fraction of zero weights), when given, overrides ``p_inter``:
    the mask then has exactly ``round((1 - sparsity) * in * out)`` active weights.
    """
    rng = np.random.default_rng(seed)
    in_g, out_g = layer_groups(in_features, out_features, n_groups, grouping, layer_index=layer_index, rng=rng)
    density = None
    if sparsity is not None:
        check_number(sparsity, "sparsity", low=0.0, high=1.0)
        density = 1.0 - sparsity
    mask = g2g_mask(in_g, out_g, p_inter=p_inter, density=density, p_intra=p_intra, sampling=sampling, rng=rng)
    return G2GLayerMask(mask=mask, in_groups=in_g, out_groups=out_g)


def expected_density(in_groups, out_groups, p_inter: float, p_intra: float = 1.0) -> float:
    """Expected fraction of active weights for Bernoulli sampling (exact sampling rounds it)."""
    same = same_group(in_groups, out_groups)
    frac_intra = same.mean()
    return float(p_intra * frac_intra + p_inter * (1.0 - frac_intra))


def block_density(mask, in_groups, out_groups, n_groups: int | None = None) -> np.ndarray:
    """``(G, G)`` array: fraction of active weights from input group j to output group i."""
    mask = np.asarray(mask, dtype=bool)
    in_groups = np.asarray(in_groups)
    out_groups = np.asarray(out_groups)
    if n_groups is None:
        n_groups = int(max(in_groups.max(), out_groups.max())) + 1
    rows = np.eye(n_groups, dtype=np.int64)[out_groups]   # (out, G) one-hot
    cols = np.eye(n_groups, dtype=np.int64)[in_groups]    # (in, G) one-hot
    active = rows.T @ mask.astype(np.int64) @ cols
    sizes = np.outer(rows.sum(0), cols.sum(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sizes > 0, active / np.maximum(sizes, 1), np.nan)


def mask_stats(mask, in_groups=None, out_groups=None) -> dict:
    """Density and group-structure statistics of a mask (plain Python numbers)."""
    mask = np.asarray(mask, dtype=bool)
    nnz = int(mask.sum())
    stats = {
        "shape": [int(s) for s in mask.shape],
        "nnz": nnz,
        "density": nnz / mask.size,
        "sparsity": 1.0 - nnz / mask.size,
        "fan_in_min": int(mask.sum(1).min()),
        "fan_in_mean": float(mask.sum(1).mean()),
        "fan_in_max": int(mask.sum(1).max()),
        "fan_out_min": int(mask.sum(0).min()),
    }
    if in_groups is not None and out_groups is not None:
        same = same_group(in_groups, out_groups)
        n_intra = int(same.sum())
        n_inter = same.size - n_intra
        stats["intra_nnz"] = int(mask[same].sum())
        stats["inter_nnz"] = int(mask[~same].sum())
        stats["intra_density"] = stats["intra_nnz"] / n_intra if n_intra else float("nan")
        stats["inter_density"] = stats["inter_nnz"] / n_inter if n_inter else float("nan")
        stats["intra_share"] = stats["intra_nnz"] / nnz if nnz else float("nan")
    return stats
