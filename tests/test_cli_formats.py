"""`evlearn info`, `evlearn convert` and `evlearn feast extract` on camera files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evlearn.cli.main import main
from evlearn.formats import read_events
from test_formats import SAMPLES


@pytest.mark.parametrize("name", SAMPLES)
def test_info_json_on_every_format(camera_samples, capsys, name):
    path = camera_samples / SAMPLES[name]
    assert main(["info", str(path), "--json", "--no-progress"]) == 0
    info = json.loads(capsys.readouterr().out)
    events = read_events(path)
    assert {"format", "events", "sensor", "duration_us", "rate_hz"} <= set(info)
    assert info["format"] == name and info["events"] == events.size
    assert info["duration_us"] == events["t"][-1] - events["t"][0]
    assert info["rate_hz"] == pytest.approx(events.size / (info["duration_us"] * 1e-6))


def test_info_text_names_the_skipped_records(camera_samples, capsys):
    assert main(["info", str(camera_samples / SAMPLES["aedat4"]), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "aedat4" in out and "320 x 240" in out and "475 imu" in out


def test_info_on_a_bad_file_is_one_line_and_exit_2(camera_samples, tmp_path, capsys):
    bad = tmp_path / "cut.raw"
    bad.write_bytes((camera_samples / SAMPLES["evt2"]).read_bytes()[:-3])
    assert main(["info", str(bad), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cut.raw" in err and "byte offset" in err


@pytest.mark.parametrize("source, target", [("aedat4", "out.aedat4"), ("evt3", "out.aedat4"), ("dat", "out.npy"),
                                            ("evt2", "out.dat"), ("dat", "out.raw")])
def test_convert_round_trips_the_events(camera_samples, tmp_path, capsys, source, target):
    out = tmp_path / target
    assert main(["convert", str(camera_samples / SAMPLES[source]), str(out), "--no-progress"]) == 0
    assert "wrote" in capsys.readouterr().out
    np.testing.assert_array_equal(read_events(out), read_events(camera_samples / SAMPLES[source]))


def test_convert_to_evt2_refuses_times_past_its_clock_unless_zeroed(camera_samples, tmp_path, capsys):
    source = camera_samples / SAMPLES["aedat4"]  # absolute times, ~1.6e15 us
    assert main(["convert", str(source), str(tmp_path / "a.raw"), "--no-progress"]) == 2
    assert "EVT 2.0 holds timestamps below 2**34 us" in capsys.readouterr().err
    assert not (tmp_path / "a.raw").exists()
    assert main(["convert", str(source), str(tmp_path / "a.raw"), "--zero-time", "--no-progress"]) == 0
    original, copy = read_events(source), read_events(tmp_path / "a.raw")
    np.testing.assert_array_equal(copy["t"], original["t"] - original["t"][0])
    np.testing.assert_array_equal(copy[["x", "y", "p"]], original[["x", "y", "p"]])


def test_convert_forced_format_and_sensor(camera_samples, tmp_path, nmnist_dir):
    sample = next(nmnist_dir.glob("Test/*/*.bin"))
    out = tmp_path / "n.raw"
    assert main(["convert", str(sample), str(out), "--format", "evt3", "--sensor-size", "34,34,2", "--no-progress"]) == 0
    np.testing.assert_array_equal(read_events(out), read_events(sample))
    assert out.read_bytes().startswith(b"% evt 3.0")


def test_failed_convert_writes_nothing(camera_samples, tmp_path, capsys):
    bad = tmp_path / "cut.aedat4"
    bad.write_bytes((camera_samples / SAMPLES["aedat4"]).read_bytes()[:-100_000])
    assert main(["convert", str(bad), str(tmp_path / "out.npy"), "--no-progress"]) == 2
    assert "corrupt or truncated data after event" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.aedat4"]


def test_feast_extract_streams_a_camera_file(camera_samples, tmp_path, capsys):
    from evlearn.feast import FEAST
    from evlearn.feast.persistence import save_model

    path = camera_samples / SAMPLES["evt3"]
    events = read_events(path)
    layer = FEAST(n_neurons=4, radius=1, sensor_size=(1280, 720, 2)).fit([events[:5000]])
    save_model(tmp_path / "m.npz", layer)
    assert main(["feast", "extract", "--model", str(tmp_path / "m.npz"), "--in", str(path),
                 "--out", str(tmp_path / "features"), "--no-progress"]) == 0
    assert f"{events.size} events" in capsys.readouterr().out
    np.testing.assert_array_equal(np.load(tmp_path / "features" / "prophesee_evt3_sample.npy"), layer.transform(events))


def test_feast_extract_refuses_a_camera_file_larger_than_the_model_sensor(camera_samples, tmp_path, capsys):
    from evlearn.feast import FEAST
    from evlearn.feast.persistence import save_model

    few = read_events(camera_samples / SAMPLES["dat"])[:10]
    few["x"] %= 34
    few["y"] %= 34
    layer = FEAST(n_neurons=2, radius=1).fit([few])
    save_model(tmp_path / "m.npz", layer)
    assert main(["feast", "extract", "--model", str(tmp_path / "m.npz"), "--in",
                 str(camera_samples / SAMPLES["dat"]), "--out", str(tmp_path / "f"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "prophesee_ncars_sample.dat" in err and "outside the sensor" in err
    assert not (tmp_path / "f" / "prophesee_ncars_sample.npy").exists()


def _camera_folder(camera_samples, root):
    """Three recordings of three formats, one in a sub-folder, plus files extraction must skip."""
    import shutil

    (root / "day2").mkdir(parents=True)
    for name, where in (("evt3", root), ("dat", root / "day2"), ("aedat4", root / "day2")):
        shutil.copy(camera_samples / SAMPLES[name], where / SAMPLES[name])
    (root / ".partial.raw").write_bytes(b"not events")   # hidden: skipped
    (root / "notes.txt").write_text("not an event file")
    return root


def test_feast_extract_a_folder_of_camera_recordings(camera_samples, tmp_path, capsys):
    import csv

    from evlearn.feast import FEAST
    from evlearn.feast.persistence import save_model

    src = _camera_folder(camera_samples, tmp_path / "recordings")
    layer = FEAST(n_neurons=4, radius=1, sensor_size=(1280, 720, 2)).fit([read_events(src / SAMPLES["evt3"])[:5000]])
    save_model(tmp_path / "m.npz", layer)
    out = src / "features"        # inside the input folder: not read as input on the second run
    for _ in range(2):
        assert main(["feast", "extract", "--model", str(tmp_path / "m.npz"), "--in", str(src), "--out", str(out),
                     "--no-progress"]) == 0
        assert "wrote 3 feature stream(s)" in capsys.readouterr().out
    with open(out / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["path"] for r in rows] == ["day2/inivation_sample.aedat4", "day2/prophesee_ncars_sample.dat",
                                         "prophesee_evt3_sample.raw"]
    for row in rows:
        assert row["status"] == "ok"
        expected = layer.transform(read_events(src / row["path"]))
        got = np.load(out / Path(row["path"]).with_suffix(".npy"))
        np.testing.assert_array_equal(got, expected, err_msg=row["path"])
        assert int(row["events_out"]) == expected.size


def test_extraction_jobs_refuse_outputs_that_would_collide(tmp_path):
    from evlearn.feast.bulk import extraction_jobs

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "rec.raw").write_bytes(b"")
    (tmp_path / "a" / "rec.dat").write_bytes(b"")
    with pytest.raises(ValueError, match=r"rec.dat and .*rec.raw would both write .*rec.npy"):
        extraction_jobs(tmp_path / "a", tmp_path / "out")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "events.npy").write_bytes(b"")
    with pytest.raises(ValueError, match=r"events.npy: its feature stream would overwrite it"):
        extraction_jobs(tmp_path / "b", tmp_path / "b")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "readme.txt").write_text("x")
    with pytest.raises(ValueError, match=r"c: no event files \(.aedat4, .bin, .dat, .npy, .raw\)"):
        extraction_jobs(tmp_path / "c", tmp_path / "out")


def test_camera_recordings_run_one_per_task():
    from evlearn.feast.bulk import _task_sizes, partition_sizes

    assert _task_sizes(["x/a.raw"] + [f"x/{i}.bin" for i in range(99)], 2) == [1] * 100
    assert _task_sizes([f"x/{i}.bin" for i in range(100)], 2) == partition_sizes(100, 2) != [1] * 100
