"""Experiment configs as dataclasses, loadable from TOML or YAML.

Unknown keys are errors (a typo must not silently fall back to a default), and
nested dataclass fields are built from nested tables.
"""
from __future__ import annotations

import dataclasses
import tomllib
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
            raise ValueError(f"cannot parse {path}: {err}") from None
        raise
    if not isinstance(data, dict):
        raise ValueError(f"{path}: top level must be a table/mapping")
    return data


def from_dict(cls: type[T], data: dict, *, where: str = "config") -> T:
    """Build dataclass ``cls`` from ``data``, recursing into nested dataclasses."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a table/mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        hint = hints.get(key)
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            value = from_dict(hint, value, where=f"{where}.{key}")
        elif isinstance(value, list) and (hint is tuple or typing.get_origin(hint) is tuple):
            value = tuple(value)
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise ValueError(f"{where}: {err}") from None


def load_config(cls: type[T], path) -> T:
    """Load dataclass ``cls`` from a TOML/YAML file."""
    return from_dict(cls, read_config_file(path), where=str(path))
