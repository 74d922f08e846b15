"""The least-squares form of the squared-error objective, and its solver.

``0.5 * ||r||^2`` and ``J.T @ r`` against the training objective and its
gradient; ``J`` against central differences of ``r``; a student network
fitted to a teacher of its own architecture; the interrupt, method and
memory guards.
"""

import numpy as np
import pytest
from scipy import sparse

from sklearn_vnn import _network
from sklearn_vnn._least_squares import (
    JACOBIAN_BUDGET_BYTES,
    fit_least_squares,
    make_residuals,
)
from sklearn_vnn._objective import (
    ActivationPrior,
    Objective,
    WeightDecay,
    penalty_root,
    prior_matrix,
)
from sklearn_vnn.bases import BASES, make_basis


def _objective(layout, basis, alpha, activation_alpha, centre=None):
    """The estimator's objective for these penalties: weight decay, and the
    prior centred on ``centre`` (random when None, to exercise the offset)."""
    n_w = layout.offsets[layout.n_layers]
    start = layout.n_weights_biases
    if centre is None:
        centre = np.random.default_rng(7).normal(0, 0.3, layout.size - start)
    penalties = [
        WeightDecay(0, n_w, alpha),
        ActivationPrior(
            start, layout.size, activation_alpha, prior_matrix(basis), centre
        ),
    ]
    return Objective(layout, basis, "identity", [p for p in penalties if p.strength])


def _setup(name, scope, learn_output, seed=0, units=(3, 4, 3, 2), n=11):
    rng = np.random.default_rng(seed)
    basis = make_basis(name, 6)
    layout = _network.Layout(list(units), basis.n_basis, scope, learn_output)
    theta = rng.normal(0.0, 0.7, layout.size)
    X = rng.normal(0.0, 1.0, (n, units[0]))
    y = rng.normal(0.0, 1.0, (n, units[-1]))
    sw = rng.uniform(0.2, 2.0, n)
    R = np.asarray(basis.penalty_matrix(), dtype=float)
    return basis, layout, theta, X, y, sw, R


@pytest.mark.parametrize("name", sorted(BASES))
def test_penalty_root_reproduces_the_penalty_matrix(name):
    R = np.asarray(make_basis(name, 7).penalty_matrix(), dtype=float)
    L = penalty_root(R)
    np.testing.assert_allclose(L.T @ L, R, rtol=0, atol=1e-12 * np.abs(R).max())


def test_penalty_root_rejects_bad_matrices():
    with pytest.raises(ValueError, match="square"):
        penalty_root(np.ones((2, 3)))
    with pytest.raises(ValueError, match="symmetric"):
        penalty_root(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="semi-definite"):
        penalty_root(np.diag([1.0, -1.0]))


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("learn_output", [False, True])
@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("name", sorted(BASES))
def test_half_squared_norm_is_the_objective(name, scope, learn_output, frozen):
    basis, layout, theta, X, y, sw, R = _setup(name, scope, learn_output)
    alpha, activation_alpha = 0.3, 0.7
    grad = np.zeros_like(theta)
    objective = _objective(layout, basis, alpha, activation_alpha)
    loss = objective.loss_gradient(theta, grad, X, y, sw)
    n_train = layout.n_weights_biases if frozen else layout.size
    residuals = make_residuals(objective, X, y, sw, n_train, theta=theta.copy())
    r, J = residuals(theta[:n_train])
    assert J.shape == (r.size, n_train)
    assert abs(0.5 * r @ r - loss) <= 1e-12 * loss
    # the gradient of 0.5 ||r||^2 is J.T r: the objective's own gradient
    np.testing.assert_allclose(J.T @ r, grad[:n_train], rtol=1e-10, atol=1e-13)
    r_only, none = residuals(theta[:n_train], need_jacobian=False)
    assert none is None
    np.testing.assert_allclose(r_only, r, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("name", ["gaussian", "legendre"])
def test_residual_jacobian_matches_central_differences(name, scope):
    basis, layout, theta, X, y, sw, R = _setup(name, scope, True, seed=1)
    residuals = make_residuals(
        _objective(layout, basis, 0.2, 0.5), X, y, sw, layout.size
    )
    _, J = residuals(theta)
    step = 1e-6
    numeric = np.empty_like(J)
    for p in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[p] += step
        down[p] -= step
        numeric[:, p] = (residuals(up)[0] - residuals(down)[0]) / (2 * step)
    assert np.abs(J - numeric).max() <= 1e-6 * np.abs(J).max()


def test_sparse_and_float32_input():
    basis, layout, theta, X, y, sw, R = _setup("fourier", "layer", False, seed=2)
    X[X < 0] = 0.0
    dense = make_residuals(_objective(layout, basis, 0.1, 0.1), X, y, sw, layout.size)
    csr = make_residuals(
        _objective(layout, basis, 0.1, 0.1), sparse.csr_matrix(X), y, sw, layout.size
    )
    (r, J), (r_s, J_s) = dense(theta), csr(theta)
    np.testing.assert_allclose(r_s, r, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(J_s, J, rtol=1e-13, atol=1e-15)
    single = make_residuals(
        _objective(layout, basis, 0.1, 0.1),
        X.astype(np.float32),
        y.astype(np.float32),
        sw.astype(np.float32),
        layout.size,
    )
    r32, J32 = single(theta)
    assert r32.dtype == J32.dtype == np.float64  # what scipy works in
    np.testing.assert_allclose(r32, r, rtol=1e-4, atol=1e-5)


def _teacher_student(name, scope, noise, seed):
    """A random [2, 3, 1] teacher, its outputs on 200 points, and a start.

    The teacher's weights and intercepts have standard deviation 1.5, so
    that its pre-activations cover much of the basis's design range: the
    problem is then well conditioned (with weights near 0 the M basis
    functions are nearly dependent on the range the data reach, J has
    singular values down to 1e-13 and any solver creeps along the flat
    directions).
    """
    rng = np.random.default_rng(seed)
    basis = make_basis(name, 5)
    layout = _network.Layout([2, 3, 1], basis.n_basis, scope, False)
    teacher = rng.normal(0.0, 1.0, layout.size)
    teacher[: layout.n_weights_biases] *= 1.5
    X = rng.uniform(-1.0, 1.0, (200, 2))
    y, _ = _network.forward(X, *layout.views(teacher), basis, need_backward=False)
    start = teacher + noise * rng.normal(size=teacher.size)
    return basis, layout, X, y, start, teacher


@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("name", ["chebyshev", "fourier"])
def test_student_recovers_a_teacher_of_its_own_architecture(name, scope):
    """A local test of the solver and the Jacobian, not of global search:
    the student starts at the teacher's parameters plus noise of 1e-2, in
    the basin of an exact (zero-residual) fit, where Gauss-Newton steps
    converge fast; training RMSE must reach 1e-8."""
    basis, layout, X, y, start, _ = _teacher_student(name, scope, 1e-2, seed=2)
    residuals = make_residuals(
        _objective(layout, basis, 0.0, 0.0), X, y, None, layout.size
    )
    rmse0 = np.sqrt(np.mean(residuals(start, need_jacobian=False)[0] ** 2))
    assert rmse0 > 1e-4  # the start is visibly off
    res = fit_least_squares(
        residuals, start, max_nfev=300, ftol=1e-15, xtol=1e-15, gtol=1e-15
    )
    assert not res.interrupted
    G, _ = _network.forward(X, *layout.views(res.x), basis, need_backward=False)
    rmse = np.sqrt(np.mean((G - y) ** 2))
    assert rmse <= 1e-8, (rmse, res.message, res.nfev)
    assert res.cost == pytest.approx(0.5 * np.sum((G - y) ** 2) / len(X), abs=1e-20)


def test_frozen_coefficients_stay_and_lm_method_fits():
    """Coefficients frozen at the teacher's: only weights and intercepts
    move, with MINPACK's 'lm' (200 residuals for 13 parameters)."""
    basis, layout, X, y, start, teacher = _teacher_student(
        "chebyshev", "layer", 1e-2, 1
    )
    n_wb = layout.n_weights_biases
    theta = start.copy()
    theta[n_wb:] = teacher[n_wb:]
    residuals = make_residuals(
        _objective(layout, basis, 0.0, 0.0), X, y, None, n_wb, theta=theta
    )
    res = fit_least_squares(
        residuals, theta[:n_wb], method="lm", ftol=1e-15, xtol=1e-15, gtol=1e-15
    )
    assert res.x.shape == (n_wb,)
    np.testing.assert_array_equal(theta[n_wb:], teacher[n_wb:])
    theta[:n_wb] = res.x  # theta holds the last point evaluated, maybe a trial
    G, _ = _network.forward(X, *layout.views(theta), basis, need_backward=False)
    assert np.sqrt(np.mean((G - y) ** 2)) <= 1e-8


def test_keyboard_interrupt_returns_the_best_point():
    basis, layout, X, y, start, _ = _teacher_student("fourier", "layer", 1e-1, 2)
    residuals = make_residuals(
        _objective(layout, basis, 0.0, 0.0), X, y, None, layout.size
    )
    calls = {"n": 0, "costs": []}

    def interrupted(x, need_jacobian=True):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        r, J = residuals(x, need_jacobian)
        if not need_jacobian:
            calls["costs"].append(0.5 * r @ r)
        return r, J

    res = fit_least_squares(interrupted, start, max_nfev=100)
    assert res.interrupted and not res.success and res.status == -10
    assert res.cost == min(calls["costs"])
    r, _ = residuals(res.x, need_jacobian=False)
    assert 0.5 * r @ r == pytest.approx(res.cost, rel=1e-12)


def test_guards_raise_clear_errors():
    basis, layout, X, y, start, _ = _teacher_student("fourier", "layer", 1e-1, 3)
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        make_residuals(
            _objective(layout, basis, 0, 0),
            X,
            y,
            None,
            layout.size,
            max_jacobian_bytes=1000,
        )
    assert JACOBIAN_BUDGET_BYTES == 2**30
    with pytest.raises(ValueError, match="theta is required"):
        make_residuals(
            _objective(layout, basis, 0, 0), X, y, None, layout.n_weights_biases
        )
    with pytest.raises(ValueError, match="n_train"):
        make_residuals(_objective(layout, basis, 0, 0), X, y, None, 3)
    with pytest.raises(ValueError, match="y must have shape"):
        make_residuals(_objective(layout, basis, 0, 0), X, y.ravel(), None, layout.size)
    few = make_residuals(
        _objective(layout, basis, 0, 0), X[:3], y[:3], None, layout.size
    )
    with pytest.raises(ValueError, match="method must be"):
        fit_least_squares(few, start, method="dogbox")


def test_lm_pads_when_there_are_fewer_residuals_than_parameters():
    """MINPACK needs m >= n: zero rows are appended, the fit is the same
    problem, and the returned residuals are the real ones."""
    basis, layout, X, y, start, _ = _teacher_student("fourier", "layer", 1e-1, 4)
    residuals = make_residuals(
        _objective(layout, basis, 0, 0), X[:3], y[:3], None, layout.size
    )
    assert residuals(start)[0].size < start.size
    res = fit_least_squares(residuals, start, method="lm", max_nfev=50)
    r, _ = residuals(res.x, need_jacobian=False)
    np.testing.assert_allclose(res.fun, r)
    assert res.cost == pytest.approx(0.5 * r @ r, rel=1e-12)
    assert res.cost < 0.5 * np.sum(residuals(start)[0] ** 2)


def _lm_student(scope, seed):
    """(RMSE at the warm start, RMSE after solver='lm') of a student of the
    teacher's architecture started 1e-2 away from the teacher's parameters
    and fitted to the teacher's outputs."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from sklearn_vnn import VNNRegressor

    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, (200, 2))
    kw = dict(
        hidden_layer_sizes=(3,),
        basis="polynomial",
        n_basis=5,
        activation_scope=scope,
        activation_init="random",
        alpha=0.0,
        activation_alpha=0.0,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        teacher = VNNRegressor(solver="lbfgs", max_iter=1, **kw).fit(X, X[:, 0])
        y = teacher.predict(X)
        student = VNNRegressor(solver="lbfgs", max_iter=1, **kw).fit(X, y)
        for name in ("coefs_", "intercepts_", "activation_coefs_"):
            perturbed = [
                a + 1e-2 * rng.normal(size=a.shape) for a in getattr(teacher, name)
            ]
            setattr(student, name, perturbed)
        start = np.sqrt(np.mean((student.predict(X) - y) ** 2))
        student.set_params(warm_start=True, solver="lm", max_iter=300, tol=1e-15)
        student.fit(X, y)
    return start, np.sqrt(np.mean((student.predict(X) - y) ** 2))


@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_estimator_lm_student_recovers_its_teacher(scope):
    """The estimator end to end, over the teachers of seeds 1-12: most
    students reach a training RMSE of 1e-8, and every one improves on its
    warm start.

    Not every one reaches 1e-8: the Jacobian is rank-deficient (a unit's
    amplitude trades with its outgoing weights; in 'neuron' scope each
    unit's polynomial also re-expands any affine change of its input), and
    MINPACK then sometimes stops on ``xtol`` or runs out of evaluations
    short of the teacher. Measured, 'layer': 9 seeds at 1e-16, the others at
    3.0e-8, 3.5e-8 and 2.9e-4; 'neuron': 9 at 1e-16, the others at 3.7e-11,
    3.2e-10 or 4.7e-7 (seed 3: rounding picks the path from run to run) and
    6.5e-6 or 9.1e-5 (seed 5). Restarts (``n_init``) are the remedy the
    recipes use."""
    results = [_lm_student(scope, seed) for seed in range(1, 13)]
    assert all(start > 1e-4 for start, _ in results)
    assert all(end < start for start, end in results)
    reached = sum(end <= 1e-8 for _, end in results)
    assert reached >= 8, [f"{end:.1e}" for _, end in results]
