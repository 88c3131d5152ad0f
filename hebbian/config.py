"""Dataclass config of one multitasking-network experiment (``evlearn hebbian run --config FILE``)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from evlearn.validation import check_number

from .couplings import DEFAULT_CONVENTION, PROTOCOLS, check_convention
from .patterns import check_beta, check_dilution, check_examples_per_archetype, check_quality, check_sizes


@dataclass(frozen=True)
class NetworkConfig:
    """One network: data, learning rule, dynamics. Validated on construction.

    protocol: 'supervised', 'unsupervised' or 'archetypes' (store the archetypes
    themselves, the M -> infinity limit; M and r are then ignored).
    init: 'archetype' (cue of archetype 1) or 'random'.
    backend: 'numba' (reference simulator) or 'brian2' (numpy target; small N).
    convention: coupling normalisation, 'hebb' (plain Hebbian sum, default) or
    'mean-field' (with 1/(1 - d); beta then means beta (1 - d) in 'hebb' units).
    """

    N: int = 10_000
    K: int = 3
    d: float = 0.5
    r: float = 0.6
    M: int = 40
    protocol: str = "supervised"
    beta: float = 10.0
    n_sweeps: int = 300
    n_measure: int = 100
    init: str = "archetype"
    backend: str = "numba"
    p_update: float = 0.1
    seed: int = 0
    convention: str = DEFAULT_CONVENTION

    def __post_init__(self):
        check_sizes(self.N, self.K)
        check_dilution(self.d)
        check_quality(self.r)
        check_examples_per_archetype(self.M)
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, got {self.protocol!r}")
        beta = check_beta(self.beta)
        if self.backend not in ("numba", "brian2"):
            raise ValueError(f"backend must be 'numba' or 'brian2', got {self.backend!r}")
        if self.backend == "brian2" and math.isinf(beta):
            raise ValueError("backend 'brian2' needs a finite beta")
        if self.init not in ("archetype", "random"):
            raise ValueError(f"init must be 'archetype' or 'random', got {self.init!r}")
        check_number(self.n_sweeps, "n_sweeps", low=1, integer=True)
        check_number(self.n_measure, "n_measure", low=1, high=self.n_sweeps, integer=True)
        check_number(self.p_update, "p_update", low=0.0, high=1.0, low_open=True)
        check_number(self.seed, "seed", low=0, integer=True)
        check_convention(self.convention)
