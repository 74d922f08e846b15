"""The 'polynomial' family: Chebyshev polynomials of a linear map of ``z``,
continued by their tangent lines beyond the design range.

Exact polynomials on the range, values and slopes against the definition
and finite differences (inside, outside, across the ends), the fused
training path, the formula and the ONNX graph, ``with_range``, and a fit
of the estimator.
"""

import warnings

import numpy as np
import pytest
from numpy.polynomial import chebyshev
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from sklearn_vnn import VNNRegressor
from sklearn_vnn.bases import (
    BASES,
    BSplineBasis,
    CandidateBasis,
    ChebyshevBasis,
    FourierBasis,
    GaussianBasis,
    LegendreBasis,
    PolynomialBasis,
    _has_fused_path,
    make_basis,
)


def _definition(basis, z):
    """phi_k from the definition, with numpy's Chebyshev module."""
    lo, hi = basis.design_range()
    u = (z - 0.5 * (lo + hi)) / (0.5 * (hi - lo))
    v = np.clip(u, -1, 1)
    eye = np.eye(basis.n_basis)
    T = np.stack([chebyshev.chebval(v, e) for e in eye], axis=-1)
    dT = np.stack([chebyshev.chebval(v, chebyshev.chebder(e)) for e in eye], -1)
    return T + dT * (u - v)[:, None], dT / (0.5 * (hi - lo))


def test_registered_and_built_from_params():
    assert BASES["polynomial"] is PolynomialBasis
    basis = make_basis("polynomial", 5, {"domain": (-1.0, 3.0)})
    assert basis == PolynomialBasis(5, scale=2.0, centre=1.0)
    assert basis.design_range() == (-1.0, 3.0)
    assert make_basis("polynomial", 4).design_range() == (-3.0, 3.0)
    assert PolynomialBasis(4, scale=0.5).design_range() == (-0.5, 0.5)


@pytest.mark.parametrize(
    "params",
    [
        {"domain": (2.0, 1.0)},
        {"domain": (0.0, np.inf)},
        {"domain": (1.0,)},
        {"domain": (0.0, 1.0), "scale": 2.0},
        {"centre": np.nan},
        {"scale": 0.0},
    ],
)
def test_bad_params_raise(params):
    with pytest.raises(ValueError):
        make_basis("polynomial", 4, params)


@pytest.mark.parametrize("n_basis", [3, 4, 8])
@pytest.mark.parametrize("domain", [(-3.0, 3.0), (0.5, 4.0), (-10.0, -2.0)])
def test_square_is_exact_on_the_range(n_basis, domain):
    basis = PolynomialBasis(n_basis, domain=domain)
    coef = basis.project(lambda z: z**2)
    z = np.linspace(*domain, 301)
    assert np.max(np.abs(basis.value(z) @ coef - z**2)) <= 1e-12 * max(
        1.0, np.max(z**2)
    )
    # free_constant changes nothing: the family holds the constants
    assert_allclose(basis.project(lambda z: z**2, free_constant=False), coef)


def test_exp_to_high_precision():
    basis = PolynomialBasis(12)
    z = np.linspace(-3, 3, 601)
    err = basis.value(z) @ basis.project(np.exp) - np.exp(z)
    assert np.max(np.abs(err)) < 5e-6  # measured 2.0e-6, 1e-7 of max exp
    # far better than the tanh-mapped Chebyshev family of the same size
    cheb = ChebyshevBasis(12)
    err_cheb = cheb.value(z) @ cheb.project(np.exp, free_constant=False) - np.exp(z)
    assert np.max(np.abs(err_cheb)) > 100 * np.max(np.abs(err))


@pytest.mark.parametrize("domain", [(-3.0, 3.0), (-0.5, 2.0)])
def test_values_and_slopes_are_the_definition(domain):
    basis = PolynomialBasis(9, domain=domain)
    z = np.linspace(-12, 12, 401) + 0.0123
    phi, dphi = _definition(basis, z)
    assert_allclose(basis.value(z), phi, rtol=1e-12, atol=1e-12)
    assert_allclose(basis.derivative(z), dphi, rtol=1e-12, atol=1e-12)
    # T_1 is u itself, everywhere
    lo, hi = domain
    assert_allclose(basis.value(z)[:, 1], (z - (lo + hi) / 2) / ((hi - lo) / 2))


def test_slopes_match_finite_differences_inside_and_outside():
    basis = PolynomialBasis(8, domain=(-1.0, 2.0))
    z = np.concatenate([np.linspace(-1, 2, 37)[1:-1], [-50.0, -3.1, 2.7, 40.0]])
    h = 1e-6
    numeric = (basis.value(z + h) - basis.value(z - h)) / (2 * h)
    assert_allclose(basis.derivative(z), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("end", [-1.0, 2.0])
def test_value_and_slope_continuous_at_the_ends(end):
    basis = PolynomialBasis(10, domain=(-1.0, 2.0))
    eps = 1e-9
    inside = end + (eps if end < 0 else -eps)
    outside = end - (eps if end < 0 else -eps)
    phi = basis.value(np.array([inside, end, outside]))
    dphi = basis.derivative(np.array([inside, end, outside]))
    assert_allclose(phi[0], phi[2], atol=1e-6)
    assert_allclose(dphi[0], dphi[2], rtol=1e-6)
    # the end slopes are T_k'(+-1) = (+-1)**(k+1) k**2, over the half-width
    k = np.arange(10)
    s = np.sign(end - 0.5)
    assert_allclose(dphi[1], s ** (k + 1) * k**2 / 1.5)
    # beyond the end the slope is constant: every function is a line there
    far = end + 10 * s * np.array([1.0, 2.0, 7.0])
    assert_allclose(basis.derivative(far), np.tile(dphi[1], (3, 1)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_finite_and_linear_for_huge_inputs(dtype):
    basis = PolynomialBasis(16)
    z = np.array([-1e6, -1e3, 0.0, 1e3, 1e6], dtype=dtype)
    phi, dphi = basis.evaluate(z)
    assert phi.dtype == dphi.dtype == dtype
    assert np.isfinite(phi).all() and np.isfinite(dphi).all()
    k = np.arange(16)
    assert_allclose(phi[:, -1], 1 + k**2 * (1e6 / 3 - 1), rtol=1e-5)


@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("n_basis", [1, 2, 3, 7])
def test_fused_activate_is_the_definition(n_basis, scope):
    assert _has_fused_path(PolynomialBasis)
    rng = np.random.default_rng(n_basis)
    basis = PolynomialBasis(n_basis, domain=(-1.0, 2.5))
    z = 3.0 * rng.standard_normal((40, 3))  # inside and well outside
    coef = rng.standard_normal((n_basis,) if scope == "layer" else (3, n_basis))
    A, Phi, slope = basis.activate(z, coef)
    phi, dphi = _definition(basis, z.ravel())
    phi = phi.reshape(z.shape + (n_basis,))
    dphi = dphi.reshape(z.shape + (n_basis,))
    c = coef if scope == "layer" else coef[None]
    assert_allclose(np.moveaxis(Phi, 0, -1), phi, rtol=1e-12, atol=1e-12)
    assert_allclose(A, (phi * c).sum(-1), rtol=1e-12, atol=1e-11)
    assert_allclose(slope, (dphi * c).sum(-1), rtol=1e-10, atol=1e-10)
    out = np.empty_like(z)
    A_only = basis.activate(z, coef, need_backward=False, out=out)[0]
    assert np.shares_memory(A_only, out)
    assert_allclose(A_only, A, rtol=1e-12, atol=1e-11)


def test_fused_slope_matches_finite_differences():
    basis = PolynomialBasis(9, domain=(-2.0, 1.0))
    coef = np.random.default_rng(0).standard_normal(9)
    z = np.linspace(-8, 8, 61) + 0.0071
    h = 1e-6
    F = lambda t: basis.activate(t, coef, False)[0]  # noqa: E731
    numeric = (F(z + h) - F(z - h)) / (2 * h)
    assert_allclose(basis.activate(z, coef)[2], numeric, rtol=1e-6, atol=1e-5)


def test_formula_and_penalty():
    basis = PolynomialBasis(8, domain=(-0.7, 2.2))
    z = np.linspace(-20, 20, 801) + 0.0123
    terms = basis.numpy_terms("x")
    assert terms[0] == "1" and len(terms) == 8
    values = [
        np.zeros_like(z) + eval(t, {"__builtins__": {}, "np": np}, {"x": z})
        for t in terms
    ]
    assert_allclose(np.stack(values, axis=-1), basis.value(z), rtol=1e-9, atol=1e-9)
    assert_allclose(basis.roughness(), np.arange(8) ** 2)
    assert_allclose(basis.penalty_matrix(), np.diag(np.arange(8) ** 2))


def test_with_range_moves_the_design_range():
    basis = PolynomialBasis(6)
    moved = basis.with_range(-1.0, 5.0)
    assert isinstance(moved, PolynomialBasis) and moved.n_basis == 6
    assert moved.design_range() == (-1.0, 5.0)
    assert basis.design_range() == (-3.0, 3.0)  # unchanged
    with pytest.raises(ValueError):
        basis.with_range(2.0, 1.0)


@pytest.mark.parametrize(
    "basis",
    [
        ChebyshevBasis(5),
        LegendreBasis(5),
        FourierBasis(5),
        GaussianBasis(5, width=1.5),
        BSplineBasis(6),
        CandidateBasis(4),
    ],
    ids=repr,
)
def test_with_range_of_the_symmetric_families(basis):
    moved = basis.with_range(-1.0, 5.0)
    assert type(moved) is type(basis) and moved.n_basis == basis.n_basis
    assert moved.design_range() == (-5.0, 5.0)  # centred on 0, covers the range
    assert basis.design_range() == (-3.0, 3.0)
    if isinstance(basis, FourierBasis):
        # the period keeps its size relative to the range
        assert moved.frequency == pytest.approx(basis.frequency * 3.0 / 5.0)
        assert moved == FourierBasis(5, scale=5.0)
    if isinstance(basis, GaussianBasis):
        assert moved == GaussianBasis(5, scale=5.0, width=1.5)
    # the functions follow the range: f(5 z / 3) on the new range
    if not isinstance(basis, CandidateBasis):
        z = np.linspace(-3, 3, 13)
        assert_allclose(moved.value(z * 5 / 3), basis.value(z), atol=1e-12)


def _onnx_deviations(est, X):
    """Largest |ONNX - predict| in float64 and, relative, in float32."""
    skl2onnx = pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    import sklearn_vnn.onnx  # noqa: F401  (registers the converters)

    ours = est.predict(X)
    deviations = []
    for dtype in (np.float64, np.float32):
        onx = skl2onnx.to_onnx(est, X[:1].astype(dtype))
        sess = ort.InferenceSession(
            onx.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        (y,) = sess.run(None, {sess.get_inputs()[0].name: X.astype(dtype)})
        assert y.dtype == dtype
        deviations.append(np.max(np.abs(y.ravel() - ours)))
    return deviations[0], deviations[1] / np.max(np.abs(ours))


@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_onnx_export_predicts_like_predict(scope):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    X[:5] *= 30.0  # far beyond the design range: the tangent lines
    y = np.sin(X[:, 0]) + 0.3 * X[:, 1] * np.tanh(X[:, 2])
    est = VNNRegressor(
        hidden_layer_sizes=(5, 4),
        basis="polynomial",
        n_basis=7,
        basis_params={"domain": (-2.0, 4.0)},
        activation_scope=scope,
        activation_init="random",
        learn_output_activation=True,
        max_iter=20,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    dev64, rel32 = _onnx_deviations(est, X)
    # float64 is the same arithmetic; float32 rounds values that grow
    # linearly out there (predictions up to ~60), so it is relative
    assert dev64 <= 1e-10
    assert rel32 <= 1e-5


def test_estimator_fits_a_polynomial_target():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 2))
    y = X[:, 0] ** 2 + X[:, 0] * X[:, 1]
    est = VNNRegressor(
        hidden_layer_sizes=(4,),
        basis="polynomial",
        n_basis=4,
        basis_params={"scale": 2.0},
        solver="lbfgs",
        max_iter=500,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert isinstance(est.basis_, PolynomialBasis)
    assert est.activation_coefs_[0].shape == (4,)
    assert est.score(X, y) > 0.999
    formula = est.activation_formula(0)
    z = np.linspace(-6.0, 6.0, 97)
    assert_allclose(formula(z), est.activation_function(0)(z), rtol=1e-9, atol=1e-9)
