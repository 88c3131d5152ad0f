"""Masked linear layers and the G2GNet MLP (PyTorch).

A ``MaskedLinear`` keeps a dense weight of fixed shape and a binary mask
buffer. Pruned weights stay exactly zero and never move:

- the forward pass uses ``weight * mask``, so the loss does not depend on a
  pruned weight;
- a gradient hook multiplies the weight's gradient by the mask, so penalties
  added on the raw parameters (EWC, L2, SHARP-style regularisers) give pruned
  entries no gradient either;
- pruned entries are stored as 0, so weight decay (L2 or decoupled) leaves
  them at 0, and with a zero gradient the Adam/SGD-momentum state of a pruned
  entry stays 0 (``tests/test_continual_g2g_layers.py`` checks Adam's moments).

When the mask changes (dynamic sparse training, ``continual.g2g_dst``), the
optimiser state of the changed entries is reset there.

Sparse kernels: on CPU, training through ``torch.sparse`` (COO or CSR) is
slower than the masked dense matmul even at 95 % sparsity, so training always
computes densely; a CSR forward pays off for inference at high sparsity only,
so it is opt-in (``layer.sparse_inference = True``, used in eval mode under
``torch.no_grad()``). ``benchmarks/g2g_speed.py`` measures both.

Citation: Konstantaropoulos, Smyrnakis, Papadopouli, arXiv:2508.14140 (2025).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from evlearn.continual.g2g_masks import GROUPINGS, make_layer_mask, mask_stats


class MaskedLinear(nn.Module):
    """``nn.Linear`` with a fixed-shape binary connectivity mask.

    Parameters
    ----------
    in_features, out_features : layer sizes.
    mask : bool/0-1 array or tensor of shape ``(out_features, in_features)``.
    bias : add a learnable bias.
    in_groups, out_groups : optional group ids of the neurons (kept for stats).

    ``track_activity = True`` stores the last training batch's input and
    output (detached) for Hebbian rewiring.
    """

    def __init__(self, in_features: int, out_features: int, mask, bias: bool = True,
                 in_groups=None, out_groups=None):
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        mask = torch.as_tensor(np.asarray(mask) if not torch.is_tensor(mask) else mask)
        if tuple(mask.shape) != (self.out_features, self.in_features):
            raise ValueError(f"mask must have shape ({self.out_features}, {self.in_features}), "
                             f"got {tuple(mask.shape)}")
        self.weight = nn.Parameter(torch.empty(self.out_features, self.in_features))
        self.bias = nn.Parameter(torch.empty(self.out_features)) if bias else None
        self.register_buffer("mask", (mask != 0).to(torch.get_default_dtype()))
        self.in_groups = None if in_groups is None else np.asarray(in_groups)
        self.out_groups = None if out_groups is None else np.asarray(out_groups)
        self.track_activity = False
        self.last_input = None
        self.last_output = None
        # CSR matmul in eval mode without autograd: pays off only at high sparsity on CPU
        # (benchmarks/g2g_speed.py); off by default.
        self.sparse_inference = False
        self._csr_cache = None
        self.reset_parameters()
        self._register_grad_hook()

    def _register_grad_hook(self) -> None:
        # Zero the gradient of pruned weights even when a loss term touches the raw weight.
        self.weight.register_hook(self._mask_grad)

    def _mask_grad(self, grad):
        return grad * self.mask

    def __setstate__(self, state):
        # copy.deepcopy and pickle drop tensor hooks: put ours back on the copy.
        super().__setstate__(state)
        self._register_grad_hook()

    def reset_parameters(self) -> None:
        """Kaiming-uniform init rescaled to each row's active fan-in; pruned entries 0.

        Each output neuron sees only its active inputs, so its weights are
        scaled by sqrt(in_features / active fan-in) to keep the pre-activation
        variance of a dense layer (as in the public G2GNet code).
        """
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        with torch.no_grad():
            fan_in = self.mask.sum(dim=1)
            scale = torch.sqrt(self.in_features / fan_in.clamp(min=1.0))
            self.weight.mul_(scale[:, None]).mul_(self.mask)
            if self.bias is not None:
                mean_fan_in = float(fan_in.mean()) or float(self.in_features)
                bound = 1.0 / math.sqrt(max(mean_fan_in, 1.0))
                nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ (weight * mask).T + bias``; sparse at inference when ``sparse_inference`` is set; records activity when tracking."""
        if self.sparse_inference and not self.training and not torch.is_grad_enabled():
            return self._sparse_forward(x)
        out = F.linear(x, self.weight * self.mask, self.bias)
        if self.track_activity and self.training:
            self.last_input = x.detach()
            self.last_output = out.detach()
        return out

    def _sparse_forward(self, x: torch.Tensor) -> torch.Tensor:
        key = (self.weight._version, self.mask._version, self.weight.device, self.weight.dtype)
        if self._csr_cache is None or self._csr_cache[0] != key:
            self._csr_cache = (key, (self.weight * self.mask).to_sparse_csr())
        csr = self._csr_cache[1]
        shape = x.shape
        out = (csr @ x.reshape(-1, shape[-1]).T).T
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*shape[:-1], self.out_features)

    @torch.no_grad()
    def set_mask(self, mask) -> None:
        """Replace the mask (same shape) and zero the weights it prunes."""
        mask = torch.as_tensor(mask, device=self.mask.device)
        if mask.shape != self.mask.shape:
            raise ValueError(f"mask must have shape {tuple(self.mask.shape)}, got {tuple(mask.shape)}")
        self.mask.copy_((mask != 0).to(self.mask.dtype))
        self.weight.mul_(self.mask)

    @property
    def nnz(self) -> int:
        """Number of active weights."""
        return int(self.mask.sum().item())

    def stats(self) -> dict:
        """Density and group statistics of the current mask."""
        return mask_stats(self.mask.detach().cpu().numpy().astype(bool), self.in_groups, self.out_groups)

    def extra_repr(self) -> str:
        """Sizes, bias and the fraction of kept connections, for ``repr``."""
        density = self.nnz / (self.in_features * self.out_features)
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, density={density:.4f}")


def g2g_linear(in_features: int, out_features: int, *, n_groups: int = 8, p_inter: float | None = 0.15,
               sparsity: float | None = None, grouping: str = "index", layer_index: int = 0,
               p_intra: float = 1.0, sampling: str = "exact", bias: bool = True, seed=None) -> MaskedLinear:
    """A ``MaskedLinear`` with a G2G mask (see ``continual.g2g_masks.make_layer_mask``)."""
    lm = make_layer_mask(in_features, out_features, n_groups=n_groups, p_inter=p_inter, sparsity=sparsity,
                         grouping=grouping, layer_index=layer_index, p_intra=p_intra, sampling=sampling,
                         seed=seed)
    return MaskedLinear(in_features, out_features, lm.mask, bias=bias,
                        in_groups=lm.in_groups, out_groups=lm.out_groups)


WIRINGS = ("dense", "g2g")


class G2GNet(nn.Module):
    """MLP whose hidden layers are wired ensemble-to-ensemble (or densely).

    ``input -> [G2G linear -> ReLU] x len(hidden) -> dense linear head -> logits``.
    With ``wiring="dense"`` every layer is an ``nn.Linear`` of the same widths,
    the baseline of the same width. The read-out layer is dense unless
    ``sparse_readout`` (the public G2GNet code keeps it dense).

    Parameters
    ----------
    in_features : input size (images and event frames are flattened).
    n_classes : number of outputs.
    hidden : hidden-layer widths.
    wiring : ``"g2g"`` or ``"dense"``.
    n_groups, p_inter, sparsity, grouping, p_intra, sampling : mask settings,
        see ``continual.g2g_masks``; ``sparsity`` (e.g. 0.75) overrides ``p_inter``.
    seed : seeds the masks (layer ``l`` uses ``seed + l``); the weights follow
        torch's global generator, as for any ``nn.Module``.
    """

    def __init__(self, in_features: int, n_classes: int, hidden=(256, 256), *, wiring: str = "g2g",
                 n_groups: int = 8, p_inter: float | None = 0.15, sparsity: float | None = None,
                 grouping: str = "index", p_intra: float = 1.0, sampling: str = "exact",
                 sparse_readout: bool = False, seed: int = 0):
        super().__init__()
        if wiring not in WIRINGS:
            raise ValueError(f"wiring must be one of {WIRINGS}, got {wiring!r}")
        if grouping not in GROUPINGS:
            raise ValueError(f"grouping must be one of {GROUPINGS}, got {grouping!r}")
        hidden = tuple(int(h) for h in hidden)
        if not hidden:
            raise ValueError("hidden must list at least one width")
        self.wiring = wiring
        self.in_features = int(in_features)
        self.n_classes = int(n_classes)
        self.hidden = hidden
        sizes = (self.in_features, *hidden)
        layers = []
        for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if wiring == "dense":
                layers.append(nn.Linear(n_in, n_out))
            else:
                layers.append(g2g_linear(n_in, n_out, n_groups=n_groups, p_inter=p_inter, sparsity=sparsity,
                                         grouping=grouping, layer_index=index, p_intra=p_intra,
                                         sampling=sampling, seed=seed + index))
        self.layers = nn.ModuleList(layers)
        self.feature_dim = hidden[-1]
        if wiring == "g2g" and sparse_readout:
            self.head = g2g_linear(hidden[-1], n_classes, n_groups=min(n_groups, n_classes), p_inter=p_inter,
                                      sparsity=sparsity, grouping=grouping, layer_index=len(hidden),
                                      p_intra=p_intra, sampling=sampling, seed=seed + len(hidden))
        else:
            self.head = nn.Linear(hidden[-1], n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Last hidden activity (for replay of activations, probes, ...)."""
        h = x.flatten(1)
        for layer in self.layers:
            h = F.relu(layer(h))
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (batch, n_classes) of inputs ``x`` (batch, n_inputs)."""
        return self.head(self.features(x))

    def masked_layers(self) -> list[MaskedLinear]:
        """The network's :class:`MaskedLinear` layers, input side first."""
        return [m for m in self.modules() if isinstance(m, MaskedLinear)]


def count_parameters(model: nn.Module) -> dict:
    """Total and active (non-pruned) parameters, and multiply-accumulates per sample of linear layers.

    Active parameters count a ``MaskedLinear``'s weight by its mask; MACs
    count one per active weight of every linear layer (biases and
    activations are not counted).
    """
    total = sum(p.numel() for p in model.parameters())
    pruned = 0
    macs_dense = 0
    macs_active = 0
    for module in model.modules():
        if isinstance(module, MaskedLinear):
            size = module.weight.numel()
            nnz = module.nnz
            pruned += size - nnz
            macs_dense += size
            macs_active += nnz
        elif isinstance(module, nn.Linear):
            macs_dense += module.weight.numel()
            macs_active += module.weight.numel()
    return {"parameters": total, "active_parameters": total - pruned,
            "macs_per_sample_dense": macs_dense, "macs_per_sample_active": macs_active}
