"""Learned activations as callables, read over the pre-activation ranges
recorded at the end of every fit (see ``sklearn_vnn._ranges``). Public
through :mod:`sklearn_vnn.inspection`."""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

# points of the grid on which sizes, errors and fits are computed
_GRID_POINTS = 512


# ----------------------------------------------------------------------
# one learned activation as a callable
# ----------------------------------------------------------------------
def _n_hidden(est):
    return len(est.activation_coefs_)


def _check_layer_neuron(est, layer, neuron):
    """Validate ``layer`` and ``neuron``; return them as non-negative ints."""
    check_is_fitted(est, "activation_coefs_")
    n_hidden = _n_hidden(est)
    if n_hidden == 0:
        raise ValueError("This network has no hidden layers, so no activations.")
    if not isinstance(layer, numbers.Integral) or isinstance(layer, bool):
        raise TypeError(f"layer must be an int, got {layer!r}.")
    if not -n_hidden <= layer < n_hidden:
        raise ValueError(
            f"layer must index a hidden layer, counted from 0: an int in "
            f"[0, {n_hidden}) (or negative from the end); got {layer}."
        )
    layer = int(layer) % n_hidden
    n_units = est.coefs_[layer].shape[1]
    if neuron is None:
        if est.activation_scope == "neuron":
            raise ValueError(
                "With activation_scope='neuron' every neuron has its own "
                f"activation: pass neuron=j with 0 <= j < {n_units} "
                f"(the units of hidden layer {layer})."
            )
        return layer, None
    if not isinstance(neuron, numbers.Integral) or isinstance(neuron, bool):
        raise TypeError(f"neuron must be an int or None, got {neuron!r}.")
    if not 0 <= neuron < n_units:
        raise ValueError(
            f"neuron must be in [0, {n_units}) for hidden layer {layer}; got {neuron}."
        )
    return layer, int(neuron)


def _coefficients(est, layer, neuron, initial=False):
    coefs = est.activation_init_coefs_ if initial else est.activation_coefs_
    C = np.asarray(coefs[layer], dtype=np.float64)
    if C.ndim == 2:
        C = C[neuron]
    return C.copy()


def activation_range(est, layer, neuron=None):
    """Where the training data put this activation's input: ``(low, high)``.

    The 1st and 99th percentiles of the pre-activations recorded at the
    end of fit (``activation_ranges_``); the basis's design range if none
    was recorded. A range of zero width (a constant input) is widened by 1 on
    each side so that there is something to plot.

    Parameters
    ----------
    est : VNNClassifier or VNNRegressor
        A fitted estimator.
    layer : int
        Hidden layer, counted from 0.
    neuron : int or None, default=None
        The unit, for ``activation_scope='neuron'`` (required there).

    Returns
    -------
    low, high : float
        The ends of the range, ``low < high``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_vnn import VNNRegressor
    >>> X = np.linspace(-2, 2, 40).reshape(-1, 1)
    >>> reg = VNNRegressor(hidden_layer_sizes=(3,), n_basis=5, solver="lbfgs",
    ...                    max_iter=50, random_state=0).fit(X, np.tanh(X).ravel())
    >>> low, high = activation_range(reg, 0)
    >>> bool(low < high)
    True
    """
    layer, neuron = _check_layer_neuron(est, layer, neuron)
    ranges = getattr(est, "activation_ranges_", None)
    if ranges is None:
        lo, hi = est.basis_.design_range()
    else:
        r = np.asarray(ranges[layer], dtype=np.float64)
        lo, hi = r if r.ndim == 1 else r[neuron]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        lo, hi = est.basis_.design_range()
    if hi - lo <= 1e-12 * max(1.0, abs(lo)):
        lo, hi = lo - 1.0, hi + 1.0
    return float(lo), float(hi)


class LearnedActivation:
    """A learned activation ``F(z) = sum_k C_k f_k(z)`` as a function.

    Made by :func:`activation_function`; holds a copy of the coefficients,
    so it does not change when the estimator trains further. Evaluates in
    float64.

    Parameters
    ----------
    basis : bases.Basis
        The basis family ``f_1..f_M``.
    coef : array-like of shape (M,)
        The coefficients ``C``.
    range : tuple of float, default=None
        The recorded range of pre-activations ``(low, high)``, for reference.

    Examples
    --------
    >>> from sklearn_vnn.bases import CandidateBasis
    >>> F = LearnedActivation(CandidateBasis(functions=["tanh"]), [2.0])
    >>> float(F(0.5)), float(F.derivative(0.0))
    (0.9242343145200195, 2.0)
    """

    def __init__(self, basis, coef, range=None):
        coef = np.array(coef, dtype=np.float64)
        if coef.shape != (basis.n_basis,):
            raise ValueError(
                f"coef must have shape ({basis.n_basis},), got {coef.shape}."
            )
        self.basis = basis
        self.coef = coef
        self.range = range

    def __call__(self, z):
        """``F(z)``, same shape as ``z``."""
        z = np.asarray(z, dtype=np.float64)
        return self.basis.value(z) @ self.coef

    def derivative(self, z):
        """``F'(z) = sum_k C_k f_k'(z)``, same shape as ``z``."""
        z = np.asarray(z, dtype=np.float64)
        return self.basis.derivative(z) @ self.coef

    def __repr__(self):
        return (
            f"LearnedActivation(basis={self.basis!r}, coef={self.coef!r}, "
            f"range={self.range!r})"
        )


def activation_function(est, layer, neuron=None, initial=False):
    """The learned activation of a hidden layer (or neuron) as a callable.

    The callable holds a copy of the coefficients and evaluates
    ``F(z) = sum_k C_k f_k(z)`` and its slope in float64; its ``range`` is
    where the training data put the activation's input.

    Parameters
    ----------
    est : VNNClassifier or VNNRegressor
        A fitted estimator.
    layer : int
        Hidden layer, counted from 0 (negative counts from the end).
    neuron : int or None, default=None
        The unit. Required for ``activation_scope='neuron'``; for 'layer'
        every unit shares the layer's activation, so it may be left None.
    initial : bool, default=False
        Return the activation the layer started from instead (from
        ``activation_init_coefs_``).

    Returns
    -------
    F : LearnedActivation
        ``F(z)`` evaluates the activation elementwise, ``F.derivative(z)``
        its slope; ``F.range`` is the recorded pre-activation range.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_vnn import VNNRegressor
    >>> X = np.linspace(-2, 2, 40).reshape(-1, 1)
    >>> reg = VNNRegressor(hidden_layer_sizes=(3,), n_basis=5, solver="lbfgs",
    ...                    max_iter=50, random_state=0).fit(X, np.tanh(X).ravel())
    >>> F = activation_function(reg, 0)
    >>> F(np.array([-1.0, 0.0, 1.0])).shape
    (3,)
    >>> F0 = activation_function(reg, 0, initial=True)  # it started as tanh
    >>> bool(np.allclose(F0(0.5) - F0(0.0), np.tanh(0.5), atol=0.05))
    True
    """
    layer, neuron = _check_layer_neuron(est, layer, neuron)
    C = _coefficients(est, layer, neuron, initial=initial)
    return LearnedActivation(est.basis_, C, activation_range(est, layer, neuron))
