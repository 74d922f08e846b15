"""The optimisers' steps in one compiled pass (the optional ``fast`` extra).

:mod:`sklearn_vnn._optimizers` updates the flat parameter vector with about
a dozen NumPy passes per step (Adam), each reading and writing the whole
vector; here each step reads every parameter, gradient and moment once, on
the kernels' threads. The arithmetic is NumPy's, operation by operation in
the same order and the same dtype, without fused multiply-adds: both paths
give the same bits. Every element is updated on its own, so the split into
tasks changes nothing either.

Each task runs a plain loop over its own slices (in a function of its own:
such a loop vectorises, one written in the parallel loop's body does not);
a division by zero gives inf or NaN as in NumPy (``error_model='numpy'``,
also what lets the division vectorise), and the square root is LLVM's
(the correctly rounded one, as NumPy's, and one that vectorises, unlike
the C library's).
"""

from numba import njit, prange
from numba.extending import intrinsic

# elements per task: large enough that starting a task costs little
_CHUNK = 8192


def tasks(size):
    """Number of tasks for a vector of ``size`` elements."""
    return max(1, min(64, size // _CHUNK))


@intrinsic
def _sqrt(typingctx, x):
    """IEEE square root (``llvm.sqrt``): NaN for negative x, as NumPy's."""

    def codegen(context, builder, signature, args):
        root = builder.module.declare_intrinsic("llvm.sqrt", [args[0].type])
        return builder.call(root, args)

    return x(x), codegen


@njit(cache=True, error_model="numpy")
def _adam(theta, grad, m, v, beta_1, beta_2, one_minus_beta_2, epsilon, rate):
    for i in range(theta.shape[0]):
        g = grad[i]
        mi = (m[i] - g) * beta_1 + g
        vi = v[i] * beta_2 + (g * g) * one_minus_beta_2
        m[i] = mi
        v[i] = vi
        theta[i] -= mi / (_sqrt(vi) + epsilon) * rate


@njit(parallel=True, cache=True)
def adam(theta, grad, m, v, beta_1, beta_2, one_minus_beta_2, epsilon, rate, tasks):
    """One Adam step in place (``Adam.step``, whose order of operations it
    keeps): ``m <- (m - g) b1 + g``, ``v <- v b2 + g**2 (1 - b2)``, ``theta
    -= rate m / (sqrt(v) + eps)``; the constants are in the data's dtype
    (``1 - b2`` computed in float64 first, as NumPy does)."""
    n = theta.shape[0]
    for b in prange(tasks):
        lo, hi = b * n // tasks, (b + 1) * n // tasks
        _adam(
            theta[lo:hi], grad[lo:hi], m[lo:hi], v[lo:hi],
            beta_1, beta_2, one_minus_beta_2, epsilon, rate,
        )  # fmt: skip


@njit(cache=True)
def _sgd(theta, grad, velocity, momentum, rate, nesterov):
    for i in range(theta.shape[0]):
        step = grad[i] * rate
        vi = velocity[i] * momentum - step
        velocity[i] = vi
        if nesterov:
            theta[i] = (theta[i] - step) + vi * momentum
        else:
            theta[i] += vi


@njit(parallel=True, cache=True)
def sgd(theta, grad, velocity, momentum, rate, nesterov, tasks):
    """One momentum step in place (``SGD.step``, same order of operations):
    ``v <- v mu - rate g``; ``theta += v``, or with Nesterov ``theta <-
    (theta - rate g) + mu v``."""
    n = theta.shape[0]
    for b in prange(tasks):
        lo, hi = b * n // tasks, (b + 1) * n // tasks
        _sgd(theta[lo:hi], grad[lo:hi], velocity[lo:hi], momentum, rate, nesterov)
