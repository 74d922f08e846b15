"""When the fused numba kernels run, and how a layer is handed to them.

With numba installed (``pip install "sklearn-vnn[fast]"``), the families
that build their basis by a recurrence ('fourier', 'chebyshev', 'legendre',
'polynomial') run each layer's activation in one compiled pass per row of
samples, on as many threads as BLAS may use (so threadpoolctl's and
joblib's limits hold), and training stores no basis values: backward builds
them again (see :mod:`sklearn_vnn._numba_kernels`). Everything else, and
every family when numba is missing, takes the NumPy path of
:meth:`sklearn_vnn.bases.Basis.activate`; both give the same numbers to
rounding.

The environment variable ``SKLEARN_VNN_KERNELS`` chooses: ``auto`` (the
default: numba when it is installed), ``numba`` (an error without it) or
``numpy``.
"""

import functools
import os

import numpy as np

from sklearn_vnn.bases import (
    ChebyshevBasis,
    FourierBasis,
    LegendreBasis,
    PolynomialBasis,
)

ENVIRONMENT_VARIABLE = "SKLEARN_VNN_KERNELS"
_MODES = ("auto", "numba", "numpy")

# the rows of samples are split evenly into tasks that depend on n_samples
# only (at most _MAX_TASKS of them, of at least _MIN_ROWS rows, and a
# multiple of 8 when there are 8 or more, so that 2, 4 or 8 threads share
# them evenly: a batch of 200 rows makes 8 tasks of 25), so sums over tasks,
# and so results, do not depend on the number of threads
_MIN_ROWS, _MAX_TASKS = 16, 32


def kernel_mode():
    """The kernels asked for by ``SKLEARN_VNN_KERNELS`` (default 'auto')."""
    mode = os.environ.get(ENVIRONMENT_VARIABLE, "auto").strip().lower() or "auto"
    if mode not in _MODES:
        raise ValueError(
            f"{ENVIRONMENT_VARIABLE} must be one of {', '.join(_MODES)}; got {mode!r}."
        )
    return mode


@functools.cache
def _compiled():
    """The kernel module, or None when numba cannot be imported."""
    try:
        from sklearn_vnn import _numba_kernels
    except ImportError:
        return None
    return _numba_kernels


@functools.cache
def _compiled_steps():
    # imported with _numba_kernels' numba: None exactly when that one is
    try:
        from sklearn_vnn import _numba_steps
    except ImportError:
        return None
    return _numba_steps


def steps():
    """The optimisers' compiled steps (:mod:`sklearn_vnn._numba_steps`), set
    to run on the kernels' threads, or None when the kernels are not in use
    (the optimisers then take their NumPy passes)."""
    if not available():
        return None
    _use_blas_threads()
    return _compiled_steps()


def available():
    """Whether the numba kernels are installed and may be used.

    Returns
    -------
    available : bool
        False when ``SKLEARN_VNN_KERNELS=numpy`` or numba is missing.

    Raises
    ------
    ImportError
        ``SKLEARN_VNN_KERNELS=numba`` without numba.
    """
    mode = kernel_mode()
    if mode == "numpy":
        return False
    if _compiled() is None:
        if mode == "numba":
            raise ImportError(
                f"{ENVIRONMENT_VARIABLE}=numba needs numba: install it with "
                "pip install 'sklearn-vnn[fast]', or unset the variable."
            )
        return False
    return True


class _Family:
    """A basis as the kernels see it: id, two numbers, rows, and whether the
    forward kernel maps its input (keeping the mapped values for backward)."""

    def __init__(self, basis, family, p0, p1, n_rows, maps=False):
        self.basis = basis
        self.family, self.p0, self.p1 = family, float(p0), float(p1)
        self.n_rows = n_rows
        self.maps = maps  # forward overwrites Z with u = tanh(z / scale)

    @classmethod
    def of(cls, basis):
        """The kernels' view of ``basis``, or None if they do not cover it.

        Only the exact classes count: a subclass may change the values.
        """
        k = _compiled()
        M = basis.n_basis
        kind = type(basis)
        if kind is FourierBasis:
            end = basis.scale if basis.extrapolation == "constant" else np.inf
            rows = k.n_fourier_rows(M)
            return cls(basis, k.FOURIER, basis.frequency, end, rows)
        if kind is PolynomialBasis:
            return cls(basis, k.POLYNOMIAL, basis.centre, 1.0 / basis.scale, M + 2)
        if kind in (ChebyshevBasis, LegendreBasis):
            family = k.CHEBYSHEV if kind is ChebyshevBasis else k.LEGENDRE
            rows = k.n_three_term_rows(M)
            return cls(basis, family, 1.0 / basis.scale, 0.0, rows, maps=True)
        return None


def family_of(basis):
    """The kernels' view of ``basis``, or None when the NumPy path runs.

    Parameters
    ----------
    basis : bases.Basis

    Returns
    -------
    family : _Family or None
    """
    if not available():
        return None
    return _Family.of(basis)


@functools.cache
def _blas():
    # the network's one threadpoolctl view of BLAS (imported here: the
    # network imports this module)
    from sklearn_vnn._network import _blas_controller

    return _blas_controller().select(user_api="blas")


def _use_blas_threads():
    """Run the kernels on as many threads as BLAS may use now."""
    import numba

    threads = [lib.num_threads for lib in _blas().lib_controllers]
    n = min([numba.config.NUMBA_NUM_THREADS, *threads])
    numba.set_num_threads(max(1, n))


def _tasks(n_samples):
    tasks = min(_MAX_TASKS, max(1, n_samples // _MIN_ROWS))
    return tasks - tasks % 8 if tasks >= 8 else tasks


def _columns(coef, dtype, n_rows):
    """Coefficients as the kernels read them, over the ``n_rows`` rows the
    family builds (zeros past the coefficients given): (n_rows,) for a
    shared combination, (n_rows, n_units) per unit; in the data's dtype (the
    kernels compute in it)."""
    coef = np.asarray(coef, dtype=dtype)
    out = np.zeros((n_rows, *coef.shape[:-1]), dtype=dtype)
    out[: coef.shape[-1]] = coef.T
    return out


def activate(family, Z, C, out=None, bias=None, check=None):
    """``F(Z + bias)`` by the forward kernel; ``Z`` (2-d, C-contiguous) may be
    overwritten.

    Parameters
    ----------
    family : _Family
    Z : ndarray of shape (n_samples, n_units)
    C : ndarray of shape (M,) or (n_units, M)
    out : ndarray of shape Z.shape, default=None
        Where to write ``A``; may be ``Z``.
    bias : ndarray of shape (n_units,), default=None
        The layer's intercepts: the kernel adds them as it reads ``Z``,
        which saves a pass over the layer. ``Z`` keeps its values without
        them, or for Chebyshev and Legendre gets ``u = tanh(z / scale)``
        (the kernels' input to backward).
    check : _range_check.LayerCheck, default=None
        The layer's range check (on ``z``), done in the same pass.

    Returns
    -------
    A : ndarray of shape Z.shape
    saved : Saved
        What backward needs: the kernels' input and the intercepts.
    """
    n, m = Z.shape
    dtype = Z.dtype
    none = np.zeros(0, dtype=dtype)
    low, high, rows = none, none, np.zeros(0, dtype=bool)
    if check is not None:
        low, high = check.limits(dtype)
        rows = np.empty(n, dtype=bool)
    bias = np.zeros(m, dtype) if bias is None else np.asarray(bias, dtype=dtype)
    A = np.empty_like(Z) if out is None else out
    _use_blas_threads()
    M = family.basis.n_basis
    kind = dtype.type
    coefs = _columns(C, dtype, family.n_rows)
    _compiled().forward(
        Z, bias, family.family, kind(family.p0), kind(family.p1), M, coefs, A,
        A is not Z, _tasks(n), low, high, rows,
    )  # fmt: skip
    if check is not None:
        check.record(rows)
    # backward reads the mapped families' u, which holds the intercepts
    return A, Saved(family, Z, C, np.zeros(m, dtype) if family.maps else bias)


def rows_out_of_range(Z, low, high, out):
    """Flag the rows of ``Z`` with an entry outside ``[low, high]``, in one
    pass on the kernels' threads; False when the kernels are not in use (the
    caller then does it with NumPy).

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
    low, high : ndarray of shape (n_units,)
        In ``Z``'s dtype.
    out : ndarray of shape (n_samples,), dtype bool
        Overwritten with the flags.

    Returns
    -------
    done : bool
    """
    if not (available() and Z.ndim == 2 and Z.flags.c_contiguous):
        return False
    _use_blas_threads()
    _compiled().rows_out_of_range(Z, low, high, out)
    return True


class Saved:
    """What backward needs from a layer run by the kernels: its input only.

    Parameters
    ----------
    family : _Family
    X : ndarray of shape (n_samples, n_units)
        The kernels' input (see :func:`activate`).
    C : ndarray of shape (M,) or (n_units, M)
        The coefficients (a view: unchanged until backward runs).
    bias : ndarray of shape (n_units,)
        What the kernels add to ``X`` (zeros if ``X`` has its intercepts).
    """

    def __init__(self, family, X, C, bias):
        self.family, self.X, self.C, self.bias = family, X, C, bias

    def gradients(self, dA, out=None):
        """``dZ = dA * F'(Z)`` and ``dLoss/dC``, from one backward kernel pass.

        Parameters
        ----------
        dA : ndarray of shape (n_samples, n_units)
        out : ndarray, default=None
            Where to write ``dZ``; may be ``dA``.

        Returns
        -------
        dZ : ndarray of shape (n_samples, n_units)
        dC : ndarray of shape C.shape
            ``sum dA * Phi`` over samples and units (shared ``C``, eqs. 6
            and 12) or over samples per unit (eqs. 15, 19, 20).
        """
        family, X, C = self.family, self.X, self.C
        n, m = X.shape
        M = family.basis.n_basis
        kind = X.dtype.type
        partial = np.zeros((_tasks(n), family.n_rows, m), dtype=X.dtype)
        slopes = family.basis._slope_coefficients(np.asarray(C))
        slopes = _columns(slopes, X.dtype, family.n_rows)
        dA = np.ascontiguousarray(dA, dtype=X.dtype)
        dZ = np.empty_like(dA) if out is None else out
        _use_blas_threads()
        _compiled().backward(
            X, self.bias, family.family, kind(family.p0), kind(family.p1), M,
            slopes, dA, dZ, partial,
        )  # fmt: skip
        per_unit = partial[:, :M].sum(axis=0, dtype=np.float64)  # (M, n_units)
        dC = per_unit.sum(axis=1) if np.ndim(C) == 1 else per_unit.T
        return dZ, dC
