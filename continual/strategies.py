"""Continual-learning strategies: one training loop with hooks, one class per method.

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
          before_backward(); backward; optimizer step; after_update()
        after_training_epoch()
      after_training_exp(task)                      # EWC: Fisher; ER: nothing

A new method is one registered class::

    @register_strategy("mine")
    class Mine(Strategy):
        def penalty(self): ...

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
from evlearn.progress import progress_bar

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
    if name not in STRATEGIES:
        load_plugins()
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; known: {sorted(STRATEGIES)}")
    return STRATEGIES[name]


def strategy_parameters(name: str) -> set[str]:
    """Keyword arguments the strategy ``name`` accepts (its own and the base ones)."""
    params = set()
    for klass in get_strategy_class(name).__mro__:
        if klass is object or "__init__" not in vars(klass):
            continue
        for p in inspect.signature(klass.__init__).parameters.values():
            if p.kind is p.KEYWORD_ONLY or p.kind is p.POSITIONAL_OR_KEYWORD:
                params.add(p.name)
    params.discard("self")
    params.discard("model")
    return params


def make_strategy(name: str, model: nn.Module, **kwargs) -> "Strategy":
    """Build strategy ``name`` around ``model``; unknown options are a ValueError."""
    cls = get_strategy_class(name)
    unknown = sorted(set(kwargs) - strategy_parameters(name))
    if unknown:
        raise ValueError(f"strategy {name!r}: unknown option(s) {unknown}; "
                         f"valid: {sorted(strategy_parameters(name))}")
    return cls(model, **kwargs)


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
    """Naive fine-tuning and the base of every strategy: the loop and its hooks.

    Parameters (shared by all strategies; the runner fills them from the config):
    ``epochs`` per task, ``batch_size``, ``lr``, ``optimizer`` ("sgd" or "adam"),
    ``momentum``, ``weight_decay``, ``device`` (None/"auto": CUDA if available),
    ``seed`` (minibatch order and buffer sampling), ``progress`` (epoch bars).
    The optimizer is rebuilt at the start of every task (Avalanche's default).
    """

    name = "naive"
    paper = "Fine-tuning on each task in turn: the lower bound every CL method is compared with."

    def __init__(self, model: nn.Module, *, epochs: int = 1, batch_size: int = 32, lr: float = 0.01,
                 optimizer: str = "sgd", momentum: float = 0.0, weight_decay: float = 0.0,
                 device=None, seed: int = 0, progress: bool = False):
        if optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
        if int(epochs) < 1 or int(batch_size) < 1 or not float(lr) > 0:
            raise ValueError(f"epochs and batch_size must be >= 1 and lr > 0; got {epochs}, {batch_size}, {lr}")
        self.device = default_device(device)
        self.model = model.to(self.device)
        self.epochs = int(epochs)
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

    # ----------------------------------------------------------- the loop
    def train_task(self, task) -> "Strategy":
        """Train on one task (in place) and return self."""
        self.current_task = task
        self.mode = task.mode
        self.task_classes[int(task.task_id)] = tuple(int(c) for c in task.classes)
        self.before_training_exp(task)
        X_raw, y, t = self.training_data(task)
        self.train_raw, self.train_y = X_raw, y
        X = as_float_tensor(X_raw, self.device)
        y_t = torch.as_tensor(y, dtype=torch.long, device=self.device)
        t_t = torch.as_tensor(t, dtype=torch.long, device=self.device)
        self.optimizer = self.make_optimizer()
        n = len(y)
        epochs = progress_bar(range(self.epochs), self.progress, desc=f"{self.name} task {task.task_id}",
                              unit="epoch")
        for self.epoch in epochs:
            self.model.train()
            self.before_training_epoch()
            order = torch.from_numpy(self.rng.permutation(n)).to(self.device)
            for start in range(0, n, self.batch_size):
                index = order[start:start + self.batch_size]
                self.mb_index = index
                self.mb_x, self.mb_y, self.mb_task = X[index], y_t[index], t_t[index]
                self.before_forward()
                self.mb_output = self.forward(self.mb_x, self.mb_task)
                self.after_forward()
                self.loss = self.criterion() + self.penalty()
                self.before_backward()
                self.optimizer.zero_grad(set_to_none=True)
                self.loss.backward()
                self.optimizer.step()
                self.after_update()
            if not torch.isfinite(self.loss.detach()):  # once per epoch: no per-step device sync
                raise ValueError(f"{self.name}: the loss became {float(self.loss.detach())} in task {task.task_id}, "
                                 f"epoch {self.epoch}; lower the learning rate or the penalty weight")
            self.after_training_epoch()
        self.after_training_exp(task)
        self.train_raw = self.train_y = None
        self.mb_x = self.mb_y = self.mb_task = self.mb_output = self.mb_index = self.loss = None
        return self

    def make_optimizer(self) -> torch.optim.Optimizer:
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.optimizer_name == "adam":
            return torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        return torch.optim.SGD(params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay)

    def training_data(self, task):
        """(X, y, task ids) to train on for ``task``: by default the task's own data."""
        return task.X_train, task.y_train, np.full(len(task.y_train), task.task_id, dtype=np.int64)

    def forward(self, x: torch.Tensor, task_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Logits; in task-incremental mode, classes outside each sample's task are masked out."""
        logits = self.model(x)
        if self.mode == "task" and task_ids is not None:
            logits = logits.masked_fill(~self._task_mask(task_ids), float("-inf"))
        return logits

    def criterion(self) -> torch.Tensor:
        return F.cross_entropy(self.mb_output, self.mb_y)

    def penalty(self) -> torch.Tensor | float:
        """Regulariser added to the loss (EWC, LwF); 0 for plain fine-tuning."""
        return 0.0

    # ----------------------------------------------------------- hooks
    def before_training_exp(self, task): pass
    def before_training_epoch(self): pass
    def before_forward(self): pass
    def after_forward(self): pass
    def before_backward(self): pass
    def after_update(self): pass
    def after_training_epoch(self): pass
    def after_training_exp(self, task): pass

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

    def extra_state(self) -> dict:
        """Method-specific state for checkpoints: tensors, numbers, strings, lists, dicts only."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        pass

    def state_dict(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "task_classes": {int(k): list(v) for k, v in self.task_classes.items()},
            "mode": self.mode,
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: dict) -> None:
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
        return f"{type(self).__name__}(epochs={self.epochs}, batch_size={self.batch_size}, lr={self.lr})"


def _label_bytes(n_classes: int) -> int:
    """Bytes of the smallest unsigned integer holding a class label."""
    return int(np.min_scalar_type(max(int(n_classes) - 1, 0)).itemsize)


def _output_size(model: nn.Module) -> int:
    head = getattr(model, "head", None)
    if isinstance(head, nn.Linear):
        return head.out_features
    n = getattr(model, "n_classes", None)
    if n is None:
        raise ValueError("backbone needs a linear `head` or an `n_classes` attribute")
    return int(n)


register_strategy("naive")(Strategy)


@register_strategy("joint")
class Joint(Strategy):
    """Upper bound: at task i, train on the union of the training data of tasks 0..i.

    (Avalanche's "Cumulative" strategy; the final model has seen all data jointly.)
    The stored data is reported by ``memory_bytes`` for completeness.
    """

    paper = "Joint / cumulative training on all data seen so far (upper bound, e.g. van de Ven & Tolias 2019)."

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self.seen_X: list[np.ndarray] = []
        self.seen_y: list[np.ndarray] = []
        self.seen_t: list[np.ndarray] = []

    def training_data(self, task):
        self.seen_X.append(np.asarray(task.X_train))
        self.seen_y.append(np.asarray(task.y_train, dtype=np.int64))
        self.seen_t.append(np.full(len(task.y_train), task.task_id, dtype=np.int64))
        return np.concatenate(self.seen_X), np.concatenate(self.seen_y), np.concatenate(self.seen_t)

    def memory_bytes(self) -> int:
        """All stored inputs plus one label per sample, counted as in ER (1 byte for < 256 classes)."""
        return int(sum(a.nbytes for a in self.seen_X) + sum(len(a) for a in self.seen_y) * _label_bytes(self.n_classes))

    def extra_state(self) -> dict:
        return {"X": [torch.from_numpy(np.ascontiguousarray(a)) for a in self.seen_X],
                "y": [torch.from_numpy(a) for a in self.seen_y],
                "t": [torch.from_numpy(a) for a in self.seen_t]}

    def load_extra_state(self, state):
        self.seen_X = [a.numpy() for a in state["X"]]
        self.seen_y = [a.numpy() for a in state["y"]]
        self.seen_t = [a.numpy() for a in state["t"]]


@register_strategy("er")
class ExperienceReplay(Strategy):
    """Experience Replay with a reservoir buffer of raw inputs.

    Chaudhry et al., "On Tiny Episodic Memories in Continual Learning", arXiv
    1902.10486 (2019); reservoir sampling: Vitter, ACM TOMS 1985. Every step
    trains on the current minibatch plus ``replay_batch_size`` samples drawn
    from the buffer; afterwards the current minibatch (first epoch only: each
    sample enters the stream once) goes through reservoir sampling, so the
    buffer is a uniform sample of all training data seen.
    ``memory_size`` counts samples; inputs are stored in their original dtype
    (``uint8`` images: 1 byte per pixel).
    """

    paper = "Chaudhry et al. 2019, On Tiny Episodic Memories in Continual Learning (arXiv 1902.10486)"

    def __init__(self, model, *, memory_size: int = 200, replay_batch_size: int | None = None, **kwargs):
        super().__init__(model, **kwargs)
        if int(memory_size) < 1:
            raise ValueError(f"er: memory_size must be >= 1 sample, got {memory_size}")
        self.memory_size = int(memory_size)
        self.replay_batch_size = self.batch_size if replay_batch_size is None else int(replay_batch_size)
        self._X: np.ndarray | None = None     # storage, allocated once at the first sample
        self._y = np.zeros(self.memory_size, dtype=np.int64)
        self._t = np.zeros(self.memory_size, dtype=np.int64)
        self.n_stored = 0
        self.n_seen = 0

    @property
    def buffer_X(self):
        return None if self._X is None else self._X[:self.n_stored]

    @property
    def buffer_y(self):
        return self._y[:self.n_stored]

    @property
    def buffer_t(self):
        return self._t[:self.n_stored]

    def before_forward(self):
        n = self.n_stored
        if n == 0:
            return
        pick = self.rng.choice(n, size=min(self.replay_batch_size, n), replace=False)
        x = as_float_tensor(self._X[pick], self.device)
        self.mb_x = torch.cat([self.mb_x, x])
        self.mb_y = torch.cat([self.mb_y, torch.as_tensor(self._y[pick], device=self.device)])
        self.mb_task = torch.cat([self.mb_task, torch.as_tensor(self._t[pick], device=self.device)])

    def after_update(self):
        if self.epoch > 0:  # each training sample enters the stream once, in the first epoch
            return
        index = self.mb_index.cpu().numpy()
        self.add_to_buffer(self.train_raw[index], self.train_y[index],
                           np.full(len(index), self.current_task.task_id, dtype=np.int64))

    def add_to_buffer(self, X, y, t) -> None:
        """Reservoir sampling (Algorithm R) of each new sample into the buffer."""
        if self._X is None:
            self._X = np.zeros((self.memory_size, *X.shape[1:]), dtype=X.dtype)
        for i in range(len(y)):
            if self.n_stored < self.memory_size:
                j = self.n_stored
                self.n_stored += 1
            else:
                j = int(self.rng.integers(0, self.n_seen + 1))
            if j < self.memory_size:
                self._X[j], self._y[j], self._t[j] = X[i], y[i], t[i]
            self.n_seen += 1

    def memory_bytes(self) -> int:
        """Inputs in their stored dtype plus one label per sample (1 byte for < 256 classes)."""
        if self._X is None:
            return 0
        return int(self.buffer_X.nbytes + self.n_stored * _label_bytes(self.n_classes))

    def extra_state(self) -> dict:
        return {"X": None if self._X is None else torch.from_numpy(np.ascontiguousarray(self.buffer_X)),
                "y": torch.from_numpy(self.buffer_y.copy()), "t": torch.from_numpy(self.buffer_t.copy()),
                "n_seen": self.n_seen}

    def load_extra_state(self, state):
        self.n_stored = len(state["y"])
        self._y[:] = 0
        self._t[:] = 0
        self._y[:self.n_stored] = state["y"].numpy()
        self._t[:self.n_stored] = state["t"].numpy()
        if state["X"] is None:
            self._X = None
        else:
            X = state["X"].numpy()
            self._X = np.zeros((self.memory_size, *X.shape[1:]), dtype=X.dtype)
            self._X[:self.n_stored] = X
        self.n_seen = int(state["n_seen"])


@register_strategy("ewc")
class EWC(Strategy):
    """Elastic Weight Consolidation: a quadratic penalty anchoring important weights.

    Kirkpatrick et al., "Overcoming catastrophic forgetting in neural networks",
    PNAS 114(13) 2017 (arXiv 1612.00796). After each task the diagonal Fisher
    information F_k and the weights theta_k are stored; the loss on later tasks
    adds ``ewc_lambda / 2 * sum_k sum_i F_k,i (theta_i - theta_k,i)^2``.
    The Fisher is the empirical one (squared per-sample gradients of the
    log-likelihood of the true label) on up to ``fisher_samples`` training samples.
    With plain SGD keep ``lr * ewc_lambda * max(F)`` below 2, or the quadratic
    penalty itself makes the weights oscillate and diverge; Adam is robust to it.
    """

    paper = "Kirkpatrick et al. 2017, Overcoming catastrophic forgetting in neural networks (PNAS)"

    def __init__(self, model, *, ewc_lambda: float = 100.0, fisher_samples: int = 600, **kwargs):
        super().__init__(model, **kwargs)
        if float(ewc_lambda) < 0 or int(fisher_samples) < 1:
            raise ValueError(f"ewc: ewc_lambda must be >= 0 and fisher_samples >= 1; got {ewc_lambda}, {fisher_samples}")
        self.ewc_lambda = float(ewc_lambda)
        self.fisher_samples = int(fisher_samples)
        # sum_k F_k (theta - theta_k)^2 == F (theta - centre)^2 + offset with F = sum_k F_k,
        # centre = sum_k F_k theta_k / F: one pass per step however many tasks were seen.
        self.fisher: dict[str, torch.Tensor] = {}
        self.centre: dict[str, torch.Tensor] = {}
        self.offset = 0.0
        self.n_anchors = 0

    def penalty(self):
        if not self.fisher or self.ewc_lambda == 0:
            return 0.0
        total = self.offset
        for name, p in self.model.named_parameters():
            if name in self.fisher:
                total = total + (self.fisher[name] * (p - self.centre[name]) ** 2).sum()
        return 0.5 * self.ewc_lambda * total

    def after_training_exp(self, task):
        new = self.fisher_diagonal(task)
        weights = {n: p.detach().clone() for n, p in self.model.named_parameters()}
        offset = 0.0
        for name, f_new in new.items():
            f_old = self.fisher.get(name, torch.zeros_like(f_new))
            c_old = self.centre.get(name, torch.zeros_like(f_new))
            f_sum = f_old + f_new
            centre = torch.where(f_sum > 0, (f_old * c_old + f_new * weights[name]) / f_sum.clamp_min(1e-30),
                                 weights[name])
            # exact constant so the loss value equals the per-task sum
            offset += float((f_old * (c_old - centre) ** 2 + f_new * (weights[name] - centre) ** 2).sum())
            self.fisher[name], self.centre[name] = f_sum, centre
        self.offset += offset
        self.n_anchors += 1

    def fisher_diagonal(self, task) -> dict:
        from torch.func import functional_call, grad, vmap

        self.model.eval()
        n = min(self.fisher_samples, task.n_train)
        pick = self.rng.choice(task.n_train, size=n, replace=False)
        X = as_float_tensor(task.X_train[pick], self.device)
        y = torch.as_tensor(task.y_train[pick], dtype=torch.long, device=self.device)
        t = torch.full((n,), task.task_id, dtype=torch.long, device=self.device)
        params = {k: v.detach() for k, v in self.model.named_parameters()}
        buffers = {k: v.detach() for k, v in self.model.named_buffers()}

        def nll(p, x, target, tid):
            logits = functional_call(self.model, (p, buffers), (x.unsqueeze(0),))
            if self.mode == "task":
                logits = logits.masked_fill(~self._task_mask(tid.unsqueeze(0)), float("-inf"))
            return F.cross_entropy(logits, target.unsqueeze(0))

        fisher = {k: torch.zeros_like(v) for k, v in params.items()}
        per_sample = vmap(grad(nll), in_dims=(None, 0, 0, 0))
        for start in range(0, n, 32):  # small chunks: per-sample gradients of all weights are large
            grads = per_sample(params, X[start:start + 32], y[start:start + 32], t[start:start + 32])
            for k in fisher:
                fisher[k] += (grads[k] ** 2).sum(0)
        return {k: v / n for k, v in fisher.items()}

    def extra_state(self):
        return {"fisher": self.fisher, "centre": self.centre, "offset": self.offset, "n_anchors": self.n_anchors}

    def load_extra_state(self, state):
        self.fisher, self.centre = dict(state["fisher"]), dict(state["centre"])
        self.offset, self.n_anchors = float(state["offset"]), int(state["n_anchors"])


@register_strategy("lwf")
class LwF(Strategy):
    """Learning without Forgetting: distil the previous model's outputs on new data.

    Li & Hoiem, "Learning without Forgetting", ECCV 2016 / TPAMI 2017 (arXiv
    1606.09282). While training task k the loss adds
    ``alpha * T^2 * KL(softmax(old/T) || softmax(new/T))`` over the logits of
    the classes seen before task k, with the frozen model from the end of task k-1.
    """

    paper = "Li & Hoiem 2016, Learning without Forgetting (arXiv 1606.09282)"

    def __init__(self, model, *, alpha: float = 1.0, temperature: float = 2.0, **kwargs):
        super().__init__(model, **kwargs)
        if float(alpha) < 0 or not float(temperature) > 0:
            raise ValueError(f"lwf: alpha must be >= 0 and temperature > 0; got {alpha}, {temperature}")
        self.alpha = float(alpha)
        self.temperature = float(temperature)
        self.old_model: nn.Module | None = None
        self.old_classes: list[int] = []

    def penalty(self):
        if self.old_model is None or not self.old_classes or self.alpha == 0:
            return 0.0
        with torch.no_grad():
            old = self.old_model(self.mb_x)[:, self.old_classes]
        new = self.model(self.mb_x)[:, self.old_classes] if self.mode == "task" else \
            self.mb_output[:, self.old_classes]
        T = self.temperature
        kd = F.kl_div(F.log_softmax(new / T, 1), F.log_softmax(old / T, 1), log_target=True,
                      reduction="batchmean")
        return self.alpha * T * T * kd

    def after_training_exp(self, task):
        self.old_model = copy.deepcopy(self.model).eval()
        for p in self.old_model.parameters():
            p.requires_grad_(False)
        self.old_classes = sorted({c for classes in self.task_classes.values() for c in classes})

    def extra_state(self):
        return {"old_model": None if self.old_model is None else self.old_model.state_dict(),
                "old_classes": list(self.old_classes)}

    def load_extra_state(self, state):
        self.old_classes = list(state["old_classes"])
        if state["old_model"] is None:
            self.old_model = None
        else:
            self.old_model = copy.deepcopy(self.model).eval()
            self.old_model.load_state_dict(state["old_model"])
            for p in self.old_model.parameters():
                p.requires_grad_(False)
