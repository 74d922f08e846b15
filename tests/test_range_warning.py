"""OutOfRangeWarning: predictions warn when inputs drive the pre-activations
beyond the range recorded in training, and not on data like the training
data."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

import sklearn_vnn
from sklearn_vnn import OutOfRangeWarning, VNNClassifier, VNNRegressor
from sklearn_vnn._range_check import MARGIN, MIN_SHARE

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# the row flags come from a numba kernel or from NumPy (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("kernels")


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _clf(**params):
    params = {"hidden_layer_sizes": (16, 8), "solver": "lbfgs", **params}
    return VNNClassifier(max_iter=100, random_state=0, **params)


def test_public():
    assert issubclass(OutOfRangeWarning, UserWarning)
    assert "OutOfRangeWarning" in sklearn_vnn.__all__


def test_bounds_are_the_training_extremes():
    X, y = _iris()
    est = _clf().fit(X, y)
    bounds = est._preactivation_bounds_
    assert [b.shape for b in bounds] == [(16, 2), (8, 2)]
    Z = X @ est.coefs_[0] + est.intercepts_[0]
    np.testing.assert_allclose(bounds[0][:, 0], Z.min(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bounds[0][:, 1], Z.max(axis=0), rtol=1e-12)


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "score"]
)
def test_fires_on_inputs_shifted_10_sd(method):
    X, y = _iris()
    est = _clf().fit(X, y)
    args = (X + 10, y) if method == "score" else (X + 10,)
    with pytest.warns(OutOfRangeWarning) as record:
        getattr(est, method)(*args)
    message = str(record[0].message)
    assert "150 of 150 rows" in message
    assert "hidden layer(s) 0" in message
    assert 'filterwarnings("ignore", category=OutOfRangeWarning)' in message


def test_one_shifted_row_among_many_is_tolerated_alone_it_warns():
    X, y = _iris()
    est = _clf().fit(X, y)
    X_mixed = X.copy()
    X_mixed[0] += 10
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfRangeWarning)
        est.predict(X_mixed)  # 1 row of 150: below MIN_SHARE
    assert 1 / 150 <= MIN_SHARE
    with pytest.warns(OutOfRangeWarning, match="1 of 1 rows"):
        est.predict(X_mixed[:1])


@pytest.mark.parametrize(
    "load, Estimator",
    [
        (load_iris, VNNClassifier),
        (load_digits, VNNClassifier),
        (load_diabetes, VNNRegressor),
    ],
)
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_silent_on_training_and_held_out_data(load, Estimator, solver):
    X, y = load(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    if Estimator is VNNRegressor:
        y = (y - y.mean()) / y.std()
    train, test = next(KFold(5, shuffle=True, random_state=0).split(X))
    est = Estimator(
        hidden_layer_sizes=(32,), solver=solver, max_iter=100, random_state=0
    )
    est.fit(X[train], y[train])
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfRangeWarning)
        est.predict(X[train])
        est.predict(X[test])
        est.score(X[test], y[test])
    with pytest.warns(OutOfRangeWarning):
        est.predict(X[test] + 10)


def test_silenced_by_the_filter_it_names():
    X, y = _iris()
    est = _clf().fit(X, y)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=OutOfRangeWarning)
        est.predict(X + 10)
    assert not [w for w in record if w.category is OutOfRangeWarning]


def test_margin_in_range_widths():
    """A pre-activation just inside the margin passes, just beyond warns."""
    X, y = _iris()
    est = _clf(hidden_layer_sizes=(1,)).fit(X, y)
    (low, high) = est._preactivation_bounds_[0][0]
    w, b = est.coefs_[0][:, 0], est.intercepts_[0][0]

    def row_at(excess):
        """A row whose pre-activation is ``excess`` widths above the top."""
        z = high + excess * (high - low)
        return ((z - b) * w / (w @ w))[None]

    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfRangeWarning)
        est.predict(row_at(0.9 * MARGIN))
        est.predict(row_at(-0.5))  # inside the range
    with pytest.warns(OutOfRangeWarning):
        est.predict(row_at(1.1 * MARGIN))


def test_sparse_and_partial_fit():
    X, y = _iris()
    est = VNNRegressor(hidden_layer_sizes=(8,), random_state=0)
    est.partial_fit(X[:, :3], X[:, 3])
    first = [b.copy() for b in est._preactivation_bounds_]
    est.partial_fit(X[:, :3], X[:, 3])
    # each call records the bounds of its own parameters
    assert not np.array_equal(first[0], est._preactivation_bounds_[0])
    with pytest.warns(OutOfRangeWarning):
        est.predict(sp.csr_matrix(X[:, :3] + 10))
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfRangeWarning)
        est.predict(sp.csr_matrix(X[:, :3]))


def test_models_without_bounds_do_not_check():
    X, y = _iris()
    est = _clf().fit(X, y)
    del est._preactivation_bounds_  # as a model pickled before they existed
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfRangeWarning)
        est.predict(X + 10)


def test_parameters_set_by_hand_are_not_checked():
    """The bounds belong to the fitted parameters: after parameters are
    replaced (say copied from another model) there is nothing to check."""
    X, y = _iris()
    est = _clf().fit(X, y)
    est.coefs_[0] = est.coefs_[0] * 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfRangeWarning)
        est.predict(X + 10)


@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("sparse_input", [False, True])
def test_row_blocks_count_as_one_pass(monkeypatch, sparse_input, scope):
    """A prediction in blocks of rows (``_network.predict_forward``) flags
    the rows, and counts them per layer, as one pass over all rows does."""
    from sklearn_vnn import _network
    from sklearn_vnn._range_check import range_check

    X, y = _iris()
    est = _clf(activation_scope=scope).fit(X, y)
    rng = np.random.default_rng(0)
    X_new = X.copy()
    # out-of-range rows in the first, a middle and the last block
    X_new[[0, 1, 60, 75, 149]] += 8.0 * rng.choice([-1.0, 1.0], size=(5, 4))
    if sparse_input:
        X_new = sp.csr_matrix(X_new)
    params = (
        est.coefs_,
        est.intercepts_,
        est.activation_coefs_,
        est.output_activation_coefs_,
        est.basis_,
    )
    whole = range_check(est, X.shape[0])
    G_whole, _ = _network.forward(
        X_new, *params, need_backward=False, range_check=whole
    )
    # 16 units of float64: blocks of 7 rows, so 22 blocks for 150 rows
    monkeypatch.setattr(_network, "_FORWARD_BLOCK_BYTES", 7 * 16 * 8)
    blocked = range_check(est, X.shape[0])
    G_blocked = _network.predict_forward(X_new, *params, range_check=blocked)
    assert_allclose(G_blocked, G_whole, rtol=1e-12, atol=1e-12)
    assert whole.flagged.sum() >= 5
    assert_array_equal(blocked.flagged, whole.flagged)
    assert blocked.per_layer == whole.per_layer
    assert blocked.message() == whole.message()
