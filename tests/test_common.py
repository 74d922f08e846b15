"""scikit-learn's estimator checks, for both estimators, scopes and bases.

No expected failures. The configuration is sklearn's own for MLP in its
check suite (``max_iter=100``, everything else at its default); the default
basis runs always, the other families in the thorough (``--runslow``) run.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_vnn import VNNClassifier, VNNRegressor
from sklearn_vnn.bases import BASES


def _instances(bases):
    return [
        Estimator(max_iter=100, basis=basis, activation_scope=scope)
        for Estimator in (VNNClassifier, VNNRegressor)
        for basis in bases
        for scope in ("layer", "neuron")
    ]


@parametrize_with_checks(_instances(["fourier"]))
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(_instances([b for b in BASES if b != "fourier"]))
def test_sklearn_compatible_every_basis(estimator, check):
    check(estimator)


# 'lm' stores the dense Jacobian and solves with it: it is for small
# networks (see its docstring), hence hidden_layer_sizes=(10,) here
@parametrize_with_checks(
    [
        VNNRegressor(
            hidden_layer_sizes=(10,), max_iter=100, solver="lm", activation_scope=scope
        )
        for scope in ("layer", "neuron")
    ]
)
def test_sklearn_compatible_lm(estimator, check):
    check(estimator)
