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
import os

import numpy as np

from evlearn.progress import progress_bar
from evlearn.validation import check_number

from .couplings import LowRankCouplings
from .glauber import SimulationResult, hamiltonian_per_neuron, initial_state
from .patterns import check_beta, mattis_magnetisations

# Peak memory per synapse of the all-to-all network on the numpy target, dense J
# included: 57-60 bytes measured at N = 1000 and 2000 (issue 14 saw 5.7 GB while
# building N = 10,000); rounded up.
BYTES_PER_SYNAPSE = 64

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


def import_brian2():
    """Import brian2 from any thread: at import it installs a SIGINT handler, which Python allows
    only in the main thread, so in a worker thread (a Dask task) that one call is skipped."""
    import signal
    import sys
    import threading

    if "brian2" in sys.modules or threading.current_thread() is threading.main_thread():
        import brian2

        return brian2
    install = signal.signal
    signal.signal = lambda *args, **kwargs: None
    try:
        import brian2
    finally:
        signal.signal = install
    return brian2


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


def estimate_memory_bytes(n_neurons) -> int:
    """Peak memory of a Brian2 network of ``n_neurons`` all-to-all units (N (N - 1) synapses)."""
    n = int(n_neurons)
    return BYTES_PER_SYNAPSE * n * (n - 1) + 200 * 2**20  # + Brian2's own ~200 MB


def available_memory_bytes() -> int:
    """MemAvailable from /proc/meminfo (Linux), else physical memory."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_fits(n_neurons, max_memory_bytes=None) -> int:
    """Raise ValueError before building a network that would not fit in memory.

    ``max_memory_bytes`` defaults to half the memory available now (the machine
    is shared; the other half is left to everything else). Returns the estimate.
    """
    need = estimate_memory_bytes(n_neurons)
    limit = available_memory_bytes() // 2 if max_memory_bytes is None else int(max_memory_bytes)
    if need > limit:
        raise ValueError(
            f"a Brian2 network of N={int(n_neurons)} needs about {need / 2**30:.1f} GiB "
            f"({int(n_neurons)}^2 dense synapses), more than the {limit / 2**30:.1f} GiB allowed; "
            f"use backend 'numba' (low-rank, O(N K) memory) or N <= {max_neurons(limit)}")
    return need


def max_neurons(max_memory_bytes) -> int:
    """Largest N whose Brian2 network fits in ``max_memory_bytes``."""
    spare = max(0, int(max_memory_bytes) - 200 * 2**20)
    return int((spare / BYTES_PER_SYNAPSE) ** 0.5)


def simulate_brian2(couplings, archetypes, beta, n_sweeps=50, *, n_measure=None, p_update=0.1,
                    init="random", seed=0, target="numpy", progress=False, max_memory_bytes=None,
                    record_cost=False) -> SimulationResult:
    """Run the network in Brian2; returns a SimulationResult (m per sweep, time-averaged m, seed).

    Before building, the memory of the dense synapses is estimated and a network
    that does not fit (:func:`check_fits`) is refused with a ValueError.

    Parameters
    ----------
    couplings : LowRankCouplings
        The network's couplings (N neurons; Brian2 holds them dense, N^2 synapses).
    archetypes : numpy.ndarray
        (K, N) in {-1, 0, +1}: the patterns whose overlaps m are recorded.
    beta : float
        Inverse temperature (> 0, finite).
    n_sweeps : int, default 50
        Sweeps of 1/p_update update steps each; m is recorded once per sweep.
    n_measure : int, optional
        Last sweeps averaged into ``m_mean`` (default: half of them).
    p_update : float, default 0.1
        Probability that a neuron updates at a step, in (0, 1].
    init : str, default "random"
        Initial state (see :func:`evlearn.hebbian.glauber.initial_state`).
    seed : int or None, default 0
        Seed of the initial state and Brian2's random numbers.
    target : str, default "numpy"
        Brian2's code-generation target ("numpy" or "cython").
    progress : bool, default False
        Show a progress bar while the network runs.
    max_memory_bytes : int, optional
        Memory the synapses may use (default: what is available).
    record_cost : bool, default False
        Also record the Hamiltonian per neuron after every sweep.

    Returns
    -------
    evlearn.hebbian.glauber.SimulationResult

    Examples
    --------
    >>> from evlearn.hebbian import patterns
    >>> from evlearn.hebbian.brian import simulate_brian2
    >>> from evlearn.hebbian.couplings import hebbian_couplings
    >>> xi = patterns.make_archetypes(N=100, K=2, d=0.5, rng=0)
    >>> J = hebbian_couplings("archetypes", d=0.5, archetypes=xi)
    >>> simulate_brian2(J, xi, beta=10.0, n_sweeps=4).m_trace.shape
    (5, 2)
    """
    import_brian2()
    from brian2 import Network, StateMonitor, ms, second, seed as brian_seed

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
    if xi.ndim != 2 or xi.shape[1] != couplings.n_neurons:
        raise ValueError(f"archetypes must have shape (K, {couplings.n_neurons})")
    check_fits(couplings.n_neurons, max_memory_bytes)
    steps_per_sweep = max(1, int(round(1.0 / p_update)))
    rng = np.random.default_rng(seed)
    sigma0 = initial_state(init, xi, rng)
    J = couplings.dense()
    dt_update = 1 * ms  # one Monte Carlo step: a time unit, not a physiological constant
    with codegen_target(target):
        brian_seed(int(rng.integers(2**31 - 1)))
        units = make_units(xi.shape[1], beta, p_update, dt_update)
        synapses = make_hebbian_synapses(units, J)
        del J
        units.s = sigma0.astype(float)
        monitor = StateMonitor(units, "s", record=True, dt=steps_per_sweep * dt_update, when="end")
        net = Network(units, synapses, monitor)
        bar = progress_bar(None, progress, total=n_sweeps, desc="Brian2 sweeps")
        done = [0]

        def report(elapsed, completed, start, duration):
            sweeps = int(round(float(completed) * n_sweeps))
            bar.update(sweeps - done[0])
            done[0] = sweeps

        net.run(n_sweeps * steps_per_sweep * dt_update, namespace={}, report=report if progress else None,
                report_period=1 * second)
        bar.close()
    states = np.asarray(monitor.s)  # (N, n_records)
    snapshots = [sigma0] + [states[:, t] for t in range(states.shape[1])]
    trace = np.vstack([mattis_magnetisations(xi, s) for s in snapshots])
    cost = np.array([hamiltonian_per_neuron(couplings, s) for s in snapshots]) if record_cost else None
    return SimulationResult(trace, trace[-n_measure:].mean(axis=0), snapshots[-1].astype(np.int8), seed, cost)
