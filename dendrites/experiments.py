"""Pattern-detection experiment with the Brian2 dendrite model, compared with the theory.

After Ahmad & Hawkins, arXiv:1601.00720 (2016): neurons store random SDR
patterns on dendritic segments (one pattern per segment, s synapses sampling
it); random SDRs and noisy copies of stored patterns are presented; from the
soma spikes (first spike within ``detect_latency`` of the feed-forward drive)
we measure

* the false-positive rate: neurons that fire early for an SDR none of their
  segments stored, against ``theory.neuron_false_match_probability``;
* the detection rate of stored patterns at each noise level, against
  ``theory.neuron_detection_probability``.

Two neuron populations share one network so that every counted trial is an
independent Bernoulli trial with the theoretical probability (so binomial
confidence intervals are valid):

* false-positive neurons: each segment stores its own random pattern, never
  presented;
* detector neurons: pattern i of a small bank is stored on ``replicas`` neurons
  per threshold (each with its own random s-cell sample of it, plus
  ``segments - 1`` segments with private random patterns). Noise is drawn anew
  on every presentation, so repeated presentations are independent trials.

Every theta value gets its own neurons, so one simulation sweeps theta and
noise; separate runs sweep n and a.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from evlearn.dendrites import theory
from evlearn.dendrites.montecarlo import binomial_confidence_interval
from evlearn.progress import progress_bar
from evlearn.validation import check_number

__all__ = ["PatternDetectionConfig", "PatternDetectionResult", "design_experiment", "run_pattern_detection"]


@dataclass
class PatternDetectionConfig:
    """One pattern-detection run (sizes, thresholds, noise levels, seed)."""

    n: int = 1000                      # input population
    a: int = 40                        # active cells per SDR
    s: int = 16                        # synapses per segment
    segments: int = 3                  # segments per neuron
    thetas: tuple = (2, 3, 4, 6, 8, 12)
    fp_neurons: int = 30               # false-positive neurons per theta
    bank: int = 8                      # stored patterns presented (noisy)
    replicas: int = 4                  # detector neurons per pattern and theta
    noise_levels: tuple = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    random_presentations: int = 30     # fresh random SDRs
    seed: int = 0
    level: float = 0.99                # confidence level of the intervals
    codegen_target: str = "numpy"

    def validate(self) -> "PatternDetectionConfig":
        """Check every field (ValueError naming the bad one); returns self."""
        theory.check_sizes(self.n, self.a, self.s)
        if self.s > self.a:
            raise ValueError(f"s must be <= a (a segment samples one stored pattern), got s={self.s}, a={self.a}")
        for name in ("segments", "fp_neurons", "bank", "replicas"):
            check_number(getattr(self, name), name, low=1, integer=True)
        check_number(self.random_presentations, "random_presentations", low=0, integer=True)
        if not self.thetas:
            raise ValueError("thetas must list at least one threshold")
        for theta in self.thetas:
            check_number(theta, "theta", low=1, high=self.s, integer=True)
        for noise in self.noise_levels:
            check_number(noise, "noise level", low=0.0, high=1.0)
            if theory.replaced_cells(self.a, noise) > self.n - self.a:
                raise ValueError(f"noise {noise} replaces more cells than lie outside a pattern (n - a = {self.n - self.a})")
        check_number(self.seed, "seed", low=0, integer=True)
        return self


@dataclass
class ExperimentDesign:
    """Which segment samples which cells, which neuron has which role, what is presented."""

    synapse_cells: np.ndarray          # (segments total, s)
    segment_neuron: np.ndarray         # owner soma of each segment
    segment_theta: np.ndarray          # threshold of each segment
    neuron_theta: np.ndarray           # threshold of each soma
    neuron_pattern: np.ndarray         # bank pattern a detector stores, -1 for fp neurons
    presented: list = field(default_factory=list)      # SDRs (cell arrays) in order
    presented_pattern: np.ndarray = None               # bank index or -1 (random SDR)
    presented_noise: np.ndarray = None                 # noise fraction (nan for random)


def _random_sdr(rng, n, a):
    return np.sort(rng.choice(n, size=a, replace=False))


def _noisy(rng, pattern, n, noise):
    """Replace round(noise * a) cells of ``pattern`` by random cells outside it."""
    a = pattern.size
    v = theory.replaced_cells(a, noise)
    keep = rng.choice(pattern, size=a - v, replace=False)
    outside = np.setdiff1d(np.arange(n), pattern, assume_unique=True)
    return np.sort(np.concatenate([keep, rng.choice(outside, size=v, replace=False)]))


def design_experiment(config: PatternDetectionConfig) -> ExperimentDesign:
    """Draw patterns, segments and the presentation order for ``config`` (seeded)."""
    c = config.validate()
    rng = np.random.default_rng(c.seed)
    bank = [_random_sdr(rng, c.n, c.a) for _ in range(c.bank)]
    cells, seg_neuron, seg_theta, neuron_theta, neuron_pattern = [], [], [], [], []

    def add_neuron(theta, stored=-1):
        neuron = len(neuron_theta)
        neuron_theta.append(theta)
        neuron_pattern.append(stored)
        for k in range(c.segments):
            pattern = bank[stored] if (k == 0 and stored >= 0) else _random_sdr(rng, c.n, c.a)
            cells.append(rng.choice(pattern, size=c.s, replace=False))
            seg_neuron.append(neuron)
            seg_theta.append(theta)

    for theta in c.thetas:
        for _ in range(c.fp_neurons):
            add_neuron(theta)
        for i in range(c.bank):
            for _ in range(c.replicas):
                add_neuron(theta, i)

    presented, which, noises = [], [], []
    for noise in c.noise_levels:
        for i in range(c.bank):
            presented.append(_noisy(rng, bank[i], c.n, noise))
            which.append(i)
            noises.append(noise)
    for _ in range(c.random_presentations):
        presented.append(_random_sdr(rng, c.n, c.a))
        which.append(-1)
        noises.append(np.nan)
    order = rng.permutation(len(presented))   # interleave so slow drifts cannot bias one condition
    return ExperimentDesign(
        synapse_cells=np.asarray(cells, dtype=np.int64),
        segment_neuron=np.asarray(seg_neuron, dtype=np.int64),
        segment_theta=np.asarray(seg_theta, dtype=float),
        neuron_theta=np.asarray(neuron_theta, dtype=np.int64),
        neuron_pattern=np.asarray(neuron_pattern, dtype=np.int64),
        presented=[presented[k] for k in order],
        presented_pattern=np.asarray(which, dtype=np.int64)[order],
        presented_noise=np.asarray(noises, dtype=float)[order],
    )


@dataclass
class PatternDetectionResult:
    """Measured rates with confidence intervals beside the theory, one row per condition."""

    config: dict
    params: dict
    false_positive: list      # rows: theta, trials, hits, rate, ci_low, ci_high, theory, inside_ci
    detection: list           # rows: theta, noise, trials, hits, rate, ci_low, ci_high, theory, inside_ci
    latency_ms: dict          # median first-spike latency of detected / undetected neurons
    simulated_seconds: float

    def rows(self) -> list[dict]:
        """All rows for one CSV (``measure`` says which kind)."""
        base = {"n": self.config["n"], "a": self.config["a"], "s": self.config["s"], "segments": self.config["segments"]}
        out = [{"measure": "false_positive", **base, "noise": "", **r} for r in self.false_positive]
        out += [{"measure": "detection", **base, **r} for r in self.detection]
        return out

    @property
    def fraction_inside_ci(self) -> float:
        """Fraction of measured rates (false positives and detections) inside their theory's confidence interval."""
        rows = self.false_positive + self.detection
        return float(np.mean([r["inside_ci"] for r in rows]))


def _row(hits, trials, expected, level):
    low, high = binomial_confidence_interval(int(hits), int(trials), level)
    return {"trials": int(trials), "hits": int(hits), "rate": float(hits) / int(trials), "ci_low": low, "ci_high": high,
            "theory": expected, "inside_ci": bool(low <= expected <= high)}


def run_pattern_detection(config: PatternDetectionConfig | None = None, progress: bool = False,
                          params=None) -> PatternDetectionResult:
    """Build the Brian2 network for ``config``, run it and compare spike-based rates with theory."""
    from brian2 import second

    from evlearn.dendrites import brian as dbrian

    c = (config or PatternDetectionConfig()).validate()
    design = design_experiment(c)
    params = params or dbrian.DendriteParams()
    model = dbrian.build_network(c.n, design.synapse_cells, design.segment_neuron, design.segment_theta,
                                 design.presented, params=params, seed=c.seed,
                                 target=c.codegen_target)
    bar = progress_bar(total=len(design.presented), progress=progress, desc=f"Brian2 n={c.n} a={c.a}", unit="SDR")
    done = [0]

    def report(elapsed, completed, start, duration):
        now = int(round(float(completed) * len(design.presented)))
        bar.update(now - done[0])
        done[0] = now

    with dbrian.codegen_target(c.codegen_target):
        model.network.run(model.duration, namespace={}, report=report if progress else None,
                          report_period=2 * second)
    bar.close()

    latency = dbrian.first_spike_latencies(model)
    detected = latency < float(params.detect_latency / second)

    false_positive, detection = [], []
    fp_neuron = design.neuron_pattern < 0
    for theta in c.thetas:
        cols = fp_neuron & (design.neuron_theta == theta)
        hits = detected[:, cols].sum()
        trials = detected[:, cols].size
        expected = theory.neuron_false_match_probability(c.n, c.a, c.s, theta, c.segments)
        false_positive.append({"theta": theta, **_row(hits, trials, expected, c.level)})
        for noise in c.noise_levels:
            hits = trials = 0
            for k in np.flatnonzero(design.presented_noise == noise):
                owners = (design.neuron_pattern == design.presented_pattern[k]) & (design.neuron_theta == theta)
                hits += detected[k, owners].sum()
                trials += owners.sum()
            expected = theory.neuron_detection_probability(c.n, c.a, c.s, theta, c.segments, noise)
            detection.append({"theta": theta, "noise": noise, **_row(hits, trials, expected, c.level)})

    finite = np.isfinite(latency)
    latency_ms = {
        "detected_median": float(np.median(latency[detected]) * 1e3) if detected.any() else None,
        "undetected_median": float(np.median(latency[finite & ~detected]) * 1e3) if (finite & ~detected).any() else None,
        "silent_fraction": float(1 - finite.mean()),
    }
    return PatternDetectionResult(
        config=asdict(c), params=params.as_dict(), false_positive=false_positive, detection=detection,
        latency_ms=latency_ms, simulated_seconds=float(model.duration / second),
    )
