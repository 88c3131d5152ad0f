"""Continual-learning strategies: one training loop with hooks (``base``), one small module per method.

Layout::

    base.py    Strategy (the loop, its hooks, predict/evaluate, checkpoint state),
               register_strategy / make_strategy / STRATEGIES, as_float_tensor, label_bytes
    naive.py   fine-tuning (lower bound)          joint.py  cumulative training (upper bound)
    er.py      experience replay (reservoir)      ewc.py    elastic weight consolidation
    lwf.py     learning without forgetting        si.py     synaptic intelligence
    replay.py  ReplayStrategy: the reservoir memory shared by er, der, er_ace, agem
    der.py     DER and DER++ (logit replay)       er_ace.py ER with the asymmetric cross-entropy
    agem.py    A-GEM (gradient projection)        icarl.py  iCaRL (herding, distillation, nearest mean)
    gdumb.py   GDumb (class-balanced memory, retrain from scratch)
    Memories live in ``evlearn.continual.buffers``; each method's rule as a pure
    function in ``evlearn.continual.rules``.
    (SHARP lives in ``evlearn.continual.sharp`` and registers itself the same way.)

Adding a method is adding one module here, e.g. ``continual/strategies/mine.py``::

    from evlearn.continual.strategies.base import Strategy, register_strategy

    @register_strategy("mine")                    # the name used in configs
    class Mine(Strategy):
        paper = "Author et al. 2024, Title (arXiv ...)"

        def __init__(self, model, *, my_option: float = 1.0, **kwargs):
            super().__init__(model, **kwargs)     # base options: n_epochs, batch_size, lr, ...
            self.my_option = float(my_option)     # validate here: ValueError naming the option

        def penalty(self): ...                    # override only the hooks the method needs
        def extra_state(self): ...                # + load_extra_state: what a checkpoint must keep
        def memory_bytes(self): ...               # stored replay data, if any

Every module of this package is imported with it (below), so the registration
is all that is needed: no list to edit. Re-export the class here only if users
should import it from ``evlearn.continual.strategies``. The options a method
takes are its ``__init__`` keyword arguments, plus the shared ones of
``Strategy`` when it passes ``**kwargs`` on (a method with its own schedule
lists its own and refuses the rest; the runner checks configs against them); tests go in ``tests/test_continual_strategies.py`` style: train on a
small synthetic scenario, check the method's own effect and a checkpoint round trip.
"""
from __future__ import annotations

import importlib
import pkgutil

from evlearn.continual.strategies.base import (RENAMED_OPTIONS, STRATEGIES, Strategy, as_float_tensor,
                                               check_options, get_strategy_class, label_bytes, make_strategy,
                                               register_strategy, strategy_parameters, upgrade_options)
from evlearn.continual.strategies.er import ExperienceReplay
from evlearn.continual.strategies.ewc import EWC
from evlearn.continual.strategies.joint import Joint
from evlearn.continual.strategies.lwf import LwF
from evlearn.continual.strategies.naive import Naive

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["RENAMED_OPTIONS", "STRATEGIES", "Strategy", "Naive", "Joint", "ExperienceReplay", "EWC", "LwF",
           "as_float_tensor", "check_options", "get_strategy_class", "label_bytes", "make_strategy",
           "register_strategy", "strategy_parameters", "upgrade_options"]
