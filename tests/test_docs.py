"""Cheap checks of what the documentation build (CI: sphinx -W) would fail on, so `pytest` catches them first."""
import ast
import importlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

from api_inventory import public_modules, public_names, shadowed_modules, undocumented, undocumented_methods  # noqa: E402

SUBSTITUTION = re.compile(r"(?<![`|])\|[A-Za-z_]\w*\|(?![`|_])")  # |m_k|: a reST substitution, undefined


def test_every_public_function_and_class_has_a_docstring():
    # The API reference shows each one; numpydoc fails the build on an empty docstring.
    assert undocumented() == []


def test_every_public_method_and_property_has_a_docstring():
    # The class pages list every public method; an override of a torch or scikit-learn
    # method needs its own docstring (theirs does not describe ours).
    assert undocumented_methods() == []


def test_docstrings_have_no_bare_substitutions():
    bad = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        docs = [(module_name, module.__doc__)] + [(f"{module_name}.{n}", getattr(getattr(module, n, None), "__doc__", None))
                                                  for n in public_names(module)]
        bad += [f"{name}: {match}" for name, doc in docs for match in SUBSTITUTION.findall(doc or "")]
    assert bad == [], "write |x| as ``|x|`` in docstrings (reST reads |x| as an undefined substitution)"


def test_names_of_shadowed_modules_are_listed_in_api_rst():
    api = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    for module_name in shadowed_modules():
        module = importlib.import_module(module_name)
        missing = [n for n in public_names(module) if n != module_name.rsplit(".", 1)[1] and f"{module_name}.{n}" not in api]
        assert missing == [], f"docs/api.rst: list {missing} under {module_name}"


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


def test_site_server_is_quiet_when_the_browser_hangs_up(tmp_path, capfd):
    """check_site printed a BrokenPipeError traceback whenever the browser closed a connection mid-file."""
    import importlib.util
    import socket
    import struct
    import time

    spec = importlib.util.spec_from_file_location("check_site", ROOT / "docs" / "check_site.py")
    check_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_site)
    (tmp_path / "big.bin").write_bytes(bytes(32 << 20))
    server = check_site.serve(tmp_path)
    try:
        for _ in range(3):
            with socket.create_connection(server.server_address) as client:
                client.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
                client.recv(1024)
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
        time.sleep(1.0)                                   # let the handler threads hit the closed socket
    finally:
        server.shutdown()
        server.server_close()
    assert capfd.readouterr().err == ""


def test_broken_evlearn_references_fail_the_build_and_external_ones_do_not():
    # No intersphinx offline: other projects' names are ignored, never evlearn's own.
    tree = ast.parse((ROOT / "docs" / "conf.py").read_text(encoding="utf-8"))
    conf = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") in ("nitpicky", "nitpick_ignore_regex")}
    assert conf["nitpicky"] is True

    def ignored(target):
        return any(re.fullmatch(kind, "py:class") and re.fullmatch(pattern, target)
                   for kind, pattern in conf["nitpick_ignore_regex"])

    assert all(map(ignored, ["numpy.ndarray", "torch.nn.modules.module.Module", "pathlib.Path", "brian2.units.fundamentalunits.Quantity"]))
    assert not any(map(ignored, ["evlearn.feast.layer.FEAST", "evlearn.events.SensorSize", "evlearn", "nump"]))
