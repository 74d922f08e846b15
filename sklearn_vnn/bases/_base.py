"""The base class of every basis family, and the fused evaluation path.

A learned activation is ``F(z) = sum_{k=1..M} C_k f_k(z)`` (paper, Sec. II,
the expansion below eq. 1). A *basis family* supplies the M fixed functions
``f_k`` and their derivatives ``f_k'``; the network supplies ``C``.

:class:`Basis` holds what all families share: the public evaluation
methods, the fused :meth:`Basis.activate` used in training, least-squares
projection onto a target, the roughness penalty, and the contract of the
two writers a family may provide (:meth:`Basis.numpy_terms` for
``activation_formula``, :meth:`Basis.onnx_terms` for ONNX export).
"""

import functools
import numbers

import numpy as np

from sklearn_vnn.bases._activations import TARGET_ACTIVATIONS


class Basis:
    """Base class of a family of M fixed functions of one variable.

    A family is one subclass. It must implement :meth:`_evaluate` (the
    values and slopes of its M functions); that is all training needs.
    It may also give :meth:`numpy_terms` (for ``activation_formula``),
    :meth:`onnx_terms` (for ONNX export), its own :meth:`roughness` or
    :meth:`penalty_matrix`, and a fused fast path (``_fill`` and
    ``_slope_coefficients``). Everything else (the public
    ``value``/``derivative`` methods, :meth:`activate`, least-squares
    projection) is shared. ``sklearn_vnn.bases.register_basis`` gives the
    family a name for the estimators' ``basis`` parameter.

    Parameters
    ----------
    n_basis : int
        M, the number of functions in the family.
    scale : float, default=3.0
        Half-width of the design range ``[-scale, scale]``: the range of
        pre-activations the family is built to resolve, and the range over
        which ``activation_init`` fits the starting activation.

    Examples
    --------
    A family of one's own: powers of ``tanh(z)``, values and slopes.

    >>> import numpy as np
    >>> class Powers(Basis):
    ...     def _evaluate(self, z, derivative):
    ...         k = np.arange(self.n_basis).reshape((-1,) + (1,) * z.ndim)
    ...         u = np.tanh(z)
    ...         dphi = k * u ** np.maximum(k - 1, 0) * (1 - u * u)
    ...         return u**k, (dphi if derivative else None)
    >>> Powers(3).value(np.array([0.0, 1.0])).round(3)
    array([[1.   , 0.   , 0.   ],
           [1.   , 0.762, 0.58 ]])
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
        """Penalty weight of each basis function.

        ``activation_alpha`` penalises ``0.5 * sum_k r_k C_k**2`` (a ridge
        weighted so that rough functions cost more). The default weights all
        functions equally.

        Returns
        -------
        r : ndarray of shape (M,)
            The weight ``r_k`` of each function.
        """
        return np.ones(self.n_basis)

    def penalty_matrix(self):
        """Symmetric positive semi-definite R of the coefficient penalty.

        The penalty on one coefficient vector is ``0.5 * C @ R @ C`` and its
        gradient is ``R @ C``. The default is ``diag(roughness())``.

        Returns
        -------
        R : ndarray of shape (M, M)
            The penalty matrix.
        """
        return np.diag(self.roughness())

    # -- the family written out (optional) --------------------------------
    def numpy_terms(self, x):
        """Each basis function ``f_k`` as a numpy expression in ``x``.

        Used by ``activation_formula``. A family that does not define it
        still trains; writing its formula raises a TypeError naming this
        method.

        Parameters
        ----------
        x : str
            The name (or a parenthesised expression) of the variable.

        Returns
        -------
        terms : list of str of length M
            Expressions that numpy evaluates (``np`` is numpy) to
            ``f_k(x)``, in the family's order.
        """
        raise TypeError(f"{type(self).__name__} does not define numpy_terms(x).")

    def onnx_terms(self, g, Z):
        """Build each basis function ``f_k(Z)`` in an ONNX graph.

        Used by :mod:`sklearn_vnn.onnx`. A family that does not define it
        still trains; exporting it raises a TypeError naming this method.

        Parameters
        ----------
        g : graph builder
            Adds nodes to the graph and returns the name of their output:
            ``g.op(op_type, inputs, **attrs)`` for any ONNX operator,
            ``g.const(value)`` for a constant in the graph's float dtype,
            and the shorthands ``g.add``, ``g.sub``, ``g.mul`` (operands
            are tensor names or Python numbers) and ``g.ones_like``.
        Z : str
            The name of the pre-activation tensor.

        Returns
        -------
        terms : list of str of length M
            The names of the tensors ``f_k(Z)``, in the family's order.
        """
        raise TypeError(f"{type(self).__name__} does not define onnx_terms(g, Z).")

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
        """Evaluate all M functions (and their slopes), basis-major.

        Each basis function is one contiguous block of the result, so that
        combining them with coefficients is one matrix product.

        Parameters
        ----------
        z : array-like of any shape
            Pre-activations (integers are taken as float64).
        derivative : bool, default=True
            Whether to compute the derivatives as well.

        Returns
        -------
        phi : ndarray of shape (M,) + z.shape
            ``phi[k] = f_k(z)``, in the floating dtype of ``z``.
        dphi : ndarray of shape (M,) + z.shape, or None
            ``dphi[k] = f_k'(z)`` when ``derivative`` is True.
        """
        return self._evaluate(_as_float(z), derivative)

    def activate(self, z, coef, need_backward=True, out=None):
        """Compute ``F(z) = sum_k C_k f_k(z)`` with what backpropagation needs.

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
        """Evaluate every ``f_k(z)``, with the functions on the last axis.

        Parameters
        ----------
        z : array-like of any shape
            Pre-activations.

        Returns
        -------
        phi : ndarray of shape z.shape + (M,)
            ``phi[..., k] = f_k(z)`` (a view of :meth:`evaluate`'s values).
        """
        phi, _ = self.evaluate(z, derivative=False)
        return np.moveaxis(phi, 0, -1)

    def derivative(self, z):
        """Evaluate every slope ``f_k'(z)``, with the functions on the last axis.

        Parameters
        ----------
        z : array-like of any shape
            Pre-activations.

        Returns
        -------
        dphi : ndarray of shape z.shape + (M,)
            ``dphi[..., k] = f_k'(z)``.
        """
        _, dphi = self.evaluate(z, derivative=True)
        return np.moveaxis(dphi, 0, -1)

    # -- fitting a target function --------------------------------------
    def with_range(self, lo, hi):
        """Give the same family on a design range covering ``[lo, hi]``.

        The default family is centred on 0: its new range is ``[-scale,
        scale]`` with ``scale = max(|lo|, |hi|)``; families with a
        frequency or a domain of their own override this.

        Parameters
        ----------
        lo, hi : float
            The range to cover, ``lo < hi``.

        Returns
        -------
        basis : Basis
            A copy with the new ``scale``.
        """
        from sklearn_vnn.bases._ranges import rescaled  # it builds on Basis

        return rescaled(self, lo, hi)

    def design_range(self):
        """Give the range where initial activations are fitted.

        Returns
        -------
        lo, hi : float
            ``-scale`` and ``scale``.
        """
        return -self.scale, self.scale

    def project(self, func, lo=None, hi=None, n_points=512, free_constant=True):
        """Fit ``sum_k C_k f_k`` to ``func`` on ``[lo, hi]`` by least squares.

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
            The coefficients C.
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
        """Choose coefficients that make the combination start as ``name``.

        Parameters
        ----------
        name : str
            One of 'tanh', 'relu', 'logistic', 'identity' (fitted by
            :meth:`project` over :meth:`design_range`) or 'random'
            (independent normal draws of variance ``1 / M``).
        random_state : int, Generator or None, default=None
            The random numbers of 'random'.

        Returns
        -------
        coef : ndarray of shape (M,)
            The starting coefficients.
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
