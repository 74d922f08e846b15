"""Squared-error training as a nonlinear least-squares problem.

For the squared-error loss (identity link) the whole training objective
(``_objective.Objective``) is half a sum of squares, ``0.5 * ||r(theta)||^2``, of
the residual vector

    r = [ sqrt(w_i / sw) * (G[i, o] - y[i, o])   for every sample i, output o
          sqrt(alpha / sw) * W                    every weight (not intercepts)
          sqrt(activation_alpha / sw) * L (C_j - C0_j)   every combination ]

with ``sw = sum_i w_i`` and ``Q = L.T @ L`` a square root of the prior's
matrix (each penalty gives its rows: ``QuadraticPenalty.residuals``). Its
Jacobian stacks the rows of :func:`sklearn_vnn._jacobian.jacobian`, scaled
per sample, on the constant Jacobians of the penalty rows. A Gauss-Newton
type solver then uses the curvature ``J.T @ J`` that first-order methods never see.

:func:`make_residuals` builds ``theta -> (r, J)`` for an estimator's
layout and data; :func:`fit_least_squares` runs
:func:`scipy.optimize.least_squares` on it, with MINPACK's
Levenberg-Marquardt ('lm': a QR factorisation of ``J`` per iteration) or
scipy's trust-region reflective method ('trf': an SVD, or LSMR iterations
for many parameters). 'lm' was the faster: 9.6 s against 65 s for 300
evaluations on 1000 samples and 233 parameters, measured on a shared
two-core machine. MINPACK needs at least as many residuals as parameters;
where there are fewer, zero rows are appended, which changes nothing else.

The dense ``J`` has ``n_samples * n_outputs`` rows: its memory is checked
against :data:`JACOBIAN_BUDGET_BYTES` before anything is allocated.
"""

import numpy as np
import scipy.optimize
from scipy.optimize import OptimizeResult

from sklearn_vnn import _jacobian, _network

# The largest dense Jacobian (in float64, what scipy works in) that
# make_residuals accepts: 1 GiB. scipy's 'exact' trust-region solver takes
# an SVD of J each iteration, which needs about as much again.
JACOBIAN_BUDGET_BYTES = 2**30

_METHODS = ("trf", "lm")

# the most parameters for which 'trf' solves its subproblems exactly (an SVD
# of J); above, it uses LSMR. With 100 samples and 1,300 parameters the
# exact solver took 546 s for 84 iterations on a shared two-core machine.
EXACT_MAX_PARAMETERS = 500


class _Residuals:
    """``theta_trainable -> (r, J)`` for one objective and data set.

    Built by :func:`make_residuals`; see there. Called as
    ``residuals(x, need_jacobian=True)``; with ``need_jacobian=False`` it
    returns ``(r, None)`` after a forward pass only.
    """

    def __init__(self, objective, X, y, sample_weight, n_train, theta):
        self.layout, self.basis, self.X = objective.layout, objective.basis, X
        self.y, self.n_train, self.theta = y, n_train, theta
        self.penalties = objective.penalties
        n = X.shape[0]
        sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight)
        self.sw_sum = float(sw.sum())
        self.row_scale = np.sqrt(sw / self.sw_sum)[:, None]
        # the penalty rows are linear in theta: their Jacobian is constant
        size = self.layout.size
        blocks = [p.residual_jacobian(self.sw_sum, size) for p in self.penalties]
        self.penalty_J = (
            np.vstack(blocks)[:, :n_train] if blocks else np.zeros((0, n_train))
        )

    def __call__(self, x, need_jacobian=True):
        theta = self.theta
        theta[: self.n_train] = x
        params = self.layout.views(theta)
        if need_jacobian:
            G, J = _jacobian.jacobian(
                self.X,
                *params,
                self.basis,
                self.layout.scope,
                with_coefficients=self.n_train == self.layout.size,
            )
        else:
            G, _ = _network.forward(self.X, *params, self.basis, need_backward=False)
        data = (self.row_scale * (G - self.y)).ravel()
        penalty_rows = [p.residuals(theta, self.sw_sum) for p in self.penalties]
        r = np.concatenate([data.astype(np.float64)] + penalty_rows)
        if not need_jacobian:
            return r, None
        n_outputs = G.shape[1]
        J = J.reshape(-1, n_outputs, J.shape[1])
        J *= self.row_scale[:, :, None].astype(J.dtype)
        J = J.reshape(-1, J.shape[2])
        return r, np.vstack([J.astype(np.float64, copy=False), self.penalty_J])


def make_residuals(
    objective,
    X,
    y,
    sample_weight,
    n_train,
    theta=None,
    max_jacobian_bytes=JACOBIAN_BUDGET_BYTES,
):
    """The residual function of the squared-error training objective.

    ``0.5 * ||r||^2`` equals ``objective.loss_gradient`` (link 'identity')
    at the same parameters (see the module docstring for ``r``).

    Parameters
    ----------
    objective : _objective.Objective
        Its layout, basis and penalties; its link must be 'identity'.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    n_train : int
        The trained leading entries of theta: ``layout.size``, or
        ``layout.n_weights_biases`` to keep the coefficients frozen.
    theta : ndarray of shape (layout.size,), default=None
        The full parameter vector, of X's dtype: its trailing (frozen)
        entries are used as they are, and every call writes the trained
        ones into it. Required when ``n_train < layout.size``.
    max_jacobian_bytes : int, default=JACOBIAN_BUDGET_BYTES
        The largest dense Jacobian accepted.

    Returns
    -------
    residuals : callable
        ``residuals(x, need_jacobian=True)`` with ``x`` of shape (n_train,)
        returns ``r`` (float64, shape (m,)) and ``J`` (float64, shape
        (m, n_train)), or ``(r, None)`` with ``need_jacobian=False``.

    Raises
    ------
    ValueError
        If the dense Jacobian would take more than ``max_jacobian_bytes``.
    """
    layout = objective.layout
    if not objective.provides("residuals"):
        raise ValueError(f"The {objective.link!r} link's loss is not a sum of squares.")
    y = np.asarray(y)
    if y.ndim != 2 or y.shape != (X.shape[0], layout.layer_units[-1]):
        raise ValueError(
            f"y must have shape ({X.shape[0]}, {layout.layer_units[-1]}), "
            f"got {y.shape}."
        )
    if n_train not in (layout.size, layout.n_weights_biases):
        raise ValueError(
            f"n_train must be {layout.size} (all parameters) or "
            f"{layout.n_weights_biases} (frozen coefficients), got {n_train}."
        )
    if theta is None:
        if n_train < layout.size:
            raise ValueError("theta is required when the coefficients are frozen.")
        theta = np.zeros(layout.size, dtype=X.dtype)
    n_rows = X.shape[0] * y.shape[1]
    n_rows += sum(p.stop - p.start for p in objective.penalties)
    n_bytes = _jacobian.jacobian_memory(n_rows, 1, n_train)
    if n_bytes > max_jacobian_bytes:
        raise ValueError(
            f"solver='lm' needs the dense Jacobian of {X.shape[0]} samples x "
            f"{y.shape[1]} outputs (plus {n_rows - X.shape[0] * y.shape[1]} "
            f"penalty rows) x {n_train} parameters: "
            f"{n_bytes / 2**30:.2f} GiB, over the budget of "
            f"{max_jacobian_bytes / 2**30:.2f} GiB. Use solver='lbfgs', fewer "
            "samples, or fit on a subsample (the result can warm-start an "
            "'lbfgs' fit on all the data)."
        )
    return _Residuals(objective, X, y, sample_weight, n_train, theta)


def _interrupted_result(best, counts):
    """What :func:`fit_least_squares` returns after a KeyboardInterrupt."""
    return OptimizeResult(
        x=best["x"],
        cost=best["cost"],
        fun=best["r"],
        status=-10,
        success=False,
        interrupted=True,
        nfev=counts["nfev"],
        njev=counts["njev"],
        message="Interrupted by the user (KeyboardInterrupt).",
    )


def fit_least_squares(
    residuals_and_jacobian,
    x0,
    *,
    max_nfev=None,
    ftol=1e-8,
    xtol=1e-8,
    gtol=1e-8,
    verbose=0,
    x_scale="jac",
    method="trf",
):
    """Minimise ``0.5 * ||r(x)||^2`` with :func:`scipy.optimize.least_squares`.

    Parameters
    ----------
    residuals_and_jacobian : callable
        ``f(x, need_jacobian)`` returning ``(r, J)``, ``J`` a dense
        (m, n) array, or ``(r, None)`` when ``need_jacobian`` is False (as
        from :func:`make_residuals`). Trial points need only ``r``; ``J`` is
        computed again at the points scipy accepts (a cached one is reused
        when ``f`` returned it for the same ``x``).
    x0 : ndarray of shape (n,)
    max_nfev : int, default=None
        Most evaluations of ``r`` (scipy's default when None).
    ftol, xtol, gtol : float, default=1e-8
        scipy's tolerances: relative change of the cost, relative step
        size, and the scaled gradient's max-norm.
    verbose : {0, 1, 2}, default=0
        scipy's progress printing.
    x_scale : 'jac' or array, default='jac'
        Variable scaling (by the inverse column norms of ``J`` for 'jac').
    method : {'trf', 'lm'}, default='trf'
        scipy's trust-region reflective method, or MINPACK's
        Levenberg-Marquardt ('lm'; when there are fewer residuals than
        parameters, zero rows are appended, which changes nothing else).

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        scipy's result (``x``, ``cost = 0.5 * ||r||^2``, ``fun = r``,
        ``status``, ``nfev``, ``njev``, ``message``) with
        ``interrupted=False``. After a KeyboardInterrupt: the point of
        lowest cost evaluated so far, ``status=-10``, ``success=False``,
        ``interrupted=True`` (``x`` is None if no point was evaluated);
        the caller decides how to report it.

    Raises
    ------
    ValueError
        For an unknown ``method``, or non-finite residuals at ``x0`` (from
        scipy).
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}.")
    x0 = np.asarray(x0, dtype=np.float64)
    cache = {"x": None, "J": None}
    best = {"x": None, "cost": np.inf, "r": None}
    counts = {"nfev": 0, "njev": 0}

    def fun(x):
        counts["nfev"] += 1
        r, J = residuals_and_jacobian(x, need_jacobian=False)
        cost = 0.5 * float(r @ r)
        if cost < best["cost"]:  # False for nan
            best.update(x=x.copy(), cost=cost, r=r.copy())
        cache["x"], cache["J"] = x.copy(), J
        return r

    def jac(x):
        counts["njev"] += 1
        if cache["J"] is not None and np.array_equal(cache["x"], x):
            return cache["J"]
        _, J = residuals_and_jacobian(x, need_jacobian=True)
        return J

    solve_fun, solve_jac = fun, jac
    if method == "lm":
        # MINPACK needs at least as many residuals as parameters: rows of
        # zeros (constant, with zero Jacobian rows) change nothing else, and
        # keep the method the same whatever the data's size, so that
        # weighting rows and repeating them fit alike
        m = fun(x0).size
        solve_fun, solve_jac = _padded(fun, jac, max(0, x0.size - m))
    options = dict(ftol=ftol, xtol=xtol, gtol=gtol, x_scale=x_scale)
    if method == "trf":
        # an exact subproblem takes an SVD of J, cubic in the parameters:
        # past EXACT_MAX_PARAMETERS, LSMR iterations on J are far cheaper
        exact = x0.size <= EXACT_MAX_PARAMETERS
        options["tr_solver"] = "exact" if exact else "lsmr"
    try:
        res = scipy.optimize.least_squares(
            solve_fun,
            x0,
            jac=solve_jac,
            method=method,
            max_nfev=max_nfev,
            verbose=verbose,
            **options,
        )
    except KeyboardInterrupt:
        return _interrupted_result(best, counts)
    res.interrupted = False
    if res.fun.size > best["r"].size:  # drop the padding rows
        res.fun = res.fun[: best["r"].size]
    return res


def _padded(fun, jac, n_rows):
    """``fun`` and ``jac`` with ``n_rows`` zero residuals appended."""
    if n_rows == 0:
        return fun, jac

    def padded_fun(x):
        return np.concatenate([fun(x), np.zeros(n_rows)])

    def padded_jac(x):
        J = jac(x)
        return np.vstack([J, np.zeros((n_rows, J.shape[1]))])

    return padded_fun, padded_jac
