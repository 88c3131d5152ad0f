"""Global time surfaces, one per time slice: tonic's ``ToTimesurface(sensor_size, dt, tau)``.

Same definition as tonic 1.7 (``tonic.functional.to_timesurface_numpy``): the stream
is cut with tonic's ``SliceByTime(dt, overlap)`` windows (``slicing.slice_bounds``,
starting at the first event); after slice k every (p, y, x) holds the time of its
latest event so far (``-inf`` if none) and the surface is

    S_k[p, y, x] = exp(-((k + 1) * dt + t_0 - T[p, y, x]) / tau)

(0 where no event yet). Like tonic, the reference time is ``(k + 1) * dt + t_0`` also
when slices overlap. An empty stream gives zero slices (tonic raises).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from evlearn.functional.slicing import slice_bounds
from evlearn.validation import check_number, check_sensor_size, validate_events


# See local_time_surface: stored factors exp((T - base) / tau) are rebased once an
# event lies this many tau past the base, bounding both overflow and rounding.
_REBASE_TAUS = 50.0


@njit(cache=True)
def _global_time_surfaces_kernel(x, y, t, p, slice_ends, reference_times, tau, out):
    # exp(-(now - T) / tau) = exp((T - base) / tau) * exp(-(now - base) / tau): one exp per
    # event and one per slice, then a multiplication per pixel (tonic: one exp per pixel).
    n_pol, height, width = out.shape[1], out.shape[2], out.shape[3]
    factor = np.zeros((n_pol, height, width))  # 0 where no event yet
    base = t[0] if t.shape[0] else 0
    j = 0
    for k in range(slice_ends.shape[0]):
        while j < slice_ends[k]:
            if t[j] - base > _REBASE_TAUS * tau:
                factor *= np.exp(-(t[j] - base) / tau)
                base = t[j]
            factor[p[j], y[j], x[j]] = np.exp((t[j] - base) / tau)
            j += 1
        decay = np.exp(-(reference_times[k] - base) / tau)
        for c in range(n_pol):
            for row in range(height):
                for col in range(width):
                    out[k, c, row, col] = factor[c, row, col] * decay
    return out


def _reference_times(t0, dt, n_slices):
    # tonic: (i + 1) * dt + start_t, with Python/NumPy scalar types as tonic has them
    return np.array([(k + 1) * dt + t0 for k in range(n_slices)], dtype=np.float64)


def global_time_surfaces_reference(events, sensor_size, dt, tau, overlap=0,
                                   include_incomplete=False) -> np.ndarray:
    """Pure NumPy reference: tonic's loop over slices with fancy-index memory updates."""
    width, height, n_pol = sensor_size
    if events.size == 0:
        return np.zeros((0, n_pol, height, width))
    starts, ends = slice_bounds(events["t"], dt, overlap, include_incomplete)
    memory = np.full((n_pol, height, width), -np.inf)
    surfaces = []
    for k, (start, end) in enumerate(zip(starts, ends)):
        part = events[start:end]
        memory[part["p"], part["y"], part["x"]] = part["t"]
        surfaces.append(np.exp(-((k + 1) * dt + events["t"][0] - memory) / tau))
    return np.array(surfaces)


def global_time_surfaces(events, sensor_size, dt, tau, overlap=0,
                         include_incomplete: bool = False) -> np.ndarray:
    """Time surfaces of the whole sensor at the end of each ``dt`` slice: ``(S, P, H, W)`` float64.

    Parameters
    ----------
    events : structured array x, y, t (µs), p, sorted by t (ours or tonic's).
    sensor_size : (width, height, polarities).
    dt : slice length in µs (> 0).
    tau : decay time constant in µs (> 0).
    overlap : µs shared by neighbouring slices, 0 <= overlap < dt (tonic's functional argument).
    include_incomplete : also emit the last, shorter slice (tonic's SliceByTime option).
    """
    size = check_sensor_size(sensor_size)
    ev = validate_events(events, size)
    check_number(dt, "dt", low=0, low_open=True)
    check_number(tau, "tau", low=0, low_open=True)
    check_number(overlap, "overlap", low=0)
    if overlap >= dt:
        raise ValueError(f"overlap must be smaller than dt ({dt}), got {overlap}")
    if ev.size == 0:
        return np.zeros((0, size.polarities, size.height, size.width))
    _, ends = slice_bounds(ev["t"], dt, overlap, include_incomplete)
    out = np.empty((ends.size, size.polarities, size.height, size.width))  # kernel fills all
    times = _reference_times(ev["t"][0], dt, ends.size)
    return _global_time_surfaces_kernel(ev["x"], ev["y"], ev["t"], ev["p"], ends, times, float(tau), out)
