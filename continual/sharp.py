"""SHARP as a strategy of the continual-learning runner.

Gurbuz, Moorman, Dovrolis, "SHARP: Sparsity and Hidden Activation RePlay for
Neuro-Inspired Continual Learning", arXiv 2305.18563 (2023); authors' code
github.com/BurakGurbuz97/SHARP-Continual-Learning. A sparse network is trained
per task in rewiring phases with a supervised contrastive loss (Adadelta);
stable units are frozen at the end of the task and the rest re-initialised;
quantised hidden activations of the most recent classes are replayed into the
late layers; prediction is k-nearest neighbours over a small long-term memory.
Every step and default is documented in docs/sharp.md.

Use it in a runner config as strategy ``"sharp"`` (ablations: ``replay =
"raw"``, ``sparse = false``). The strategy builds its own masked network
(:class:`~evlearn.continual.sharp_net.SharpNet`) for the input shape of the
backbone it is given (or uses the backbone if it already is a ``SharpNet``).
"""
from __future__ import annotations

import numpy as np
import torch

from evlearn.continual.backbones import register_backbone
from evlearn.continual.sharp_buffer import LongTermMemory, QuantizedReplayBuffer, quantize
from evlearn.continual.sharp_masks import (frozen_units, initial_states, promote, random_connectivity,
                                           rewire, select_units, selection_percent)
from evlearn.continual.sharp_net import ARCHITECTURES, SharpNet, drop_singleton_classes, supcon_loss
from evlearn.continual.strategies import Strategy, as_float_tensor, register_strategy
from evlearn.progress import progress_bar
from evlearn.validation import check_number


@register_backbone("sharp_cnn")
def sharp_cnn(input_shape, n_classes: int, arch: str = "mnistlike") -> SharpNet:
    """SHARP's masked network: ``arch`` "mnistlike" (2 conv x 16 + 500 + 500), "vgg_small" or "mlp"."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"sharp_cnn: arch must be one of {sorted(ARCHITECTURES)}, got {arch!r}")
    return SharpNet(input_shape, n_classes, **ARCHITECTURES[arch])


def _input_shape_of(model) -> tuple[int, ...]:
    for name in ("input_shape", "input_image_shape"):
        shape = getattr(model, name, None)
        if shape is not None:
            return tuple(int(s) for s in shape)
    first = next((m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))), None)
    if isinstance(first, torch.nn.Linear):
        return (first.in_features,)
    raise ValueError("sharp: cannot infer the input shape from the backbone; use backbone 'sharp_cnn' "
                     "or 'cnn'")


@register_strategy("sharp")
class SHARP(Strategy):
    """Sparsity and Hidden Activation RePlay (Gurbuz et al. 2023).

    Options (defaults: the authors' Split-MNIST command line, see docs/sharp.md):
    ``arch`` ("mnistlike" | "vgg_small" | "mlp"; used when the backbone is not a SharpNet), ``density`` (0.4), ``sparse`` (True;
    False = dense ablation), ``first_conv_dense`` (True), ``replay``
    ("hidden" | "raw" | "none"), ``replay_per_class`` (25), ``replay_tasks``
    (1), ``replay_bits`` (8), ``batch_size_memory`` (256), ``ltm_per_class``
    (25), ``k_neighbors`` (5), ``temperature`` (0.1), ``phase_epochs`` (3),
    ``max_phases`` (10), ``min_activation_perc`` (90), ``tau_param`` (30),
    ``selection_batch`` (1024), ``reinit`` (True), ``learning_rate`` (Adadelta,
    1.0), ``stream_batch_size`` (256); ``device``, ``seed``, ``progress`` as every
    strategy. SHARP has its own schedule (a task takes ``max_phases *
    phase_epochs`` epochs, Adadelta), so the shared training options
    ``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``momentum`` and
    ``weight_decay`` are refused, never silently ignored.
    """

    paper = ("Gurbuz, Moorman, Dovrolis 2023, SHARP: Sparsity and Hidden Activation RePlay for "
             "Neuro-Inspired Continual Learning (arXiv 2305.18563)")

    def __init__(self, model, *, arch: str = "mnistlike", density: float = 0.4, sparse: bool = True,
                 first_conv_dense: bool = True, replay: str = "hidden", replay_per_class: int = 25,
                 replay_tasks: int = 1, replay_bits: int = 8, batch_size_memory: int = 256,
                 ltm_per_class: int = 25, k_neighbors: int = 5, temperature: float = 0.1,
                 phase_epochs: int = 3, max_phases: int = 10, min_activation_perc: float = 90.0,
                 tau_param: float = 30.0, selection_batch: int = 1024, reinit: bool = True,
                 stream_batch_size: int = 256, learning_rate: float = 1.0, device=None, seed: int = 0,
                 progress: bool = False):
        if replay not in ("hidden", "raw", "none"):
            raise ValueError(f"sharp: replay must be 'hidden', 'raw' or 'none', got {replay!r}")
        if arch not in ARCHITECTURES:
            raise ValueError(f"sharp: arch must be one of {sorted(ARCHITECTURES)}, got {arch!r}")
        check_number(density, "sharp: density", low=0.0, high=1.0, low_open=True)
        check_number(temperature, "sharp: temperature", low=0.0, low_open=True)
        check_number(min_activation_perc, "sharp: min_activation_perc", low=0.0, high=100.0)
        check_number(tau_param, "sharp: tau_param", low=0.0, low_open=True)
        for name, value in (("phase_epochs", phase_epochs), ("max_phases", max_phases),
                            ("batch_size_memory", batch_size_memory), ("ltm_per_class", ltm_per_class),
                            ("selection_batch", selection_batch)):
            check_number(value, f"sharp: {name}", low=1, integer=True)
        check_number(stream_batch_size, "sharp: stream_batch_size", low=1, integer=True)
        check_number(learning_rate, "sharp: learning_rate", low=0.0, low_open=True)
        if not isinstance(model, SharpNet):
            model = SharpNet(_input_shape_of(model), getattr(model, "n_classes", None) or
                             model.head.out_features, **ARCHITECTURES[arch])
        super().__init__(model, batch_size=stream_batch_size, lr=learning_rate, optimizer="sgd", device=device,
                         seed=seed, progress=progress)
        self.net: SharpNet = self.model
        self.arch, self.sparse, self.replay = arch, bool(sparse), replay
        self.density = float(density) if self.sparse else 1.0
        self.first_conv_dense = bool(first_conv_dense)
        self.batch_size_memory = int(batch_size_memory)
        self.ltm_per_class = int(ltm_per_class)
        self.temperature = float(temperature)
        self.phase_epochs, self.max_phases = int(phase_epochs), int(max_phases)
        self.min_activation_perc, self.tau_param = float(min_activation_perc), float(tau_param)
        self.selection_batch = int(selection_batch)
        self.reinit = bool(reinit)
        self.replay_tasks = int(replay_tasks)
        self.buffer = QuantizedReplayBuffer(replay_per_class, replay_tasks, replay_bits)
        self.ltm = LongTermMemory(k_neighbors)
        specs = self.net.specs
        self.conns = random_connectivity(specs, self.density, self.rng, self.first_conv_dense)
        self.net.set_connectivity(self.conns)
        self.states = initial_states(self.net.unit_counts)
        self.frozen = [np.zeros(s.n_out, dtype=bool) for s in specs]
        self.history: list[dict] = []  # per task and phase: selection %, density, shortfall

    # ------------------------------------------------------------------ training
    def train_task(self, task) -> "SHARP":
        """Train on ``task`` with SHARP's own loop: contrastive loss on new and replayed (quantised) activations, rewiring and freezing of units, then the long-term memory's update. Returns self."""
        self.current_task = task
        self.mode = task.mode
        self.task_classes[int(task.task_id)] = tuple(int(c) for c in task.classes)
        X = as_float_tensor(task.X_train, self.device)
        y = torch.as_tensor(np.asarray(task.y_train), dtype=torch.long, device=self.device)
        if len(y) == 0:
            raise ValueError(f"sharp: task {task.task_id} has no training samples")
        replaying = self.replay != "none" and len(self.buffer.classes) > 0
        phases = progress_bar(range(1, self.max_phases + 1), self.progress,
                              desc=f"sharp task {task.task_id}", unit="phase")
        for phase in phases:
            percent = selection_percent(phase, self.tau_param, self.min_activation_perc)
            self.net.eval()
            activity = self.net.unit_activity(X[:self.selection_batch])
            self.states = [self.states[0]] + [select_units(s, a, percent)
                                              for s, a in zip(self.states[1:], activity)]
            self.net.set_output_units(self.states[-1] != 0)
            self.conns, grown, shortfall = rewire(self.conns, self.net.specs, self.states, self.rng)
            self.net.set_connectivity(self.conns, zero=grown)
            self.history.append({"task": int(task.task_id), "phase": phase, "selection_percent": percent,
                                 "density": self.net.density(), "shortfall": int(sum(shortfall)),
                                 "weights": int(sum(float(m.sum()) for m in self.net.masks()))})
            optimizer = torch.optim.Adadelta(self.net.parameters(), lr=self.lr, weight_decay=0.0)
            for _ in range(self.phase_epochs):
                self._train_epoch(X, y, optimizer, replaying)
        self._end_task(task, X, y)
        return self

    def _train_epoch(self, X, y, optimizer, replaying: bool) -> None:
        self.net.train()
        n = len(y)
        order = torch.from_numpy(self.rng.permutation(n)).to(self.device)
        # Full batches only (the authors drop the last one); a task smaller than one batch is one batch.
        stop = n - n % self.batch_size if n >= self.batch_size else n
        for start in range(0, stop, min(self.batch_size, n)):
            index = order[start:start + self.batch_size]
            xb, yb = drop_singleton_classes(X[index], y[index])
            outputs, targets = [], []
            if len(yb):
                outputs.append(self.net(xb))
                targets.append(yb)
            if replaying:
                mx, my = self.buffer.sample(self.batch_size_memory, self.rng)
                mx = torch.from_numpy(mx).to(self.device)
                outputs.append(self.net.late(mx) if self.replay == "hidden" else self.net(mx))
                targets.append(torch.from_numpy(my).to(self.device))
            if not outputs:
                continue
            out, tgt = torch.cat(outputs), torch.cat(targets)
            out, tgt = drop_singleton_classes(out, tgt)
            if len(tgt) < 2:
                continue
            loss = supcon_loss(out, tgt, self.temperature)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.net.zero_frozen_grads(self.frozen)
            optimizer.step()

    @torch.no_grad()
    def _encode_for_replay(self, x: torch.Tensor) -> np.ndarray:
        if self.replay == "hidden":
            return self.net.early(x).cpu().numpy()
        return x.reshape(len(x), -1).cpu().numpy()

    @torch.no_grad()
    def _end_task(self, task, X, y) -> None:
        self.net.eval()
        classes = [int(c) for c in np.unique(y.cpu().numpy())]
        self.states = promote(self.states)
        self.frozen = frozen_units(self.states, self.net.n_early, self.replay_tasks)
        self.net.set_output_units(self.states[-1] != 0)
        to_store = {}
        if self.replay != "none":
            for c in classes:
                xc = X[y == c][:self.buffer.per_class]
                to_store[c] = self._encode_for_replay(xc)
        if self.reinit:
            self.net.reinitialize_units([s == 0 for s in self.states[1:]])
        penult = self.states[-1]
        for c in classes:
            reps = self.net(X[y == c][:self.ltm_per_class]).cpu().numpy()
            self.ltm.add(c, reps, penult >= 2)
        # Replayed classes of earlier tasks: re-encode buffer samples through the late layers.
        if self.replay != "none":
            for label, samples, age in self.buffer.per_class_samples(self.ltm_per_class, self.rng):
                if label in classes:
                    continue
                s = torch.from_numpy(samples).to(self.device)
                reps = (self.net.late(s) if self.replay == "hidden" else self.net(s)).cpu().numpy()
                self.ltm.add(label, reps, penult >= 3 + age)
            self.buffer.add_task(to_store)

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def represent(self, X, batch_size: int = 1024) -> np.ndarray:
        """Representations (n_samples, feature_dim), float32, of inputs ``X``, computed ``batch_size`` rows at a time."""
        self.net.eval()
        out = [self.net(as_float_tensor(X[i:i + batch_size], self.device)).cpu().numpy()
               for i in range(0, len(X), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.net.feature_dim), dtype=np.float32)

    def predict(self, X, classes=None, batch_size: int = 1024) -> np.ndarray:
        """kNN labels; before the first task there is no memory and every prediction is -1."""
        if not self.ltm.classes:
            return np.full(len(X), -1, dtype=np.int64)
        return self.ltm.predict(self.represent(X, batch_size), classes=classes)

    # ------------------------------------------------------------------ accounting and state
    def memory_bytes(self) -> int:
        """Replay buffer: quantised payload + min/max per class + one label byte per class."""
        return self.buffer.memory_bytes + len(self.buffer.classes)

    def ltm_bytes(self) -> int:
        """Long-term kNN memory (float32 representations + unit masks), reported separately."""
        return self.ltm.memory_bytes

    def total_memory_bytes(self) -> int:
        """Replay buffer + long-term kNN memory: what an equal-memory comparison must count."""
        return self.memory_bytes() + self.ltm_bytes()

    def extra_state(self) -> dict:
        """Checkpoint state: connectivity, neuron states, frozen units, replay buffer, long-term memory and history."""
        return {"conns": [torch.from_numpy(c.copy()) for c in self.conns],
                "states": [torch.from_numpy(s.copy()) for s in self.states],
                "frozen": [torch.from_numpy(f.copy()) for f in self.frozen],
                "buffer": self.buffer.state(), "ltm": self.ltm.state(), "history": list(self.history)}

    def load_extra_state(self, state: dict) -> None:
        """Restore what :meth:`extra_state` saved: connectivity, neuron states, replay buffer and long-term memory."""
        self.conns = [c.numpy().copy() for c in state["conns"]]
        self.states = [s.numpy().copy() for s in state["states"]]
        self.frozen = [f.numpy().copy() for f in state["frozen"]]
        self.buffer.load_state(state["buffer"])
        self.ltm.load_state(state["ltm"])
        self.history = list(state["history"])

    def __repr__(self) -> str:
        return (f"SHARP(arch={self.arch!r}, density={self.density}, replay={self.replay!r}, "
                f"max_phases={self.max_phases}, phase_epochs={self.phase_epochs})")


__all__ = ["SHARP", "sharp_cnn", "quantize"]
