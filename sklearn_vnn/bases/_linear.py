"""A linear term ``z`` added to any family: ``basis_params={'linear': True}``.

:class:`WithLinear` wraps a family of M functions and appends ``f_{M+1}(z)
= z``, so that ``F(z) = sum_k C_k f_k(z) + C_lin z``: a bounded family
(Fourier, the polynomials of ``tanh``, Gaussian bumps, B-splines) then
extrapolates as a straight line of slope ``C_lin`` rather than flattening
out, and the identity is exactly representable.
"""

import numpy as np

from sklearn_vnn.bases._base import Basis, _as_float
from sklearn_vnn.bases._candidates import CandidateBasis
from sklearn_vnn.bases._linear_map import PolynomialBasis
from sklearn_vnn.bases._writing import family_terms


def holds_linear_term(basis):
    """Whether ``basis`` already spans ``z`` exactly (a linear term would
    duplicate it): 'candidates' with 'identity', 'polynomial' with M >= 2
    (``z = scale * T_1 + centre * T_0``), or a family already wrapped."""
    if isinstance(basis, WithLinear):
        return True
    if isinstance(basis, CandidateBasis):
        return "identity" in basis.functions
    return isinstance(basis, PolynomialBasis) and basis.n_basis >= 2


class WithLinear(Basis):
    """A family plus the linear term ``z``: M + 1 functions.

    The functions are those of ``basis`` in its order, then ``z`` (slope 1)
    last; ``n_basis`` counts all M + 1, so an estimator's
    ``activation_coefs_`` has the linear coefficient in its last entry.
    Training delegates to the inner family's own (fused) path and adds
    ``C_lin * z`` to the activation and ``C_lin`` to its slope. The linear
    term costs no roughness (its row and column of the penalty matrix are
    0). The formula and the ONNX graph are the inner family's terms plus
    ``x`` (``Z``).

    The estimators build it from ``basis_params={'linear': True}``; for a
    family that already holds ``z`` exactly ('candidates' with
    'identity', 'polynomial' with M >= 2) that option changes nothing.

    Parameters
    ----------
    basis : Basis
        The inner family.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_vnn.bases import FourierBasis
    >>> basis = WithLinear(FourierBasis(2, scale=3.0))
    >>> basis.n_basis
    3
    >>> basis.numpy_terms("x")
    ['np.sin(np.pi*np.clip(x, -3, 3)/6)', 'np.cos(np.pi*np.clip(x, -3, 3)/6)', 'x']
    >>> np.round(basis.initial_coefficients("identity"), 12)
    array([0., 0., 1.])
    """

    def __init__(self, basis):
        if not isinstance(basis, Basis):
            raise TypeError(f"basis must be a Basis instance, got {basis!r}.")
        self.basis = basis
        self.n_basis = basis.n_basis + 1

    @property
    def scale(self):
        """The inner family's ``scale`` (the half-width of its design range)."""
        return self.basis.scale

    def design_range(self):
        """Give the inner family's design range.

        Returns
        -------
        lo, hi : float
            The range where initial activations are fitted.
        """
        return self.basis.design_range()

    def with_range(self, lo, hi):
        """Give the same family on a new design range.

        Parameters
        ----------
        lo, hi : float
            The new design range of the inner family.

        Returns
        -------
        basis : WithLinear
            The inner family's ``with_range(lo, hi)``, plus ``z``.
        """
        return type(self)(self.basis.with_range(lo, hi))

    # -- values, slopes, training -------------------------------------------
    def _evaluate(self, z, derivative):
        phi_in, dphi_in = self.basis.evaluate(z, derivative)
        phi = np.empty((self.n_basis,) + z.shape, dtype=phi_in.dtype)
        phi[:-1] = phi_in
        phi[-1] = z
        if not derivative:
            return phi, None
        dphi = np.empty_like(phi)
        dphi[:-1] = dphi_in
        dphi[-1] = 1.0
        return phi, dphi

    def activate(self, z, coef, need_backward=True, out=None):
        # the inner family's own activate (fused where it has one), plus
        # C_lin * z on F and C_lin on F'
        z = _as_float(z)
        coef = np.asarray(coef, dtype=z.dtype)
        if coef.shape[-1:] != (self.n_basis,):
            raise ValueError(
                f"coef must end in n_basis={self.n_basis}, got shape {coef.shape}."
            )
        inner, c_lin = coef[..., :-1], coef[..., -1]
        if not need_backward:
            line = z * c_lin  # before ``out`` (which may be z) is written
            A = self.basis.activate(z, inner, False, out=out)[0]
            A += line
            return A, None, None
        if out is not None:
            raise ValueError("out is only used with need_backward=False.")
        A, Phi_in, slope = self.basis.activate(z, inner, True)
        A += z * c_lin
        slope += c_lin
        Phi = np.empty((self.n_basis,) + z.shape, dtype=z.dtype)
        Phi[:-1] = Phi_in
        Phi[-1] = z
        return A, Phi, slope

    activate.__doc__ = Basis.activate.__doc__

    def roughness(self):
        return np.append(self.basis.roughness(), 0.0)

    def penalty_matrix(self):
        M = self.basis.n_basis
        R = np.zeros((M + 1, M + 1))
        R[:M, :M] = self.basis.penalty_matrix()
        return R

    def initial_coefficients(self, name, random_state=None):
        """Choose coefficients that make the combination start as ``name``.

        'identity' is the linear term alone; 'tanh', 'relu' and 'logistic'
        are fitted by least squares over the design range with the linear
        term among the functions; 'random' draws all M + 1 at random.

        Parameters
        ----------
        name : str
            One of 'tanh', 'relu', 'logistic', 'identity' or 'random'.
        random_state : int, Generator or None, default=None
            The random numbers of 'random'.

        Returns
        -------
        coef : ndarray of shape (M + 1,)
            The starting coefficients.
        """
        if name == "identity":
            coef = np.zeros(self.n_basis)
            coef[-1] = 1.0
            return coef
        return super().initial_coefficients(name, random_state)

    # -- written out --------------------------------------------------------
    def numpy_terms(self, x):
        # the inner family's own terms, then x
        return family_terms(self.basis, "numpy_terms", x) + [x]

    def onnx_terms(self, g, Z):
        # the inner family's own graph, then Z
        return family_terms(self.basis, "onnx_terms", g, Z) + [Z]

    def __eq__(self, other):
        if type(self) is not type(other):
            return NotImplemented
        return self.basis == other.basis

    __hash__ = None

    def __repr__(self):
        return f"{type(self).__name__}({self.basis!r})"
