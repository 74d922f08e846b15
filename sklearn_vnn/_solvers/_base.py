"""The solver contract: what a solver needs, what it supports, how it runs.

A solver trains the first ``n_train`` entries of the flat parameter vector
``theta`` in place (the rest, frozen coefficients, stay), on an
:class:`~sklearn_vnn._objective.Objective`, and records its progress on the
estimator (``n_iter_``, ``loss_``, ...), as MLP's solvers do.

The public :meth:`Solver.solve` checks the contract, then calls the private
``_solve`` that holds only the algorithm. A new solver is one subclass plus
one line in ``sklearn_vnn._solvers.SOLVERS``.
"""

import numpy as np

from sklearn_vnn._callbacks import SILENT


class Solver:
    """Base class of the solvers, keyed by the estimator's ``solver``.

    Class attributes declare the contract:

    - ``requires``: what the solver needs from the objective:
      ``'loss_gradient'`` (loss and gradient) or ``'residuals'`` (residuals
      and their Jacobian, for least squares);
    - ``supports_partial_fit``: whether ``partial_fit`` may use it;
    - ``supports_early_stopping``: whether ``early_stopping`` applies;
    - ``uses_learning_rate``: whether ``learning_rate_init`` matters.

    Parameters
    ----------
    estimator : BaseVNN
        The estimator being fitted: its parameters configure the solver, and
        its fitted attributes receive the solver's progress.
    """

    name = None
    requires = ("loss_gradient",)
    supports_partial_fit = False
    supports_early_stopping = False
    uses_learning_rate = False

    #: the callback tasks of the current call (see ``_callbacks.py``): a
    #: solver calls ``callbacks.begin(theta)`` before and
    #: ``callbacks.end(theta)`` after each iteration, and stops when ``end``
    #: returns True
    callbacks = SILENT

    def __init__(self, estimator):
        self.est = estimator
        #: the iterations this call may run (``max_iter``, or a stage's share
        #: of it when ``adapt_range`` stages a full-batch fit)
        self.budget = estimator.max_iter
        #: whether the last call met its tolerances
        self.converged = False

    def max_iterations(self, incremental):
        """The most iterations one call may run (the callbacks' subtasks)."""
        return 1 if incremental else self.est.max_iter

    def init_state(self):
        """Reset the estimator's progress attributes for a fresh fit."""

    def solve(self, objective, theta, n_train, X, y, sample_weight, incremental):
        """Train ``theta[:n_train]`` in place.

        Parameters
        ----------
        objective : Objective
        theta : ndarray of shape (n_params,)
            The flat parameter vector, a view of the estimator's arrays.
        n_train : int
            How many leading entries of ``theta`` are trained.
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,) or None
        incremental : bool
            One pass for ``partial_fit``.
        """
        missing = [need for need in self.requires if not objective.provides(need)]
        if missing:
            raise ValueError(
                f"solver={self.name!r} needs {' and '.join(missing)} from the "
                f"loss, which the {objective.link!r} output link does not give: "
                "it fits the squared error only. Use solver='lbfgs', 'adam' "
                "or 'sgd' for this loss."
            )
        if incremental and not self.supports_partial_fit:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.name} is not stochastic."
            )
        self._solve(objective, theta, n_train, X, y, sample_weight, incremental)

    def _solve(self, objective, theta, n_train, X, y, sample_weight, incremental):
        raise NotImplementedError


class Scaled:
    """The trained part of ``theta`` in the solver's variables ``u``:
    ``theta[start:n_train] = offset + d * u[start:]`` on the coefficients,
    ``u = theta`` on the weights (see ``Objective.scaling``).

    Gradient methods are not invariant to such a change: training ``u`` is
    preconditioning ``theta`` by ``d**2``. With no scaling (``scaling`` is
    None) ``u`` is ``theta[:n_train]`` itself.
    """

    def __init__(self, theta, n_train, scaling):
        self.theta, self.n_train = theta, n_train
        self.scaling = scaling
        self.start, self.offset, self.d = (
            (0, None, None) if scaling is None else scaling
        )

    def u(self):
        """The current ``u`` (a view when unscaled, else a new array)."""
        x = self.theta[: self.n_train]
        if self.d is None:
            return x
        u = x.copy()
        u[self.start :] = (x[self.start :] - self.offset) / self.d
        return u

    def set(self, u):
        """``theta[:n_train] = u`` on the weights, ``offset + d * u`` after."""
        x = self.theta[: self.n_train]
        if self.d is None:
            if u is not x:
                x[:] = u
            return
        start = self.start
        x[:start] = u[:start]
        np.multiply(self.d, u[start:], out=x[start:], casting="unsafe")
        x[start:] += self.offset.astype(x.dtype)

    def theta_at(self, u):
        """A copy of ``theta`` whose trained part is at ``u``."""
        theta = self.theta.copy()
        Scaled(theta, self.n_train, self.scaling).set(np.asarray(u, dtype=theta.dtype))
        return theta

    def step(self, optimizer, grad):
        """One ``optimizer`` step in ``u``, applied to ``theta`` in place.

        The step ``delta`` in ``u`` moves ``theta`` by ``d * delta``: the
        optimiser steps on ``theta[:n_train]`` itself, and only the
        coefficients' part is rescaled afterwards, so that no copy of the
        whole vector in ``u`` is kept (the optimiser's state, such as
        momentum, lives in ``u`` as before). ``grad`` is overwritten.
        """
        x = self.theta[: self.n_train]
        g = self.gradient(grad)
        if self.d is None:
            optimizer.step(x, g)
            return
        tail = x[self.start :]
        before = tail.copy()
        optimizer.step(x, g)
        tail -= before
        tail *= self.d.astype(tail.dtype)
        tail += before

    def gradient(self, grad):
        """dLoss/du from dLoss/dtheta (in place on ``grad[:n_train]``)."""
        g = grad[: self.n_train]
        if self.d is not None:
            g[self.start :] *= self.d.astype(g.dtype)
        return g
