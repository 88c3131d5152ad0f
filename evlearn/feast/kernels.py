"""The FEAST layer's event loop: one fused numba kernel and its plain-NumPy reference.

Per event (x, y, t, p), in one pass:

1. time-surface context: store t as the last time of pixel (x, y) in channel p,
   read the (2R+1)^2 neighbourhood of the last-time memory (of channel p, or of
   every channel when ``mode == STACK``), map each last time to
   exp(-(t - t_last) / tau) (0 where the pixel never fired) and scale the
   vector to unit L2 length;
2. matching: dot product with each neuron's unit weight vector; a neuron
   matches when the dot product exceeds its threshold; the winner is the
   matching neuron with the largest dot product (with ``use_threshold`` false,
   the largest dot product over all neurons);
3. learning (``learn``): winner w <- normalise((1 - eta) w + eta c) and its
   threshold += delta_i; no match: every threshold of the population -= delta_e.

Afshar, Ralph, Xu, Tapson, van Schaik, Cohen, "Event-Based Feature Extraction
Using Adaptive Selection Thresholds", Sensors 20(6):1600, 2020.

What makes the kernel fast: the memory stores exp((t_last - t_ref) / tau) per
pixel, so an event costs one exp, not one per neighbour (normalising the context
cancels the common decay factor); the memory is padded by R on every side
(no bounds checks); only pixels that fired enter the context (a sparse list of
index/value pairs, so cost grows with the active pixels, not with (2R+1)^2);
weights are stored transposed, ``(groups, D, K)``, so each active context entry
adds a contiguous K-vector to the K dot products, which numba turns into SIMD
code; and no memory is allocated inside the loop.
"""
from __future__ import annotations

import numpy as np
from numba import njit

MERGE, STACK, SPLIT = 0, 1, 2
MODES = {"merge": MERGE, "stack": STACK, "split": SPLIT}


def layout(mode: int, n_channels: int, radius: int) -> tuple[int, int, int]:
    """(surface channels, population groups, context length D) for a mode."""
    side = 2 * radius + 1
    if mode == MERGE:
        return 1, 1, side * side
    if mode == STACK:
        return n_channels, 1, n_channels * side * side
    return n_channels, n_channels, side * side


REBASE = 300.0  # exp(300) ~ 1e130: stored decay factors stay far from overflow
TINY = 1e-250  # values below this after a rebase are flushed to 0 (no denormals)


@njit(cache=True)
def _rebase(surf, factor):
    flat = surf.reshape(-1)
    for i in range(flat.shape[0]):
        v = flat[i] * factor
        flat[i] = v if v > TINY else 0.0


UNSET = -1  # t_ref of a stream that has seen no event yet (timestamps are >= 0)


def empty_memory(mode, n_channels, height, width, radius) -> tuple[np.ndarray, np.ndarray]:
    """The state a stream carries: the padded decay-factor memory and ``[t_ref]``."""
    n_surfaces = 1 if mode == MERGE else n_channels
    return (np.zeros((n_surfaces, height + 2 * radius, width + 2 * radius), dtype=np.float64),
            np.array([UNSET], dtype=np.int64))


def feast_kernel(x, y, t, p, weights_t, thresholds, radius, tau, mode, width, height, n_channels,
                 learn, use_threshold, eta, delta_i, delta_e):
    """Run a FEAST layer over one stream; return the winner per event (-1: no match).

    ``weights_t`` (groups, D, K) and ``thresholds`` (groups, K) are updated in
    place when ``learn`` is true. Time-surface memory starts empty for each call.
    """
    surf, state = empty_memory(mode, n_channels, height, width, radius)
    return feast_chunk_kernel(x, y, t, p, weights_t, thresholds, radius, tau, mode, width, height, n_channels,
                              learn, use_threshold, eta, delta_i, delta_e, surf, state)


@njit(cache=True)
def feast_chunk_kernel(x, y, t, p, weights_t, thresholds, radius, tau, mode, width, height, n_channels,
                       learn, use_threshold, eta, delta_i, delta_e, surf, state):
    """``feast_kernel`` on one chunk of a stream: the memory ``surf`` and ``state[0]`` (t_ref)
    come from the previous chunk and are updated in place, so chunks give the same winners
    as the whole stream."""
    side = 2 * radius + 1
    area = side * side
    n_ctx = weights_t.shape[1]
    n_neurons = weights_t.shape[2]
    # Decay factors are stored as exp((t_last - t_ref) / tau): the context is scaled to unit
    # length, so the common factor exp(-(t - t_ref) / tau) cancels and each event costs one
    # exp instead of one per neighbour. t_ref moves forward before the stored values overflow.
    winners = np.empty(x.shape[0], dtype=np.int64)
    index = np.empty(n_ctx, dtype=np.int64)
    value = np.empty(n_ctx, dtype=np.float64)
    acc = np.empty(n_neurons, dtype=np.float64)
    inv_tau = 1.0 / tau
    if state[0] == UNSET and x.shape[0]:
        state[0] = t[0]
    t_ref = state[0]
    for e in range(x.shape[0]):
        px = x[e] + radius
        py = y[e] + radius
        te = t[e]
        surface = 0 if mode == MERGE else p[e]
        group = p[e] if mode == SPLIT else 0
        age = (te - t_ref) * inv_tau
        if age > REBASE:
            _rebase(surf, np.exp(-age))
            t_ref = te
            age = 0.0
        surf[surface, py, px] = np.exp(age)
        # 1. sparse context: active pixels only, in (channel, row, column) order
        nnz = 0
        norm2 = 0.0
        c_lo = 0 if mode == STACK else surface
        c_hi = n_channels if mode == STACK else surface + 1
        for c in range(c_lo, c_hi):
            base = (c - c_lo) * area
            for dy in range(side):
                row = py - radius + dy
                for dx in range(side):
                    v = surf[c, row, px - radius + dx]
                    # branch-free append: always write, advance only for active pixels
                    index[nnz] = base + dy * side + dx
                    value[nnz] = v
                    norm2 += v * v
                    nnz += v != 0.0
        scale = 1.0 / np.sqrt(norm2)
        for i in range(nnz):
            value[i] *= scale
        # 2. dot products: each active entry adds a contiguous K-row
        for k in range(n_neurons):
            acc[k] = 0.0
        for i in range(nnz):
            v = value[i]
            j = index[i]
            for k in range(n_neurons):
                acc[k] += v * weights_t[group, j, k]
        best = -1
        best_value = -np.inf
        for k in range(n_neurons):
            if (not use_threshold or acc[k] > thresholds[group, k]) and acc[k] > best_value:
                best = k
                best_value = acc[k]
        winners[e] = best
        # 3. learning
        if learn:
            if best < 0:
                for k in range(n_neurons):
                    thresholds[group, k] -= delta_e
            else:
                keep = 1.0 - eta
                for j in range(n_ctx):
                    weights_t[group, j, best] *= keep
                for i in range(nnz):
                    weights_t[group, index[i], best] += eta * value[i]
                w2 = 0.0
                for j in range(n_ctx):
                    w2 += weights_t[group, j, best] * weights_t[group, j, best]
                inv = 1.0 / np.sqrt(w2)
                for j in range(n_ctx):
                    weights_t[group, j, best] *= inv
                thresholds[group, best] += delta_i
    state[0] = t_ref
    return winners


def feast_reference(x, y, t, p, weights, thresholds, radius, tau, mode, width, height, n_channels,
                    learn, use_threshold, eta, delta_i, delta_e):
    """Plain-NumPy reference of ``feast_kernel`` (dense vectors, one event at a time).

    ``weights`` here is (groups, K, D), the natural layout; updated in place.
    """
    n_surfaces = 1 if mode == MERGE else n_channels
    last = np.full((n_surfaces, height, width), -np.inf)
    winners = np.empty(len(x), dtype=np.int64)
    for e in range(len(x)):
        surface = 0 if mode == MERGE else int(p[e])
        group = int(p[e]) if mode == SPLIT else 0
        last[surface, y[e], x[e]] = t[e]
        padded = np.pad(last, ((0, 0), (radius, radius), (radius, radius)), constant_values=-np.inf)
        window = padded[:, y[e]:y[e] + 2 * radius + 1, x[e]:x[e] + 2 * radius + 1]
        if mode != STACK:
            window = window[surface:surface + 1]
        context = np.exp((window - t[e]) / tau).ravel()
        context /= np.linalg.norm(context)
        dots = weights[group] @ context
        candidates = dots > thresholds[group] if use_threshold else np.ones(dots.shape, bool)
        best = int(np.argmax(np.where(candidates, dots, -np.inf))) if candidates.any() else -1
        winners[e] = best
        if learn:
            if best < 0:
                thresholds[group] -= delta_e
            else:
                w = weights[group, best] * (1.0 - eta) + eta * context
                weights[group, best] = w / np.linalg.norm(w)
                thresholds[group, best] += delta_i
    return winners
