"""The ``[sweep]`` table of a benchmark config: lists of option values that expand into runs.

Keys are ``<strategy name or label>.<option>`` (only those strategies) or
``train.<key>`` (every strategy)::

    [sweep]
    er.memory_size = [100, 200, 500]
    train.lr = [0.001, 0.01]

Each strategy entry becomes one run per point of the product of the lists that
apply to it, labelled ``er-memory_size-100-lr-0.001``; entries no key applies to
are left as they are. Nested TOML/YAML tables and dotted keys are the same thing.
"""
from __future__ import annotations

import itertools


def flatten(sweep: dict, train_keys: tuple[str, ...], prefix: str = "") -> dict[str, list]:
    """``{"er": {"memory_size": [..]}}`` and ``{"er.memory_size": [..]}`` both as dotted keys, checked."""
    if not isinstance(sweep, dict):
        raise ValueError(f"sweep: expected a table, got {sweep!r}")
    flat = {}
    for key, value in sweep.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, train_keys, f"{name}."))
            continue
        target, _, option = name.rpartition(".")
        if not target or not option:
            raise ValueError(f"sweep.{name}: keys are <strategy or label>.<option> or train.<key>")
        if target == "train" and option not in train_keys:
            raise ValueError(f"sweep.{name}: train options are {list(train_keys)}")
        if not isinstance(value, (list, tuple)) or not value or len(set(map(repr, value))) != len(value):
            raise ValueError(f"sweep.{name}: give a non-empty list of distinct values, got {value!r}")
        flat[name] = list(value)
    return flat


def axes_for(flat: dict[str, list], strategy: str, label: str) -> list[tuple[str, list]]:
    """The (option, values) pairs that apply to one strategy entry, in the order of the table."""
    axes = []
    for key, values in flat.items():
        target, _, option = key.rpartition(".")
        if target in ("train", strategy, label):
            axes.append((option, values))
    return axes


def check_targets(flat: dict[str, list], targets: set[str]) -> None:
    """Every key names ``train`` or a strategy/label of the config."""
    for key in flat:
        target = key.rpartition(".")[0]
        if target != "train" and target not in targets:
            raise ValueError(f"sweep.{key}: {target!r} is not a strategy or label of this config "
                             f"({sorted(targets)})")


def expand(label: str, strategy: str, options: dict, flat: dict[str, list]) -> list[tuple[str, dict]]:
    """(label, options) of each sweep point of one strategy entry; the entry itself when no key applies."""
    axes = axes_for(flat, strategy, label)
    names = [option for option, _ in axes]
    points = []
    for point in itertools.product(*(values for _, values in axes)):
        suffix = "".join(f"-{name}-{value}" for name, value in zip(names, point))
        points.append((f"{label}{suffix}", {**options, **dict(zip(names, point))}))
    return points
