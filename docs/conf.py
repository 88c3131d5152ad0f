"""Sphinx configuration of the evlearn site.

Build (from the repository root, as README says):
    pip install -c constraints.txt -e '.[docs]' && python -m sphinx -W -b html docs docs/_build/html
Everything generated (API pages, gallery, executed notebooks) lands in ignored folders.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

import evlearn

matplotlib.use("Agg")  # examples and notebooks draw off-screen
DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars in executed examples and notebooks

project = "evlearn"
author = "the evlearn developers"
copyright = "2026, the evlearn developers"
release = version = evlearn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_design",  # cards on the home page
    "sphinx_gallery.gen_gallery",
    "myst_nb",  # MyST Markdown for the user guide + executed notebooks
    "evlearn_sphinx",  # API cross-links from the guide's inline code, API coverage check
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    # sphinx-gallery also writes docs/sg_execution_times.rst (all galleries): one
                    # "Computation times" page, not two with the same title in the search results
                    "auto_examples/sg_execution_times.rst"]
templates_path = ["_templates"]

# --- API reference: one page per public module and per public name ------------------
autosummary_generate = True
autosummary_imported_members = False  # each name documented once, where it is defined
# No autodoc_default_options: a boolean default there overrides the class template's :members:.
autodoc_typehints = "none"  # numpydoc sections carry the types
numpydoc_show_class_members = False  # the class template lists them
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# A public function or class without a docstring is a warning, i.e. an error under -W.
numpydoc_validation_checks = {"GL08"}
numpydoc_validation_exclude = {r"\.__init__$", r"\.__call__$", r"\.__repr__$", r"\.__len__$", r"\.__getitem__$"}

# Broken cross-references fail the build (-W). Intersphinx inventories cannot be fetched
# offline, so references to other projects' objects are not checked; every evlearn one is.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|torch|scipy|sklearn|brian2|pathlib|typing|collections|dask|distributed|tonic|matplotlib|"
               r"concurrent|numba|tqdm|json|os|io|enum|abc|dataclasses|contextlib|argparse)(\..*)?"),
]

# --- user guide (MyST) and tutorials (executed notebooks) ---------------------------
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
nb_execution_mode = "force"  # the Brian2 notebooks run at every build
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# --- gallery: examples/ run at build time ------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",  # run every example, not only plot_*.py
    # by name (docs/_ext/evlearn_sphinx.py), so that Sphinx can cache the config
    "reset_argv": "evlearn_sphinx.example_argv",  # each example writes into docs/_build/example-output/<name>
    "image_scrapers": ("matplotlib", "evlearn_sphinx.output_file_scraper"),  # open figures + the PNGs it writes
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,  # a failing example fails the build
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "plot_gallery": "True",
}

# --- HTML ----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"evlearn {release}"
html_static_path = ["_static"]
html_logo = "_static/evlearn.svg"
html_favicon = "_static/evlearn.svg"  # also spares the browser a 404 for /favicon.ico
html_context = {"default_mode": "light"}  # an explicit mode: the theme logs an error on an empty one
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 7,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
