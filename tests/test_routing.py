"""Metadata routing (``sklearn.set_config(enable_metadata_routing=True)``):
``sample_weight`` requested with ``set_fit_request`` reaches the VNN through
Pipeline, GridSearchCV, cross_validate and (``set_partial_fit_request``)
MultiOutputRegressor.partial_fit, with the results of passing it by hand."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.metrics import make_scorer, r2_score
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNClassifier, VNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

rng = np.random.default_rng(0)
X = rng.normal(size=(90, 4))
y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]
SW = rng.uniform(0.1, 3.0, size=len(y))
CV = KFold(3, shuffle=True, random_state=0)
GRID = {"alpha": [1e-4, 1.0]}


def _reg(**params):
    return VNNRegressor(
        hidden_layer_sizes=(6,), solver="lbfgs", max_iter=20, random_state=0, **params
    )


def _weighted_r2():
    return make_scorer(r2_score).set_score_request(sample_weight=True)


def test_requests_exist_for_fit_partial_fit_and_score():
    for est in (VNNRegressor(), VNNClassifier()):
        routing = est.get_metadata_routing()
        # every method that takes sample_weight may request it; unset by default
        for method in ("fit", "partial_fit", "score"):
            assert routing.consumes(method, ["sample_weight"]) == set()
        with config_context(enable_metadata_routing=True):
            est.set_fit_request(sample_weight=True)
            est.set_partial_fit_request(sample_weight=True)
        routing = est.get_metadata_routing()
        for method in ("fit", "partial_fit"):
            assert routing.consumes(method, ["sample_weight"]) == {"sample_weight"}
    with config_context(enable_metadata_routing=True):
        clf = VNNClassifier().set_partial_fit_request(sample_weight=True, classes=True)
    assert clf.get_metadata_routing().consumes(
        "partial_fit", ["sample_weight", "classes"]
    ) == {"sample_weight", "classes"}


def test_pipeline():
    with config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            _reg().set_fit_request(sample_weight=True),
        ).fit(X, y, sample_weight=SW)
        # not requested: routing refuses to guess
        unset = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False), _reg()
        )
        with pytest.raises(UnsetMetadataPassedError):
            unset.fit(X, y, sample_weight=SW)
    X_scaled = StandardScaler().fit_transform(X)
    by_hand = _reg().fit(X_scaled, y, sample_weight=SW)
    assert_array_equal(pipe.predict(X), by_hand.predict(X_scaled))
    unweighted = _reg().fit(X_scaled, y)
    assert not np.allclose(unweighted.predict(X_scaled), by_hand.predict(X_scaled))


def _manual_search():
    """Mean weighted test R^2 per candidate, fitting with the fold's weights."""
    means = []
    for alpha in GRID["alpha"]:
        scores = []
        for train, test in CV.split(X):
            est = _reg(alpha=alpha).fit(X[train], y[train], sample_weight=SW[train])
            scores.append(
                r2_score(y[test], est.predict(X[test]), sample_weight=SW[test])
            )
        means.append(np.mean(scores))
    return np.array(means)


def test_grid_search():
    with config_context(enable_metadata_routing=True):
        est = _reg().set_fit_request(sample_weight=True)
        search = GridSearchCV(est, GRID, cv=CV, scoring=_weighted_r2())
        search.fit(X, y, sample_weight=SW)
    expected = _manual_search()
    assert_allclose(search.cv_results_["mean_test_score"], expected, rtol=1e-12)
    assert_allclose(search.best_score_, expected.max(), rtol=1e-12)
    # the refit model is fitted on all rows with their weights
    best = _reg(**search.best_params_).fit(X, y, sample_weight=SW)
    assert_array_equal(search.predict(X), best.predict(X))


def test_cross_validate():
    with config_context(enable_metadata_routing=True):
        est = _reg().set_fit_request(sample_weight=True)
        result = cross_validate(
            est, X, y, cv=CV, scoring=_weighted_r2(), params={"sample_weight": SW}
        )
    expected = []
    for train, test in CV.split(X):
        fold = _reg().fit(X[train], y[train], sample_weight=SW[train])
        expected.append(
            r2_score(y[test], fold.predict(X[test]), sample_weight=SW[test])
        )
    assert_allclose(result["test_score"], expected, rtol=1e-12)


def test_partial_fit_through_multioutput():
    Y = np.column_stack([y, X[:, 3]])
    base = VNNRegressor(hidden_layer_sizes=(5,), random_state=0)
    with config_context(enable_metadata_routing=True):
        multi = MultiOutputRegressor(
            clone(base).set_partial_fit_request(sample_weight=True)
        )
        for _ in range(3):
            multi.partial_fit(X, Y, sample_weight=SW)
    for k, fitted in enumerate(multi.estimators_):
        by_hand = clone(base)
        for _ in range(3):
            by_hand.partial_fit(X, Y[:, k], sample_weight=SW)
        assert_array_equal(fitted.predict(X), by_hand.predict(X))
