"""
=================================================
Predictions outside the training range are flagged
=================================================

A learned activation is fitted only where the training data put its
pre-activations; beyond, its basis extrapolates in ways a relu or tanh
would not. Every fit records each hidden unit's smallest and largest
pre-activation on the training rows, and ``predict`` and
``predict_proba`` issue :class:`~sklearn_vnn.OutOfRangeWarning` when more
than 2% of the rows push some unit beyond that range by more than half its
width. Data like the training data does not trigger it; a forgotten
scaler does.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import OutOfRangeWarning, VNNClassifier

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
clf = VNNClassifier(
    hidden_layer_sizes=(16,), solver="lbfgs", max_iter=300, random_state=0
).fit(scaler.transform(X_train), y_train)


def warnings_of(X):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf.predict(X)
    return [w for w in record if w.category is OutOfRangeWarning]


print("scaled test rows:", len(warnings_of(scaler.transform(X_test))), "warnings")
(warning,) = warnings_of(X_test)  # the scaler forgotten
print("unscaled test rows:", warning.message)

# %%
# How far the rows go: each test row's largest excess over the training
# range, in units of the range's width, with and without the scaler.
bounds = clf._preactivation_bounds_[0]
width = bounds[:, 1] - bounds[:, 0]


def excess(X):
    Z = X @ clf.coefs_[0] + clf.intercepts_[0]
    return np.maximum((bounds[:, 0] - Z) / width, (Z - bounds[:, 1]) / width).max(1)


fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
ax.hist(excess(scaler.transform(X_test)), bins=20, label="scaled")
ax.hist(np.clip(excess(X_test), None, 5), bins=20, label="unscaled (clipped at 5)")
ax.axvline(0.5, color="k", linestyle=":", label="margin")
ax.set_xlabel("excess over the training range (widths)")
ax.set_ylabel("test rows")
ax.legend()
plt.show()
