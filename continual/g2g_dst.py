"""Dynamic sparse training (DST) and Hebbian rewiring for ``MaskedLinear`` layers.

Every ``update_every`` optimiser steps each masked layer drops
``floor(prune_fraction * nnz)`` of its active connections and regrows the same
number among the inactive ones, so every layer's number of active weights is
exactly constant. Criteria:

- prune ``"magnitude"``: smallest ``|w|`` (SET: Mocanu et al., Nature
  Communications 9, 2383, 2018); ``"random"``; ``"hebbian"``: lowest
  activation correlation between the pre- and post-synaptic neuron.
- grow ``"random"`` (SET); ``"hebbian"``: highest activation correlation among
  the inactive connections (G2GNet's Hebbian-inspired rule,
  Konstantaropoulos et al., arXiv:2508.14140).

The correlation comes from the last training batch each layer saw
(``hebbian_correlation``): one ``(out, in)`` matrix product per layer per
rewiring, no per-step cost. Ties are broken by a seeded random order, so the
selected counts are exact and runs are reproducible.

Regrown weights start at 0 (as in RigL, Evci et al. 2020), and the optimiser
state (Adam moments, SGD momentum) of every pruned or regrown entry is reset to
0, so no stale momentum moves a connection that was just rewired.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from evlearn.continual.g2g_layers import MaskedLinear
from evlearn.validation import check_number

PRUNE_RULES = ("magnitude", "random", "hebbian")
GROW_RULES = ("random", "hebbian")
NORMALIZATIONS = ("cosine", "none", "pearson")


def hebbian_correlation(pre: torch.Tensor, post: torch.Tensor, normalize: str = "cosine",
                        eps: float = 1e-8) -> torch.Tensor:
    """Co-activation of each (post, pre) neuron pair over a batch: ``(out, in)`` matrix.

    ``pre`` is ``(batch, in)`` and ``post`` is ``(batch, out)`` (extra leading
    dimensions, e.g. time steps, are flattened into the batch).

    - ``"none"``: mean co-activation ``post.T @ pre / batch``;
    - ``"cosine"`` (default, as in the public G2GNet code): each neuron's
      activity vector over the batch is scaled to unit norm first;
    - ``"pearson"``: centred first, then as ``"cosine"`` (correlation coefficient).
    """
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}")
    pre = pre.reshape(-1, pre.shape[-1]).float()
    post = post.reshape(-1, post.shape[-1]).float()
    if pre.shape[0] != post.shape[0]:
        raise ValueError(f"pre and post need the same batch size, got {pre.shape[0]} and {post.shape[0]}")
    if normalize == "none":
        return post.T @ pre / pre.shape[0]
    if normalize == "pearson":
        pre = pre - pre.mean(0, keepdim=True)
        post = post - post.mean(0, keepdim=True)
    pre = pre / (pre.norm(dim=0, keepdim=True) + eps)
    post = post / (post.norm(dim=0, keepdim=True) + eps)
    return post.T @ pre


def _lowest(scores: torch.Tensor, candidates: torch.Tensor, k: int, generator) -> torch.Tensor:
    """Flat indices of the ``k`` candidates with the lowest score; ties in seeded random order."""
    order = candidates[torch.randperm(candidates.numel(), generator=generator)]
    ranked = torch.argsort(scores.reshape(-1)[order], stable=True)
    return order[ranked[:k]]


def _random(candidates: torch.Tensor, k: int, generator) -> torch.Tensor:
    return candidates[torch.randperm(candidates.numel(), generator=generator)[:k]]


def rewire_mask(mask: torch.Tensor, n_rewire: int, *, prune: str = "magnitude", grow: str = "random",
                weight: torch.Tensor | None = None, correlation: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Prune ``n_rewire`` active entries of ``mask`` and grow as many inactive ones.

    Returns ``(new_mask, pruned_flat_indices, grown_flat_indices)``; the new
    mask has exactly as many active entries as ``mask``. Grown entries are
    chosen among the entries inactive after pruning (a just-pruned entry may
    come back, as in SET). Random choices and ties use ``generator`` (a fixed
    seed when None).
    """
    if prune not in PRUNE_RULES:
        raise ValueError(f"prune must be one of {PRUNE_RULES}, got {prune!r}")
    if grow not in GROW_RULES:
        raise ValueError(f"grow must be one of {GROW_RULES}, got {grow!r}")
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    flat = mask.reshape(-1) != 0
    active = torch.nonzero(flat).reshape(-1).cpu()
    inactive_count = flat.numel() - active.numel()
    k = int(min(n_rewire, active.numel(), inactive_count + n_rewire))
    empty = torch.zeros(0, dtype=torch.long)
    if k <= 0:
        return mask.clone(), empty, empty
    if prune == "magnitude":
        if weight is None:
            raise ValueError("magnitude pruning needs the weight")
        pruned = _lowest(weight.detach().abs().cpu(), active, k, generator)
    elif prune == "hebbian":
        if correlation is None:
            raise ValueError("Hebbian pruning needs the correlation matrix")
        pruned = _lowest(correlation.cpu(), active, k, generator)
    else:
        pruned = _random(active, k, generator)
    new_flat = flat.clone().cpu()
    new_flat[pruned] = False
    candidates = torch.nonzero(~new_flat).reshape(-1)
    if grow == "hebbian":
        if correlation is None:
            raise ValueError("Hebbian growth needs the correlation matrix")
        grown = _lowest(-correlation.cpu(), candidates, k, generator)
    else:
        grown = _random(candidates, k, generator)
    new_flat[grown] = True
    new_mask = new_flat.reshape(mask.shape).to(device=mask.device, dtype=mask.dtype)
    return new_mask, pruned, grown


def reset_optimizer_state(optimizer, param: torch.Tensor, flat_indices: torch.Tensor) -> None:
    """Zero every per-element optimiser state of ``param`` (Adam moments, momentum) at ``flat_indices``."""
    if optimizer is None or flat_indices.numel() == 0:
        return
    state = optimizer.state.get(param)
    if not state:
        return
    idx = flat_indices.to(param.device)
    with torch.no_grad():
        for value in state.values():
            if torch.is_tensor(value) and value.shape == param.shape:
                value.view(-1)[idx] = 0


@dataclass(frozen=True)
class DSTConfig:
    """Dynamic sparse training settings.

    Defaults follow the public G2GNet code's README: rewire every 1,000 steps,
    10 % of active connections, magnitude (SET) pruning with Hebbian growth.
    Small data sets need a smaller ``update_every`` to rewire at all.
    """

    update_every: int = 1000
    prune_fraction: float = 0.1
    prune: str = "magnitude"
    grow: str = "hebbian"
    normalize: str = "cosine"
    stop_after: int | None = None   # no rewiring after this many optimiser steps (None: never stop)

    def __post_init__(self):
        check_number(self.update_every, "update_every", low=1, integer=True)
        check_number(self.prune_fraction, "prune_fraction", low=0.0, high=1.0)
        if self.prune not in PRUNE_RULES:
            raise ValueError(f"prune must be one of {PRUNE_RULES}, got {self.prune!r}")
        if self.grow not in GROW_RULES:
            raise ValueError(f"grow must be one of {GROW_RULES}, got {self.grow!r}")
        if self.normalize not in NORMALIZATIONS:
            raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {self.normalize!r}")
        if self.stop_after is not None:
            check_number(self.stop_after, "stop_after", low=0, integer=True)

    @property
    def needs_activity(self) -> bool:
        """Whether pruning or growth is Hebbian, so the layers must record their last inputs and outputs."""
        return self.prune == "hebbian" or self.grow == "hebbian"


class DynamicSparseTraining:
    """Rewires every ``MaskedLinear`` of ``model``; call ``step()`` after each ``optimizer.step()``.

    Parameters
    ----------
    model : module containing ``MaskedLinear`` layers.
    config : ``DSTConfig``.
    optimizer : the model's optimiser (its state is reset at rewired entries); may be None.
    seed : seeds the random choices and tie-breaking.
    post_activation : maps a layer's output to the post-synaptic activity used
        by the Hebbian rule (ReLU, as in ``G2GNet``).
    """

    def __init__(self, model: nn.Module, config: DSTConfig | None = None, optimizer=None, *, seed: int = 0,
                 post_activation=F.relu):
        self.config = config or DSTConfig()
        self.optimizer = optimizer
        self.layers = [m for m in model.modules() if isinstance(m, MaskedLinear)]
        self.post_activation = post_activation
        self.seed = int(seed)
        self.steps = 0
        self.history: list[dict] = []
        for layer in self.layers:
            layer.track_activity = self.config.needs_activity

    def step(self, optimizer=None) -> bool:
        """Count one optimiser step; rewire when due. Returns True when it rewired.

        ``optimizer`` (default: the one given to the constructor) is the one
        whose state is reset at rewired entries.
        """
        self.steps += 1
        cfg = self.config
        if self.steps % cfg.update_every or (cfg.stop_after is not None and self.steps > cfg.stop_after):
            return False
        self.rewire(optimizer)
        return True

    @torch.no_grad()
    def rewire(self, optimizer=None) -> list[dict]:
        """Prune and regrow every layer now; returns per-layer counts (also appended to ``history``)."""
        cfg = self.config
        optimizer = optimizer if optimizer is not None else self.optimizer
        # A generator derived from (seed, step) makes a resumed run rewire exactly as an uninterrupted one.
        generator = torch.Generator().manual_seed((self.seed * 1_000_003 + self.steps) % (2**63))
        records = []
        for index, layer in enumerate(self.layers):
            nnz = layer.nnz
            n_rewire = int(cfg.prune_fraction * nnz)
            correlation = None
            if cfg.needs_activity:
                if layer.last_input is None:
                    raise ValueError("Hebbian rewiring needs a training forward pass before the first rewiring")
                post = self.post_activation(layer.last_output)
                correlation = hebbian_correlation(layer.last_input, post, cfg.normalize)
            new_mask, pruned, grown = rewire_mask(layer.mask, n_rewire, prune=cfg.prune, grow=cfg.grow,
                                                  weight=layer.weight, correlation=correlation,
                                                  generator=generator)
            changed = torch.cat([pruned, grown])
            layer.set_mask(new_mask)
            layer.weight.view(-1)[grown.to(layer.weight.device)] = 0.0   # regrown weights start at 0
            reset_optimizer_state(optimizer, layer.weight, changed)
            records.append({"step": self.steps, "layer": index, "nnz_before": nnz, "nnz_after": layer.nnz,
                            "pruned": int(pruned.numel()), "grown": int(grown.numel()),
                            "regrown_same": int(torch.isin(grown, pruned).sum())})
        self.history.extend(records)
        return records
