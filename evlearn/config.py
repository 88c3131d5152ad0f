"""Experiment configs as dataclasses, loadable from TOML or YAML.

Unknown keys are errors (a typo must not silently fall back to a default), and
nested dataclass fields are built from nested tables. Each dataclass is the
schema of its section: every value is checked against the field's type, and
against the range or choices in its metadata (see :func:`spec`), before any run
starts; errors name the file, section and key on one line.
"""
from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def read_config_file(path) -> dict:
    """Read a TOML (.toml) or YAML (.yaml/.yml) file into a dict."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        elif suffix in (".yaml", ".yml"):
            import yaml

            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
        else:
            raise ValueError(f"config file must end in .toml, .yaml or .yml: {path}")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot parse {path}: {err}") from None
    except Exception as err:  # yaml.YAMLError without importing yaml at module level
        if type(err).__module__.startswith("yaml"):
            raise ValueError(f"cannot parse {path}: {_yaml_error_line(err)}") from None
        raise
    if not isinstance(data, dict):
        raise ValueError(f"{path}: top level must be a table/mapping")
    return data


def _yaml_error_line(err) -> str:
    """PyYAML's multi-line message as one line: 'line L, column C: problem (context)'."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None)
    if mark is None or problem is None:
        return " ".join(str(err).split())
    context = getattr(err, "context", None)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" + (f" ({context})" if context else "")


def spec(default=dataclasses.MISSING, *, default_factory=dataclasses.MISSING, low=None, high=None,
         low_open: bool = False, high_open: bool = False, choices=None, check=None):
    """A dataclass field with its schema: numeric range, allowed values or a check(value, name)."""
    metadata = {"low": low, "high": high, "low_open": low_open, "high_open": high_open, "choices": choices,
                "check": check}
    return dataclasses.field(default=default, default_factory=default_factory, metadata=metadata)


_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
               dict: "a table/mapping", list: "a list", tuple: "a list"}


def _type_ok(value, hint) -> bool | None:
    """Whether ``value`` fits ``hint``; None for hints the schema does not check (Any, unions of others)."""
    if hint in (int,):
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint in (bool, str, dict):
        return isinstance(value, hint)
    origin = typing.get_origin(hint) or hint
    if origin in (list, tuple):
        return isinstance(value, (list, tuple))
    if origin in (typing.Union, types.UnionType):
        results = [_type_ok(value, arg) for arg in typing.get_args(hint)]
        return None if None in results and not any(results) else any(results)
    if hint is type(None):
        return value is None
    return None


def validate_config(config, *, where: str = "config"):
    """Check every field of dataclass ``config`` (recursively) against its type and metadata; return it."""
    from evlearn.validation import check_number

    hints = typing.get_type_hints(type(config))
    for f in dataclasses.fields(config):
        value, hint, name = getattr(config, f.name), hints.get(f.name), _join(where, f.name)
        if dataclasses.is_dataclass(hint):
            if not dataclasses.is_dataclass(value):
                raise ValueError(f"{name}: expected a table/mapping, got {value!r}")
            validate_config(value, where=name)
            continue
        if _type_ok(value, hint) is False:
            expected = _TYPE_NAMES.get(typing.get_origin(hint) or hint, str(hint))
            raise ValueError(f"{name}: expected {expected}, got {value!r}")
        meta = f.metadata
        if meta.get("low") is not None or meta.get("high") is not None:
            check_number(value, name, low=meta["low"], high=meta["high"], low_open=meta["low_open"],
                         high_open=meta["high_open"], integer=hint is int)
        if meta.get("choices") is not None and value not in meta["choices"]:
            raise ValueError(f"{name}: must be one of {list(meta['choices'])}, got {value!r}")
        if meta.get("check") is not None:
            meta["check"](value, name)
    return config


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def from_dict(cls: type[T], data: dict, *, where: str = "config") -> T:
    """Build dataclass ``cls`` from ``data``, recursing into nested dataclasses, and validate it."""
    if not isinstance(data, dict):
        raise ValueError(f"{_at(where)}expected a table/mapping, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{_at(where)}unknown key(s) {unknown}; valid keys: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        hint = hints.get(key)
        if dataclasses.is_dataclass(hint):
            value = from_dict(hint, value, where=_join(where, key))
        elif isinstance(value, list) and (hint is tuple or typing.get_origin(hint) is tuple):
            value = tuple(value)
        kwargs[key] = value
    try:
        config = cls(**kwargs)
    except (TypeError, ValueError) as err:   # a __post_init__ check of its own
        raise ValueError(f"{_at(where)}{err}") from None
    return validate_config(config, where=where)


def load_config(cls: type[T], path) -> T:
    """Load dataclass ``cls`` from a TOML/YAML file; errors name the file, section and key."""
    data = read_config_file(path)
    try:
        return from_dict(cls, data, where="")
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
