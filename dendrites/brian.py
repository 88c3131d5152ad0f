"""Brian2 model of neurons with active dendritic segments detecting SDR patterns.

After Ahmad & Hawkins, "How do neurons operate on sparse distributed
representations? A mathematical theory of sparsity, neurons and active
dendrites", arXiv:1601.00720 (2016), and the HTM neuron of Hawkins & Ahmad,
"Why neurons have thousands of synapses", Front. Neural Circuits 10:23 (2016).

The model, built from small factory functions so users can compose it:

* an input population of ``n`` cells (``SpikeGeneratorGroup``); presenting an SDR
  makes its ``a`` active cells spike once within ``spread`` (a short window);
* dendritic segments (one ``NeuronGroup`` row per segment): ``count`` is the
  number of synapses that received a spike within the last ``window``
  (each input spike adds 1 and, through a delayed second pathway, removes it
  again ``window`` later: an exact coincidence window). Reaching ``theta``
  co-active synapses is the NMDA-like non-linearity: the segment "spikes", which
  starts a plateau of length ``plateau_duration`` (the segment is refractory
  meanwhile);
* somata (leaky integrate-and-fire ``NeuronGroup``): a plateau on any of its
  segments depolarises the soma by ``plateau_depolarisation`` (the predictive
  state, below threshold on its own); a feed-forward drive (``TimedArray``) then
  makes every neuron fire, and predicted neurons cross threshold first.

A neuron "detects" a presented SDR when its first spike after feed-forward onset
comes within ``detect_latency`` (see :func:`first_spike_latencies`).

Everything is imported explicitly from brian2 and put into an explicit
``Network``; the code-generation target is set only for the duration of
:func:`run_network` (numpy by default, cython optional) and then restored.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, fields

import numpy as np
from brian2 import (
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    TimedArray,
    ms,
    mV,
    prefs,
    second,
)

__all__ = [
    "DendriteParams",
    "DendriticNetwork",
    "sdr_spike_times",
    "feedforward_gate",
    "make_input_group",
    "make_segments",
    "make_input_synapses",
    "make_somata",
    "make_segment_to_soma",
    "build_network",
    "run_network",
    "codegen_target",
    "first_spike_latencies",
]


def _quantity(value):
    """Dataclass default for a Brian2 quantity (quantities are unhashable, so use a factory)."""
    return field(default_factory=lambda: value)


@dataclass
class DendriteParams:
    """Timing and membrane constants (Brian2 quantities, units on every one)."""

    dt: object = _quantity(0.1 * ms)  # integration step
    period: object = _quantity(40 * ms)  # one SDR presentation
    spread: object = _quantity(1 * ms)  # active cells spike within [0, spread)
    window: object = _quantity(5 * ms)  # coincidence window of a segment
    plateau_duration: object = _quantity(30 * ms)  # NMDA plateau length
    tau_m: object = _quantity(5 * ms)  # somatic membrane time constant
    v_rest: object = _quantity(-70 * mV)
    v_threshold: object = _quantity(-50 * mV)
    v_reset: object = _quantity(-70 * mV)
    refractory: object = _quantity(2 * ms)
    plateau_depolarisation: object = _quantity(12 * mV)  # predictive state: below threshold alone
    ff_onset: object = _quantity(10 * ms)  # feed-forward drive after the SDR
    ff_duration: object = _quantity(15 * ms)
    ff_drive: object = _quantity(24 * mV)  # fires every neuron, predicted ones first
    detect_latency: object = _quantity(5 * ms)  # first spike within this => detected

    def as_dict(self) -> dict:
        """Plain strings with units, for JSON run records."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


@dataclass
class DendriticNetwork:
    """The Brian2 objects of one model, already added to ``network``."""

    network: Network
    inputs: SpikeGeneratorGroup
    segments: NeuronGroup
    input_synapses: Synapses
    somata: NeuronGroup
    segment_to_soma: Synapses
    soma_spikes: SpikeMonitor
    plateaus: SpikeMonitor
    voltages: StateMonitor | None
    params: DendriteParams
    presentations: int
    input_spikes: SpikeMonitor | None = None

    @property
    def duration(self):
        """Simulated time of all presentations (a Brian2 quantity: presentations x period)."""
        return self.presentations * self.params.period


# ------------------------------------------------------------------- inputs
def sdr_spike_times(patterns, params: DendriteParams, rng: np.random.Generator):
    """Spike indices and times presenting each row of ``patterns`` in turn.

    ``patterns`` is a sequence of arrays of active cell indices; presentation k
    starts at ``k * params.period`` and each active cell spikes once at a uniform
    random time in ``[0, spread)`` after it (on the ``dt`` grid, one spike per cell
    and step as SpikeGeneratorGroup requires).
    """
    dt = float(params.dt / second)
    period = float(params.period / second)
    steps = max(1, int(round(float(params.spread / params.dt))))
    indices, times = [], []
    for k, cells in enumerate(patterns):
        cells = np.asarray(cells, dtype=np.int64)
        offsets = rng.integers(0, steps, size=cells.size)
        indices.append(cells)
        times.append(np.round(k * period / dt) * dt + offsets * dt)
    if not indices:
        return np.zeros(0, np.int64), np.zeros(0) * second
    return np.concatenate(indices), np.concatenate(times) * second


def feedforward_gate(presentations: int, params: DendriteParams) -> TimedArray:
    """A 0/1 TimedArray: feed-forward drive on from ff_onset for ff_duration in each period."""
    step = params.dt
    per_period = int(round(float(params.period / step)))
    on = int(round(float(params.ff_onset / step)))
    off = on + int(round(float(params.ff_duration / step)))
    one = np.zeros(per_period)
    one[on:off] = 1.0
    return TimedArray(np.tile(one, presentations + 1), dt=step, name="ff_gate")


def make_input_group(n: int, indices, times, dt=0.1 * ms, name: str = "sdr_input") -> SpikeGeneratorGroup:
    """The input population: ``n`` cells spiking at ``(indices, times)`` (times on the ``dt`` grid)."""
    return SpikeGeneratorGroup(n, indices, times, dt=dt, name=name)


# ----------------------------------------------------------------- segments
def make_segments(theta, segment_neuron, params: DendriteParams, name: str = "segments") -> NeuronGroup:
    """One row per dendritic segment; an event ("spike") when >= theta synapses are co-active.

    ``theta`` (scalar or one value per segment) is the NMDA threshold;
    ``segment_neuron[k]`` the soma segment k belongs to (kept for analysis).
    """
    segment_neuron = np.asarray(segment_neuron, dtype=np.int64)
    group = NeuronGroup(
        segment_neuron.size,
        """
        count : 1                  # synapses with a spike within the coincidence window
        theta : 1 (constant)       # NMDA threshold
        neuron : integer (constant)
        """,
        threshold="count >= theta",
        refractory="plateau_duration",
        method="exact",
        namespace={"plateau_duration": params.plateau_duration},
        dt=params.dt,
        name=name,
    )
    group.theta = theta
    group.neuron = segment_neuron
    return group


def make_input_synapses(inputs, segments, synapse_cells, params: DendriteParams,
                        name: str = "input_synapses") -> Synapses:
    """Synapses from input cells onto segments; ``synapse_cells[k]`` lists segment k's cells.

    Pathway ``arrive`` adds one co-active synapse, pathway ``expire`` removes it
    ``window`` later, so ``count`` is exactly the number of inputs in the window.
    """
    synapse_cells = np.asarray(synapse_cells, dtype=np.int64)
    if synapse_cells.ndim != 2 or synapse_cells.shape[0] != len(segments):
        raise ValueError(f"synapse_cells must have one row per segment ({len(segments)}), got shape {synapse_cells.shape}")
    syn = Synapses(
        inputs, segments,
        on_pre={"arrive": "count_post += 1", "expire": "count_post -= 1"},
        delay={"expire": params.window},
        dt=params.dt,
        name=name,
    )
    post = np.repeat(np.arange(synapse_cells.shape[0]), synapse_cells.shape[1])
    syn.connect(i=synapse_cells.ravel(), j=post)
    return syn


# -------------------------------------------------------------------- somata
def make_somata(n_neurons: int, ff_gate: TimedArray, params: DendriteParams, name: str = "somata") -> NeuronGroup:
    """Leaky integrate-and-fire somata, depolarised while any segment is in a plateau."""
    group = NeuronGroup(
        n_neurons,
        """
        dv/dt = (v_rest - v + plateau_depolarisation * int(t < plateau_until)
                 + ff_drive * ff_gate(t)) / tau_m : volt (unless refractory)
        plateau_until : second     # end of the latest dendritic plateau
        """,
        threshold="v > v_threshold",
        reset="v = v_reset",
        refractory="refractory_period",
        method="euler",
        namespace={
            "v_rest": params.v_rest, "v_threshold": params.v_threshold, "v_reset": params.v_reset,
            "tau_m": params.tau_m, "plateau_depolarisation": params.plateau_depolarisation,
            "ff_drive": params.ff_drive, "ff_gate": ff_gate, "refractory_period": params.refractory,
        },
        dt=params.dt,
        name=name,
    )
    group.v = params.v_rest
    group.plateau_until = -1 * second
    return group


def make_segment_to_soma(segments, somata, params: DendriteParams, name: str = "segment_to_soma") -> Synapses:
    """A segment's NMDA spike holds its soma in the predictive state for the plateau."""
    syn = Synapses(
        segments, somata,
        on_pre="plateau_until_post = t + plateau_duration",
        namespace={"plateau_duration": params.plateau_duration},
        dt=params.dt,
        name=name,
    )
    syn.connect(i=np.arange(len(segments)), j=np.asarray(segments.neuron[:], dtype=np.int64))
    return syn


# ------------------------------------------------------------------- network
def build_network(n: int, synapse_cells, segment_neuron, theta, patterns, params: DendriteParams | None = None,
                  seed: int = 0, record_voltage=None, record_inputs: bool = False,
                  target: str = "numpy") -> DendriticNetwork:
    """Assemble inputs, segments, somata and monitors into an explicit ``Network``.

    ``synapse_cells``: (segments, s) input cells per segment; ``segment_neuron``:
    owner soma of each segment; ``theta``: threshold (scalar or per segment);
    ``patterns``: the SDRs to present, in order; ``record_voltage``: soma indices
    whose membrane potential to record (or None); ``record_inputs``: also monitor
    the input spikes; ``target``: code generation for the construction (synapse
    creation and initial values run now, under Brian2's global target otherwise,
    which compiles Cython wherever a compiler is present).
    """
    with codegen_target(target):
        return _build_network(n, synapse_cells, segment_neuron, theta, patterns, params, seed, record_voltage,
                              record_inputs)


def _build_network(n, synapse_cells, segment_neuron, theta, patterns, params, seed, record_voltage,
                   record_inputs) -> DendriticNetwork:
    params = params or DendriteParams()
    segment_neuron = np.asarray(segment_neuron, dtype=np.int64)
    if segment_neuron.ndim != 1 or segment_neuron.size == 0 or segment_neuron.min() < 0:
        raise ValueError("segment_neuron must be a non-empty 1-D array of soma indices >= 0")
    patterns = list(patterns)
    for k, cells in enumerate(patterns):
        cells = np.asarray(cells)
        if cells.size and (cells.min() < 0 or cells.max() >= n or np.unique(cells).size != cells.size):
            raise ValueError(f"pattern {k} must list distinct cells in 0..{n - 1}")
    rng = np.random.default_rng(seed)
    indices, times = sdr_spike_times(patterns, params, rng)
    inputs = make_input_group(n, indices, times, dt=params.dt)
    segments = make_segments(theta, segment_neuron, params)
    input_synapses = make_input_synapses(inputs, segments, synapse_cells, params)
    somata = make_somata(int(segment_neuron.max()) + 1, feedforward_gate(len(patterns), params), params)
    segment_to_soma = make_segment_to_soma(segments, somata, params)
    soma_spikes = SpikeMonitor(somata, name="soma_spikes")
    plateaus = SpikeMonitor(segments, name="plateaus")
    objects = [inputs, segments, input_synapses, somata, segment_to_soma, soma_spikes, plateaus]
    voltages = None
    if record_voltage is not None:
        voltages = StateMonitor(somata, ["v"], record=record_voltage, dt=params.dt, name="soma_voltage")
        objects.append(voltages)
    input_spikes = None
    if record_inputs:
        input_spikes = SpikeMonitor(inputs, name="input_spikes")
        objects.append(input_spikes)
    network = Network(*objects)
    return DendriticNetwork(network, inputs, segments, input_synapses, somata, segment_to_soma,
                            soma_spikes, plateaus, voltages, params, len(patterns), input_spikes)


@contextlib.contextmanager
def codegen_target(target: str = "numpy"):
    """Set ``prefs.codegen.target`` inside the block only, then restore the previous value."""
    if target not in ("numpy", "cython"):
        raise ValueError(f"codegen target must be 'numpy' or 'cython', got {target!r}")
    previous = prefs.codegen.target
    prefs.codegen.target = target
    try:
        yield
    finally:
        prefs.codegen.target = previous


def run_network(model: DendriticNetwork, target: str = "numpy") -> DendriticNetwork:
    """Run all presentations with the given code-generation target; returns ``model``."""
    with codegen_target(target):
        model.network.run(model.duration, namespace={})
    return model


# ------------------------------------------------------------------- read-out
def first_spike_latencies(model: DendriticNetwork) -> np.ndarray:
    """(presentations, neurons) latency of each soma's first spike after feed-forward onset.

    In seconds; ``inf`` where a soma did not fire during that presentation's drive.
    """
    p = model.params
    period, onset = float(p.period / second), float(p.ff_onset / second)
    n_neurons = len(model.somata)
    latency = np.full((model.presentations, n_neurons), np.inf)
    spike_i = np.asarray(model.soma_spikes.i[:], dtype=np.int64)
    spike_t = np.asarray(model.soma_spikes.t[:] / second)
    k = np.floor(spike_t / period + 1e-9).astype(np.int64)
    rel = spike_t - k * period - onset
    keep = (rel >= -1e-9) & (k < model.presentations)
    for kk, ii, rr in zip(k[keep], spike_i[keep], rel[keep]):
        if rr < latency[kk, ii]:
            latency[kk, ii] = rr
    return latency


def detections(model: DendriticNetwork) -> np.ndarray:
    """(presentations, neurons) bool: first spike within ``detect_latency`` of feed-forward onset."""
    return first_spike_latencies(model) < float(model.params.detect_latency / second)


def plateau_matrix(model: DendriticNetwork) -> np.ndarray:
    """(presentations, segments) bool: the segment started a plateau during that presentation."""
    period = float(model.params.period / second)
    out = np.zeros((model.presentations, len(model.segments)), dtype=bool)
    t = np.asarray(model.plateaus.t[:] / second)
    k = np.floor(t / period + 1e-9).astype(np.int64)
    ok = k < model.presentations
    out[k[ok], np.asarray(model.plateaus.i[:], dtype=np.int64)[ok]] = True
    return out
