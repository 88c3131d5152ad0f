"""Naive fine-tuning: the shared loop with no hook overridden."""
from __future__ import annotations

from evlearn.continual.strategies.base import Strategy, register_strategy


@register_strategy("naive")
class Naive(Strategy):
    """Fine-tuning on each task in turn (Avalanche's ``Naive``): the lower bound, it forgets earlier tasks.

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    **kwargs
        The shared training options of :class:`~evlearn.continual.strategies.base.Strategy`
        (``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ...).

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies.naive import Naive
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = Naive(MLP((16,), n_classes=4, hidden=(32,)), n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    """

    paper = "Fine-tuning on each task in turn: the lower bound every CL method is compared with."
