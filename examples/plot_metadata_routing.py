"""
====================================
Sample weights through metadata routing
====================================

With ``sklearn.set_config(enable_metadata_routing=True)`` a meta-estimator
passes ``sample_weight`` on to the steps that ask for it:
``set_fit_request(sample_weight=True)`` on the VNN, and
``set_score_request`` on a scorer. The grid search below equals fitting and
scoring each fold with its weights by hand.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn import config_context
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import make_scorer, r2_score
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_vnn import VNNRegressor

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_regression(n_samples=150, n_features=4, noise=10.0, random_state=0)
y = y / y.std()
sample_weight = np.random.default_rng(0).uniform(0.2, 3.0, size=len(y))
cv = KFold(3, shuffle=True, random_state=0)
alphas = [1e-4, 1e-1, 10.0]

with config_context(enable_metadata_routing=True):
    est = VNNRegressor(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50, random_state=0
    ).set_fit_request(sample_weight=True)
    scorer = make_scorer(r2_score).set_score_request(sample_weight=True)
    search = GridSearchCV(est, {"alpha": alphas}, cv=cv, scoring=scorer)
    search.fit(X, y, sample_weight=sample_weight)

by_hand = []
for alpha in alphas:
    scores = []
    for train, test in cv.split(X):
        fold = VNNRegressor(
            hidden_layer_sizes=(8,),
            solver="lbfgs",
            max_iter=50,
            alpha=alpha,
            random_state=0,
        )
        fold.fit(X[train], y[train], sample_weight=sample_weight[train])
        scores.append(
            r2_score(y[test], fold.predict(X[test]), sample_weight=sample_weight[test])
        )
    by_hand.append(np.mean(scores))
for alpha, routed, manual in zip(
    alphas, search.cv_results_["mean_test_score"], by_hand
):
    print(f"alpha={alpha:<7g} routed {routed:.6f}  by hand {manual:.6f}")

fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
ax.semilogx(alphas, search.cv_results_["mean_test_score"], "o-", label="routed")
ax.semilogx(alphas, by_hand, "x--", label="by hand")
ax.set_xlabel("alpha")
ax.set_ylabel("weighted CV R^2")
ax.legend()
plt.show()
