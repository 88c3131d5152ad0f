"""Bad event files: one clear ValueError naming the file and the byte offset or event index,
nothing half-written, and fuzzed readers that never crash the interpreter."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from evlearn.events import make_events
from evlearn.formats import FORMATS, read_events, write_events

SAMPLES = {"evt2": "prophesee_evt2_sample.raw", "evt3": "prophesee_evt3_sample.raw",
           "dat": "prophesee_ncars_sample.dat", "aedat4": "inivation_sample.aedat4"}
SUFFIX = {"evt2": ".raw", "evt3": ".raw", "dat": ".dat", "aedat4": ".aedat4"}


def _header_bytes(camera_samples, name) -> int:
    """Where a sample's events start (AEDAT 4: the end of its XML description)."""
    if name == "aedat4":
        raw = (camera_samples / SAMPLES[name]).read_bytes()
        return raw.index(b"</dv>") + len(b"</dv>") + 2
    return FORMATS[name].open_source(camera_samples / SAMPLES[name]).data_offset


def test_empty_file(tmp_path):
    for suffix in (".raw", ".dat", ".aedat4", ".bin", ".npy"):
        path = tmp_path / f"empty{suffix}"
        path.write_bytes(b"")
        with pytest.raises(ValueError, match=rf"empty{suffix}: empty file \(0 bytes\)"):
            read_events(path)


@pytest.mark.parametrize("name, cut, message", [
    ("evt2", 3, r"ends inside a 4-byte record: 1 stray byte\(s\) at byte offset \d+"),
    ("evt3", 1, r"ends inside a 2-byte word: 1 stray byte at byte offset \d+"),
    ("dat", 5, r"ends inside a 8-byte record: 3 stray byte\(s\) at byte offset \d+"),
    ("aedat4", 100_000, r"corrupt or truncated data after event 100778 \(RuntimeError"),
])
def test_truncated_file_ends_inside_a_packet(camera_samples, tmp_path, name, cut, message):
    raw = (camera_samples / SAMPLES[name]).read_bytes()
    path = tmp_path / f"cut{SUFFIX[name]}"
    path.write_bytes(raw[:-cut])
    with pytest.raises(ValueError, match=rf"cut\{SUFFIX[name]}: (file )?{message}"):
        read_events(path)


def test_missing_or_cut_header(camera_samples, tmp_path):
    raw = (camera_samples / SAMPLES["evt2"]).read_bytes()
    (tmp_path / "noheader.raw").write_bytes(raw[_header_bytes(camera_samples, "evt2"):])
    with pytest.raises(ValueError, match=r"noheader\.raw: missing header.*byte offset 0"):
        read_events(tmp_path / "noheader.raw")
    (tmp_path / "cutheader.dat").write_bytes((camera_samples / SAMPLES["dat"]).read_bytes()[:41])
    with pytest.raises(ValueError, match=r"cutheader\.dat: header line at byte offset 0 never ends"):
        read_events(tmp_path / "cutheader.dat")
    (tmp_path / "noversion.raw").write_bytes(b"% date today\n" + raw[_header_bytes(camera_samples, "evt2"):])
    with pytest.raises(ValueError, match=r"noversion\.raw: the header does not say EVT 2\.0 or EVT 3\.0"):
        read_events(tmp_path / "noversion.raw")
    bad = bytearray((camera_samples / SAMPLES["aedat4"]).read_bytes())
    bad[:4] = b"XXXX"
    (tmp_path / "magic.aedat4").write_bytes(bytes(bad))
    with pytest.raises(ValueError, match=r"magic\.aedat4: missing header"):
        read_events(tmp_path / "magic.aedat4")


def test_unknown_and_unsupported_formats(camera_samples, tmp_path):
    (tmp_path / "mystery.xyz").write_bytes(b"\x01\x02\x03")
    with pytest.raises(ValueError, match=r"mystery\.xyz: unknown event file format \(extension '\.xyz'"):
        read_events(tmp_path / "mystery.xyz")
    with pytest.raises(ValueError, match=r"aedat2_header_only\.aedat: AEDAT 2\.0 files are not supported"):
        read_events(camera_samples / "aedat2_header_only.aedat")
    with pytest.raises(ValueError, match="unknown format 'mp4'"):
        read_events(tmp_path / "mystery.xyz", format="mp4")


def test_corrupt_word_type_names_its_byte_offset(camera_samples, tmp_path):
    raw = bytearray((camera_samples / SAMPLES["evt2"]).read_bytes())
    offset = _header_bytes(camera_samples, "evt2") + 4 * 1000
    raw[offset + 3] = 0x30  # top nibble 3: no such EVT 2.0 word type
    (tmp_path / "corrupt.raw").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=rf"corrupt\.raw: corrupt data: word of unknown type 0x3 at byte offset {offset}\b"):
        read_events(tmp_path / "corrupt.raw")


def test_timestamps_going_backwards_name_the_event(tmp_path):
    # ATIS .bin (no header) and DAT (header + 8-byte records) written by hand.
    (tmp_path / "back.bin").write_bytes(bytes([0, 0, 0, 0, 9, 1, 1, 0, 0, 5]))
    with pytest.raises(ValueError, match=r"back\.bin: timestamps must be non-decreasing; event 1 has t=5 after t=9"):
        read_events(tmp_path / "back.bin")
    records = np.array([(100, 1 | (2 << 14)), (50, 3 | (4 << 14))], dtype=[("t", "<u4"), ("w", "<u4")])
    (tmp_path / "back.dat").write_bytes(b"% Version 2\n\x0c\x08" + records.tobytes())
    with pytest.raises(ValueError, match=r"back\.dat: timestamps must be non-decreasing; event 1"):
        read_events(tmp_path / "back.dat")


def test_dat_time_check_across_blocks_tells_a_wrap_from_a_step_back(tmp_path, monkeypatch):
    """The DAT decoder reads the file in blocks (here of 2 records): a step back by more than
    2**31 us is the 32-bit clock wrapping (read on, unrolled), a smaller one is refused with its
    byte offset, also when it falls on a block boundary."""
    from evlearn.formats import dat

    monkeypatch.setattr(dat, "DECODE_CHUNK", 2)
    header = b"% Version 2\n\x0c\x08"
    wrapped = np.array([(10, 0), (2**32 - 9, 0), (2**32 - 5, 0), (3, 0), (7, 0)], dtype=[("t", "<u4"), ("w", "<u4")])
    (tmp_path / "wrap.dat").write_bytes(header + wrapped.tobytes())
    assert list(read_events(tmp_path / "wrap.dat")["t"]) == [10, 2**32 - 9, 2**32 - 5, 2**32 + 3, 2**32 + 7]
    back = np.array([(10, 0), (20, 0), (15, 0), (30, 0)], dtype=wrapped.dtype)  # event 2 opens block 2
    (tmp_path / "back.dat").write_bytes(header + back.tobytes())
    with pytest.raises(ValueError, match=rf"back\.dat: timestamps must be non-decreasing; event 2 has t=15 after "
                                         rf"t=20 \(byte offset {len(header) + 16}\)"):
        read_events(tmp_path / "back.dat")


def test_backwards_time_across_a_chunk_boundary_is_caught(tmp_path, monkeypatch):
    from evlearn.formats import base

    monkeypatch.setattr(base, "DECODE_CHUNK", 2)
    from evlearn.formats import atis

    monkeypatch.setattr(atis, "DECODE_CHUNK", 2)
    (tmp_path / "b.bin").write_bytes(bytes([0, 0, 0, 0, 1, 0, 0, 0, 0, 9, 0, 0, 0, 0, 4]))
    with pytest.raises(ValueError, match=r"b\.bin: timestamps must be non-decreasing; event 2 has t=4 after t=9"):
        read_events(tmp_path / "b.bin")


@pytest.mark.parametrize("suffix", [".raw", ".npy", ".bin", ".aedat4"])
def test_failed_write_leaves_nothing(tmp_path, suffix):
    good = make_events([1, 2], [1, 2], [0, 5], [0, 1])
    backwards = make_events([1], [1], [3], [0])
    target = tmp_path / f"out{suffix}"
    with pytest.raises(ValueError, match="event 2 has t=3 after t=5"):
        write_events(target, iter([good, backwards]), sensor_size=(4, 4, 2))
    assert list(tmp_path.iterdir()) == []


def _check_reads_or_refuses(path):
    """A reader may decode garbage into valid events or raise ValueError naming the file; nothing else."""
    try:
        events = read_events(path)
    except ValueError as err:
        assert str(err).startswith(str(path)), err
    else:
        assert np.all(np.diff(events["t"]) >= 0)


FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("name", SAMPLES)
@FUZZ
@given(data=st.binary(max_size=4000))
def test_fuzz_random_bytes_after_a_valid_header(camera_samples, tmp_path, name, data):
    head = (camera_samples / SAMPLES[name]).read_bytes()[:_header_bytes(camera_samples, name)]
    path = tmp_path / f"fuzz{SUFFIX[name]}"
    path.write_bytes(head + data)
    _check_reads_or_refuses(path)


@pytest.mark.parametrize("name", [*SAMPLES, "nmnist"])
@FUZZ
@given(fraction=st.floats(0, 1))
def test_fuzz_random_truncation(camera_samples, nmnist_dir, tmp_path, name, fraction):
    source = next(nmnist_dir.glob("Train/0/*.bin")) if name == "nmnist" else camera_samples / SAMPLES[name]
    raw = source.read_bytes()[:300_000]
    path = tmp_path / f"trunc{source.suffix}"
    path.write_bytes(raw[:int(fraction * len(raw))])
    _check_reads_or_refuses(path)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_fuzz_random_npy_and_bin_bytes(tmp_path, data):
    for suffix in (".npy", ".bin"):
        path = tmp_path / f"fuzz{suffix}"
        path.write_bytes(data)
        _check_reads_or_refuses(path)
