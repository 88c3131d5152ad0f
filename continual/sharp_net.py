"""SHARP's network (masked conv/linear layers) and supervised contrastive loss (PyTorch).

The network has no classifier: ``forward`` returns the ReLU output of the
penultimate layer with plastic units zeroed; SHARP reads it out by k-nearest
neighbours. Layers are split at the replay point: ``early`` (input -> stored
hidden activations) and ``late`` (hidden activations -> representation).

Reference: Gurbuz, Moorman, Dovrolis, arXiv 2305.18563 (model "MNISTLIKE" and
"VGG_Small" of the authors' ``model_config.py``); Khosla et al., "Supervised
Contrastive Learning", NeurIPS 2020 (arXiv 2004.11362). See docs/sharp.md.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from evlearn.continual.backbones import image_shape as backbone_image_shape
from evlearn.continual.sharp_masks import LayerSpec, weight_mask

# Architectures of the authors' model_config.py: conv layers as (channels, pool after),
# hidden linear widths, penultimate width, number of early (replay-point) layers.
ARCHITECTURES = {
    "mnistlike": dict(conv=((16, True), (16, True)), hidden=(500,), penultimate=500, n_early=2),
    "vgg_small": dict(conv=((64, False), (64, True), (64, False), (64, True), (128, False), (128, False),
                            (128, True)), hidden=(1024,), penultimate=1024, n_early=4),
    # Not in the authors' configs: an MLP for flat features (e.g. FEAST), replay after the first layer.
    "mlp": dict(conv=(), hidden=(500,), penultimate=500, n_early=1),
}


def channels_last(input_shape) -> bool:
    """True for (H, W, C) image shapes such as CIFAR's (32, 32, 3)."""
    shape = tuple(int(s) for s in input_shape)
    return len(shape) == 3 and shape[2] in (1, 3) and shape[0] > 4 and shape[1] > 4


def image_shape(input_shape) -> tuple[int, int, int]:
    """(C, H, W) of an input shape given as (C, H, W), (H, W, C) with C in {1, 3}, (H, W) or a square flat size."""
    shape = tuple(int(s) for s in input_shape)
    if channels_last(shape):
        shape = (shape[2], shape[0], shape[1])
    return backbone_image_shape(shape, model="SHARP's conv network")


class SharpNet(nn.Module):
    """Masked conv -> linear network with a per-layer connectivity and a penultimate unit mask.

    ``conv``: ((channels, pool_after), ...) 3x3 conv layers with padding 1;
    ``hidden``: widths of the hidden linear layers; ``penultimate``: width of
    the representation; ``n_early``: number of sparse layers before the replay
    point. ``n_classes`` is kept for the runner (the net has no head).
    """

    def __init__(self, input_shape, n_classes: int, conv=((16, True), (16, True)), hidden=(500,),
                 penultimate: int = 500, n_early: int = 2):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.n_classes = int(n_classes)
        self.conv_config = tuple((int(c), bool(p)) for c, p in conv)
        self.image_shape = image_shape(input_shape) if self.conv_config else None
        self.layers = nn.ModuleList()
        self.pool_after: list[bool] = []
        self.specs: list[LayerSpec] = []
        self.kernel_shapes: list[tuple[int, int]] = []
        if self.conv_config:
            channels, h, w = self.image_shape
            for out_ch, pool in self.conv_config:
                self.layers.append(nn.Conv2d(channels, out_ch, 3, padding=1))
                self.specs.append(LayerSpec("conv", out_ch, channels, weights_per_connection=9))
                self.kernel_shapes.append((3, 3))
                self.pool_after.append(pool)
                channels = out_ch
                if pool:
                    h, w = h // 2, w // 2
            width, block = channels * h * w, h * w
        else:
            width, block = math.prod(self.input_shape), 1
        for out in (*tuple(int(x) for x in hidden), int(penultimate)):
            self.layers.append(nn.Linear(width, out))
            self.specs.append(LayerSpec("linear", out, width, block=block))
            self.kernel_shapes.append((1, 1))
            self.pool_after.append(False)
            width, block = out, 1
        self.n_early = int(n_early)
        if not 0 <= self.n_early < len(self.layers):
            raise ValueError(f"n_early must be in [0, {len(self.layers) - 1}], got {n_early}")
        self.feature_dim = int(penultimate)
        for i, layer in enumerate(self.layers):
            nn.init.kaiming_normal_(layer.weight)
            nn.init.zeros_(layer.bias)
            self.register_buffer(f"mask_{i}", torch.ones_like(layer.weight))
        self.register_buffer("out_mask", torch.ones(int(penultimate)))

    # ------------------------------------------------------------------ shapes
    @property
    def unit_counts(self) -> list[int]:
        """Units per layer, input first (input channels, or input features for an MLP)."""
        first = self.image_shape[0] if self.conv_config else math.prod(self.input_shape)
        return [first] + [spec.n_out for spec in self.specs]

    def masks(self) -> list[torch.Tensor]:
        """The connection mask of each layer (float tensors of 0 and 1), input side first."""
        return [getattr(self, f"mask_{i}") for i in range(len(self.layers))]

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        if self.conv_config:
            if channels_last(self.input_shape) and x.dim() == 4:
                x = x.permute(0, 3, 1, 2)
            return x.reshape(len(x), *self.image_shape)
        return x.reshape(len(x), -1)

    # ------------------------------------------------------------------ forward
    def _layer(self, i: int, x: torch.Tensor) -> torch.Tensor:
        layer = self.layers[i]
        weight = layer.weight * getattr(self, f"mask_{i}")
        if isinstance(layer, nn.Conv2d):
            return F.conv2d(x, weight, layer.bias, padding=1)
        if x.dim() > 2:
            x = x.flatten(1)
        return F.linear(x, weight, layer.bias)

    def _run(self, x: torch.Tensor, start: int, stop: int, record=None) -> torch.Tensor:
        for i in range(start, stop):
            x = F.relu(self._layer(i, x))
            if record is not None:
                record.append(x.sum(dim=(0, 2, 3)) if x.dim() == 4 else x.sum(dim=0))
            if self.pool_after[i]:
                x = F.max_pool2d(x, 2)
        return x

    def early(self, x: torch.Tensor) -> torch.Tensor:
        """Input -> hidden activations at the replay point (flattened)."""
        return self._run(self._prepare(x), 0, self.n_early).flatten(1)

    def late(self, h: torch.Tensor) -> torch.Tensor:
        """Hidden activations -> representation (plastic penultimate units zeroed)."""
        if self.n_early and self.n_early <= len(self.conv_config):
            h = h.reshape(len(h), *self._shape_at(self.n_early))
        return self._run(h, self.n_early, len(self.layers)) * self.out_mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Output (batch, n_out) of inputs ``x``, with inactive output units zeroed."""
        return self._run(self._prepare(x), 0, len(self.layers)) * self.out_mask

    def _shape_at(self, index: int) -> tuple[int, ...]:
        channels, h, w = self.image_shape
        for i in range(index):
            channels = self.specs[i].n_out
            if self.pool_after[i]:
                h, w = h // 2, w // 2
        return (channels, h, w)

    @torch.no_grad()
    def unit_activity(self, x: torch.Tensor) -> list[np.ndarray]:
        """Per sparse layer, each unit's post-ReLU activation summed over samples (and space)."""
        record: list[torch.Tensor] = []
        self._run(self._prepare(x), 0, len(self.layers), record)
        return [r.detach().cpu().numpy().astype(np.float64) for r in record]

    # ------------------------------------------------------------------ connectivity
    @torch.no_grad()
    def set_connectivity(self, conns, zero=None) -> None:
        """Install connectivity matrices; weights outside them (and ``zero`` entries) become 0."""
        for i, (conn, spec) in enumerate(zip(conns, self.specs)):
            mask = torch.from_numpy(weight_mask(np.asarray(conn), spec, self.kernel_shapes[i]))
            mask = mask.to(self.layers[i].weight.device)
            getattr(self, f"mask_{i}").copy_(mask)
            weight = self.layers[i].weight
            if zero is not None and zero[i] is not None and np.any(zero[i]):
                z = torch.from_numpy(np.asarray(zero[i], dtype=bool)).to(weight.device)
                weight[z] = 0.0
            weight.mul_(mask)

    @torch.no_grad()
    def set_output_units(self, active: np.ndarray) -> None:
        """Activate the output units where ``active`` (n_out,) is 1 and silence the others."""
        self.out_mask.copy_(torch.as_tensor(np.asarray(active, dtype=np.float32), device=self.out_mask.device))

    @torch.no_grad()
    def reinitialize_units(self, plastic) -> None:
        """Re-draw the incoming weights of plastic units (per sparse layer, boolean per unit).

        As the authors: Kaiming normal in ``fan_out`` mode of the plastic rows'
        sub-tensor (ReLU gain), biases 0; masks are kept.
        """
        for i, rows in enumerate(plastic):
            rows = np.flatnonzero(np.asarray(rows))
            if len(rows) == 0:
                continue
            layer = self.layers[i]
            idx = torch.as_tensor(rows, device=layer.weight.device)
            sub = torch.empty_like(layer.weight[idx])
            nn.init.kaiming_normal_(sub, mode="fan_out", nonlinearity="relu")
            layer.weight[idx] = sub * getattr(self, f"mask_{i}")[idx]
            layer.bias[idx] = 0.0

    def zero_frozen_grads(self, frozen) -> None:
        """Zero the gradients of frozen units' incoming weights and biases."""
        for i, rows in enumerate(frozen):
            if rows is None or not np.any(rows):
                continue
            layer = self.layers[i]
            idx = torch.as_tensor(np.flatnonzero(rows), device=layer.weight.device)
            if layer.weight.grad is not None:
                layer.weight.grad[idx] = 0.0
            if layer.bias.grad is not None:
                layer.bias.grad[idx] = 0.0

    def density(self) -> float:
        """Fraction of connections kept by the masks, over all layers."""
        kept = sum(float(m.sum()) for m in self.masks())
        return kept / sum(m.numel() for m in self.masks())


def supcon_loss(features: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss (single view) on L2-normalised features.

    For anchor i with positives P(i) (same label, not i) and all others A(i):
    ``-1/|P(i)| sum_{p in P(i)} log(exp(z_i.z_p / T) / sum_{a in A(i)} exp(z_i.z_a / T))``,
    averaged over anchors. Every anchor needs at least one positive (see
    :func:`drop_singleton_classes`).
    """
    if features.shape[0] != labels.shape[0]:
        raise ValueError(f"supcon_loss: {features.shape[0]} features but {labels.shape[0]} labels")
    z = F.normalize(features, p=2, dim=1)
    logits = z @ z.T / temperature
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    n = len(labels)
    not_self = ~torch.eye(n, dtype=torch.bool, device=features.device)
    positives = (labels[:, None] == labels[None, :]) & not_self
    exp = torch.exp(logits) * not_self
    log_prob = logits - torch.log(exp.sum(dim=1, keepdim=True))
    n_pos = positives.sum(dim=1)
    if bool((n_pos == 0).any()):
        raise ValueError("supcon_loss: every sample needs another sample of its class in the batch")
    mean_log_prob_pos = (log_prob * positives).sum(dim=1) / n_pos
    return -mean_log_prob_pos.mean()


def drop_singleton_classes(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Remove samples whose class occurs once in the batch (they have no positive)."""
    _, inverse, counts = torch.unique(y, return_inverse=True, return_counts=True)
    keep = counts[inverse] >= 2
    return x[keep], y[keep]
