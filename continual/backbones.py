"""Backbone networks for the continual-learning runner, and their registry.

Every backbone is an ``nn.Module`` with two parts, so strategies can reach the
representation: ``features`` (input -> penultimate vector of ``feature_dim``
units) and ``head`` (a linear layer over all classes). ``forward`` is
``head(features(x))``.

A new backbone (e.g. G2GNet's sparse-wired MLP) is one decorated factory::

    @register_backbone("g2g_mlp")
    class G2GMLP(nn.Module):
        def __init__(self, input_shape, n_classes, **options): ...

and is chosen in a config with ``[backbone] name = "g2g_mlp"`` plus
``[backbone.options]``.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

BACKBONES: dict[str, Callable[..., nn.Module]] = {}


def register_backbone(name: str):
    """Class/function decorator: make ``name`` usable as ``[backbone] name``."""

    def decorator(factory):
        if name in BACKBONES and BACKBONES[name] is not factory:
            raise ValueError(f"backbone {name!r} is already registered")
        BACKBONES[name] = factory
        return factory

    return decorator


def make_backbone(name: str, input_shape, n_classes: int, **options) -> nn.Module:
    """Build the backbone ``name`` for inputs of ``input_shape`` and ``n_classes`` outputs."""
    if name not in BACKBONES:
        load_plugins()
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; known: {sorted(BACKBONES)}")
    try:
        return BACKBONES[name](tuple(int(s) for s in input_shape), int(n_classes), **options)
    except TypeError as err:
        raise ValueError(f"backbone {name!r}: {err}") from None


def default_device(device=None) -> torch.device:
    """``device`` as a torch.device; ``None`` or ``"auto"``: CUDA when available, else CPU."""
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r} ({err})") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} requested but CUDA is not available; use 'auto' or 'cpu'")
    return device


class MLP(nn.Module):
    """Fully connected ReLU network: flatten -> hidden layers -> linear head."""

    def __init__(self, input_shape, n_classes: int, hidden=(400, 400), dropout: float = 0.0):
        super().__init__()
        hidden = tuple(int(h) for h in hidden)
        if not hidden or min(hidden) < 1:
            raise ValueError(f"MLP hidden sizes must be positive, got {hidden}")
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(input_shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = h
        self.features = nn.Sequential(*layers)
        self.feature_dim = width
        self.head = nn.Linear(width, n_classes)
        self.input_shape = tuple(int(s) for s in input_shape)   # e.g. for SHARP, which builds its own net

    def forward(self, x):
        """Logits (batch, n_classes) of inputs ``x`` of shape (batch, ...) (flattened first)."""
        return self.head(self.features(x))


class SmallCNN(nn.Module):
    """Two 3x3 conv layers of 16 channels (ReLU, 2x2 max-pool each), 500 hidden units, linear head.

    The size SHARP uses for MNIST-like data (Gurbuz et al. 2023, arXiv 2305.18563).
    Inputs are (C, H, W); a flat input of a square size (784) is read as (1, 28, 28).
    """

    def __init__(self, input_shape, n_classes: int, channels: int = 16, hidden: int = 500):
        super().__init__()
        shape = image_shape(input_shape)
        c, h, w = shape
        self.input_image_shape = shape
        self.features = nn.Sequential(
            ToImage(shape),
            nn.Conv2d(c, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(channels * (h // 4) * (w // 4), hidden), nn.ReLU(),
        )
        self.feature_dim = hidden
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        """Logits (batch, n_classes) of images ``x`` (batch, channels, height, width)."""
        return self.head(self.features(x))


class ToImage(nn.Module):
    """Reshape (N, ...) inputs to (N, C, H, W)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        """``x`` (batch, n_inputs) reshaped to ``(batch, *shape)``."""
        return x.reshape(x.shape[0], *self.shape)


def image_shape(input_shape, model: str = "SmallCNN") -> tuple[int, int, int]:
    """(C, H, W) of an input shape given as (C, H, W), (H, W) or a square flat size."""
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 3:
        return shape
    if len(shape) == 2:
        return (1, *shape)
    if len(shape) == 1:
        side = math.isqrt(shape[0])
        if side * side == shape[0]:
            return (1, side, side)
    raise ValueError(f"{model} needs image inputs (C, H, W), (H, W) or a square flat size; got {shape}")


register_backbone("mlp")(MLP)
register_backbone("cnn")(SmallCNN)

# Methods built in other modules of this package (SHARP, G2GNet, ...) register
# their strategies/backbones when imported. They are imported only when a name
# is not found among the baselines, so the baselines never depend on them.
CORE_MODULES = {"backbones", "strategies", "scenarios", "metrics", "data", "runner", "report"}


def load_plugins() -> None:
    """Import every other module of ``evlearn.continual`` (import errors propagate)."""
    import importlib
    import pkgutil

    import evlearn.continual as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg and info.name not in CORE_MODULES and not info.name.startswith("_"):
            importlib.import_module(f"evlearn.continual.{info.name}")
