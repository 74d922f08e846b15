"""The analytic output Jacobian against central differences of the forward pass.

For every basis family x scope x learned output combination, on a small
network with several outputs, in float64; the matrix-free products against
the dense Jacobian; sparse input against dense; float32 kept.
"""

import numpy as np
import pytest
from scipy import sparse

from sklearn_vnn import _network
from sklearn_vnn._jacobian import (
    jacobian,
    jacobian_memory,
    jacobian_operator,
    linear_operators,
)
from sklearn_vnn.bases import BASES, CANDIDATE_FUNCTIONS, make_basis

LAYER_UNITS = [3, 4, 3, 2]
STEP = 1e-6
# candidates whose derivative jumps at 0 (relu, abs) or whose second does (elu)
KINKED = ("relu", "abs", "elu")


def _basis(name, smooth_only=True):
    if name != "candidates":
        return make_basis(name, 5)
    functions = CANDIDATE_FUNCTIONS
    if smooth_only:
        functions = tuple(f for f in functions if f not in KINKED)
    return make_basis(name, len(functions), {"functions": functions})


def _problem(basis, scope, learn_output, seed, n_samples=7):
    rng = np.random.default_rng(seed)
    layout = _network.Layout(LAYER_UNITS, basis.n_basis, scope, learn_output)
    theta = rng.normal(0.0, 0.7, layout.size)
    X = rng.normal(0.0, 1.0, (n_samples, LAYER_UNITS[0]))
    return layout, theta, X


def _output(X, layout, theta, basis):
    G, _ = _network.forward(X, *layout.views(theta), basis, need_backward=False)
    return G


def _central_differences(X, layout, theta, basis):
    columns = []
    for p in range(layout.size):
        up, down = theta.copy(), theta.copy()
        up[p] += STEP
        down[p] -= STEP
        diff = _output(X, layout, up, basis) - _output(X, layout, down, basis)
        columns.append((diff / (2 * STEP)).ravel())
    return np.column_stack(columns)


def _kink_distance(X, layout, theta, basis):
    """Smallest |Z| over the pre-activations that a kinked candidate sees."""
    seen = []
    weights, biases, hidden_C, output_C = layout.views(theta)
    _network.forward(
        X,
        weights,
        biases,
        hidden_C,
        output_C,
        basis,
        need_backward=False,
        on_preactivation=lambda layer, Z: seen.append(np.abs(Z).min()),
    )
    if output_C is not None:
        A = X
        for W, b, C in zip(weights[:-1], biases[:-1], hidden_C):
            A = basis.activate(A @ W + b, C, False)[0]
        seen.append(np.abs(A @ weights[-1] + biases[-1]).min())
    return min(seen)


def _relative_error(J, numeric):
    return np.abs(J - numeric).max() / np.abs(J).max()


@pytest.mark.parametrize("learn_output", [False, True])
@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("name", sorted(BASES))
def test_jacobian_matches_central_differences(name, scope, learn_output):
    basis = _basis(name)
    layout, theta, X = _problem(basis, scope, learn_output, seed=0)
    # every entry is written: none of the NaNs of ``out`` is left
    shape = (X.shape[0] * LAYER_UNITS[-1], layout.size)
    out = np.full(shape, np.nan)
    G, J = jacobian(X, *layout.views(theta), basis, scope, out=out)
    assert J is out and np.isfinite(J).all()
    np.testing.assert_allclose(
        G, _output(X, layout, theta, basis), rtol=1e-12, atol=1e-14
    )
    numeric = _central_differences(X, layout, theta, basis)
    assert _relative_error(J, numeric) < 1e-6


@pytest.mark.parametrize("learn_output", [False, True])
@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_jacobian_all_candidates_away_from_kinks(scope, learn_output):
    """All 11 candidates, relu and abs included, on a draw whose
    pre-activations stay 1e-3 away from the kinks at 0."""
    basis = _basis("candidates", smooth_only=False)
    assert basis.n_basis == 11
    for seed in range(50):
        layout, theta, X = _problem(basis, scope, learn_output, seed)
        if _kink_distance(X, layout, theta, basis) > 1e-3:
            break
    else:
        pytest.fail("no draw kept the pre-activations away from 0")
    _, J = jacobian(X, *layout.views(theta), basis, scope)
    numeric = _central_differences(X, layout, theta, basis)
    assert _relative_error(J, numeric) < 1e-6


@pytest.mark.parametrize("learn_output", [False, True])
@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("name", ["fourier", "gaussian"])
def test_matrix_free_products_equal_dense(name, scope, learn_output):
    basis = _basis(name)
    layout, theta, X = _problem(basis, scope, learn_output, seed=1)
    params = layout.views(theta)
    G, J = jacobian(X, *params, basis, scope)
    G2, jvp, vjp = linear_operators(X, *params, basis, scope)
    np.testing.assert_array_equal(G, G2)
    rng = np.random.default_rng(2)
    for _ in range(3):
        v = rng.normal(size=J.shape[1])
        u = rng.normal(size=J.shape[0])
        Jv, JTu = J @ v, J.T @ u
        assert np.abs(jvp(v) - Jv).max() <= 1e-10 * np.abs(Jv).max()
        assert np.abs(vjp(u) - JTu).max() <= 1e-10 * np.abs(JTu).max()
    _, op = jacobian_operator(X, *params, basis, scope)
    np.testing.assert_allclose(op @ v, J @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(op.T @ u, J.T @ u, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_frozen_coefficients_give_the_leading_columns(scope):
    basis = _basis("chebyshev")
    layout, theta, X = _problem(basis, scope, True, seed=3)
    params = layout.views(theta)
    _, J = jacobian(X, *params, basis, scope)
    _, J_frozen = jacobian(X, *params, basis, scope, with_coefficients=False)
    assert J_frozen.shape == (J.shape[0], layout.n_weights_biases)
    np.testing.assert_array_equal(J_frozen, J[:, : layout.n_weights_biases])
    _, jvp, vjp = linear_operators(X, *params, basis, scope, with_coefficients=False)
    v = np.arange(layout.n_weights_biases, dtype=float)
    u = np.linspace(-1, 1, J.shape[0])
    np.testing.assert_allclose(jvp(v), J_frozen @ v, rtol=1e-10)
    np.testing.assert_allclose(vjp(u), J_frozen.T @ u, rtol=1e-10)


@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_sparse_input_equals_dense(scope):
    basis = _basis("legendre")
    layout, theta, X = _problem(basis, scope, True, seed=4, n_samples=9)
    X[X < 0.3] = 0.0  # mostly zeros, and one all-zero row
    X[4] = 0.0
    params = layout.views(theta)
    G, J = jacobian(X, *params, basis, scope)
    G_s, J_s = jacobian(sparse.csr_matrix(X), *params, basis, scope)
    np.testing.assert_allclose(G_s, G, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(J_s, J, rtol=1e-13, atol=1e-14)
    # a stale out array is overwritten where the sparse rows store nothing
    out = np.full_like(J, np.nan)
    _, J_out = jacobian(sparse.csc_matrix(X), *params, basis, scope, out=out)
    assert J_out is out
    np.testing.assert_allclose(out, J, rtol=1e-13, atol=1e-14)


def test_float32_is_kept_and_close_to_float64():
    basis = _basis("fourier")
    layout, theta, X = _problem(basis, "neuron", True, seed=5)
    _, J64 = jacobian(X, *layout.views(theta), basis, "neuron")
    theta32, X32 = theta.astype(np.float32), X.astype(np.float32)
    G32, J32 = jacobian(X32, *layout.views(theta32), basis, "neuron")
    assert G32.dtype == np.float32 and J32.dtype == np.float32
    assert _relative_error(J64, J32.astype(np.float64)) < 1e-5


def test_jacobian_memory_counts_bytes():
    assert jacobian_memory(1000, 2, 300) == 1000 * 2 * 300 * 8
    assert jacobian_memory(10, 1, 5, np.float32) == 200


def test_bad_arguments_raise():
    basis = _basis("chebyshev")
    layout, theta, X = _problem(basis, "layer", False, seed=6)
    params = layout.views(theta)
    with pytest.raises(ValueError, match="scope"):
        jacobian(X, *params, basis, "unit")
    with pytest.raises(ValueError, match="Coefficient arrays"):
        jacobian(X, *params, basis, "neuron")  # (M,) arrays for 'neuron'
    with pytest.raises(ValueError, match="out must be"):
        jacobian(X, *params, basis, "layer", out=np.empty((3, 3)))
    _, jvp, vjp = linear_operators(X, *params, basis, "layer")
    with pytest.raises(ValueError, match="v must have shape"):
        jvp(np.ones(3))
    with pytest.raises(ValueError, match="u must have shape"):
        vjp(np.ones(3))
