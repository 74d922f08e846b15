"""A VNN whose activation is exactly tanh or relu is sklearn's MLP.

Basis 'candidates' with the coefficients frozen on one member gives the
conventional network; given MLP's weights it must predict what MLP predicts.
"""

import re
import warnings

import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNClassifier, VNNRegressor

# on the NumPy path and on the numba kernels (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("kernels")


def _copy_weights(vnn, mlp):
    for dst, src in zip(vnn.coefs_, mlp.coefs_):
        dst[...] = src
    for dst, src in zip(vnn.intercepts_, mlp.intercepts_):
        dst[...] = src


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_regressor_equals_mlp(activation):
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    mlp = MLPRegressor(
        hidden_layer_sizes=(12, 7),
        activation=activation,
        solver="lbfgs",
        max_iter=50,
        random_state=0,
    ).fit(X, y)
    vnn = VNNRegressor(
        hidden_layer_sizes=(12, 7),
        basis="candidates",
        n_basis=6,
        activation_init=activation,
        learn_activation=False,
        solver="lbfgs",
        max_iter=1,
        random_state=1,
    ).fit(X, y)
    _copy_weights(vnn, mlp)
    assert_allclose(vnn.predict(X), mlp.predict(X), rtol=0, atol=1e-10)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_classifier_equals_mlp(activation):
    X, y = load_iris(return_X_y=True)
    mlp = MLPClassifier(
        (9,), activation=activation, solver="lbfgs", max_iter=60, random_state=0
    ).fit(X, y)
    vnn = VNNClassifier(
        (9,),
        basis="candidates",
        n_basis=6,
        activation_init=activation,
        learn_activation=False,
        solver="lbfgs",
        max_iter=1,
        random_state=1,
    ).fit(X, y)
    _copy_weights(vnn, mlp)
    assert_allclose(vnn.predict_proba(X), mlp.predict_proba(X), rtol=0, atol=1e-10)
    assert (vnn.predict(X) == mlp.predict(X)).all()


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_frozen_candidates_train_like_mlp(activation):
    """Same random_state, same starting weights, same maths: same fit."""
    X, y = load_iris(return_X_y=True)
    common = dict(
        hidden_layer_sizes=(10,),
        solver="lbfgs",
        max_iter=40,
        random_state=3,
        alpha=1e-3,
    )
    mlp = MLPClassifier(activation=activation, **common)
    vnn = VNNClassifier(
        basis="candidates",
        n_basis=6,
        activation_init=activation,
        learn_activation=False,
        **common,
    )
    # 40 iterations stop both before convergence: that warning and no other
    for est in (mlp, vnn):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            est.fit(X, y)
        seen = [(w.category, str(w.message)) for w in record]
        assert seen, f"{type(est).__name__} did not warn about max_iter"
        for category, message in seen:
            assert issubclass(category, ConvergenceWarning), seen
            assert re.match("lbfgs failed to converge after 40 iteration", message), (
                seen
            )
    assert_allclose(vnn.predict_proba(X), mlp.predict_proba(X), atol=1e-8)
    for a, b in zip(vnn.coefs_, mlp.coefs_):
        assert_allclose(a, b, atol=1e-8)
