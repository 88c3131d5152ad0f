"""Sphinx helpers of the evlearn site.

- Inline code in the user guide that names an evlearn object (``evlearn.FEAST``,
  ``count_frame(events, sensor_size)``) links to its API page; re-exported names
  (``evlearn.feast.FEAST``) resolve to where the object is defined and documented.
- The API reference must cover every public module and every public name: a
  module or name missing from it is a warning, so ``-W`` fails the build.
- A guide link to a repository file outside docs/ (``[report](../benchmarks/...)``,
  natural on GitHub) becomes a download of that file on the site.
- The gallery runs each example with ``--output-dir`` under ``docs/_build`` and
  shows the PNG files it writes, so examples stay plain scripts.
"""
from __future__ import annotations

import importlib
import os
import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.nodes import make_refnode

from api_inventory import public_modules, public_names, shadowed_modules

logger = logging.getLogger(__name__)
DOCS = Path(__file__).resolve().parents[1]
EXAMPLE_OUTPUT = DOCS / "_build" / "example-output"
IDENTIFIER = re.compile(r"^[A-Za-z_][\w.]*[A-Za-z0-9_]$")


# --- gallery ---------------------------------------------------------------------------
def _output_dir(src_file) -> Path:
    return EXAMPLE_OUTPUT / Path(src_file).stem


def example_argv(gallery_conf, script_vars):
    """sphinx-gallery ``reset_argv``: every example writes into its own fresh folder."""
    out = _output_dir(script_vars["src_file"])
    shutil.rmtree(out, ignore_errors=True)
    return ["--output-dir", str(out)]


class OutputFileScraper:
    """sphinx-gallery image scraper: the PNG files an example wrote since the last code block."""

    def __init__(self):
        self.shown: set[Path] = set()

    def __repr__(self):  # sphinx-gallery hashes its config through repr
        return "OutputFileScraper()"

    def __call__(self, block, block_vars, gallery_conf):
        from sphinx_gallery.scrapers import figure_rst

        out = _output_dir(block_vars["src_file"])
        new = sorted(p for p in out.rglob("*.png") if p not in self.shown) if out.is_dir() else []
        paths = []
        for png, target in zip(new, block_vars["image_path_iterator"]):
            shutil.copyfile(png, target)
            self.shown.add(png)
            paths.append(target)
        return figure_rst(paths, gallery_conf["src_dir"])


output_file_scraper = OutputFileScraper()


# --- cross-references ------------------------------------------------------------------
def link_inline_code(app, doctree):
    """Turn inline code naming a Python object into a (silent if unresolved) cross-reference."""
    docname = app.env.docname
    if app.env.doc2path(docname).suffix != ".md":
        return
    for literal in list(doctree.findall(nodes.literal)):
        if isinstance(literal.parent, (nodes.reference, addnodes.pending_xref)):
            continue
        target = literal.astext().split("(", 1)[0].strip()
        if len(target) < 3 or not IDENTIFIER.match(target):
            continue
        xref = addnodes.pending_xref("", refdomain="py", reftype="obj", reftarget=target,
                                     refdoc=docname, refexplicit=True, refwarn=False,
                                     evlearn_inline=True)
        literal.replace_self(xref)
        xref += literal


def link_repository_files(app, doctree):
    """MyST links to Markdown files outside docs/ (result reports) become downloads of those files.

    MyST takes any linked ``.md`` file for a page of the site; one outside the site is not.
    """
    env = app.env
    doc_dir = env.doc2path(env.docname).parent
    for xref in list(doctree.findall(addnodes.pending_xref)):
        if xref.get("reftype") != "myst" or xref.get("refdomain") != "doc" or xref["reftarget"] in env.found_docs:
            continue
        stem = Path(env.srcdir) / xref["reftarget"]
        files = [stem.with_name(stem.name + suffix) for suffix in app.config.source_suffix]
        found = next((f for f in files if f.is_file() and not f.resolve().is_relative_to(DOCS)), None)
        if found is not None:
            download = addnodes.download_reference("", "", refdoc=env.docname, refexplicit=True,
                                                   reftarget=os.path.relpath(found, doc_dir), refdomain="")
            download += xref.children
            xref.replace_self(download)


def _documented(env) -> dict[str, tuple[str, str]]:
    """Full name -> (docname, node id) of every documented Python object."""
    domain = env.get_domain("py")
    return {name: (obj.docname, obj.node_id) for name, obj in domain.objects.items()}


def _canonical_name(target: str) -> str | None:
    """``evlearn.FEAST`` -> ``evlearn.feast.layer.FEAST`` (where it is defined), if it imports."""
    module_name, _, attr = target.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError):
        return None
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else None


def resolve_missing(app, env, node, contnode):
    """Resolve re-exported and short names; leave the guide's unmatched inline code as plain code."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    documented = _documented(env)
    found = None
    if target.startswith("evlearn."):
        found = _canonical_name(target)
        found = found if found in documented else None
    if found is None and target.count(".") <= 1:  # short names: unique suffix among documented objects
        matches = [name for name in documented if name.endswith("." + target)]
        found = matches[0] if len(matches) == 1 else None
    if found is not None:
        docname, node_id = documented[found]
        return make_refnode(app.builder, node["refdoc"], docname, node_id, contnode, found)
    return contnode if node.get("evlearn_inline") else None


# --- class pages ---------------------------------------------------------------------------
SKLEARN_REQUEST = re.compile(r"^set_\w+_request$")


def skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods (metadata routing): their
    docstrings link into scikit-learn's own site, which this build cannot resolve."""
    return True if what == "class" and SKLEARN_REQUEST.match(name) else None


def public_bases(app, name, obj, options, bases):
    """``Bases:`` lines list public classes only (a private helper base has no page to link to)."""
    bases[:] = [b for b in bases if not getattr(b, "__name__", "").startswith("_")] or [object]


def _imports(name: str) -> bool:
    module_name, _, attr = name.rpartition(".")
    try:
        importlib.import_module(name)
        return True
    except ImportError:
        pass
    try:
        getattr(importlib.import_module(module_name), attr)
        return True
    except (ImportError, AttributeError, ValueError):
        return False


def remove_stale_api_pages(app):
    """Delete generated API pages of names that no longer exist.

    autosummary writes ``docs/api/<name>.rst`` but never removes one, so after a rename a
    local build read the old page and failed (a clean clone, as in CI, has none).
    """
    for page in (Path(app.srcdir) / "api").glob("*.rst"):
        if not _imports(page.stem):
            page.unlink()


# --- API coverage ------------------------------------------------------------------------
def check_api_coverage(app, env):
    documented = _documented(env)
    documented_modules = set(env.get_domain("py").modules)
    shadowed = set(shadowed_modules())
    for module_name in public_modules():
        if module_name not in documented_modules and module_name not in shadowed:
            logger.warning("API reference: public module %s is missing (docs/api.rst)", module_name)
            continue
        module = importlib.import_module(module_name)
        for name in public_names(module):
            full = f"{module_name}.{name}"
            canonical = _canonical_name(full)
            if full not in documented and canonical not in documented and not any(
                    d.endswith("." + name) for d in documented if d.startswith(module_name.rsplit(".", 1)[0])):
                logger.warning("API reference: public name %s has no entry", full)


# --- generated page content -----------------------------------------------------------
GUIDE_ORDER = ("events", "formats", "datasets", "feast", "dendrites", "hebbian", "continual",
               "sharp", "g2gnet", "scaling", "conventions")
NOT_GUIDE = {"index", "guide", "api", "results", "cli"}


def guide_pages() -> list[str]:
    """The part pages at the top of docs/: the usual order first, then any newer page by name."""
    pages = {p.stem for p in DOCS.glob("*.md")} - NOT_GUIDE
    return [p for p in GUIDE_ORDER if p in pages] + sorted(pages - set(GUIDE_ORDER))


def command_help() -> str:
    """``--help`` of ``evlearn`` and of every sub-command, as Markdown sections."""
    import argparse
    import os

    from evlearn.cli.main import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal width: fix it
    sections, todo = [], [("evlearn", build_parser())]
    while todo:
        name, parser = todo.pop(0)
        sections.append(f"## `{name}`\n\n```text\n{parser.format_help().rstrip()}\n```\n")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [(f"{name} {sub}", subparser) for sub, subparser in action.choices.items()]
    return "\n".join(sections)


def add_generated_content(app, docname, source):
    if docname == "guide":
        head, fence, tail = source[0].rpartition("```")  # fill the empty toctree before its closing fence
        source[0] = head + "\n".join(guide_pages()) + "\n" + fence + tail
    elif docname == "cli":
        source[0] += "\n" + command_help()


def setup(app):
    app.connect("builder-inited", remove_stale_api_pages, priority=600)  # after autosummary (500) wrote them
    app.connect("source-read", add_generated_content)
    app.connect("doctree-read", link_inline_code)
    app.connect("doctree-read", link_repository_files, priority=400)  # before Sphinx collects downloads
    app.connect("missing-reference", resolve_missing)
    app.connect("autodoc-skip-member", skip_foreign_members)
    app.connect("autodoc-process-bases", public_bases)
    app.connect("env-check-consistency", check_api_coverage)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
