"""The README's Python tour must run as written (on a shared N-MNIST file)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_tour_runs(nmnist_dir):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    recording = sorted((nmnist_dir / "Test").rglob("*.bin"))[0]
    namespace = {}
    exec(block.replace('"00004.bin"', repr(str(recording))), namespace)
    assert namespace["surfaces"].shape[1:] == (2, 9, 9)
    assert namespace["features"].size == namespace["streams"][0].size


def test_readme_commands_match_ci():
    """CI must run the README's test command, not a variant of it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[dev]' && .venv/bin/python -m pytest"
    assert command in readme
    assert command.replace("pip install", "pip install -q") in ci
