"""The paper's main figures: exact theory lines with Monte Carlo and Brian2 points.

After Ahmad & Hawkins, arXiv:1601.00720 (2016) and the parameter choices of
Numenta's htmresearch/projects/sdr_paper scripts. Each ``figure_*`` function
returns ``(matplotlib figure, rows)``; :func:`make_all_figures` writes every
figure as PNG, its data as CSV, the published-number checks and one
``summary.json`` run record (seed, config, versions) through ``evlearn.io``.

Simulation points are drawn only where the probability is measurable with the
given number of trials (expected count >= 10), each with its exact 99%
Clopper-Pearson interval.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from evlearn.dendrites import montecarlo as mc
from evlearn.dendrites import theory
from evlearn.io import run_record, save_figure, write_csv, write_json
from evlearn.progress import progress_bar

__all__ = ["FiguresConfig", "figure_effect_of_n", "figure_effect_of_s_theta", "figure_noise", "figure_union",
           "figure_brian", "make_all_figures"]

FIGURES = ("effect_of_n", "effect_of_s_theta", "noise", "union", "brian")


@dataclass
class FiguresConfig:
    """What ``evlearn dendrites figures`` computes."""

    seed: int = 0
    trials: int = 100_000          # Monte Carlo trials per point (union: half)
    level: float = 0.99            # confidence level of every interval
    brian: bool = True             # run the Brian2 pattern-detection sweep
    quick: bool = False            # small sizes (tests, smoke runs)

    @classmethod
    def quick_config(cls, seed: int = 0) -> "FiguresConfig":
        """A small configuration (5,000 Monte Carlo trials, short simulations) for smoke tests."""
        return cls(seed=seed, trials=5_000, quick=True)

    def validate(self) -> "FiguresConfig":
        """Check every field (raises ValueError naming it); called before anything is written."""
        from evlearn.validation import check_number

        check_number(self.seed, "seed", low=0, high=2**32 - 100, integer=True)  # Brian2 runs use seed + 1, + 2
        check_number(self.trials, "trials", low=1, high=10**9, integer=True)
        check_number(self.level, "level", low=0.0, high=1.0, low_open=True, high_open=True)
        for name in ("brian", "quick"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        return self


# ----------------------------------------------------------------- plotting
def _new_figure(ncols=1, width=5.6, height=4.2):
    from matplotlib.figure import Figure  # not pyplot: no global backend or figure registry touched

    fig = Figure(figsize=(width * ncols, height))
    axes = fig.subplots(1, ncols, squeeze=False)
    return fig, list(axes[0])


def _plot_points(ax, xs, results, color, label=None, complement=False, marker="o", upper_bounds=False):
    """Simulation rates with CI error bars (``complement``: plot 1 - rate)."""
    if not results:
        return
    rate = np.array([r.rate for r in results])
    low = np.array([r.low for r in results])
    high = np.array([r.high for r in results])
    if complement:
        rate, low, high = 1 - rate, 1 - high, 1 - low
    xs = np.asarray(xs)
    ok = rate > 0
    ax.errorbar(xs[ok], rate[ok], yerr=np.vstack([rate[ok] - low[ok], high[ok] - rate[ok]]), fmt=marker,
                color=color, ms=4, capsize=2, lw=1, label=label)
    if upper_bounds and (~ok).any():      # no hits: show the upper confidence bound
        ax.plot(xs[~ok], high[~ok], "v", color=color, ms=5, mfc="none")


def _colors(k):
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    return [cmap(x) for x in np.linspace(0.0, 0.85, k)]


class SimulationRuns:
    """Monte Carlo points of the figures as independent tasks for an executor (plan, run, replay).

    A figure built with a plan-mode ``SimulationRuns`` records each simulation
    call (function, parameters, its own seed) instead of running it; ``run``
    computes them all on the executor; building the figure again replays the
    results in the same order. Seeds are fixed by the plan, so results do not
    depend on the number of workers.
    """

    def __init__(self):
        self.calls: list = []
        self._results = None

    def __call__(self, simulate, **kwargs):
        if self._results is None:
            self.calls.append((simulate, kwargs))
            return mc.MonteCarloResult(0, kwargs["trials"], kwargs["level"], 0.0, 1.0)   # placeholder
        return next(self._results)

    def run(self, executor, progress: bool = False) -> None:
        """Run every queued simulation on ``executor`` (an :class:`evlearn.parallel.Executor`); results are read in queue order."""
        self._results = iter(executor.map(_simulate, self.calls, progress=progress, desc="Monte Carlo"))


def _simulate(call):
    simulate, kwargs = call
    return simulate(**kwargs)


class _Points:
    """Collect simulated points beside theory; run a simulation only where measurable."""

    def __init__(self, cfg: FiguresConfig, figure: str, runs: SimulationRuns | None = None):
        self.cfg, self.figure, self.rows, self.seed = cfg, figure, [], cfg.seed * 100_003 + zlib.crc32(figure.encode()) % 9973
        self.runs = runs

    def measurable(self, p: float, trials=None) -> bool:
        return min(p, 1 - p) * (trials or self.cfg.trials) >= 10

    def simulate(self, simulate, expected, complement=False, trials=None, **params):
        """Run ``simulate(**params)``; record it beside ``expected`` (the theory)."""
        self.seed += 1
        trials = trials or self.cfg.trials
        kwargs = dict(**params, trials=trials, seed=self.seed % 2**32, level=self.cfg.level)
        result = simulate(**kwargs) if self.runs is None else self.runs(simulate, **kwargs)
        rate, low, high = result.rate, result.low, result.high
        if complement:
            rate, low, high = 1 - rate, 1 - high, 1 - low
        self.rows.append({"figure": self.figure, **params, "source": "monte_carlo", "theory": expected,
                          "rate": rate, "ci_low": low, "ci_high": high, "trials": result.trials,
                          "seed": self.seed % 2**32, "inside_ci": bool(low <= expected <= high)})
        return result

    def theory_row(self, expected, **params):
        self.rows.append({"figure": self.figure, **params, "source": "theory", "theory": expected})


# ------------------------------------------------------------------ figures
def figure_effect_of_n(cfg: FiguresConfig, progress: bool = False, runs=None):
    """False match vs population size n for a = 64, 128, 256 and a = n/4 (s = 24, theta = 12)."""
    s, theta = 24, 12
    pts = _Points(cfg, "effect_of_n", runs)
    fig, (ax,) = _new_figure()
    n_line = np.unique(np.r_[np.linspace(300, 20000, 120).astype(int), 1000])
    n_sim = [300, 400, 500, 600, 800, 1000, 1300, 1600, 2000, 3000, 4000, 6000, 9000, 14000, 20000]
    if cfg.quick:
        n_sim = [400, 1000, 4000]
    curves = [("a=64", lambda n: 64), ("a=128", lambda n: 128), ("a=256", lambda n: 256), ("a=n/4", lambda n: n // 4)]
    for (label, a_of), color in zip(progress_bar(curves, progress, desc="effect of n"), _colors(len(curves))):
        ns = [n for n in n_line if a_of(n) <= n]
        p = [theory.false_match_probability(int(n), a_of(n), s, theta) for n in ns]
        ax.semilogy(ns, p, "-", color=color, label=f"{label} theory")
        for n, pp in zip(ns, p):
            pts.theory_row(pp, n=int(n), a=a_of(n), s=s, theta=theta)
        sims, xs = [], []
        for n in n_sim:
            a = a_of(n)
            if a > n or (label == "a=n/4" and n > 6000):   # O(a) per trial: keep the run short
                continue
            expected = theory.false_match_probability(n, a, s, theta)
            if pts.measurable(expected):
                sims.append(pts.simulate(mc.simulate_false_match, expected, n=n, a=a, s=s, theta=theta))
                xs.append(n)
        _plot_points(ax, xs, sims, color)
    ax.set(xlabel="population size n", ylabel="P(false match)", ylim=(1e-26, 2),
           title=f"Effect of n (s={s}, θ={theta}); points: Monte Carlo, {cfg.level:.0%} CI")
    ax.legend(fontsize=8)
    return fig, pts.rows


def figure_effect_of_s_theta(cfg: FiguresConfig, progress: bool = False, runs=None):
    """(a) false match vs s with theta = s/2; (b) false match and noise misses vs theta, with the chooser."""
    pts = _Points(cfg, "effect_of_s_theta", runs)
    fig, (ax_s, ax_t) = _new_figure(2)
    s_values = list(range(2, 31, 2))
    curves = [(2000, 32), (4000, 32), (16000, 512), (16000, 4000)]
    for (n, a), color in zip(progress_bar(curves, progress, desc="effect of s"), _colors(len(curves))):
        p = [theory.false_match_probability(n, a, s, s // 2) for s in s_values]
        ax_s.semilogy(s_values, p, "-", color=color, label=f"n={n}, a={a}")
        sims, xs = [], []
        for s, pp in zip(s_values, p):
            pts.theory_row(pp, panel="s", n=n, a=a, s=s, theta=s // 2)
            cheap = a < 1000 or s in (2, 6, 10, 20, 30)      # a trial costs O(a)
            if pts.measurable(pp) and cheap and (not cfg.quick or s <= 6):
                sims.append(pts.simulate(mc.simulate_false_match, pp, n=n, a=a, s=s, theta=s // 2))
                xs.append(s)
        _plot_points(ax_s, xs, sims, color)
    ax_s.set(xlabel="synapses per segment s (θ = s/2)", ylabel="P(false match)", title="Effect of s")
    ax_s.legend(fontsize=8)

    n, a, s = 2000, 64, 24
    thetas = np.arange(1, s + 1)
    fm = [theory.false_match_probability(n, a, s, int(t)) for t in thetas]
    ax_t.semilogy(thetas, fm, "-", color="k", label="false match (random SDR)")
    sims, xs = [], []
    for t, pp in zip(thetas, fm):
        pts.theory_row(pp, panel="theta", measure="false_match", n=n, a=a, s=s, theta=int(t))
        if pts.measurable(pp):
            sims.append(pts.simulate(mc.simulate_false_match, pp, n=n, a=a, s=s, theta=int(t)))
            xs.append(int(t))
    _plot_points(ax_t, xs, sims, "k")
    for noise, color in zip((0.3, 0.5), ("tab:orange", "tab:red")):
        fn = [theory.noise_false_negative_probability(a, s, int(t), noise) for t in thetas]
        ax_t.semilogy(thetas, fn, "--", color=color, label=f"miss at noise {noise:.0%}")
        sims, xs = [], []
        for t, pp in zip(thetas, fn):
            pts.theory_row(pp, panel="theta", measure="false_negative", n=n, a=a, s=s, theta=int(t), noise=noise)
            if pts.measurable(pp) and (not cfg.quick or t % 4 == 0):
                sims.append(pts.simulate(mc.simulate_noise_match, pp, complement=True, n=n, a=a, s=s,
                                         theta=int(t), noise=noise))
                xs.append(int(t))
        _plot_points(ax_t, xs, sims, color, complement=True, marker="s")
        best = theory.choose_threshold(n, a, s, noise)
        ax_t.axvline(best.theta, color=color, lw=0.8, ls=":")
        pts.rows.append({"figure": "effect_of_s_theta", "panel": "theta", "measure": "chosen_theta", "n": n, "a": a,
                         "s": s, "noise": noise, "theta": best.theta, "source": "theory",
                         "theory": best.total_error})
    ax_t.set(xlabel="NMDA threshold θ", ylabel="probability", ylim=(1e-30, 2),
             title=f"Effect of θ (n={n}, a={a}, s={s}); dotted: chosen θ")
    ax_t.legend(fontsize=8)
    return fig, pts.rows


def figure_noise(cfg: FiguresConfig, progress: bool = False, runs=None):
    """Probability of missing a stored pattern vs noise (a=128, s=30, theta = 8, 12, 16)."""
    pts = _Points(cfg, "noise", runs)
    fig, (ax,) = _new_figure()
    n, a, s = 2048, 128, 30
    noise_line = np.arange(0, int(0.95 * a) + 1) / a          # every possible number of replaced cells
    noise_sim = np.round(np.arange(0.05, 0.96, 0.05), 2) if not cfg.quick else [0.5, 0.7]
    thetas = (8, 12, 16)
    for theta, color in zip(progress_bar(thetas, progress, desc="noise"), _colors(len(thetas))):
        fn = [theory.noise_false_negative_probability(a, s, theta, float(x)) for x in noise_line]
        ax.semilogy(noise_line, fn, "-", color=color, label=f"θ={theta} theory")
        for x, pp in zip(noise_line, fn):
            pts.theory_row(pp, n=n, a=a, s=s, theta=theta, noise=float(x))
        sims, xs = [], []
        for x in noise_sim:
            pp = theory.noise_false_negative_probability(a, s, theta, float(x))
            if pts.measurable(pp):
                sims.append(pts.simulate(mc.simulate_noise_match, pp, complement=True, n=n, a=a, s=s, theta=theta,
                                         noise=float(x)))
                xs.append(float(x))
        _plot_points(ax, xs, sims, color, complement=True)
    ax.set(xlabel="noise (fraction of active cells replaced)", ylabel="P(stored pattern missed)", ylim=(1e-20, 2),
           title=f"Robustness to noise (a={a}, s={s})")
    ax.legend(fontsize=8)
    return fig, pts.rows


def figure_union(cfg: FiguresConfig, progress: bool = False, runs=None):
    """Union property: false match of one segment storing M patterns (a=200, s=25, theta=15)."""
    pts = _Points(cfg, "union", runs)
    fig, (ax,) = _new_figure()
    a, s, theta = 200, 25, 15
    m_values = list(range(1, 21)) if not cfg.quick else [1, 2, 4]
    populations = (1000, 10000, 20000)
    for n, color in zip(progress_bar(populations, progress, desc="union"), _colors(len(populations))):
        exact = [theory.union_false_match_probability(n, a, s, theta, m) for m in m_values]
        approx = [theory.union_false_match_probability_expected_size(n, a, s, theta, m) for m in m_values]
        ax.semilogy(m_values, exact, "-", color=color, label=f"n={n} exact")
        ax.semilogy(m_values, approx, ":", color=color, lw=1.2, label=f"n={n} expected-size approx.")
        sims, xs = [], []
        for m, pe, pa in zip(m_values, exact, approx):
            pts.theory_row(pe, n=n, a=a, s=s, theta=theta, patterns=m, approximation=pa)
            trials = max(1, cfg.trials // 2)    # a trial stores M patterns: O(M a)
            if pts.measurable(pe, trials) and (not cfg.quick or m <= 2):
                sims.append(pts.simulate(mc.simulate_union_false_match, pe, trials=trials, n=n, a=a, s=s,
                                         theta=theta, patterns=m))
                xs.append(m)
        _plot_points(ax, xs, sims, color)
    ax.set(xlabel="patterns stored on the segment M", ylabel="P(false match)", ylim=(1e-26, 2),
           title=f"Union property (a={a}, s={s} per pattern, θ={theta})")
    ax.legend(fontsize=7)
    return fig, pts.rows


def brian_configs(cfg: FiguresConfig):
    """The Brian2 runs: a theta x noise sweep, then the same design at other n and a."""
    from evlearn.dendrites.experiments import PatternDetectionConfig

    if cfg.quick:
        return [PatternDetectionConfig(n=400, a=20, s=10, thetas=(2, 5), fp_neurons=8, bank=2, replicas=2,
                                       noise_levels=(0.0, 0.6), random_presentations=4, seed=cfg.seed)]
    base = PatternDetectionConfig(seed=cfg.seed, replicas=8)
    sweep = dict(thetas=(2, 3, 4, 6), noise_levels=(0.0, 0.5, 0.7), bank=4)
    return [
        base,
        replace(base, n=2000, seed=cfg.seed + 1, **sweep),
        replace(base, a=80, seed=cfg.seed + 2, **sweep),
    ]


def figure_brian(cfg: FiguresConfig, progress: bool = False, executor=None):
    """Brian2 detector: false positives vs theta (several n, a) and detection vs noise, with theory.

    With a parallel ``executor`` each run (its own seed) is one task.
    """
    from evlearn.dendrites.experiments import run_pattern_detection

    if executor is None or executor.is_serial:
        results = [run_pattern_detection(c, progress=progress) for c in brian_configs(cfg)]
    else:
        results = executor.map(run_pattern_detection, brian_configs(cfg), progress=progress, desc="Brian2",
                               preimport=("brian2",))
    fig, (ax_fp, ax_det) = _new_figure(2)
    for res, color in zip(results, _colors(len(results))):
        c = res.config
        th = [r["theta"] for r in res.false_positive]
        grid = np.arange(min(th), max(th) + 1)
        ax_fp.semilogy(grid, [theory.neuron_false_match_probability(c["n"], c["a"], c["s"], int(t), c["segments"])
                              for t in grid], "-", color=color, label=f"n={c['n']}, a={c['a']} theory")
        _plot_points(ax_fp, th, [_as_result(r) for r in res.false_positive], color, upper_bounds=True)
    ax_fp.set_ylim(1e-5, 2)
    ax_fp.set(xlabel="NMDA threshold θ (▽: no hits, upper CI bound)", ylabel="P(neuron fires early for a random SDR)",
              title=f"Brian2 false positives (s={results[0].config['s']}, "
                    f"{results[0].config['segments']} segments); {cfg.level:.0%} CI")
    ax_fp.legend(fontsize=7)

    main = results[0]
    c = main.config
    thetas = sorted({r["theta"] for r in main.detection})
    noise_grid = np.arange(0, int(max(c["noise_levels"]) * c["a"]) + 1) / c["a"]
    for theta, color in zip(thetas, _colors(len(thetas))):
        rows = [r for r in main.detection if r["theta"] == theta]
        ax_det.plot(noise_grid, [theory.neuron_detection_probability(c["n"], c["a"], c["s"], theta, c["segments"],
                                                                     float(x)) for x in noise_grid],
                    "-", color=color, label=f"θ={theta}")
        ax_det.errorbar([r["noise"] for r in rows], [r["rate"] for r in rows],
                        yerr=np.array([[r["rate"] - r["ci_low"] for r in rows], [r["ci_high"] - r["rate"] for r in rows]]),
                        fmt="o", color=color, ms=4, capsize=2, lw=1)
    ax_det.set(xlabel="noise (fraction of pattern cells replaced)", ylabel="P(stored pattern detected)",
               title=f"Brian2 detection (n={c['n']}, a={c['a']}, s={c['s']})", ylim=(-0.03, 1.03))
    ax_det.legend(fontsize=7, title="lines: theory")
    rows = [row for res in results for row in res.rows()]
    return fig, rows, results


def _as_result(row):
    return mc.MonteCarloResult(row["hits"], row["trials"], 0.0, row["ci_low"], row["ci_high"])


# ------------------------------------------------------- threshold medians
# Median false-match rate per theta printed in Numenta's plot_optimal_threshold.py
# (the paper's "optimal threshold" figure), for comparison only.
PUBLISHED_THRESHOLD_MEDIANS = {
    3: 0.018156949, 4: 0.002227752, 5: 0.000210173, 6: 1.58e-05, 7: 9.60e-07, 8: 4.83e-08, 9: 2.04e-09,
    10: 7.40e-11, 11: 2.49e-12, 12: 7.63e-14, 13: 2.05e-15, 14: 4.88e-17, 15: 1.03e-18, 16: 1.95e-20,
    17: 3.28e-22, 18: 4.90e-24, 19: 5.32e-26, 20: 4.11e-28,
}


def threshold_median_table() -> list[dict]:
    """Median false match per theta over the grid of compute_optimal_threshold.py.

    n in 1000, 5000, ..., 17000; sparsity 0.5%..3% in 0.5% steps (a = round(sparsity * n));
    s in 20, 25, ..., 50; thetas 3..20 (theta <= s always holds there).
    """
    rows = []
    for theta, published in PUBLISHED_THRESHOLD_MEDIANS.items():
        values = [theory.false_match_probability(n, int(np.floor(sp * n + 0.5)), s, theta)
                  for n in range(1000, 21000, 4000) for sp in np.arange(1, 7) * 0.005 for s in range(20, 51, 5)]
        median = float(np.median(values))
        rows.append({"theta": theta, "grid_points": len(values), "median": median, "published_median": published,
                     "ratio_published_over_ours": published / median})
    return rows


# --------------------------------------------------------------------- all
def make_all_figures(out, cfg: FiguresConfig | None = None, progress: bool = False, executor=None) -> dict:
    """Write every figure (PNG), its data (CSV), the paper checks and summary.json into ``out``.

    ``executor`` (:class:`evlearn.parallel.Executor`): run the Monte Carlo
    points and the Brian2 runs as parallel tasks; the results equal a serial run's.
    """
    cfg = (cfg or FiguresConfig()).validate()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"figures": {}, "timings_s": {}}
    builders = [("effect_of_n", figure_effect_of_n), ("effect_of_s_theta", figure_effect_of_s_theta),
                ("noise", figure_noise), ("union", figure_union)]
    all_mc = []
    runs = None
    if executor is not None and not executor.is_serial:
        runs = SimulationRuns()
        for _, build in builders:          # plan: the same calls, in the same order, as the real pass
            build(cfg, False, runs)
        runs.run(executor, progress)
    for name, build in builders:
        start = time.perf_counter()
        fig, rows = build(cfg, progress, runs)
        save_figure(fig, out / f"{name}.png")
        write_csv(out / f"{name}.csv", rows)
        sims = [r for r in rows if r["source"] == "monte_carlo"]
        all_mc += sims
        summary["figures"][name] = {"png": f"{name}.png", "csv": f"{name}.csv", "simulated_points": len(sims),
                                    "inside_ci": sum(r["inside_ci"] for r in sims)}
        summary["timings_s"][name] = round(time.perf_counter() - start, 2)
    summary["montecarlo"] = {"points": len(all_mc), "inside_ci": sum(r["inside_ci"] for r in all_mc),
                             "level": cfg.level, "trials_per_point": cfg.trials,
                             "outside": [{k: v for k, v in r.items()} for r in all_mc if not r["inside_ci"]]}
    if cfg.brian:
        start = time.perf_counter()
        fig, rows, results = figure_brian(cfg, progress, executor)
        save_figure(fig, out / "brian.png")
        write_csv(out / "brian.csv", rows)
        summary["figures"]["brian"] = {"png": "brian.png", "csv": "brian.csv"}
        summary["brian"] = [{"config": r.config, "params": r.params, "simulated_seconds": r.simulated_seconds,
                             "conditions": len(r.false_positive) + len(r.detection),
                             "fraction_inside_ci": r.fraction_inside_ci, "latency_ms": r.latency_ms}
                            for r in results]
        summary["timings_s"]["brian"] = round(time.perf_counter() - start, 2)
    checks = theory.paper_checks()
    write_csv(out / "paper_checks.csv", checks)
    summary["paper_checks"] = checks
    medians = threshold_median_table()
    write_csv(out / "threshold_medians.csv", medians)
    summary["threshold_medians"] = medians
    record = run_record(asdict(cfg), cfg.seed, **summary)
    write_json(out / "summary.json", record)
    return record
