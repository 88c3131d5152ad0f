"""Figures of the multitasking Hebbian network: theory lines + simulation points, PNG + CSV + JSON.

``make_figures(out)`` is what ``evlearn hebbian figures --out DIR`` runs. Each
figure has a CSV of every plotted point and one JSON (``summary.json``) records
seed, versions, parameters, timings and theory-vs-simulation deviations.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from evlearn.io import run_record, save_figure, write_csv, write_json

from . import experiments as E
from . import theory

COLOURS = ("C0", "C1", "C2", "C3", "C4")
REGIME_CODES = {"paramagnetic": 0, "pure": 1, "hierarchical": 2, "parallel": 3}


@dataclass(frozen=True)
class FiguresConfig:
    N: int = 10_000
    N_temperature: int = 50_000  # near transitions soft modes fluctuate as 1/sqrt(N): use a larger net
    K: int = 3
    seeds: tuple = (0, 1)
    n_sweeps: int = 300
    n_measure: int = 100
    beta_low_T: float = 50.0
    dilutions_T: tuple = (0.5, 0.8)
    learning_K: int = 2
    learning_d: float = 0.4
    learning_beta: float = 10.0
    learning_r: tuple = (0.3, 0.5)
    learning_M: tuple = (1, 2, 4, 8, 16, 32, 64, 128)
    quick: bool = False

    @classmethod
    def quick_config(cls):
        return cls(N=1000, N_temperature=1000, seeds=(0,), n_sweeps=60, n_measure=20, learning_M=(2, 16), quick=True)


def _subplots(nrows=1, ncols=1, **kwargs):
    """A new (figure, axes) without pyplot: no global backend or figure registry touched."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=kwargs.pop("figsize", None))
    return fig, fig.subplots(nrows, ncols, **kwargs)


def _mean_by(rows, key):
    groups = {}
    for row in rows:
        groups.setdefault((row[key], row["k"]), []).append(row["m"])
    return {g: (float(np.mean(v)), float(np.std(v))) for g, v in groups.items()}


def _deviation(rows, key, extra=()):
    """Largest |simulation mean - theory| at the simulated points, per k."""
    def sel(kind):
        return [r for r in rows if r["kind"] == kind and all(r.get(a) == b for a, b in extra)]
    sim = _mean_by(sel("simulation"), key)
    th = {(r[key], r["k"]): r["m"] for r in sel("theory")}
    out = {}
    for (x, k), (mean, _) in sim.items():
        xs = np.array(sorted({t[0] for t in th if t[1] == k}))
        ys = np.array([th[(v, k)] for v in xs])
        out.setdefault(k, []).append(abs(mean - float(np.interp(x, xs, ys))))
    return {f"k{k}": float(max(v)) for k, v in sorted(out.items())}


def _band(ax, x, theory_rows, colour):
    """Theory +- 2 finite-N standard deviations (finite_size_spread), clipped at 0."""
    m = np.array([r["m"] for r in theory_rows])
    sd = np.array([r.get("finite_size_sd", np.nan) for r in theory_rows], dtype=float)
    if np.all(np.isnan(sd)):
        return
    sd = np.where(np.isfinite(sd), np.minimum(sd, 1.0), np.nan)
    ax.fill_between(x, np.maximum(m - 2 * sd, 0), m + 2 * sd, color=colour, alpha=0.15, lw=0)


def plot_dilution(rows, path):
    fig, ax = _subplots(figsize=(6, 4))
    T = rows[0]["T"]
    for k in sorted({r["k"] for r in rows}):
        c = COLOURS[(k - 1) % len(COLOURS)]
        th = [r for r in rows if r["kind"] == "theory" and r["k"] == k]
        ax.plot([r["d"] for r in th], [r["m"] for r in th], color=c, label=f"theory $m_{k}$")
        _band(ax, [r["d"] for r in th], th, c)
        pl = [r for r in rows if r["kind"] == "power_law" and r["k"] == k]
        ax.plot([r["d"] for r in pl], [r["m"] for r in pl], color=c, ls=":", lw=1)
        sim = _mean_by([r for r in rows if r["kind"] == "simulation" and r["k"] == k], "d")
        xs = sorted(x for x, _ in sim)
        ax.errorbar(xs, [sim[(x, k)][0] for x in xs], [sim[(x, k)][1] for x in xs], fmt="o", color=c, ms=4)
    ax.set_ylim(-0.02, 1.05)
    ax.plot([], [], "k:", lw=1, label="$(1-d)\\,d^{k-1}$")
    ax.plot([], [], "ko", ms=4, label="simulation")
    ax.axvline((np.sqrt(5) - 1) / 2, color="grey", lw=0.5)
    ax.set(xlabel="dilution d", ylabel="Mattis magnetisation $m_k$",
           title=f"Retrieval vs dilution, K={max(r['k'] for r in rows)}, T={T:g} (line: d = 0.618)")
    ax.legend(fontsize=8)
    save_figure(fig, path)


def plot_temperature(rows, path, N=None):
    dilutions = sorted({r["d"] for r in rows})
    fig, axes = _subplots(1, len(dilutions), figsize=(5 * len(dilutions), 3.8), squeeze=False)
    for ax, d in zip(axes[0], dilutions):
        sub = [r for r in rows if r["d"] == d]
        for k in sorted({r["k"] for r in sub}):
            c = COLOURS[(k - 1) % len(COLOURS)]
            th = [r for r in sub if r["kind"] == "theory" and r["k"] == k]
            ax.plot([r["T"] for r in th], [r["m"] for r in th], color=c, label=f"theory $m_{k}$")
            _band(ax, [r["T"] for r in th], th, c)
            sim = _mean_by([r for r in sub if r["kind"] == "simulation" and r["k"] == k], "T")
            xs = sorted(x for x, _ in sim)
            ax.errorbar(xs, [sim[(x, k)][0] for x in xs], [sim[(x, k)][1] for x in xs], fmt="o", color=c, ms=4)
        top = max(r["m"] for r in sub if r["kind"] in ("theory", "simulation"))
        ax.set(xlabel="temperature T = 1/beta", ylabel="$m_k$", title=f"d = {d:g}", ylim=(-0.005, 1.15 * top))
        ax.legend(fontsize=8)
    fig.suptitle(f"Transition with temperature (points: numba Glauber, N={N}; "
                 "bands: theory +- 2 finite-N s.d.)")
    save_figure(fig, path)


def plot_phase_diagram(rows, path):
    from matplotlib.colors import ListedColormap

    ds = sorted({r["d"] for r in rows})
    Ts = sorted({r["T"] for r in rows})
    grid = np.full((len(Ts), len(ds)), np.nan)
    for r in rows:
        grid[Ts.index(r["T"]), ds.index(r["d"])] = REGIME_CODES[r["regime"]]
    fig, ax = _subplots(figsize=(6, 4))
    cmap = ListedColormap(["#dddddd", "#8fb8de", "#f4a259", "#6fbf73"])
    ax.pcolormesh(ds, Ts, grid, cmap=cmap, vmin=-0.5, vmax=3.5, shading="nearest")
    for name, code in REGIME_CODES.items():
        ax.plot([], [], "s", color=cmap(code), label=name)
    ax.set(xlabel="dilution d", ylabel="temperature T", title="Theory regimes (cue of archetype 1, K=3)")
    ax.legend(fontsize=8, loc="upper left")
    save_figure(fig, path)


def plot_learning(rows, collapse_rows, path):
    fig, axes = _subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    markers = {"supervised": "o", "unsupervised": "s"}
    for i, r in enumerate(sorted({row["r"] for row in rows})):
        for k in sorted({row["k"] for row in rows}):
            c = COLOURS[(2 * i + k - 1) % len(COLOURS)]
            th = sorted((row["M"], row["m"]) for row in rows if row["kind"] == "theory" and row["r"] == r and row["k"] == k)
            ax.plot(*zip(*th), color=c, label=f"theory r={r:g}, $m_{k}$")
            for protocol, marker in markers.items():
                sim = _mean_by([row for row in rows if row["kind"] == "simulation" and row["r"] == r
                                and row["k"] == k and row["protocol"] == protocol], "M")
                xs = sorted(x for x, _ in sim)
                ax.plot(xs, [sim[(x, k)][0] for x in xs], marker, color=c, ms=5, mfc="none" if protocol == "unsupervised" else c)
    for protocol, marker in markers.items():
        ax.plot([], [], marker, color="k", mfc="none" if protocol == "unsupervised" else "k", label=protocol)
    ax.set(xscale="log", xlabel="examples per archetype M", ylabel="$m_k$", title="Learning from examples")
    ax.legend(fontsize=7)
    ax = axes[1]
    for i, r in enumerate(sorted({row["r"] for row in collapse_rows if row["averaging"] != "large-M"})):
        for k in sorted({row["k"] for row in collapse_rows}):
            pts = sorted((row["rho"], row["m"]) for row in collapse_rows
                         if row["averaging"] != "large-M" and row["r"] == r and row["k"] == k)
            ax.plot(*zip(*pts), ".", color=COLOURS[i % len(COLOURS)], ms=4, label=f"exact, r={r:g}" if k == 1 else None)
    for k in sorted({row["k"] for row in collapse_rows}):
        pts = sorted((row["rho"], row["m"]) for row in collapse_rows if row["averaging"] == "large-M" and row["k"] == k)
        ax.plot(*zip(*pts), "k-", lw=1, label="large-M limit" if k == 1 else None)
    ax.set(xscale="log", xlabel="rho = (1 - r^2)/(M r^2)", ylabel="$m_k$ (theory)", title="rho sets the learning curve")
    ax.legend(fontsize=7)
    save_figure(fig, path)


def _dilution_part(cfg, sim, out, quick, progress):
    rows = E.dilution_sweep(K=cfg.K, beta=cfg.beta_low_T, **sim,
                            **({"d_sim": (0.2, 0.8), "d_theory": np.linspace(0, 0.95, 20)} if quick else {}))
    write_csv(out / "hierarchical_dilution.csv", rows)
    plot_dilution(rows, out / "hierarchical_dilution.png")
    return {"files": ["hierarchical_dilution"], "max_abs_deviation_simulation_vs_theory": _deviation(rows, "d"),
            "zero_temperature_power_law": {f"d={d}": list(theory.hierarchical_amplitudes(cfg.K, d)) for d in (0.2, 0.5)}}


def _temperature_part(cfg, sim, out, quick, progress):
    rows = E.temperature_sweep(K=cfg.K, dilutions=cfg.dilutions_T, **dict(sim, N=cfg.N_temperature),
                               **({"T_sim": (0.3, 0.7), "T_theory": np.linspace(0.05, 1.1, 22)} if quick else {}))
    write_csv(out / "temperature.csv", rows)
    plot_temperature(rows, out / "temperature.png", N=cfg.N_temperature)
    return {"files": ["temperature"], "max_abs_deviation_simulation_vs_theory":
            {f"d={d:g}": _deviation(rows, "T", (("d", d),)) for d in cfg.dilutions_T}}


def _phase_part(cfg, sim, out, quick, progress):
    rows = E.phase_diagram(K=cfg.K, progress=progress,
                           **({"d_values": np.linspace(0, 0.9, 7), "T_values": np.linspace(0.05, 1.1, 8)} if quick else {}))
    write_csv(out / "phase_diagram.csv", rows)
    plot_phase_diagram(rows, out / "phase_diagram.png")
    return {"files": ["phase_diagram"]}


def _learning_part(cfg, sim, out, quick, progress):
    rows = E.learning_sweep(K=cfg.learning_K, d=cfg.learning_d, beta=cfg.learning_beta, r_values=cfg.learning_r,
                            M_sim=cfg.learning_M, **sim, **({"M_theory": np.array([1, 2, 4, 8, 16])} if quick else {}))
    collapse = E.rho_collapse(K=cfg.learning_K, d=cfg.learning_d, beta=cfg.learning_beta,
                              **({"r_values": (0.5,), "rho_values": np.geomspace(0.05, 1, 4)} if quick else {}))
    write_csv(out / "learning.csv", rows)
    write_csv(out / "rho_collapse.csv", collapse)
    plot_learning(rows, collapse, out / "learning.png")
    thresholds = E.learning_thresholds(
        [dict(r, protocol=("theory" if r["kind"] == "theory" else r["protocol"])) for r in rows],
        K=cfg.learning_K, d=cfg.learning_d, beta=cfg.learning_beta)
    deviations = {
        f"r={r:g},{p}": _deviation([x for x in rows if x["kind"] == "theory" or x["protocol"] == p], "M", (("r", r),))
        for r in cfg.learning_r for p in ("supervised", "unsupervised")}
    return {"files": ["learning", "rho_collapse"], "max_abs_deviation_simulation_vs_theory": deviations,
            "learning_thresholds": thresholds}


# one entry per result; `evlearn hebbian figures --only NAME` runs just that one
PARTS = {"dilution": _dilution_part, "temperature": _temperature_part, "phase": _phase_part,
         "learning": _learning_part}


def make_figures(out, *, config: FiguresConfig | None = None, seed=0, progress=False, only=None) -> dict:
    """Run the sweeps (all, or those named in ``only``), write PNG + CSV per figure and a JSON record.

    The record is summary.json for a full run, summary_<names>.json for a partial one.
    """
    cfg = config or FiguresConfig()
    names = list(PARTS) if not only else list(dict.fromkeys(only))
    unknown = [n for n in names if n not in PARTS]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; choose from {sorted(PARTS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sim = dict(N=cfg.N, seeds=tuple(s + seed for s in cfg.seeds), n_sweeps=cfg.n_sweeps, n_measure=cfg.n_measure,
               progress=progress)
    timings, files, results = {}, [], {}
    for name in names:
        start = time.perf_counter()
        part = PARTS[name](cfg, sim, out, cfg.quick, progress)
        timings[name] = time.perf_counter() - start
        files += part.pop("files")
        for key, value in part.items():
            results.setdefault(key, {})
            if key == "max_abs_deviation_simulation_vs_theory":
                results[key][name] = value
            elif isinstance(value, dict):
                results[key].update(value)
            else:
                results[key] = value
    summary = run_record(
        asdict(cfg), seed,
        paper="Agliari, Alessandrelli, Barra, Ricci-Tersenghi, J. Stat. Mech. (2023) 113401, arXiv:2308.04106",
        figures=names, files=files, timings_seconds=timings, **results)
    record = "summary.json" if names == list(PARTS) else f"summary_{'+'.join(names)}.json"
    write_json(out / record, summary)
    summary["record"] = record
    return summary
