"""Recording the pre-activation ranges at the end of a fit.

Every fit ends with one forward pass over (at most 1000 evenly spaced rows
of) the training data that records, for each hidden layer, the 1st and
99th percentiles of its pre-activations (per layer or, with
``activation_scope='neuron'``, per neuron), stored as
``activation_ranges_``. The inspection tools read learned activations over
these ranges.
"""

import numpy as np

from sklearn_vnn import _network
from sklearn_vnn._losses import LINKS

# rows of the training data used to record the pre-activation ranges
_RANGE_MAX_ROWS = 1000
_RANGE_PERCENTILES = (1.0, 99.0)


def _range_of(Z, scope):
    """1st and 99th percentiles of ``Z``: over the layer, or per neuron.

    Computed in Z's own dtype (a float64 copy of a float32 layer would be
    the largest allocation of a whole fit); the few numbers returned are
    float64.
    """
    if scope == "layer":
        return np.percentile(Z, _RANGE_PERCENTILES).astype(np.float64)
    return np.percentile(Z, _RANGE_PERCENTILES, axis=0).T.astype(np.float64)


def preactivation_pass(est, X, on_preactivation):
    """One forward pass over at most 1000 evenly spaced rows of ``X`` (no
    random numbers drawn), calling ``on_preactivation(layer, Z)`` with each
    hidden layer's pre-activations; returns the predictions (after the
    link) for those rows."""
    n_samples = X.shape[0]
    rows = slice(None)
    if n_samples > _RANGE_MAX_ROWS:
        rows = np.linspace(0, n_samples - 1, _RANGE_MAX_ROWS).round().astype(int)
    # huge inputs may overflow Z to inf; percentiles of inf are inf, quietly
    with np.errstate(over="ignore", invalid="ignore"):
        # the rows go in without a name here, so that the pass frees them
        # after the first layer
        G, _ = _network.forward(
            X[rows],
            est.coefs_,
            est.intercepts_,
            est.activation_coefs_,
            est.output_activation_coefs_,
            est.basis_,
            need_backward=False,
            on_preactivation=on_preactivation,
        )
        return LINKS[est.out_activation_].inverse(G)


def ranges_and_output(est, X):
    """Pre-activation ranges and network output from one forward pass.

    The pass runs on at most 1000 rows of ``X`` (:func:`preactivation_pass`)
    with the estimator's current parameters; the ranges are taken from each
    hidden layer's ``Z`` as the pass goes.

    Parameters
    ----------
    est : BaseVNN
        An estimator whose parameters are set (the end of ``_fit``).
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The validated training input.

    Returns
    -------
    ranges : list of ndarray, one per hidden layer
        Shape (2,) (low, high) for ``activation_scope='layer'`` (over all
        units of the layer), (n_units, 2) for 'neuron'.
    output : ndarray of shape (n_rows, n_outputs)
        The network's predictions (after the link) for those rows.
    """
    ranges = []

    def record(layer, Z):
        ranges.append(_range_of(Z, est.activation_scope))

    output = preactivation_pass(est, X, record)
    return ranges, output
