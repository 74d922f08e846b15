"""Behaviour as MLP: solvers, scopes, partial_fit, warm_start, early stopping,
probabilities, persistence, labels, multi-output, dtypes, pipelines."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_diabetes,
    load_digits,
    load_iris,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNClassifier, VNNRegressor
from sklearn_vnn.bases import BASES

IRIS_X, IRIS_Y = load_iris(return_X_y=True)
IRIS_X = StandardScaler().fit_transform(IRIS_X)
DIAB_X, DIAB_Y = load_diabetes(return_X_y=True)
DIAB_X = StandardScaler().fit_transform(DIAB_X)
DIAB_Y = (DIAB_Y - DIAB_Y.mean()) / DIAB_Y.std()


def _quiet_fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_every_solver_and_scope_learns_iris(solver, scope):
    clf = VNNClassifier(
        (16,),
        solver=solver,
        activation_scope=scope,
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    )
    _quiet_fit(clf, IRIS_X, IRIS_Y)
    assert clf.score(IRIS_X, IRIS_Y) > 0.93
    shape = (8,) if scope == "layer" else (16, 8)
    assert clf.activation_coefs_[0].shape == shape


@pytest.mark.parametrize("basis", sorted(BASES))
def test_every_basis_learns_regression(basis):
    reg = VNNRegressor(
        hidden_layer_sizes=(16,),
        basis=basis,
        n_basis=6,
        solver="lbfgs",
        max_iter=300,
        random_state=0,
    )
    _quiet_fit(reg, DIAB_X, DIAB_Y)
    assert reg.score(DIAB_X, DIAB_Y) > 0.5


def test_coefficients_move_only_when_learned():
    kw = dict(hidden_layer_sizes=(8, 8), solver="lbfgs", max_iter=50, random_state=0)
    learned = _quiet_fit(VNNRegressor(**kw), DIAB_X, DIAB_Y)
    frozen = _quiet_fit(VNNRegressor(learn_activation=False, **kw), DIAB_X, DIAB_Y)
    for C, C0 in zip(frozen.activation_coefs_, frozen.activation_init_coefs_):
        assert_array_equal(C, C0)
    moved = [
        np.abs(C - C0).max()
        for C, C0 in zip(learned.activation_coefs_, learned.activation_init_coefs_)
    ]
    assert min(moved) > 1e-3
    # a frozen adam run too
    adam = VNNRegressor(
        learn_activation=False, hidden_layer_sizes=(8,), max_iter=5, random_state=0
    )
    _quiet_fit(adam, DIAB_X, DIAB_Y)
    assert_array_equal(adam.activation_coefs_[0], adam.activation_init_coefs_[0])


def test_learned_output_activation():
    reg = VNNRegressor(
        hidden_layer_sizes=(8,),
        basis="candidates",
        n_basis=6,
        learn_output_activation=True,
        solver="lbfgs",
        max_iter=200,
        random_state=0,
    )
    _quiet_fit(reg, DIAB_X, DIAB_Y)
    assert reg.output_activation_coefs_.shape == (6,)
    assert reg.score(DIAB_X, DIAB_Y) > 0.5
    plain = VNNRegressor(hidden_layer_sizes=(8,))
    assert _quiet_fit(plain, DIAB_X, DIAB_Y).output_activation_coefs_ is None


def test_predict_proba_rows_sum_to_one_and_match_predict():
    clf = _quiet_fit(VNNClassifier((10,), random_state=0, max_iter=50), IRIS_X, IRIS_Y)
    proba = clf.predict_proba(IRIS_X)
    assert proba.shape == (150, 3)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(IRIS_X))
    assert_allclose(np.exp(clf.predict_log_proba(IRIS_X)), proba)


def test_binary_proba_has_two_columns():
    y = (IRIS_Y == 2).astype(int)
    clf = _quiet_fit(VNNClassifier((6,), random_state=0, max_iter=30), IRIS_X, y)
    proba = clf.predict_proba(IRIS_X)
    assert proba.shape == (150, 2) and clf.out_activation_ == "logistic"
    assert_allclose(proba.sum(1), 1.0)


def test_string_labels():
    y = np.array(["setosa", "versicolor", "virginica"])[IRIS_Y]
    clf = _quiet_fit(VNNClassifier((10,), solver="lbfgs", random_state=0), IRIS_X, y)
    assert set(clf.predict(IRIS_X)) <= set(y)
    assert clf.score(IRIS_X, y) > 0.9


def test_multilabel():
    X, Y = make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = _quiet_fit(
        VNNClassifier((20,), solver="lbfgs", max_iter=300, random_state=0), X, Y
    )
    assert clf.out_activation_ == "logistic"
    assert clf.predict(X).shape == Y.shape
    assert clf.score(X, Y) > 0.7


def test_multi_output_regression():
    Y = np.column_stack([DIAB_Y, -2 * DIAB_Y + 1])
    reg = _quiet_fit(
        VNNRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0),
        DIAB_X,
        Y,
    )
    assert reg.predict(DIAB_X).shape == (len(Y), 2)
    assert reg.score(DIAB_X, Y) > 0.5


def test_poisson_regression():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, (300, 2))
    y = rng.poisson(np.exp(1 + X[:, 0] - X[:, 1]))
    reg = _quiet_fit(
        VNNRegressor(
            loss="poisson", hidden_layer_sizes=(8,), solver="lbfgs", random_state=0
        ),
        X,
        y,
    )
    assert reg.out_activation_ == "exp"
    assert (reg.predict(X) > 0).all()
    assert np.corrcoef(reg.predict(X), np.exp(1 + X[:, 0] - X[:, 1]))[0, 1] > 0.9
    with pytest.raises(ValueError, match="non-negative"):
        VNNRegressor(loss="poisson").fit(X, y - 10)


def test_partial_fit_matches_one_epoch_of_fit():
    kw = dict(hidden_layer_sizes=(8,), random_state=0, shuffle=False, max_iter=1)
    full = _quiet_fit(VNNClassifier(**kw), IRIS_X, IRIS_Y)
    part = VNNClassifier(**kw).partial_fit(IRIS_X, IRIS_Y, classes=np.unique(IRIS_Y))
    assert_allclose(part.predict_proba(IRIS_X), full.predict_proba(IRIS_X))
    losses = []
    for _ in range(20):
        part.partial_fit(IRIS_X, IRIS_Y)
        losses.append(part.loss_)
    assert losses[-1] < losses[0]


def test_partial_fit_rules():
    clf = VNNClassifier((4,))
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(IRIS_X, IRIS_Y)
    clf.partial_fit(IRIS_X[:50], IRIS_Y[:50], classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not in"):
        clf.partial_fit(IRIS_X, IRIS_Y + 1)
    assert not hasattr(VNNClassifier(solver="lbfgs"), "partial_fit")
    reg = VNNRegressor(hidden_layer_sizes=(4,), early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        reg.partial_fit(DIAB_X, DIAB_Y)


def test_warm_start_continues():
    kw = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5, random_state=0)
    reg = VNNRegressor(warm_start=True, **kw)
    _quiet_fit(reg, DIAB_X, DIAB_Y)
    first = reg.loss_
    _quiet_fit(reg, DIAB_X, DIAB_Y)
    assert reg.loss_ < first
    cold = _quiet_fit(VNNRegressor(**kw), DIAB_X, DIAB_Y)
    assert cold.loss_ == pytest.approx(first)
    reg.set_params(activation_scope="neuron")
    with pytest.raises(ValueError, match="cannot change"):
        reg.fit(DIAB_X, DIAB_Y)
    # a new basis size is the refinement ladder (tests/test_refine.py)
    reg.set_params(activation_scope="layer", n_basis=4)
    _quiet_fit(reg, DIAB_X, DIAB_Y)
    assert reg.activation_coefs_[0].shape == (4,)
    reg.set_params(n_basis=8, hidden_layer_sizes=(9,))
    with pytest.raises(ValueError, match="shape changed"):
        reg.fit(DIAB_X, DIAB_Y)


def test_early_stopping_restores_best():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    clf = VNNClassifier(
        (20,),
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=200,
        learning_rate_init=0.02,
        random_state=0,
    )
    clf.fit(X, y)
    assert clf.n_iter_ < 200
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_convergence_warning_and_verbose(capsys):
    with pytest.warns(ConvergenceWarning):
        VNNRegressor(hidden_layer_sizes=(4,), max_iter=2, verbose=True).fit(
            DIAB_X, DIAB_Y
        )
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "Iteration 2, loss = " in out
    with pytest.warns(ConvergenceWarning):
        VNNRegressor(
            hidden_layer_sizes=(4,), solver="lbfgs", max_iter=2, verbose=True
        ).fit(DIAB_X, DIAB_Y)
    assert "Iteration 2, loss = " in capsys.readouterr().out


@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
def test_float32_stays_float32(solver):
    X = IRIS_X.astype(np.float32)
    clf = _quiet_fit(
        VNNClassifier((8,), solver=solver, max_iter=20, random_state=0), X, IRIS_Y
    )
    for arr in clf.coefs_ + clf.intercepts_ + clf.activation_coefs_:
        assert arr.dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float32
    clf64 = _quiet_fit(
        VNNClassifier((8,), solver=solver, max_iter=20, random_state=0), IRIS_X, IRIS_Y
    )
    assert_allclose(clf.predict_proba(X), clf64.predict_proba(IRIS_X), atol=2e-3)


def test_sample_weight_equals_repetition():
    rng = np.random.RandomState(0)
    w = rng.randint(0, 3, len(DIAB_Y))
    kw = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=30, random_state=0)
    weighted = _quiet_fit(VNNRegressor(**kw), DIAB_X, DIAB_Y, sample_weight=w)
    repeated = _quiet_fit(
        VNNRegressor(**kw), np.repeat(DIAB_X, w, 0), np.repeat(DIAB_Y, w)
    )
    assert_allclose(
        weighted.predict(DIAB_X), repeated.predict(DIAB_X), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ValueError, match="non-zero|positive sum"):
        VNNRegressor().fit(DIAB_X, DIAB_Y, sample_weight=np.zeros(len(DIAB_Y)))


@pytest.mark.parametrize("Est", [VNNClassifier, VNNRegressor])
def test_pickle_round_trip_keeps_predictions_and_training(Est):
    X, y = (IRIS_X, IRIS_Y) if Est is VNNClassifier else (DIAB_X, DIAB_Y)
    est = Est(
        hidden_layer_sizes=(8,), activation_scope="neuron", max_iter=5, random_state=0
    )
    if Est is VNNClassifier:
        est.partial_fit(X, y, classes=np.unique(y))
    else:
        est.partial_fit(X, y)
    clone = pickle.loads(pickle.dumps(est))
    out = "predict_proba" if Est is VNNClassifier else "predict"
    assert_array_equal(getattr(clone, out)(X), getattr(est, out)(X))
    est.partial_fit(X, y)
    clone.partial_fit(X, y)
    assert_array_equal(getattr(clone, out)(X), getattr(est, out)(X))


def test_pipeline_and_grid_search_over_n_basis_and_basis():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        VNNClassifier((8,), solver="lbfgs", max_iter=200, random_state=0),
    )
    grid = GridSearchCV(
        pipe,
        {
            "vnnclassifier__n_basis": [2, 6],
            "vnnclassifier__basis": ["fourier", "chebyshev"],
        },
        cv=3,
    )
    _quiet_fit(grid, X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_score_ > 0.9
    assert grid.best_estimator_[-1].activation_coefs_[0].shape == (
        grid.best_params_["vnnclassifier__n_basis"],
    )


def test_sparse_input_matches_dense():
    from scipy import sparse

    kw = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=20, random_state=0)
    dense = _quiet_fit(VNNRegressor(**kw), DIAB_X, DIAB_Y)
    for fmt in (sparse.csr_matrix, sparse.csc_matrix):
        sp = _quiet_fit(VNNRegressor(**kw), fmt(DIAB_X), DIAB_Y)
        assert_allclose(sp.predict(fmt(DIAB_X)), dense.predict(DIAB_X), atol=1e-8)


def test_no_hidden_layers_is_a_linear_model():
    clf = _quiet_fit(
        VNNClassifier(hidden_layer_sizes=(), solver="lbfgs"), IRIS_X, IRIS_Y
    )
    assert clf.activation_coefs_ == [] and clf.n_layers_ == 2
    assert clf.score(IRIS_X, IRIS_Y) > 0.9


def test_same_random_state_same_model():
    kw = dict(
        hidden_layer_sizes=(8,), activation_init="random", max_iter=10, random_state=7
    )
    a = _quiet_fit(VNNRegressor(**kw), DIAB_X, DIAB_Y)
    b = _quiet_fit(VNNRegressor(**kw), DIAB_X, DIAB_Y)
    for x, z in zip(a.coefs_ + a.activation_coefs_, b.coefs_ + b.activation_coefs_):
        assert_array_equal(x, z)


def test_divergence_is_reported_and_nothing_is_lost():
    reg = VNNRegressor(
        hidden_layer_sizes=(8,), warm_start=True, random_state=0, max_iter=5
    )
    _quiet_fit(reg, DIAB_X, DIAB_Y)
    before = reg.predict(DIAB_X)
    reg.set_params(learning_rate_init=1e6, solver="sgd", momentum=0.99)
    with pytest.raises(ValueError, match="diverged"):
        _quiet_fit(reg, DIAB_X, DIAB_Y * 1e3)
    after = reg.predict(DIAB_X)
    assert np.isfinite(after).all()
    assert_allclose(after, before)
