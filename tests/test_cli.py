import json

from evlearn.cli.main import main


def test_info_event_count_equals_size_over_5(nmnist_dir, capsys):
    path = next(iter(sorted((nmnist_dir / "Test").rglob("*.bin"))))
    assert main(["info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["events"] == path.stat().st_size // 5 > 0


def test_info_truncated_file_is_one_line_error(nmnist_dir, tmp_path, capsys):
    path = next(iter(sorted((nmnist_dir / "Test").rglob("*.bin"))))
    broken = tmp_path / "broken.bin"
    broken.write_bytes(path.read_bytes()[:-2])
    assert main(["info", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert "broken.bin" in err and "not a multiple of 5" in err and "\n" not in err
