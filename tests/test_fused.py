"""The fast paths of the core agree with the plain definitions.

``Basis.activate`` (values, F and F' in one pass), blocked prediction, the
in-place backward pass and the Adam step are checked against the
straightforward formulas they replace, in float64 and float32.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from sklearn_vnn import _network
from sklearn_vnn._optimizers import SGD, Adam
from sklearn_vnn.bases import (
    BASES,
    ChebyshevBasis,
    FourierBasis,
    LegendreBasis,
    _has_fused_path,
    make_basis,
)

FUSED = (FourierBasis, ChebyshevBasis, LegendreBasis)


def _reference(basis, z, coef):
    """F and F' straight from the definition: sum_k C_k f_k and C_k f_k'."""
    phi, dphi = basis.evaluate(z.astype(np.float64))
    coef = coef.astype(np.float64)
    if coef.ndim == 1:
        return np.tensordot(coef, phi, 1), np.tensordot(coef, dphi, 1), phi
    return (
        np.einsum("kij,jk->ij", phi, coef),
        np.einsum("kij,jk->ij", dphi, coef),
        phi,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scope", ["layer", "neuron"])
# 11: the whole candidates dictionary (and an odd, larger size for the others)
@pytest.mark.parametrize("n_basis", [1, 2, 5, 8, 11])
@pytest.mark.parametrize("name", sorted(BASES))
def test_activate_matches_definition(name, n_basis, scope, dtype):
    rng = np.random.default_rng(n_basis)
    basis = make_basis(name, n_basis)
    z = (3.0 * rng.standard_normal((7, 4))).astype(dtype)
    shape = (n_basis,) if scope == "layer" else (4, n_basis)
    coef = rng.standard_normal(shape).astype(dtype)

    A, Phi, slope = basis.activate(z, coef)
    A_ref, slope_ref, phi_ref = _reference(basis, z, coef)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(atol=1e-10)
    assert A.dtype == Phi.dtype == slope.dtype == dtype
    assert Phi.shape == (n_basis,) + z.shape and Phi.flags.c_contiguous
    assert_allclose(A, A_ref, **tol)
    assert_allclose(slope, slope_ref, **tol)
    assert_allclose(Phi, phi_ref, **tol)

    A_only, none1, none2 = basis.activate(z, coef, need_backward=False)
    assert none1 is None and none2 is None
    assert_allclose(A_only, A, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls", FUSED)
def test_fused_slope_is_the_derivative(cls):
    # F' from the derivative-coefficient identity against central differences
    basis = cls(9)
    rng = np.random.default_rng(0)
    coef = rng.standard_normal(9)
    # beyond the design range [-3, 3] too, but no point on its ends, where
    # the Fourier family held constant beyond them has a kink
    z = np.linspace(-6, 6, 40)
    h = 1e-6
    numeric = (
        basis.activate(z + h, coef, False)[0] - basis.activate(z - h, coef, False)[0]
    ) / (2 * h)
    assert_allclose(basis.activate(z, coef)[2], numeric, rtol=1e-6, atol=1e-6)


def test_fourier_high_orders_and_large_inputs_stay_accurate():
    basis = FourierBasis(16, frequency=0.9, extrapolation="periodic")
    z = np.concatenate([np.linspace(-40, 40, 801), [1e6, -1e9, 3e15]])
    phi = basis.value(z)
    k = np.arange(1, 9)
    wz = 0.9 * z[:, None] * k
    expected = np.empty_like(phi)
    expected[:, 0::2], expected[:, 1::2] = np.sin(wz), np.cos(wz)
    finite = np.abs(z) < 100  # beyond, the argument itself has lost its digits
    assert_allclose(phi[finite], expected[finite], atol=1e-11)
    assert np.isfinite(phi).all() and (np.abs(phi) <= 1 + 1e-12).all()


def test_fused_path_only_for_unchanged_families():
    for cls in FUSED:
        assert _has_fused_path(cls)
    for name in ("gaussian", "bspline", "candidates"):
        assert not _has_fused_path(BASES[name])

    class Doubled(FourierBasis):
        def _evaluate(self, z, derivative):
            phi, dphi = super()._evaluate(2.0 * z, derivative)
            return phi, None if dphi is None else 2.0 * dphi

    class Shifted(ChebyshevBasis):
        def _recurrence(self, u, phi, dphi):
            super()._recurrence(u, phi, dphi)
            phi += 1.0

    assert not _has_fused_path(Doubled) and not _has_fused_path(Shifted)
    # the user's own values are the ones trained
    z = np.linspace(-2, 2, 5)
    coef = np.arange(1.0, 5.0)
    A, _, slope = Doubled(4).activate(z, coef)
    A_ref, slope_ref, _ = _reference(Doubled(4), z, coef)
    assert_allclose(A, A_ref)
    assert_allclose(slope, slope_ref)
    assert_allclose(Shifted(4).activate(z, coef)[0], _reference(Shifted(4), z, coef)[0])


@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_blocked_prediction_equals_one_block(monkeypatch, scope):
    rng = np.random.default_rng(0)
    basis = FourierBasis(5)
    Z = rng.standard_normal((1003, 6))
    Z_before = Z.copy()
    C = rng.standard_normal((5,) if scope == "layer" else (6, 5))
    whole, _, _ = _network.activate(Z, C, basis, need_backward=False)
    monkeypatch.setattr(_network, "_PREDICT_BLOCK_BYTES", 1000)
    blocked, _, _ = _network.activate(Z, C, basis, need_backward=False)
    assert_allclose(blocked, whole, rtol=1e-12, atol=1e-12)
    assert_allclose(whole, basis.activate(Z, C)[0], rtol=1e-12, atol=1e-12)
    # in place: the same values, in Z's own memory
    Z_copy = Z.copy()
    inplace, _, _ = _network.activate(Z_copy, C, basis, False, overwrite_z=True)
    assert inplace is Z_copy
    assert_allclose(inplace, whole, rtol=1e-12, atol=1e-12)
    # a caller's Z is left alone by default
    assert_allclose(Z, Z_before, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_network_stays_in_dtype(dtype):
    rng = np.random.default_rng(1)
    layout = _network.Layout([3, 5, 4, 2], 6, "neuron", True)
    theta = (0.5 * rng.standard_normal(layout.size)).astype(dtype)
    grad = np.zeros_like(theta)
    X = rng.standard_normal((9, 3)).astype(dtype)
    weights, biases, hidden_C, output_C = layout.views(theta)
    G, cache = _network.forward(
        X, weights, biases, hidden_C, output_C, ChebyshevBasis(6)
    )
    assert G.dtype == dtype
    for A_prev, Phi, slope in cache:
        assert A_prev.dtype == Phi.dtype == slope.dtype == dtype
    dG = np.ones_like(G)
    _network.backward(dG, cache, weights, layout.views(grad), "neuron")
    assert (dG == 1).all()  # the caller's array is not overwritten
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0


def test_adam_step_is_sklearns():
    rng = np.random.default_rng(2)
    shapes = [(4, 3), (3,)]
    params = [rng.standard_normal(s) for s in shapes]
    theta = np.concatenate([p.ravel() for p in params])
    ours = Adam(theta.size, np.float64, learning_rate_init=0.01)
    ref_params = [p.copy() for p in params]
    ref = AdamOptimizer(ref_params, learning_rate_init=0.01)
    for _ in range(5):
        grads = [rng.standard_normal(s) for s in shapes]
        ours.step(theta, np.concatenate([g.ravel() for g in grads]))
        ref.update_params(ref_params, grads)
    assert_allclose(theta, np.concatenate([p.ravel() for p in ref_params]), rtol=1e-12)


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_step_is_sklearns(nesterov):
    rng = np.random.default_rng(3)
    shapes = [(2, 5), (5,)]
    params = [rng.standard_normal(s) for s in shapes]
    theta = np.concatenate([p.ravel() for p in params])
    ours = SGD(theta.size, np.float64, 0.05, momentum=0.8, nesterov=nesterov)
    ref_params = [p.copy() for p in params]
    ref = SGDOptimizer(
        ref_params, learning_rate_init=0.05, momentum=0.8, nesterov=nesterov
    )
    for _ in range(5):
        grads = [rng.standard_normal(s) for s in shapes]
        ours.step(theta, np.concatenate([g.ravel() for g in grads]))
        ref.update_params(ref_params, grads)
    assert_allclose(theta, np.concatenate([p.ravel() for p in ref_params]), rtol=1e-12)
