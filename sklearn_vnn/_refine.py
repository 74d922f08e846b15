"""Moving a learned activation without changing the network: range
adaptation (``adapt_range``) and the refinement ladder (``warm_start`` with
another basis).

Both rest on one step: least-squares coefficients of a basis that
reproduce a given activation ``F`` on an interval (``bases.reproject`` and
:func:`_fit_shifted`), as KAN's grid update does for its splines.

- **Range adaptation.** A family resolves its design range ``[lo, hi]``
  (``basis.design_range()``) best; pre-activations that drift out of it
  meet the family's continuation (periodic, saturated or linear). At the
  start of every ``fit`` (not ``partial_fit``) with ``adapt_range=True``,
  each hidden layer (each neuron in 'neuron' scope) gets the affine map
  ``z' = a z + c`` that sends the 1st-99th percentiles of its
  pre-activations, widened by ``_WIDEN`` of their width on each side, onto
  the design range. The map is folded into the layer's weights and
  intercepts (``W' = a W``, ``b' = a b + c``), and the coefficients are
  re-projected so that ``F'(z') = F(z)`` wherever the old design range and
  the new one overlap (to rounding where ``F`` is representable there, as
  for 'polynomial'). The prior of ``activation_alpha`` keeps its centre.
- **Refinement ladder.** A warm-started ``fit`` whose ``basis``, ``n_basis``
  or ``basis_params`` changed projects every learned activation onto the
  new basis over the range its training pre-activations covered, and goes
  on from there, as KAN refines its grid (5 -> 10 -> 20).
"""

import numpy as np

from sklearn_vnn._ranges import preactivation_pass
from sklearn_vnn.bases import make_basis, reproject

# the share of the percentile range added on each side before mapping it
# onto the design range: the tails beyond the 1st and 99th percentiles
_WIDEN = 0.1
_GRID = 256


def hidden_preactivations(est, X):
    """Each hidden layer's pre-activations on at most 1000 rows of ``X``."""
    out = []
    preactivation_pass(est, X, lambda layer, Z: out.append(np.array(Z, dtype=float)))
    return out


def _fit_shifted(basis, C, a, c, lo, hi):
    """Coefficients ``C'`` with ``sum C'_k f_k(z') = sum C_k f_k((z' - c) / a)``
    on ``z'`` in ``[lo, hi]`` (least squares on a grid), shape of ``C``."""
    grid = np.linspace(lo, hi, _GRID)
    design = basis.value(grid)  # (grid, M)
    target = basis.value((grid - c) / a) @ C
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    return coef


def adapt_ranges(est, X):
    """Map every hidden layer's pre-activations onto the design range.

    Changes ``est``'s weights, intercepts and hidden coefficients in place
    (they are views of one flat vector) so that the network's function is
    unchanged where old and new ranges overlap.

    Parameters
    ----------
    est : BaseVNN
        Initialised (or fitted) estimator.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Validated training input.
    """
    basis = est.basis_
    lo, hi = basis.design_range()
    neuron = est.activation_scope == "neuron"
    # layer by layer: each map changes the next layer's pre-activations
    for layer in range(len(est.activation_coefs_)):
        Z = hidden_preactivations(est, X)[layer]
        if neuron:
            p_lo, p_hi = np.percentile(Z, [1, 99], axis=0)
        else:
            p_lo, p_hi = np.percentile(Z, [1, 99])
        width = np.maximum(p_hi - p_lo, 1e-12)
        p_lo, p_hi = p_lo - _WIDEN * width, p_hi + _WIDEN * width
        a = (hi - lo) / (p_hi - p_lo)
        c = lo - a * p_lo
        W, b, C = (
            est.coefs_[layer],
            est.intercepts_[layer],
            est.activation_coefs_[layer],
        )
        # where old (z in [lo, hi]) and new (z' in [lo, hi]) ranges overlap
        o_lo = np.maximum(lo, a * lo + c)
        o_hi = np.minimum(hi, a * hi + c)
        if neuron:
            for j in range(C.shape[0]):
                if o_hi[j] > o_lo[j]:
                    C[j] = _fit_shifted(basis, C[j], a[j], c[j], o_lo[j], o_hi[j])
        elif o_hi > o_lo:
            C[...] = _fit_shifted(basis, C, a, c, o_lo, o_hi)
        W *= np.asarray(a, dtype=W.dtype)
        b *= np.asarray(a, dtype=b.dtype)
        b += np.asarray(c, dtype=b.dtype)


def change_basis(est, X):
    """Project every learned activation onto the basis the parameters now
    name; returns the new basis and the new hidden and output coefficients.

    The hidden activations are fitted over the range their training
    pre-activations cover (per neuron in 'neuron' scope), the output
    combination over the new basis's design range.

    Parameters
    ----------
    est : BaseVNN
        Fitted with the old basis (``est.basis_``).
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Validated training input.

    Returns
    -------
    basis : Basis
    hidden_C : list of ndarray
    output_C : ndarray or None
    centre : ndarray
        The prior's centre, projected likewise.
    """
    old = est.basis_
    new = make_basis(est.basis, est.n_basis, est.basis_params)
    neuron = est.activation_scope == "neuron"
    hidden_C, centre = [], []
    starts = est.activation_init_coefs_
    for Z, C, C0 in zip(hidden_preactivations(est, X), est.activation_coefs_, starts):
        if neuron:
            lo, hi = Z.min(axis=0), Z.max(axis=0)
        else:
            lo, hi = Z.min(), Z.max()
        hi = np.maximum(hi, lo + 1e-12)
        hidden_C.append(reproject(old, C, new, lo, hi))
        centre.append(reproject(old, C0, new, lo, hi))
    output_C = None
    if est.output_activation_coefs_ is not None:
        lo, hi = new.design_range()
        output_C = reproject(old, est.output_activation_coefs_, new, lo, hi)
        centre.append(new.initial_coefficients("identity"))
    return new, hidden_C, output_C, centre
