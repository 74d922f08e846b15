"""Fourier rows for the compiled kernels: ``sin(kwz), cos(kwz)``, k = 1..K.

The first harmonic comes from a sine and cosine that vectorise (a Taylor
series after reduction, below), the others from the recurrence ``x_{k+1} =
2 cos(wz) x_k - x_{k-1}``, in blocks of four harmonics that live in
registers only: each block is combined with the coefficients (and, in
backward, added into the coefficient gradient) as it is built, so no row is
ever stored.
"""

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from sklearn_vnn._numba_common import _FM, _as, _coef

# numba keys a cached function on its own file's text: the digest of the
# file compiled in (see _numba_kernels) makes this one change with it
_INLINED_SOURCES = "924568e82b9289d0"


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
def first_harmonic(x, bias, w, end, sc):
    """``sc[0], sc[1] = sin(wz), cos(wz)`` of ``z = x + bias`` held within
    ``[-end, end]`` (end = inf: 'periodic')."""
    m = x.shape[0]
    if abs(w * end) <= _SMALL:
        # the held range (the default) needs no reduction
        for j in range(m):
            s, c = _sincos_small(_held(x[j] + bias[j], end) * w)
            sc[0, j] = s
            sc[1, j] = c
        return
    for j in range(m):
        s, c = _sincos(_held(x[j] + bias[j], end) * w)
        sc[0, j] = s
        sc[1, j] = c
    # huge or not finite: the library functions there (a count first, in a
    # loop that vectorises, keeps the usual case at full speed)
    big = _big(w)
    bad = 0
    for j in range(m):
        bad += not abs(_held(x[j] + bias[j], end) * w) < big
    if bad:
        for j in range(m):
            wz = _held(x[j] + bias[j], end) * w
            if not abs(wz) < big:
                sc[0, j] = math.sin(wz)
                sc[1, j] = math.cos(wz)


# Fourier rows come in blocks of _BLOCK (four harmonics), each built and
# used in registers: one loop over the units per block, no buffer of rows
# (the coefficients are zero past M). A block starts from the two harmonics
# before it, x_{k+1} = 2 cos(wz) x_k - x_{k-1}; the first from harmonics 0
# and -1 (sin: 0 and -sin(wz), cos: 1 and cos(wz)), which gives harmonic 1
# exactly. ``prev`` (rows: sin and cos of the harmonic two before, then of
# the one before) is None for the first block, ``out`` (where the next
# block finds them) None for the last: numba compiles each case apart, so
# that the loop has no branch and vectorises.
_BLOCK, _HALF = 8, 4


def n_fourier_rows(M):
    """The rows the kernels take for ``M`` functions: whole blocks, the last
    possibly a half one (the coefficients past M are zero)."""
    return _HALF * -(-M // _HALF)


@njit(cache=True, fastmath=_FM)
def _harmonics(sc, prev, j):
    """The four harmonics of a block (sin, cos of each) at unit ``j``."""
    s1, c1 = sc[0, j], sc[1, j]
    t = c1 + c1
    if prev is None:
        sa, ca, sb, cb = -s1, c1, _as(0.0, s1), _as(1.0, s1)
    else:
        sa, ca, sb, cb = prev[0, j], prev[1, j], prev[2, j], prev[3, j]
    r0 = t * sb - sa
    r1 = t * cb - ca
    r2 = t * r0 - sb
    r3 = t * r1 - cb
    r4 = t * r2 - r0
    r5 = t * r3 - r1
    r6 = t * r4 - r2
    r7 = t * r5 - r3
    return r0, r1, r2, r3, r4, r5, r6, r7


@njit(cache=True, fastmath=_FM)
def _half_harmonics(sc, prev, j):
    """The first two harmonics of a block, for a last block of four rows."""
    s1, c1 = sc[0, j], sc[1, j]
    t = c1 + c1
    if prev is None:
        sa, ca, sb, cb = -s1, c1, _as(0.0, s1), _as(1.0, s1)
    else:
        sa, ca, sb, cb = prev[0, j], prev[1, j], prev[2, j], prev[3, j]
    r0 = t * sb - sa
    r1 = t * cb - ca
    return r0, r1, t * r0 - sb, t * r1 - cb


@njit(cache=True, fastmath=_FM)
def _half_block(sc, prev, k, coefs, acc, g, grad):
    """A last block of four rows (two harmonics): its gradient rows (unless
    ``g`` is None), then its combination."""
    if g is not None:
        for j in range(g.shape[0]):
            r0, r1, r2, r3 = _half_harmonics(sc, prev, j)
            gj = g[j]
            grad[k, j] += gj * r0
            grad[k + 1, j] += gj * r1
            grad[k + 2, j] += gj * r2
            grad[k + 3, j] += gj * r3
    for j in range(acc.shape[0]):
        r0, r1, r2, r3 = _half_harmonics(sc, prev, j)
        v = _coef(coefs, k, j) * r0 + _coef(coefs, k + 1, j) * r1
        v += _coef(coefs, k + 2, j) * r2 + _coef(coefs, k + 3, j) * r3
        if prev is None:
            acc[j] = v
        else:
            acc[j] += v


@njit(cache=True, fastmath=_FM)
def _combined_block(sc, prev, out, k, coefs, acc):
    """``acc (+)= sum_r coefs[k + r] * row_{k + r}`` over the block's rows
    (``=`` for the first block)."""
    for j in range(acc.shape[0]):
        r0, r1, r2, r3, r4, r5, r6, r7 = _harmonics(sc, prev, j)
        v = _coef(coefs, k, j) * r0 + _coef(coefs, k + 1, j) * r1
        v += _coef(coefs, k + 2, j) * r2 + _coef(coefs, k + 3, j) * r3
        v += _coef(coefs, k + 4, j) * r4 + _coef(coefs, k + 5, j) * r5
        v += _coef(coefs, k + 6, j) * r6 + _coef(coefs, k + 7, j) * r7
        if prev is None:
            acc[j] = v
        else:
            acc[j] += v
        if out is not None:
            out[0, j] = r4
            out[1, j] = r5
            out[2, j] = r6
            out[3, j] = r7


@njit(cache=True, fastmath=_FM)
def _gradient_block(sc, prev, k, g, grad, coefs, acc):
    """``grad[k + r] += g * row_{k + r}`` over the block's rows and, unless
    ``coefs`` is None, ``acc = sum_r coefs[k + r] * row_{k + r}`` for a
    shared combination (1-d ``coefs``) in the same loop: only for a lone
    block, as more arrays in this loop would stop it vectorising."""
    if coefs is not None:
        c0, c1, c2, c3 = coefs[k], coefs[k + 1], coefs[k + 2], coefs[k + 3]
        c4, c5, c6, c7 = coefs[k + 4], coefs[k + 5], coefs[k + 6], coefs[k + 7]
    for j in range(g.shape[0]):
        r0, r1, r2, r3, r4, r5, r6, r7 = _harmonics(sc, prev, j)
        gj = g[j]
        grad[k, j] += gj * r0
        grad[k + 1, j] += gj * r1
        grad[k + 2, j] += gj * r2
        grad[k + 3, j] += gj * r3
        grad[k + 4, j] += gj * r4
        grad[k + 5, j] += gj * r5
        grad[k + 6, j] += gj * r6
        grad[k + 7, j] += gj * r7
        if coefs is not None:
            v = c0 * r0 + c1 * r1
            v += c2 * r2 + c3 * r3
            v += c4 * r4 + c5 * r5
            acc[j] = v + (c6 * r6 + c7 * r7)


@njit(cache=True, fastmath=_FM)
def _block(sc, prev, out, k, coefs, acc, g, grad):
    """One block: its gradient rows (unless ``g`` is None), then its
    combination, each in a loop of its own."""
    if g is not None:
        _gradient_block(sc, prev, k, g, grad, None, None)
    _combined_block(sc, prev, out, k, coefs, acc)


def _lone_block(sc, coefs, acc, g, grad):
    """The rows when they make one block: :func:`_block`, or for a shared
    combination with a gradient, both in one loop."""


@overload(_lone_block, jit_options={"fastmath": _FM})
def _lone_block_overload(sc, coefs, acc, g, grad):
    if coefs.ndim == 1 and not isinstance(g, types.NoneType):

        def fused(sc, coefs, acc, g, grad):
            _gradient_block(sc, None, 0, g, grad, coefs, acc)

        return fused

    def apart(sc, coefs, acc, g, grad):
        _block(sc, None, None, 0, coefs, acc, g, grad)

    return apart


@njit(cache=True, fastmath=_FM)
def fourier_rows(sc, coefs, acc, state, g, grad):
    """``acc = sum_k coefs[k] * row_k`` over all the Fourier rows and,
    unless ``g`` is None, ``grad[k] += g * row_k``; ``sc`` holds sin and
    cos of the first harmonic, ``state`` (2, 4, m) is scratch space."""
    R = coefs.shape[0]
    if R == _HALF:
        _half_block(sc, None, 0, coefs, acc, g, grad)
        return
    if R == _BLOCK:
        _lone_block(sc, coefs, acc, g, grad)
        return
    # the blocks between read one half of ``state`` and write the other
    # (one array read and written in the loop would not vectorise)
    src, dst = state[0], state[1]
    _block(sc, None, src, 0, coefs, acc, g, grad)
    last = R - _BLOCK if R % _BLOCK == 0 else R - _HALF
    for k in range(_BLOCK, last, _BLOCK):
        _block(sc, src, dst, k, coefs, acc, g, grad)
        src, dst = dst, src
    if R % _BLOCK == 0:
        _block(sc, src, None, last, coefs, acc, g, grad)
    else:
        _half_block(sc, src, last, coefs, acc, g, grad)


@njit(cache=True, fastmath=_FM)
def fourier_slope(x, bias, end, g, slope, dz):
    """``dz = g * F'(z)``: ``F'`` is ``slope`` inside the held range, 0
    beyond it (and for NaN: the chain factor is the range's indicator)."""
    for j in range(x.shape[0]):
        z = x[j] + bias[j]
        inside = _as(1.0, z) if (z >= -end and z <= end) else _as(0.0, z)
        dz[j] = g[j] * (slope[j] * inside)
