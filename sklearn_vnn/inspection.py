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
  started as) plotted over the range of pre-activations seen in training.

The range comes from ``activation_ranges_``, recorded at the end of every
fit by :func:`record_activation_ranges`: the 1st and 99th percentiles of
each hidden layer's pre-activations on (at most 1000 rows of) the training
data, per layer or, with ``activation_scope='neuron'``, per neuron.

matplotlib is only needed by :class:`ActivationDisplay`
(``pip install sklearn-vnn[plot]``).
"""

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
    hidden_preactivations,
    ranges_and_output,
    record_activation_ranges,
)

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
    "hidden_preactivations",
    "nearest_classic_activation",
    "ranges_and_output",
    "record_activation_ranges",
]
