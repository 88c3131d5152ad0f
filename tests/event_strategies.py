"""Hypothesis strategy shared by the kernel tests: small random event streams with their sensor."""
from __future__ import annotations

from hypothesis import strategies as st

from evlearn import make_events


@st.composite
def event_streams(draw, *, min_events=0, max_events=60, max_side=6, t_min=0, t_max=10_000):
    """(events sorted by t, sensor_size) with 1..max_side pixels a side and 1-2 polarities."""
    width = draw(st.integers(1, max_side))
    height = draw(st.integers(1, max_side))
    n_pol = draw(st.integers(1, 2))
    n = draw(st.integers(min_events, max_events))
    ints = lambda hi: st.lists(st.integers(0, hi), min_size=n, max_size=n)  # noqa: E731
    x, y, p = draw(ints(width - 1)), draw(ints(height - 1)), draw(ints(n_pol - 1))
    t = sorted(draw(st.lists(st.integers(t_min, t_max), min_size=n, max_size=n)))
    return make_events(x, y, t, p), (width, height, n_pol)
