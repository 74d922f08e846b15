"""Chebyshev and Legendre polynomials of ``u = tanh(z / scale)``."""

import numpy as np
from numpy.polynomial import chebyshev, legendre

from sklearn_vnn.bases._base import Basis
from sklearn_vnn.bases._writing import times


def chebyshev_rows(v, phi, dphi=None):
    """Fill ``phi[k] = T_k(v)`` (and ``dphi[k] = T_k'(v)`` if given):
    ``T_{k+1} = 2v T_k - T_{k-1}``, ``T'_{k+1} = 2 T_k + 2v T'_k - T'_{k-1}``
    (the tanh-mapped and the linear-map Chebyshev families share it)."""
    M = phi.shape[0]
    phi[0] = 1.0
    if dphi is not None:
        dphi[0] = 0.0
    if M > 1:
        phi[1] = v
        if dphi is not None:
            dphi[1] = 1.0
    two_v = 2.0 * v
    for k in range(1, M - 1):
        np.multiply(two_v, phi[k], out=phi[k + 1])
        phi[k + 1] -= phi[k - 1]
        if dphi is not None:
            np.multiply(two_v, dphi[k], out=dphi[k + 1])
            dphi[k + 1] += 2.0 * phi[k]
            dphi[k + 1] -= dphi[k - 1]


class _MappedPolynomialBasis(Basis):
    """Polynomials ``p_k(u)`` of degree k = 0..M-1 in ``u = tanh(z / scale)``.

    The map keeps every value in ``[-1, 1]``'s image of the polynomial, so
    nothing overflows for any finite ``z``; ``du/dz = (1 - u**2) / scale``.
    Roughness weights are ``k**2`` (degree squared).
    """

    def roughness(self):
        return np.arange(self.n_basis, dtype=float) ** 2

    def _recurrence(self, u, phi, dphi):
        """Fill ``phi[k] = p_k(u)`` and ``dphi[k] = p_k'(u)`` (dphi may be None)."""
        raise NotImplementedError

    def _numpy_u(self, x):
        """``u = tanh(x / scale)`` as a numpy expression."""
        return f"np.tanh({times(1.0 / self.scale, x)})"

    def _onnx_u(self, g, Z):
        """``u = tanh(Z / scale)`` in the ONNX graph."""
        return g.op("Tanh", [g.mul(Z, 1.0 / self.scale)])

    # the derivative series of a coefficient vector (chebder, legder)
    _derivative_series = None

    def _fill(self, z, need_slope):
        """``p_k(u)`` for k < M, shape (M,) + z.shape, and ``du/dz`` if asked.

        One ``tanh`` per entry, then the family's recurrence (values only);
        the chain factor ``du/dz = (1 - u**2) / scale`` costs three more
        passes and only when the slope is needed.
        """
        M = self.n_basis
        flat = z.reshape(-1)
        rows = np.empty((M, flat.size), dtype=z.dtype)
        u = rows[1] if M > 1 else np.empty_like(flat)
        np.multiply(flat, z.dtype.type(1.0 / self.scale), out=u)
        np.tanh(u, out=u)
        self._recurrence(u, rows, None)
        chain = None
        if need_slope:
            chain = np.multiply(u, u)
            np.subtract(1.0, chain, out=chain)
            chain *= z.dtype.type(1.0 / self.scale)
            chain = chain.reshape(z.shape)
        return rows.reshape((M,) + z.shape), chain

    def _slope_coefficients(self, coef):
        """Coefficients of ``dF/du`` in the same polynomials (degree M - 2)."""
        slope = np.zeros_like(coef)
        if self.n_basis > 1:
            series = type(self)._derivative_series
            slope[..., :-1] = series(coef.astype(np.float64), axis=-1)
        return slope

    def _evaluate(self, z, derivative):
        dt = z.dtype.type
        u = np.tanh(z * dt(1.0 / self.scale))
        phi = np.empty((self.n_basis,) + z.shape, dtype=z.dtype)
        dphi = np.empty_like(phi) if derivative else None
        self._recurrence(u, phi, dphi)
        if derivative:
            # chain rule through the map: d p_k / dz = p_k'(u) * du/dz
            dudz = (1.0 - u * u) * dt(1.0 / self.scale)
            dphi *= dudz
        return phi, dphi


class ChebyshevBasis(_MappedPolynomialBasis):
    """Chebyshev polynomials ``T_0..T_{M-1}`` of ``u = tanh(z / scale)``.

    ``T_{k+1} = 2u T_k - T_{k-1}`` and ``T'_{k+1} = 2 T_k + 2u T'_k -
    T'_{k-1}``: one ``tanh`` per entry, the rest multiply-adds.

    Parameters
    ----------
    n_basis : int
        M, the number of functions.
    scale : float, default=3.0
        Half-width of the design range ``[-scale, scale]``.

    Examples
    --------
    >>> import numpy as np
    >>> basis = ChebyshevBasis(3, scale=2.0)
    >>> basis.numpy_terms("x")
    ['1', 'np.tanh(x/2)', 'np.cos(2*np.arccos(np.tanh(x/2)))']
    >>> basis.value(np.array([0.0]))
    array([[ 1.,  0., -1.]])
    """

    _derivative_series = staticmethod(chebyshev.chebder)

    def _recurrence(self, u, phi, dphi):
        chebyshev_rows(u, phi, dphi)

    def numpy_terms(self, x):
        # 1, u and np.cos(k*np.arccos(u)) for k >= 2: T_k(u) = cos(k arccos u)
        # for |u| <= 1, and u = tanh(z / scale) is always in [-1, 1]
        u = self._numpy_u(x)
        terms = ["1", u]
        terms += [f"np.cos({k}*np.arccos({u}))" for k in range(2, self.n_basis)]
        return terms[: self.n_basis]

    def onnx_terms(self, g, Z):
        # T_{k+1} = 2u T_k - T_{k-1} on u = tanh(Z / scale), as the NumPy code
        u = self._onnx_u(g, Z)
        terms = [g.ones_like(u), u][: self.n_basis]
        two_u = g.mul(u, 2.0)
        for k in range(1, self.n_basis - 1):
            terms.append(g.sub(g.mul(two_u, terms[k]), terms[k - 1]))
        return terms


class LegendreBasis(_MappedPolynomialBasis):
    """Legendre polynomials ``P_0..P_{M-1}`` of ``u = tanh(z / scale)``.

    Bonnet's recurrence ``(k+1) P_{k+1} = (2k+1) u P_k - k P_{k-1}`` and
    ``P'_{k+1} = P'_{k-1} + (2k+1) P_k``.

    Parameters
    ----------
    n_basis : int
        M, the number of functions.
    scale : float, default=3.0
        Half-width of the design range ``[-scale, scale]``.

    Examples
    --------
    >>> import numpy as np
    >>> LegendreBasis(3, scale=2.0).value(np.array([0.0]))
    array([[ 1. ,  0. , -0.5]])
    """

    _derivative_series = staticmethod(legendre.legder)

    def _recurrence(self, u, phi, dphi):
        M = self.n_basis
        phi[0] = 1.0
        if dphi is not None:
            dphi[0] = 0.0
        if M > 1:
            phi[1] = u
            if dphi is not None:
                dphi[1] = 1.0
        for k in range(1, M - 1):
            np.multiply(u, phi[k], out=phi[k + 1])
            phi[k + 1] *= (2 * k + 1) / (k + 1)
            phi[k + 1] -= (k / (k + 1)) * phi[k - 1]
            if dphi is not None:
                np.multiply(phi[k], 2 * k + 1, out=dphi[k + 1])
                dphi[k + 1] += dphi[k - 1]

    def numpy_terms(self, x):
        # 1, u and numpy's Legendre polynomial P_k(u) for k >= 2
        u = self._numpy_u(x)
        terms = ["1", u]
        terms += [
            f"np.polynomial.legendre.Legendre.basis({k})({u})"
            for k in range(2, self.n_basis)
        ]
        return terms[: self.n_basis]

    def onnx_terms(self, g, Z):
        # Bonnet's recurrence on u = tanh(Z / scale), as the NumPy code
        u = self._onnx_u(g, Z)
        terms = [g.ones_like(u), u][: self.n_basis]
        for k in range(1, self.n_basis - 1):
            lead = g.mul(g.mul(u, terms[k]), (2 * k + 1) / (k + 1))
            terms.append(g.sub(lead, g.mul(terms[k - 1], k / (k + 1))))
        return terms
