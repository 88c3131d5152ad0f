"""A fresh clone without ../shared/data: data tests skip with one reason; CI's variable makes them fail."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_TEST = "tests/test_cli.py::test_info_event_count_equals_size_over_5"  # uses the nmnist_dir fixture


def run_pytest(tmp_path, require: str):
    env = {**os.environ, "EVLEARN_SHARED_DATA": str(tmp_path / "no-data"), "EVLEARN_REQUIRE_SHARED_DATA": require}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", DATA_TEST],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_missing_shared_data_skips_with_one_clear_reason(tmp_path):
    result = run_pytest(tmp_path, require="0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout and "needs the real data subsets in ../shared/data" in result.stdout


def test_ci_variable_turns_the_skip_into_a_failure(tmp_path):
    result = run_pytest(tmp_path, require="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "EVLEARN_REQUIRE_SHARED_DATA is set" in result.stdout


def test_ci_requires_the_shared_data():
    assert "export EVLEARN_REQUIRE_SHARED_DATA=1" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
