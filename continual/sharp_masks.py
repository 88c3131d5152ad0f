"""SHARP sparse connectivity: random pruning, unit selection, drop/regrow, unit states.

Pure NumPy, independent of torch and of the runner. A sparse layer's
connectivity is a boolean matrix ``conn`` of shape ``(n_out, n_in)``:

- conv layer: one entry per (output channel, input channel) pair; a kept pair
  keeps its whole ``k x k`` kernel (SHARP prunes convolutions per channel);
- linear layer: one entry per weight. After a conv layer a linear layer's
  inputs are the flattened feature maps, so input unit (channel) ``c`` owns
  features ``c * block .. (c + 1) * block - 1``.

Unit states per layer (index 0 is the input): ``0`` plastic, ``1`` selected in
the current task (candidate stable), ``k >= 2`` promoted ``k - 1`` tasks ago,
``INPUT_STATE`` for input units (never plastic, never promoted).

Reference: Gurbuz, Moorman, Dovrolis, arXiv 2305.18563, and the authors' code
(``Source/architecture.py``, ``Source/rewire.py``); see docs/sharp.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

INPUT_STATE = 99


@dataclass(frozen=True)
class LayerSpec:
    """Shape of one sparse layer's connectivity.

    ``kind`` is ``"conv"`` or ``"linear"``; ``n_in`` counts input channels
    (conv) or input features (linear); ``weights_per_connection`` is ``k * k``
    for a conv layer and 1 for a linear one; ``block`` is the number of input
    features per source unit (``h * w`` for a linear layer after a conv layer).
    """

    kind: str
    n_out: int
    n_in: int
    weights_per_connection: int = 1
    block: int = 1

    def __post_init__(self):
        if self.kind not in ("conv", "linear"):
            raise ValueError(f"LayerSpec.kind must be 'conv' or 'linear', got {self.kind!r}")
        if self.n_in % self.block:
            raise ValueError(f"LayerSpec: n_in={self.n_in} is not a multiple of block={self.block}")

    @property
    def n_source_units(self) -> int:
        """Source units of the layer: inputs grouped in blocks of ``block``."""
        return self.n_in // self.block

    def source_unit_of_input(self) -> np.ndarray:
        """Index of the source unit that owns each input column."""
        return np.arange(self.n_in) // self.block


def random_connectivity(specs, density: float, rng: np.random.Generator,
                        first_conv_dense: bool = True) -> list[np.ndarray]:
    """Random masks keeping exactly ``round(density * n_out * n_in)`` connections per layer.

    With ``first_conv_dense`` the first conv layer stays fully connected (as in
    SHARP). The authors draw each entry independently with probability
    ``density``; exact counts have the same expectation and are testable.
    """
    if not 0.0 < density <= 1.0:
        raise ValueError(f"density must be in (0, 1], got {density}")
    conns = []
    first_conv_seen = False
    for spec in specs:
        size = spec.n_out * spec.n_in
        if spec.kind == "conv" and not first_conv_seen:
            first_conv_seen = True
            if first_conv_dense:
                conns.append(np.ones((spec.n_out, spec.n_in), dtype=bool))
                continue
        keep = int(round(density * size))
        flat = np.zeros(size, dtype=bool)
        flat[rng.choice(size, size=keep, replace=False)] = True
        conns.append(flat.reshape(spec.n_out, spec.n_in))
    return conns


def weight_mask(conn: np.ndarray, spec: LayerSpec, kernel_shape: tuple[int, int] = (1, 1)) -> np.ndarray:
    """The float32 mask with the shape of the layer's weight tensor."""
    if spec.kind == "conv":
        return np.broadcast_to(conn[:, :, None, None], (*conn.shape, *kernel_shape)).astype(np.float32)
    return conn.astype(np.float32)


def count_weights(conn: np.ndarray, spec: LayerSpec) -> int:
    """Number of weights a connectivity matrix keeps."""
    return int(conn.sum()) * spec.weights_per_connection


# --- unit selection -------------------------------------------------------

def cosine_tau(t: float, tau_param: float) -> float:
    """SHARP's cosine schedule ``0.5 * (1 + cos(pi * t / tau_param))``."""
    return 0.5 * (1.0 + math.cos(t * math.pi / tau_param))


def selection_percent(phase: int, tau_param: float = 30.0, min_percent: float = 90.0) -> float:
    """Percent of a layer's activation that the selected units must cover in ``phase`` (1-based).

    The authors' loop evaluates ``tau(phase + 1)`` for phase 1 and
    ``tau(phase)`` for later phases; both are floored at ``min_percent``.
    """
    if phase < 1:
        raise ValueError(f"phase counts from 1, got {phase}")
    t = 2 if phase == 1 else phase
    return max(100.0 * cosine_tau(t, tau_param), float(min_percent))


def top_units(activation: np.ndarray, percent: float) -> np.ndarray:
    """Smallest set of most active units whose summed activation reaches ``percent`` % of the total.

    Units are taken in order of decreasing activation until the cumulative sum
    is ``>= total * percent / 100`` (at least one unit, as in the authors' code).
    """
    activation = np.asarray(activation, dtype=np.float64)
    if activation.ndim != 1 or activation.size == 0:
        raise ValueError(f"activation must be a non-empty 1-D array, got shape {activation.shape}")
    order = np.argsort(-activation, kind="stable")
    cumulative = np.cumsum(activation[order])
    target = activation.sum() * percent / 100.0
    n = int(np.searchsorted(cumulative, target, side="left")) + 1
    return np.sort(order[:min(n, activation.size)])


def select_units(states: np.ndarray, activation: np.ndarray, percent: float) -> np.ndarray:
    """New states: among not-yet-promoted units, the top units become 1, the others 0.

    Promoted units (state >= 2) keep their state; they still count in the
    activation total, as in the authors' ``pick_u0_and_u1_neurons``.
    """
    states = np.asarray(states)
    picked = np.zeros(states.shape, dtype=bool)
    picked[top_units(activation, percent)] = True
    out = states.copy()
    candidates = states <= 1
    out[candidates & picked] = 1
    out[candidates & ~picked] = 0
    return out


# --- rewiring -------------------------------------------------------------

def drop_connections(conn: np.ndarray, spec: LayerSpec, source_states: np.ndarray,
                     target_states: np.ndarray) -> tuple[np.ndarray, int]:
    """Remove every connection from a plastic source unit to a non-plastic target unit.

    Returns the new connectivity and the number of *weights* removed.
    """
    plastic_source = (np.asarray(source_states) == 0)[spec.source_unit_of_input()]
    stable_target = np.asarray(target_states) != 0
    drop = conn & stable_target[:, None] & plastic_source[None, :]
    return conn & ~drop, int(drop.sum()) * spec.weights_per_connection


def regrow_connections(conn: np.ndarray, spec: LayerSpec, target_states: np.ndarray, n_weights: int,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    """Grow ``n_weights`` weights at random among absent connections into plastic targets.

    Any source unit may connect. Returns ``(new_conn, grown, shortfall)`` where
    ``grown`` marks the new connections (their weights must be set to zero) and
    ``shortfall`` is the number of weights that could not be placed.
    """
    wanted = int(n_weights) // spec.weights_per_connection
    grown = np.zeros_like(conn, dtype=bool)
    if wanted <= 0:
        return conn.copy(), grown, 0
    plastic_target = np.asarray(target_states) == 0
    candidates = np.flatnonzero((~conn & plastic_target[:, None]).ravel())
    if len(candidates) <= wanted:
        chosen = candidates
    else:
        chosen = rng.choice(candidates, size=wanted, replace=False)
    grown.ravel()[chosen] = True
    shortfall = (wanted - len(chosen)) * spec.weights_per_connection
    return conn | grown, grown, int(shortfall)


def rewire(conns, specs, states, rng: np.random.Generator):
    """Drop and regrow in every layer (one SHARP phase).

    ``states[l]`` are the units feeding layer ``l`` and ``states[l + 1]`` its
    own units. Returns ``(new_conns, grown_masks, shortfalls)``; per layer the
    kept weight count is unchanged unless its shortfall is positive.
    """
    new_conns, grown_all, shortfalls = [], [], []
    for i, (conn, spec) in enumerate(zip(conns, specs)):
        dropped_conn, n_dropped = drop_connections(conn, spec, states[i], states[i + 1])
        new, grown, shortfall = regrow_connections(dropped_conn, spec, states[i + 1], n_dropped, rng)
        new_conns.append(new)
        grown_all.append(grown)
        shortfalls.append(shortfall)
    return new_conns, grown_all, shortfalls


# --- end of task ------------------------------------------------------------

def initial_states(unit_counts) -> list[np.ndarray]:
    """All units plastic; ``unit_counts[0]`` input units get ``INPUT_STATE``."""
    counts = list(unit_counts)
    return [np.full(counts[0], INPUT_STATE, dtype=np.int64)] + [np.zeros(n, dtype=np.int64) for n in counts[1:]]


def promote(states) -> list[np.ndarray]:
    """End of task: every non-plastic unit's state grows by one (the input layer is untouched)."""
    out = [np.asarray(states[0]).copy()]
    for layer in states[1:]:
        layer = np.asarray(layer).copy()
        layer[layer != 0] += 1
        out.append(layer)
    return out


def frozen_units(states, n_early: int, replay_tasks: int = 1) -> list[np.ndarray]:
    """Boolean per unit of each sparse layer (``states[1:]``): incoming weights frozen?

    Early layers (the first ``n_early``, before the replay point) freeze a unit
    as soon as it is promoted (state >= 2); late layers keep learning while the
    unit's task is still replayed (state >= replay_tasks + 2).
    """
    out = []
    for i, layer in enumerate(states[1:]):
        threshold = 2 if i < n_early else replay_tasks + 2
        out.append(np.asarray(layer) >= threshold)
    return out
