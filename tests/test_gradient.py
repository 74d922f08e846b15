"""The analytic gradient of the whole objective against central differences.

Objective = weighted data loss + L2 on weights + roughness penalty on the
coefficients, on the flat parameter vector, in float64, for every basis x
scope x loss/link x learned output activation.
"""

import warnings

import numpy as np
import pytest

from sklearn_vnn import VNNClassifier, VNNRegressor
from sklearn_vnn.bases import BASES

# on the NumPy path and on the numba kernels (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("kernels")

TARGETS = ["squared_error", "poisson", "binary", "multiclass", "multilabel"]


def _problem(target, rng):
    X = rng.randn(12, 3)
    if target == "squared_error":
        return X, rng.randn(12, 2)
    if target == "poisson":
        return X, rng.poisson(2.0, size=(12, 2)).astype(float)
    if target == "binary":
        return X, np.arange(12) % 2
    if target == "multiclass":
        return X, np.arange(12) % 3
    return X, (rng.rand(12, 3) > 0.5).astype(int)


def _objective_setup(basis, scope, target, learn_output, rng):
    X, y = _problem(target, rng)
    common = dict(
        hidden_layer_sizes=(5, 4),
        basis=basis,
        n_basis=6,
        activation_scope=scope,
        learn_output_activation=learn_output,
        activation_init="random",
        alpha=0.3,
        activation_alpha=0.2,
        solver="lbfgs",
        max_iter=1,
        random_state=1,
    )
    if target in ("squared_error", "poisson"):
        est = VNNRegressor(loss=target, **common)
    else:
        est = VNNClassifier(**common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)  # builds layout, basis and parameters
    if target in ("squared_error", "poisson"):
        Y = y
    else:
        Y = est._label_binarizer.transform(y).astype(float)
    Y = Y.reshape(len(X), -1)
    theta = est._pack_current(np.float64)
    theta += 0.3 * rng.randn(theta.size)  # move away from the fitted point
    return est, X, Y, theta


@pytest.mark.parametrize("learn_output", [False, True])
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("basis", sorted(BASES))
def test_gradient_matches_central_differences(basis, scope, target, learn_output):
    rng = np.random.RandomState(0)
    est, X, Y, theta = _objective_setup(basis, scope, target, learn_output, rng)
    sw = rng.uniform(0.5, 2.0, len(X))

    grad = np.zeros_like(theta)
    est._objective(theta, grad, X, Y, sw)

    eps = 1e-6
    numeric = np.empty_like(theta)
    scratch = np.empty_like(theta)
    for i in range(theta.size):
        t = theta.copy()
        t[i] += eps
        plus = est._objective(t, scratch, X, Y, sw)
        t[i] -= 2 * eps
        minus = est._objective(t, scratch, X, Y, sw)
        numeric[i] = (plus - minus) / (2 * eps)

    rel = np.linalg.norm(numeric - grad) / np.linalg.norm(numeric)
    assert rel <= 1e-6, rel
    # every part of the vector is exercised: coefficients included
    n_wb = est._layout.n_weights_biases
    assert np.abs(grad[n_wb:]).max() > 0


def test_penalties_enter_loss_and_gradient():
    """Raising either penalty raises the loss by exactly its formula."""
    rng = np.random.RandomState(0)
    est, X, Y, theta = _objective_setup("fourier", "neuron", "binary", False, rng)
    grad = np.zeros_like(theta)
    est.alpha = est.activation_alpha = 0.0
    base = est._objective(theta, grad, X, Y, None)
    weights, _, hidden_C, _ = est._layout.views(theta)
    est.alpha = 2.0
    with_alpha = est._objective(theta, grad, X, Y, None)
    w2 = sum((W**2).sum() for W in weights)
    assert with_alpha - base == pytest.approx(0.5 * 2.0 * w2 / len(X))
    est.alpha, est.activation_alpha = 0.0, 3.0
    with_c = est._objective(theta, grad, X, Y, None)
    # the prior is centred on the starting coefficients (activation_init),
    # weighted by Q = I + R / lambda_max(R); Fourier's R is diagonal
    k2 = est.basis_.roughness()
    q = 1 + k2 / k2.max()
    starts = est.activation_init_coefs_
    pen = sum(((C - C0) ** 2 * q).sum() for C, C0 in zip(hidden_C, starts))
    assert with_c - base == pytest.approx(0.5 * 3.0 * pen / len(X))
