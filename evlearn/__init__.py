"""evlearn: neuromorphic and event-based learning.

The top-level namespace stays light (NumPy and numba only): torch and brian2 are
imported inside the parts that need them.
"""
from evlearn.events import EVENT_DTYPE, SensorSize, make_events, as_events
from evlearn.validation import validate_events

__version__ = "0.1.0"

__all__ = ["EVENT_DTYPE", "SensorSize", "make_events", "as_events", "validate_events", "__version__"]
