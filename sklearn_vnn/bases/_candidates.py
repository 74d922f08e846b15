"""The 'candidates' basis: classic activations, combined linearly."""

import numbers

import numpy as np

from sklearn_vnn.bases._activations import ACTIVATIONS, CANDIDATE_FUNCTIONS
from sklearn_vnn.bases._base import Basis


class CandidateBasis(Basis):
    """A dictionary of classic activations, combined linearly.

    By default the first ``n_basis`` of :data:`CANDIDATE_FUNCTIONS`
    (``identity, relu, tanh, logistic, softplus, silu, sin, cos, gaussian
    (exp(-z**2/2)), elu, abs``: every activation of the one table
    ``ACTIVATIONS``, which also writes their formulas and ONNX graphs); pass
    ``functions=[...]`` to choose (then ``n_basis`` must equal its length,
    or be left to it). ``activation_init`` naming a member of the dictionary
    selects it exactly (a one-hot coefficient vector), so a frozen VNN with
    this basis *is* a conventional network.

    Parameters
    ----------
    n_basis : int or None, default=None
        M: the first M activations of the table, or the length of
        ``functions`` (None: all of them, or all of ``functions``).
    scale : float, default=3.0
        Half-width of the design range ``[-scale, scale]``.
    functions : sequence of str or None, default=None
        The activations to combine, by name, in this order.

    Examples
    --------
    >>> import numpy as np
    >>> basis = CandidateBasis(functions=["relu", "tanh"])
    >>> basis.numpy_terms("x")
    ['np.maximum(x, 0)', 'np.tanh(x)']
    >>> basis.initial_coefficients("tanh")
    array([0., 1.])
    """

    def __init__(self, n_basis=None, scale=3.0, functions=None):
        if functions is None:
            if n_basis is None:
                n_basis = len(CANDIDATE_FUNCTIONS)
            if isinstance(n_basis, numbers.Integral) and n_basis > len(
                CANDIDATE_FUNCTIONS
            ):
                raise ValueError(
                    f"The 'candidates' basis has {len(CANDIDATE_FUNCTIONS)} "
                    f"functions; got n_basis={n_basis}."
                )
            functions = CANDIDATE_FUNCTIONS[: int(n_basis)] if n_basis else ()
        functions = tuple(functions)
        unknown = [f for f in functions if f not in CANDIDATE_FUNCTIONS]
        if unknown:
            raise ValueError(
                f"Unknown candidate functions {unknown}; choose from "
                f"{list(CANDIDATE_FUNCTIONS)}."
            )
        if len(set(functions)) != len(functions):
            raise ValueError(f"Candidate functions must be distinct, got {functions}.")
        if n_basis is None:
            n_basis = len(functions)
        if n_basis != len(functions):
            raise ValueError(
                f"n_basis={n_basis} does not match the {len(functions)} "
                f"candidate functions {list(functions)}."
            )
        super().__init__(n_basis, scale)
        self.functions = functions

    def _evaluate(self, z, derivative):
        phi = np.empty((self.n_basis,) + z.shape, dtype=z.dtype)
        dphi = np.empty_like(phi) if derivative else None
        for k, name in enumerate(self.functions):
            val, slope = ACTIVATIONS[name].value_and_slope(z)
            phi[k] = val
            if derivative:
                dphi[k] = slope
        return phi, dphi

    def initial_coefficients(self, name, random_state=None):
        if name in self.functions:
            coef = np.zeros(self.n_basis)
            coef[self.functions.index(name)] = 1.0
            return coef
        return super().initial_coefficients(name, random_state)

    def numpy_terms(self, x):
        # each activation's numpy expression, from the table
        return [ACTIVATIONS[name].numpy_expression(x) for name in self.functions]

    def onnx_terms(self, g, Z):
        # each activation's ONNX graph, from the table
        return [ACTIVATIONS[name].onnx(g, Z) for name in self.functions]
