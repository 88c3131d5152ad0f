"""Brian2 implementation of the multitasking Hebbian network.

Model: Agliari, Alessandrelli, Barra, Ricci-Tersenghi, "Parallel learning by
multitasking neural networks", J. Stat. Mech. (2023) 113401, arXiv:2308.04106;
multitasking retrieval from diluted patterns after Agliari et al., Phys. Rev.
Lett. 109, 268101 (2012).

Binary stochastic units s in {-1, +1} form a NeuronGroup; the Hebbian couplings
J_ij (from evlearn.hebbian.couplings) are the weights of a Synapses object
whose summed variable gives each unit its local field h_i = sum_j J_ij s_j.

Update scheme (our choice, documented in docs/hebbian.md): Brian2 updates all
units of a group in the same time step, so exact random-sequential updates
would need one time step (and one O(N^2) field summation) per unit. Instead
each unit, at each step of length ``dt_update``, is selected with a small
probability ``p_update`` and, if selected, redrawn from the heat-bath rule
P(s = +1) = 1 / (1 + exp(-2 beta h)). For p_update -> 0 this is asynchronous
Glauber dynamics in continuous time; one sweep corresponds to 1/p_update steps.
The summed field is computed in Brian2's "groups" slot from the current state
and the heat-bath update runs right after it ("after_groups"), so every update
uses the fields of the present configuration. The stationary magnetisations
agree with the numba reference (tested).
"""
from __future__ import annotations

import contextlib

import numpy as np

from .couplings import LowRankCouplings
from .patterns import check_beta, mattis_magnetisations
from evlearn.validation import check_number

NEURON_EQUATIONS = """
s : 1
h : 1
beta : 1 (shared)
p_update : 1 (shared)
"""

HEAT_BATH = """
selected = int(rand() < p_update)
up = int(rand() < 1 / (1 + exp(-2 * beta * h)))
s = s + selected * ((2 * up - 1) - s)
"""

SYNAPSE_EQUATIONS = """
w : 1 (constant)
h_post = w * s_pre : 1 (summed)
"""


@contextlib.contextmanager
def codegen_target(target):
    """Set brian2's prefs.codegen.target inside the block and restore it afterwards."""
    from brian2 import prefs

    previous = prefs.codegen.target
    prefs.codegen.target = target
    try:
        yield
    finally:
        prefs.codegen.target = previous


def make_units(n, beta, p_update, dt_update):
    """NeuronGroup of ``n`` heat-bath spins, updated every ``dt_update``."""
    from brian2 import NeuronGroup

    units = NeuronGroup(n, NEURON_EQUATIONS, method="exact", dt=dt_update, name="hebbian_units")
    units.beta = beta
    units.p_update = p_update
    units.run_regularly(HEAT_BATH, dt=dt_update, when="after_groups", name="heat_bath")
    return units


def make_hebbian_synapses(units, J):
    """All-to-all Synapses (i != j) carrying J[i_pre, j_post] (J is symmetric), on the units' clock."""
    from brian2 import Synapses

    synapses = Synapses(units, units, SYNAPSE_EQUATIONS, dt=units.clock.dt, name="hebbian_synapses")
    synapses.connect(condition="i != j")
    synapses.w = J[synapses.i[:], synapses.j[:]]
    return synapses


def simulate_brian2(couplings, archetypes, beta, n_sweeps=50, *, n_measure=None, p_update=0.1,
                    init="random", seed=None, target="numpy"):
    """Run the network in Brian2; returns (m_trace over sweeps, time-averaged m).

    ``n_sweeps`` counts sweeps (1/p_update update steps each); m is recorded once
    per sweep, and averaged over the last ``n_measure`` sweeps.
    """
    from brian2 import Network, StateMonitor, ms, seed as brian_seed

    from .glauber import initial_state

    if not isinstance(couplings, LowRankCouplings):
        raise ValueError("couplings must be a LowRankCouplings")
    beta = check_beta(beta)
    if not np.isfinite(beta):
        raise ValueError("the Brian2 network needs a finite beta")
    n_sweeps = int(check_number(n_sweeps, "n_sweeps", low=1, integer=True))
    n_measure = max(1, n_sweeps // 2) if n_measure is None else n_measure
    n_measure = int(check_number(n_measure, "n_measure", low=1, high=n_sweeps, integer=True))
    p_update = float(check_number(p_update, "p_update", low=0.0, high=1.0, low_open=True))
    xi = np.asarray(archetypes)
    steps_per_sweep = max(1, int(round(1.0 / p_update)))
    rng = np.random.default_rng(seed)
    sigma0 = initial_state(init, xi, rng)
    J = couplings.dense()
    dt_update = 1 * ms  # one Monte Carlo step: a time unit, not a physiological constant
    with codegen_target(target):
        brian_seed(int(rng.integers(2**31 - 1)))
        units = make_units(xi.shape[1], beta, p_update, dt_update)
        synapses = make_hebbian_synapses(units, J)
        units.s = sigma0.astype(float)
        monitor = StateMonitor(units, "s", record=True, dt=steps_per_sweep * dt_update, when="end")
        net = Network(units, synapses, monitor)
        net.run(n_sweeps * steps_per_sweep * dt_update, namespace={})
    states = np.asarray(monitor.s)  # (N, n_records)
    trace = np.vstack([mattis_magnetisations(xi, sigma0)] + [mattis_magnetisations(xi, states[:, t]) for t in range(states.shape[1])])
    return trace, trace[-n_measure:].mean(axis=0)
