"""Event-stream kernels: one pure function per module, numba kernel beside its NumPy reference.

Every public function validates its input (``validate_events`` with the sensor size,
``check_number`` for parameters) and then calls an ``@njit(cache=True)`` kernel.
"""
from evlearn.functional.denoise import denoise
from evlearn.functional.frames import count_frame, count_frames
from evlearn.functional.global_time_surface import global_time_surfaces
from evlearn.functional.local_time_surface import local_time_surfaces
from evlearn.functional.refractory import refractory_period
from evlearn.functional.slicing import slice_by_time, time_window
from evlearn.functional.spatial import crop, downsample, downsample_size

__all__ = [
    "count_frame", "count_frames", "slice_by_time", "time_window", "crop", "downsample",
    "downsample_size", "refractory_period", "denoise", "local_time_surfaces", "global_time_surfaces",
]
