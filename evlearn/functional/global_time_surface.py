"""Global time surfaces, one per time slice: tonic's ``ToTimesurface(sensor_size, dt, tau)``.

Same definition as tonic 1.7 (``tonic.functional.to_timesurface_numpy``): the stream
is cut with tonic's ``SliceByTime(dt, overlap)`` windows (``slicing.slice_bounds``,
starting at the first event); after slice k every (p, y, x) holds the time of its
latest event so far (``-inf`` if none) and the surface is

    S_k[p, y, x] = exp(-((k + 1) * dt + t_0 - T[p, y, x]) / tau)

(0 where no event yet). Like tonic, the reference time is ``(k + 1) * dt + t_0`` also
when slices overlap. An empty stream gives zero slices (tonic raises).

The NumPy reference reproduces tonic's output bit for bit; the numba kernel computes
each value as a product of two exponentials (one exp per event and per slice instead
of one per pixel and slice), equal to the formula within ~1e-14 relative.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# Stored factors exp((T - base) / tau) are rebased as in the local kernel (see there why).
from evlearn.deprecation import renamed_kwargs
from evlearn.functional.local_time_surface import _REBASE_TAUS, UNSET, _rescale, empty_factors
from evlearn.functional.slicing import count_slices, slice_bounds
from evlearn.validation import check_number, check_sensor_size, validate_events


@njit(cache=True)
def _global_time_surfaces_kernel(x, y, t, p, k_first, start, dt, stride, tau, out, factor, state, consume_rest):
    # Slices as tonic's SliceByTime: slice k holds the events with t < k * stride + start + dt
    # (np.searchsorted's rule, same float operations), the surface is taken at
    # (k + 1) * dt + start. Values: exp(-(now - T) / tau) = exp((T - base) / tau) *
    # exp(-(now - base) / tau): one exp per event and one per slice, then one
    # multiplication per pixel over flat, contiguous rows (tonic: one exp per pixel and slice).
    # Fills slices k_first .. k_first + len(out) - 1. ``factor`` and ``state[0]`` (the base)
    # are updated in place; with ``consume_rest`` the events after the last filled slice
    # enter the memory too, so a stream cut in chunks carries its state across calls.
    n_slices, n_pol, height, width = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
    size = n_pol * height * width
    rows = out.reshape(n_slices, size)
    if state[0] == UNSET and t.shape[0]:
        state[0] = t[0]
    base = state[0]
    limit = base + _REBASE_TAUS * tau
    j = 0
    for s in range(n_slices + 1):
        window_end = ((k_first + s) * stride + start) + dt
        last = s == n_slices
        while j < t.shape[0] and ((not last and t[j] < window_end) or (last and consume_rest)):
            tj = t[j]
            if tj > limit:
                _rescale(factor, np.exp(-(tj - base) / tau))
                base = tj
                limit = base + _REBASE_TAUS * tau
            factor[(p[j] * height + y[j]) * width + x[j]] = np.exp((tj - base) / tau)
            j += 1
        if last:
            break
        decay = np.exp(-(((k_first + s + 1) * dt + start) - base) / tau)
        row = rows[s]
        for q in range(size):
            row[q] = factor[q] * decay
    state[0] = base
    return out


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


@renamed_kwargs(dt="dt_us", tau="tau_us")
def global_time_surfaces(events, sensor_size, dt_us, tau_us, overlap=0,
                         include_incomplete: bool = False) -> np.ndarray:
    """Time surfaces of the whole sensor at the end of each ``dt_us`` slice.

    tonic's ``ToTimesurface(sensor_size, dt, tau)`` in the same positional order; the
    keywords ``dt``/``tau`` still work for one release (docs/conventions.md).

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with int64 fields x, y, t (microseconds, sorted), p (ours or tonic's).
    sensor_size : tuple of int
        (W, H, P): width, height, polarities.
    dt_us : float
        Slice length in microseconds (> 0).
    tau_us : float
        Decay time constant in microseconds (> 0).
    overlap : float, default 0
        Microseconds shared by neighbouring slices, 0 <= overlap < dt_us (tonic's functional argument).
    include_incomplete : bool, default False
        Also emit the last, shorter slice (tonic's SliceByTime option).

    Returns
    -------
    numpy.ndarray
        float64, shape (S, P, H, W): one surface per slice, values in [0, 1].

    Raises
    ------
    ValueError
        Invalid events (fields, order, coordinates outside the sensor) or parameters.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> from evlearn.functional import global_time_surfaces
    >>> global_time_surfaces(events, (34, 34, 2), dt_us=50_000, tau_us=20_000).shape
    (6, 2, 34, 34)
    """
    ev = validate_events(events, sensor_size)
    size = check_sensor_size(sensor_size)
    check_number(dt_us, "dt_us", low=0, low_open=True)
    check_number(tau_us, "tau_us", low=0, low_open=True)
    check_number(overlap, "overlap", low=0)
    if overlap >= dt_us:
        raise ValueError(f"overlap must be smaller than dt_us ({dt_us}), got {overlap}")
    shape = (size.polarities, size.height, size.width)
    if ev.size == 0:
        return np.zeros((0, *shape))
    t = ev["t"]
    n_slices = count_slices(t[-1] - t[0], dt_us, overlap, include_incomplete)
    out = np.empty((n_slices, *shape))  # the kernel fills every entry
    factor, state = empty_factors(1, size.polarities * size.height, size.width, 0)
    return _global_time_surfaces_kernel(ev["x"], ev["y"], t, ev["p"], 0, float(t[0]), float(dt_us),
                                        float(dt_us - overlap), float(tau_us), out, factor, state, False)
