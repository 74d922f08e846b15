"""The coefficient prior centred on the starting activation, the solvers'
scaled variables, and training that converges like MLP's."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNClassifier, VNNRegressor
from sklearn_vnn._objective import Objective, prior_matrix

RNG = np.random.RandomState(0)
SMOOTH_X = RNG.uniform(-1, 1, (200, 3))
SMOOTH_Y = np.sin(2 * SMOOTH_X[:, 0]) + SMOOTH_X[:, 1] * SMOOTH_X[:, 2]


def _digits(n_class, n_rows):
    X, y = load_digits(n_class=n_class, return_X_y=True)
    return StandardScaler().fit_transform(X[:n_rows]), y[:n_rows]


@pytest.mark.parametrize(
    "solver, max_iter", [("lbfgs", 30), ("adam", 100), ("sgd", 100)]
)
def test_huge_activation_alpha_trains_the_frozen_network(solver, max_iter):
    """With the 'candidates' family the start is tanh exactly; a huge prior
    holds the coefficients there and the weights train as the frozen
    network's do (lbfgs: over its first iterations, before two runs of a
    non-convex fit may part ways)."""
    kw = dict(
        hidden_layer_sizes=(6,),
        basis="candidates",
        activation_init="tanh",
        solver=solver,
        max_iter=max_iter,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        frozen = VNNRegressor(learn_activation=False, **kw).fit(SMOOTH_X, SMOOTH_Y)
        held = VNNRegressor(activation_alpha=1e12, **kw).fit(SMOOTH_X, SMOOTH_Y)
    assert_allclose(held.predict(SMOOTH_X), frozen.predict(SMOOTH_X), atol=1e-6)
    assert_allclose(held.activation_coefs_[0], frozen.activation_coefs_[0], atol=1e-9)


def test_lbfgs_converges_like_mlp_at_the_defaults():
    """50 rows of two-class digits: L-BFGS at the default activation_alpha
    converges within twice MLP's iterations (it took 200 unconverged ones
    when the penalty pulled every activation to zero)."""
    X, y = _digits(2, 50)
    for seed in range(3):
        mlp = MLPClassifier(solver="lbfgs", hidden_layer_sizes=15, random_state=seed)
        vnn = VNNClassifier(solver="lbfgs", hidden_layer_sizes=15, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            mlp.fit(X, y)
            vnn.fit(X, y)
        assert vnn.n_iter_ <= 2 * mlp.n_iter_, (seed, vnn.n_iter_, mlp.n_iter_)


@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_sparse_and_dense_fits_agree(scope):
    X, y = _digits(2, 50)
    kw = dict(
        solver="lbfgs", hidden_layer_sizes=15, random_state=1, activation_scope=scope
    )
    dense = VNNClassifier(**kw).fit(X, y)
    sparse = VNNClassifier(**kw).fit(sp.csr_matrix(X), y)
    assert_allclose(sparse.predict_proba(X), dense.predict_proba(X), rtol=0, atol=1e-9)


@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_full_batch_sgd_with_a_large_step_trains(scope):
    """Full-batch sgd, learning_rate_init=0.2, momentum 0.9 on 200 rows of
    3-class digits: MLP trains to 1.0; so must VNN (a shared coefficient
    used to take n_units times a weight's step and diverged), and fit
    equals partial_fit step for step."""
    X, y = _digits(3, 200)
    kw = dict(
        solver="sgd",
        learning_rate_init=0.2,
        momentum=0.9,
        batch_size=200,
        shuffle=False,
        activation_scope=scope,
        random_state=0,
        n_iter_no_change=1000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = VNNClassifier(max_iter=30, **kw).fit(X, y)
    assert fitted.score(X, y) > 0.95
    stepped = VNNClassifier(**kw)
    for _ in range(30):
        stepped.partial_fit(X, y, classes=np.unique(y))
    # each partial_fit call maps theta to the solver's variables afresh
    # (u = (theta - offset) / d), which costs a rounding per call
    assert_allclose(stepped.loss_curve_, fitted.loss_curve_, rtol=1e-10)
    assert_allclose(stepped.predict_proba(X), fitted.predict_proba(X), atol=1e-10)


def test_early_stopping_keeps_the_best_model_when_training_diverges():
    """As MLP (scikit-learn #29504): no error, a NaN last validation score,
    the best validation model kept, and a warning that says so."""
    X, y = load_iris(return_X_y=True)
    est = VNNRegressor(
        hidden_layer_sizes=100,
        solver="sgd",
        learning_rate_init=1,
        max_iter=20,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="Early stopping kept the model"):
        est.fit(X, y)
    assert np.isnan(est.validation_scores_[-1])
    assert isinstance(est.validation_scores_[-1], float)
    assert len(est.validation_scores_) == len(est.loss_curve_) == est.n_iter_
    assert np.isfinite(est.predict(X)).all()
    # the kept model is the best validated one: refit for exactly as many
    # epochs as it took, and the predictions are identical
    best = int(np.nanargmax(est.validation_scores_)) + 1
    again = VNNRegressor(**{**est.get_params(), "max_iter": best})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again.fit(X, y)
    assert_allclose(again.predict(X), est.predict(X), rtol=1e-12)


def test_divergence_without_early_stopping_still_raises():
    X, y = load_iris(return_X_y=True)
    est = VNNRegressor(
        hidden_layer_sizes=100, solver="sgd", learning_rate_init=1, random_state=0
    )
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X, y)


@pytest.mark.parametrize("per_neuron", [False, True])
@pytest.mark.parametrize("learn_output", [True, False])
@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_scaling_of_the_solver_variables(scope, learn_output, per_neuron):
    """theta = offset + d * u: weights untouched; a shared combination's
    coefficients scaled by 1/sqrt(n_units), and with per_neuron (sgd) the
    units' own combinations too; all coefficients by 1/sqrt(1 +
    activation_alpha / rows) around their start."""
    est = VNNRegressor(
        hidden_layer_sizes=(4, 3),
        activation_scope=scope,
        learn_output_activation=learn_output,
        activation_alpha=6.0,
        activation_init="random",
        solver="lbfgs",
        max_iter=1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(SMOOTH_X, SMOOTH_Y)
    layout = est._layout
    objective = Objective.from_estimator(est)
    start, offset, d = objective.scaling(layout.size, rows=2.0, per_neuron=per_neuron)
    # the weights and intercepts keep d = 1, offset = 0: only the tail is given
    assert start == layout.n_weights_biases
    assert offset.shape == d.shape == (layout.size - start,)
    output_centre = [est.basis_.initial_coefficients("identity")] * learn_output
    centre = np.concatenate(
        [C.ravel() for C in est.activation_init_coefs_] + output_centre
    )
    assert_allclose(offset, centre)
    prior = 1 / np.sqrt(1 + 6.0 / 2.0)
    M = est.basis_.n_basis
    if scope == "layer":  # one (M,) combination per layer, shared by its units
        hidden = [np.full(M, prior / np.sqrt(units)) for units in (4, 3)]
    else:  # one (units, M) block per layer: the factor only with per_neuron
        factor = [1 / np.sqrt(units) if per_neuron else 1.0 for units in (4, 3)]
        hidden = [np.full(u * M, prior * f) for u, f in zip((4, 3), factor)]
    # the output combination, shared by the one output unit
    expected = np.concatenate(hidden + [np.full(M, prior)] * learn_output)
    assert_allclose(d, expected)


def test_prior_matrix_is_mildly_rough():
    """Q = I + R / lambda_max(R): symmetric, between I and 2 I."""
    from sklearn_vnn.bases import BASES

    for name, cls in BASES.items():
        n_basis = 6 if name != "candidates" else 5
        Q = prior_matrix(cls(n_basis))
        assert_allclose(Q, Q.T)
        w = np.linalg.eigvalsh(Q)
        assert w.min() >= 1 - 1e-12 and w.max() <= 2 + 1e-12, name
