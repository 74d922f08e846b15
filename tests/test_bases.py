"""Basis families: derivatives, finiteness, projection, penalties, dtypes,
the table of classic activations, and the numpy terms each family writes."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_vnn import VNNRegressor
from sklearn_vnn.bases import (
    ACTIVATIONS,
    BASES,
    CANDIDATE_FUNCTIONS,
    TARGET_ACTIVATIONS,
    Basis,
    CandidateBasis,
    ChebyshevBasis,
    FourierBasis,
    LegendreBasis,
    make_basis,
)
from sklearn_vnn.bases._writing import family_terms

FAMILIES = sorted(BASES)


def _basis(name, n_basis=7):
    return make_basis(name, n_basis)


@pytest.mark.parametrize("name", FAMILIES)
def test_derivative_matches_finite_differences(name):
    basis = _basis(name)
    # avoid the kinks of relu/abs (candidates) and of the B-spline pieces
    z = np.linspace(-4.7, 4.9, 101).reshape(-1, 1) + 0.0123
    h = 1e-6
    numeric = (basis.value(z + h) - basis.value(z - h)) / (2 * h)
    assert_allclose(basis.derivative(z), numeric, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("name", FAMILIES)
def test_values_are_basis_major_and_shaped(name):
    basis = _basis(name, 5)
    z = np.random.RandomState(0).randn(4, 3)
    phi, dphi = basis.evaluate(z)
    assert phi.shape == dphi.shape == (5, 4, 3)
    assert_allclose(basis.value(z), np.moveaxis(phi, 0, -1))
    # each function is evaluated entry by entry: a 1-d input agrees
    assert_allclose(basis.value(z.ravel()).reshape(4, 3, 5), basis.value(z))


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_for_huge_inputs(name, dtype):
    basis = _basis(name, 16 if name != "candidates" else 11)
    z = np.array([-1e6, -1e3, -30.0, 0.0, 30.0, 1e3, 1e6], dtype=dtype)
    phi, dphi = basis.evaluate(z)
    assert phi.dtype == dphi.dtype == dtype
    assert np.isfinite(phi).all() and np.isfinite(dphi).all()


def test_fourier_is_the_papers_sin_cos():
    basis = FourierBasis(5, frequency=0.7)
    z = np.linspace(-3, 3, 11)
    expected = np.stack(
        [
            np.sin(0.7 * z),
            np.cos(0.7 * z),
            np.sin(1.4 * z),
            np.cos(1.4 * z),
            np.sin(2.1 * z),
        ],
        axis=-1,
    )
    assert_allclose(basis.value(z), expected, atol=1e-12)
    assert_allclose(basis.roughness(), [1, 1, 4, 4, 9])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fourier_extrapolation(dtype):
    # 'constant' (the default): beyond [-scale, scale] every function keeps
    # its value at the nearer end and its slope is 0; 'periodic': the
    # paper's series everywhere
    held = FourierBasis(5, scale=2.0)
    periodic = FourierBasis(5, scale=2.0, extrapolation="periodic")
    z = np.array([-50.0, -2.5, -2.0, -0.7, 1.3, 2.0, 2.5, 50.0], dtype=dtype)
    ends = np.clip(z, -2.0, 2.0)
    tol = dict(atol=1e-6) if dtype == np.float32 else dict(atol=1e-12)
    assert_allclose(held.value(z), periodic.value(ends), **tol)
    phi, dphi = held.evaluate(z)
    inside = np.abs(z) <= 2.0
    assert_allclose(dphi[:, inside], periodic.evaluate(z[inside])[1], **tol)
    assert (dphi[:, ~inside] == 0).all() and phi.dtype == dphi.dtype == dtype
    # the periodic series beyond the range is not the held one
    assert np.abs(periodic.value(z[~inside]) - held.value(z[~inside])).max() > 0.5
    # the fused path agrees: F and F' from activate
    coef = np.arange(1.0, 6.0)
    A, _, slope = held.activate(z, coef)
    assert_allclose(A, phi.T @ coef, **tol)
    assert_allclose(slope, dphi.T @ coef, **tol)


def test_fourier_extrapolation_through_the_estimator():
    X = np.random.RandomState(0).randn(60, 3)
    y = X[:, 0] - X[:, 1]
    fits = {}
    for mode in ("constant", "periodic"):
        est = VNNRegressor(
            hidden_layer_sizes=(4,),
            solver="lbfgs",
            max_iter=30,
            random_state=0,
            basis_params={"extrapolation": mode},
        )
        fits[mode] = est.fit(X, y)
        assert est.basis_.extrapolation == mode
    held = fits["constant"].activation_function(0)
    assert held(40.0) == held(3.0) and held(-40.0) == held(-3.0)
    periodic = fits["periodic"].activation_function(0)
    assert periodic(40.0) != periodic(3.0)
    with pytest.raises(ValueError, match="'constant' or 'periodic'"):
        VNNRegressor(basis_params={"extrapolation": "linear"}).fit(X, y)


def test_polynomials_are_chebyshev_and_legendre_of_tanh():
    z = np.linspace(-4, 4, 9)
    u = np.tanh(z / 2.0)
    cheb = ChebyshevBasis(6, scale=2.0).value(z)
    leg = LegendreBasis(6, scale=2.0).value(z)
    for k in range(6):
        assert_allclose(cheb[:, k], np.polynomial.chebyshev.chebval(u, np.eye(6)[k]))
        assert_allclose(leg[:, k], np.polynomial.legendre.legval(u, np.eye(6)[k]))


@pytest.mark.parametrize("name", ["fourier", "chebyshev", "legendre", "bspline"])
def test_projection_approximates_tanh(name):
    basis = _basis(name, 12)
    coef = basis.project(np.tanh)
    z = np.linspace(-3, 3, 200)
    approx = basis.value(z) @ coef
    # up to the free constant that projection allows
    err = approx - np.tanh(z)
    assert np.ptp(err) < 0.02


def test_candidates_select_an_activation_exactly():
    basis = CandidateBasis(6)
    coef = basis.initial_coefficients("tanh")
    assert coef.tolist() == [0, 0, 1, 0, 0, 0]
    z = np.linspace(-5, 5, 50)
    assert_allclose(basis.value(z) @ coef, np.tanh(z), rtol=0, atol=0)


def test_candidate_functions_option_and_errors():
    basis = make_basis("candidates", 3, {"functions": ["sin", "relu", "identity"]})
    assert basis.functions == ("sin", "relu", "identity")
    with pytest.raises(ValueError, match="does not match"):
        make_basis("candidates", 5, {"functions": ["sin", "relu"]})
    with pytest.raises(ValueError, match="Unknown candidate"):
        make_basis("candidates", 1, {"functions": ["swish2"]})
    with pytest.raises(ValueError, match="has 11 functions"):
        make_basis("candidates", 12)


@pytest.mark.parametrize("name", FAMILIES)
def test_penalty_matrix_is_symmetric_psd(name):
    R = _basis(name, 8).penalty_matrix()
    assert_allclose(R, R.T)
    assert np.linalg.eigvalsh(R).min() >= -1e-9


def test_smoothness_penalty_prefers_smooth_activations():
    """A rougher activation (high order terms) costs more than a smooth one."""
    for name in ["fourier", "chebyshev", "gaussian", "bspline"]:
        basis = _basis(name, 10)
        R = basis.penalty_matrix()
        smooth = basis.project(np.tanh)
        rough = basis.project(lambda z: np.sign(np.sin(4 * z)))
        smooth, rough = smooth / np.linalg.norm(smooth), rough / np.linalg.norm(rough)
        assert rough @ R @ rough > smooth @ R @ smooth, name


def test_bad_basis_params_raise():
    with pytest.raises(ValueError, match="Invalid basis_params"):
        make_basis("fourier", 4, {"colour": 1})
    with pytest.raises(ValueError, match="scale"):
        make_basis("chebyshev", 4, {"scale": -1})
    with pytest.raises(ValueError, match="Unknown basis"):
        make_basis("wavelet", 4)


def test_user_basis_subclass():
    class Monomials(Basis):
        def _evaluate(self, z, derivative):
            k = np.arange(self.n_basis).reshape((-1,) + (1,) * z.ndim)
            u = np.tanh(z)
            phi = u[None] ** k
            if not derivative:
                return phi, None
            dphi = k * u[None] ** np.maximum(k - 1, 0) * (1 - u * u)[None]
            return phi, dphi

    basis = Monomials(3)
    z = np.linspace(-2, 2, 7)
    assert_allclose(basis.value(z)[:, 2], np.tanh(z) ** 2)
    assert basis.project(np.tanh).shape == (3,)


# ----------------------------------------------------------------------
# the one table of classic activations
# ----------------------------------------------------------------------
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_table_entry_is_consistent(name):
    g = ACTIVATIONS[name]
    # away from the kinks of relu, elu and abs at 0
    z = np.linspace(-4.3, 4.1, 85) + 0.0137
    value, slope = g.value_and_slope(z)
    assert_allclose(g(z), value, rtol=0, atol=0)
    h = 1e-6
    numeric = (g(z + h) - g(z - h)) / (2 * h)
    assert_allclose(slope, numeric, rtol=1e-6, atol=1e-8)
    written = eval(g.numpy_expression("x"), {"__builtins__": {}, "np": np}, {"x": z})
    assert_allclose(written, value, rtol=1e-12, atol=1e-15)
    big = np.array([-1e6, -40.0, 40.0, 1e6])
    assert np.isfinite(g.value_and_slope(big)).all()


def test_table_serves_candidates_and_targets():
    assert CANDIDATE_FUNCTIONS == tuple(ACTIVATIONS)
    assert CandidateBasis().functions == CANDIDATE_FUNCTIONS
    assert set(TARGET_ACTIVATIONS) == {"tanh", "relu", "logistic", "identity"}
    z = np.linspace(-3, 3, 13)
    assert_allclose(TARGET_ACTIVATIONS["logistic"](z), 1 / (1 + np.exp(-z)))
    # 'candidates' selects a target exactly, as the table defines it
    for name in TARGET_ACTIVATIONS:
        basis = CandidateBasis()
        coef = basis.initial_coefficients(name)
        assert_allclose(basis.value(z) @ coef, TARGET_ACTIVATIONS[name](z), atol=0)


# ----------------------------------------------------------------------
# each family writes its own terms
# ----------------------------------------------------------------------
@pytest.mark.parametrize("n_basis", [1, 2, 7])
@pytest.mark.parametrize("name", FAMILIES)
def test_numpy_terms_evaluate_to_the_basis(name, n_basis):
    basis = make_basis(name, n_basis if name != "candidates" else 11)
    z = np.linspace(-9.0, 9.0, 181) + 0.0123
    terms = basis.numpy_terms("x")
    assert len(terms) == basis.n_basis
    values = [
        np.zeros_like(z) + eval(t, {"__builtins__": {}, "np": np}, {"x": z})
        for t in terms
    ]
    assert_allclose(np.stack(values, axis=-1), basis.value(z), rtol=1e-10, atol=1e-12)


class _Doubled(FourierBasis):
    """Changes the Fourier values without writing them."""

    def _evaluate(self, z, derivative):
        phi, dphi = super()._evaluate(2.0 * z, derivative)
        return phi, None if dphi is None else 2.0 * dphi


class _WrittenDoubled(_Doubled):
    def numpy_terms(self, x):
        return FourierBasis.numpy_terms(self, f"(2*{x})")


def test_writers_must_belong_to_the_family():
    z = np.linspace(-2, 2, 5)
    for basis in (FourierBasis(3), _WrittenDoubled(3)):
        terms = family_terms(basis, "numpy_terms", "x")
        values = [np.zeros_like(z) + eval(t, {"np": np}, {"x": z}) for t in terms]
        assert_allclose(np.stack(values, axis=-1), basis.value(z), atol=1e-12)
    # inherited from above the class that changed the values: refused
    with pytest.raises(TypeError, match=r"_Doubled.*numpy_terms\(x\)"):
        family_terms(_Doubled(3), "numpy_terms", "x")
    with pytest.raises(TypeError, match=r"_WrittenDoubled.*onnx_terms\(g, Z\)"):
        family_terms(_WrittenDoubled(3), "onnx_terms", None, "Z")
    with pytest.raises(TypeError, match="numpy_terms"):
        Basis(2).numpy_terms("x")

    class Short(FourierBasis):
        def numpy_terms(self, x):
            return super().numpy_terms(x)[:-1]

    with pytest.raises(ValueError, match="2 terms for n_basis=3"):
        family_terms(Short(3), "numpy_terms", "x")
