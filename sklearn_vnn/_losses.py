"""Output links, each paired with its loss.

Each loss is computed from the output layer's pre-link value ``G`` (never
from clipped probabilities), which keeps it exact and finite, and each pairs
with its canonical link, so that the gradient at ``G`` is simply
``link.inverse(G) - y`` (paper eq. 2's ``dE/dsigma * dsigma/dnet`` collapses
to it):

=============  ==========  =================================================
link           loss        per-sample loss, summed over outputs
=============  ==========  =================================================
identity       squared     ``0.5 (G - y)**2``
exp            poisson     ``exp(G) - y G + y log y - y`` (half deviance)
logistic       log_loss    ``log(1 + exp(G)) - y G``
softmax        log_loss    ``logsumexp(G) - sum_o y_o G_o``
=============  ==========  =================================================

The data loss is the sample-weighted mean of the per-sample losses. A link
carries everything downstream code needs: its inverse (``G`` to
predictions), the best constant prediction, and its ONNX operator, so that
nothing else re-derives them.
"""

import numpy as np
from scipy.special import expit, softmax, xlogy

# rows per block where a whole-y computation is done in float64
_BLOCK_ROWS = 4096


def _weighted_blocks(y, sample_weight):
    """``y`` in float64 by blocks of at most ``_BLOCK_ROWS`` rows, without a
    float64 copy of all of it: the pairs ``(weights, rows)``, and the total
    weight (unit weights when ``sample_weight`` is None)."""
    y = np.asarray(y)
    sw = np.ones(y.shape[0]) if sample_weight is None else sample_weight
    blocks = (
        (sw[a : a + _BLOCK_ROWS], y[a : a + _BLOCK_ROWS].astype(np.float64))
        for a in range(0, y.shape[0], _BLOCK_ROWS)
    )
    return blocks, float(np.sum(sw))


class Link:
    """An output link paired with its canonical loss.

    Subclasses set ``name`` and ``onnx_op`` and implement :meth:`inverse`,
    :meth:`sample_loss` and :meth:`constant`.
    """

    name = None
    #: the ONNX operator that applies :meth:`inverse` (None: nothing to apply)
    onnx_op = None
    #: whether the loss is a sum of squared residuals ``0.5 (G - y)**2``, the
    #: form that least-squares solvers need
    least_squares = False

    def inverse(self, G):
        """Predictions from the pre-link output ``G``."""
        raise NotImplementedError

    def __call__(self, G):
        return self.inverse(G)

    def sample_loss(self, G, y):
        """Per-sample loss summed over outputs, shape (n_samples,)."""
        raise NotImplementedError

    def constant(self, mean):
        """The pre-link value whose prediction is ``mean`` (the link itself),
        kept finite at the ends of the range."""
        raise NotImplementedError

    def best_constant(self, y, sample_weight=None):
        """The constant ``G`` of least loss: the link at the weighted mean of
        ``y``, shape (n_outputs,). The mean is taken in float64 by blocks of
        rows, without a float64 copy of a large ``y``."""
        blocks, total_weight = _weighted_blocks(y, sample_weight)
        total = sum(sw @ rows for sw, rows in blocks)
        return self.constant(total / total_weight)

    def __repr__(self):
        return f"{type(self).__name__}()"


class IdentityLink(Link):
    name, least_squares = "identity", True

    def inverse(self, G):
        return G

    def sample_loss(self, G, y):
        return 0.5 * ((G - y) ** 2).sum(axis=1)

    def constant(self, mean):
        return mean


class ExpLink(Link):
    name, onnx_op = "exp", "Exp"

    def inverse(self, G):
        return np.exp(G)

    def sample_loss(self, G, y):
        return (np.exp(G) - y * G + xlogy(y, y) - y).sum(axis=1)

    def constant(self, mean):
        return np.log(np.maximum(mean, np.finfo(np.float64).tiny))


class LogisticLink(Link):
    name, onnx_op = "logistic", "Sigmoid"

    def inverse(self, G):
        return expit(G)

    def sample_loss(self, G, y):
        return (np.logaddexp(0, G) - y * G).sum(axis=1)

    def constant(self, mean):
        mean = np.clip(mean, 1e-12, 1 - 1e-12)
        return np.log(mean) - np.log1p(-mean)


class SoftmaxLink(Link):
    name, onnx_op = "softmax", "Softmax"

    def inverse(self, G):
        return softmax(G, axis=1)

    def sample_loss(self, G, y):
        # logsumexp by rows in plain NumPy (scipy's costs ~0.8 ms a call in
        # array-API dispatch, more than a whole small batch's softmax)
        top = G.max(axis=1, keepdims=True)
        lse = np.log(np.exp(G - top).sum(axis=1)) + top[:, 0]
        return lse - (y * G).sum(axis=1)

    def constant(self, mean):
        return np.log(np.maximum(mean, np.finfo(np.float64).tiny))


LINKS = {
    link.name: link
    for link in (IdentityLink(), ExpLink(), LogisticLink(), SoftmaxLink())
}


def loss_and_gradient(G, y, link, sample_weight=None):
    """Weighted mean loss and its gradient with respect to ``G``.

    Parameters
    ----------
    G : ndarray of shape (n_samples, n_outputs)
        Output-layer values before the link.
    y : ndarray of shape (n_samples, n_outputs)
        Targets (indicator columns for classification).
    link : {'identity', 'exp', 'logistic', 'softmax'}
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    loss : float
        ``sum_i w_i loss_i / sum_i w_i``.
    dG : ndarray of shape (n_samples, n_outputs)
        ``w_i (link.inverse(G_i) - y_i) / sum_i w_i``.
    sw_sum : float
        ``sum_i w_i`` (the number of samples without weights), the divisor
        of the penalties as in MLP.
    """
    link = LINKS[link]
    per_sample = link.sample_loss(G, y)
    dG = link.inverse(G) - y
    if sample_weight is None:
        sw_sum = G.shape[0]
        loss = per_sample.sum() / sw_sum
    else:
        sw_sum = sample_weight.sum()
        loss = per_sample @ sample_weight / sw_sum
        dG *= sample_weight[:, None]
    dG /= G.dtype.type(sw_sum)
    return float(loss), dG, sw_sum


def null_loss(y, link, sample_weight=None):
    """Mean loss of the best constant prediction of ``y`` (before penalties).

    Parameters
    ----------
    y : ndarray of shape (n_samples, n_outputs)
    link : {'identity', 'exp', 'logistic', 'softmax'}
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    loss : float
    """
    link = LINKS[link]
    G = link.best_constant(y, sample_weight)
    blocks, total_weight = _weighted_blocks(y, sample_weight)
    total = 0.0
    for sw, rows in blocks:
        with np.errstate(over="ignore", invalid="ignore"):
            per_sample = link.sample_loss(np.broadcast_to(G, rows.shape), rows)
        total += float(per_sample @ sw)
    return total / total_weight
