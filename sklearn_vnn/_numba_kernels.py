"""Fused activation kernels, compiled by numba (the optional ``fast`` extra).

One kernel call runs a whole layer's activation, one row of samples at a
time and the rows spread over threads: the basis rows of one sample are
built in a small buffer that stays in cache, and combined (the Fourier rows
as they are built). The forward kernel gives ``A = F(Z)`` (paper eq. 3 /
Sec. III), adding the layer's intercepts to ``Z`` as it reads it and, for
a prediction, flagging the rows out of the training range; the backward
kernel builds the same rows again and gives, in one pass, ``dZ = dA *
F'(Z)`` and the coefficient gradient ``sum_samples dA * Phi`` (eqs. 6, 12,
15, 19-20), so that no ``(M, n_samples, n_units)`` array of basis values is
ever stored. ``sklearn_vnn._kernels`` decides when these run; this module
only computes.

Rows per family (the same rows as each family's NumPy ``_fill``):

* Fourier: ``sin(kwz), cos(kwz)``, k = 1..K, of ``z`` clipped to the
  design range ('constant' extrapolation; the chain factor is then the
  range's indicator); the first order from a vectorisable sine/cosine
  (below), the others by ``x_{k+1} = 2 cos(wz) x_k - x_{k-1}``.
* Chebyshev and Legendre of ``u = tanh(z / scale)``: their recurrences on
  ``u`` (NumPy computes ``u`` before the call), and the chain factor
  ``du/dz = (1 - u**2) / scale``.
* Polynomial (linear map, continued linearly): ``T_k(v) + T_k'(v) w`` with
  ``v = clip(u, -1, 1)``, ``w = u - v``, and the two slope rows ``max(w,
  0)``, ``min(w, 0)``.
"""

import math

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

FOURIER, CHEBYSHEV, LEGENDRE, POLYNOMIAL = 0, 1, 2, 3

# fused multiply-adds allowed (about 20% faster here), nothing else of
# fastmath: NaN and infinity keep their meaning
_FM = {"contract"}

# Every kernel is compiled for the data's dtype and computes in it: float32
# data gives float32 buffers, constants and series (twice the numbers per
# vector instruction), float64 data float64 ones. A bare literal such as
# 2.0 is a float64 to numba and would turn float32 arithmetic into float64,
# so constants go through _as. A shared combination comes as a 1-d array of
# coefficients, one per unit as a 2-d one: each gets its own compiled kernel
# (_coef), the shared one with its coefficients held in registers.


def _as(value, like):
    """``value`` in the floating type of ``like`` (a scalar or an array)."""


@overload(_as, inline="always")
def _as_overload(value, like):
    kind = like.dtype if isinstance(like, types.Array) else like

    def cast(value, like):
        return kind(value)

    return cast


def _coef(coefs, k, j):
    """``coefs[k]`` for a shared combination (1-d), ``coefs[k, j]`` per unit."""


@overload(_coef, inline="always")
def _coef_overload(coefs, k, j):
    if coefs.ndim == 1:
        return lambda coefs, k, j: coefs[k]
    return lambda coefs, k, j: coefs[k, j]


# sin and cos: x = n pi/2 + r with |r| <= pi/4 (pi/2 in three parts, the
# first two with trailing zero bits, so that n * part is exact while |n| <
# 2**20 in float64, 2**12 in float32), then Taylor series whose remainder
# at pi/4 is below the dtype's rounding: to r**17 and r**18 in float64
# ((pi/4)**19 / 19! ~ 1e-19), to r**9 and r**10 in float32 ((pi/4)**11 /
# 11! ~ 2e-9). Beyond |x| = _BIG, and for non-finite x, the libm functions
# take over.
def _constants(kind, pio2, sin_orders, cos_orders, big):
    return (
        kind(2.0 / math.pi),
        tuple(kind(part) for part in pio2),
        tuple(kind((-1.0) ** ((k - 1) // 2) / math.factorial(k)) for k in sin_orders),
        tuple(kind((-1.0) ** (k // 2) / math.factorial(k)) for k in cos_orders),
        kind(big),
    )


_TWO_OVER_PI, _PIO2, _S, _C, _BIG = _constants(
    float,
    (1.5707963267341256e00, 6.077100506506192e-11, 2.0222662487959506e-21),
    (3, 5, 7, 9, 11, 13, 15, 17),
    (2, 4, 6, 8, 10, 12, 14, 16, 18),
    2.0**19,
)
_TWO_OVER_PI_32, _PIO2_32, _S_32, _C_32, _BIG_32 = _constants(
    np.float32,
    (1.57080078125, -4.453584551811218e-06, -8.705516307827565e-10),
    (3, 5, 7, 9),
    (2, 4, 6, 8, 10),
    2.0**12,
)


@njit(inline="always", cache=True, fastmath=_FM)
def _quadrant(n, s, c, one):
    """``sin(x), cos(x)`` from those of ``r``: the quadrant q = n mod 4 turns
    (s, c) by q quarter turns, a = cos(q pi/2) = |q - 2| - 1, b = sin(q pi/2)
    = 1 - |q - 1| (no branches, so that a loop of it vectorises)."""
    two = one + one
    q = n - (two + two) * np.floor(n * _as(0.25, one))
    a = np.abs(q - two) - one
    b = one - np.abs(q - one)
    return a * s + b * c, a * c - b * s


def _series64(r):
    s3, s5, s7, s9, s11, s13, s15, s17 = _S
    c2, c4, c6, c8, c10, c12, c14, c16, c18 = _C
    r2 = r * r
    s = r2 * (s13 + r2 * (s15 + r2 * s17))
    s = r + r * r2 * (s3 + r2 * (s5 + r2 * (s7 + r2 * (s9 + r2 * (s11 + s)))))
    c = r2 * (c12 + r2 * (c14 + r2 * (c16 + r2 * c18)))
    c = 1.0 + r2 * (c2 + r2 * (c4 + r2 * (c6 + r2 * (c8 + r2 * (c10 + c)))))
    return s, c


def _series32(r):
    s3, s5, s7, s9 = _S_32
    c2, c4, c6, c8, c10 = _C_32
    r2 = r * r
    s = r + r * r2 * (s3 + r2 * (s5 + r2 * (s7 + r2 * s9)))
    c = _as(1.0, r) + r2 * (c2 + r2 * (c4 + r2 * (c6 + r2 * (c8 + r2 * c10))))
    return s, c


def _series(r):
    """The Taylor series of ``sin(r), cos(r)`` in ``r``'s dtype, ``|r| <= 0.8``."""


@overload(_series, inline="always", jit_options={"fastmath": _FM})
def _series_overload(r):
    return _series32 if r == types.float32 else _series64


def _reduce(x):
    """``n, r`` with ``x = n pi/2 + r``, ``|r| <= pi/4``, in ``x``'s dtype."""


@overload(_reduce, inline="always", jit_options={"fastmath": _FM})
def _reduce_overload(x):
    single = x == types.float32
    two_over_pi = _TWO_OVER_PI_32 if single else _TWO_OVER_PI
    p1, p2, p3 = _PIO2_32 if single else _PIO2

    def reduce(x):
        n = np.rint(x * two_over_pi)
        return n, ((x - n * p1) - n * p2) - n * p3

    return reduce


@njit(inline="always", cache=True, fastmath=_FM)
def _sincos(x):
    """``sin(x), cos(x)`` in ``x``'s dtype, for ``|x| < _big(x)``."""
    n, r = _reduce(x)
    s, c = _series(r)
    return _quadrant(n, s, c, _as(1.0, x))


# The held Fourier range is [-pi/2, pi/2] in w z by default: there the
# series of x / 2 (|x / 2| <= 0.8, where their remainders are still below the
# dtype's rounding) and the double angle need no reduction
_SMALL = 1.6


@njit(inline="always", cache=True, fastmath=_FM)
def _sincos_small(x):
    """``sin(x), cos(x)`` for ``|x| <= _SMALL``, without reduction."""
    s, c = _series(x * _as(0.5, x))
    return (s + s) * c, (c - s) * (c + s)


def _big(x):
    """Where ``_sincos`` hands over to libm, in ``x``'s dtype."""


@overload(_big, inline="always")
def _big_overload(x):
    big = _BIG_32 if x == types.float32 else _BIG
    return lambda x: big


@njit(inline="always", cache=True, fastmath=_FM)
def _held(x, end):
    """``x`` clipped to ``[-end, end]``; NaN stays NaN."""
    if x > end:
        return end
    if x < -end:
        return -end
    return x


@njit(cache=True, fastmath=_FM)
def _fourier_rows(x, bias, w, end, buf, coefs, acc, chain, need_chain):
    """The rows of ``z = x + bias`` held within ``[-end, end]`` (end = inf:
    'periodic'), and ``acc = sum_k coefs[k] * row_k`` as the rows come (no
    second pass over them); ``chain``: 1 inside the range, 0 beyond and
    for NaN. ``x`` is read only before ``acc`` is written (they may be one
    array)."""
    m, R = x.shape[0], buf.shape[0]
    if need_chain:
        for j in range(m):
            z = x[j] + bias[j]
            chain[j] = 1 if (z >= -end and z <= end) else 0
    bad = 0
    if abs(w * end) <= _SMALL:
        # the held range (the default) needs no reduction
        for j in range(m):
            s, c = _sincos_small(_held(x[j] + bias[j], end) * w)
            buf[0, j] = s
            buf[1, j] = c
    else:
        for j in range(m):
            s, c = _sincos(_held(x[j] + bias[j], end) * w)
            buf[0, j] = s
            buf[1, j] = c
        # huge or not finite: the library functions there (a count first,
        # in a loop that vectorises, keeps the usual case at full speed)
        big = _big(w)
        for j in range(m):
            bad += not abs(_held(x[j] + bias[j], end) * w) < big
        if bad:
            for j in range(m):
                wz = _held(x[j] + bias[j], end) * w
                if not abs(wz) < big:
                    buf[0, j] = math.sin(wz)
                    buf[1, j] = math.cos(wz)
    if R == 2:
        for j in range(m):
            acc[j] = _coef(coefs, 0, j) * buf[0, j] + _coef(coefs, 1, j) * buf[1, j]
        return
    one = _as(1.0, w)
    for j in range(m):
        s, c = buf[0, j], buf[1, j]
        s2, c2 = (c + c) * s, (c + c) * c - one
        buf[2, j] = s2
        buf[3, j] = c2
        acc[j] = _coef(coefs, 0, j) * s + _coef(coefs, 1, j) * c
        acc[j] += _coef(coefs, 2, j) * s2 + _coef(coefs, 3, j) * c2
    for k in range(4, R, 2):
        for j in range(m):
            two_c = buf[1, j] + buf[1, j]
            sk = two_c * buf[k - 2, j] - buf[k - 4, j]
            ck = two_c * buf[k - 1, j] - buf[k - 3, j]
            buf[k, j] = sk
            buf[k + 1, j] = ck
            acc[j] += _coef(coefs, k, j) * sk + _coef(coefs, k + 1, j) * ck


@njit(cache=True, fastmath=_FM)
def _three_term_rows(u, buf, M, legendre):
    """``p_0..p_{M-1}`` of ``u`` by ``p_{k+1} = a_k u p_k - b_k p_{k-1}``:
    Chebyshev ``T_k`` (a = 2, b = 1) or, with ``legendre``, Legendre
    ``P_k`` (Bonnet: a = (2k+1)/(k+1), b = k/(k+1))."""
    m = u.shape[0]
    for j in range(m):
        buf[0, j] = 1.0
    if M > 1:
        for j in range(m):
            buf[1, j] = u[j]
    for k in range(1, M - 1):
        a, b = _as(2.0, buf), _as(1.0, buf)
        if legendre:
            a, b = _as((2.0 * k + 1.0) / (k + 1.0), buf), _as(k / (k + 1.0), buf)
        for j in range(m):
            buf[k + 1, j] = u[j] * buf[k, j] * a - b * buf[k - 1, j]


@njit(cache=True, fastmath=_FM)
def _polynomial_rows(x, bias, centre, inv_scale, buf, M, vw):
    m = x.shape[0]
    one = _as(1.0, x)
    for j in range(m):
        u = (x[j] + bias[j] - centre) * inv_scale
        v = min(max(u, -one), one)
        vw[0, j] = v
        vw[1, j] = u - v
    _three_term_rows(vw[0], buf, M, False)
    # beyond the ends the tangent lines: k**2 w (odd k), k**2 |w| (even k)
    for k in range(1, M):
        kk = _as(k * k, buf)
        if k % 2 == 1:
            for j in range(m):
                buf[k, j] += kk * vw[1, j]
        else:
            for j in range(m):
                buf[k, j] += kk * abs(vw[1, j])
    for j in range(m):
        buf[M, j] = max(vw[1, j], _as(0.0, vw))
        buf[M + 1, j] = min(vw[1, j], _as(0.0, vw))


@njit(cache=True, fastmath=_FM)
def _combine(buf, coefs, acc):
    """``acc = sum_k coefs[k] * buf[k]``, coefs (R, m)."""
    m = acc.shape[0]
    for j in range(m):
        acc[j] = 0
    for k in range(coefs.shape[0]):
        for j in range(m):
            acc[j] += _coef(coefs, k, j) * buf[k, j]


@njit(cache=True, fastmath=_FM)
def _fill(x, bias, family, p0, p1, M, buf, coefs, acc, chain, vw, need_chain):
    """The family's rows for one sample of ``z = x + bias``, and for the
    Fourier family also ``acc = sum_k coefs[k] * row_k`` (the others leave
    the combination to the caller); ``chain`` gets ``du/dz`` if the family
    has one (Fourier: only when ``need_chain``). ``acc`` may be ``x``."""
    if family == FOURIER:
        _fourier_rows(x, bias, p0, p1, buf, coefs, acc, chain, need_chain)
        return
    if family == POLYNOMIAL:
        _polynomial_rows(x, bias, p0, p1, buf, M, vw)
    else:
        u = vw[0]
        for j in range(x.shape[0]):
            u[j] = x[j] + bias[j]
            chain[j] = (_as(1.0, p0) - u[j] * u[j]) * p0
        _three_term_rows(u, buf, M, family == LEGENDRE)


@njit(cache=True, fastmath=_FM)
def _gradient_rows(buf, slopes, g, M, acc, slope):
    """``acc[k] += g * buf[k]`` for k < M and ``slope = sum_k slopes[k] *
    buf[k]`` over all rows, in one pass over them."""
    m = g.shape[0]
    for j in range(m):
        slope[j] = 0
    for k in range(slopes.shape[0]):
        if k < M:
            for j in range(m):
                acc[k, j] += g[j] * buf[k, j]
                slope[j] += _coef(slopes, k, j) * buf[k, j]
        else:
            for j in range(m):
                slope[j] += _coef(slopes, k, j) * buf[k, j]


@njit(cache=True, fastmath=_FM)
def _outside(x, bias, low, high):
    """Whether some ``x + bias`` lies outside ``[low, high]`` (NaN does not)."""
    count = 0
    for j in range(x.shape[0]):
        z = x[j] + bias[j]
        count += (z < low[j]) | (z > high[j])
    return count > 0


@njit(parallel=True, cache=True, fastmath=_FM)
def forward(X, bias, family, p0, p1, M, coefs, A, tasks, low, high, flags):
    """``A = F(X + bias)`` (``A`` may be ``X``), and which rows leave the limits.

    Parameters
    ----------
    X : ndarray of shape (n, m)
        ``z`` without its intercepts (Fourier, polynomial) or ``u =
        tanh(z / scale)`` (then ``bias`` is 0).
    bias : ndarray of shape (m,)
    family : int
    p0, p1 : float
        The family's numbers (frequency and the end of the range, inf for
        'periodic'; 1 / scale; centre and 1 / scale).
    M : int
        Number of functions.
    coefs : ndarray of shape (R,) or (R, m)
        The combination over the R rows the family builds (zeros past M):
        shared ('layer'), or one column per unit.
    A : ndarray of shape (n, m)
    tasks : int
        Number of tasks: task b takes rows ``b n // tasks`` to ``(b + 1) n
        // tasks``.
    low, high : ndarray of shape (m,) or (0,)
        Limits of ``X + bias`` for the range check; empty: no check.
    flags : ndarray of shape (n,) or (0,), dtype bool
        ``flags[i]``: whether row i leaves the limits (with limits only).
    """
    n, m = X.shape
    R = coefs.shape[0]
    for b in prange(tasks):
        buf = np.empty((R, m), X.dtype)
        chain = np.empty(m, X.dtype)
        vw = np.empty((2, m), X.dtype)
        for i in range(b * n // tasks, (b + 1) * n // tasks):
            if low.shape[0]:
                flags[i] = _outside(X[i], bias, low, high)
            _fill(X[i], bias, family, p0, p1, M, buf, coefs, A[i], chain, vw, False)
            if family != FOURIER:
                _combine(buf, coefs, A[i])


@njit(parallel=True, cache=True, fastmath=_FM)
def backward(X, bias, family, p0, p1, M, slopes, dA, dZ, partial):
    """``dZ = dA * F'(X + bias)`` and per-task sums of ``dA * Phi`` (``dZ`` may
    be ``dA``).

    ``slopes`` (R,) or (R, m) are the coefficients of ``F'`` over the rows
    (without the chain factor); ``partial[b]`` (M, m) receives the sum over
    task b's rows (as in :func:`forward`, ``len(partial)`` tasks) of ``dA *
    Phi_k``: the tasks depend on the caller only, so the result does not
    depend on the number of threads.
    """
    n, m = X.shape
    R = slopes.shape[0]
    has_chain = family == CHEBYSHEV or family == LEGENDRE
    has_chain = has_chain or (family == FOURIER and p1 < np.inf)
    tasks = partial.shape[0]
    for b in prange(tasks):
        buf = np.empty((R, m), X.dtype)
        chain = np.empty(m, X.dtype)
        vw = np.empty((2, m), X.dtype)
        slope = np.empty(m, X.dtype)
        acc = partial[b]
        for i in range(b * n // tasks, (b + 1) * n // tasks):
            x, g = X[i], dA[i]
            _fill(x, bias, family, p0, p1, M, buf, slopes, slope, chain, vw, has_chain)
            if family == FOURIER:  # the slope came with the rows
                for k in range(M):
                    for j in range(m):
                        acc[k, j] += g[j] * buf[k, j]
            else:
                _gradient_rows(buf, slopes, g, M, acc, slope)
            if has_chain:
                for j in range(m):
                    slope[j] *= chain[j]
            for j in range(m):
                dZ[i, j] = g[j] * slope[j]


@njit(parallel=True, cache=True)
def rows_out_of_range(Z, low, high, out):
    """``out[i]``: whether any ``Z[i, j]`` is below ``low[j]`` or above
    ``high[j]`` (NaN is neither), for the range check of predictions."""
    n, m = Z.shape
    no_bias = np.zeros(m, Z.dtype)
    for i in prange(n):
        out[i] = _outside(Z[i], no_bias, low, high)
