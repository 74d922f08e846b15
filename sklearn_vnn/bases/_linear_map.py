"""Chebyshev polynomials of a linear map of ``z``, continued linearly.

The 'polynomial' family: ``T_0..T_{M-1}`` of ``u = (z - centre) / scale``,
so that the design range ``[centre - scale, centre + scale]`` maps onto
``[-1, 1]`` without distortion. There it spans every polynomial of degree
below M exactly (``z**2``, ``x * y`` through a product network, ...), which
the families of ``tanh(z / scale)`` cannot. Outside ``[-1, 1]`` each ``T_k``
is replaced by its tangent line at the nearer end,

    phi_k(u) = T_k(v) + T_k'(v) (u - v),   v = clip(u, -1, 1),

with ``T_k(1) = 1``, ``T_k'(1) = k**2``, ``T_k(-1) = (-1)**k`` and
``T_k'(-1) = (-1)**(k+1) k**2``: every value is finite for a finite input,
and value and slope are continuous everywhere.
"""

import numbers

import numpy as np
from numpy.polynomial import chebyshev

from sklearn_vnn.bases._base import Basis
from sklearn_vnn.bases._polynomial import chebyshev_rows
from sklearn_vnn.bases._writing import shifted, times


def _end_slopes(n_basis, sign):
    """``T_k'(sign)`` for k < M: ``sign**(k+1) k**2``."""
    k = np.arange(n_basis, dtype=float)
    return sign ** (k + 1) * k**2


class PolynomialBasis(Basis):
    """Chebyshev polynomials of ``u = (z - centre) / scale``, linear outside.

    ``T_0..T_{M-1}`` of the linear map ``u`` of the design range ``[lo, hi]
    = [centre - scale, centre + scale]`` onto ``[-1, 1]``. On the range the
    family spans every polynomial of degree below M exactly (``z**2`` for
    M >= 3) and approximates smooth functions with spectral accuracy
    (``exp`` to a relative 1e-7 for M=12 on ``[-3, 3]``). For ``|u| > 1`` each
    ``T_k`` is continued by its tangent line at the nearer end, ``T_k(v) +
    T_k'(v) (u - v)`` with ``v = clip(u, -1, 1)``: values grow at most
    linearly, the slope is continuous and constant out there, so the
    activation extrapolates as a straight line. ``T_1`` is ``u`` itself, so
    for M >= 2 the family holds ``z`` exactly.

    Parameters
    ----------
    n_basis : int
        M, the number of functions.
    scale : float, default=None
        Half-width of the design range (3.0 when neither ``scale`` nor
        ``domain`` is given).
    domain : tuple of float (lo, hi), default=None
        The design range itself, ``lo < hi``; the alternative to ``scale``
        and ``centre``.
    centre : float, default=None
        Centre of the design range (0.0 when not given).

    Notes
    -----
    Roughness weights are ``k**2``, as for the other polynomial families.
    Training uses a fused path: the values and two rows ``max(u - v, 0)``
    and ``min(u - v, 0)`` carry both ``F`` and ``F'`` (the slope beyond the
    ends is the derivative series at ``±1``, a constant per side).

    Examples
    --------
    >>> import numpy as np
    >>> basis = PolynomialBasis(3, domain=(0.0, 4.0))
    >>> basis.design_range()
    (0.0, 4.0)
    >>> coef = basis.project(lambda z: z**2)
    >>> np.round(basis.value(np.array([1.0, 3.0])) @ coef, 12)
    array([1., 9.])
    >>> basis.value(np.array([6.0]))  # u = 2: T_2 continued as 1 + 4 (u - 1)
    array([[1., 2., 5.]])
    """

    def __init__(self, n_basis, scale=None, domain=None, centre=None):
        if domain is not None:
            if scale is not None or centre is not None:
                raise ValueError("Give domain=(lo, hi) or scale/centre, not both.")
            lo, hi = _check_domain(domain)
            scale, centre = 0.5 * (hi - lo), 0.5 * (lo + hi)
        super().__init__(n_basis, 3.0 if scale is None else scale)
        centre = 0.0 if centre is None else centre
        if not isinstance(centre, numbers.Real) or not np.isfinite(centre):
            raise ValueError(f"centre must be a finite float, got {centre!r}.")
        self.centre = float(centre)

    def design_range(self):
        """Give the design range, mapped onto ``u`` in ``[-1, 1]``.

        Returns
        -------
        lo, hi : float
            ``centre - scale`` and ``centre + scale``.
        """
        return self.centre - self.scale, self.centre + self.scale

    def with_range(self, lo, hi):
        """Give the same family on a new design range.

        Parameters
        ----------
        lo, hi : float
            The new design range, ``lo < hi``.

        Returns
        -------
        basis : PolynomialBasis
            M functions mapping ``[lo, hi]`` onto ``[-1, 1]``.
        """
        return type(self)(self.n_basis, domain=(lo, hi))

    def roughness(self):
        return np.arange(self.n_basis, dtype=float) ** 2

    def project(self, func, lo=None, hi=None, n_points=512, free_constant=True):
        """Fit ``sum_k C_k f_k`` to ``func`` on ``[lo, hi]`` by least squares.

        The family holds the constants (``T_0 = 1``), so fitting up to a
        constant is fitting exactly: ``free_constant`` changes nothing and
        ``func`` itself is reproduced (a polynomial of degree below M to
        rounding).

        Parameters
        ----------
        func : callable
            Vectorised target function.
        lo, hi : float, default=None
            Fit range; defaults to :meth:`design_range`.
        n_points : int, default=512
            Number of equally spaced points in the fit.
        free_constant : bool, default=True
            Not used (see above); kept for the common signature.

        Returns
        -------
        coef : ndarray of shape (M,)
            The coefficients C.
        """
        return super().project(func, lo, hi, n_points, free_constant=False)

    # -- values and slopes ------------------------------------------------
    def _mapped(self, z):
        """``u = (z - centre) / scale``, ``v = clip(u)`` and ``w = u - v``."""
        dt = z.dtype.type
        u = (z - dt(self.centre)) * dt(1.0 / self.scale)
        v = np.clip(u, -1.0, 1.0)
        return v, np.subtract(u, v, out=u)

    def _evaluate(self, z, derivative):
        v, w = self._mapped(z)
        T = np.empty((self.n_basis,) + z.shape, dtype=z.dtype)
        dT = np.empty_like(T)
        chebyshev_rows(v, T, dT)
        # phi_k = T_k(v) + T_k'(v) w: w = 0 inside, T_k'(v) = T_k'(+-1) outside
        phi = T + dT * w
        if not derivative:
            return phi, None
        dT *= z.dtype.type(1.0 / self.scale)
        return phi, dT

    def _fill(self, z, need_slope):
        """Values ``phi_k(u)`` (M rows), and with the slope ``w+`` and ``w-``.

        ``w = u - clip(u, -1, 1)``; ``w+ = max(w, 0)`` and ``w- = min(w,
        0)`` are the two extra rows the slope coefficients use. The chain
        factor ``1 / scale`` is in the slope coefficients (None here).
        """
        M = self.n_basis
        v, w = self._mapped(z.reshape(-1))
        rows = np.empty((M + 2 if need_slope else M, v.size), dtype=z.dtype)
        chebyshev_rows(v, rows)
        outside = np.flatnonzero(w)
        if outside.size:
            # the tangent lines: k**2 w for odd k, k**2 |w| for even k
            wo = w[outside]
            k = np.arange(M)
            lines = np.where((k % 2 == 1)[:, None], wo, np.abs(wo))
            lines *= (k * k).astype(z.dtype)[:, None]
            rows[:M, outside] += lines
        if need_slope:
            np.maximum(w, 0.0, out=rows[M])
            np.minimum(w, 0.0, out=rows[M + 1])
        return rows.reshape(rows.shape[:1] + z.shape), None

    def _slope_coefficients(self, coef):
        """``F'`` over the rows of ``_fill``, shape (..., M + 2).

        Inside, ``dF/du = sum_j D_j T_j(u)`` with ``D`` the derivative series
        (chebder). Beyond the end ``s = +-1`` the rows are ``T_j(s) + T_j'(s)
        w``, so ``D`` over them gives ``F'(s)`` plus ``w E_s`` with ``E_s =
        sum_j D_j T_j'(s)``; the coefficients ``-E_+`` and ``-E_-`` of the
        rows ``w+`` and ``w-`` remove it. All is divided by ``scale``.
        """
        M = self.n_basis
        slope = np.zeros(coef.shape[:-1] + (M + 2,), dtype=np.float64)
        if M > 1:
            D = chebyshev.chebder(coef.astype(np.float64), axis=-1)
            slope[..., : M - 1] = D
            slope[..., M] = -D @ _end_slopes(M - 1, 1.0)
            slope[..., M + 1] = -D @ _end_slopes(M - 1, -1.0)
        return slope / self.scale

    # -- written out ------------------------------------------------------
    def _numpy_u(self, x):
        """``u = (x - centre) / scale`` as a numpy expression."""
        u = times(1.0 / self.scale, shifted(x, self.centre))
        return u if u.isidentifier() else f"({u})"

    def numpy_terms(self, x):
        # T_k(v) + T_k'(v) (u - v) with v = np.clip(u, -1, 1); T_1 is u
        # itself, and beyond the ends T_k'(v) is k**2 (odd k) or k**2 v
        u = self._numpy_u(x)
        v = f"np.clip({u}, -1, 1)"
        terms = ["1", u]
        for k in range(2, self.n_basis):
            line = f"{k * k}*({u} - {v})"
            if k % 2 == 0:
                line = f"{k * k}*{v}*({u} - {v})"
            terms.append(f"(np.cos({k}*np.arccos({v})) + {line})")
        return terms[: self.n_basis]

    def onnx_terms(self, g, Z):
        # Clip, the recurrence T_{k+1} = 2v T_k - T_{k-1}, and the tangent
        # lines k**2 w (odd k) or k**2 v w (even k), w = u - v
        u = g.mul(g.sub(Z, self.centre), 1.0 / self.scale)
        v = g.op("Clip", [u, g.const(-1.0), g.const(1.0)])
        w = g.sub(u, v)
        cheb = [g.ones_like(v), v][: self.n_basis]
        two_v = g.mul(v, 2.0)
        for k in range(1, self.n_basis - 1):
            cheb.append(g.sub(g.mul(two_v, cheb[k]), cheb[k - 1]))
        terms = cheb[:1] + [u][: self.n_basis - 1]
        for k in range(2, self.n_basis):
            line = g.mul(w, float(k * k))
            if k % 2 == 0:
                line = g.mul(line, v)
            terms.append(g.add(cheb[k], line))
        return terms


def _check_domain(domain):
    """``(lo, hi)`` as floats, finite with ``lo < hi``."""
    try:
        lo, hi = (float(d) for d in domain)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"domain must be a pair (lo, hi), got {domain!r}.") from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"domain must be finite with lo < hi, got {domain!r}.")
    return lo, hi
