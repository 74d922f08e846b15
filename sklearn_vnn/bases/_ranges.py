"""Moving a family's design range, and carrying a learned activation over.

:func:`reproject` gives the coefficients of a new family (another M,
another design range, another family) that reproduce a learned activation
``F_old = sum_k C_k f_k`` by least squares on a range: what a refinement
ladder (more functions) and range adaptation (a new design range) need
between two fits. :func:`symmetric_range` is how the families centred on
0 move their design range (``with_range``).
"""

import copy
import numbers

import numpy as np

from sklearn_vnn.bases._base import Basis


def symmetric_range(lo, hi):
    """The ``scale`` of a family centred on 0 whose range covers ``[lo, hi]``.

    Parameters
    ----------
    lo, hi : float
        The range to cover, ``lo < hi``.

    Returns
    -------
    scale : float
        ``max(|lo|, |hi|)``: the design range ``[-scale, scale]`` contains
        ``[lo, hi]``.
    """
    lo, hi = _check_range(lo, hi)
    return max(abs(lo), abs(hi))


def rescaled(basis, lo, hi, **changes):
    """A copy of ``basis`` with ``scale = symmetric_range(lo, hi)``.

    Other attributes are copied unchanged, or set from ``changes`` (each a
    function of the old and new ``scale``).
    """
    scale = symmetric_range(lo, hi)
    new = copy.copy(basis)
    for name, change in changes.items():
        setattr(new, name, change(basis.scale, scale))
    new.scale = scale
    return new


def _check_range(lo, hi):
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"The range must be finite with lo < hi, got ({lo}, {hi}).")
    return lo, hi


def reproject(old_basis, coef, new_basis, lo, hi, n_points=512):
    """Coefficients of ``new_basis`` reproducing ``sum_k coef_k f_k`` on a range.

    A least-squares fit of ``F_old(z) = sum_k coef_k f_k(z)`` (the functions
    of ``old_basis``) by the functions of ``new_basis`` on ``n_points``
    equally spaced points of ``[lo, hi]``. The constant is fitted as
    everything else (there is no free constant): ``F_old`` itself is
    reproduced, exactly when the new family spans it on the range (a
    'polynomial' of M functions onto one of more functions, on any range).

    Parameters
    ----------
    old_basis : Basis
        The family of ``coef``.
    coef : array-like of shape (M_old,) or (n_units, M_old)
        One combination, or one per unit ('neuron' scope).
    new_basis : Basis
        The family of the result.
    lo, hi : float or array-like of shape (n_units,)
        The fit range; one per unit is allowed with a 2-d ``coef``.
    n_points : int, default=512
        Number of points in each fit.

    Returns
    -------
    new_coef : ndarray of shape (M_new,) or (n_units, M_new)
        The coefficients over ``new_basis``, in ``coef``'s layout.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_vnn.bases import PolynomialBasis
    >>> old = PolynomialBasis(3, domain=(-1.0, 1.0))
    >>> coef = old.project(lambda z: z**2)
    >>> new = old.with_range(-1.0, 4.0)
    >>> new_coef = reproject(old, coef, new, -1.0, 1.0)
    >>> np.round(new.value(np.array([0.5, 3.0])) @ new_coef, 10)
    array([0.25, 9.  ])
    """
    for name, basis in (("old_basis", old_basis), ("new_basis", new_basis)):
        if not isinstance(basis, Basis):
            raise TypeError(f"{name} must be a Basis instance, got {basis!r}.")
    if not isinstance(n_points, numbers.Integral) or n_points < 2:
        raise ValueError(f"n_points must be an int >= 2, got {n_points!r}.")
    coef = np.asarray(coef, dtype=np.float64)
    if coef.ndim not in (1, 2) or coef.shape[-1] != old_basis.n_basis:
        raise ValueError(
            f"coef must have shape (M_old,) or (n_units, M_old) with "
            f"M_old={old_basis.n_basis}, got {coef.shape}."
        )
    lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    per_unit = lo.ndim > 0 or hi.ndim > 0
    if per_unit:
        if coef.ndim != 2:
            raise ValueError("Ranges per unit need a 2-d coef (n_units, M_old).")
        n_units = coef.shape[0]
        try:
            lo, hi = np.broadcast_to(lo, (n_units,)), np.broadcast_to(hi, (n_units,))
        except ValueError as exc:
            raise ValueError(
                f"lo and hi must be scalars or of shape ({n_units},), got "
                f"{lo.shape} and {hi.shape}."
            ) from exc
        if n_units == 0:
            return np.empty((0, new_basis.n_basis))
        return np.stack(
            [
                _fit(old_basis, c[None], new_basis, a, b, n_points)[0]
                for c, a, b in zip(coef, lo, hi)
            ]
        )
    new = _fit(old_basis, np.atleast_2d(coef), new_basis, lo, hi, n_points)
    return new.reshape(coef.shape[:-1] + (new_basis.n_basis,))


def _fit(old_basis, coef, new_basis, lo, hi, n_points):
    """Least squares for the rows of ``coef`` (all on one range)."""
    lo, hi = _check_range(lo, hi)
    z = np.linspace(lo, hi, n_points)
    target = old_basis.value(z) @ coef.T  # (n_points, n_rows)
    design = new_basis.value(z)  # (n_points, M_new)
    # columns scaled to unit norm: the fit does not depend on their sizes
    norms = np.linalg.norm(design, axis=0)
    norms[norms == 0] = 1.0
    sol, *_ = np.linalg.lstsq(design / norms, target, rcond=None)
    return (sol / norms[:, None]).T
