"""Active dendrites after Ahmad & Hawkins 2016 (arXiv 1601.00720): sparse-representation theory and Brian2 pattern detectors.

Modules (import what you need; only ``brian`` and ``experiments`` load brian2):

* ``theory``: exact false-match, noise, many-segment and union probabilities, threshold choice;
* ``montecarlo``: numba simulations of each formula with exact confidence intervals;
* ``brian``: Brian2 factory functions (inputs, dendritic segments, somata, monitors, Network);
* ``experiments``: the pattern-detection experiment comparing Brian2 spikes with the theory;
* ``figures``: the paper's figures (``evlearn dendrites figures --out DIR``).
"""
