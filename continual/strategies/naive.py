"""Naive fine-tuning: the shared loop with no hook overridden."""
from __future__ import annotations

from evlearn.continual.strategies.base import Strategy, register_strategy


@register_strategy("naive")
class Naive(Strategy):
    """Fine-tuning on each task in turn (Avalanche's ``Naive``): the lower bound, it forgets earlier tasks."""

    paper = "Fine-tuning on each task in turn: the lower bound every CL method is compared with."
