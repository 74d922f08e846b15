"""
====================================================
Choosing the number of basis functions by grid search
====================================================

``n_basis`` (M) sets how flexible each learned activation is: with M = 1
the Fourier basis offers a single ``sin(w z)``, with larger M the
activation can take almost any shape over the range of pre-activations.
:class:`~sklearn_vnn.VNNRegressor` is a scikit-learn estimator, so
``GridSearchCV`` can choose M (and the basis family) by cross-validation.
"""

# %%
# The search
# ----------
# Friedman #1 regression, a small network trained by L-BFGS with a fixed
# budget; 3-fold cross-validated R^2 for each M of the Fourier basis (the
# paper's) and of the Chebyshev basis.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNRegressor

warnings.filterwarnings("ignore", category=ConvergenceWarning)
X, y = make_friedman1(n_samples=300, noise=0.5, random_state=0)
y = (y - y.mean()) / y.std()

pipe = make_pipeline(
    StandardScaler(),
    VNNRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=100, random_state=0),
)
n_basis = [1, 2, 4, 8]
grid = GridSearchCV(
    pipe,
    {
        "vnnregressor__n_basis": n_basis,
        "vnnregressor__basis": ["fourier", "chebyshev"],
    },
    cv=KFold(3, shuffle=True, random_state=0),
)
grid.fit(X, y)
print("best parameters:", grid.best_params_)
print(f"best cross-validated R^2: {grid.best_score_:.3f}")

# %%
# Score against M
# ---------------
# The mean cross-validated R^2 and its spread over the folds. Note the
# Chebyshev basis with M = 1: it holds only ``T_0 = 1``, so every hidden
# unit outputs a constant and the network can only predict a constant.
# Larger M buys flexibility at the price of more coefficients to fit from
# the same data; ``activation_alpha`` (a smoothness penalty) is the knob
# to search next.
results = grid.cv_results_
fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
for family in ["fourier", "chebyshev"]:
    rows = np.flatnonzero(results["param_vnnregressor__basis"] == family)
    mean = results["mean_test_score"][rows]
    std = results["std_test_score"][rows]
    ax.errorbar(n_basis, mean, yerr=std, marker="o", capsize=3, label=family)
    for m, score in zip(n_basis, mean):
        print(f"{family:<10} n_basis={m:<3d} mean CV R^2 = {score:.3f}")
ax.set_xlabel("n_basis (M)")
ax.set_ylabel("cross-validated R^2")
ax.set_title("VNN on Friedman #1: choosing M")
ax.legend()
plt.show()
