"""``basis_params={'linear': True}``: the term ``z`` added to any family.

The wrapper's values, slopes and fused activation against the inner family
plus ``z``, its penalty, starting coefficients, equality and formula; the
families that already hold ``z``; a user family; the gradient of the
estimator objective in both scopes; a fit, its formula and ONNX export.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from sklearn_vnn import VNNClassifier, VNNRegressor
from sklearn_vnn.bases import (
    BASES,
    Basis,
    CandidateBasis,
    ChebyshevBasis,
    FourierBasis,
    PolynomialBasis,
    WithLinear,
    make_basis,
)

WRAPPED = [name for name in sorted(BASES) if name != "candidates"]


class _TanhPowers(Basis):
    """A user's family: ``tanh(z)**k`` for k = 0..M-1."""

    def _evaluate(self, z, derivative):
        k = np.arange(self.n_basis).reshape((-1,) + (1,) * z.ndim)
        u = np.tanh(z)
        dphi = k * u ** np.maximum(k - 1, 0) * (1 - u * u)
        return u**k, (dphi if derivative else None)

    def numpy_terms(self, x):
        return ["1"] + [f"np.tanh({x})**{k}" for k in range(1, self.n_basis)]


def _n_basis(name):
    return 1 if name == "polynomial" else 5  # 'polynomial' holds z from M = 2


@pytest.mark.parametrize("name", WRAPPED)
def test_values_slopes_and_activate_are_inner_plus_z(name):
    inner = make_basis(name, _n_basis(name))
    basis = make_basis(name, _n_basis(name), {"linear": True})
    assert basis == WithLinear(inner) and basis.n_basis == inner.n_basis + 1
    rng = np.random.default_rng(0)
    z = 4.0 * rng.standard_normal((9, 3)) + 0.0123
    phi, dphi = basis.evaluate(z)
    phi_in, dphi_in = inner.evaluate(z)
    assert_allclose(phi[:-1], phi_in, rtol=0, atol=0)
    assert_allclose(phi[-1], z, rtol=0, atol=0)
    assert_allclose(dphi[-1], 1.0)
    h = 1e-6
    numeric = (basis.value(z + h) - basis.value(z - h)) / (2 * h)
    assert_allclose(basis.derivative(z), numeric, rtol=1e-6, atol=1e-6)
    for coef in (rng.standard_normal(basis.n_basis), rng.standard_normal((3, 6))):
        coef = coef[..., : basis.n_basis]
        A, Phi, slope = basis.activate(z, coef)
        c = coef if coef.ndim == 1 else coef[None]
        assert Phi.shape == (basis.n_basis,) + z.shape and Phi.flags.c_contiguous
        assert_allclose(Phi, phi, rtol=1e-12, atol=1e-12)
        assert_allclose(A, (np.moveaxis(phi, 0, -1) * c).sum(-1), atol=1e-10)
        assert_allclose(slope, (np.moveaxis(dphi, 0, -1) * c).sum(-1), atol=1e-9)
        # in place, as prediction writes it: z itself is the output
        z_copy = z.copy()
        A_only = basis.activate(z_copy, coef, False, out=z_copy)[0]
        assert np.shares_memory(A_only, z_copy)
        assert_allclose(A_only, A, rtol=1e-12, atol=1e-10)


def test_penalty_starts_repr_and_equality():
    inner = ChebyshevBasis(4)
    basis = WithLinear(inner)
    R = basis.penalty_matrix()
    assert R.shape == (5, 5)
    assert_allclose(R[:4, :4], inner.penalty_matrix())
    assert not R[4].any() and not R[:, 4].any()
    assert_allclose(basis.roughness(), [0, 1, 4, 9, 0])
    assert_allclose(basis.initial_coefficients("identity"), [0, 0, 0, 0, 1])
    # the least-squares start uses the linear term: relu is z on z > 0
    coef = basis.initial_coefficients("relu")
    z = np.linspace(-3, 3, 61)
    better = np.ptp(basis.value(z) @ coef - np.maximum(z, 0))
    alone = np.ptp(inner.value(z) @ inner.project(lambda t: np.maximum(t, 0)) - z)
    assert better < alone
    assert basis.initial_coefficients("random", 0).shape == (5,)
    assert repr(basis) == "WithLinear(ChebyshevBasis(n_basis=4, scale=3.0))"
    assert basis == WithLinear(ChebyshevBasis(4))
    assert basis != WithLinear(ChebyshevBasis(4, scale=2.0)) and basis != inner
    assert basis.design_range() == inner.design_range() and basis.scale == 3.0
    moved = basis.with_range(-1.0, 4.0)
    assert moved == WithLinear(ChebyshevBasis(4, scale=4.0))


def test_families_that_hold_z_are_left_unchanged():
    # 'candidates' with 'identity' already spans z: no duplicate
    assert make_basis("candidates", 3, {"linear": True}) == CandidateBasis(3)
    wrapped = make_basis(
        "candidates", 2, {"linear": True, "functions": ["relu", "sin"]}
    )
    assert wrapped == WithLinear(CandidateBasis(functions=["relu", "sin"]))
    # 'polynomial': z = scale * T_1 + centre * T_0 from M = 2
    assert make_basis("polynomial", 4, {"linear": True}) == PolynomialBasis(4)
    assert isinstance(make_basis("polynomial", 1, {"linear": True}), WithLinear)
    z = np.linspace(-9, 9, 19)
    basis = PolynomialBasis(2, domain=(1.0, 5.0))
    assert_allclose(basis.value(z) @ [3.0, 2.0], z)
    # a ready instance is wrapped too; a wrapped one is not wrapped again
    assert make_basis(FourierBasis(3), 8, {"linear": True}) == WithLinear(
        FourierBasis(3)
    )
    once = WithLinear(FourierBasis(3))
    assert make_basis(once, 8, {"linear": True}) is once


def test_bad_linear_params_raise():
    with pytest.raises(ValueError, match="must be a bool"):
        make_basis("fourier", 4, {"linear": "yes"})
    with pytest.raises(TypeError, match="Basis instance"):
        WithLinear("fourier")
    with pytest.raises(ValueError, match="n_basis=5"):
        WithLinear(FourierBasis(4)).activate(np.zeros(3), np.ones(4))


def test_a_user_family_gets_the_linear_term_and_its_formula():
    basis = make_basis(_TanhPowers(3), 3, {"linear": True})
    assert basis.n_basis == 4
    terms = basis.numpy_terms("x")
    assert terms[-1] == "x"
    z = np.linspace(-5, 5, 21)
    values = [np.zeros_like(z) + eval(t, {"np": np}, {"x": z}) for t in terms]
    assert_allclose(np.stack(values, -1), basis.value(z), rtol=1e-12)
    # a family without an ONNX writer: the message names the inner family
    with pytest.raises(TypeError, match=r"_TanhPowers.*onnx_terms"):
        basis.onnx_terms(None, "Z")


def _objective_check(est, X, Y, rng):
    theta = est._pack_current(np.float64)
    theta += 0.3 * rng.standard_normal(theta.size)
    sw = rng.uniform(0.5, 2.0, len(X))
    grad = np.zeros_like(theta)
    est._objective(theta, grad, X, Y, sw)
    eps, numeric, scratch = 1e-6, np.empty_like(theta), np.empty_like(theta)
    for i in range(theta.size):
        t = theta.copy()
        t[i] += eps
        plus = est._objective(t, scratch, X, Y, sw)
        t[i] -= 2 * eps
        numeric[i] = (plus - est._objective(t, scratch, X, Y, sw)) / (2 * eps)
    rel = np.linalg.norm(numeric - grad) / np.linalg.norm(numeric)
    assert rel <= 1e-6, rel
    assert np.abs(grad[est._layout.n_weights_biases :]).max() > 0


@pytest.mark.parametrize("learn_output", [False, True])
@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize(
    "basis, params",
    [
        ("polynomial", {"domain": (-1.0, 2.0)}),
        ("polynomial", {"linear": True}),  # M = 1: the wrapper
        ("fourier", {"linear": True}),
        ("chebyshev", {"linear": True}),
        ("bspline", {"linear": True}),
    ],
)
def test_objective_gradient(basis, params, scope, learn_output):
    rng = np.random.default_rng(0)
    X = 2.0 * rng.standard_normal((12, 3))  # inside and beyond the range
    y = rng.standard_normal((12, 2))
    est = VNNRegressor(
        hidden_layer_sizes=(5, 4),
        basis=basis,
        n_basis=1 if params.get("linear") and basis == "polynomial" else 6,
        basis_params=params,
        activation_scope=scope,
        learn_output_activation=learn_output,
        activation_init="random",
        alpha=0.3,
        activation_alpha=0.2,
        solver="lbfgs",
        max_iter=1,
        random_state=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    _objective_check(est, X, y, rng)


def test_classifier_objective_gradient_with_linear_term():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((12, 3))
    est = VNNClassifier(
        hidden_layer_sizes=(4,),
        basis="gaussian",
        n_basis=5,
        basis_params={"linear": True},
        activation_scope="neuron",
        activation_init="random",
        activation_alpha=0.2,
        solver="lbfgs",
        max_iter=1,
        random_state=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, np.arange(12) % 3)
    Y = est._label_binarizer.transform(np.arange(12) % 3).astype(float)
    _objective_check(est, X, Y, rng)


@pytest.mark.parametrize(
    "basis, n_basis, family",
    [("polynomial", 4, PolynomialBasis), ("fourier", 5, WithLinear)],
)
def test_estimator_fits_formula_and_onnx(basis, n_basis, family):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(200, 2))
    y = X[:, 0] * X[:, 1] + 0.5 * X[:, 0]
    est = VNNRegressor(
        hidden_layer_sizes=(6,),
        basis=basis,
        n_basis=n_basis,
        basis_params={"linear": True},
        solver="lbfgs",
        max_iter=300,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert type(est.basis_) is family
    assert est.activation_coefs_[0].shape == (est.basis_.n_basis,)
    assert est.score(X, y) > 0.99
    # warm start: the same parameters rebuild an equal basis
    est.set_params(warm_start=True, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    formula = est.activation_formula(0)
    if family is WithLinear:
        assert any(term == "x" for _, term, _ in formula.terms)
    z = np.linspace(-9, 9, 73)
    assert_allclose(formula(z), est.activation_function(0)(z), rtol=1e-9, atol=1e-9)
    skl2onnx = pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    import sklearn_vnn.onnx  # noqa: F401

    onx = skl2onnx.to_onnx(est, X[:1])
    sess = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    (y_onnx,) = sess.run(None, {sess.get_inputs()[0].name: X})
    assert np.max(np.abs(y_onnx.ravel() - est.predict(X))) <= 1e-10
