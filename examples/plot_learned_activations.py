"""
========================================
Learned activations on a regression task
========================================

A variational neural network learns its activation functions together with
its weights. Here a :class:`~sklearn_vnn.VNNRegressor` with two hidden
layers learns one activation per layer on Friedman's regression problem
#1; we compare it with scikit-learn's ``MLPRegressor``, plot what the
activations became, write them out as formulas and name the classic
activation each one is closest to.
"""

# %%
# Data and models
# ---------------
# Friedman #1: ``y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5``
# plus noise, with five more features that do not matter.
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import ActivationDisplay, VNNRegressor
from sklearn_vnn.inspection import fit_classic_activations

X, y = make_friedman1(n_samples=800, noise=0.5, random_state=0)
y = (y - y.mean()) / y.std()
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# both get the same layers and the same budget of 200 L-BFGS iterations
warnings.filterwarnings("ignore", category=ConvergenceWarning)
common = dict(hidden_layer_sizes=(16, 8), solver="lbfgs", max_iter=200)
vnn = make_pipeline(
    StandardScaler(),
    VNNRegressor(basis="fourier", n_basis=8, random_state=0, **common),
).fit(X_train, y_train)
mlp = make_pipeline(
    StandardScaler(), MLPRegressor(activation="tanh", random_state=0, **common)
).fit(X_train, y_train)
print(f"test R^2  VNN: {vnn.score(X_test, y_test):.3f}")
print(f"test R^2  MLP (tanh): {mlp.score(X_test, y_test):.3f}")

# %%
# What the activations became
# ---------------------------
# Each panel shows a hidden layer's learned activation over the range of
# pre-activations the training data produced (1st to 99th percentile,
# recorded during ``fit``), and dashed the ``tanh`` it started as.
est = vnn[-1]
display = ActivationDisplay.from_estimator(est, nearest=True)
display.figure_.suptitle("Learned activations, Friedman #1")
plt.show()

# %%
# The activations as formulas
# ---------------------------
# ``activation_formula`` writes the exact combination out as a numpy
# expression, largest terms first. Keeping only the largest terms gives a
# short formula, and reports the RMS error that costs over the recorded
# range.
for layer in range(len(est.activation_coefs_)):
    full = est.activation_formula(layer)
    short = est.activation_formula(layer, max_terms=3, digits=3)
    print(f"layer {layer}: {len(full.terms)} terms; the 3 largest:")
    print(f"  F(x) = {short}")
    print(
        f"  RMS error {short.rms_error:.3g} "
        f"(RMS of F over the range: {short.rms_activation:.3g})"
    )

# %%
# The nearest classic activation
# ------------------------------
# The best ``a * g(c * x + d) + e`` over the recorded range, for ``g`` among
# tanh, relu, logistic, identity, sin, softplus, silu, gaussian and elu;
# the three best for each layer. Over a narrow range several classic
# shapes can fit a smooth curve almost equally well.
for layer in range(len(est.activation_coefs_)):
    F = est.activation_function(layer)
    fits = fit_classic_activations(F, *F.range)
    print(f"layer {layer} is close to {fits[0].name}:")
    for fit in fits[:3]:
        print(f"  {fit}")
