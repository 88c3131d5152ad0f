"""Run every example script as a user would (own process, shared data in, tmp folder out)."""
import csv
import subprocess
import sys
from pathlib import Path

import numpy as np

from evlearn.datasets.nmnist import read_nmnist
from evlearn.formats import read_events
from evlearn.datasets.samples import sample_dir

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEPRECATED = "is deprecated and will be removed"  # evlearn.deprecation's FutureWarning


def run_example(name, *args):
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *map(str, args)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert DEPRECATED not in result.stderr, result.stderr  # examples use only the current names (conventions.md)
    return result.stdout


def is_png(path):
    return path.read_bytes()[:8] == PNG_SIGNATURE and path.stat().st_size < 300_000


def test_clean_recording_on_its_default_input_without_shared_data(tmp_path):
    source = sample_dir() / "0" / "00002.bin"  # the script's default input, shipped with evlearn
    out = run_example("clean_recording.py", "--output-dir", tmp_path)
    cleaned = read_nmnist(tmp_path / f"{source.stem}_clean.bin", sensor_size=(28, 28, 2))
    original = read_nmnist(source)
    assert 0.5 * len(original) < len(cleaned) < len(original)
    assert f"kept {len(cleaned)} of {len(original)}" in out
    assert is_png(tmp_path / f"{source.stem}_clean.png")


def test_time_surfaces(nmnist_dir, tmp_path):
    source = sorted((nmnist_dir / "Test" / "2").glob("*.bin"))[0]
    run_example("time_surfaces.py", source, "--output-dir", tmp_path, "--dt-us", 100_000, "--radius", 2)
    arrays = np.load(tmp_path / f"{source.stem}_time_surfaces.npz")
    n_events = len(read_nmnist(source))
    assert arrays["global_surfaces"].shape[1:] == (2, 34, 34) and 2 <= len(arrays["global_surfaces"]) <= 4
    assert arrays["local_surfaces"].shape == (n_events, 1, 5, 5)
    np.testing.assert_array_equal(arrays["local_surfaces"][:, 0, 2, 2], 1.0)
    assert is_png(tmp_path / f"{source.stem}_time_surfaces.png")


def test_frames_per_window(nmnist_dir, tmp_path):
    sources = [sorted((nmnist_dir / "Test" / str(d)).glob("*.bin"))[1] for d in (5, 9)]
    run_example("frames_per_window.py", *sources, "--output-dir", tmp_path, "--window-us", 50_000)
    with open(tmp_path / "windows.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for source in sources:
        counts = [int(row["events"]) for row in rows if row["file"] == str(source)]
        assert len(counts) >= 6  # ~300 ms in 50 ms windows
        total = len(read_nmnist(source))
        assert 0.99 * total <= sum(counts) <= total  # windows are right-open: the very last event may fall out
    assert is_png(tmp_path / "frames.png")


def test_example_reports_bad_input(tmp_path):
    bad = tmp_path / "broken.bin"
    bad.write_bytes(b"\x00" * 7)
    result = subprocess.run([sys.executable, str(EXAMPLES / "clean_recording.py"), str(bad), "--output-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "not a multiple of 5" in result.stderr


def test_camera_files_writes_streams_and_pictures_an_evt3_file(tmp_path):
    out = run_example("camera_files.py", "--output-dir", tmp_path)
    camera_file = tmp_path / "digit_evt3.raw"
    events = read_events(camera_file)
    np.testing.assert_array_equal(events, read_nmnist(sample_dir() / "7" / "00016.bin"))
    assert f"evt3, sensor [34, 34, 2], {len(events)} events" in out
    assert "6 time surfaces of shape (2, 34, 34)" in out
    assert is_png(tmp_path / "digit_evt3_time_surfaces.png")
