"""Basis families for learned activations.

A learned activation is ``F(z) = sum_{k=1..M} C_k f_k(z)`` (paper, Sec. II,
the expansion below eq. 1). A *basis family* supplies the M fixed functions
``f_k`` and their derivatives ``f_k'``; the network supplies ``C``.

Every family evaluates all M functions for a whole array of pre-activations
in one vectorised call, in *basis-major* layout: for ``z`` of shape
``(n_samples, n_units)`` the values have shape ``(M, n_samples, n_units)``,
so each basis function is one contiguous block and the combination with the
coefficients is a single matrix product. :meth:`Basis.value` gives the
``(..., M)`` layout of the design document, as a view.

Every family stays finite for every finite input: the polynomial families
map ``z`` into their domain with ``u = tanh(z / scale)``; Fourier terms,
Gaussian bumps and B-splines are bounded by construction.

A user's own family subclasses :class:`Basis` and implements
:meth:`Basis._evaluate`.

Training calls :meth:`Basis.activate`, which returns the activation, the
basis values and the activation's slope together. The Fourier, Chebyshev
and Legendre families do that in one fused pass: their derivatives are a
linear map of their values, so the slope is a second coefficient row in
the same matrix product and ``f_k'`` is never stored.
"""

import functools
import numbers

import numpy as np
from numpy.polynomial import chebyshev, legendre
from scipy.special import expit

__all__ = [
    "BASES",
    "Basis",
    "BSplineBasis",
    "CandidateBasis",
    "ChebyshevBasis",
    "FourierBasis",
    "GaussianBasis",
    "LegendreBasis",
    "TARGET_ACTIVATIONS",
    "make_basis",
]


def _relu(z):
    return np.maximum(z, 0.0)


def _identity(z):
    return np.asarray(z, dtype=float)


# The functions that ``activation_init`` can name, as plain callables.
TARGET_ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": _relu,
    "logistic": expit,
    "identity": _identity,
}


class Basis:
    """Base class of a family of M fixed functions of one variable.

    Subclasses implement :meth:`_evaluate`; everything else (the public
    ``value``/``derivative`` methods, least-squares projection and the
    roughness penalty) is shared.

    Parameters
    ----------
    n_basis : int
        M, the number of functions in the family.
    scale : float, default=3.0
        Half-width of the design range ``[-scale, scale]``: the range of
        pre-activations the family is built to resolve, and the range over
        which ``activation_init`` fits the starting activation.
    """

    def __init__(self, n_basis, scale=3.0):
        if not isinstance(n_basis, numbers.Integral) or isinstance(n_basis, bool):
            raise TypeError(f"n_basis must be an int, got {n_basis!r}.")
        if n_basis < 1:
            raise ValueError(f"n_basis must be >= 1, got {n_basis}.")
        if not isinstance(scale, numbers.Real) or not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"scale must be a finite float > 0, got {scale!r}.")
        self.n_basis = int(n_basis)
        self.scale = float(scale)

    # -- what a subclass provides ---------------------------------------
    def _evaluate(self, z, derivative):
        """Values (and derivatives) of all M functions at ``z``.

        Parameters
        ----------
        z : ndarray of any shape
            Pre-activations.
        derivative : bool
            Whether to return the derivatives as well.

        Returns
        -------
        phi : ndarray of shape (M,) + z.shape
            ``phi[k] = f_k(z)``.
        dphi : ndarray of shape (M,) + z.shape, or None
            ``dphi[k] = f_k'(z)`` when ``derivative`` is True.
        """
        raise NotImplementedError

    def roughness(self):
        """Penalty weight of each basis function, shape (M,).

        ``activation_alpha`` penalises ``0.5 * sum_k r_k C_k**2`` (a ridge
        weighted so that rough functions cost more). The default weights all
        functions equally.
        """
        return np.ones(self.n_basis)

    def penalty_matrix(self):
        """Symmetric positive semi-definite R of the coefficient penalty.

        The penalty on one coefficient vector is ``0.5 * C @ R @ C`` and its
        gradient is ``R @ C``. The default is ``diag(roughness())``.
        """
        return np.diag(self.roughness())

    # -- the fused fast path (optional) -----------------------------------
    # A family whose derivatives are a linear map of its values implements
    # ``_fill`` and ``_slope_coefficients``; :meth:`activate` then needs one
    # matrix product for F and F'. A subclass that overrides ``_evaluate``
    # (or ``_recurrence``) below the class defining them falls back to
    # ``_evaluate``, so that the family it defines is the one trained.
    _fill = None

    def _slope_coefficients(self, coef):
        """Coefficients D of F' over the rows of ``_fill``, shape (..., R)."""
        raise NotImplementedError

    # -- public evaluation ----------------------------------------------
    def evaluate(self, z, derivative=True):
        """Basis-major values and derivatives: arrays of shape (M,) + z.shape."""
        return self._evaluate(_as_float(z), derivative)

    def activate(self, z, coef, need_backward=True, out=None):
        """The learned activation ``F(z) = sum_k C_k f_k(z)``, fused with
        what backpropagation needs.

        One pass computes the basis values and, from the same arrays, both
        ``F(z)`` and ``F'(z) = sum_k C_k f_k'(z)``. Families that know their
        derivatives as a linear map of their values (Fourier: a swap of sine
        and cosine; Chebyshev and Legendre: the derivative series) never
        store ``f_k'``: ``F`` and ``F'`` come out of one matrix product of
        two coefficient rows with the values. Other families evaluate
        values and derivatives with :meth:`evaluate` and combine them.

        Parameters
        ----------
        z : ndarray of shape (n_samples, n_units)
            Pre-activations (any shape for a 1-d ``coef``).
        coef : ndarray of shape (M,) or (n_units, M)
            One combination for all entries, or one per column of ``z``.
        need_backward : bool, default=True
            Whether to return ``Phi`` and ``F'(z)`` as well.
        out : ndarray of shape z.shape, default=None
            Where to write ``A`` when ``need_backward`` is False (for
            prediction in blocks); a new array otherwise.

        Returns
        -------
        A : ndarray of shape z.shape
            ``F(z)``, in the floating dtype of ``z``.
        Phi : ndarray of shape (M,) + z.shape, or None
            The basis values (basis-major, C-contiguous), for the
            coefficient gradient.
        slope : ndarray of shape z.shape, or None
            ``F'(z)``.
        """
        z = _as_float(z)
        coef = np.asarray(coef, dtype=z.dtype)
        if out is not None and need_backward:
            raise ValueError("out is only used with need_backward=False.")
        if not _has_fused_path(type(self)):
            Phi, dPhi = self._evaluate(z, need_backward)
            if not need_backward:
                return _combine_rows(Phi, coef[None], out)[0], None, None
            A = _combine_rows(Phi, coef[None])[0]
            return A, Phi, _combine_rows(dPhi, coef[None])[0]
        rows, chain = self._fill(z, need_backward)
        M, R = self.n_basis, rows.shape[0]
        if not need_backward:
            return _combine_rows(rows[:M], coef[None], out)[0], None, None
        # F and F' as two coefficient sets over the same value rows
        sets = np.zeros((2,) + coef.shape[:-1] + (R,), dtype=z.dtype)
        sets[0, ..., :M] = coef
        sets[1] = self._slope_coefficients(coef)
        A, slope = _combine_rows(rows, sets)
        if chain is not None:
            slope *= chain
        return A, rows[:M], slope

    def value(self, z):
        """``f_k(z)`` for every k, shape ``z.shape + (M,)``."""
        phi, _ = self.evaluate(z, derivative=False)
        return np.moveaxis(phi, 0, -1)

    def derivative(self, z):
        """``f_k'(z)`` for every k, shape ``z.shape + (M,)``."""
        _, dphi = self.evaluate(z, derivative=True)
        return np.moveaxis(dphi, 0, -1)

    # -- fitting a target function --------------------------------------
    def design_range(self):
        """The range ``(lo, hi)`` where initial activations are fitted."""
        return -self.scale, self.scale

    def project(self, func, lo=None, hi=None, n_points=512, free_constant=True):
        """Least-squares coefficients C with ``sum_k C_k f_k ~ func`` on [lo, hi].

        Parameters
        ----------
        func : callable
            Vectorised target function.
        lo, hi : float, default=None
            Fit range; defaults to :meth:`design_range`.
        n_points : int, default=512
            Number of equally spaced points in the fit.
        free_constant : bool, default=True
            Fit ``func`` up to an additive constant. A constant shift of a
            hidden activation is absorbed exactly by the next layer's
            intercept, so it need not cost basis capacity.

        Returns
        -------
        coef : ndarray of shape (M,)
        """
        d_lo, d_hi = self.design_range()
        lo = d_lo if lo is None else lo
        hi = d_hi if hi is None else hi
        z = np.linspace(lo, hi, n_points)
        phi, _ = self.evaluate(z, derivative=False)
        design = phi.T  # (n_points, M)
        if free_constant:
            design = np.column_stack([design, np.ones(n_points)])
        sol, *_ = np.linalg.lstsq(design, np.asarray(func(z), dtype=float), rcond=None)
        return sol[: self.n_basis]

    def initial_coefficients(self, name, random_state=None):
        """Coefficients that make the combination start as ``name``.

        ``name`` is one of 'tanh', 'relu', 'logistic', 'identity' (fitted by
        :meth:`project` over :meth:`design_range`) or 'random' (independent
        normal draws of variance ``1 / M``).
        """
        if name == "random":
            rng = np.random.default_rng(random_state)
            return rng.normal(0.0, 1.0 / np.sqrt(self.n_basis), self.n_basis)
        if name not in TARGET_ACTIVATIONS:
            raise ValueError(
                f"Unknown activation_init {name!r}; expected one of "
                f"{sorted(TARGET_ACTIVATIONS) + ['random']}."
            )
        return self.project(TARGET_ACTIVATIONS[name])

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other):
        if type(self) is not type(other):
            return NotImplemented
        a, b = vars(self), vars(other)
        return a.keys() == b.keys() and all(
            np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a
        )

    __hash__ = None


def _as_float(z):
    """``z`` as a floating array (integers become float64)."""
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return z


# what defines a family's fused path, and what defines its values
_FUSED_DEFINERS = ("_fill", "_slope_coefficients", "_derivative_series")
_VALUE_HOOKS = ("_evaluate", "_recurrence")


@functools.cache
def _has_fused_path(cls):
    """Whether ``cls`` can use its family's fused ``_fill`` path.

    The fused path is defined by the classes that define ``_fill``,
    ``_slope_coefficients`` (and ``_derivative_series``); it applies unless
    a class below the most derived of them overrides a hook that defines
    the values (``_evaluate``, ``_recurrence``): a user's subclass that
    changes the values then gets the generic path through its own
    ``_evaluate``.
    """
    mro = cls.__mro__

    def owner(name):
        return next((c for c in mro if name in vars(c)), None)

    if getattr(cls, "_fill", None) is None or owner("_slope_coefficients") is Basis:
        return False
    definers = [c for c in map(owner, _FUSED_DEFINERS) if c is not None]
    fused = min(definers, key=mro.index)  # the most derived of them
    hooks = [owner(name) for name in _VALUE_HOOKS]
    return all(hook is None or issubclass(fused, hook) for hook in hooks)


def _combine_rows(rows, sets, out=None):
    """Weighted sums of basis rows for several coefficient sets at once.

    Parameters
    ----------
    rows : ndarray of shape (R,) + z.shape
        Basis-major values.
    sets : ndarray of shape (S, R) or (S, n_units, R)
        S coefficient sets: shared by all entries (2-d), or one per unit
        (the last axis of ``z``).
    out : ndarray of shape z.shape, default=None
        For S = 1: a C-contiguous array to write the result into.

    Returns
    -------
    out : ndarray of shape (S,) + z.shape
        ``out[s] = sum_r sets[s, ..., r] * rows[r]``.
    """
    R, shape = rows.shape[0], rows.shape[1:]
    S = sets.shape[0]
    if out is not None:
        if not out.flags.c_contiguous:
            raise ValueError("out must be C-contiguous.")
        out = out.reshape((1,) + shape)
    if sets.ndim == 2:
        # one (S, R) @ (R, n_entries) product: BLAS reads the rows once
        flat = None if out is None else out.reshape(1, -1)
        flat = np.matmul(sets, rows.reshape(R, -1), out=flat)
        return flat.reshape((S,) + shape)
    # one combination per unit: R broadcast multiply-adds over the units,
    # with contiguous (S, 1, n_units) coefficient rows
    per_row = np.ascontiguousarray(np.moveaxis(sets, -1, 0))[:, :, None, :]
    out = np.multiply(rows[0], per_row[0], out=out)
    tmp = np.empty_like(out)
    for r in range(1, R):
        np.multiply(rows[r], per_row[r], out=tmp)
        out += tmp
    return out


class FourierBasis(Basis):
    """The paper's basis: ``sin(k w z), cos(k w z)`` for k = 1, 2, ...

    The M functions are, in order, ``sin(wz), cos(wz), sin(2wz), cos(2wz),
    ...``. Values come from one ``tan`` per entry (the half-angle formulas
    give ``sin(wz)`` and ``cos(wz)``) and the recurrence ``x_{k+1} = 2
    cos(wz) x_k - x_{k-1}``; derivatives from the same arrays (``d sin(kwz)
    = kw cos(kwz)``).

    Parameters
    ----------
    n_basis : int
    scale : float, default=3.0
        Half-width of the design range.
    frequency : float, default=None
        The base angular frequency w; defaults to ``pi / (2 * scale)``, a
        period of four times the design half-width, so that a saturating
        or one-sided target (tanh, relu) need not be periodic on the range.

    Notes
    -----
    Roughness weights are ``k**2`` for both terms of order k (the mean
    squared derivative of ``sin(kwz)`` grows as ``k**2``).
    """

    def __init__(self, n_basis, scale=3.0, frequency=None):
        super().__init__(n_basis, scale)
        if frequency is None:
            frequency = np.pi / (2.0 * self.scale)
        if not np.isfinite(frequency) or frequency <= 0:
            raise ValueError(f"frequency must be a finite float > 0, got {frequency}.")
        self.frequency = float(frequency)

    def orders(self):
        """The order k of each basis function, shape (M,)."""
        return np.arange(self.n_basis) // 2 + 1

    def roughness(self):
        return self.orders().astype(float) ** 2

    def _fill(self, z, need_slope):
        """``sin(kwz), cos(kwz)`` for k = 1..K, K = ceil(M / 2): shape (2K,) + z.shape.

        One ``tan`` per entry gives the first order by the half-angle
        formulas (with ``t = tan(wz / 2)``: ``sin = 2t / (1 + t**2)``,
        ``cos = 2 / (1 + t**2) - 1``; a huge ``t`` gives 0 and -1, the right
        limits); the others follow from ``x_{k+1} = 2 cos(wz) x_k - x_{k-1}``
        (sine and cosine alike), two multiply-adds per row. For odd M the
        last row is the cosine partner of the last sine, which the slope
        needs. The slope needs no chain factor (None).
        """
        K = (self.n_basis + 1) // 2
        flat = z.reshape(-1)
        rows = np.empty((2 * K, flat.size), dtype=z.dtype)
        s1, c1 = rows[0], rows[1]
        t = np.multiply(flat, z.dtype.type(0.5 * self.frequency))
        np.tan(t, out=t)
        np.multiply(t, t, out=c1)
        c1 += 1.0
        with np.errstate(divide="ignore"):
            np.divide(2.0, c1, out=c1)  # 2 / (1 + t^2), 0 if t^2 overflowed
        np.multiply(t, c1, out=s1)
        c1 -= 1.0
        if K > 1:
            two_c = np.add(c1, c1, out=t)
            # sin 2x = 2 cos x sin x, cos 2x = 2 cos x cos x - 1
            np.multiply(rows[0:2], two_c, out=rows[2:4])
            rows[3] -= 1.0
            for k in range(2, K):  # the (sin, cos) pair of order k + 1
                pair = rows[2 * k : 2 * k + 2]
                np.multiply(rows[2 * k - 2 : 2 * k], two_c, out=pair)
                pair -= rows[2 * k - 4 : 2 * k - 2]
        return rows.reshape((2 * K,) + z.shape), None

    def _slope_coefficients(self, coef):
        """d/dz (a sin(kwz) + b cos(kwz)) = kw a cos(kwz) - kw b sin(kwz)."""
        M, K = self.n_basis, (self.n_basis + 1) // 2
        padded = np.zeros(coef.shape[:-1] + (2 * K,), dtype=coef.dtype)
        padded[..., :M] = coef
        kw = (self.frequency * np.arange(1, K + 1)).astype(coef.dtype)
        slope = np.empty_like(padded)
        slope[..., 1::2] = kw * padded[..., 0::2]
        slope[..., 0::2] = -kw * padded[..., 1::2]
        return slope

    def _evaluate(self, z, derivative):
        M = self.n_basis
        rows, _ = self._fill(z, derivative)
        phi = rows[:M]
        if not derivative:
            return phi, None
        # f_k' from the same rows: the slope coefficients of each unit vector
        kw = self.frequency * (np.arange(M) // 2 + 1)
        dphi = np.empty_like(phi)
        for k in range(M):
            partner = rows[k + 1] if k % 2 == 0 else rows[k - 1]
            sign = 1.0 if k % 2 == 0 else -1.0
            np.multiply(partner, z.dtype.type(sign * kw[k]), out=dphi[k])
        return phi, dphi


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
    """

    _derivative_series = staticmethod(chebyshev.chebder)

    def _recurrence(self, u, phi, dphi):
        M = self.n_basis
        phi[0] = 1.0
        if dphi is not None:
            dphi[0] = 0.0
        if M > 1:
            phi[1] = u
            if dphi is not None:
                dphi[1] = 1.0
        two_u = 2.0 * u
        for k in range(1, M - 1):
            np.multiply(two_u, phi[k], out=phi[k + 1])
            phi[k + 1] -= phi[k - 1]
            if dphi is not None:
                np.multiply(two_u, dphi[k], out=dphi[k + 1])
                dphi[k + 1] += 2.0 * phi[k]
                dphi[k + 1] -= dphi[k - 1]


class LegendreBasis(_MappedPolynomialBasis):
    """Legendre polynomials ``P_0..P_{M-1}`` of ``u = tanh(z / scale)``.

    Bonnet's recurrence ``(k+1) P_{k+1} = (2k+1) u P_k - k P_{k-1}`` and
    ``P'_{k+1} = P'_{k-1} + (2k+1) P_k``.
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


class GaussianBasis(Basis):
    """A fixed dictionary of Gaussian bumps ``exp(-((z - m_k) / h)**2 / 2)``.

    Centres ``m_k`` are equally spaced on ``[-scale, scale]``; the width
    ``h`` is the spacing times ``width`` (default 1). Far from the centres
    every bump is 0, so the activation returns to 0.

    The penalty is the P-spline one: squared second differences of
    neighbouring coefficients, scaled by ``1 / h**4``, so a smooth (locally
    linear) activation costs nothing and a jagged one costs a lot.
    """

    def __init__(self, n_basis, scale=3.0, width=1.0):
        super().__init__(n_basis, scale)
        if not np.isfinite(width) or width <= 0:
            raise ValueError(f"width must be a finite float > 0, got {width}.")
        self.width = float(width)

    def _geometry(self):
        centres, spacing = _centres(self.n_basis, self.scale)
        return centres, spacing * self.width

    def roughness(self):
        return np.diag(self.penalty_matrix()).copy()

    def penalty_matrix(self):
        _, h = self._geometry()
        return _second_difference_penalty(self.n_basis, h)

    def _evaluate(self, z, derivative):
        centres, h = self._geometry()
        dt = z.dtype.type
        shape = (self.n_basis,) + (1,) * z.ndim
        t = (z[None] - centres.astype(z.dtype).reshape(shape)) * dt(1.0 / h)
        phi = np.exp(-0.5 * t * t)
        dphi = None
        if derivative:
            dphi = phi * t
            dphi *= dt(-1.0 / h)
        return phi, dphi


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


class BSplineBasis(Basis):
    """Uniform cubic B-splines: a cubic spline space on [-scale, scale].

    Each function is the cardinal cubic B-spline ``B((z - m_k) / h)``; for
    M >= 4 the centres run from ``-scale - h`` to ``scale + h`` with spacing
    ``h = 2 scale / (M - 3)``, so that on ``[-scale, scale]`` the splines sum
    to one and span every cubic spline with those knots. Outside
    ``[-scale - 3h, scale + 3h]`` all are 0.
    The penalty is the P-spline second-difference penalty.
    """

    def _geometry(self):
        M, L = self.n_basis, self.scale
        if M < 4:
            return _centres(M, L)
        # one centre beyond each end, so that the splines form a partition of
        # unity (and reproduce every cubic) on all of [-scale, scale]
        h = 2.0 * L / (M - 3)
        return np.linspace(-L - h, L + h, M), h

    def roughness(self):
        return np.diag(self.penalty_matrix()).copy()

    def penalty_matrix(self):
        _, h = self._geometry()
        return _second_difference_penalty(self.n_basis, h)

    def _evaluate(self, z, derivative):
        centres, h = self._geometry()
        dt = z.dtype.type
        shape = (self.n_basis,) + (1,) * z.ndim
        t = (z[None] - centres.astype(z.dtype).reshape(shape)) * dt(1.0 / h)
        phi, dphi = _cubic_bspline(t, derivative)
        if derivative:
            dphi *= dt(1.0 / h)
        return phi, dphi


def _silu_value_and_slope(z):
    s = expit(z)
    return z * s, s * (1.0 + z * (1.0 - s))


def _candidate_value_and_slope(name, z):
    """Value and derivative of one classic activation, finite for finite z."""
    if name == "identity":
        return z.copy(), np.ones_like(z)
    if name == "relu":
        return np.maximum(z, 0), (z > 0).astype(z.dtype)
    if name == "tanh":
        t = np.tanh(z)
        return t, 1.0 - t * t
    if name == "logistic":
        s = expit(z)
        return s, s * (1.0 - s)
    if name == "softplus":
        return np.logaddexp(0, z), expit(z)
    if name == "silu":
        return _silu_value_and_slope(z)
    if name == "sin":
        return np.sin(z), np.cos(z)
    if name == "cos":
        return np.cos(z), -np.sin(z)
    if name == "gaussian":
        g = np.exp(-0.5 * z * z)
        return g, -z * g
    if name == "elu":
        neg = np.expm1(np.minimum(z, 0))
        return np.where(z > 0, z, neg), np.where(z > 0, 1.0, neg + 1.0)
    if name == "abs":
        return np.abs(z), np.sign(z)
    raise ValueError(f"Unknown candidate activation {name!r}.")


CANDIDATE_FUNCTIONS = (
    "identity",
    "relu",
    "tanh",
    "logistic",
    "softplus",
    "silu",
    "sin",
    "cos",
    "gaussian",
    "elu",
    "abs",
)


class CandidateBasis(Basis):
    """A dictionary of classic activations, combined linearly.

    By default the first ``n_basis`` of ``identity, relu, tanh, logistic,
    softplus, silu, sin, cos, gaussian (exp(-z**2/2)), elu, abs``; pass
    ``functions=[...]`` to choose (then ``n_basis`` must equal its length,
    or be left to it). ``activation_init`` naming a member of the dictionary
    selects it exactly (a one-hot coefficient vector), so a frozen VNN with
    this basis *is* a conventional network.
    """

    def __init__(self, n_basis=None, scale=3.0, functions=None):
        if functions is None:
            if n_basis is None:
                n_basis = len(CANDIDATE_FUNCTIONS)
            if isinstance(n_basis, numbers.Integral) and n_basis > len(
                CANDIDATE_FUNCTIONS
            ):
                raise ValueError(
                    f"The 'candidates' basis has {len(CANDIDATE_FUNCTIONS)} "
                    f"functions; got n_basis={n_basis}."
                )
            functions = CANDIDATE_FUNCTIONS[: int(n_basis)] if n_basis else ()
        functions = tuple(functions)
        unknown = [f for f in functions if f not in CANDIDATE_FUNCTIONS]
        if unknown:
            raise ValueError(
                f"Unknown candidate functions {unknown}; choose from "
                f"{list(CANDIDATE_FUNCTIONS)}."
            )
        if len(set(functions)) != len(functions):
            raise ValueError(f"Candidate functions must be distinct, got {functions}.")
        if n_basis is None:
            n_basis = len(functions)
        if n_basis != len(functions):
            raise ValueError(
                f"n_basis={n_basis} does not match the {len(functions)} "
                f"candidate functions {list(functions)}."
            )
        super().__init__(n_basis, scale)
        self.functions = functions

    def _evaluate(self, z, derivative):
        phi = np.empty((self.n_basis,) + z.shape, dtype=z.dtype)
        dphi = np.empty_like(phi) if derivative else None
        for k, name in enumerate(self.functions):
            val, slope = _candidate_value_and_slope(name, z)
            phi[k] = val
            if derivative:
                dphi[k] = slope
        return phi, dphi

    def initial_coefficients(self, name, random_state=None):
        if name in self.functions:
            coef = np.zeros(self.n_basis)
            coef[self.functions.index(name)] = 1.0
            return coef
        return super().initial_coefficients(name, random_state)


BASES = {
    "fourier": FourierBasis,
    "chebyshev": ChebyshevBasis,
    "legendre": LegendreBasis,
    "gaussian": GaussianBasis,
    "bspline": BSplineBasis,
    "candidates": CandidateBasis,
}


def make_basis(basis, n_basis, basis_params=None):
    """Build the basis named by the estimator parameters.

    Parameters
    ----------
    basis : str or Basis
        A key of :data:`BASES`, or a ready :class:`Basis` instance (then
        ``n_basis`` and ``basis_params`` are not used).
    n_basis : int
    basis_params : dict or None
        Keyword arguments of the family's constructor (``scale``,
        ``frequency``, ``width``, ``functions``).
    """
    if isinstance(basis, Basis):
        return basis
    if basis not in BASES:
        raise ValueError(f"Unknown basis {basis!r}; expected one of {sorted(BASES)}.")
    params = dict(basis_params or {})
    try:
        return BASES[basis](n_basis, **params)
    except TypeError as exc:
        raise ValueError(f"Invalid basis_params {params} for basis {basis!r}: {exc}")
