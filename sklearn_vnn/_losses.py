"""Output links and the losses that pair with them.

Each loss is computed from the output layer's pre-link value ``G`` (never
from clipped probabilities), which keeps it exact and finite, and each pairs
with its canonical link, so that the gradient at ``G`` is simply
``link(G) - y`` (paper eq. 2's ``dE/dsigma * dsigma/dnet`` collapses to it):

=============  ==========  =================================================
link           loss        per-sample loss, summed over outputs
=============  ==========  =================================================
identity       squared     ``0.5 (G - y)**2``
exp            poisson     ``exp(G) - y G + y log y - y`` (half deviance)
logistic       log_loss    ``log(1 + exp(G)) - y G``
softmax        log_loss    ``logsumexp(G) - sum_o y_o G_o``
=============  ==========  =================================================

The data loss is the sample-weighted mean of the per-sample losses.
"""

import numpy as np
from scipy.special import expit, softmax, xlogy


def _identity(G):
    return G


def _exp(G):
    return np.exp(G)


def _logistic(G):
    return expit(G)


def _softmax(G):
    return softmax(G, axis=1)


LINKS = {
    "identity": _identity,
    "exp": _exp,
    "logistic": _logistic,
    "softmax": _softmax,
}


def _squared(G, y):
    return 0.5 * ((G - y) ** 2).sum(axis=1)


def _poisson(G, y):
    return (np.exp(G) - y * G + xlogy(y, y) - y).sum(axis=1)


def _binary_log(G, y):
    return (np.logaddexp(0, G) - y * G).sum(axis=1)


def _multinomial_log(G, y):
    # logsumexp by rows in plain NumPy (scipy's costs ~0.8 ms a call in
    # array-API dispatch, more than a whole small batch's softmax)
    top = G.max(axis=1, keepdims=True)
    lse = np.log(np.exp(G - top).sum(axis=1)) + top[:, 0]
    return lse - (y * G).sum(axis=1)


SAMPLE_LOSSES = {
    "identity": _squared,
    "exp": _poisson,
    "logistic": _binary_log,
    "softmax": _multinomial_log,
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
        ``w_i (link(G_i) - y_i) / sum_i w_i``.
    sw_sum : float
        ``sum_i w_i`` (the number of samples without weights), the divisor
        of the L2 penalties as in MLP.
    """
    per_sample = SAMPLE_LOSSES[link](G, y)
    dG = LINKS[link](G) - y
    if sample_weight is None:
        sw_sum = G.shape[0]
        loss = per_sample.sum() / sw_sum
    else:
        sw_sum = sample_weight.sum()
        loss = per_sample @ sample_weight / sw_sum
        dG *= sample_weight[:, None]
    dG /= G.dtype.type(sw_sum)
    return float(loss), dG, sw_sum
