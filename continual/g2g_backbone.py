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

Dynamic sparse training inside any strategy: strategies own their training
loops and make a fresh optimiser per task, so the backbone registers a global
PyTorch optimiser step post-hook that rewires (and resets that optimiser's
state at rewired entries) whenever an optimiser holding this backbone's masked
weights steps. The step counter is a buffer, so it is saved in checkpoints and
a resumed run rewires at the same steps.

Citation: Konstantaropoulos, Smyrnakis, Papadopouli, arXiv:2508.14140 (2025).
"""
from __future__ import annotations

import copy
import math
import weakref

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from evlearn.config import from_dict
from evlearn.continual.backbones import register_backbone
from evlearn.continual.g2g_dst import DSTConfig, DynamicSparseTraining
from evlearn.continual.g2g_layers import G2GNet


def _dst_hook(model_ref):
    def hook(optimizer, args, kwargs):
        model = model_ref()
        if model is None or model.dst is None or not model.training or not model.owns(optimizer):
            return
        model.dst.steps = int(model.dst_steps)
        model.dst.step(optimizer)
        model.dst_steps.fill_(model.dst.steps)
    return hook


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
            self._dst_weights = {id(layer.weight) for layer in self.masked_layers()}
            handle = register_optimizer_step_post_hook(_dst_hook(weakref.ref(self)))
            # Unhook when the backbone is garbage-collected (never from inside the hook:
            # torch iterates over the hooks while calling them).
            weakref.finalize(self, handle.remove)

    def owns(self, optimizer) -> bool:
        """Whether ``optimizer`` updates this backbone's masked weights."""
        return any(id(p) in self._dst_weights for group in optimizer.param_groups for p in group["params"])

    def __deepcopy__(self, memo):
        # A copy (e.g. LwF's frozen teacher) gets no DST and no optimiser hook of its own.
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
