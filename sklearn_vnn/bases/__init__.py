"""Basis families for learned activations.

A learned activation is ``F(z) = sum_{k=1..M} C_k f_k(z)`` (paper, Sec. II,
the expansion below eq. 1). A *basis family* supplies the M fixed functions
``f_k`` and their derivatives ``f_k'``; the network supplies ``C``.

Every family evaluates all M functions for a whole array of pre-activations
in one vectorised call, in *basis-major* layout: for ``z`` of shape
``(n_samples, n_units)`` the values have shape ``(M, n_samples, n_units)``,
so each basis function is one contiguous block and the combination with the
coefficients is a single matrix product. :meth:`Basis.value` gives the
``(..., M)`` layout, as a view.

Every family stays finite for every finite input: the 'chebyshev' and
'legendre' families map ``z`` into their domain with ``u = tanh(z /
scale)``; the 'polynomial' family maps it linearly, ``u = (z - centre) /
scale``, and continues each polynomial by its tangent line beyond
``[-1, 1]``; Fourier terms, Gaussian bumps and B-splines are bounded by
construction. ``basis_params={'linear': True}`` adds the term ``z`` to any
family (:class:`WithLinear`).

Training calls :meth:`Basis.activate`, which returns the activation, the
basis values and the activation's slope together. The Fourier, Chebyshev
and Legendre families do that in one fused pass: their derivatives are a
linear map of their values, so the slope is a second coefficient row in
the same matrix product and ``f_k'`` is never stored.

Each family is one class that owns its whole definition: values and
slopes, its penalty, and how it is written out (:meth:`Basis.numpy_terms`
for ``activation_formula``, :meth:`Basis.onnx_terms` for ONNX export).
The classic activations of the 'candidates' basis are one table,
``ACTIVATIONS``. A family of your own is a :class:`Basis` subclass plus
one call of :func:`register_basis`, after which the estimators accept its
name as ``basis``.
"""

import numpy as np

from sklearn_vnn.bases._activations import (
    ACTIVATIONS,
    CANDIDATE_FUNCTIONS,
    TARGET_ACTIVATIONS,
    Activation,
)
from sklearn_vnn.bases._base import Basis, _has_fused_path  # noqa: F401
from sklearn_vnn.bases._candidates import CandidateBasis
from sklearn_vnn.bases._fourier import FourierBasis
from sklearn_vnn.bases._linear import WithLinear, holds_linear_term
from sklearn_vnn.bases._linear_map import PolynomialBasis
from sklearn_vnn.bases._local import BSplineBasis, GaussianBasis
from sklearn_vnn.bases._polynomial import ChebyshevBasis, LegendreBasis
from sklearn_vnn.bases._ranges import reproject

__all__ = [
    "ACTIVATIONS",
    "BASES",
    "Activation",
    "Basis",
    "BSplineBasis",
    "CANDIDATE_FUNCTIONS",
    "CandidateBasis",
    "ChebyshevBasis",
    "FourierBasis",
    "GaussianBasis",
    "LegendreBasis",
    "PolynomialBasis",
    "TARGET_ACTIVATIONS",
    "WithLinear",
    "make_basis",
    "register_basis",
    "reproject",
]

#: The families the estimators' ``basis`` parameter names, by name.
BASES = {
    "fourier": FourierBasis,
    "chebyshev": ChebyshevBasis,
    "legendre": LegendreBasis,
    "polynomial": PolynomialBasis,
    "gaussian": GaussianBasis,
    "bspline": BSplineBasis,
    "candidates": CandidateBasis,
}


def register_basis(name, basis_class):
    """Name a basis family, so that ``basis=name`` builds it.

    Parameters
    ----------
    name : str
        The new key of :data:`BASES`; a built-in name cannot be taken.
    basis_class : type
        A subclass of :class:`Basis`, built as ``basis_class(n_basis,
        **basis_params)``.

    Returns
    -------
    basis_class : type
        Unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> class Powers(Basis):
    ...     def _evaluate(self, z, derivative):
    ...         k = np.arange(self.n_basis).reshape((-1,) + (1,) * z.ndim)
    ...         u = np.tanh(z)
    ...         phi = u**k
    ...         dphi = k * u ** np.maximum(k - 1, 0) * (1 - u * u)
    ...         return phi, (dphi if derivative else None)
    >>> _ = register_basis("powers", Powers)
    >>> make_basis("powers", 3).value(np.array([0.5])).round(3)
    array([[1.   , 0.462, 0.214]])
    >>> del BASES["powers"]
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}.")
    if not (isinstance(basis_class, type) and issubclass(basis_class, Basis)):
        raise TypeError(
            f"basis_class must be a subclass of Basis, got {basis_class!r}."
        )
    if name in _BUILT_IN:
        raise ValueError(f"{name!r} names a built-in basis family.")
    BASES[name] = basis_class
    return basis_class


_BUILT_IN = frozenset(BASES)


def make_basis(basis, n_basis, basis_params=None):
    """Build the basis named by the estimator parameters.

    Parameters
    ----------
    basis : str or Basis
        A key of :data:`BASES`, or a ready :class:`Basis` instance (then
        ``n_basis`` and the options of ``basis_params`` other than
        ``linear`` are not used).
    n_basis : int
    basis_params : dict or None
        Keyword arguments of the family's constructor (``scale``,
        ``domain``, ``centre``, ``frequency``, ``width``, ``functions``),
        and ``linear``: True wraps the family in :class:`WithLinear` (the
        term ``z`` after its M functions), unless it already holds ``z``
        exactly ('candidates' with 'identity', 'polynomial' with
        ``n_basis >= 2``), which it then returns unchanged.
    """
    params = dict(basis_params or {})
    linear = params.pop("linear", False)
    if not isinstance(linear, (bool, np.bool_)):
        raise ValueError(f"basis_params['linear'] must be a bool, got {linear!r}.")
    if isinstance(basis, Basis):
        built = basis
    elif basis not in BASES:
        raise ValueError(f"Unknown basis {basis!r}; expected one of {sorted(BASES)}.")
    else:
        try:
            built = BASES[basis](n_basis, **params)
        except TypeError as exc:
            raise ValueError(
                f"Invalid basis_params {params} for basis {basis!r}: {exc}"
            ) from exc
    if linear and not holds_linear_term(built):
        return WithLinear(built)
    return built
