"""What the API reference must cover: every public module and name (no Sphinx needed).

Shared by the site's build check (docs/_ext/evlearn_sphinx.py) and the test suite
(tests/test_docs.py), so that a public function without a docstring fails ``pytest``
before it can fail the documentation build in CI.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_API = ("evlearn.cli",)  # the command line has its own page, not an API


def public_modules() -> list[str]:
    """Every importable evlearn module without a leading underscore, from pyproject's package list."""
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    names = set()
    for package in packages:
        names.add(package)
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__, prefix=package + "."):
            names.add(info.name)
    return sorted(n for n in names if not any(part.startswith("_") for part in n.split("."))
                  and not n.startswith(NOT_API))


def is_routine(obj) -> bool:
    """A function or class, including numba's ``@njit`` dispatchers (they keep ``py_func``)."""
    return inspect.isfunction(obj) or inspect.isclass(obj) or inspect.isfunction(getattr(obj, "py_func", None))


def public_names(module) -> list[str]:
    """Functions and classes defined in the module without a leading underscore, plus its ``__all__``."""
    names = [name for name, obj in vars(module).items()
             if not name.startswith("_") and is_routine(obj) and obj.__module__ == module.__name__]
    return sorted(set(names) | set(getattr(module, "__all__", ())) - {"__version__"})


def undocumented() -> list[str]:
    """Public functions and classes (defined where they are listed) that have no docstring."""
    missing = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in public_names(module):
            obj = getattr(module, name, None)
            if is_routine(obj) and obj.__module__ == module_name and not (obj.__doc__ or "").strip():
                missing.append(f"{module_name}.{name}")
    return missing


def _own_function(attr):
    """The function behind a method, classmethod, staticmethod or property; None for other attributes."""
    attr = attr.__func__ if isinstance(attr, (classmethod, staticmethod)) else attr
    return attr if inspect.isfunction(attr) or isinstance(attr, property) else None


def undocumented_methods() -> list[str]:
    """Public methods and properties defined in public classes without a docstring of their own.

    An override needs its own: numpydoc's check in the site build reads the method's own
    docstring, and one inherited from torch or scikit-learn says nothing about ours.
    """
    missing = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in public_names(module):
            cls = getattr(module, name, None)
            if not inspect.isclass(cls) or cls.__module__ != module_name:
                continue
            for method, attr in vars(cls).items():
                function = _own_function(attr)
                if not method.startswith("_") and function is not None and not (function.__doc__ or "").strip():
                    missing.append(f"{module_name}.{name}.{method}")
    return missing


def shadowed_modules() -> list[str]:
    """Modules their package hides behind a same-named function (``evlearn.functional.denoise``).

    autosummary cannot reach them, so docs/api.rst lists their other public names by hand.
    """
    shadowed = []
    for module_name in public_modules():
        parent, _, name = module_name.rpartition(".")
        if parent and getattr(importlib.import_module(parent), name) is not importlib.import_module(module_name):
            shadowed.append(module_name)
    return shadowed
