"""Multitasking Hebbian networks after Agliari et al. 2023 (J. Stat. Mech. 113401): diluted patterns, parallel retrieval, Brian2."""
