"""The Jacobian of the network output with respect to every parameter.

A least-squares solver (Gauss-Newton, Levenberg-Marquardt) needs, for every
sample ``i`` and output ``o``, the derivative of ``G[i, o]`` (the output
before the link) with respect to the flat parameter vector ``theta`` of
:class:`sklearn_vnn._network.Layout`. :func:`backward` of ``_network.py``
sums those derivatives over the samples (it computes ``J.T @ dG``); here
the same chain rule is run once per output without that sum, for all
samples at once (the per-sample products are broadcasts and einsums), so
that row ``i * n_outputs + o`` of ``J`` is ``dG[i, o] / dtheta``.

Chain rule, per sample, for one output ``o`` (read right to left; ``dA``
is ``dG[i, o] / dA`` of one layer, a vector over its units)::

    output layer:  G_o = F_out(Z_o)  or  Z_o,   Z = A_prev @ W + b
        dG_o/dC_out   = Phi_out[:, i, o]                  # end of Sec. II
        dZ            = F_out'(Z_o) e_o        (or e_o)
    every layer:
        dG_o/dW[a, b] = A_prev[i, a] * dZ[b]
        dG_o/db[b]    = dZ[b]
        dA_prev       = W @ dZ
    hidden layer (A = F(Z), F = sum_k C_k f_k):
        'layer':   dG_o/dC_k    = sum_j dA_j f_k(Z_j)      # eqs. 4-6, 9-12
        'neuron':  dG_o/dC_{jk} = dA_j f_k(Z_j)            # eqs. 14-15, 18-20
        dZ            = dA * F'(Z)      # the W-tilde factors of eqs. 10-12

The paper's eqs. (6), (10), (12) (layer scope) and (15), (19), (20)
(neuron scope) are these lines summed over samples against
``dE/dnet^(O)``; the Jacobian keeps the samples apart and replaces
``dE/dnet^(O)`` by the unit vector of one output.

The matrix-free products (:func:`linear_operators`) cost one forward pass
plus one pass per product: ``J @ v`` by forward-mode differentiation
(tangents pushed through the same layers), ``J.T @ u`` by one call of
``_network.backward`` with ``dG = u`` reshaped, for problems whose ``J``
does not fit in memory.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided
from scipy import sparse
from scipy.sparse.linalg import LinearOperator
from sklearn.utils.extmath import safe_sparse_dot

from sklearn_vnn import _network

_SCOPES = ("layer", "neuron")


def jacobian_memory(n_samples, n_outputs, n_params, dtype=np.float64):
    """Bytes of a dense Jacobian of ``n_samples * n_outputs`` rows.

    Parameters
    ----------
    n_samples, n_outputs, n_params : int
    dtype : dtype, default=np.float64

    Returns
    -------
    n_bytes : int
    """
    return int(n_samples) * int(n_outputs) * int(n_params) * np.dtype(dtype).itemsize


def _layout_of(weights, hidden_C, output_C, basis, scope):
    """The :class:`_network.Layout` that the parameter arrays describe."""
    if scope not in _SCOPES:
        raise ValueError(f"scope must be one of {_SCOPES}, got {scope!r}.")
    units = [weights[0].shape[0]] + [W.shape[1] for W in weights]
    layout = _network.Layout(units, basis.n_basis, scope, output_C is not None)
    expected = layout.shapes[2 * layout.n_layers :]
    given = [np.shape(C) for C in hidden_C]
    if output_C is not None:
        given.append(np.shape(output_C))
    if [tuple(s) for s in expected] != given:
        raise ValueError(
            f"Coefficient arrays have shapes {given}; scope {scope!r} with "
            f"layer sizes {units} and n_basis={basis.n_basis} needs {expected}."
        )
    return layout


def _write_outer(block, A_prev, dZ):
    """``block[i] = outer(A_prev[i], dZ[i]).ravel()`` for every sample.

    ``block`` is a (n_samples, n_in * n_out) view into the Jacobian; a
    sparse ``A_prev`` (CSR) writes only its stored entries' rows.
    """
    n, n_out = dZ.shape
    if sparse.issparse(A_prev):
        A_prev = sparse.csr_matrix(A_prev)
        block[...] = 0
        rows = np.repeat(np.arange(n), np.diff(A_prev.indptr))
        cols = A_prev.indices.astype(np.intp) * n_out
        values = A_prev.data[:, None] * dZ[rows]
        # entry (i, a) fills the n_out columns a * n_out ... of row i
        span = cols[:, None] + np.arange(n_out)
        block[rows[:, None], span] = values
        return
    # the block's columns are contiguous: view it as (n, n_in, n_out)
    step = block.strides[1]
    outer = as_strided(
        block,
        shape=(n, A_prev.shape[1], n_out),
        strides=(block.strides[0], n_out * step, step),
    )
    np.multiply(A_prev[:, :, None], dZ[:, None, :], out=outer)


def _coefficient_rows(Phi, dA, scope):
    """Per-sample dG/dC of one hidden layer, shape (n_samples, |C|)."""
    if scope == "layer":
        return np.einsum("kij,ij->ik", Phi, dA, optimize=False)
    n = dA.shape[0]
    return np.einsum("kij,ij->ijk", Phi, dA, optimize=False).reshape(n, -1)


def _fill_output(J_o, o, layout, cache, weights, scope):
    """Write the rows of output ``o`` (a (n_samples, n_columns) view)."""
    n_layers = layout.n_layers
    off = layout.offsets
    n_cols = J_o.shape[1]
    A_prev, Phi, Fp = cache[-1]
    n = J_o.shape[0]
    # the output layer: dG_o / dZ is nonzero in column o only
    dZ = np.zeros((n, weights[-1].shape[1]), dtype=J_o.dtype)
    dZ[:, o] = 1.0 if Fp is None else Fp[:, o]
    dA = None  # dG_o / dA of the layer below, set once the layer is done
    if Phi is not None and off[-1] <= n_cols:
        J_o[:, off[-2] : off[-1]] = Phi[:, :, o].T
    for layer in range(n_layers - 1, -1, -1):
        if layer < n_layers - 1:
            A_prev, Phi, Fp = cache[layer]
            c_lo, c_hi = off[2 * n_layers + layer], off[2 * n_layers + layer + 1]
            if c_hi <= n_cols:
                J_o[:, c_lo:c_hi] = _coefficient_rows(Phi, dA, scope)
            dZ = dA * Fp
        _write_outer(J_o[:, off[layer] : off[layer + 1]], A_prev, dZ)
        J_o[:, off[n_layers + layer] : off[n_layers + layer + 1]] = dZ
        if layer > 0:
            dA = dZ @ weights[layer].T


def jacobian(
    X,
    weights,
    biases,
    hidden_C,
    output_C,
    basis,
    scope,
    out=None,
    with_coefficients=True,
):
    """Output values and their Jacobian on the flat parameter vector.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    weights, biases : lists of arrays, one per layer
    hidden_C : list of arrays, one per hidden layer
        Shape (M,) for ``scope='layer'``, (n_units, M) for 'neuron'.
    output_C : array of shape (M,) or None
        The learned output combination, if any.
    basis : bases.Basis
    scope : {'layer', 'neuron'}
    out : ndarray of shape (n_samples * n_outputs, n_columns), default=None
        Where to write ``J`` (C-contiguous, of the weights' dtype); a new
        array otherwise.
    with_coefficients : bool, default=True
        Whether ``J`` has the coefficient columns. Without them it has the
        first ``n_weights_biases`` columns only (frozen activations).

    Returns
    -------
    G : ndarray of shape (n_samples, n_outputs)
        The output before the link, as from ``_network.forward``.
    J : ndarray of shape (n_samples * n_outputs, n_columns)
        ``J[i * n_outputs + o, p] = dG[i, o] / dtheta[p]``, columns in the
        Layout's order (all weights, all intercepts, hidden coefficients,
        output coefficients), in the weights' dtype.
    """
    layout = _layout_of(weights, hidden_C, output_C, basis, scope)
    dtype = np.asarray(weights[0]).dtype
    G, cache = _network.forward(X, weights, biases, hidden_C, output_C, basis)
    n, n_outputs = G.shape
    n_cols = layout.size if with_coefficients else layout.n_weights_biases
    shape = (n * n_outputs, n_cols)
    if out is None:
        out = np.empty(shape, dtype=dtype)
    elif (
        not isinstance(out, np.ndarray)
        or out.shape != shape
        or out.dtype != dtype
        or not out.flags.c_contiguous
    ):
        raise ValueError(
            f"out must be a C-contiguous {dtype} array of shape {shape}; got "
            f"{getattr(out, 'dtype', type(out))} of shape {np.shape(out)}."
        )
    J3 = out.reshape(n, n_outputs, n_cols)
    for o in range(n_outputs):
        _fill_output(J3[:, o, :], o, layout, cache, weights, scope)
    return G, out


def _tangent_out(cache, weights, biases_t, weights_t, coefs_t, out_t, scope):
    """Forward-mode pass: the tangent of G for parameter tangents."""
    dA = None
    n_layers = len(weights)
    for layer in range(n_layers):
        A_prev, Phi, Fp = cache[layer]
        dZ = safe_sparse_dot(A_prev, weights_t[layer]) + biases_t[layer]
        if dA is not None:
            dZ += dA @ weights[layer]
        if layer < n_layers - 1:
            C_t = coefs_t[layer]
            spec = "k,kij->ij" if scope == "layer" else "jk,kij->ij"
            dA = dZ * Fp + np.einsum(spec, C_t, Phi, optimize=False)
        elif Phi is not None:
            dA = dZ * Fp + np.einsum("k,kij->ij", out_t, Phi, optimize=False)
        else:
            dA = dZ
    return dA


def linear_operators(
    X,
    weights,
    biases,
    hidden_C,
    output_C,
    basis,
    scope,
    with_coefficients=True,
):
    """Matrix-free ``J @ v`` and ``J.T @ u`` at one point, after one forward pass.

    Parameters
    ----------
    X, weights, biases, hidden_C, output_C, basis, scope, with_coefficients
        As for :func:`jacobian`.

    Returns
    -------
    G : ndarray of shape (n_samples, n_outputs)
    jvp : callable
        ``jvp(v)`` with ``v`` of shape (n_columns,) returns ``J @ v``, shape
        (n_samples * n_outputs,), by forward mode.
    vjp : callable
        ``vjp(u)`` with ``u`` of shape (n_samples * n_outputs,) returns
        ``J.T @ u``, shape (n_columns,), by one ``_network.backward``.
    """
    layout = _layout_of(weights, hidden_C, output_C, basis, scope)
    dtype = np.asarray(weights[0]).dtype
    G, cache = _network.forward(X, weights, biases, hidden_C, output_C, basis)
    n_cols = layout.size if with_coefficients else layout.n_weights_biases

    def jvp(v):
        v = np.asarray(v)
        if v.shape != (n_cols,):
            raise ValueError(f"v must have shape ({n_cols},), got {v.shape}.")
        full = np.zeros(layout.size, dtype=np.result_type(dtype, v.dtype))
        full[:n_cols] = v
        W_t, b_t, C_t, out_t = layout.views(full)
        return _tangent_out(cache, weights, b_t, W_t, C_t, out_t, scope).ravel()

    def vjp(u):
        u = np.asarray(u)
        if u.shape != (G.size,):
            raise ValueError(f"u must have shape ({G.size},), got {u.shape}.")
        grads = np.zeros(layout.size, dtype=np.result_type(dtype, u.dtype))
        dG = u.reshape(G.shape).astype(grads.dtype, copy=True)
        _network.backward(dG, cache, weights, layout.views(grads), scope)
        return grads[:n_cols]

    return G, jvp, vjp


def jacobian_operator(
    X, weights, biases, hidden_C, output_C, basis, scope, with_coefficients=True
):
    """``G`` and ``J`` as a :class:`scipy.sparse.linalg.LinearOperator`.

    For ``scipy.optimize.least_squares(..., tr_solver='lsmr')`` when the
    dense ``J`` (see :func:`jacobian_memory`) is too large.
    """
    G, jvp, vjp = linear_operators(
        X, weights, biases, hidden_C, output_C, basis, scope, with_coefficients
    )
    layout = _layout_of(weights, hidden_C, output_C, basis, scope)
    n_cols = layout.size if with_coefficients else layout.n_weights_biases
    op = LinearOperator((G.size, n_cols), matvec=jvp, rmatvec=vjp, dtype=G.dtype)
    return G, op
