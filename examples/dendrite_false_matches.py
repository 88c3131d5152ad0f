"""False matches of a dendritic segment, theory and Monte Carlo
===============================================================

Ahmad & Hawkins 2016 ("How do neurons operate on sparse distributed
representations?", arXiv:1601.00720): a segment with ``s`` synapses onto a
pattern fires when at least ``theta`` of them see active cells. With ``a``
active cells out of ``n``, the chance that a random pattern fires it anyway
falls steeply with ``theta``, and with the sparsity ``a/n``. This draws the
exact probability (:func:`evlearn.dendrites.theory.false_match_probability`)
against ``theta`` for three population sizes, with Monte Carlo estimates and
their 99 % confidence intervals where they are large enough to measure.

Usage::

    python examples/dendrite_false_matches.py [--output-dir OUT]
"""
import argparse
from pathlib import Path

from matplotlib.figure import Figure  # no pyplot: nothing global changes

from evlearn.dendrites import montecarlo, theory
from evlearn.io import save_figure

parser = argparse.ArgumentParser(description="False matches of a dendritic segment, theory and Monte Carlo")
parser.add_argument("--output-dir", type=Path, default=Path("dendrite_false_matches_output"))
args = parser.parse_args()

# %%
# The paper's example: n = 10000, a = 300, s = 24, theta = 12.
print(f"P(false match) = {theory.false_match_probability(10_000, 300, 24, 12):.5e}  (paper: ~8.4e-13)")

# %%
# Probability against the threshold
# ---------------------------------
# Theory as lines; Monte Carlo (100000 random patterns each) as points where the
# probability is above 1e-4, so that the estimate has some hits.
a, s = 40, 20
thetas = range(1, 13)
fig = Figure(figsize=(6, 4))
ax = fig.subplots()
for n, colour in zip((500, 1000, 4000), ("C0", "C1", "C2")):
    exact = [theory.false_match_probability(n, a, s, theta) for theta in thetas]
    ax.semilogy(thetas, exact, color=colour, label=f"n = {n}, a = {a}, s = {s}")
    for theta, p in zip(thetas, exact):
        if p > 1e-4:
            mc = montecarlo.simulate_false_match(n, a, s, theta, trials=100_000, seed=theta)
            ax.errorbar(theta, mc.rate, yerr=[[mc.rate - mc.low], [mc.high - mc.rate]], fmt="o",
                        color=colour, markersize=3)
ax.set_xlabel("threshold theta (active synapses needed)")
ax.set_ylabel("P(false match)")
ax.legend(fontsize=8)
ax.set_title("lines: exact theory; points: Monte Carlo, 99 % CI", fontsize=9)
save_figure(fig, args.output_dir / "false_matches.png")
