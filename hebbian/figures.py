"""Figures of the abstract's claims: theory lines + Monte Carlo (numba, Brian2), PNG + CSV + JSON.

``make_figures(out)`` is what ``evlearn hebbian figures --out DIR`` runs. Each
part (``PARTS``) writes its figure(s) and the CSV of every plotted value; one
JSON record (summary.json, or summary_<parts>.json for a partial run) keeps
seed, versions, the convention, parameters, timings and the measured agreement
between theory and simulation.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from evlearn.io import run_record, save_figure, write_csv, write_json

from . import experiments as E
from . import regimes as R
from . import snr
from .couplings import DEFAULT_CONVENTION, check_convention

COLOURS = ("C0", "C1", "C2", "C3", "C4")
BAND_CAP = 0.1  # largest finite-N standard deviation drawn (it diverges at the transitions)
REGIME_COLOURS = {"paramagnetic": "#dddddd", "pure": "#8fb8de", "hierarchical": "#f4a259", "parallel": "#6fbf73",
                  "mixture": "#b48ead"}


@dataclass(frozen=True)
class FiguresConfig:
    """Sizes and grids of every figure. Temperatures are in the units of ``convention``."""

    sampling: E.Sampling = E.Sampling()
    K: int = 3
    T_hierarchical: float = 0.02
    d_hierarchical_sim: tuple = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
    d_hierarchical_brian: tuple = (0.2, 0.4)
    T_parallel: float = 0.1
    d_parallel_sim: tuple = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    d_parallel_brian: tuple = (0.3, 0.8)
    d_theory_step: float = 0.01
    phase_T: tuple = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    phase_d: tuple = R.D_VALUES
    regimes_K: tuple = R.K_VALUES
    regimes_T: tuple = R.T_VALUES
    regimes_d: tuple = R.D_VALUES
    max_iter: int = 20_000  # of the damped fixed-point iteration (slow only next to a transition)
    learning_K: int = 2
    learning_d: float = 0.4
    learning_T: float = 0.05
    learning_M: tuple = ((0.3, (8, 16, 32, 64, 128)), (0.5, (4, 8, 16, 32)))
    learning_brian: tuple = ((0.5, 8, "supervised"), (0.5, 8, "unsupervised"))
    cost_states: tuple = ((0.3, 0.02), (0.8, 0.1))
    cost_brian: bool = True
    snr_rho: tuple = (0.0, 0.2)
    snr_r: float = 0.5
    snr_d_sim: tuple = (0.2, 0.4, 0.6, 0.7, 0.8, 0.9)
    snr_d_brian: tuple = (0.4, 0.8)
    snr_n_sweeps: int = 50
    quick: bool = False

    @classmethod
    def quick_config(cls, convention=DEFAULT_CONVENTION):
        """Tiny sizes and grids (seconds; for tests)."""
        sampling = E.Sampling(N=2000, n_seeds=2, n_sweeps=40, n_measure=20, N_brian=150, n_sweeps_brian=6,
                              n_measure_brian=3, convention=convention)
        return cls(sampling=sampling, d_hierarchical_sim=(0.2, 0.5), d_hierarchical_brian=(0.3,),
                   d_parallel_sim=(0.3, 0.8), d_parallel_brian=(), d_theory_step=0.1,
                   phase_T=(0.05, 0.1, 0.5), phase_d=(0.0, 0.4, 0.8), regimes_K=(2, 3), regimes_d=(0.0, 0.4, 0.8),
                   max_iter=2000,
                   learning_M=((0.5, (4, 16)),), learning_brian=((0.5, 4, "supervised"),),
                   cost_brian=False, snr_d_sim=(0.4, 0.8), snr_d_brian=(), snr_n_sweeps=5, quick=True)

    def with_convention(self, convention):
        """A copy of this configuration whose patterns follow ``convention`` (see :mod:`evlearn.hebbian.patterns`)."""
        check_convention(convention)
        return dataclasses.replace(self, sampling=dataclasses.replace(self.sampling, convention=convention))


def _subplots(nrows=1, ncols=1, **kwargs):
    """A new (figure, axes) without pyplot: no global backend or figure registry touched."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=kwargs.pop("figsize", None), layout=kwargs.pop("layout", None))
    return fig, fig.subplots(nrows, ncols, **kwargs)


def _stats(rows, kind, key, extra=()):
    """{(x, k): (mean, sd, n)} of simulated m over seeds."""
    groups = {}
    for r in rows:
        if r["kind"] == kind and all(r.get(a) == b for a, b in extra):
            groups.setdefault((r[key], r["k"]), []).append(r["m"])
    return {g: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, len(v)) for g, v in groups.items()}


def agreement(rows, key, *, theory_kind="theory", sim_filter=(), theory_filter=()) -> dict:
    """Theory vs numba (finite-size band: mean +- 2 sd over seeds, or 2 theory finite-N s.d. if larger)
    and vs Brian2 (absolute deviation), at each simulated point."""
    th = [r for r in rows if r["kind"] == theory_kind and all(r.get(a) == b for a, b in theory_filter)]
    out = {}
    for kind in ("numba", "brian2"):
        devs, inside = [], 0
        for (x, k), (mean, sd, _) in _stats(rows, kind, key, sim_filter).items():
            line = sorted((r[key], r["m"], r.get("finite_size_sd", np.nan)) for r in th if r["k"] == k)
            xs, ys, sds = (np.array(v, dtype=float) for v in zip(*line))
            value = float(np.interp(x, xs, ys))
            band = 2 * max(sd, np.nan_to_num(float(np.interp(x, xs, sds)), nan=0.0))
            devs.append(abs(mean - value))
            inside += abs(mean - value) <= band
        if devs:
            out[kind] = {"points": len(devs), "max_abs_deviation": float(max(devs)),
                         "mean_abs_deviation": float(np.mean(devs))}
            if kind == "numba":
                out[kind]["within_finite_size_band"] = int(inside)
    return out


def _band(ax, x, theory_rows, colour):
    """Theory +- 2 finite-N standard deviations (finite_size_spread), clipped at 0."""
    m = np.array([r["m"] for r in theory_rows])
    sd = np.array([r.get("finite_size_sd", np.nan) for r in theory_rows], dtype=float)
    if np.all(np.isnan(sd)):
        return
    sd = np.where(np.isfinite(sd), np.minimum(sd, BAND_CAP), np.nan)  # linear response diverges at transitions
    ax.fill_between(x, np.maximum(m - 2 * sd, 1e-4), m + 2 * sd, color=colour, alpha=0.15, lw=0)


def _points(ax, rows, key, k, colour, extra=(), label_suffix=""):
    """numba mean +- sd over seeds (filled) and Brian2 (open squares) at each x."""
    for kind, fmt, mfc in (("numba", "o", colour), ("brian2", "s", "none")):
        stats = _stats(rows, kind, key, extra)
        xs = sorted(x for x, kk in stats if kk == k)
        if xs:
            ax.errorbar(xs, [stats[(x, k)][0] for x in xs], [stats[(x, k)][1] for x in xs], fmt=fmt, color=colour,
                        mfc=mfc, ms=4, capsize=2)


def _viridis(x):
    from matplotlib import colormaps

    return colormaps["viridis"](0.9 * x)


def _legend_markers(ax, N, N_brian):
    ax.plot([], [], "ko", ms=4, label=f"numba, N={N} (mean ± s.d. over seeds)")
    ax.plot([], [], "ks", mfc="none", ms=4, label=f"Brian2, N={N_brian}")


def _dilution_lines(ax, rows, K, colours=COLOURS):
    for k in range(1, K + 1):
        c = colours[(k - 1) % len(colours)]
        th = [r for r in rows if r["kind"] == "theory" and r["k"] == k]
        ax.plot([r["d"] for r in th], [r["m"] for r in th], color=c, label=f"theory $m_{k}$")
        _band(ax, [r["d"] for r in th], th, c)
        _points(ax, rows, "d", k, c)


def plot_hierarchical(rows, path, *, K, T, sampling, convention):
    """Plot the hierarchical regime: magnetisations against dilution with the power law (1-d) d^(k-1)."""
    fig, axes = _subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    _dilution_lines(ax, rows, K)
    for k in range(1, K + 1):
        pl = [r for r in rows if r["kind"] == "power_law" and r["k"] == k]
        ax.plot([r["d"] for r in pl], [r["m"] for r in pl], color=COLOURS[k - 1], ls=":", lw=1.2)
    ax.plot([], [], "k:", label="power law $(1-d)\\,d^{k-1}$")
    _legend_markers(ax, sampling.N, sampling.N_brian)
    ax.set(xscale="log", yscale="log", xlabel="dilution d", ylabel="$m_k$", ylim=(3e-3, 1.2),
           title=f"Hierarchical regime: K={K}, T={T:g} ({convention} convention)")
    ticks = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.legend(fontsize=7)
    ax = axes[1]
    stats = _stats(rows, "numba", "d")
    dilutions = sorted({x for x, _ in stats})
    for i, d in enumerate(dilutions):
        ks = np.arange(1, K + 1)
        c = _viridis(i / max(1, len(dilutions) - 1))
        ax.plot(ks, (1 - d) * d ** (ks - 1), ":", color=c)
        ax.errorbar(ks, [stats[(d, k)][0] for k in ks], [stats[(d, k)][1] for k in ks], fmt="o", color=c,
                    ms=4, label=f"d={d:g}")
    ax.set(yscale="log", xlabel="rank k of the archetype in the hierarchy", ylabel="$m_k$", xticks=range(1, K + 1),
           title="$m_k$ vs rank: straight lines = geometric (power of d)")
    ax.legend(fontsize=7)
    save_figure(fig, path)


def plot_parallel(rows, path, *, K, T, sampling, convention, onset):
    """Plot the hierarchical -> parallel -> paramagnetic crossover against dilution, with the theory's onset."""
    fig, ax = _subplots(figsize=(6.5, 4.2))
    _dilution_lines(ax, rows, K)
    _legend_markers(ax, sampling.N, sampling.N_brian)
    if onset is not None:
        ax.axvline(onset, color="grey", lw=0.8, ls="--", label=f"theory: parallel from d = {onset:g} (grid 0.05)")
    ax.set(xlabel="dilution d", ylabel="$m_k$", ylim=(-0.02, 1.05),
           title=f"Hierarchical -> parallel -> paramagnetic: K={K}, T={T:g} ({convention})")
    ax.legend(fontsize=7)
    save_figure(fig, path)


def plot_regime_grid(rows, path, *, title):
    """One panel per (K, start): regime colour at each (d, T); 'x' marks an unstable state."""
    Ks = sorted({r["K"] for r in rows})
    fig, axes = _subplots(len(Ks), len(R.STARTS), figsize=(4 * len(R.STARTS), 2.8 * len(Ks)), squeeze=False,
                             sharex=True, sharey=True)
    Ts = sorted({r["T"] for r in rows})
    for i, K in enumerate(Ks):
        for j, start in enumerate(R.STARTS):
            ax = axes[i][j]
            for r in (r for r in rows if r["K"] == K and r["start"] == start):
                y = Ts.index(r["T"])
                ax.add_patch(_rect(r["d"], y, REGIME_COLOURS[r["regime"]]))
                if not r["stable"]:
                    ax.plot(r["d"], y, "kx", ms=3)
            ax.set_title(f"K={K}, start: {start}", fontsize=9)
            ax.set_yticks(range(len(Ts)), [f"{t:g}" for t in Ts], fontsize=6)
            ax.set_xlim(-0.03, 0.98)
            ax.set_ylim(-0.5, len(Ts) - 0.5)
    for ax in axes[-1]:
        ax.set_xlabel("dilution d")
    for row in axes:
        row[0].set_ylabel("T")
    for name, colour in REGIME_COLOURS.items():
        axes[0][0].plot([], [], "s", color=colour, label=name)
    axes[0][0].plot([], [], "kx", label="unstable (largest eigenvalue >= 1)")
    axes[0][0].legend(fontsize=6, loc="lower left")
    fig.suptitle(title)
    save_figure(fig, path)


def _rect(d, y, colour):
    from matplotlib.patches import Rectangle

    return Rectangle((d - 0.025, y - 0.5), 0.05, 1.0, color=colour, lw=0)


def plot_learning(rows, thresholds, path, *, K, d, T, sampling, convention):
    """Plot magnetisations against rho (examples per archetype and their quality), with the learning thresholds."""
    fig, ax = _subplots(figsize=(7, 4.5))
    markers = {"supervised": "o", "unsupervised": "D"}
    rs = sorted({r["r"] for r in rows if r["kind"] == "numba"})
    for k in range(1, K + 1):
        c = COLOURS[k - 1]
        th = sorted((r["rho"], r["m"]) for r in rows if r["kind"] == "theory" and r["k"] == k)
        ax.plot(*zip(*th), color=c, label=f"theory (large M) $m_{k}$")
        ex = [(r["rho"], r["m"]) for r in rows if r["kind"] == "theory_exact_M" and r["k"] == k]
        ax.plot(*zip(*ex), "_", color=c, ms=8)
        for kind in ("numba", "brian2"):
            for protocol, marker in markers.items():
                for i, r in enumerate(rs):
                    stats = _stats(rows, kind, "rho", (("protocol", protocol), ("r", r)))
                    xs = sorted(x for x, kk in stats if kk == k)
                    if xs:
                        ax.errorbar(xs, [stats[(x, k)][0] for x in xs], [stats[(x, k)][1] for x in xs],
                                    fmt="s" if kind == "brian2" else marker, color=c, ms=5 if kind == "numba" else 7,
                                    mfc="none" if (protocol == "unsupervised" or kind == "brian2") else c,
                                    alpha=0.6 + 0.4 * i / max(1, len(rs) - 1), capsize=2)
    for t in thresholds:
        if t["rho_threshold"] is not None and t["protocol"] == "theory":
            ax.axvline(t["rho_threshold"], color="k", lw=0.8, ls="--",
                       label=f"threshold, theory: rho = {t['rho_threshold']:.3g} (our definition)")
    ax.plot([], [], "_", color="k", ms=8, label="theory, exact finite-M average")
    for protocol, marker in markers.items():
        ax.plot([], [], marker, color="k", mfc="none" if protocol == "unsupervised" else "k",
                label=f"numba {protocol}, N={sampling.N}, r in {rs}")
    ax.plot([], [], "ks", mfc="none", ms=7, label=f"Brian2, N={sampling.N_brian}")
    ax.set(xscale="log", xlabel="rho = (1 - r^2) / (M r^2)", ylabel="$m_k$",
           title=f"Learning from examples: K={K}, d={d:g}, T={T:g} ({convention})")
    ax.legend(fontsize=6)
    save_figure(fig, path)


def plot_cost(rows, theory_rows, path, *, K, sampling):
    """Plot the cost and loss of the simulated states (numba, Brian2) against the theory's, one row per (d, T)."""
    states = [(t["d"], t["T"]) for t in theory_rows]
    fig, axes = _subplots(len(states), 2, figsize=(10, 3.4 * len(states)), squeeze=False, layout="constrained")
    for i, (d, T) in enumerate(states):
        t = theory_rows[i]
        for j, quantity in enumerate(("cost", "loss")):
            ax = axes[i][j]
            for kind, colour in (("numba", "C0"), ("brian2", "C3")):
                sub = [r for r in rows if r["kind"] == kind and r["d"] == d and r["T"] == T]
                if not sub:
                    continue
                sweeps = sorted({r["sweep"] for r in sub})
                values = np.array([[r[quantity] for r in sub if r["sweep"] == s] for s in sweeps])
                mean, sd = values.mean(axis=1), values.std(axis=1)
                x = np.array(sweeps) + 1
                ax.plot(x, mean, color=colour, label=f"{kind}, N={sampling.N if kind == 'numba' else sampling.N_brian}")
                ax.fill_between(x, mean - sd, mean + sd, color=colour, alpha=0.2, lw=0)
            ax.axhline(t[quantity], color="k", ls="--", lw=0.8, label=f"theory fixed point ({t['regime']})")
            ax.set(xscale="log", xlabel="sweep + 1",
                   ylabel="H / N (cost)" if quantity == "cost" else "sum-squared error (loss)",
                   title=f"d={d:g}, T={T:g}: {'Hamiltonian' if quantity == 'cost' else 'loss'} along retrieval")
            ax.legend(fontsize=7)
    save_figure(fig, path)


def plot_snr(rows, path, *, K, sampling):
    """Plot the signal-to-noise stability of the ansatz states against dilution, one column per rho."""
    rhos = sorted({r["rho"] for r in rows})
    fig, axes = _subplots(2, len(rhos), figsize=(5.5 * len(rhos), 8), squeeze=False, layout="constrained")
    for j, rho in enumerate(rhos):
        ax = axes[0][j]
        for a, colour in zip(snr.ANSATZ, ("C1", "C2")):
            th = sorted((r["d"], r["unstable_fraction"]) for r in rows
                        if r["kind"] == "theory" and r["rho"] == rho and r["ansatz"] == a)
            ax.plot(*zip(*th), color=colour, label=f"SNR estimate, {a} ansatz")
            for kind, fmt in (("numba", "o"), ("brian2", "s")):
                pts = {}
                for r in rows:
                    if r["kind"] == kind and r["rho"] == rho and r["ansatz"] == a:
                        pts.setdefault(r["d"], []).append(r["unstable_fraction"])
                if pts:
                    xs = sorted(pts)
                    ax.errorbar(xs, [np.mean(pts[x]) for x in xs], [np.std(pts[x]) for x in xs], fmt=fmt,
                                color=colour, mfc="none" if kind == "brian2" else colour, ms=4, capsize=2)
        ax.plot([], [], "ko", ms=4, label=f"measured in numba networks, N={sampling.N}")
        ax.set(xlabel="dilution d", ylabel="fraction of spins against their field",
               title=f"rho = {rho:g}: local stability of the ansatz (T = 0)")
        ax.legend(fontsize=7)
        ax = axes[1][j]
        for a, ls in zip(snr.ANSATZ, ("-", "--")):
            th = sorted((r for r in rows if r["kind"] == "theory" and r["rho"] == rho and r["ansatz"] == a),
                        key=lambda r: r["d"])
            for k in range(1, K + 1):
                c = COLOURS[k - 1]
                ax.plot([r["d"] for r in th], [r[f"m_selfconsistent_{k}"] for r in th], ls, color=c, lw=1)
                for kind, fmt in (("numba", "o" if a == "hierarchical" else "^"), ("brian2", "s")):
                    pts = {}
                    for r in rows:
                        if r["kind"] == kind and r["rho"] == rho and r["ansatz"] == a:
                            pts.setdefault(r["d"], []).append(r[f"m_{k}"])
                    xs = sorted(pts)
                    if xs:
                        ax.plot(xs, [np.mean(pts[x]) for x in xs], fmt, color=c, ms=4,
                                mfc="none" if kind == "brian2" else c)
            unstable = [r["d"] for r in th if not r["snr_stable"]]
            if unstable and a == "hierarchical":
                ax.axvspan(min(unstable) - 0.025, max(unstable) + 0.025, color="C1", alpha=0.08,
                           label="hierarchical ansatz SNR-unstable (signal < 0 somewhere)")
        ax.plot([], [], "k-", label="self-consistency from hierarchical ansatz")
        ax.plot([], [], "k--", label="self-consistency from parallel ansatz")
        ax.plot([], [], "ko", ms=4, label="numba from hierarchical ansatz (T=0)")
        ax.plot([], [], "k^", ms=4, label="numba from parallel ansatz (T=0)")
        ax.plot([], [], "ks", mfc="none", ms=4, label=f"Brian2, N={sampling.N_brian}, T=0.01")
        ax.set(xlabel="dilution d", ylabel="$m_k$ (by archetype index)", title=f"rho = {rho:g}: relaxed amplitudes")
        ax.legend(fontsize=6)
    save_figure(fig, path)


# ----------------------------------------------------------------------------- parts

def _d_grid(lo, hi, step):
    return np.round(np.arange(lo, hi + 1e-9, step), 4)


def _hierarchical_part(cfg, out, executor, progress):
    s = cfg.sampling
    grid = _d_grid(0.02, 0.62, cfg.d_theory_step / 2 if not cfg.quick else 0.1)
    d_theory = np.unique(np.r_[grid, cfg.d_hierarchical_sim, cfg.d_hierarchical_brian])  # theory at every simulated d
    rows = E.dilution_sweep(s, part="hierarchical", K=cfg.K, T=cfg.T_hierarchical, d_theory=d_theory,
                            d_sim=cfg.d_hierarchical_sim, d_brian=cfg.d_hierarchical_brian, executor=executor,
                            progress=progress)
    write_csv(out / "claim1_hierarchical.csv", rows)
    plot_hierarchical(rows, out / "claim1_hierarchical.png", K=cfg.K, T=cfg.T_hierarchical, sampling=s,
                      convention=s.convention)
    slopes = _power_law_slopes(rows, cfg.K)
    return {"files": ["claim1_hierarchical"], "agreement": agreement(rows, "d"),
            "power_law_agreement": agreement(rows, "d", theory_kind="power_law"), "power_law_fit": slopes}


def _power_law_slopes(rows, K):
    """Least-squares slope of log(m_k / (1 - d)) vs log d from the numba means, against the power law's k - 1."""
    stats = _stats(rows, "numba", "d")
    out = {}
    for k in range(2, K + 1):
        ds = np.array(sorted(x for x, kk in stats if kk == k and stats[(x, k)][0] > 0))
        if len(ds) >= 2:
            y = np.log([stats[(d, k)][0] / (1 - d) for d in ds])
            out[f"k{k}"] = {"slope": float(np.polyfit(np.log(ds), y, 1)[0]), "power_law": k - 1}
    return out


def _parallel_part(cfg, out, executor, progress):
    s = cfg.sampling
    d_theory = np.unique(np.r_[_d_grid(0.0, 0.95, cfg.d_theory_step), cfg.d_parallel_sim, cfg.d_parallel_brian])
    rows = E.dilution_sweep(s, part="parallel", K=cfg.K, T=cfg.T_parallel, d_theory=d_theory,
                            d_sim=cfg.d_parallel_sim, d_brian=cfg.d_parallel_brian, executor=executor,
                            progress=progress)
    rows = [r for r in rows if r["kind"] != "power_law"]
    write_csv(out / "claim2_parallel.csv", rows)
    line = [{"K": cfg.K, "T": cfg.T_parallel, "start": "cue", "d": r["d"], "regime": r["regime"]}
            for r in rows if r["kind"] == "theory" and r["k"] == 1]
    grid = [r for r in line if abs(r["d"] / 0.05 - round(r["d"] / 0.05)) < 1e-9]
    onset = R.parallel_onset(grid, cfg.K, cfg.T_parallel)
    plot_parallel(rows, out / "claim2_parallel.png", K=cfg.K, T=cfg.T_parallel, sampling=s, convention=s.convention,
                  onset=onset)
    equal = _equal_amplitudes(rows, cfg.K)
    return {"files": ["claim2_parallel"], "agreement": agreement(rows, "d"), "parallel_onset_d": onset,
            "simulated_amplitude_spread": equal}


def _equal_amplitudes(rows, K):
    """Per simulated d: max_k - min_k of the numba mean amplitudes, and the theory regime there."""
    stats = _stats(rows, "numba", "d")
    regime = {r["d"]: r["regime"] for r in rows if r["kind"] == "theory" and r["k"] == 1}
    return {f"d={d:g}": {"spread": float(np.ptp([stats[(d, k)][0] for k in range(1, K + 1)])),
                         "theory_regime": regime.get(d)}
            for d in sorted({x for x, _ in stats})}


def _solve_grid(cfg, K_values, T_values, d_values, executor, progress, desc, max_iter=20_000):
    lines = R.regime_lines(K_values, T_values, d_values, convention=cfg.sampling.convention, max_iter=max_iter)
    return [row for rows in E.map_tasks(R.solve_line, lines, executor=executor, progress=progress, desc=desc)
            for row in rows]


def _regimes_part(cfg, out, executor, progress):
    rows = _solve_grid(cfg, cfg.regimes_K, cfg.regimes_T, cfg.regimes_d, executor, progress, "regimes",
                       max_iter=cfg.max_iter)
    columns = R.regime_columns(max(cfg.regimes_K))
    write_csv(out / "regimes.csv", [{key: r.get(key, "") for key in columns} for r in rows], fieldnames=columns)
    write_csv(out / "regimes_stability.csv", [{key: r[key] for key in ("K", "T", "d", "start", "regime",
                                                                      "largest_eigenvalue", "stable", "converged")}
                                              for r in rows])
    edges = R.boundaries(rows)
    write_csv(out / "regime_boundaries.csv", edges)
    onsets = {f"K={K},T={T:g}": R.parallel_onset(rows, K, T) for K in cfg.regimes_K for T in cfg.regimes_T}
    return {"files": ["regimes", "regimes_stability", "regime_boundaries"], "parallel_onset_from_cue": onsets,
            "unconverged_points": sum(not r["converged"] for r in rows)}


def _phase_part(cfg, out, executor, progress):
    rows = _solve_grid(cfg, cfg.regimes_K, cfg.phase_T, cfg.phase_d, executor, progress, "phase diagram",
                       max_iter=min(cfg.max_iter, 5000))
    write_csv(out / "phase_diagram.csv", rows)
    plot_regime_grid(rows, out / "phase_diagram.png",
                     title=f"Theory regimes in the (d, T) plane ({cfg.sampling.convention} convention)")
    return {"files": ["phase_diagram"], "phase_unconverged_points": sum(not r["converged"] for r in rows)}


def _learning_part(cfg, out, executor, progress):
    s = cfg.sampling
    rows = E.learning_sweep(s, K=cfg.learning_K, d=cfg.learning_d, T=cfg.learning_T, M_values=dict(cfg.learning_M),
                            brian_points=cfg.learning_brian,
                            rho_theory=np.geomspace(0.02, 4.0, 12 if cfg.quick else 40),
                            executor=executor, progress=progress)
    thresholds = E.learning_thresholds(rows)
    write_csv(out / "claim3_learning.csv", rows)
    write_csv(out / "claim3_thresholds.csv", [dict(t, rho_range=str(t["rho_range"])) for t in thresholds])
    plot_learning(rows, thresholds, out / "claim3_learning.png", K=cfg.learning_K, d=cfg.learning_d,
                  T=cfg.learning_T, sampling=s, convention=s.convention)
    return {"files": ["claim3_learning", "claim3_thresholds"], "agreement": {
        f"{p},r={r:g}": agreement(rows, "rho", theory_kind="theory_exact_M", sim_filter=(("protocol", p), ("r", r)),
                                  theory_filter=(("r", r),))
        for p in ("supervised", "unsupervised") for r, _ in cfg.learning_M}, "learning_thresholds": thresholds,
        "supervised_minus_unsupervised": _protocol_gap(rows)}


def _protocol_gap(rows):
    """Largest |supervised - unsupervised| of the numba means over the common (r, M, k) points."""
    means = {}
    for r in rows:
        if r["kind"] == "numba":
            means.setdefault((r["protocol"], r["r"], r["M"], r["k"]), []).append(r["m"])
    gaps = [abs(np.mean(v) - np.mean(means[("unsupervised",) + key[1:]]))
            for key, v in means.items() if key[0] == "supervised" and ("unsupervised",) + key[1:] in means]
    return float(max(gaps)) if gaps else None


def _cost_part(cfg, out, executor, progress):
    rows, theory_rows = E.cost_sweep(cfg.sampling, K=cfg.K, states=cfg.cost_states, brian=cfg.cost_brian,
                                     executor=executor, progress=progress)
    write_csv(out / "claim4_cost_loss.csv", rows)
    write_csv(out / "claim4_cost_loss_theory.csv", theory_rows)
    plot_cost(rows, theory_rows, out / "claim4_cost_loss.png", K=cfg.K, sampling=cfg.sampling)
    return {"files": ["claim4_cost_loss", "claim4_cost_loss_theory"], "cost_loss": _cost_summary(rows, theory_rows)}


def _cost_summary(rows, theory_rows):
    """Per state and backend: rank correlation of cost and loss along the mean trajectory, final values vs theory."""
    from scipy.stats import spearmanr

    out = {}
    for t in theory_rows:
        for kind in ("numba", "brian2"):
            sub = [r for r in rows if r["kind"] == kind and r["d"] == t["d"] and r["T"] == t["T"]]
            if not sub:
                continue
            sweeps = sorted({r["sweep"] for r in sub})
            cost = np.array([np.mean([r["cost"] for r in sub if r["sweep"] == s]) for s in sweeps])
            loss = np.array([np.mean([r["loss"] for r in sub if r["sweep"] == s]) for s in sweeps])
            out[f"d={t['d']:g},T={t['T']:g},{kind}"] = {
                "spearman_cost_loss": float(spearmanr(cost, loss).statistic),
                "final_cost": float(cost[-1]), "theory_cost": t["cost"],
                "final_loss": float(loss[-1]), "theory_loss": t["loss"]}
    return out


def _snr_part(cfg, out, executor, progress):
    s = dataclasses.replace(cfg.sampling, n_sweeps=cfg.snr_n_sweeps, n_measure=max(1, cfg.snr_n_sweeps // 5))
    rows = E.snr_sweep(s, K=cfg.K, d_values=_d_grid(0.05, 0.95, 0.05 if not cfg.quick else 0.3), rho_values=cfg.snr_rho,
                       r=cfg.snr_r, d_sim=cfg.snr_d_sim, d_brian=cfg.snr_d_brian, executor=executor,
                       progress=progress)
    write_csv(out / "claim5_snr.csv", rows)
    plot_snr(rows, out / "claim5_snr.png", K=cfg.K, sampling=s)
    return {"files": ["claim5_snr"], "snr_agreement": _snr_agreement(rows, cfg)}


def _snr_agreement(rows, cfg):
    """Measured (numba) vs estimated fraction of spins against their field, at each simulated point."""
    out = {}
    for rho in cfg.snr_rho:
        for a in snr.ANSATZ:
            est = {r["d"]: r["unstable_fraction"] for r in rows
                   if r["kind"] == "theory" and r["rho"] == rho and r["ansatz"] == a}
            sim = {}
            for r in rows:
                if r["kind"] == "numba" and r["rho"] == rho and r["ansatz"] == a:
                    sim.setdefault(r["d"], []).append(r["unstable_fraction"])
            devs = [abs(np.mean(v) - np.interp(d, sorted(est), [est[x] for x in sorted(est)])) for d, v in sim.items()]
            if devs:
                out[f"rho={rho:g},{a}"] = {"max_abs_deviation": float(max(devs)), "points": len(devs)}
    return out


# one entry per result; `evlearn hebbian figures --only NAME` runs just that one
PARTS = {"hierarchical": _hierarchical_part, "parallel": _parallel_part, "regimes": _regimes_part,
         "phase": _phase_part, "learning": _learning_part, "cost": _cost_part, "snr": _snr_part}


def make_figures(out, *, config: FiguresConfig | None = None, seed=0, progress=False, only=None,
                 executor=None) -> dict:
    """Run the parts (all, or those named in ``only``), write PNG + CSV per figure and a JSON record.

    Task seeds derive from ``seed`` and each point's labels, so the results do
    not depend on ``executor`` (None: in this process; or an evlearn.parallel.Executor).
    """
    cfg = config or FiguresConfig()
    cfg = dataclasses.replace(cfg, sampling=dataclasses.replace(cfg.sampling, seed=int(seed)))
    names = list(PARTS) if not only else list(dict.fromkeys(only))
    unknown = [n for n in names if n not in PARTS]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; choose from {sorted(PARTS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timings, files, results = {}, [], {}
    for name in names:
        start = time.perf_counter()
        part = PARTS[name](cfg, out, executor, progress)
        timings[name] = time.perf_counter() - start
        files += part.pop("files")
        results[name] = part
    summary = run_record(
        asdict(cfg), seed, convention=cfg.sampling.convention,
        paper="Agliari, Alessandrelli, Barra, Ricci-Tersenghi, J. Stat. Mech. (2023) 113401, arXiv:2308.04106",
        checked_against_paper_text="no (abstract only)",
        figures=names, files=files, timings_seconds=timings, results=results)
    record = "summary.json" if names == list(PARTS) else f"summary_{'+'.join(names)}.json"
    write_json(out / record, summary)
    summary["record"] = record
    return summary

