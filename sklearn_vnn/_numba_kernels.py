"""Fused activation kernels, compiled by numba (the optional ``fast`` extra).

One kernel call runs a whole layer's activation, one row of samples at a
time and the rows spread over threads. The forward kernel gives ``A =
F(Z)`` (paper eq. 3 / Sec. III), adding the layer's intercepts to ``Z`` as
it reads it and, for a prediction, flagging the rows out of the training
range; the backward kernel builds the same basis rows again and gives, in
one pass, ``dZ = dA * F'(Z)`` and the coefficient gradient ``sum_samples
dA * Phi`` (eqs. 6, 12, 15, 19-20), so that no ``(M, n_samples, n_units)``
array of basis values is ever stored. The polynomial families build one
sample's rows in a small buffer that stays in cache; the Fourier rows
(:mod:`sklearn_vnn._numba_fourier`) live in registers only.
``sklearn_vnn._kernels`` decides when these run; this module only computes.

Rows per family (the same rows as each family's NumPy ``_fill``):

* Fourier: ``sin(kwz), cos(kwz)``, k = 1..K, of ``z`` clipped to the
  design range ('constant' extrapolation; the chain factor is then the
  range's indicator).
* Chebyshev and Legendre of ``u = tanh(z / scale)``: their recurrences on
  ``u`` (forward computes ``u`` and keeps it for backward), and the chain
  factor ``du/dz = (1 - u**2) / scale``.
* Polynomial (linear map, continued linearly): ``T_k(v) + T_k'(v) w`` with
  ``v = clip(u, -1, 1)``, ``w = u - v``, and the two slope rows ``max(w,
  0)``, ``min(w, 0)``.
"""

import math

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from sklearn_vnn._numba_common import _FM, _as, _coef
from sklearn_vnn._numba_fourier import (
    first_harmonic,
    fourier_rows,
    fourier_slope,
    n_fourier_rows,  # noqa: F401 (for _kernels, which allots the rows)
)

FOURIER, CHEBYSHEV, LEGENDRE, POLYNOMIAL = 0, 1, 2, 3

# numba keys a cached kernel on the text of the file that defines it, not
# on the files whose functions it compiles in: this digest of those files
# (tests/test_kernels.py checks it) makes this file change whenever they do,
# so that no stale compiled kernel outlives an edit or an upgrade.
_INLINED_SOURCES = "3aad27b8ee05d50e"


# tanh for the map u = tanh(z / scale) of Chebyshev and Legendre, in a form
# whose loop vectorises (libm's tanh does not): tanh|t| = e / (e + 2) with
# e = expm1(2|t|) = 2**n expm1(r) + (2**n - 1), where 2|t| = n log 2 + r,
# |r| <= log(2) / 2 (log 2 in two parts, the first with trailing zero bits,
# so that n * part is exact), expm1(r) by its Taylor series (the remainder
# below the dtype's rounding: to r**13 in float64, (log(2) / 2)**13 / 14! ~
# 1e-17 of r; to r**8 in float32, ~ 6e-10 of r) and 2**n as a product over
# the bits of n (exact, no branch). Beyond |t| = cap, tanh rounds to 1 in
# the dtype; NaN stays NaN. Everything is written out: a loop inside the
# loop over the units would stop it vectorising.
_INV_LOG2 = 1.0 / math.log(2.0)
_LOG2_64 = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_LOG2_32 = np.float32(0.693145751953125), np.float32(1.428606765330187045e-06)
_E64 = tuple(1.0 / math.factorial(k) for k in range(2, 14))
_E32 = tuple(np.float32(1.0 / math.factorial(k)) for k in range(2, 9))


@njit(inline="always", cache=True, fastmath=_FM)
def _expm1_64(r):
    e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13 = _E64
    p = e9 + r * (e10 + r * (e11 + r * (e12 + r * e13)))
    p = e5 + r * (e6 + r * (e7 + r * (e8 + r * p)))
    return r + r * r * (e2 + r * (e3 + r * (e4 + r * p)))


@njit(inline="always", cache=True, fastmath=_FM)
def _expm1_32(r):
    e2, e3, e4, e5, e6, e7, e8 = _E32
    return r + r * r * (
        e2 + r * (e3 + r * (e4 + r * (e5 + r * (e6 + r * (e7 + r * e8)))))
    )


@njit(inline="always", cache=True, fastmath=_FM)
def _bit(rest):
    """The lowest bit of a whole ``rest >= 0``, and the bits above it."""
    half = _as(0.5, rest)
    above = np.floor(rest * half)
    return rest - (above + above), above


@njit(inline="always", cache=True, fastmath=_FM)
def _pow2_64(n):
    b0, n = _bit(n)
    b1, n = _bit(n)
    b2, n = _bit(n)
    b3, n = _bit(n)
    b4, b5 = _bit(n)  # n < 64
    p = (1.0 + b0) * (1.0 + 3.0 * b1) * (1.0 + 15.0 * b2)
    return p * ((1.0 + 255.0 * b3) * (1.0 + 65535.0 * b4) * (1.0 + 4294967295.0 * b5))


@njit(inline="always", cache=True, fastmath=_FM)
def _pow2_32(n):
    one = _as(1.0, n)
    b0, n = _bit(n)
    b1, n = _bit(n)
    b2, n = _bit(n)
    b3, b4 = _bit(n)  # n < 32
    p = (one + b0) * (one + _as(3.0, n) * b1) * (one + _as(15.0, n) * b2)
    return p * ((one + _as(255.0, n) * b3) * (one + _as(65535.0, n) * b4))


def _tanh(t):
    """``tanh(t)`` in ``t``'s dtype, to a few roundings."""


@overload(_tanh, inline="always", jit_options={"fastmath": _FM})
def _tanh_overload(t):
    single = t == types.float32
    kind = np.float32 if single else float
    cap, inv_log2 = kind(10.0 if single else 20.0), kind(_INV_LOG2)
    l1, l2 = _LOG2_32 if single else _LOG2_64
    expm1 = _expm1_32 if single else _expm1_64
    pow2 = _pow2_32 if single else _pow2_64

    def tanh(t):
        a = abs(t)
        if a > cap:
            a = cap
        y = a + a
        n = np.rint(y * inv_log2)
        p = pow2(n)
        e = p * expm1((y - n * l1) - n * l2) + (p - _as(1.0, t))
        u = np.divide(e, e + _as(2.0, t))  # no zero check: vectorises
        return u if t >= 0 else -u

    return tanh


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
def _fill(x, bias, family, p0, p1, M, buf, chain, vw, forward):
    """The rows of the polynomial families for one sample.

    Polynomial: of ``z = x + bias``. Chebyshev and Legendre: forward maps
    ``z = x + bias`` to ``u = tanh(z p0)`` and keeps ``u`` in ``x`` (for
    backward); backward reads ``u = x`` (``bias`` is then 0) and gives
    ``chain = du/dz``.
    """
    if family == POLYNOMIAL:
        _polynomial_rows(x, bias, p0, p1, buf, M, vw)
        return
    u = vw[0]
    if forward:
        for j in range(x.shape[0]):
            u[j] = _tanh((x[j] + bias[j]) * p0)
        for j in range(x.shape[0]):
            x[j] = u[j]
    else:
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
def _chain_rule(g, slope, chain, has_chain, dz):
    """``dz = g * slope``, times ``chain`` if ``has_chain``."""
    if has_chain:
        for j in range(g.shape[0]):
            dz[j] = g[j] * (slope[j] * chain[j])
    else:
        for j in range(g.shape[0]):
            dz[j] = g[j] * slope[j]


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
        ``z`` without its intercepts. Chebyshev and Legendre overwrite it
        with their ``u = tanh((X + bias) / scale)``, which backward reads.
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
    fourier = family == FOURIER
    for b in prange(tasks):
        buf = np.empty((0 if fourier else R, m), X.dtype)
        sc = np.empty((2, m), X.dtype)
        state = np.empty((2, 4, m), X.dtype)
        chain = np.empty(m, X.dtype)
        vw = np.empty((2, m), X.dtype)
        for i in range(b * n // tasks, (b + 1) * n // tasks):
            if low.shape[0]:
                flags[i] = _outside(X[i], bias, low, high)
            if fourier:
                first_harmonic(X[i], bias, p0, p1, sc)
                fourier_rows(sc, coefs, A[i], state, None, None)
            else:
                _fill(X[i], bias, family, p0, p1, M, buf, chain, vw, True)
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
    fourier = family == FOURIER
    has_chain = family == CHEBYSHEV or family == LEGENDRE
    tasks = partial.shape[0]
    for b in prange(tasks):
        buf = np.empty((0 if fourier else R, m), X.dtype)
        sc = np.empty((2, m), X.dtype)
        state = np.empty((2, 4, m), X.dtype)
        chain = np.empty(m, X.dtype)
        vw = np.empty((2, m), X.dtype)
        slope = np.empty(m, X.dtype)
        acc = partial[b]
        for i in range(b * n // tasks, (b + 1) * n // tasks):
            x, g = X[i], dA[i]
            if fourier:
                # the rows live in registers only, never stored
                first_harmonic(x, bias, p0, p1, sc)
                fourier_rows(sc, slopes, slope, state, g, acc)
                fourier_slope(x, bias, p1, g, slope, dZ[i])
            else:
                _fill(x, bias, family, p0, p1, M, buf, chain, vw, False)
                _gradient_rows(buf, slopes, g, M, acc, slope)
                _chain_rule(g, slope, chain, has_chain, dZ[i])


@njit(parallel=True, cache=True)
def rows_out_of_range(Z, low, high, out):
    """``out[i]``: whether any ``Z[i, j]`` is below ``low[j]`` or above
    ``high[j]`` (NaN is neither), for the range check of predictions."""
    n, m = Z.shape
    no_bias = np.zeros(m, Z.dtype)
    for i in prange(n):
        out[i] = _outside(Z[i], no_bias, low, high)
