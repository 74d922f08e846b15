"""Local families: Gaussian bumps and cubic B-splines at fixed centres."""

import numpy as np

from sklearn_vnn.bases._base import Basis
from sklearn_vnn.bases._writing import shifted, times


def _centres(n_basis, scale):
    """Equally spaced centres on [-scale, scale] and their spacing."""
    if n_basis == 1:
        return np.zeros(1), float(scale)
    centres = np.linspace(-scale, scale, n_basis)
    return centres, float(centres[1] - centres[0])


def _second_difference_penalty(n_basis, spacing):
    """``D.T @ D / h**4`` with D the second-difference operator (P-splines)."""
    if n_basis < 3:
        return np.zeros((n_basis, n_basis))
    D = np.diff(np.eye(n_basis), n=2, axis=0)
    return D.T @ D / spacing**4


class _CentredBasis(Basis):
    """Functions ``B((z - m_k) / h)`` of one shape at centres ``m_k``.

    A subclass gives ``_geometry() -> (centres, h)``; the penalty is the
    P-spline second-difference penalty scaled by ``1 / h**4``.
    """

    def _geometry(self):
        """The centres ``m_k``, shape (M,), and the width ``h``."""
        raise NotImplementedError

    def roughness(self):
        return np.diag(self.penalty_matrix()).copy()

    def penalty_matrix(self):
        _, h = self._geometry()
        return _second_difference_penalty(self.n_basis, h)

    def _offsets(self, z):
        """``t_k = (z - m_k) / h``, shape (M,) + z.shape, and ``h``."""
        centres, h = self._geometry()
        shape = (self.n_basis,) + (1,) * z.ndim
        t = (z[None] - centres.astype(z.dtype).reshape(shape)) * z.dtype.type(1 / h)
        return t, h

    def _numpy_offsets(self, x):
        """``(x - m_k) / h`` as numpy expressions."""
        centres, h = self._geometry()
        return [times(1.0 / h, shifted(x, m)) for m in centres]

    def _onnx_offsets(self, g, Z):
        """``(Z - m_k) / h`` in the ONNX graph."""
        centres, h = self._geometry()
        return [g.mul(g.sub(Z, float(m)), 1.0 / h) for m in centres]


class GaussianBasis(_CentredBasis):
    """A fixed dictionary of Gaussian bumps ``exp(-((z - m_k) / h)**2 / 2)``.

    Centres ``m_k`` are equally spaced on ``[-scale, scale]``; the width
    ``h`` is the spacing times ``width`` (default 1). Far from the centres
    every bump is 0, so the activation returns to 0.

    The penalty is the P-spline one: squared second differences of
    neighbouring coefficients, scaled by ``1 / h**4``, so a smooth (locally
    linear) activation costs nothing and a jagged one costs a lot.

    Parameters
    ----------
    n_basis : int
        M, the number of functions.
    scale : float, default=3.0
        Half-width of the design range ``[-scale, scale]``.
    width : float, default=1.0
        The width ``h`` of every bump, in units of the spacing of the
        centres.

    Examples
    --------
    >>> import numpy as np
    >>> basis = GaussianBasis(3, scale=2.0)
    >>> basis.numpy_terms("x")
    ['np.exp(-((x + 2)/2)**2/2)', 'np.exp(-(x/2)**2/2)', 'np.exp(-((x - 2)/2)**2/2)']
    >>> basis.value(np.array([0.0])).round(4)
    array([[0.6065, 1.    , 0.6065]])
    """

    def __init__(self, n_basis, scale=3.0, width=1.0):
        super().__init__(n_basis, scale)
        if not np.isfinite(width) or width <= 0:
            raise ValueError(f"width must be a finite float > 0, got {width}.")
        self.width = float(width)

    def _geometry(self):
        centres, spacing = _centres(self.n_basis, self.scale)
        return centres, spacing * self.width

    def _evaluate(self, z, derivative):
        t, h = self._offsets(z)
        phi = np.exp(-0.5 * t * t)
        dphi = None
        if derivative:
            dphi = phi * t
            dphi *= z.dtype.type(-1.0 / h)
        return phi, dphi

    def numpy_terms(self, x):
        # np.exp(-(t_k)**2/2) with t_k = (x - m_k) / h
        return [f"np.exp(-({t})**2/2)" for t in self._numpy_offsets(x)]

    def onnx_terms(self, g, Z):
        # Exp(-t_k * t_k / 2)
        return [
            g.op("Exp", [g.mul(g.mul(t, t), -0.5)]) for t in self._onnx_offsets(g, Z)
        ]


def _cubic_bspline(t, derivative):
    """Cardinal cubic B-spline centred at 0 (support [-2, 2]) and its slope."""
    # |t| >= 2 is outside the support: clipping there changes no value and
    # keeps the powers below from overflowing for huge t
    a = np.minimum(np.abs(t), 2.0)
    inner = a < 1.0
    outer = (a >= 1.0) & (a < 2.0)
    two_minus = 2.0 - a
    val = np.where(
        inner,
        2.0 / 3.0 - a * a + 0.5 * a * a * a,
        np.where(outer, two_minus**3 / 6.0, 0.0),
    )
    if not derivative:
        return val.astype(t.dtype, copy=False), None
    slope_abs = np.where(
        inner, -2.0 * a + 1.5 * a * a, np.where(outer, -0.5 * two_minus**2, 0.0)
    )
    return val.astype(t.dtype, copy=False), (np.sign(t) * slope_abs).astype(
        t.dtype, copy=False
    )


class BSplineBasis(_CentredBasis):
    """Uniform cubic B-splines: a cubic spline space on [-scale, scale].

    Each function is the cardinal cubic B-spline ``B((z - m_k) / h)``; for
    M >= 4 the centres run from ``-scale - h`` to ``scale + h`` with spacing
    ``h = 2 scale / (M - 3)``, so that on ``[-scale, scale]`` the splines sum
    to one and span every cubic spline with those knots. Outside
    ``[-scale - 3h, scale + 3h]`` all are 0.
    The penalty is the P-spline second-difference penalty.

    Parameters
    ----------
    n_basis : int
        M, the number of functions.
    scale : float, default=3.0
        Half-width of the design range ``[-scale, scale]``.

    Examples
    --------
    >>> import numpy as np
    >>> basis = BSplineBasis(5, scale=1.0)
    >>> basis.value(np.linspace(-1, 1, 3)).sum(axis=1)  # a partition of unity
    array([1., 1., 1.])
    """

    def _geometry(self):
        M, L = self.n_basis, self.scale
        if M < 4:
            return _centres(M, L)
        # one centre beyond each end, so that the splines form a partition of
        # unity (and reproduce every cubic) on all of [-scale, scale]
        h = 2.0 * L / (M - 3)
        return np.linspace(-L - h, L + h, M), h

    def _evaluate(self, z, derivative):
        t, h = self._offsets(z)
        phi, dphi = _cubic_bspline(t, derivative)
        if derivative:
            dphi *= z.dtype.type(1.0 / h)
        return phi, dphi

    def numpy_terms(self, x):
        # the cardinal cubic B-spline in closed form:
        # B(t) = ((2 - |t|)_+**3 - 4 (1 - |t|)_+**3) / 6
        terms = []
        for offset in self._numpy_offsets(x):
            t = f"np.abs({offset})"
            terms.append(f"(np.maximum(2 - {t}, 0)**3 - 4*np.maximum(1 - {t}, 0)**3)/6")
        return terms

    def onnx_terms(self, g, Z):
        # the two cubic pieces, chosen with Abs, Less and Where
        return [_bspline_graph(g, t) for t in self._onnx_offsets(g, Z)]


def _bspline_graph(g, t):
    """Cardinal cubic B-spline: 2/3 - a^2 + a^3/2 on a < 1, (2-a)^3/6 on a < 2."""
    a = g.op("Abs", [t])
    a2 = g.mul(a, a)
    inner = g.add(g.sub(2.0 / 3.0, a2), g.mul(g.mul(a2, a), 0.5))
    two_minus = g.sub(2.0, a)
    outer = g.mul(g.mul(g.mul(two_minus, two_minus), two_minus), 1.0 / 6.0)
    zero = g.mul(a, 0.0)
    beyond = g.op("Where", [g.op("Less", g.operands(a, 2.0)), outer, zero])
    return g.op("Where", [g.op("Less", g.operands(a, 1.0)), inner, beyond])
