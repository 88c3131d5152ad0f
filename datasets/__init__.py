"""Readers, writers and folder data sets: N-MNIST (40-bit binary) and IDX (MNIST family)."""
