"""Local time surfaces: one decayed patch of radius R around every event (HOTS / FEAST input).

For event i at (x_i, y_i, t_i, p_i) the surface is

    S_i[c, dy, dx] = exp(-(t_i - T_c(x_i + dx - R, y_i + dy - R)) / tau)

with ``T_c(x, y)`` the time of the latest event of channel ``c`` at that pixel
up to and including event i (so the centre of the event's own channel is 1),
and 0 where the pixel has no event yet or lies outside the sensor. Channels are
the polarities, or one merged channel with ``merge_polarities=True``. Rows are
y and columns x, as in the (P, H, W) frame layout. The numba kernel computes each
entry as a product of two exponentials (one exp per event), equal to the formula
within ~1e-14 relative; the NumPy reference evaluates the formula directly.

Lagorce et al. 2017, "HOTS: A Hierarchy of Event-Based Time-Surfaces for
Pattern Recognition" (IEEE TPAMI); Afshar et al. 2020, "Event-based Feature
Extraction Using Adaptive Selection Thresholds" (FEAST, Sensors).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from evlearn.validation import check_number, check_sensor_size, validate_events


# Rebase the stored factors once the newest event is this many tau past the base:
# exp(50) ~ 5e21 cannot overflow, and each factor's argument stays < 50 so its
# rounding adds < 50 * 2**-52 ~ 1e-14 relative error.
_REBASE_TAUS = 50.0


@njit(cache=True)
def _rescale(values, scale):
    # A separate loop: an in-place array expression inside the event loop slowed it 2x.
    for q in range(values.shape[0]):
        values[q] *= scale


UNSET = -1  # the time base of a stream that has seen no event yet (timestamps are >= 0)


def empty_factors(n_channels, height, width, radius) -> tuple[np.ndarray, np.ndarray]:
    """The state a stream carries: stored factors (0 where no event yet) and its time base."""
    padded = n_channels * (height + 2 * radius) * (width + 2 * radius)
    return np.zeros(padded), np.array([UNSET], dtype=np.int64)


@njit(cache=True)
def _local_time_surfaces_kernel(x, y, t, channel, n_channels, height, width, radius, tau, out, factor, state):
    # exp((T - t_i) / tau) = exp((T - base) / tau) * exp(-(t_i - base) / tau): one exp per
    # event, then one multiplication per patch entry, copied row by row between contiguous
    # slices of flat arrays (2-4x faster than indexing the 3-D/4-D arrays entry by entry).
    # ``factor`` (padded, flat) and ``state[0]`` (the base) are updated in place, so a
    # stream cut in chunks carries them across and gives the same numbers as one call.
    side = 2 * radius + 1
    padded_height, padded_width = height + 2 * radius, width + 2 * radius
    rows = out.reshape(out.shape[0], n_channels * side * side)
    if state[0] == UNSET and x.shape[0]:
        state[0] = t[0]
    base = state[0]
    limit = base + _REBASE_TAUS * tau
    centre = radius * side + radius
    for i in range(x.shape[0]):
        xi, yi, ti, ci = x[i], y[i], t[i], channel[i]
        if ti > limit:
            _rescale(factor, np.exp(-(ti - base) / tau))
            base = ti
            limit = base + _REBASE_TAUS * tau
        decay = np.exp(-(ti - base) / tau)
        factor[(ci * padded_height + yi + radius) * padded_width + xi + radius] = 1.0 / decay
        row = rows[i]
        q = 0
        for c in range(n_channels):
            for dy in range(side):
                first = (c * padded_height + yi + dy) * padded_width + xi
                source = factor[first:first + side]
                target = row[q:q + side]
                for dx in range(side):
                    target[dx] = source[dx] * decay
                q += side
        row[ci * side * side + centre] = 1.0  # exactly 1, not 1 -/+ an ulp
    state[0] = base
    return out


def local_time_surfaces_reference(events, sensor_size, radius, tau_us, merge_polarities=False,
                                  dtype=np.float64) -> np.ndarray:
    """Pure NumPy reference (one Python step per event, NumPy for the patch); no validation."""
    width, height, n_pol = sensor_size
    n_channels = 1 if merge_polarities else n_pol
    side = 2 * radius + 1
    last = np.full((n_channels, height + 2 * radius, width + 2 * radius), -np.inf)
    out = np.zeros((events.size, n_channels, side, side), dtype=dtype)
    for i, (x, y, t, p) in enumerate(zip(events["x"], events["y"], events["t"], events["p"])):
        last[0 if merge_polarities else p, y + radius, x + radius] = t
        out[i] = np.exp((last[:, y:y + side, x:x + side] - t) / tau_us)
    return out


def local_time_surfaces(events, sensor_size, radius, tau_us, merge_polarities: bool = False,
                        dtype=np.float64) -> np.ndarray:
    """Per-event time surfaces: the decayed time of the latest events around each event.

    Entry ``[i, c, dy + R, dx + R]`` is ``exp(-(t_i - t_last) / tau_us)``, t_last the
    latest event of channel c at pixel (x_i + dx, y_i + dy) up to event i (0 where
    there is none); see the module docstring.

    Parameters
    ----------
    events : numpy.ndarray
        Structured array with int64 fields x, y, t (microseconds, sorted), p (ours or tonic's).
    sensor_size : tuple of int
        (W, H, P): width, height, polarities.
    radius : int
        R >= 0, patch half-width: patches are (2R+1) x (2R+1).
    tau_us : float
        Decay time constant in microseconds (> 0).
    merge_polarities : bool, default False
        One channel for all polarities instead of one per polarity.
    dtype : numpy dtype, default float64
        float64 or float32 output.

    Returns
    -------
    numpy.ndarray
        Shape (N, P or 1, 2R+1, 2R+1), values in [0, 1].

    Raises
    ------
    ValueError
        Invalid events (fields, order, coordinates outside the sensor) or parameters.

    Examples
    --------
    >>> import evlearn
    >>> from evlearn.datasets.samples import sample_dir
    >>> events = evlearn.read_events(sample_dir() / "0" / "00002.bin")  # N-MNIST, sensor (34, 34, 2)
    >>> from evlearn.functional import local_time_surfaces
    >>> surfaces = local_time_surfaces(events, (34, 34, 2), radius=2, tau_us=20_000)
    >>> surfaces.shape, float(surfaces[0, events["p"][0], 2, 2])   # centre: the event itself
    ((5028, 2, 5, 5), 1.0)
    """
    size = check_sensor_size(sensor_size)
    ev = validate_events(events, size)
    check_number(radius, "radius", low=0, integer=True)
    check_number(tau_us, "tau_us", low=0, low_open=True)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    n_channels = 1 if merge_polarities else size.polarities
    channel = np.zeros_like(ev["p"]) if merge_polarities else ev["p"]
    side = 2 * radius + 1
    out = np.empty((ev.size, n_channels, side, side), dtype=dtype)  # the kernel fills every entry
    factor, state = empty_factors(n_channels, size.height, size.width, int(radius))
    return _local_time_surfaces_kernel(ev["x"], ev["y"], ev["t"], channel, n_channels,
                                       size.height, size.width, int(radius), float(tau_us), out, factor, state)
