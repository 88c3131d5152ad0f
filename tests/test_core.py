import numpy as np
import pytest

from evlearn import EVENT_DTYPE, as_events, make_events, validate_events
from evlearn.config import from_dict
from evlearn.io import atomic_path, read_json, write_json
from evlearn.validation import check_number


def test_make_events_has_tonic_fields():
    ev = make_events([1, 2], [3, 4], [10, 20], [0, 1])
    assert ev.dtype == EVENT_DTYPE
    assert ev["t"].tolist() == [10, 20]


def test_as_events_reorders_and_drops_extra_fields():
    raw = np.zeros(3, dtype=[("t", "<f8"), ("p", "u1"), ("x", "<i2"), ("y", "<i2"), ("extra", "f4")])
    raw["t"] = [1, 2, 3]
    ev = as_events(raw)
    assert ev.dtype == EVENT_DTYPE and ev["t"].tolist() == [1, 2, 3]


def test_as_events_rejects_fractional_times_and_plain_arrays():
    with pytest.raises(ValueError, match="whole numbers"):
        as_events(np.array([(0, 0, 0.5, 0)], dtype=[("x", "i8"), ("y", "i8"), ("t", "f8"), ("p", "i8")]))
    with pytest.raises(ValueError, match="structured array"):
        as_events(np.zeros((3, 4)))


@pytest.mark.parametrize(
    "x, y, t, p, message",
    [
        ([0, 1], [0, 0], [5, 4], [0, 0], "event 1 has t=4 after t=5"),
        ([0, 34], [0, 0], [1, 2], [0, 0], "x=34 at event 1"),
        ([0, 0], [0, -1], [1, 2], [0, 0], "y=-1 at event 1"),
        ([0, 0], [0, 0], [1, 2], [2, 0], "p=2 at event 0"),
    ],
)
def test_validate_events_names_first_offender(x, y, t, p, message):
    with pytest.raises(ValueError, match=message):
        validate_events(make_events(x, y, t, p), (34, 34, 2))


def test_validate_events_accepts_empty_and_bad_sensor_size():
    assert validate_events(make_events([], [], [], []), (34, 34, 2)).size == 0
    with pytest.raises(ValueError, match="sensor_size"):
        validate_events(make_events([0], [0], [0], [0]), (34, 34))


def test_check_number_bounds():
    assert check_number(0.5, "d", low=0, high=1, high_open=True) == 0.5
    with pytest.raises(ValueError, match=r"d must be in \[0, 1\)"):
        check_number(1.0, "d", low=0, high=1, high_open=True)
    with pytest.raises(ValueError, match="integer"):
        check_number(2.5, "K", integer=True)


def test_atomic_path_keeps_target_on_failure(tmp_path):
    target = tmp_path / "result.json"
    write_json(target, {"a": np.int64(1), "b": np.arange(2)})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert read_json(target) == {"a": 1, "b": [0, 1]}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_config_from_dict_rejects_unknown_keys():
    from dataclasses import dataclass, field

    @dataclass
    class Inner:
        n: int = 1

    @dataclass
    class Outer:
        inner: Inner = field(default_factory=Inner)
        sizes: tuple = (1,)

    cfg = from_dict(Outer, {"inner": {"n": 3}, "sizes": [2, 3]})
    assert cfg.inner.n == 3 and cfg.sizes == (2, 3)
    with pytest.raises(ValueError, match="unknown key"):
        from_dict(Outer, {"inner": {"m": 3}})


def test_atomic_files_get_umask_mode(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        path = write_json(tmp_path / "r.json", {})
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_import_and_cli_parser_stay_light():
    """`import evlearn` and building the CLI load none of the heavy frameworks (fast `evlearn info`)."""
    import subprocess
    import sys

    code = (
        "import sys, evlearn, evlearn.datasets, evlearn.dendrites, evlearn.hebbian, evlearn.continual\n"
        "import evlearn.parallel, evlearn.formats\n"
        "from evlearn.cli.main import build_parser; build_parser()\n"
        "print(sorted(m for m in ('torch', 'brian2', 'numba', 'tonic', 'matplotlib', 'dask', 'distributed',\n"
        "                         'faery', 'expelliarmus', 'aedat') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
