"""Fused activation kernels, compiled by numba (the optional ``fast`` extra).

One kernel call runs a whole layer's activation, one row of samples at a
time and the rows spread over threads. The forward kernel gives ``A =
F(Z)`` (paper eq. 3 / Sec. III), adding the layer's intercepts to ``Z`` as
it reads it and, for a prediction, flagging the rows out of the training
range; the backward kernel builds the same basis rows again and gives, in
one pass, ``dZ = dA * F'(Z)`` and the coefficient gradient ``sum_samples
dA * Phi`` (eqs. 6, 12, 15, 19-20), so that no ``(M, n_samples, n_units)``
array of basis values is ever stored. The 'polynomial' family builds one
sample's rows in a small buffer that stays in cache; the Fourier rows
(:mod:`sklearn_vnn._numba_fourier`) and the Chebyshev and Legendre rows
(:mod:`sklearn_vnn._numba_three_term`) live in registers only.
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

import numpy as np
from numba import njit, prange

from sklearn_vnn._numba_common import _FM, _as, _coef
from sklearn_vnn._numba_fourier import (
    first_harmonic,
    fourier_rows,
    fourier_slope,
    n_fourier_rows,  # noqa: F401 (for _kernels, which allots the rows)
)
from sklearn_vnn._numba_three_term import (
    map_to_u,
    n_three_term_rows,  # noqa: F401 (for _kernels)
    three_term_rows,
    three_term_slope,
)

FOURIER, CHEBYSHEV, LEGENDRE, POLYNOMIAL = 0, 1, 2, 3

# numba keys a cached kernel on the text of the file that defines it, not
# on the files whose functions it compiles in: this digest of those files
# (tests/test_kernels.py checks it) makes this file change whenever they do,
# so that no stale compiled kernel outlives an edit or an upgrade.
_INLINED_SOURCES = "ec99f4ac041f21c8"


@njit(cache=True, fastmath=_FM)
def _chebyshev_rows(v, buf, M):
    """``T_0..T_{M-1}`` of ``v`` by ``T_{k+1} = 2 v T_k - T_{k-1}``."""
    m = v.shape[0]
    for j in range(m):
        buf[0, j] = 1.0
    if M > 1:
        for j in range(m):
            buf[1, j] = v[j]
    two = _as(2.0, buf)
    for k in range(1, M - 1):
        for j in range(m):
            buf[k + 1, j] = v[j] * buf[k, j] * two - buf[k - 1, j]


@njit(cache=True, fastmath=_FM)
def _polynomial_rows(x, bias, centre, inv_scale, buf, M, vw):
    m = x.shape[0]
    one = _as(1.0, x)
    for j in range(m):
        u = (x[j] + bias[j] - centre) * inv_scale
        v = min(max(u, -one), one)
        vw[0, j] = v
        vw[1, j] = u - v
    _chebyshev_rows(vw[0], buf, M)
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
def _times_slope(g, slope, dz):
    """``dz = g * slope``."""
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
def forward(X, bias, family, p0, p1, M, coefs, A, keep, tasks, low, high, flags):
    """``A = F(X + bias)`` (``A`` may be ``X``), and which rows leave the limits.

    Parameters
    ----------
    X : ndarray of shape (n, m)
        ``z`` without its intercepts. Chebyshev and Legendre overwrite it
        with their ``u = tanh((X + bias) / scale)``, which backward reads
        (with ``keep``).
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
    keep : bool
        Chebyshev and Legendre: whether to keep ``u`` in ``X`` (for
        backward; not when ``A`` is ``X``).
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
    polynomial = family == POLYNOMIAL
    legendre = family == LEGENDRE
    for b in prange(tasks):
        buf = np.empty((R if polynomial else 0, m), X.dtype)
        sc = np.empty((2, m), X.dtype)
        state = np.empty((2, 4, m), X.dtype)
        state3 = np.empty((2, 2, m), X.dtype)
        us = np.empty(m, X.dtype)
        vw = np.empty((2, m), X.dtype)
        for i in range(b * n // tasks, (b + 1) * n // tasks):
            if low.shape[0]:
                flags[i] = _outside(X[i], bias, low, high)
            if fourier:
                first_harmonic(X[i], bias, p0, p1, sc)
                fourier_rows(sc, coefs, A[i], state, None, None)
            elif polynomial:
                _polynomial_rows(X[i], bias, p0, p1, buf, M, vw)
                _combine(buf, coefs, A[i])
            else:
                map_to_u(X[i], bias, p0, us, keep)
                three_term_rows(us, legendre, coefs, A[i], state3, None, None)


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
    polynomial = family == POLYNOMIAL
    legendre = family == LEGENDRE
    tasks = partial.shape[0]
    for b in prange(tasks):
        buf = np.empty((R if polynomial else 0, m), X.dtype)
        sc = np.empty((2, m), X.dtype)
        state = np.empty((2, 4, m), X.dtype)
        state3 = np.empty((2, 2, m), X.dtype)
        vw = np.empty((2, m), X.dtype)
        slope = np.empty(m, X.dtype)
        acc = partial[b]
        for i in range(b * n // tasks, (b + 1) * n // tasks):
            x, g = X[i], dA[i]
            # Fourier, Chebyshev and Legendre rows live in registers only
            if fourier:
                first_harmonic(x, bias, p0, p1, sc)
                fourier_rows(sc, slopes, slope, state, g, acc)
                fourier_slope(x, bias, p1, g, slope, dZ[i])
            elif polynomial:
                _polynomial_rows(x, bias, p0, p1, buf, M, vw)
                _gradient_rows(buf, slopes, g, M, acc, slope)
                _times_slope(g, slope, dZ[i])
            else:
                # x holds u (kept by forward), bias is 0
                three_term_rows(x, legendre, slopes, slope, state3, g, acc)
                three_term_slope(x, p0, g, slope, dZ[i])


@njit(parallel=True, cache=True)
def rows_out_of_range(Z, low, high, out):
    """``out[i]``: whether any ``Z[i, j]`` is below ``low[j]`` or above
    ``high[j]`` (NaN is neither), for the range check of predictions."""
    n, m = Z.shape
    no_bias = np.zeros(m, Z.dtype)
    for i in prange(n):
        out[i] = _outside(Z[i], no_bias, low, high)
