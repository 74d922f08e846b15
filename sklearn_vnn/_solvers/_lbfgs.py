"""L-BFGS: scipy's L-BFGS-B on the flat parameter vector, as MLP's 'lbfgs'."""

import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from sklearn_vnn._recovery import DivergenceError, divergence_message
from sklearn_vnn._solvers._base import Scaled, Solver

# scipy's default ftol of L-BFGS-B (factr=1e7 times the machine epsilon)
_SCIPY_FTOL = 1e7 * np.finfo(float).eps
# scipy's status when the callback raised StopIteration (a callback's stop)
_STOPPED_BY_CALLBACK = 99


class LBFGSSolver(Solver):
    """Full-batch L-BFGS-B with ``maxiter=max_iter``, ``maxfun=max_fun``,
    ``gtol=tol`` and ``ftol=min(tol, 2.2e-9)``.

    A step that makes the loss or its gradient non-finite gets a far worse,
    finite stand-in loss and the last finite gradient, so that the line
    search backs off instead of stopping; the best finite point evaluated is
    what the model keeps if the run ends on such a step or by Ctrl-C.
    """

    name = "lbfgs"

    def max_iterations(self, incremental):
        # scipy's callback opens the next iteration's task before it knows
        # whether that iteration runs: one more than max_iter
        return self.est.max_iter + 1

    def _solve(self, objective, theta, n_train, X, y, sample_weight, incremental):
        est = self.est
        grad = np.zeros_like(theta)
        tracker = _BestPoint(n_train)
        rows = X.shape[0] if sample_weight is None else sample_weight.sum()
        scaled = Scaled(theta, n_train, objective.scaling(n_train, rows))

        def fun(x):
            scaled.set(x)
            loss = est._objective(theta, grad, X, y, sample_weight)
            return tracker.record(x, loss, scaled.gradient(grad), est)

        callbacks = self.callbacks

        def report(intermediate_result):
            if est.verbose:
                print(
                    "Iteration %d, loss = %.8f"
                    % (report.n_iter, intermediate_result.fun)
                )
            report.previous, report.last = report.last, intermediate_result.fun
            report.n_iter += 1
            theta_k = scaled.theta_at(intermediate_result.x)
            if callbacks.end(theta_k):
                raise StopIteration  # scipy ends the run on this point
            callbacks.begin(theta_k)

        report.n_iter = 1
        report.previous = report.last = np.inf
        callbacks.begin(theta)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                res = scipy.optimize.minimize(
                    fun,
                    scaled.u().astype(np.float64),
                    method="L-BFGS-B",
                    jac=True,
                    callback=report,
                    options={
                        "maxfun": est.max_fun,
                        "maxiter": self.budget,
                        "gtol": est.tol,
                        # a small tol asks for a precise fit; the default
                        # keeps scipy's ftol, as MLP
                        "ftol": min(est.tol, _SCIPY_FTOL),
                    },
                )
        except KeyboardInterrupt:
            callbacks.close()
            warnings.warn("Training interrupted by user.")
            if tracker.x is not None:
                scaled.set(tracker.x)
            est.n_iter_ = report.n_iter - 1
            est.loss_ = tracker.fun if tracker.x is not None else np.nan
            return
        est.n_iter_ = int(min(res.nit, self.budget))
        self.converged = res.status == 0
        callbacks.close()
        if not (res.fun <= tracker.fun and np.isfinite(res.x).all()):
            # scipy ended on a step where the loss is not finite: that point
            # never enters the model
            scaled.set(tracker.x)
            est.loss_ = float(tracker.fun)
            warnings.warn(
                f"lbfgs stopped after {res.nit} iteration(s) on a step where "
                "the loss or its gradient is not finite; the model keeps the "
                f"best finite point (loss {est.loss_:.6g}). Scale the data "
                "or increase alpha.",
                ConvergenceWarning,
            )
            return
        scaled.set(res.x)
        est.loss_ = float(res.fun)
        if res.status not in (0, _STOPPED_BY_CALLBACK):
            warnings.warn(
                f"lbfgs failed to converge after {res.nit} iteration(s) "
                f"(status={res.status}): {res.message}. Increase max_iter or "
                "max_fun, or scale the data.",
                ConvergenceWarning,
            )
        else:
            self._warn_if_stalled(res, tracker.start, report.previous)

    def _warn_if_stalled(self, res, start_loss, previous_loss):
        """Warn when lbfgs stopped by its relative-reduction test while the
        gradient is still above ``tol``, and either the whole run reduced the
        loss by less than 0.1% (e.g. regression targets of 1e9) or its last
        iteration did not reduce it at all (``previous_loss`` is the loss
        before that iteration): the step was lost to rounding, as when
        features of 1e6 in float32 ask for steps below float32's resolution
        of the weights. Both are signs of badly scaled data."""
        tol = self.est.tol
        max_grad = float(np.max(np.abs(res.jac), initial=0.0))
        barely_reduced = start_loss - res.fun <= 1e-3 * abs(start_loss)
        last_step_lost = not res.fun < previous_loss
        if max_grad <= tol or not (barely_reduced or last_step_lost):
            return
        how = (
            "without reducing the loss noticeably"
            if barely_reduced
            else "on an iteration that did not reduce the loss"
        )
        warnings.warn(
            f"lbfgs stopped after {res.nit} iteration(s) {how} ({start_loss:.6g} "
            f"to {res.fun:.6g}) although the "
            f"gradient is still large (max |g| = {max_grad:.3g} > tol="
            f"{tol}). The data are probably badly scaled: scale X (e.g. "
            "with StandardScaler) and, for regression, y (e.g. with "
            "TransformedTargetRegressor).",
            ConvergenceWarning,
        )


class _BestPoint:
    """The point of lowest finite loss evaluated so far (L-BFGS descends, so
    normally its last iterate), and the stand-in for non-finite points."""

    def __init__(self, n_train):
        self.x, self.fun, self.start = None, np.inf, np.nan
        self.last_grad = np.ones(n_train)  # the gradient at the last finite point
        self.stand_in = np.inf

    def record(self, x, loss, grad, est):
        """The (loss, gradient) pair to hand to scipy for the point ``x``."""
        finite = np.isfinite(loss) and np.isfinite(grad).all()
        if self.x is None:  # the first evaluation: the start
            if not finite:
                raise DivergenceError(
                    divergence_message(est, "at the start", "the loss is not finite")
                )
            self.start = loss
        if not finite:
            # a step too long: report a far worse, finite loss (inf would
            # break the line search) and a non-zero gradient (zero would pass
            # for a minimum), so that L-BFGS backs off and goes on
            return self.stand_in, self.last_grad.copy()
        if loss < self.fun:
            self.x, self.fun = x.copy(), loss
        self.stand_in = 1e6 * max(abs(loss), 1.0)
        self.last_grad[:] = grad
        return loss, self.last_grad.copy()
