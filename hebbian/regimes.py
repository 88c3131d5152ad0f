"""Regimes of the low-load theory over (K, T, d), from a cue and from symmetric-mixture starts.

Each grid point is solved three times: from a cue of archetype 1 ('cue'), and
from the symmetric mixtures sign(xi^1 + ... + xi^s) with s even or odd
('mixture_even', 'mixture_odd'; see theory.mixture_members). The state found
is named by theory.classify and its stability is the largest eigenvalue of the
Jacobian of the self-consistency map (stable when < 1). Regime boundaries are
where the regime changes between neighbouring d of the grid, so they are
located to the grid step.

One (K, T, start) line of d values is one task: a pure function of its
parameters, so the grid can run on any number of workers.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import theory
from .couplings import DEFAULT_CONVENTION, check_convention

STARTS = ("cue", "mixture_even", "mixture_odd")
K_VALUES = (2, 3, 4)
T_VALUES = (0.05, 0.1, 0.2)
D_VALUES = tuple(round(0.05 * i, 2) for i in range(20))  # 0, 0.05, ..., 0.95


@dataclass(frozen=True)
class RegimeLine:
    """One task: the states found along a line of d at fixed K, T and start."""

    K: int
    T: float
    start: str
    d_values: tuple
    convention: str = DEFAULT_CONVENTION
    max_iter: int = 20_000


def solve_line(task: RegimeLine) -> list[dict]:
    """Rows K, T, d, start, regime, m_1..m_K, largest_eigenvalue, stable, converged for one line."""
    check_convention(task.convention)
    if task.start not in STARTS:
        raise ValueError(f"start must be one of {STARTS}, got {task.start!r}")
    beta = 1.0 / task.T
    init = "pure" if task.start == "cue" else task.start
    rows = []
    for d in task.d_values:
        dist = theory.site_distribution(task.K, float(d), convention=task.convention)
        state = theory.solve(beta, task.K, float(d), init=init, dist=dist, max_iter=task.max_iter)
        lam = float(theory.stability_eigenvalues(state, beta, dist)[0])
        rows.append({"K": task.K, "T": task.T, "d": float(d), "start": task.start,
                     "regime": theory.classify(state.m),
                     **{f"m_{k}": float(v) for k, v in enumerate(state.m, start=1)},
                     "largest_eigenvalue": lam, "stable": bool(lam < 1.0), "converged": state.converged})
    return rows


def regime_lines(K_values=K_VALUES, T_values=T_VALUES, d_values=D_VALUES, starts=STARTS,
                 convention=DEFAULT_CONVENTION, max_iter=20_000) -> list[RegimeLine]:
    """The regime-map sweep: one RegimeLine (K, T, start, dilutions) per combination of the given values."""
    return [RegimeLine(int(K), float(T), start, tuple(float(d) for d in d_values), convention, max_iter)
            for K in K_values for T in T_values for start in starts]


def regime_columns(K_max) -> list[str]:
    """The columns of regimes.csv: K, T, d, start, regime, m_1 .. m_Kmax (empty beyond a row's K)."""
    return ["K", "T", "d", "start", "regime"] + [f"m_{k}" for k in range(1, int(K_max) + 1)]


def boundaries(rows) -> list[dict]:
    """Where the regime changes along d, per (K, T, start): the two grid d around each change."""
    out = []
    lines = {}
    for row in rows:
        lines.setdefault((row["K"], row["T"], row["start"]), []).append(row)
    for (K, T, start), line in lines.items():
        line = sorted(line, key=lambda r: r["d"])
        for a, b in zip(line, line[1:]):
            if a["regime"] != b["regime"]:
                out.append({"K": K, "T": T, "start": start, "from": a["regime"], "to": b["regime"],
                            "d_below": a["d"], "d_above": b["d"], "d_boundary": round(0.5 * (a["d"] + b["d"]), 6)})
    return out


def parallel_onset(rows, K, T, start="cue"):
    """Smallest grid d at which the state found from ``start`` is parallel (None if never)."""
    ds = sorted(r["d"] for r in rows if r["K"] == K and r["T"] == T and r["start"] == start
                and r["regime"] == "parallel")
    return ds[0] if ds else None
