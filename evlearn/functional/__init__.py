"""Event-stream kernels: one pure function per module, numba kernel beside its NumPy reference."""
