"""The VNN forward and backward passes, as pure functions.

Nothing here knows scikit-learn or keeps state. Names follow the paper and
docs/design.md: ``Z`` pre-activation, ``Phi`` basis values, ``C`` coefficients,
``A`` activation; ``dX`` always means dLoss/dX.

Hidden layer l (paper eq. 3, and Sec. III for one activation per neuron)::

    Z   = A_prev @ W + b                     # (n_samples, n_units)
    Phi = [f_1(Z), ..., f_M(Z)]              # (M, n_samples, n_units)
    A   = sum_k C_k Phi_k                    # scope 'layer',  C: (M,)
    A_j = sum_k C_jk Phi_k[:, j]             # scope 'neuron', C: (n_units, M)

Backward (chain rule, read right to left): the loss reaches A through the
next layer's weights; A depends on C linearly (so dC collects dA * Phi) and
on Z through F'(Z) = sum_k C_k f_k'(Z) (so dZ = dA * F'(Z)); Z depends on W,
b and A_prev linearly::

    dC  = sum_{samples, units} dA * Phi       # 'layer':  eqs. 6, 12
    dC_j = sum_{samples} dA_j * Phi_j         # 'neuron': eqs. 15, 19, 20
    dZ  = dA * F'(Z)
    dW  = A_prev.T @ dZ,  db = sum_samples dZ,  dA_prev = dZ @ W.T

The output layer is linear, optionally followed by one layer-shared learned
combination (end of paper Sec. II); the link (softmax, ...) lives in
``_losses.py``.

All parameters live as views into one flat vector (see :class:`Layout`),
and so do their gradients.
"""

import functools

import numpy as np
from scipy import sparse
from sklearn.utils.extmath import safe_sparse_dot
from threadpoolctl import ThreadpoolController

from sklearn_vnn import _kernels


class Layout:
    """Where each weight, intercept and coefficient array sits in the flat vector.

    Order: all weight matrices, then all intercepts (as MLP packs them), then
    the hidden layers' coefficients, then the output coefficients. Keeping
    the coefficients last makes "freeze the activations" a slice:
    ``theta[:n_weights_biases]``.

    Parameters
    ----------
    layer_units : list of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    n_basis : int
    scope : {'layer', 'neuron'}
    learn_output : bool
        Whether the output layer has a learned (layer-shared) combination.
    """

    def __init__(self, layer_units, n_basis, scope, learn_output):
        self.layer_units = list(layer_units)
        self.n_basis = n_basis
        self.scope = scope
        self.learn_output = learn_output
        shapes = [(a, b) for a, b in zip(layer_units[:-1], layer_units[1:])]
        shapes += [(b,) for b in layer_units[1:]]
        for units in layer_units[1:-1]:
            shapes.append((n_basis,) if scope == "layer" else (units, n_basis))
        if learn_output:
            shapes.append((n_basis,))
        self.shapes = shapes
        sizes = [int(np.prod(s)) for s in shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.size = int(self.offsets[-1])
        n_layers = len(layer_units) - 1
        self.n_layers = n_layers
        self.n_weights_biases = int(self.offsets[2 * n_layers])

    def views(self, theta):
        """Split ``theta`` into (weights, biases, hidden_C, output_C) views."""
        arrays = [
            theta[a:b].reshape(shape)
            for a, b, shape in zip(self.offsets[:-1], self.offsets[1:], self.shapes)
        ]
        n = self.n_layers
        weights, biases = arrays[:n], arrays[n : 2 * n]
        hidden_C = arrays[2 * n : 2 * n + n - 1]
        output_C = arrays[-1] if self.learn_output else None
        return weights, biases, hidden_C, output_C

    def pack(self, weights, biases, hidden_C, output_C, dtype):
        """A new flat vector holding copies of the given arrays."""
        theta = np.empty(self.size, dtype=dtype)
        parts = list(weights) + list(biases) + list(hidden_C)
        if self.learn_output:
            parts.append(output_C)
        for a, b, shape, part in zip(
            self.offsets[:-1], self.offsets[1:], self.shapes, parts
        ):
            part = np.asarray(part)
            if part.shape != shape:
                raise ValueError(
                    f"Parameter array has shape {part.shape}, expected {shape}."
                )
            theta[a:b] = part.ravel()
        return theta


def coefficient_gradient(Phi, dA):
    """dLoss/dC from the basis values and dA (eqs. 6/12): shape (M,).

    One matrix-vector product on the basis-major (M, n_samples * n_units)
    view of Phi.
    """
    M = Phi.shape[0]
    return Phi.reshape(M, -1) @ dA.reshape(-1)


def neuron_coefficient_gradient(Phi, dA):
    """dLoss/dC_j for one combination per neuron (eqs. 15/19/20): (n_units, M)."""
    return np.einsum("kij,ij->jk", Phi, dA, optimize=False)


# Prediction evaluates hidden layers in blocks of rows whose basis values
# take about this many bytes: memory stays bounded for any n_samples, and
# a block stays in cache between the recurrence and the combination.
_PREDICT_BLOCK_BYTES = 4 * 2**20


@functools.cache
def _blas_controller():
    """threadpoolctl's view of the loaded BLAS (a dependency of sklearn)."""
    return ThreadpoolController()


def activate(
    Z, C, basis, need_backward, overwrite_z=False, lean=False, bias=None, check=None
):
    """Apply a learned activation to ``Z + bias``.

    Returns ``(A, Phi, F')``: the activation, and when ``need_backward`` the
    basis values (for dC) and ``F'(Z) = sum_k C_k f_k'(Z)`` (for dZ), from
    one fused pass (:meth:`bases.Basis.activate`). Without backward the
    rows of a 2-d ``Z`` go through in blocks (see ``_PREDICT_BLOCK_BYTES``),
    and ``overwrite_z=True`` writes ``A`` over a C-contiguous ``Z`` (each
    block is read before its result is written), as MLP's prediction
    applies its activation in place.

    When the numba kernels cover the family (:mod:`sklearn_vnn._kernels`),
    they compute ``A``, adding ``bias`` and doing the range ``check`` (a
    :class:`_range_check.LayerCheck`) in the same pass; with ``lean=True``
    (backpropagation only, no Jacobian) the second item is then a
    :class:`_kernels.Saved` that :func:`backward` asks for dZ and dC, and
    the third is None. Elsewhere ``bias`` is added to ``Z`` (which must
    then be the caller's own array) and ``check`` called on it first.
    """
    in_place = overwrite_z and Z.flags.c_contiguous and Z.flags.writeable
    family = None
    if Z.ndim == 2 and (lean or not need_backward):
        family = _kernels.family_of(basis)
    if family is not None:
        if not in_place:
            Z = np.array(Z, order="C")
        out = Z if not need_backward else None
        A, saved = _kernels.activate(family, Z, C, out=out, bias=bias, check=check)
        return (A, None, None) if not need_backward else (A, saved, None)
    if bias is not None:
        Z += bias
    if check is not None:
        check(Z)
    if need_backward or Z.ndim != 2:
        return basis.activate(Z, C, need_backward)
    per_row = max(1, Z.shape[1] * (basis.n_basis + 1) * Z.itemsize)
    block = max(1, _PREDICT_BLOCK_BYTES // per_row)
    if Z.shape[0] <= block:
        return basis.activate(Z, C, False, out=Z if in_place else None)
    A = Z if in_place else np.empty(Z.shape, dtype=Z.dtype)
    # the blocks' small, memory-bound products gain nothing from BLAS
    # threads, and on a busy machine waking them costs more than the work
    with _blas_controller().limit(limits=1, user_api="blas"):
        for start in range(0, Z.shape[0], block):
            rows = slice(start, start + block)
            basis.activate(Z[rows], C, False, out=A[rows])
    return A, None, None


def forward(
    X,
    weights,
    biases,
    hidden_C,
    output_C,
    basis,
    need_backward=True,
    on_preactivation=None,
    lean=False,
    range_check=None,
):
    """Forward pass up to the output layer's pre-link value.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    weights, biases : lists of arrays, one per layer
    hidden_C : list of arrays, one per hidden layer
    output_C : array of shape (M,) or None
    basis : bases.Basis
    need_backward : bool
        Keep what :func:`backward` needs.
    on_preactivation : callable or None
        Called as ``on_preactivation(layer, Z)`` with each hidden layer's
        pre-activations before they are activated (and, without backward,
        overwritten): a way to inspect them in the same pass.
    lean : bool, default=False
        Keep only what :func:`backward` needs: where the numba kernels run,
        a layer's cache then holds no basis values (see :func:`activate`).
        The Jacobian needs them, and leaves this False.
    range_check : _range_check.RangeCheck, default=None
        Flags the rows whose hidden pre-activations leave the training
        range, in the activation's own pass where the numba kernels run.

    Returns
    -------
    G : ndarray of shape (n_samples, n_outputs)
        Output before the link (the link maps it to predictions).
    cache : list or None
        Per layer ``(A_prev, Phi, F')``; the last entry is the output layer.
    """
    A, X = X, None  # only A refers to each layer's input (see below)
    cache = [] if need_backward else None
    n_layers = len(weights)
    for layer in range(n_layers):
        Z = safe_sparse_dot(A, weights[layer])
        if not need_backward:
            # nothing needs the layer's input any more: free it before the
            # activation's work (the peak memory of a prediction)
            A = None
        hidden = layer < n_layers - 1
        C = hidden_C[layer] if hidden else output_C
        # the intercepts and the range check go to activate, which does them
        # in its own pass where it can
        bias, check = biases[layer], None
        if hidden and range_check is not None:
            check = range_check.layer(layer)
        if C is None or (hidden and on_preactivation is not None):
            Z += bias
            bias = None
            if C is not None:
                on_preactivation(layer, Z)
        if C is None:
            A_next, Phi, Fp = Z, None, None
        else:
            # without backward (or lean) nothing keeps Z: its memory takes A
            A_next, Phi, Fp = activate(
                Z, C, basis, need_backward, overwrite_z=lean or not need_backward,
                lean=lean, bias=bias, check=check,
            )  # fmt: skip
        if need_backward:
            cache.append((A, Phi, Fp))
        A, A_next = A_next, None
    return A, cache


# A prediction takes the network over blocks of rows, each block through
# every layer before the next block: a block's pre-activations (about this
# many bytes in the widest layer) stay in cache from the matrix product
# through the activation to the next product, where whole layers would
# stream every pre-activation through memory. Prediction on 100,000 rows,
# hidden (256, 256), M=8, numba, 2 threads, VNN/MLP (medians of 9 paired
# runs) for whole layers / blocks of 1, 2, 4, 8 MiB: Chebyshev float64
# layer 1.29 / 1.29, 1.19, 1.19, 1.32; Fourier float64 neuron 1.16 / 1.20,
# 1.11, 1.13, 1.35; Fourier float32 neuron 1.08-1.16 -> 0.94-0.97 at 2 MiB.
_FORWARD_BLOCK_BYTES = 2 * 2**20


def predict_forward(X, weights, biases, hidden_C, output_C, basis, range_check=None):
    """The output before the link, as ``forward(..., need_backward=False)``
    gives it, computed in blocks of rows (see ``_FORWARD_BLOCK_BYTES``).

    The blocks split the rows evenly and depend on ``X``'s shape and dtype
    only. Sparse input other than CSR goes through whole.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    weights, biases, hidden_C, output_C, basis
        As for :func:`forward`.
    range_check : _range_check.RangeCheck, default=None

    Returns
    -------
    G : ndarray of shape (n_samples, n_outputs)
    """
    params = weights, biases, hidden_C, output_C, basis
    n_samples = X.shape[0]
    widest = max(W.shape[1] for W in weights)
    rows = max(1, _FORWARD_BLOCK_BYTES // (widest * X.dtype.itemsize))
    n_blocks = -(-n_samples // rows)
    if n_blocks <= 1 or (sparse.issparse(X) and X.format != "csr"):
        return forward(X, *params, need_backward=False, range_check=range_check)[0]
    G = None
    for b in range(n_blocks):
        start, stop = b * n_samples // n_blocks, (b + 1) * n_samples // n_blocks
        check = None if range_check is None else range_check.rows(start, stop)
        block, _ = forward(
            X[start:stop], *params, need_backward=False, range_check=check
        )
        if G is None:
            G = np.empty((n_samples, block.shape[1]), dtype=block.dtype)
        G[start:stop] = block
    return G


def backward(dG, cache, weights, grads, scope):
    """Backpropagate ``dG = dLoss/dG`` and write every gradient into ``grads``.

    Parameters
    ----------
    dG : ndarray of shape (n_samples, n_outputs)
        Gradient of the (weighted, averaged) data loss at the output layer's
        pre-link value.
    cache : list
        From :func:`forward`.
    weights : list of arrays
    grads : tuple
        ``(dW, db, dC_hidden, dC_output)`` views into the flat gradient,
        overwritten in place (as from :meth:`Layout.views`).
    scope : {'layer', 'neuron'}
    """
    dW, db, dC_hidden, dC_output = grads
    n_layers = len(weights)
    dA = dG
    for layer in range(n_layers - 1, -1, -1):
        A_prev, Phi, Fp = cache[layer]
        if Phi is None:
            dZ = dA
        else:
            output = layer == n_layers - 1
            # dA of a hidden layer is this function's own array: reuse it
            if isinstance(Phi, _kernels.Saved):
                # one kernel pass gives dZ and dC
                own = not output and dA.flags.c_contiguous
                dZ, dC = Phi.gradients(dA, out=dA if own else None)
            else:
                # the learned output combination is always layer-shared
                if output or scope == "layer":
                    dC = coefficient_gradient(Phi, dA)
                else:
                    dC = neuron_coefficient_gradient(Phi, dA)
                dZ = dA * Fp if output else np.multiply(dA, Fp, out=dA)
            (dC_output if output else dC_hidden[layer])[...] = dC
        if sparse.issparse(A_prev):
            dW[layer][...] = safe_sparse_dot(A_prev.T, dZ)
        else:
            np.matmul(A_prev.T, dZ, out=dW[layer])
        np.sum(dZ, axis=0, out=db[layer])
        if layer > 0:
            dA = dZ @ weights[layer].T
