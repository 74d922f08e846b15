"""Learned activations you can see and read.

A fitted VNN holds, for each hidden layer (or each neuron), the coefficients
``C`` of its activation ``F(z) = sum_k C_k f_k(z)``. This module turns them
into things a person can use:

- :func:`activation_function`: ``F`` as a vectorised callable, with ``F'``;
- :func:`activation_formula`: ``F`` written out as a numpy expression, terms
  ordered by their size over the pre-activations the data produced, small
  ones optionally dropped (with the RMS error that costs);
- :func:`nearest_classic_activation`: the best ``a * g(c * z + d) + e`` for a
  classic activation ``g`` (tanh, relu, logistic, ...), with its R^2;
- :class:`ActivationDisplay`: the learned activations (and the ones they
  started as) plotted over the range of pre-activations seen in training;
- :func:`n_parameters`: how many numbers a fitted network trained.

The range comes from ``activation_ranges_``, recorded at the end of every
fit: the 1st and 99th percentiles of each hidden layer's pre-activations on
(at most 1000 rows of) the training data, per layer or, with
``activation_scope='neuron'``, per neuron.

matplotlib is only needed by :class:`ActivationDisplay`
(``pip install sklearn-vnn[plot]``).
"""

import numpy as np

from sklearn_vnn._classic import (
    CLASSIC_ACTIVATIONS,
    ClassicFit,
    fit_classic_activations,
    nearest_classic_activation,
)
from sklearn_vnn._display import ActivationDisplay
from sklearn_vnn._formula import ActivationFormula, activation_formula, basis_terms
from sklearn_vnn._learned import (
    LearnedActivation,
    activation_function,
    activation_range,
)

# recorded at the end of fit; re-exported here until _base imports it from
# sklearn_vnn._ranges (not part of this module's API)
from sklearn_vnn._ranges import ranges_and_output  # noqa: F401

__all__ = [
    "CLASSIC_ACTIVATIONS",
    "ActivationDisplay",
    "ActivationFormula",
    "ClassicFit",
    "LearnedActivation",
    "activation_formula",
    "activation_function",
    "activation_range",
    "basis_terms",
    "fit_classic_activations",
    "n_parameters",
    "nearest_classic_activation",
]


def n_parameters(model):
    """The number of trained numbers in a fitted network.

    Counts the weights and biases of every layer and, for a VNN, the
    activation coefficients (``activation_coefs_``, and
    ``output_activation_coefs_`` when the output activation is learned).
    Works for scikit-learn's MLPs too.

    Parameters
    ----------
    model : VNNClassifier, VNNRegressor, MLPClassifier or MLPRegressor
        A fitted network.

    Returns
    -------
    n : int
        The number of entries of all those arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_vnn import VNNRegressor
    >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
    >>> reg = VNNRegressor(hidden_layer_sizes=(3,), n_basis=4, max_iter=5,
    ...                    solver="lbfgs", random_state=0).fit(X, X.ravel())
    >>> n_parameters(reg)  # (1*3 + 3) + (3*1 + 1) weights/biases + 4 coefs
    14
    """
    arrays = list(model.coefs_) + list(model.intercepts_)
    arrays += list(getattr(model, "activation_coefs_", []))
    out = getattr(model, "output_activation_coefs_", None)
    if out is not None:
        arrays.append(out)
    return int(sum(np.size(a) for a in arrays))
