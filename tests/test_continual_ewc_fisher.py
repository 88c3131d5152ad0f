"""EWC's Fisher estimators: the closed form for linear layers equals per-sample gradients; the batch option."""
from __future__ import annotations

import pytest
import torch

from evlearn.continual.backbones import make_backbone
from evlearn.continual.data import synthetic_blobs
from evlearn.continual.scenarios import split_scenario
from evlearn.continual.strategies import as_float_tensor, make_strategy
from evlearn.continual.strategies.ewc import linear_fisher_diagonal

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _ewc(mode, backbone="mlp", **options):
    X, y, Xt, yt = synthetic_blobs(seed=0, n_classes=4, n_features=16, n_train_per_class=30, n_test_per_class=5)
    if backbone == "cnn":
        X, Xt = X.reshape(-1, 1, 4, 4), Xt.reshape(-1, 1, 4, 4)
    scenario = split_scenario(X, y, Xt, yt, n_tasks=2, mode=mode)
    torch.manual_seed(0)
    hidden = {"hidden": (8, 8)} if backbone == "mlp" else {}
    model = make_backbone(backbone, scenario.input_shape, 4, **hidden)
    ewc = make_strategy("ewc", model, fisher_samples=40, batch_size=8, **options)
    ewc.train_task(scenario[0])
    ewc.current_task, ewc.mode = scenario[1], mode
    ewc.task_classes[1] = scenario[1].classes
    return ewc, scenario[1]


@pytest.mark.parametrize("mode", ["class", "task"])
def test_closed_form_equals_per_sample_gradients(mode):
    ewc, task = _ewc(mode)
    X = as_float_tensor(task.X_train[:40])
    y = torch.as_tensor(task.y_train[:40])
    t = torch.full((40,), task.task_id)
    fast = linear_fisher_diagonal(ewc.model, X, y, lambda xb, rows: ewc.forward(xb, t[rows]), chunk=16)
    slow = ewc._vmap_fisher(X, y, t)
    assert fast.keys() == slow.keys()
    for k in fast:
        torch.testing.assert_close(fast[k], slow[k], rtol=1e-4, atol=1e-7)


def test_other_layers_fall_back_to_per_sample_gradients():
    ewc, task = _ewc("class", backbone="cnn")
    X, y = as_float_tensor(task.X_train[:5]), torch.as_tensor(task.y_train[:5])
    assert linear_fisher_diagonal(ewc.model, X, y, lambda xb, rows: ewc.model(xb)) is None
    fisher = ewc.fisher_diagonal(task)                 # falls back to torch.func per-sample gradients
    assert all(torch.isfinite(v).all() for v in fisher.values()) and float(fisher["head.weight"].sum()) > 0


def test_batch_estimator_is_the_mean_of_squared_minibatch_gradients():
    ewc, task = _ewc("class", fisher_estimator="batch")
    state = ewc.rng.bit_generator.state
    fisher = ewc.fisher_diagonal(task)
    ewc.rng.bit_generator.state = state
    pick = ewc.rng.choice(task.n_train, size=40, replace=False)
    expected = {k: torch.zeros_like(p) for k, p in ewc.model.named_parameters()}
    for start in range(0, 40, 8):                      # 5 minibatches of 8
        rows = pick[start:start + 8]
        ewc.model.zero_grad()
        torch.nn.functional.cross_entropy(ewc.model(torch.from_numpy(task.X_train[rows])),
                                          torch.from_numpy(task.y_train[rows])).backward()
        for k, p in ewc.model.named_parameters():
            expected[k] += p.grad ** 2 / 5
    for k in expected:
        torch.testing.assert_close(fisher[k], expected[k])
    with pytest.raises(ValueError, match="fisher_estimator"):
        _ewc("class", fisher_estimator="diagonal")
