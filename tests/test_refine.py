"""Range adaptation (``adapt_range``) and the refinement ladder
(``warm_start`` with another basis): the activation moves, the network's
function does not."""

import copy
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from sklearn_vnn import VNNRegressor
from sklearn_vnn._refine import adapt_ranges, hidden_preactivations

RNG = np.random.RandomState(0)
X = RNG.uniform(-1, 1, (300, 2))
Y = np.exp(np.sin(np.pi * X[:, 0]) + X[:, 1] ** 2)


def _fitted(**params):
    kw = dict(
        hidden_layer_sizes=(5, 4),
        basis="polynomial",
        n_basis=6,
        solver="lbfgs",
        max_iter=30,
        activation_alpha=0.0,
        random_state=0,
    )
    kw.update(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return VNNRegressor(**kw).fit(X, Y)


@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_adapting_the_range_keeps_the_activation_on_the_overlap(scope):
    """After the map z' = a z + c, F'(z') equals F(z) to 1e-10 wherever
    both z and z' lie in the design range (a polynomial is a polynomial
    after an affine change of variable)."""
    est = _fitted(activation_scope=scope, basis_params={"scale": 0.5})
    lo, hi = est.basis_.design_range()
    W0 = [W.copy() for W in est.coefs_]
    b0 = [b.copy() for b in est.intercepts_]
    C0 = [C.copy() for C in est.activation_coefs_]
    Z_before = hidden_preactivations(est, X)[0]
    adapt_ranges(est, X)
    Z_after = hidden_preactivations(est, X)[0]
    # the first layer's map is z' = a z + c, per unit or for the whole layer
    a = est.coefs_[0][0] / W0[0][0]
    c = est.intercepts_[0] - a * b0[0]
    assert_allclose(Z_after, a * Z_before + c, rtol=1e-10, atol=1e-12)
    # the percentile range now fills the design range, no longer [-0.5, 0.5]
    assert Z_after.min() < lo + 0.3 * (hi - lo) and Z_after.max() > hi - 0.3 * (hi - lo)
    basis = est.basis_
    for j in range(W0[0].shape[1]):
        aj, cj = a[j], c[j]
        old = C0[0] if scope == "layer" else C0[0][j]
        new = (
            est.activation_coefs_[0]
            if scope == "layer"
            else est.activation_coefs_[0][j]
        )
        o_lo, o_hi = max(lo, aj * lo + cj), min(hi, aj * hi + cj)
        if o_hi <= o_lo:
            continue
        z_new = np.linspace(o_lo, o_hi, 200)
        z_old = (z_new - cj) / aj
        assert_allclose(basis.value(z_new) @ new, basis.value(z_old) @ old, atol=1e-10)


def test_adapt_range_in_fit_moves_the_preactivations_into_the_range():
    """With a narrow design range the pre-activations of a fresh network
    spill far out of it; adapt_range brings them back before training."""
    plain = _fitted(basis_params={"scale": 0.1}, max_iter=1)
    adapted = _fitted(basis_params={"scale": 0.1}, max_iter=1, adapt_range=True)
    lo, hi = plain.basis_.design_range()
    spill = [
        np.mean((Z < lo) | (Z > hi))
        for Z in (hidden_preactivations(e, X)[0] for e in (plain, adapted))
    ]
    assert spill[0] > 0.5
    assert spill[1] < 0.1


def test_refinement_ladder_projects_onto_a_larger_basis():
    """warm_start with a larger n_basis: the network predicts as before (a
    polynomial of degree 5 is one of degree 9), then trains further."""
    est = _fitted(activation_scope="neuron", hidden_layer_sizes=(4,))
    before = est.predict(X)
    est.set_params(warm_start=True, n_basis=10, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # a single iteration: the projection itself must keep the function
        est.set_params(max_iter=1)
        est.fit(X, Y)
    assert est.activation_coefs_[0].shape == (4, 10)
    assert est.basis_.n_basis == 10
    assert est.activation_init_coefs_[0].shape == (4, 10)
    loss_before = np.mean((before - Y) ** 2)
    assert np.mean((est.predict(X) - Y) ** 2) <= loss_before * (1 + 1e-6)
    est.set_params(max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, Y)
    assert np.mean((est.predict(X) - Y) ** 2) < loss_before


def test_ladder_keeps_the_function_before_training():
    """The projection alone: compare predictions right after it."""
    est = _fitted(activation_scope="layer", hidden_layer_sizes=(4,))
    before = est.predict(X)
    est.set_params(n_basis=9)
    est._change_basis(X)
    assert_allclose(est.predict(X), before, rtol=1e-8, atol=1e-9)


def test_partial_fit_still_refuses_a_new_basis():
    est = VNNRegressor(hidden_layer_sizes=(4,), random_state=0).partial_fit(X, Y)
    est.set_params(n_basis=4)
    with pytest.raises(ValueError, match="partial_fit"):
        est.partial_fit(X, Y)


def test_harmful_adaptations_are_undone_and_the_best_stage_kept():
    """Two hidden layers of polynomials: refitting an activation beyond its
    old range can blow the next layer up (the loss went from 0.03 to 2e5
    and the fit ended at 1e13). Such an adaptation is undone, and the model
    keeps its best stage."""
    rng = np.random.RandomState(0)
    X4 = rng.uniform(-1, 1, (400, 4))
    r12, r34 = X4[:, 0] ** 2 + X4[:, 1] ** 2, X4[:, 2] ** 2 + X4[:, 3] ** 2
    y4 = np.exp((np.sin(np.pi * r12) + np.sin(np.pi * r34)) / 2)
    est = VNNRegressor(
        hidden_layer_sizes=(4, 4),
        activation_scope="neuron",
        basis="polynomial",
        solver="lm",
        max_iter=100,
        tol=1e-15,
        activation_alpha=0.0,
        alpha=0.0,
        random_state=0,
        adapt_range=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X4, y4)
    assert est.loss_ < 0.5 * np.var(y4)
    theta = est._pack_current(np.float64)
    loss = est._objective(theta, np.zeros_like(theta), X4, y4.reshape(-1, 1), None)
    assert loss == pytest.approx(est.loss_, rel=1e-9)


def test_a_harmful_adaptation_at_a_warm_start_is_undone():
    """A trained network whose pre-activations use the linear continuation
    beyond the design range: the adaptation at the start of a warm-started
    fit refits the activation to the old range only, and its polynomial
    beyond (T_3(10/3) = 138 where the network had 22) would multiply the
    loss many times. It is undone, as between stages, and the warm fit
    starts from the trained model."""
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (200, 1))
    est = VNNRegressor(
        hidden_layer_sizes=(1,),
        basis="polynomial",
        n_basis=4,
        solver="lm",
        max_iter=1,
        tol=1e-15,
        alpha=0.0,
        activation_alpha=0.0,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(x, x[:, 0])
    # pre-activations in [-10, 10], the design range is [-3, 3]
    est.coefs_[0][:] = 10.0
    est.intercepts_[0][:] = 0.0
    est.activation_coefs_[0][:] = [0.0, 0.0, 1.0, 1.0]
    est.coefs_[1][:] = 1.0
    est.intercepts_[1][:] = 0.0
    y = est.predict(x) + 0.01 * rng.standard_normal(200)
    loss_before = 0.5 * np.mean((est.predict(x) - y) ** 2)
    # the adaptation alone, unguarded, is the harm this test is about
    unguarded = copy.deepcopy(est)
    unguarded._adapt_range(x)
    assert 0.5 * np.mean((unguarded.predict(x) - y) ** 2) > 100 * loss_before
    est.set_params(warm_start=True, adapt_range=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(x, y)
    assert est.loss_ <= loss_before * (1 + 1e-9)
