"""sklearn-vnn: Variational Neural Networks for scikit-learn.

Neural networks whose activation functions are learned: every hidden layer
(or every neuron) computes ``F(z) = sum_k C_k f_k(z)``, a trained linear
combination of fixed basis functions (Li and Li, "Variational Neural
Networks").
"""

from sklearn_vnn._classifier import VNNClassifier
from sklearn_vnn._range_check import OutOfRangeWarning
from sklearn_vnn._regressor import VNNRegressor
from sklearn_vnn.inspection import ActivationDisplay

__version__ = "0.1.0"

__all__ = [
    "ActivationDisplay",
    "OutOfRangeWarning",
    "VNNClassifier",
    "VNNRegressor",
    "__version__",
]
