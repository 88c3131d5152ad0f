"""Renamed arguments kept for one release (docs/conventions.md, "Deprecation policy").

Passing an old name emits a ``FutureWarning`` (shown by default, as scikit-learn
does) naming the new one, and its value is mapped, unit-converted where the old
name had other units.
"""
from __future__ import annotations

import functools
import warnings
from typing import Callable, Mapping, NamedTuple


class Renamed(NamedTuple):
    """``old`` became ``new``; ``convert`` maps an old value to the new unit."""

    new: str
    convert: Callable | None = None
    unit_note: str = ""


def warn_renamed(owner: str, old: str, new: str, note: str = "", stacklevel: int = 3) -> None:
    """Warn (FutureWarning, at the caller's line) that ``owner``'s argument ``old`` is now ``new``."""
    warnings.warn(f"{owner}: {old!r} is deprecated and will be removed in the next release; "
                  f"use {new!r}{note}", FutureWarning, stacklevel=stacklevel + 1)


def map_renamed(owner: str, given: Mapping, renames: Mapping[str, Renamed], *, stacklevel: int = 3,
                also_given: Mapping = ()) -> dict:
    """New-name keyword arguments for ``given`` old-name ones, warning once per name.

    An unknown name, or an old name whose new name is in ``also_given`` too, is a
    TypeError, as Python raises for an unexpected or repeated keyword.
    """
    mapped = {}
    for old, value in given.items():
        if old not in renames:
            raise TypeError(f"{owner} got an unexpected keyword argument {old!r}")
        rename = renames[old]
        if rename.new in also_given:
            raise TypeError(f"{owner} got both {old!r} and its new name {rename.new!r}; pass only {rename.new!r}")
        warn_renamed(owner, old, rename.new, rename.unit_note, stacklevel=stacklevel + 1)
        mapped[rename.new] = rename.convert(value) if rename.convert is not None else value
    return mapped


def renamed_kwargs(**renames: str):
    """Decorate a function (or ``__init__``) to accept ``old=`` keywords for ``new=`` ones, warning."""
    table = {old: Renamed(new) for old, new in renames.items()}

    def decorate(func):
        owner = func.__qualname__.removesuffix(".__init__")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            old = {key: kwargs.pop(key) for key in list(kwargs) if key in table}
            kwargs.update(map_renamed(owner, old, table, stacklevel=2, also_given=kwargs))
            return func(*args, **kwargs)

        return wrapper

    return decorate


def ms_to_us(value):
    """Milliseconds to microseconds, for old arguments given in ms."""
    return value * 1e3
