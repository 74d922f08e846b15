"""Levenberg-Marquardt: the squared-error fit as nonlinear least squares.

The objective is ``0.5 * ||r(theta)||^2`` (``_least_squares.py``), whose
Jacobian the network gives analytically (``_jacobian.py``, the paper's
eqs. 4-20 per sample). Gauss-Newton steps, damped by a trust region, use
the curvature ``J^T J`` that first-order solvers never see, and reach the
precision of the data in tens of iterations where L-BFGS needs thousands.
"""

import contextlib
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_vnn import _network
from sklearn_vnn._least_squares import fit_least_squares, make_residuals
from sklearn_vnn._recovery import DivergenceError, divergence_message
from sklearn_vnn._solvers._base import Solver

# scipy.optimize.least_squares's default ftol, xtol and gtol: ``tol`` can
# lower them, never raise them (see LMSolver)
_SCIPY_TOL = 1e-8
# Jacobians (with their penalty rows) of fewer entries are factorised on
# one BLAS thread
_SMALL_JACOBIAN = 2**20


class LMSolver(Solver):
    """``scipy.optimize.least_squares`` with the exact Jacobian: MINPACK's
    Levenberg-Marquardt when there are at least as many data residuals
    (samples times outputs) as trained parameters, else the trust-region
    reflective method with Levenberg-Marquardt subproblems. ``max_iter``
    (capped by ``max_fun``) bounds the evaluations of the residuals;
    ``tol`` caps scipy's ``ftol``, ``xtol`` and ``gtol`` (``min(tol,
    1e-8)``: at the default ``tol`` scipy's defaults).
    The dense Jacobian must fit ``_least_squares.JACOBIAN_BUDGET_BYTES``.
    """

    name = "lm"
    requires = ("residuals",)

    def _solve(self, objective, theta, n_train, X, y, sample_weight, incremental):
        est = self.est
        work = theta.astype(np.float64)  # the residuals write their points here
        residuals = make_residuals(objective, X, y, sample_weight, n_train, theta=work)
        tol = min(est.tol, _SCIPY_TOL)
        # MINPACK where the data determine the parameters; trust-region
        # reflective otherwise, whose steps depend on J only through J^T J
        # and J^T r, so that weighting rows and repeating them fit alike
        # (MINPACK's did not, by 1e-2, on scikit-learn's check with 15 rows
        # and 321 parameters)
        method = "lm" if y.size >= n_train else "trf"
        # small factorisations gain nothing from BLAS threads, and on a busy
        # machine waiting for them made each SVD 40 times slower (135 ms
        # against 3 ms for 318 x 131 at a load of 7 on two cores)
        small = (y.size + n_train) * n_train < _SMALL_JACOBIAN
        try:
            with _one_blas_thread() if small else contextlib.nullcontext():
                res = fit_least_squares(
                    residuals,
                    theta[:n_train].astype(np.float64),
                    max_nfev=min(self.budget, est.max_fun),
                    ftol=tol,
                    xtol=tol,
                    gtol=tol,
                    verbose=2 if est.verbose else 0,
                    method=method,
                )
        except ValueError as exc:
            if "not finite" not in str(exc):
                raise
            raise DivergenceError(
                divergence_message(est, "at the start", "the loss is not finite")
            ) from exc
        if res.interrupted:
            warnings.warn("Training interrupted by user.")
        if res.x is not None and np.isfinite(res.x).all():
            theta[:n_train] = res.x
        est.n_iter_ = int(res.njev if res.njev is not None else res.nfev)
        est.loss_ = float(res.cost)
        self.converged = res.status > 0  # 1-4: a tolerance was met
        if res.status == 0:
            warnings.warn(
                f"lm reached its budget of {self.budget} evaluations without "
                f"converging ({res.message}). Increase max_iter.",
                ConvergenceWarning,
            )


def _one_blas_thread():
    """BLAS on one thread until the ``with`` block ends (threadpoolctl
    applies the limit when it is created)."""
    return _network._blas_controller().limit(limits=1, user_api="blas")
