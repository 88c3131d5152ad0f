"""The one training loop every strategy shares, its hooks, and the strategy registry.

Following Avalanche (Lomonaco et al. 2021, arXiv 2104.00405), a strategy is the
standard supervised loop plus a few overridden hooks. During training the
current minibatch lives on the strategy (``mb_x``, ``mb_y``, ``mb_task``,
``mb_index``, ``mb_output``, ``loss``) so hooks take no arguments::

    train_task(task)
      before_training_exp(task)
      training_data(task) -> (X, y, task ids)      # Joint: everything seen so far
      for each epoch:  before_training_epoch()
        for each minibatch:
          before_forward()                          # ER: append a replay batch
          mb_output = forward(mb_x, mb_task); after_forward()
          loss = criterion() + penalty()            # EWC, LwF: regularisers
          before_backward(); backward; after_backward(); optimizer step; after_update()
        after_training_epoch()
      after_training_exp(task)                      # EWC: Fisher; ER: nothing

Plugins: a backbone may bring add-ons to the loop through a method
``training_plugins()`` returning objects with any of the hook names above; the
loop calls ``plugin.<hook>(strategy, ...)`` after the strategy's own hook
(G2GNet's dynamic sparse training rewires in ``after_update``).

Methods with their own loop (SHARP: contrastive loss, kNN read-out) override
``train_task(task)`` and ``predict(X, classes=None)`` and keep the rest of the
contract: ``state_dict``/``load_state_dict`` (checkpoint after each task) and
``memory_bytes`` (stored replay data).
"""
from __future__ import annotations

import copy
import inspect
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from evlearn.continual.backbones import default_device, load_plugins
from evlearn.continual.buffers import label_bytes  # noqa: F401 (re-exported: strategies count labels with it)
from evlearn.deprecation import warn_renamed
from evlearn.progress import progress_bar

#: Strategy name -> class, filled by :func:`register_strategy`.
STRATEGIES: dict[str, type] = {}


def register_strategy(name: str) -> Callable[[type], type]:
    """Class decorator: make the strategy usable by ``name`` in configs."""

    def decorator(cls):
        if name in STRATEGIES and STRATEGIES[name] is not cls:
            raise ValueError(f"strategy {name!r} is already registered")
        STRATEGIES[name] = cls
        cls.name = name
        return cls

    return decorator


def get_strategy_class(name: str) -> type:
    """The strategy class registered under ``name`` (loading plugins first); ValueError if unknown."""
    if name not in STRATEGIES:
        load_plugins()
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; known: {sorted(STRATEGIES)}")
    return STRATEGIES[name]


# Options renamed by docs/conventions.md: old name -> new name, accepted for one release with a warning.
#: Old strategy option name -> new name, still accepted with a FutureWarning.
RENAMED_OPTIONS = {"epochs": "n_epochs"}


def strategy_parameters(name: str) -> set[str]:
    """Keyword arguments the strategy ``name`` accepts.

    A class's own ``__init__`` parameters, plus its parent's when it passes
    ``**kwargs`` on (so a method with its own schedule, like SHARP, does not
    list the shared training options it never uses).
    """
    params = set()
    for klass in get_strategy_class(name).__mro__:
        if klass is object or "__init__" not in vars(klass):
            continue
        signature = inspect.signature(klass.__init__).parameters.values()
        params |= {p.name for p in signature if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
        if not any(p.kind is p.VAR_KEYWORD for p in signature):
            break
    return params - {"self", "model"}


def upgrade_options(owner: str, options: dict, stacklevel: int = 3) -> dict:
    """``options`` with renamed keys mapped to their new names (FutureWarning); both names: ValueError."""
    options = dict(options)
    for old, new in RENAMED_OPTIONS.items():
        if old in options:
            if new in options:
                raise ValueError(f"{owner}: give {new!r} only ({old!r} is its deprecated name)")
            warn_renamed(owner, old, new, stacklevel=stacklevel + 1)
            options[new] = options.pop(old)
    return options


def check_options(name: str, options, where: str | None = None) -> None:
    """ValueError naming the options strategy ``name`` does not take (before anything is built)."""
    accepted = strategy_parameters(name)
    unknown = sorted(set(options) - accepted)
    if not unknown:
        return
    where = where or f"strategy {name!r}"
    shared = [key for key in unknown if key in Strategy.__init__.__kwdefaults__]
    if shared:
        raise ValueError(f"{where}: {name} does not use the shared training option(s) {shared}; "
                         f"its options: {sorted(accepted)}")
    raise ValueError(f"{where}: unknown option(s) {unknown}; valid: {sorted(accepted)}")


def make_strategy(name: str, model: nn.Module, **kwargs) -> "Strategy":
    """Build strategy ``name`` around ``model``; options it does not take are a ValueError.

    Parameters
    ----------
    name : str
        A registered name (:data:`STRATEGIES`: "naive", "joint", "er", "der", "derpp",
        "er_ace", "agem", "ewc", "lwf", "si", "icarl", "gdumb", "sharp", ...).
    model : torch.nn.Module
        The network.
    **kwargs
        The strategy's options and the shared ones of :class:`Strategy`.

    Returns
    -------
    Strategy

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.strategies import make_strategy
    >>> strategy = make_strategy("ewc", MLP((16,), n_classes=4), ewc_lambda=10.0)
    >>> type(strategy).__name__, strategy.ewc_lambda
    ('EWC', 10.0)
    >>> make_strategy("ewc", MLP((16,), n_classes=4), memory_size=40)
    Traceback (most recent call last):
    ...
    ValueError: strategy 'ewc': unknown option(s) ['memory_size']; valid: [...]
    """
    kwargs = upgrade_options(f"strategy {name!r}", kwargs)
    check_options(name, kwargs)
    return get_strategy_class(name)(model, **kwargs)


def as_float_tensor(X, device=None) -> torch.Tensor:
    """Inputs as a float32 tensor; ``uint8`` data (images, quantised codes) is scaled to [0, 1]."""
    if isinstance(X, torch.Tensor):
        tensor = X
    else:
        tensor = torch.from_numpy(np.ascontiguousarray(X))
    if tensor.dtype == torch.uint8:
        tensor = tensor.to(device=device, dtype=torch.float32).div_(255.0)
    else:
        tensor = tensor.to(device=device, dtype=torch.float32)
    return tensor


class Strategy:
    """The base of every strategy: the loop and its hooks (with no hook overridden: fine-tuning).

    A method subclasses it, overrides the hooks it needs (module docstring) and
    registers itself with :func:`register_strategy`; :func:`make_strategy` builds
    one by name. The optimiser is rebuilt at the start of every task (Avalanche's default).

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    n_epochs : int, default 1
        Epochs per task.
    batch_size : int, default 32
        Minibatch size.
    lr : float, default 0.01
        Learning rate.
    optimizer : {"sgd", "adam"}, default "sgd"
        The optimiser.
    momentum, weight_decay : float, default 0.0
        SGD momentum; L2 weight decay (both optimisers).
    device : str or torch.device, optional
        None or "auto": CUDA if available, else CPU.
    seed : int, default 0
        Seed of the minibatch order and of the memory's sampling.
    progress : bool, default False
        Progress bars over epochs.

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies import make_strategy
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)    # 4 classes, 2 per task
    >>> strategy = make_strategy("er", MLP((16,), n_classes=4, hidden=(32,)), memory_size=40, n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.predict(scenario.tasks[0].X_test[:5]).shape        # labels, one per sample
    (5,)
    >>> sorted(strategy.state_dict())                               # a checkpoint
    ['extra', 'mode', 'model', 'rng', 'task_classes', 'torch_rng']
    """

    name = "strategy"      # set by @register_strategy
    paper = ""             # the method's reference, recorded in each run.json

    def __init__(self, model: nn.Module, *, n_epochs: int = 1, batch_size: int = 32, lr: float = 0.01,
                 optimizer: str = "sgd", momentum: float = 0.0, weight_decay: float = 0.0,
                 device=None, seed: int = 0, progress: bool = False):
        if optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
        if int(n_epochs) < 1 or int(batch_size) < 1 or not float(lr) > 0:
            raise ValueError(f"n_epochs and batch_size must be >= 1 and lr > 0; got {n_epochs}, {batch_size}, {lr}")
        self.device = default_device(device)
        self.model = model.to(self.device)
        self.n_epochs = int(n_epochs)
        self.batch_size = int(batch_size)
        self.lr = float(lr)
        self.optimizer_name = optimizer
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.seed = seed
        self.progress = progress
        self.rng = np.random.default_rng(seed)
        self.task_classes: dict[int, tuple[int, ...]] = {}
        self.mode = "class"
        self.current_task = None
        self.optimizer = None
        self.n_classes = _output_size(self.model)
        # Add-ons the backbone brings (G2GNet's dynamic sparse training): called after each own hook.
        self.plugins = list(getattr(self.model, "training_plugins", lambda: [])())

    # ----------------------------------------------------------- the loop
    def train_task(self, task) -> "Strategy":
        """Train on one task (in place) and return self."""
        self.current_task = task
        self.mode = task.mode
        self.task_classes[int(task.task_id)] = tuple(int(c) for c in task.classes)
        self._hook("before_training_exp", task)
        X_raw, y, t = self.training_data(task)
        self.train_raw, self.train_y = X_raw, y
        X = as_float_tensor(X_raw, self.device)
        y_t = torch.as_tensor(y, dtype=torch.long, device=self.device)
        t_t = torch.as_tensor(t, dtype=torch.long, device=self.device)
        self.optimizer = self.make_optimizer()
        n = len(y)
        epochs = progress_bar(range(self.n_epochs), self.progress, desc=f"{self.name} task {task.task_id}",
                              unit="epoch")
        for self.epoch in epochs:
            self.model.train()
            self._hook("before_training_epoch")
            order = torch.from_numpy(self.rng.permutation(n)).to(self.device)
            for start in range(0, n, self.batch_size):
                index = order[start:start + self.batch_size]
                self.mb_index = index
                self.mb_x, self.mb_y, self.mb_task = X[index], y_t[index], t_t[index]
                self._hook("before_forward")
                self.mb_output = self.forward(self.mb_x, self.mb_task)
                self._hook("after_forward")
                self.loss = self.criterion() + self.penalty()
                self._hook("before_backward")
                self.optimizer.zero_grad(set_to_none=True)
                self.loss.backward()
                self.after_backward()
                self.optimizer.step()
                self._hook("after_update")
            if not torch.isfinite(self.loss.detach()):  # once per epoch: no per-step device sync
                raise ValueError(f"{self.name}: the loss became {float(self.loss.detach())} in task {task.task_id}, "
                                 f"epoch {self.epoch}; lower the learning rate or the penalty weight")
            self._hook("after_training_epoch")
        self._hook("after_training_exp", task)
        self.train_raw = self.train_y = None
        self.mb_x = self.mb_y = self.mb_task = self.mb_output = self.mb_index = self.loss = None
        return self

    def make_optimizer(self) -> torch.optim.Optimizer:
        """A new optimiser (SGD with momentum, or Adam) over the trainable parameters; made at the start of each task."""
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.optimizer_name == "adam":
            return torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        return torch.optim.SGD(params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay)

    def training_data(self, task):
        """(X, y, task ids) to train on for ``task``: by default the task's own data."""
        return task.X_train, task.y_train, np.full(len(task.y_train), task.task_id, dtype=np.int64)

    def forward(self, x: torch.Tensor, task_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Logits; in task-incremental mode, classes outside each sample's task are masked out."""
        return self.mask_other_tasks(self.model(x), task_ids)

    def mask_other_tasks(self, logits: torch.Tensor, task_ids: torch.Tensor | None) -> torch.Tensor:
        """In task-incremental mode, -inf for the classes outside each sample's task; else ``logits``."""
        if self.mode == "task" and task_ids is not None:
            logits = logits.masked_fill(~self._task_mask(task_ids), float("-inf"))
        return logits

    def criterion(self) -> torch.Tensor:
        """Loss of the current minibatch: cross-entropy of ``mb_output`` against ``mb_y``."""
        return F.cross_entropy(self.mb_output, self.mb_y)

    def penalty(self) -> torch.Tensor | float:
        """Regulariser added to the loss (EWC, LwF); 0 for plain fine-tuning."""
        return 0.0

    # ----------------------------------------------------------- hooks
    def _hook(self, name: str, *args) -> None:
        """The strategy's own hook ``name``, then each plugin's (``plugin.<name>(strategy, *args)``)."""
        getattr(self, name)(*args)
        for plugin in self.plugins:
            method = getattr(plugin, name, None)
            if method is not None:
                method(self, *args)

    def before_training_exp(self, task):
        """Hook: a new task starts (``task``: a :class:`~evlearn.continual.scenarios.Task`)."""

    def before_training_epoch(self):
        """Hook: an epoch starts."""

    def before_forward(self):
        """Hook: the minibatch (``mb_x``, ``mb_y``, ``mb_task``) is set, not yet forwarded."""

    def after_forward(self):
        """Hook: ``mb_output`` holds the logits of the minibatch."""

    def before_backward(self):
        """Hook: ``loss`` is computed, gradients are not."""

    def after_backward(self):
        """Hook: gradients are computed, the optimiser step is not taken (A-GEM projects them here)."""

    def after_update(self):
        """Hook: the optimiser step is taken."""

    def after_training_epoch(self):
        """Hook: an epoch ended."""

    def after_training_exp(self, task):
        """Hook: training on ``task`` ended (EWC computes its Fisher information here)."""

    # ----------------------------------------------------------- inference
    @torch.no_grad()
    def predict(self, X, classes=None, batch_size: int = 1024) -> np.ndarray:
        """Predicted labels for ``X``; with ``classes`` only those labels can be predicted."""
        self.model.eval()
        allowed = None
        if classes is not None:
            allowed = torch.zeros(self.n_classes, dtype=torch.bool, device=self.device)
            allowed[list(classes)] = True
        out = []
        for start in range(0, len(X), batch_size):
            logits = self.model(as_float_tensor(X[start:start + batch_size], self.device))
            if allowed is not None:
                logits = logits.masked_fill(~allowed, float("-inf"))
            out.append(logits.argmax(1).cpu())
        return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.int64)

    def evaluate(self, task) -> float:
        """Accuracy on ``task``'s test set (task-incremental: among the task's classes)."""
        classes = task.classes if task.mode == "task" else None
        if task.n_test == 0:
            return float("nan")
        return float(np.mean(self.predict(task.X_test, classes=classes) == task.y_test))

    # ----------------------------------------------------------- accounting and state
    def memory_bytes(self) -> int:
        """Bytes of stored replay data (inputs, activations, labels); 0 without replay."""
        return 0

    def total_memory_bytes(self) -> int:
        """Replay data plus any other sample memory used to predict (kNN, prototypes); model-sized state excluded."""
        return self.memory_bytes()

    def extra_state(self) -> dict:
        """Method-specific state for checkpoints: tensors, numbers, strings, lists, dicts only."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        """Restore what :meth:`extra_state` saved; nothing by default."""

    def state_dict(self) -> dict:
        """Checkpoint: model weights, random generators, classes per task, mode and :meth:`extra_state`."""
        return {
            "model": self.model.state_dict(),
            "rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "task_classes": {int(k): list(v) for k, v in self.task_classes.items()},
            "mode": self.mode,
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict` checkpoint (the model must have the same architecture)."""
        self.model.load_state_dict(state["model"])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        self.task_classes = {int(k): tuple(v) for k, v in state["task_classes"].items()}
        self.mode = state["mode"]
        self.load_extra_state(state["extra"])

    # ----------------------------------------------------------- helpers
    def _task_mask(self, task_ids: torch.Tensor) -> torch.Tensor:
        n_ids = max(self.task_classes) + 1
        mask = torch.zeros(n_ids, self.n_classes, dtype=torch.bool, device=self.device)
        for tid, classes in self.task_classes.items():
            mask[tid, list(classes)] = True
        return mask[task_ids]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_epochs={self.n_epochs}, batch_size={self.batch_size}, lr={self.lr})"


def frozen_copy(model: nn.Module, state: dict | None = None) -> nn.Module:
    """A copy of ``model`` in eval mode with gradients off (optionally loaded with ``state``): a teacher."""
    teacher = copy.deepcopy(model).eval()
    if state is not None:
        teacher.load_state_dict(state)
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher


def _output_size(model: nn.Module) -> int:
    head = getattr(model, "head", None)
    if isinstance(head, nn.Linear):
        return head.out_features
    n = getattr(model, "n_classes", None)
    if n is None:
        raise ValueError("backbone needs a linear `head` or an `n_classes` attribute")
    return int(n)
