"""What the compiled kernels share: their fastmath flags, dtype-true
constants and coefficient look-up (the ``fast`` extra's numba)."""

from numba import types
from numba.extending import overload

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
