"""The public API follows docs/conventions.md: no parameter under a name the conventions replaced.

Old names are accepted only through the deprecation aliases (tested in
test_estimators.py and test_transforms.py); they never appear in a signature.
"""
import inspect

import pytest

import evlearn
import evlearn.classify
import evlearn.feast
import evlearn.feast.readout
import evlearn.functional
import evlearn.transforms

# name the conventions replaced -> its replacement
REPLACED = {"tau": "tau_us", "dt": "dt_us", "filter_time": "filter_time_us", "random_state": "seed",
            "epochs": "n_epochs", "neurons": "n_neurons", "tau_ms": "tau_us", "start": "start_us", "end": "end_us"}
MODULES = [evlearn.transforms, evlearn.functional, evlearn.feast, evlearn.classify, evlearn.feast.readout]


def _public_callables():
    for module in MODULES:
        for name in getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]:
            item = getattr(module, name)
            if isinstance(item, type) and issubclass(item, BaseException):
                continue
            if callable(item) and getattr(item, "__module__", "").startswith("evlearn"):
                yield f"{module.__name__}.{name}", item


@pytest.mark.parametrize("name, item", list(_public_callables()), ids=lambda v: v if isinstance(v, str) else "")
def test_no_replaced_parameter_names(name, item):
    params = inspect.signature(item).parameters
    old = {p: REPLACED[p] for p in params if p in REPLACED}
    assert not old, f"{name}: rename {old} (docs/conventions.md), keeping the old name as a deprecated alias"


def test_learners_are_seeded_by_default_and_use_microseconds():
    for learner in (evlearn.FEAST(), evlearn.FEASTNetwork()):
        assert learner.get_params()["seed"] == 0
    assert evlearn.FEAST().tau_us == 30_000.0
