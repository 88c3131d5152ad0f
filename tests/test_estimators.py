"""The scikit-learn contract of every evlearn learner (docs/conventions.md, "Estimators").

``LogisticRegression`` takes a 2-D array and passes all of scikit-learn's
``check_estimator``. FEAST, FEASTNetwork and FEASTClassifier take lists of event
streams, for which scikit-learn's data checks (which feed 2-D float matrices) do
not apply: they pass scikit-learn's API checks that need no data, and the tests
below check the same contracts (fit returns self, no mutation of parameters,
NotFittedError, clone, pickling, model selection) on event streams.
"""
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

import evlearn
from evlearn.classify import LogisticRegression
from evlearn.datasets.samples import load_samples
from evlearn.feast import FEAST, FEASTClassifier, FEASTNetwork
from evlearn.feast.readout import cross_val_predict

SMALL = {"n_neurons": 4, "radius": 2}


@parametrize_with_checks([LogisticRegression()])
def test_logistic_regression_passes_check_estimator(estimator, check):
    check(estimator)


# scikit-learn's checks that need no 2-D data; the others feed float matrices to fit.
API_CHECKS = ["check_parameters_default_constructible", "check_no_attributes_set_in_init",
              "check_get_params_invariance", "check_set_params", "check_estimator_cloneable",
              "check_estimator_repr", "check_mixin_order", "check_estimator_tags_renamed",
              "check_valid_tag_types", "check_do_not_raise_errors_in_init_or_set_params"]
STREAM_ESTIMATORS = [FEAST(**SMALL), FEASTNetwork(layers=[SMALL, {"n_neurons": 3, "radius": 1, "polarity": "stack"}]),
                     FEASTClassifier(FEAST(**SMALL))]


@pytest.mark.parametrize("check", API_CHECKS)
@pytest.mark.parametrize("estimator", STREAM_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_stream_estimators_pass_sklearn_api_checks(estimator, check):
    getattr(estimator_checks, check)(type(estimator).__name__, clone(estimator))


@pytest.fixture(scope="module")
def digits():
    """12 shipped N-MNIST recordings: 4 each of the digits 0, 1, 2."""
    streams, labels = load_samples()
    keep = np.flatnonzero(np.isin(labels.astype(str), ["0", "1", "2"]))
    return [streams[i] for i in keep], labels[keep].astype(str)


def test_one_not_fitted_error_everywhere(digits):
    streams, _ = digits
    assert evlearn.NotFittedError is evlearn.feast.NotFittedError
    assert issubclass(evlearn.NotFittedError, SklearnNotFittedError) and issubclass(evlearn.NotFittedError, ValueError)
    for call in (lambda: FEAST().transform(streams[0]), lambda: FEASTNetwork().transform(streams[0]),
                 lambda: FEASTClassifier().predict(streams), lambda: LogisticRegression().predict(np.ones((2, 2)))):
        with pytest.raises(evlearn.NotFittedError, match="not fitted"):
            call()


def test_parameters_are_validated_in_fit():
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    with pytest.raises(ValueError, match="learning_rate"):
        LogisticRegression(learning_rate=-1).fit(X, y)
    with pytest.raises(ValueError, match="tau_us"):
        FEASTClassifier(FEAST(tau_us=0)).check_params()
    with pytest.raises(ValueError, match="seed"):
        FEAST(seed=-1).check_params()


def test_fit_returns_self_and_leaves_parameters_and_caller_objects_alone(digits):
    streams, labels = digits
    features = FEAST(**SMALL)
    model = FEASTClassifier(features, grid=2)
    before = pickle.dumps(model.get_params(deep=True))
    assert model.fit(streams, labels) is model
    assert pickle.dumps(model.get_params(deep=True)) == before
    assert not hasattr(features, "weights_"), "fit must learn a clone of `features`, not the caller's object"
    assert model.features_ is not features and hasattr(model.features_, "weights_")
    assert FEAST(**SMALL).fit(streams) is not None
    net = FEASTNetwork(layers=[SMALL])
    assert net.fit(streams) is net


def test_classifier_probabilities_and_scores_agree_with_predict(digits):
    streams, labels = digits
    model = FEASTClassifier(FEAST(**SMALL), grid=2).fit(streams, labels)
    proba = model.predict_proba(streams)
    assert proba.shape == (len(streams), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    predicted = model.predict(streams)
    assert np.array_equal(model.classes_[proba.argmax(axis=1)], predicted)
    assert np.array_equal(model.classes_[model.decision_function(streams).argmax(axis=1)], predicted)


def test_clone_and_pickle_keep_the_model(digits):
    streams, labels = digits
    model = FEASTClassifier(FEAST(**SMALL), grid=2).fit(streams, labels)
    assert clone(model).get_params()["features__n_neurons"] == 4
    assert not hasattr(clone(model), "classifier_")
    restored = pickle.loads(pickle.dumps(model))
    assert np.array_equal(restored.predict_proba(streams), model.predict_proba(streams))


def test_cross_val_score_grid_search_and_pipeline_on_event_streams(digits):
    streams, labels = digits
    folds = KFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(FEASTClassifier(FEAST(**SMALL), grid=2), streams, labels, cv=folds)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))

    search = GridSearchCV(FEASTClassifier(FEAST(**SMALL), grid=2),
                          {"features__n_neurons": [2, 4], "grid": [1, 2]}, cv=folds).fit(streams, labels)
    assert set(search.best_params_) == {"features__n_neurons", "grid"}
    assert search.best_estimator_.features_.n_neurons == search.best_params_["features__n_neurons"]

    denoise = FunctionTransformer(lambda batch: [evlearn.transforms.Denoise(10_000)(s) for s in batch])
    pipe = Pipeline([("denoise", denoise), ("feast", FEASTClassifier(FEAST(**SMALL), grid=2))])
    pipe.set_params(feast__features__seed=3).fit(streams, labels)
    assert pipe.named_steps["feast"].features_.seed == 3
    assert pipe.predict(streams).shape == (len(streams),)

    X = np.random.default_rng(0).normal(size=(30, 4))
    y = (X[:, 0] > 0).astype(int)
    flat = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    assert cross_val_score(flat, X, y, cv=3).mean() > 0.8


def test_cross_val_predict_matches_fitting_each_fold_by_hand(digits):
    streams, labels = digits
    from evlearn.feast.readout import stratified_folds

    model = FEASTClassifier(FEAST(**SMALL), grid=2)
    pred = cross_val_predict(model, streams, labels, n_folds=2, seed=1)
    fold = stratified_folds(labels, 2, 1)
    for k in range(2):
        train, test = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        fitted = clone(model).fit([streams[i] for i in train], labels[train])
        assert np.array_equal(fitted.predict([streams[i] for i in test]), pred[test])


# deprecated names (docs/conventions.md, "Deprecation policy") ---------------------------

def test_feast_old_names_warn_and_map():
    with pytest.warns(FutureWarning, match="'tau' is deprecated.*'tau_us'"):
        layer = FEAST(tau=5_000.0)
    assert layer.tau_us == 5_000.0 and "tau" not in layer.get_params()
    with pytest.warns(FutureWarning, match="'random_state'.*'seed'"):
        assert FEAST(random_state=7).seed == 7
    with pytest.warns(FutureWarning, match="'random_state'.*'seed'"):
        assert FEASTNetwork(random_state=2).seed == 2
    with pytest.warns(FutureWarning, match="'tau'"):
        assert FEAST().set_params(tau=1_000.0).tau_us == 1_000.0
    with pytest.raises(TypeError, match="unexpected keyword argument 'taus'"):
        FEAST(taus=1.0)
    with pytest.raises(TypeError, match="both 'tau' and its new name 'tau_us'"):
        FEAST(tau=1.0, tau_us=2.0)
    with pytest.raises(TypeError, match="both 'random_state'"):
        FEAST().set_params(random_state=1, seed=2)


def test_network_layer_dicts_accept_old_names_with_a_warning():
    net = FEASTNetwork(layers=[{"n_neurons": 2, "tau": 2_000.0}])
    with pytest.warns(FutureWarning, match="layers\\[0\\].*'tau'"):
        net.check_params()


def test_build_pipeline_old_names_warn_and_convert_units():
    from evlearn.feast.readout import build_pipeline

    with pytest.warns(FutureWarning) as caught:
        model = build_pipeline(neurons=[8, 4], tau_ms=20.0, epochs=2)
    assert {str(w.message).split("'")[1] for w in caught} == {"neurons", "tau_ms", "epochs"}
    layers = model.features.layers
    assert [spec["n_neurons"] for spec in layers] == [8, 4]
    assert all(spec["tau_us"] == 20_000.0 for spec in layers) and model.features.n_epochs == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert build_pipeline(n_neurons=16, tau_us=5_000.0).features.tau_us == 5_000.0


def test_model_files_with_old_parameter_names_load_without_warning(digits, tmp_path):
    import json

    from evlearn.feast import load_model, save_model

    streams, labels = digits
    path = save_model(tmp_path / "model.npz", FEASTClassifier(FEAST(**SMALL), grid=2).fit(streams, labels))
    arrays = dict(np.load(path))
    header = json.loads(bytes(arrays["header"]).decode())
    params = header["features"]["params"]
    params["tau"], params["random_state"] = params.pop("tau_us"), params.pop("seed")
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = load_model(tmp_path / "old.npz")
    assert old.features_.tau_us == 30_000.0
    assert np.array_equal(old.predict(streams), load_model(path).predict(streams))
