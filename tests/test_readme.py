"""The README's Python tour must run as written from a fresh clone (shipped samples only)."""
import re
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_tour_runs_as_written_without_warnings():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated name in the README
        exec(block, namespace)
    assert namespace["surfaces"].shape[1:] == (2, 9, 9)
    assert namespace["features"].size == namespace["streams"][0].size


def test_readme_commands_match_ci():
    """CI must run the README's test command, not a variant of it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[dev]' && .venv/bin/python -m pytest"
    assert command in readme
    assert command.replace("pip install", "pip install -q") in ci


def test_benchmark_files_named_in_readme_and_docs_exist():
    """README pointed at benchmarks/configs/g2g_static.toml after the script configs moved to script_configs/."""
    named = {(doc.name, path) for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
             for path in re.findall(r"benchmarks/[\w./-]+\.(?:py|sh|toml|yaml|json|csv|png)", doc.read_text())}
    removed = {"benchmarks/sharp_compare.py"}  # docs/sharp.md tells its history
    assert len(named) > 20
    assert sorted((doc, path) for doc, path in named if not (ROOT / path).exists() and path not in removed) == []
