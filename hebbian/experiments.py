"""Experiments: one network run, Monte Carlo tasks, and the sweeps behind each claim figure.

Every Monte Carlo point is a ``MonteCarloTask``: a NetworkConfig (with its own
seed, derived from the run seed and the point's labels by ``task_seed``) plus
labels. ``run_monte_carlo(task)`` is a pure function of the task, so a sweep is
a list of tasks that runs serially or on any number of workers
(``executor=``, an ``evlearn.parallel.Executor``) with the same results.

Sweeps return flat dict rows (one per theory or simulation value) that
figures.py plots and writes as CSV unchanged. Simulations start from a cue of
archetype 1 (its sign on its support, random elsewhere) unless an ansatz state
is asked for; the theory is solved from the matching start. Archetypes 2..K
are unlabelled by the cue, so their magnetisations are ``|m|`` sorted in
decreasing order.
"""
from __future__ import annotations

import dataclasses
import math
import time
import zlib

import numpy as np

from evlearn.progress import progress_bar

from . import snr, theory
from .config import NetworkConfig
from .couplings import DEFAULT_CONVENTION
from .glauber import simulate
from .patterns import dataset_entropy, make_archetypes, make_examples


def ordered(m) -> np.ndarray:
    """``|m_1|`` (the cued archetype) followed by the other ``|m_k|`` in decreasing order."""
    a = np.abs(np.asarray(m, dtype=np.float64))
    return np.r_[a[:1], np.sort(a[1:])[::-1]]


def build_network(cfg: NetworkConfig):
    """Archetypes, examples (or None) and low-rank couplings for ``cfg``."""
    from .couplings import hebbian_couplings

    rng = np.random.default_rng(cfg.seed)
    xi = make_archetypes(cfg.N, cfg.K, cfg.d, rng)
    examples = None if cfg.protocol == "archetypes" else make_examples(xi, cfg.M, cfg.r, rng)
    couplings = hebbian_couplings(cfg.protocol, d=cfg.d, archetypes=xi, examples=examples, r=cfg.r,
                                  convention=cfg.convention)
    return xi, examples, couplings


def theory_for(cfg: NetworkConfig) -> theory.TheoryState:
    """The low-load theory of ``cfg``, solved from a pure cue of archetype 1."""
    if cfg.protocol == "archetypes":
        return theory.solve(cfg.beta, cfg.K, cfg.d, init="pure", convention=cfg.convention)
    return theory.solve(cfg.beta, cfg.K, cfg.d, cfg.r, cfg.M, init="pure", convention=cfg.convention)


def _simulate(cfg: NetworkConfig, couplings, xi, init, *, progress=False, record_cost=False):
    if cfg.backend == "numba":
        return simulate(couplings, xi, cfg.beta, cfg.n_sweeps, n_measure=cfg.n_measure, init=init,
                        seed=cfg.seed + 1, progress=progress, record_cost=record_cost)
    from .brian import simulate_brian2

    return simulate_brian2(couplings, xi, cfg.beta, cfg.n_sweeps, n_measure=cfg.n_measure, p_update=cfg.p_update,
                           init=init, seed=cfg.seed + 1, progress=progress, record_cost=record_cost)


def run_network(cfg: NetworkConfig, *, progress=False) -> dict:
    """Simulate one network (numba or Brian2) and solve its theory; returns a result dict."""
    if cfg.backend == "brian2":
        from .brian import check_fits

        check_fits(cfg.N)  # refuse before building anything
    xi, _, couplings = build_network(cfg)
    start = time.perf_counter()
    result = _simulate(cfg, couplings, xi, cfg.init, progress=progress)
    seconds = time.perf_counter() - start
    th = theory_for(cfg)
    rho = 0.0 if cfg.protocol == "archetypes" else dataset_entropy(cfg.M, cfg.r)
    return {
        "rho": rho,
        "m_simulation": result.m_mean,
        "m_simulation_ordered": ordered(result.m_mean),
        "m_theory": ordered(th.m),
        "theory_converged": th.converged,
        "regime_theory": theory.classify(th.m),
        "simulation_seconds": seconds,
        "m_trace": result.m_trace,
    }


# ----------------------------------------------------------------------------- tasks

def task_seed(run_seed, *labels) -> int:
    """A seed for one task from the run seed and the task's labels (not its position or worker)."""
    key = zlib.crc32(repr(labels).encode())
    return int(np.random.SeedSequence([int(run_seed), key]).generate_state(1)[0] % (2**31 - 2))


@dataclasses.dataclass(frozen=True)
class MonteCarloTask:
    """One simulated network. ``start``: 'cue' (config.init) or an SNR ansatz name ('hierarchical', 'parallel')."""

    config: NetworkConfig
    labels: tuple = ()
    start: str = "cue"
    record_cost: bool = False


def run_monte_carlo(task: MonteCarloTask) -> dict:
    """Simulate ``task.config``; returns labels, seed, m (ordered for a cue, by index for an ansatz), traces."""
    cfg = task.config
    xi, _, couplings = build_network(cfg)
    out = {"labels": dict(task.labels), "backend": cfg.backend, "seed": cfg.seed}
    if task.start == "cue":
        init = cfg.init
    else:
        init = snr.ansatz_state(xi, task.start, np.random.default_rng(cfg.seed + 2))
        out["unstable_fraction"] = snr.measured_unstable_fraction(couplings, xi, init, task.start)
    result = _simulate(cfg, couplings, xi, init, record_cost=task.record_cost)
    out["m"] = ordered(result.m_mean) if task.start == "cue" else np.abs(result.m_mean)
    out["m_trace"] = result.m_trace
    out["cost_trace"] = result.cost_trace
    out["blank_fraction"] = (xi == 0).mean(axis=1)
    return out


def map_tasks(fn, tasks, *, executor=None, progress=False, desc=None) -> list:
    """``[fn(t) for t in tasks]`` in order, here or on ``executor`` (an evlearn.parallel.Executor)."""
    if executor is None:
        return [fn(task) for task in progress_bar(tasks, progress, desc=desc, total=len(tasks))]
    return executor.map(fn, tasks, progress=progress, desc=desc)


def simulation_rows(results) -> list[dict]:
    """One row per (result, k): kind = backend, labels, seed, k, m."""
    return [{"kind": res["backend"], **res["labels"], "seed": res["seed"], "k": k, "m": float(v)}
            for res in results for k, v in enumerate(res["m"], start=1)]


def _theory_rows(state, extra, kind="theory", spread=None):
    """Rows of one theory solution; ``spread``: finite-N standard deviations (same order as state.m)."""
    order = np.r_[0, 1 + np.argsort(-np.abs(state.m[1:]))]
    sd = np.full(len(order), np.nan) if spread is None else np.asarray(spread)[order]
    return [{"kind": kind, **extra, "k": k, "m": float(v), "regime": theory.classify(state.m),
             "finite_size_sd": float(e)} for k, (v, e) in enumerate(zip(ordered(state.m), sd), start=1)]


def _spread(state, beta, dist, N):
    return None if math.isinf(beta) else theory.finite_size_spread(state, beta, dist, N)


@dataclasses.dataclass(frozen=True)
class Sampling:
    """How each Monte Carlo point is simulated: sizes, sweeps, replicas and the run seed."""

    N: int = 20_000
    n_seeds: int = 4
    n_sweeps: int = 200
    n_measure: int = 100
    N_brian: int = 500  # Brian2 holds N^2 dense synapses (brian.check_fits)
    n_sweeps_brian: int = 30
    n_measure_brian: int = 15
    seed: int = 0
    convention: str = DEFAULT_CONVENTION

    def tasks(self, part, base: NetworkConfig, labels: dict, *, brian=False, start="cue", record_cost=False):
        """Replica tasks of one point (numba: n_seeds at N; Brian2: one at N_brian)."""
        if brian:
            size = dict(N=self.N_brian, n_sweeps=self.n_sweeps_brian, n_measure=self.n_measure_brian,
                        backend="brian2")
            replicas = (0,)
        else:
            size = dict(N=self.N, n_sweeps=self.n_sweeps, n_measure=self.n_measure, backend="numba")
            replicas = range(self.n_seeds)
        items = tuple(sorted(labels.items()))
        return [MonteCarloTask(dataclasses.replace(base, convention=self.convention, **size,
                                                   seed=task_seed(self.seed, part, size["backend"], items, rep)),
                               items, start, record_cost)
                for rep in replicas]


# ----------------------------------------------------------------------------- claim sweeps

def dilution_sweep(sampling: Sampling, *, part, K, T, d_theory, d_sim, d_brian=(), executor=None,
                   progress=False) -> list[dict]:
    """m_k vs dilution at temperature T, stored archetypes: theory (cue) + power law + Monte Carlo."""
    beta = 1.0 / T
    rows = []
    for d in d_theory:
        dist = theory.site_distribution(K, float(d), convention=sampling.convention)
        state = theory.solve(beta, K, float(d), init="pure", dist=dist)
        rows += _theory_rows(state, {"d": float(d), "T": T}, spread=_spread(state, beta, dist, sampling.N))
        for k, v in enumerate(theory.hierarchical_amplitudes(K, float(d)), start=1):
            rows.append({"kind": "power_law", "d": float(d), "T": T, "k": k, "m": float(v)})
    tasks = []
    for d, brian in [(d, False) for d in d_sim] + [(d, True) for d in d_brian]:
        base = NetworkConfig(N=1000, K=K, d=float(d), protocol="archetypes", beta=beta, init="archetype")
        tasks += sampling.tasks(part, base, {"d": float(d), "T": T}, brian=brian)
    rows += simulation_rows(map_tasks(run_monte_carlo, tasks, executor=executor, progress=progress, desc=part))
    return rows


def learning_sweep(sampling: Sampling, *, K, d, T, M_values: dict, protocols=("supervised", "unsupervised"),
                   brian_points=(), rho_theory=np.geomspace(0.02, 4.0, 40), executor=None,
                   progress=False) -> list[dict]:
    """m_k vs rho = (1 - r^2)/(M r^2): theory (large-M limit and exact finite M) + Monte Carlo per protocol.

    ``M_values``: {r: (M, ...)} simulated; ``brian_points``: ((r, M, protocol), ...) run in Brian2.
    """
    beta = 1.0 / T
    rows = []
    for rho in rho_theory:
        dist = theory.gaussian_site_distribution(K, d, float(rho), convention=sampling.convention)
        state = theory.solve(beta, K, d, init="pure", dist=dist)
        rows += _theory_rows(state, {"r": float("nan"), "M": float("nan"), "rho": float(rho), "protocol": "theory"},
                             kind="theory", spread=_spread(state, beta, dist, sampling.N))
    for r, Ms in M_values.items():
        for M in Ms:
            dist = theory.site_distribution(K, d, r, int(M), convention=sampling.convention)
            state = theory.solve(beta, K, d, init="pure", dist=dist)
            rows += _theory_rows(state, {"r": r, "M": int(M), "rho": dataset_entropy(int(M), r), "protocol": "theory"},
                                 kind="theory_exact_M", spread=_spread(state, beta, dist, sampling.N))
    points = [(r, int(M), p, False) for r, Ms in M_values.items() for M in Ms for p in protocols]
    points += [(r, int(M), p, True) for r, M, p in brian_points]
    tasks = []
    for r, M, protocol, brian in points:
        base = NetworkConfig(N=1000, K=K, d=d, r=r, M=M, protocol=protocol, beta=beta, init="archetype")
        tasks += sampling.tasks("learning", base, {"r": r, "M": M, "rho": dataset_entropy(M, r),
                                                   "protocol": protocol}, brian=brian)
    rows += simulation_rows(map_tasks(run_monte_carlo, tasks, executor=executor, progress=progress, desc="learning"))
    return rows


def learning_thresholds(rows, *, fraction=0.9) -> list[dict]:
    """rho at which m_1 falls to ``fraction`` of its rho -> 0 value (OUR definition), per r and protocol.

    Interpolated linearly in log(rho) between the grid points on either side;
    theory from the large-M line, simulations from the mean over seeds (numba).
    """
    theory_line = sorted((r["rho"], r["m"]) for r in rows if r["kind"] == "theory" and r["k"] == 1)
    target = fraction * theory_line[0][1]
    curves = {("theory", "large-M"): theory_line}
    groups = {}
    for row in rows:
        if row["kind"] == "numba" and row["k"] == 1:
            groups.setdefault((row["protocol"], row["r"]), {}).setdefault(row["rho"], []).append(row["m"])
    for key, points in groups.items():
        curves[key] = sorted((rho, float(np.mean(v))) for rho, v in points.items())
    out = []
    for (protocol, r), curve in sorted(curves.items(), key=lambda item: str(item[0])):
        rho_c = None
        for (x0, y0), (x1, y1) in zip(curve, curve[1:]):
            if (y0 - target) * (y1 - target) <= 0 and y0 != y1:
                rho_c = float(np.exp(np.log(x0) + (target - y0) / (y1 - y0) * (np.log(x1) - np.log(x0))))
                break
        out.append({"protocol": protocol, "r": r, "fraction": fraction, "m1_target": target,
                    "rho_threshold": rho_c, "rho_range": [curve[0][0], curve[-1][0]]})
    return out


def cost_sweep(sampling: Sampling, *, K, states, brian=True, executor=None,
               progress=False) -> tuple[list[dict], list[dict]]:
    """Hamiltonian per neuron and sum-squared-error loss after every sweep, for each (d, T) in ``states``.

    Returns (trace rows, theory rows). The loss is snr.sum_squared_error of the
    Mattis magnetisations; the theory gives both at the fixed point reached from the cue.
    """
    tasks = []
    for d, T in states:
        base = NetworkConfig(N=1000, K=K, d=d, protocol="archetypes", beta=1.0 / T, init="archetype")
        for in_brian in (False, True)[:1 + bool(brian)]:
            tasks += sampling.tasks("cost", base, {"d": d, "T": T}, brian=in_brian, record_cost=True)
    results = map_tasks(run_monte_carlo, tasks, executor=executor, progress=progress, desc="cost")
    rows = []
    for res in results:
        loss = snr.sum_squared_error(res["m_trace"], res["blank_fraction"])
        for sweep, (cost, value) in enumerate(zip(res["cost_trace"], loss)):
            rows.append({"kind": res["backend"], **res["labels"], "seed": res["seed"], "sweep": sweep,
                         "cost": float(cost), "loss": float(value)})
    theory_rows = []
    for d, T in states:
        dist = theory.site_distribution(K, d, convention=sampling.convention)
        state = theory.solve(1.0 / T, K, d, init="pure", dist=dist)
        theory_rows.append({"kind": "theory", "d": d, "T": T, "regime": theory.classify(state.m),
                            "cost": snr.theory_cost(state, dist),
                            "loss": float(snr.sum_squared_error(state.m[None, :], np.full(K, d))[0])})
    return rows, theory_rows


def snr_sweep(sampling: Sampling, *, K, d_values, rho_values, r=0.5, d_sim=(), d_brian=(), T_brian=0.01,
              executor=None, progress=False) -> list[dict]:
    """Signal-to-noise estimate at T = 0 of the hierarchical and parallel ansatz states vs d, beside
    the self-consistency solution reached from each ansatz, and Monte Carlo from the ansatz."""
    examples = {rho: None if rho == 0 else snr.examples_for(rho, r) for rho in rho_values}
    rho_values = [0.0 if M is None else dataset_entropy(M, r) for M in examples.values()]  # exact for that M
    rows = []
    for rho in rho_values:
        for ansatz in snr.ANSATZ:
            for d in d_values:
                rows.append({"kind": "theory", "rho": rho, "ansatz": ansatz, "d": float(d),
                             **snr.snr_row(K, float(d), rho, ansatz, convention=sampling.convention)})
    tasks = []
    for rho, M in zip(rho_values, examples.values()):
        for ansatz in snr.ANSATZ:
            for d, brian in [(d, False) for d in d_sim] + [(d, True) for d in d_brian]:
                beta = 1.0 / T_brian if brian else math.inf
                base = NetworkConfig(N=1000, K=K, d=float(d), r=r, M=M or 1, beta=beta,
                                     protocol="archetypes" if M is None else "supervised")
                tasks += sampling.tasks("snr", base, {"rho": rho, "ansatz": ansatz, "d": float(d)}, brian=brian,
                                        start=ansatz)
    for res in map_tasks(run_monte_carlo, tasks, executor=executor, progress=progress, desc="snr"):
        row = {"kind": res["backend"], **res["labels"], "seed": res["seed"],
               "unstable_fraction": res["unstable_fraction"]}
        row.update({f"m_{k}": float(v) for k, v in enumerate(res["m"], start=1)})
        rows.append(row)
    return rows
