"""iCaRL: herding exemplars, sigmoid distillation and the nearest-mean-of-exemplars classifier (Rebuffi et al. 2017)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from evlearn.continual.buffers import ExemplarMemory, herding_order
from evlearn.continual.rules import class_means, icarl_targets, nearest_mean
from evlearn.continual.strategies.base import Strategy, as_float_tensor, frozen_copy, register_strategy
from evlearn.validation import check_number


@register_strategy("icarl")
class ICaRL(Strategy):
    """Incremental Classifier and Representation Learning.

    Rebuffi, Kolesnikov, Sperl, Lampert, "iCaRL: Incremental Classifier and
    Representation Learning", CVPR 2017 (arXiv 1611.07725). Each task trains on
    its data plus the stored exemplars with a sigmoid (binary cross-entropy)
    loss over the classes seen so far: one-hot targets for the labels, except
    that the previous network's sigmoid outputs are the targets of the old
    classes (distillation). After the task every class keeps
    ``memory_size // n_classes_seen`` exemplars: old classes their first ones,
    new classes the ones chosen by herding on the L2-normalised features.
    Prediction: the class whose normalised exemplar mean is nearest to the
    normalised feature vector (the backbone's ``features``). Optimiser settings
    come from the shared [train] options (the authors' Seq-MNIST setting in
    Mammoth: SGD, lr 0.1, no weight decay).

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    memory_size : int, default 200
        Exemplars of all classes together.
    **kwargs
        The shared training options of :class:`~evlearn.continual.strategies.base.Strategy`
        (``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ...).

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies.icarl import ICaRL
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = ICaRL(MLP((16,), n_classes=4, hidden=(32,)), memory_size=40, n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    """

    paper = "Rebuffi et al. 2017, iCaRL: Incremental Classifier and Representation Learning (CVPR, arXiv 1611.07725)"

    def __init__(self, model, *, memory_size: int = 200, **kwargs):
        super().__init__(model, **kwargs)
        if not hasattr(self.model, "features"):
            raise ValueError("icarl: the backbone needs a `features` method (the representation for herding "
                             "and nearest-mean classification)")
        self.memory_size = int(check_number(memory_size, "icarl: memory_size", low=1, integer=True))
        self.memory = ExemplarMemory(self.memory_size)
        self.old_model = None
        self.old_classes: list[int] = []
        self.seen_classes: list[int] = []
        self._means = None

    # ------------------------------------------------------------------ training
    def before_training_exp(self, task):
        """Add the task's classes to the classes seen."""
        new = {int(c) for c in task.classes} | {int(c) for c in np.unique(task.y_train)}
        self.seen_classes = sorted(set(self.seen_classes) | new)

    def training_data(self, task):
        """``task``'s data plus every stored exemplar (with the task id of its class)."""
        X, y, t = super().training_data(task)
        ex_x, ex_y = self.memory.data()
        if ex_x is None:
            return X, y, t
        owner = {c: tid for tid, classes in self.task_classes.items() for c in classes}
        ex_t = np.array([owner.get(int(c), task.task_id) for c in ex_y], dtype=np.int64)
        return np.concatenate([X, ex_x.astype(X.dtype)]), np.concatenate([y, ex_y]), np.concatenate([t, ex_t])

    def criterion(self):
        """iCaRL's loss: binary cross-entropy on the seen classes, with the old model's outputs as targets for the old classes (distillation)."""
        old_probs = None
        if self.old_model is not None:
            with torch.no_grad():
                old_probs = torch.sigmoid(self.old_model(self.mb_x))
        targets = icarl_targets(self.mb_y, old_probs, self.old_classes, self.n_classes)
        seen = self.seen_classes
        return F.binary_cross_entropy_with_logits(self.model(self.mb_x)[:, seen] if self.mode == "task"
                                                  else self.mb_output[:, seen], targets[:, seen])

    @torch.no_grad()
    def _features(self, X, batch_size: int = 1024) -> torch.Tensor:
        self.model.eval()
        parts = [self.model.features(as_float_tensor(X[i:i + batch_size], self.device))
                 for i in range(0, len(X), batch_size)]
        return torch.cat(parts).flatten(1)

    def after_training_exp(self, task):
        """Freeze a copy of the model for distillation, shrink the exemplar sets and select the new classes' exemplars by herding."""
        self.old_model = frozen_copy(self.model)
        self.old_classes = list(self.seen_classes)
        m = self.memory.per_class(len(self.seen_classes))
        self.memory.shrink(m)
        X, y = task.X_train, np.asarray(task.y_train)
        for c in np.unique(y):
            rows = np.flatnonzero(y == c)
            order = herding_order(self._features(X[rows]).cpu().numpy(), m)
            self.memory.set_class(int(c), X[rows[order]])
        self._means = None

    # ------------------------------------------------------------------ inference
    def _class_means(self):
        if self._means is None:
            ex_x, ex_y = self.memory.data()
            classes = sorted(set(ex_y.tolist()))
            feats = self._features(ex_x)
            self._means = (class_means(feats, torch.as_tensor(ex_y, device=self.device), classes), classes)
        return self._means

    @torch.no_grad()
    def predict(self, X, classes=None, batch_size: int = 1024) -> np.ndarray:
        """Nearest mean of exemplars; without exemplars of the allowed classes, the network's argmax."""
        means, labels = self._class_means() if len(self.memory) else (None, [])
        keep = [i for i, c in enumerate(labels) if classes is None or c in {int(k) for k in classes}]
        if not keep:     # no exemplars (yet) for the allowed classes: the network's own output
            return super().predict(X, classes=classes, batch_size=batch_size)
        means, labels = means[keep], [labels[i] for i in keep]
        out = [nearest_mean(self._features(X[i:i + batch_size]), means, labels).cpu()
               for i in range(0, len(X), batch_size)]
        return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ accounting and state
    def memory_bytes(self) -> int:
        """Bytes of the exemplar sets (inputs at their dtype plus one label per exemplar)."""
        return self.memory.nbytes(self.n_classes)

    def extra_state(self):
        """Checkpoint state: exemplars, old and seen classes, and the frozen old model's weights."""
        return {"memory": self.memory.state(), "old_classes": list(self.old_classes),
                "seen_classes": list(self.seen_classes),
                "old_model": None if self.old_model is None else self.old_model.state_dict()}

    def load_extra_state(self, state):
        """Restore what :meth:`extra_state` saved."""
        self.memory.load_state(state["memory"])
        self.old_classes = [int(c) for c in state["old_classes"]]
        self.seen_classes = [int(c) for c in state["seen_classes"]]
        self._means = None
        self.old_model = None if state["old_model"] is None else frozen_copy(self.model, state["old_model"])
