"""evlearn: neuromorphic and event-based learning.

The top-level namespace stays light (NumPy and numba only): torch and brian2 are
imported inside the parts that need them.
"""
from evlearn.events import EVENT_DTYPE, SensorSize, make_events, as_events
from evlearn.validation import validate_events

__version__ = "0.1.0"

__all__ = ["EVENT_DTYPE", "SensorSize", "make_events", "as_events", "validate_events", "__version__",
           "read_events", "stream_events", "write_events"]

# Kernels and transforms load numba: import them on first use (evlearn.functional,
# evlearn.transforms), so `import evlearn` and `evlearn info` stay fast.
_LAZY_SUBMODULES = ("functional", "transforms")


# FEAST learners (numba): evlearn.FEAST, evlearn.FEASTNetwork, loaded on first use.
_LAZY_FEAST = ("FEAST", "FEASTNetwork", "FEASTClassifier")


# Event files (evlearn.formats): read_events, stream_events, write_events, loaded on first use.
_LAZY_FORMATS = ("read_events", "stream_events", "write_events")


def __getattr__(name):
    if name in _LAZY_FORMATS:
        import evlearn.formats

        return getattr(evlearn.formats, name)
    if name == "NotFittedError":  # scikit-learn's subclass: loads scikit-learn, so on first use
        from evlearn.base import NotFittedError

        return NotFittedError
    if name in _LAZY_FEAST:
        import evlearn.feast

        return getattr(evlearn.feast, name)
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"evlearn.{name}")
    raise AttributeError(f"module 'evlearn' has no attribute {name!r}")
