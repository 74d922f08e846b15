"""The classic activations, each defined once.

One table, :data:`ACTIVATIONS`, gives for every classic activation ``g``
everything the package does with it: its value and slope (the 'candidates'
basis and the nearest-classic fit), its numpy expression (the formula
writer), its ONNX graph (ONNX export), its symmetry (the canonical form
of a nearest-classic fit), and whether the nearest-classic fit tries it.
:data:`TARGET_ACTIVATIONS` are the members ``activation_init`` can name.

Adding an activation is one :class:`Activation` entry below.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

__all__ = ["ACTIVATIONS", "Activation", "CANDIDATE_FUNCTIONS", "TARGET_ACTIVATIONS"]


@dataclass(frozen=True)
class Activation:
    """One classic activation ``g``, as every part of the package uses it.

    Calling it gives ``g(z)``.

    Parameters
    ----------
    name : str
        The name the 'candidates' basis, ``activation_init`` and the
        nearest-classic fit know it by.
    value_and_slope : callable
        ``value_and_slope(z) -> (g(z), g'(z))`` for an array ``z``; finite
        for every finite ``z``.
    expression : str
        A numpy expression of ``g`` with ``{x}`` for the variable (``np``
        is numpy); see :meth:`numpy_expression`.
    onnx : callable
        ``onnx(g, Z) -> name``: builds ``g(Z)`` with an ONNX graph builder
        (see :meth:`sklearn_vnn.bases.Basis.onnx_terms`).
    symmetry : {'odd', 'even', 'homogeneous'} or None, default=None
        ``g(-u) = -g(u)``, ``g(-u) = g(u)`` or ``g(s u) = s g(u)`` for
        ``s > 0``: what a nearest-classic fit uses to report one
        canonical form.
    classic : bool, default=True
        Whether ``nearest_classic_activation`` tries it.

    Examples
    --------
    >>> import numpy as np
    >>> g = ACTIVATIONS["softplus"]
    >>> g.numpy_expression("x")
    'np.logaddexp(0, x)'
    >>> value, slope = g.value_and_slope(np.array([0.0]))
    >>> float(value[0]), float(slope[0])
    (0.6931471805599453, 0.5)
    """

    name: str
    value_and_slope: Callable
    expression: str
    onnx: Callable
    symmetry: str | None = None
    classic: bool = True

    def __call__(self, z):
        """``g(z)``."""
        return self.value_and_slope(z)[0]

    def numpy_expression(self, x):
        """Write ``g`` as a numpy expression.

        Parameters
        ----------
        x : str
            The variable: a name, or a parenthesised expression.

        Returns
        -------
        expression : str
            ``g(x)`` for numpy (``np`` is numpy).
        """
        return self.expression.format(x=x)


# value and slope of each activation
def _identity(z):
    return z.copy(), np.ones_like(z)


def _relu(z):
    return np.maximum(z, 0), (z > 0).astype(z.dtype)


def _tanh(z):
    t = np.tanh(z)
    return t, 1.0 - t * t


def _logistic(z):
    s = expit(z)
    return s, s * (1.0 - s)


def _softplus(z):
    return np.logaddexp(0, z), expit(z)


def _silu(z):
    s = expit(z)
    return z * s, s * (1.0 + z * (1.0 - s))


def _sin(z):
    return np.sin(z), np.cos(z)


def _cos(z):
    return np.cos(z), -np.sin(z)


def _gaussian(z):
    g = np.exp(-0.5 * z * z)
    return g, -z * g


def _elu(z):
    neg = np.expm1(np.minimum(z, 0))
    return np.where(z > 0, z, neg), np.where(z > 0, 1.0, neg + 1.0)


def _abs(z):
    return np.abs(z), np.sign(z)


# the ONNX graph of each activation
def _op(op_type, **attrs):
    """The builder of an activation that is one ONNX operator."""

    def build(g, Z):
        return g.op(op_type, [Z], **attrs)

    return build


def _silu_graph(g, Z):
    return g.mul(Z, g.op("Sigmoid", [Z]))


def _gaussian_graph(g, Z):
    return g.op("Exp", [g.mul(g.mul(Z, Z), -0.5)])


_TABLE = (
    Activation("identity", _identity, "{x}", _op("Identity")),
    Activation(
        "relu", _relu, "np.maximum({x}, 0)", _op("Relu"), symmetry="homogeneous"
    ),
    Activation("tanh", _tanh, "np.tanh({x})", _op("Tanh"), symmetry="odd"),
    Activation("logistic", _logistic, "(1 + np.tanh({x}/2))/2", _op("Sigmoid")),
    Activation("softplus", _softplus, "np.logaddexp(0, {x})", _op("Softplus")),
    Activation("silu", _silu, "{x}*(1 + np.tanh({x}/2))/2", _silu_graph),
    Activation("sin", _sin, "np.sin({x})", _op("Sin"), symmetry="odd"),
    # cos(u) = sin(u + pi/2): the nearest-classic fit has it as sin
    Activation("cos", _cos, "np.cos({x})", _op("Cos"), symmetry="even", classic=False),
    Activation(
        "gaussian", _gaussian, "np.exp(-{x}**2/2)", _gaussian_graph, symmetry="even"
    ),
    Activation(
        "elu",
        _elu,
        "np.where({x} > 0, {x}, np.expm1(np.minimum({x}, 0)))",
        _op("Elu", alpha=1.0),
    ),
    Activation("abs", _abs, "np.abs({x})", _op("Abs"), symmetry="even", classic=False),
)

#: Every classic activation by name, in the 'candidates' basis's order.
ACTIVATIONS = {a.name: a for a in _TABLE}

#: The names of the 'candidates' basis, in its order.
CANDIDATE_FUNCTIONS = tuple(ACTIVATIONS)

#: The functions ``activation_init`` can name (besides 'random').
TARGET_ACTIVATIONS = {
    name: ACTIVATIONS[name] for name in ("tanh", "relu", "logistic", "identity")
}
