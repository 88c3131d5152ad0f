"""Cheap checks of what the documentation build (CI: sphinx -W) would fail on, so `pytest` catches them first."""
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

from api_inventory import undocumented  # noqa: E402


def test_every_public_function_and_class_has_a_docstring():
    # The API reference shows each one; numpydoc fails the build on an empty docstring.
    assert undocumented() == []


def test_examples_run_under_sphinx_gallery():
    """The gallery runs each example without __file__ or __doc__ and needs a reST title."""
    for path in sorted((ROOT / "examples").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        docstring = ast.get_docstring(ast.parse(source)) or ""
        lines = docstring.splitlines()
        assert len(lines) > 1 and set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0]), \
            f"{path.name}: the docstring must open with a title underlined by '='"
        names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
        assert not names & {"__file__", "__doc__"}, f"{path.name}: sphinx-gallery defines neither __file__ nor __doc__"


def test_readme_docs_command_is_the_one_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "pip install -c constraints.txt -e '.[docs]' && python -m sphinx -W -b html docs docs/_build/html"
    assert command in readme
    assert command.replace("pip install", ".venv/bin/pip install -q").replace("python -m", ".venv/bin/python -m") in ci
