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
    """

    paper = "Chaudhry et al. 2019, On Tiny Episodic Memories in Continual Learning (arXiv 1902.10486)"

    def before_forward(self):
        batch = self.replay_batch()
        if batch is None:
            return
        _, x, y, t = batch
        self.mb_x = torch.cat([self.mb_x, x])
        self.mb_y = torch.cat([self.mb_y, y])
        self.mb_task = torch.cat([self.mb_task, t])
