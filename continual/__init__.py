"""Continual learning on PyTorch: scenarios, strategies (baselines, SHARP, G2GNet), metrics and a benchmark runner."""
