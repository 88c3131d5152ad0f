"""G2GNet as a backbone of the continual-learning runner (``[backbone] name = "g2g_mlp"``).

Dense vs ensemble-to-ensemble wiring is one option, so every strategy runs on
both with nothing else changed::

    [backbone]
    name = "g2g_mlp"
    [backbone.options]
    hidden = [400, 400]
    wiring = "g2g"            # or "dense": same widths, nn.Linear layers
    sparsity = 0.75           # or p_inter = 0.15
    grouping = "index"        # "index" | "random" | "mixer"
    n_groups = 8
    # dst = { update_every = 100, prune_fraction = 0.1, prune = "magnitude", grow = "hebbian" }

Dynamic sparse training inside any strategy goes through the runner's loop:
the backbone's ``training_plugins()`` gives the strategy a plugin whose
``after_update`` hook counts each optimiser step and rewires when due,
resetting the strategy's current optimiser state at rewired entries. A
hand-written PyTorch loop calls ``model.dst_step(optimizer)`` after each
``optimizer.step()`` instead. The step counter is a buffer, so it is saved in
checkpoints and a resumed run rewires at the same steps.

Citation: Konstantaropoulos, Smyrnakis, Papadopouli, arXiv:2508.14140 (2025).
"""
from __future__ import annotations

import copy
import math

import torch

from evlearn.config import from_dict
from evlearn.continual.backbones import register_backbone
from evlearn.continual.g2g_dst import DSTConfig, DynamicSparseTraining
from evlearn.continual.g2g_layers import G2GNet


class DSTPlugin:
    """Strategy-loop plugin: one DST step of ``backbone`` after each optimiser step of the strategy."""

    def __init__(self, backbone: G2GBackbone):
        self.backbone = backbone

    def after_update(self, strategy) -> None:
        """After each optimiser step, let the backbone prune and regrow connections (dynamic sparse training)."""
        self.backbone.dst_step(strategy.optimizer)


@register_backbone("g2g_mlp")
class G2GBackbone(G2GNet):
    """G2GNet MLP for the runner: ``(input_shape, n_classes, **options)``.

    Options: ``hidden`` ((400, 400)), ``wiring`` ("g2g" | "dense"), ``n_groups``
    (8), ``p_inter`` (0.15) or ``sparsity`` (overrides ``p_inter``),
    ``grouping`` ("index"), ``p_intra`` (1.0), ``sampling`` ("exact"),
    ``sparse_readout`` (False), ``mask_seed`` (None: drawn from torch's
    generator, which the runner seeds with the run's seed), ``dst`` (None or a
    table of ``DSTConfig`` fields).
    """

    def __init__(self, input_shape, n_classes: int, hidden=(400, 400), *, wiring: str = "g2g",
                 n_groups: int = 8, p_inter: float | None = 0.15, sparsity: float | None = None,
                 grouping: str = "index", p_intra: float = 1.0, sampling: str = "exact",
                 sparse_readout: bool = False, mask_seed: int | None = None, dst: dict | None = None):
        if mask_seed is None:
            mask_seed = int(torch.randint(0, 2**31 - 1, ()).item())
        self.input_shape = tuple(int(s) for s in input_shape)
        super().__init__(math.prod(self.input_shape), n_classes, hidden, wiring=wiring, n_groups=n_groups,
                         p_inter=p_inter, sparsity=sparsity, grouping=grouping, p_intra=p_intra,
                         sampling=sampling, sparse_readout=sparse_readout, seed=mask_seed)
        self.mask_seed = mask_seed
        self.register_buffer("dst_steps", torch.zeros((), dtype=torch.long))
        self.dst = None
        if dst is not None:
            if wiring != "g2g":
                raise ValueError("g2g_mlp: dst needs wiring = 'g2g'")
            config = from_dict(DSTConfig, dict(dst), where="g2g_mlp dst")
            self.dst = DynamicSparseTraining(self, config, seed=mask_seed)

    def training_plugins(self) -> list:
        """Add-ons for a strategy's training loop: DST when configured."""
        return [] if self.dst is None else [DSTPlugin(self)]

    def dst_step(self, optimizer) -> bool:
        """Count one optimiser step and rewire when due (resetting ``optimizer``'s state there)."""
        if self.dst is None:
            return False
        self.dst.steps = int(self.dst_steps)
        rewired = self.dst.step(optimizer)
        self.dst_steps.fill_(self.dst.steps)
        return rewired

    def __deepcopy__(self, memo):
        # A copy (e.g. LwF's frozen teacher) gets no DST: it never rewires.
        clone = self.__class__.__new__(self.__class__)
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            if key != "dst":
                clone.__dict__[key] = copy.deepcopy(value, memo)
        clone.dst = None
        return clone

    def __getstate__(self):
        state = self.__dict__.copy()
        state["dst"] = None              # a pickled/loaded backbone carries no live rewiring
        return state
