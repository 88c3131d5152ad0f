"""Experience Replay with a reservoir buffer of raw inputs (Chaudhry et al. 2019)."""
from __future__ import annotations

import torch

from evlearn.continual.strategies.base import register_strategy
from evlearn.continual.strategies.replay import ReplayStrategy


@register_strategy("er")
class ExperienceReplay(ReplayStrategy):
    """Experience Replay with a reservoir buffer of raw inputs.

    Chaudhry et al., "On Tiny Episodic Memories in Continual Learning", arXiv
    1902.10486 (2019); reservoir sampling: Vitter, ACM TOMS 1985. Every step
    trains on the current minibatch plus ``replay_batch_size`` samples drawn
    from the buffer; afterwards the current minibatch (first epoch only: each
    sample enters the stream once) goes through reservoir sampling, so the
    buffer is a uniform sample of all training data seen.
    ``memory_size`` counts samples; inputs are stored in their original dtype
    (``uint8`` images: 1 byte per pixel).

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    memory_size : int, default 200
        Samples the memory holds (all tasks together).
    replay_batch_size : int, optional
        Memory samples replayed per step (default: ``batch_size``).
    **kwargs
        The shared training options of :class:`~evlearn.continual.strategies.base.Strategy`
        (``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ...).

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies.er import ExperienceReplay
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = ExperienceReplay(MLP((16,), n_classes=4, hidden=(32,)), memory_size=40, n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    >>> strategy.memory_bytes()                   # 40 inputs of 16 float32 + 40 one-byte labels
    2600
    """

    paper = "Chaudhry et al. 2019, On Tiny Episodic Memories in Continual Learning (arXiv 1902.10486)"

    def before_forward(self):
        """Append a replay batch from the memory to the minibatch."""
        batch = self.replay_batch()
        if batch is None:
            return
        _, x, y, t = batch
        self.mb_x = torch.cat([self.mb_x, x])
        self.mb_y = torch.cat([self.mb_y, y])
        self.mb_task = torch.cat([self.mb_task, t])
