"""
==========================================
One activation per layer, or one per neuron
==========================================

The paper's Sec. II gives every hidden layer one learned activation
(``activation_scope='layer'``); its Sec. III gives every neuron its own
(``activation_scope='neuron'``): more coefficients, more freedom. We fit
both on the same classification task, compare their accuracy and size,
and look at the activations they learned.
"""

# %%
# Fit both scopes
# ---------------
# Same data, layers, penalties and budget; only the scope differs. The
# penalties (``alpha`` on the weights, ``activation_alpha`` on the
# roughness of the activations) keep the 426 training samples from being
# over-fitted by the extra freedom.
import warnings
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import ActivationDisplay, VNNClassifier
from sklearn_vnn.inspection import nearest_classic_activation

warnings.filterwarnings("ignore", category=ConvergenceWarning)
X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

models = {}
for scope in ["layer", "neuron"]:
    model = make_pipeline(
        StandardScaler(),
        VNNClassifier(
            hidden_layer_sizes=(10,),
            basis="fourier",
            n_basis=6,
            activation_scope=scope,
            alpha=1.0,
            activation_alpha=1.0,
            solver="lbfgs",
            max_iter=200,
            random_state=0,
        ),
    ).fit(X_train, y_train)
    models[scope] = model
    est = model[-1]
    n_params = sum(np.size(a) for a in est.coefs_ + est.intercepts_)
    n_coefs = sum(np.size(c) for c in est.activation_coefs_)
    print(
        f"scope={scope:<6}  test accuracy {model.score(X_test, y_test):.3f}  "
        f"weights+biases {n_params}  activation coefficients {n_coefs}"
    )

# %%
# The learned activations
# -----------------------
# Left: the layer's one activation. Right: six of the ten neurons'
# activations, each over the range of its own pre-activations in training.
# Dashed: what they all started as, the least-squares Fourier fit to
# ``tanh`` on [-3, 3] (held constant beyond it).
fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), layout="constrained")
for ax, scope in zip(axes, models):
    ActivationDisplay.from_estimator(
        models[scope][-1], layer=0, neurons=None, ax=ax, max_neurons=6
    )
    ax.set_title(f"activation_scope='{scope}'")
plt.show()

# %%
# How classic are they?
# ---------------------
# The nearest classic activation ``a * g(c * x + d) + e`` of the layer, and
# of every neuron in neuron scope.
layer_fit = nearest_classic_activation(models["layer"][-1], 0)
print(f"layer scope: {layer_fit}")
neuron_est = models["neuron"][-1]
fits = [
    nearest_classic_activation(neuron_est, 0, neuron=j)
    for j in range(neuron_est.coefs_[0].shape[1])
]
print("neuron scope, nearest classic per neuron:", dict(Counter(f.name for f in fits)))
print(f"neuron scope, lowest R^2 of those fits: {min(f.r2 for f in fits):.4f}")
