"""A learned activation written out as a numpy expression, terms ordered by
size, small ones optionally dropped. Public through
:mod:`sklearn_vnn.inspection`."""

import numbers
from dataclasses import dataclass, field

import numpy as np

from sklearn_vnn._learned import _GRID_POINTS, activation_function
from sklearn_vnn.bases._writing import family_terms


# ----------------------------------------------------------------------
# the activation as a formula
# ----------------------------------------------------------------------
def basis_terms(basis, variable="x"):
    """Each basis function ``f_k`` as a numpy expression in ``variable``.

    The family writes its own terms (:meth:`sklearn_vnn.bases.Basis.numpy_terms`);
    :func:`activation_formula` combines them with the learned coefficients.

    Parameters
    ----------
    basis : bases.Basis
        A family that writes its terms: every built-in one, or a user
        family with a method ``numpy_terms(x)``.
    variable : str, default='x'
        The name of the variable in the expressions.

    Returns
    -------
    terms : list of str of length M
        Expressions that numpy evaluates (``np`` is numpy) to ``f_k``.

    Raises
    ------
    TypeError
        If the family does not define ``numpy_terms``.

    Examples
    --------
    >>> from sklearn_vnn.bases import FourierBasis
    >>> basis_terms(FourierBasis(3, scale=3.0, extrapolation="periodic"))
    ['np.sin(np.pi*x/6)', 'np.cos(np.pi*x/6)', 'np.sin(np.pi*x/3)']
    """
    return family_terms(basis, "numpy_terms", variable)


def _evaluate_expression(expression, variable, x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        value = eval(expression, {"__builtins__": {}, "np": np}, {variable: x})
    return np.zeros_like(x) + value


@dataclass(frozen=True)
class ActivationFormula:
    """A learned activation written out; ``str(formula)`` is the expression.

    Made by :func:`activation_formula`.

    Attributes
    ----------
    expression : str
        A numpy expression in ``variable`` (``np`` is numpy).
    variable : str
        The name of the pre-activation in ``expression``.
    terms : list of tuple (coefficient, term, size)
        The kept terms, largest first; ``size`` is ``|coefficient|`` times
        the RMS of the term over ``range``.
    dropped : list of tuple (coefficient, term, size)
        The terms left out (never any when nothing was asked to be dropped;
        terms whose coefficient is exactly 0 are always left out).
    rms_error : float
        RMS over ``range`` of the formula minus the activation: what
        dropping (and rounding, with ``digits``) costs.
    rms_activation : float
        RMS over ``range`` of the activation itself, for scale.
    range : tuple of float
        The range ``(low, high)`` of pre-activations the sizes and errors are
        measured on.
    """

    expression: str
    variable: str
    terms: list = field(repr=False)
    dropped: list = field(repr=False)
    rms_error: float
    rms_activation: float
    range: tuple

    def __str__(self):
        return self.expression

    def __call__(self, x):
        """Evaluate the expression at ``x`` with numpy."""
        return _evaluate_expression(self.expression, self.variable, x)


def _format_coefficient(c, digits):
    return repr(float(c)) if digits is None else f"{float(c):.{digits}g}"


def _join_terms(terms, digits, variable):
    parts = []
    for coef, term, _ in terms:
        text = _format_coefficient(abs(coef), digits)
        body = text if term == "1" else f"{text}*{term}"
        if not parts:
            parts.append(f"-{body}" if coef < 0 else body)
        else:
            parts.append(f" - {body}" if coef < 0 else f" + {body}")
    return "".join(parts) if parts else f"0*{variable}"


def activation_formula(
    est, layer, neuron=None, *, tol=0.0, max_terms=None, digits=None, variable="x"
):
    """The learned activation as a readable numpy expression.

    Every basis function is written out (``np.sin(np.pi*x/6)``, Chebyshev
    ``np.cos(3*np.arccos(np.tanh(x/3)))``, Gaussian bumps, B-spline pieces,
    classic activations) and multiplied by its coefficient. Terms are
    ordered by size: ``|C_k|`` times the RMS of ``f_k`` over the recorded
    pre-activation range. With the defaults nothing is dropped or rounded
    and the expression evaluates (with numpy) to
    :func:`activation_function` up to rounding.

    Parameters
    ----------
    est : VNNClassifier or VNNRegressor
        A fitted estimator.
    layer : int
        Hidden layer, counted from 0.
    neuron : int or None, default=None
        The unit (required for ``activation_scope='neuron'``).
    tol : float, default=0.0
        Drop the terms whose size is below ``tol`` times the largest size.
    max_terms : int or None, default=None
        Keep at most this many terms (the largest).
    digits : int or None, default=None
        Significant digits of the printed coefficients; None prints them
        exactly (shortest round-trip form).
    variable : str, default='x'
        The name of the pre-activation in the expression.

    Returns
    -------
    formula : ActivationFormula
        ``str(formula)`` is the expression; ``formula.rms_error`` is the
        RMS error over the recorded range that dropping and rounding cost.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_vnn import VNNRegressor
    >>> X = np.linspace(-2, 2, 40).reshape(-1, 1)
    >>> reg = VNNRegressor(hidden_layer_sizes=(3,), n_basis=5, solver="lbfgs",
    ...                    max_iter=50, random_state=0).fit(X, np.tanh(X).ravel())
    >>> formula = activation_formula(reg, 0)
    >>> str(formula).count("np.sin") + str(formula).count("np.cos")
    5
    >>> F = reg.activation_function(0)
    >>> bool(np.allclose(formula(np.linspace(-2, 2, 9)), F(np.linspace(-2, 2, 9))))
    True
    >>> len(activation_formula(reg, 0, max_terms=2).terms)
    2
    """
    if not isinstance(tol, numbers.Real) or not 0 <= tol <= 1:
        raise ValueError(f"tol must be a float in [0, 1], got {tol!r}.")
    if max_terms is not None and (
        not isinstance(max_terms, numbers.Integral) or max_terms < 1
    ):
        raise ValueError(f"max_terms must be an int >= 1 or None, got {max_terms!r}.")
    if digits is not None and (not isinstance(digits, numbers.Integral) or digits < 1):
        raise ValueError(f"digits must be an int >= 1 or None, got {digits!r}.")
    if not isinstance(variable, str) or not variable.isidentifier() or variable == "np":
        raise ValueError(
            f"variable must be a Python identifier other than 'np', got {variable!r}."
        )
    F = activation_function(est, layer, neuron)
    lo, hi = F.range
    grid = np.linspace(lo, hi, _GRID_POINTS)
    phi = est.basis_.value(grid)  # (n_points, M)
    sizes = np.abs(F.coef) * np.sqrt(np.mean(phi * phi, axis=0))
    expressions = basis_terms(est.basis_, variable)

    order = np.argsort(-sizes, kind="stable")
    terms = [(float(F.coef[k]), expressions[k], float(sizes[k])) for k in order]
    nonzero = [t for t in terms if t[0] != 0.0]
    largest = nonzero[0][2] if nonzero else 0.0
    kept = [t for t in nonzero if t[2] >= tol * largest]
    if max_terms is not None:
        kept = kept[:max_terms]
    dropped = [t for t in terms if t not in kept]

    expression = _join_terms(kept, digits, variable)
    exact = F(grid)
    approx = _evaluate_expression(expression, variable, grid)
    return ActivationFormula(
        expression=expression,
        variable=variable,
        terms=kept,
        dropped=dropped,
        rms_error=float(np.sqrt(np.mean((approx - exact) ** 2))),
        rms_activation=float(np.sqrt(np.mean(exact**2))),
        range=(lo, hi),
    )
