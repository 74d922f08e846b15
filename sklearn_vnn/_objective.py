"""The training objective: data loss plus a list of penalties.

``objective(theta) = data_loss(theta) + sum_p penalty_p(theta) / sw_sum``

The data loss is the sample-weighted mean loss of the network's output
(``_network.forward`` then ``_losses.loss_and_gradient``); its gradient is
backpropagated into the flat gradient vector (``_network.backward``). Each
penalty acts on its own slice of the flat vector and is divided by the sum
of the sample weights ``sw_sum``, as MLP divides its L2 term by the sample
count.

Every penalty here is quadratic, ``0.5 * s * (x - c)^T Q (x - c)`` on rows
``x`` of width ``m`` of its slice, with ``Q = L^T L``. That gives its value,
its gradient ``s Q (x - c)`` and, for least-squares solvers, its residual
rows ``sqrt(s) L (x - c)``. A new penalty is one class with a
``from_estimator`` constructor plus one line in :data:`PENALTIES`.
"""

import numpy as np

from sklearn_vnn import _network
from sklearn_vnn._losses import LINKS, loss_and_gradient


class QuadraticPenalty:
    """``0.5 * strength * sum_rows (x - c) Q (x - c)^T`` on ``theta[start:stop]``.

    Parameters
    ----------
    start, stop : int
        The slice of the flat parameter vector the penalty acts on.
    strength : float
        ``s``, before the division by the sum of sample weights.
    Q : ndarray of shape (m, m) or None
        Symmetric positive semi-definite matrix acting on rows of width
        ``m`` of the slice; None is the identity (a plain ridge).
    centre : ndarray of shape (stop - start,) or None
        ``c``, where the penalty is zero; None is the origin.
    """

    def __init__(self, start, stop, strength, Q=None, centre=None):
        self.start, self.stop = int(start), int(stop)
        self.strength = float(strength)
        self.Q = None if Q is None else np.asarray(Q, dtype=np.float64)
        self.centre = None if centre is None else np.asarray(centre, dtype=float)

    def _offset(self, theta):
        x = theta[self.start : self.stop]
        return x if self.centre is None else x - self.centre.astype(x.dtype)

    def value(self, theta, sw_sum):
        """The value alone (scaled by ``1 / sw_sum``)."""
        return self.value_and_gradient(theta, np.zeros_like(theta), sw_sum)

    def value_and_gradient(self, theta, grad, sw_sum):
        """Add the gradient (scaled by ``1 / sw_sum``) into ``grad``; return
        the value (scaled likewise)."""
        scale = self.strength / sw_sum
        d = self._offset(theta)
        if self.Q is None:
            Qd = d
        else:
            rows = d.reshape(-1, self.Q.shape[0])
            Qd = (rows @ self.Q.astype(d.dtype)).reshape(-1)  # Q symmetric
        grad[self.start : self.stop] += theta.dtype.type(scale) * Qd
        return 0.5 * scale * float(d @ Qd)

    def root(self):
        """``L`` with ``L^T L = Q`` (None for a ridge), shape (rank, m)."""
        return None if self.Q is None else penalty_root(self.Q)

    def residuals(self, theta, sw_sum):
        """Rows ``r`` with ``0.5 ||r||^2`` equal to the scaled value."""
        factor = np.sqrt(self.strength / sw_sum)
        d = self._offset(theta).astype(np.float64)
        L = self.root()
        if L is None:
            return factor * d
        return factor * (d.reshape(-1, L.shape[1]) @ L.T).reshape(-1)

    def residual_jacobian(self, sw_sum, n_params):
        """The Jacobian of :meth:`residuals`: shape (n_rows, n_params)."""
        factor = np.sqrt(self.strength / sw_sum)
        width = self.stop - self.start
        L = self.root()
        if L is None:
            block = np.eye(width)
        else:
            block = np.kron(np.eye(width // L.shape[1]), L)
        J = np.zeros((block.shape[0], n_params))
        J[:, self.start : self.stop] = factor * block
        return J


def penalty_root(R, tol=1e-12):
    """A matrix ``L`` with ``L.T @ L == R`` for a symmetric PSD ``R``.

    From ``R = V diag(lam) V.T``: ``L = diag(sqrt(lam)) V.T``, keeping the
    rows with ``lam > tol * max(lam)`` (the others contribute nothing to
    ``C R C^T``). Works for a singular ``R`` (the second-difference penalty),
    where a Cholesky factor does not exist.

    Parameters
    ----------
    R : ndarray of shape (M, M)
    tol : float, default=1e-12

    Returns
    -------
    L : ndarray of shape (rank, M)
    """
    R = np.asarray(R, dtype=np.float64)
    if R.ndim != 2 or R.shape[0] != R.shape[1]:
        raise ValueError(f"The penalty matrix must be square, got {R.shape}.")
    if not np.allclose(R, R.T, rtol=1e-12, atol=1e-12 * np.abs(R).max(initial=0)):
        raise ValueError("The penalty matrix must be symmetric.")
    lam, V = np.linalg.eigh(R)
    if lam.size and lam.min() < -1e-10 * max(lam.max(), 1.0):
        raise ValueError(
            f"The penalty matrix must be positive semi-definite; it has the "
            f"eigenvalue {lam.min():.3g}."
        )
    keep = lam > tol * max(lam.max(initial=0.0), 0.0)
    return np.sqrt(lam[keep])[:, None] * V[:, keep].T


class WeightDecay(QuadraticPenalty):
    """MLP's L2 penalty ``0.5 * alpha * ||W||^2`` on every weight matrix
    (not the intercepts, not the coefficients)."""

    @classmethod
    def from_estimator(cls, est, layout):
        if est.alpha == 0:
            return None
        return cls(0, layout.offsets[layout.n_layers], est.alpha)


class ActivationPrior(QuadraticPenalty):
    """``0.5 * activation_alpha * (C - C0) Q (C - C0)^T`` on every
    coefficient vector: a prior centred on the combination's start ``C0``
    (what ``activation_init`` fitted; the identity for the output
    combination). As ``activation_alpha`` grows the network tends to the
    frozen one, an MLP with the starting activation; at 0 the activations
    are free.

    ``Q = I + R / lambda_max(R)``, with ``R`` the basis's roughness matrix
    (:meth:`bases.Basis.penalty_matrix`): rough departures from the start
    cost up to twice as much as smooth ones. The weighting is kept this
    mild on purpose: with ``Q = R`` (a spread of ``k**2``, 16 for eight
    Fourier terms) L-BFGS needed 23-26 iterations on 50 rows of two-class
    digits at ``activation_alpha=1`` against MLP's 9-11; with this ``Q``
    it needs 16-18.
    """

    @classmethod
    def from_estimator(cls, est, layout):
        if est.activation_alpha == 0 or layout.size == layout.n_weights_biases:
            return None
        return cls(
            layout.n_weights_biases,
            layout.size,
            est.activation_alpha,
            prior_matrix(est.basis_),
            centre=est._activation_centre,
        )


def prior_matrix(basis):
    """``Q = I + R / lambda_max(R)`` for a basis's roughness matrix ``R``."""
    R = np.asarray(basis.penalty_matrix(), dtype=float)
    top = np.linalg.eigvalsh(R)[-1] if R.size else 0.0
    Q = np.eye(basis.n_basis)
    return Q + R / top if top > 0 else Q


#: the penalties an estimator's parameters switch on, in the order they are
#: added to the loss
PENALTIES = [WeightDecay, ActivationPrior]


class Objective:
    """Data loss plus penalties, on the flat parameter vector.

    Parameters
    ----------
    layout : _network.Layout
    basis : bases.Basis
    link : str
        The output link, a key of ``_losses.LINKS``.
    penalties : list of QuadraticPenalty
    """

    def __init__(self, layout, basis, link, penalties=()):
        self.layout = layout
        self.basis = basis
        self.link = link
        self.penalties = list(penalties)

    @classmethod
    def from_estimator(cls, est):
        """The objective an estimator's parameters define."""
        layout = est._layout
        penalties = [P.from_estimator(est, layout) for P in PENALTIES]
        return cls(
            layout,
            est.basis_,
            est.out_activation_,
            [p for p in penalties if p is not None],
        )

    def scaling(self, n_train, rows, by_units=True, per_neuron=False):
        """The change of variables ``theta = offset + d * u`` the solvers work in.

        Solvers train ``u`` (see ``_solvers/_base.py``): a diagonal
        preconditioner that puts every group of parameters on one scale.

        - A layer-shared combination gathers its gradient over all
          ``n_units`` units of its layer (paper eqs. 6, 12), so its
          curvature is about ``n_units`` times a weight's: ``d = 1 /
          sqrt(n_units)``.
        - For sgd (``per_neuron=True``) the per-neuron combinations of a
          layer ('neuron' scope, eqs. 15, 19-20) get the same factor: each
          multiplies its unit's outgoing weights, and with ``d = 1`` sgd
          diverged at rates where MLP does not
          (``benchmarks/bench_learning_rate.py``: make_friedman1, hidden
          (32,), rate 0.5 with Nesterov momentum, within 3 epochs, weights
          and coefficients growing together; no divergence with the
          factor). The cost, in the same sweep: at low rates the
          neuron-scope coefficients move as slowly as MLP tanh's fit (iris
          at 1e-3: 0.880 against 0.927; make_friedman1 at 0.01: 0.803
          against 0.896). L-BFGS does not take it: there it cost precision
          (``benchmarks/bench_functions.py``, 4-D function, 'neuron'
          chebyshev (16, 16): median RMSE 5.0e-2 against 9.1e-3).
        - The coefficient prior adds a curvature of ``activation_alpha /
          rows`` (``rows``: the sample weight a solver's objective divides
          by, the batch size for sgd and adam): ``d`` shrinks by ``1 /
          sqrt(1 + activation_alpha / rows)`` and ``offset`` is the prior's
          centre, so that a very large ``activation_alpha`` holds the
          coefficients at their start as the frozen network does, for every
          solver, instead of making the problem stiff.

        Weights and intercepts keep ``d = 1``, ``offset = 0``.

        Parameters
        ----------
        n_train : int
            The trained leading part of the flat vector.
        rows : float
            The sample weight per objective evaluation.
        by_units : bool, default=True
            Apply the ``1 / sqrt(n_units)`` factor. A solver whose steps do
            not scale with the gradient (Adam divides each step by the
            gradient's running RMS) passes False: for it the factor would
            only slow the shared coefficients down.
        per_neuron : bool, default=False
            With ``by_units``, apply the factor to the per-neuron
            combinations too (sgd).

        Returns
        -------
        start, offset, d : int and ndarrays of shape (n_train - start,), or
            None when the change is the identity. The change acts on
            ``theta[start:n_train]``, the coefficients (the weights keep
            ``d = 1``, ``offset = 0``: storing them would cost two copies of
            the parameter vector).
        """
        layout = self.layout
        start = layout.n_weights_biases
        if n_train <= start:
            return None
        offset = np.zeros(n_train - start)
        d = np.ones(n_train - start)
        for a, b, units in self._combinations() if by_units else ():
            output = b == layout.size and layout.learn_output
            if layout.scope == "layer" or output or per_neuron:
                d[a - start : b - start] = 1.0 / np.sqrt(units)
        for penalty in self.penalties:
            if isinstance(penalty, ActivationPrior):
                d /= np.sqrt(1.0 + penalty.strength / rows)
                offset[:] = penalty.centre[: n_train - start]
        if not offset.any() and (d == 1).all():
            return None
        return start, offset, d

    def _combinations(self):
        """``(start, stop, n_units)`` of each combination's coefficients."""
        layout = self.layout
        n = layout.n_layers
        bounds = zip(layout.offsets[2 * n : -1], layout.offsets[2 * n + 1 :])
        units = layout.layer_units[1:]
        return [(a, b, u) for (a, b), u in zip(bounds, units)]

    def provides(self, what):
        """Whether this objective can give ``what``: 'loss_gradient' always;
        'residuals' (and their Jacobian) for the squared error only."""
        if what == "loss_gradient":
            return True
        return what == "residuals" and LINKS[self.link].least_squares

    def loss_gradient(self, theta, grad, X, y, sample_weight=None):
        """The objective at ``theta``; its gradient overwrites ``grad``.

        Parameters
        ----------
        theta, grad : ndarray of shape (layout.size,)
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,) or None

        Returns
        -------
        loss : float
        """
        layout = self.layout
        weights, biases, hidden_C, output_C = layout.views(theta)
        G, cache = _network.forward(
            X, weights, biases, hidden_C, output_C, self.basis, lean=True
        )
        loss, dG, sw_sum = loss_and_gradient(G, y, self.link, sample_weight)
        _network.backward(dG, cache, weights, layout.views(grad), layout.scope)
        for penalty in self.penalties:
            loss += penalty.value_and_gradient(theta, grad, sw_sum)
        return loss

    __call__ = loss_gradient

    def loss(self, theta, X, y, sample_weight=None, penalty_rows=None):
        """The objective at ``theta`` without its gradient (one forward pass).

        Parameters
        ----------
        theta : ndarray of shape (layout.size,)
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,) or None
        penalty_rows : float or None, default=None
            What the penalties are divided by; None is the sum of the
            sample weights of these rows, as in :meth:`loss_gradient`. The
            stochastic solvers' ``loss_curve_`` divides them by the batch's
            weight, and a loss comparable with it passes that.

        Returns
        -------
        loss : float
        """
        weights, biases, hidden_C, output_C = self.layout.views(theta)
        G, _ = _network.forward(
            X, weights, biases, hidden_C, output_C, self.basis, need_backward=False
        )
        per_sample = LINKS[self.link].sample_loss(G, y)
        if sample_weight is None:
            sw_sum = G.shape[0]
            loss = float(per_sample.sum()) / sw_sum
        else:
            sw_sum = float(sample_weight.sum())
            loss = float(per_sample @ sample_weight) / sw_sum
        rows = sw_sum if penalty_rows is None else penalty_rows
        return loss + sum(p.value(theta, rows) for p in self.penalties)
