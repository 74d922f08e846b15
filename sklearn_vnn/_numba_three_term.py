"""Chebyshev and Legendre rows for the compiled kernels, of ``u = tanh(z /
scale)``.

Forward maps ``z`` to ``u`` (with a tanh that vectorises, below) and keeps
``u`` for backward, which reads it back for the chain factor ``du/dz = (1
- u**2) / scale``. The rows come from the three-term recurrence ``p_{k+1}
= a_k u p_k - b_k p_{k-1}`` (Chebyshev ``T_k``: a = 2, b = 1; Legendre
``P_k``, Bonnet: a = (2k+1)/(k+1), b = k/(k+1)), in blocks of eight rows
(or four) that live in registers only: each block is combined with the coefficients
(and, in backward, added into the coefficient gradient) as it is built, so
no row is ever stored.
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from sklearn_vnn._numba_common import _FM, _as, _coef

# numba keys a cached function on its own file's text: the digest of the
# file compiled in (see _numba_kernels) makes this one change with it
_INLINED_SOURCES = "924568e82b9289d0"


# tanh for the map u = tanh(z / scale) of Chebyshev and Legendre, in a form
# whose loop vectorises (libm's tanh does not): tanh|t| = e / (e + 2) with
# e = expm1(2|t|) = 2**n expm1(r) + (2**n - 1), where 2|t| = n log 2 + r,
# |r| <= log(2) / 2 (log 2 in two parts, the first with trailing zero bits,
# so that n * part is exact), expm1(r) by its Taylor series (the remainder
# below the dtype's rounding: to r**13 in float64, (log(2) / 2)**13 / 14! ~
# 1e-17 of r; to r**8 in float32, ~ 6e-10 of r) and 2**n from its exponent
# bits (n <= 58). Beyond |t| = cap, tanh rounds to 1 in the dtype; NaN
# stays NaN. Everything is written out: a loop inside the loop over the
# units would stop it vectorising.
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


@intrinsic
def _pow2(typingctx, n):
    """``2**n`` for a whole ``n`` in the dtype's normal range, from its
    exponent bits (integer add, shift and reinterpretation: they vectorise)."""
    if n not in (types.float32, types.float64):
        return None
    single = n == types.float32
    width, bias, shift = (32, 127, 23) if single else (64, 1023, 52)
    real = ir.FloatType() if single else ir.DoubleType()

    def codegen(context, builder, signature, args):
        whole = ir.IntType(width)
        k = builder.fptosi(args[0], whole)
        k = builder.add(k, ir.Constant(whole, bias))
        return builder.bitcast(builder.shl(k, ir.Constant(whole, shift)), real)

    return n(n), codegen


def _tanh(t):
    """``tanh(t)`` in ``t``'s dtype, to a few roundings."""


@overload(_tanh, jit_options={"fastmath": _FM})
def _tanh_overload(t):
    single = t == types.float32
    kind = np.float32 if single else float
    cap, inv_log2 = kind(10.0 if single else 20.0), kind(_INV_LOG2)
    l1, l2 = _LOG2_32 if single else _LOG2_64
    expm1 = _expm1_32 if single else _expm1_64

    def tanh(t):
        a = abs(t)
        if a > cap:
            a = cap
        y = a + a
        n = np.rint(y * inv_log2)
        p = _pow2(n if n >= 0 else _as(0.0, t))  # NaN: no integer
        e = p * expm1((y - n * l1) - n * l2) + (p - _as(1.0, t))
        u = np.divide(e, e + _as(2.0, t))  # no zero check: vectorises
        return u if t >= 0 else -u

    return tanh


@njit(cache=True, fastmath=_FM)
def map_to_u(x, bias, p0, us, keep):
    """``us = tanh((x + bias) p0)``, and into ``x`` too if ``keep``."""
    if keep:
        # x itself, not a second name for it: a loop writing to another
        # array that might overlap its input would not vectorise
        for j in range(x.shape[0]):
            u = _tanh((x[j] + bias[j]) * p0)
            us[j] = u
            x[j] = u
    else:
        for j in range(x.shape[0]):
            us[j] = _tanh((x[j] + bias[j]) * p0)


# Blocks of eight rows, p_k .. p_{k+7} (the last may be a half block of
# four), each row from the two before it. The first block starts from
# p_{-2} = 1, p_{-1} = 0 with a_{-1} = 0, b_{-1} = -1 and a_0 = 1, b_0 = 0,
# which give p_0 = 1 and p_1 = u exactly: every block runs the same steps.
# ``prev`` (p_{k-2}, p_{k-1}) is None for the first block, ``out`` (where
# the next block finds its two) None for the last, and ``hi`` (the steps
# of rows k+4 .. k+7) None for a half block: numba compiles each case
# apart, so that the loop has no branch. Eight rows make M <= 8 (the
# default) one pass over the units with nothing carried between blocks;
# the eight rows, their coefficients and u still fit in the vector
# registers.
_ROWS, _HALF = 8, 4


def n_three_term_rows(M):
    """The rows the kernels take for ``M`` functions: whole blocks and half
    blocks (the coefficients past M are zero)."""
    return _HALF * -(-M // _HALF)


@njit(inline="always", cache=True)
def _step(j, legendre, like):
    """``a_j, b_j`` in ``like``'s dtype."""
    if j < 0:
        a, b = 0.0, -1.0
    elif legendre:
        a, b = (2.0 * j + 1.0) / (j + 1.0), j / (j + 1.0)
    elif j == 0:
        a, b = 1.0, 0.0
    else:
        a, b = 2.0, 1.0
    return _as(a, like), _as(b, like)


@njit(inline="always", cache=True)
def _steps(k, legendre, like):
    """``(a_j, b_j)`` for j = k - 1 .. k + 2: the steps to rows k .. k+3."""
    return (
        _step(k - 1, legendre, like),
        _step(k, legendre, like),
        _step(k + 1, legendre, like),
        _step(k + 2, legendre, like),
    )


@njit(inline="always", cache=True, fastmath=_FM)
def _four(u, pm2, pm1, steps):
    """Four rows from the two before them."""
    (a0, b0), (a1, b1), (a2, b2), (a3, b3) = steps
    r0 = u * pm1 * a0 - b0 * pm2
    r1 = u * r0 * a1 - b1 * pm1
    r2 = u * r1 * a2 - b2 * r0
    r3 = u * r2 * a3 - b3 * r1
    return r0, r1, r2, r3


@njit(inline="always", cache=True)
def _start(prev, j, like):
    """The two rows before the block, at unit ``j``."""
    if prev is None:
        return _as(1.0, like), _as(0.0, like)
    return prev[0, j], prev[1, j]


@njit(inline="always", cache=True, fastmath=_FM)
def _weighted(coefs, k, j, r0, r1, r2, r3):
    """``sum_r coefs[k + r] * r_r`` over four rows."""
    v = _coef(coefs, k, j) * r0 + _coef(coefs, k + 1, j) * r1
    return v + (_coef(coefs, k + 2, j) * r2 + _coef(coefs, k + 3, j) * r3)


@njit(cache=True, fastmath=_FM)
def _combined_block(us, prev, out, k, lo, hi, coefs, acc):
    """``acc (+)= sum_r coefs[k + r] * p_{k + r}`` (``=`` for the first
    block), and the block's last two rows into ``out``."""
    for j in range(acc.shape[0]):
        u = us[j]
        pm2, pm1 = _start(prev, j, u)
        r0, r1, r2, r3 = _four(u, pm2, pm1, lo)
        v = _weighted(coefs, k, j, r0, r1, r2, r3)
        if hi is not None:
            r4, r5, r6, r7 = _four(u, r2, r3, hi)
            v += _weighted(coefs, k + 4, j, r4, r5, r6, r7)
            last = r6, r7
        else:
            last = r2, r3
        if prev is None:
            acc[j] = v
        else:
            acc[j] += v
        if out is not None:
            out[0, j], out[1, j] = last


@njit(cache=True, fastmath=_FM)
def _gradient_block(us, prev, k, lo, hi, g, grad):
    """``grad[k + r] += g * p_{k + r}`` over the block's rows."""
    for j in range(g.shape[0]):
        u, gj = us[j], g[j]
        pm2, pm1 = _start(prev, j, u)
        r0, r1, r2, r3 = _four(u, pm2, pm1, lo)
        grad[k, j] += gj * r0
        grad[k + 1, j] += gj * r1
        grad[k + 2, j] += gj * r2
        grad[k + 3, j] += gj * r3
        if hi is not None:
            r4, r5, r6, r7 = _four(u, r2, r3, hi)
            grad[k + 4, j] += gj * r4
            grad[k + 5, j] += gj * r5
            grad[k + 6, j] += gj * r6
            grad[k + 7, j] += gj * r7


@njit(cache=True, fastmath=_FM)
def _block(us, prev, out, k, lo, hi, coefs, acc, g, grad):
    """One block: its gradient rows (unless ``g`` is None), then its
    combination, each in a loop of its own."""
    if g is not None:
        _gradient_block(us, prev, k, lo, hi, g, grad)
    _combined_block(us, prev, out, k, lo, hi, coefs, acc)


@njit(cache=True, fastmath=_FM)
def three_term_rows(us, legendre, coefs, acc, state, g, grad):
    """``acc = sum_k coefs[k] * p_k(us)`` over all the rows and, unless
    ``g`` is None, ``grad[k] += g * p_k(us)``; ``state`` (2, 2, m) is
    scratch space."""
    R = coefs.shape[0]
    lo, hi = _steps(0, legendre, us), _steps(_HALF, legendre, us)
    if R == _HALF:
        _block(us, None, None, 0, lo, None, coefs, acc, g, grad)
        return
    if R == _ROWS:
        _block(us, None, None, 0, lo, hi, coefs, acc, g, grad)
        return
    # the blocks between read one half of ``state`` and write the other
    # (one array read and written in the loop would not vectorise)
    src, dst = state[0], state[1]
    _block(us, None, src, 0, lo, hi, coefs, acc, g, grad)
    k = _ROWS
    while R - k > _ROWS:
        lo, hi = _steps(k, legendre, us), _steps(k + _HALF, legendre, us)
        _block(us, src, dst, k, lo, hi, coefs, acc, g, grad)
        src, dst = dst, src
        k += _ROWS
    lo, hi = _steps(k, legendre, us), _steps(k + _HALF, legendre, us)
    if R - k == _ROWS:
        _block(us, src, None, k, lo, hi, coefs, acc, g, grad)
    else:
        _block(us, src, None, k, lo, None, coefs, acc, g, grad)


@njit(cache=True, fastmath=_FM)
def three_term_slope(us, p0, g, slope, dz):
    """``dz = g * F'(z)``, ``F'`` being ``slope`` times ``du/dz = (1 - u**2)
    p0``."""
    one = _as(1.0, p0)
    for j in range(us.shape[0]):
        u = us[j]
        dz[j] = g[j] * (slope[j] * ((one - u * u) * p0))
