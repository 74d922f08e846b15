"""
==========================================================
Precise function fitting: Levenberg-Marquardt and a ladder
==========================================================

A learned activation can be a function the target is built from. On
noiseless data, ``solver='lm'`` (Levenberg-Marquardt on the exact Jacobian
of the squared error) with a small ``tol``, the ``'polynomial'`` basis
(Chebyshev polynomials of a linear map of the design range) and
``adapt_range=True`` (the design ranges follow the pre-activations) fit
such targets to many digits with a few dozen parameters.

The refinement ladder starts with a small basis and grows it: with
``warm_start=True``, a new ``n_basis`` projects every learned activation
onto the larger basis and the next ``fit`` goes on from there, as KAN
refines its spline grid. Here ``exp(sin(pi x) + y^2)``, which a
(2, 1) network represents as ``exp(F(x) + G(y))``, climbs three rungs.
Then ``x y = ((x + y)^2 - (x - y)^2) / 4``, exact for two neurons that
share one quadratic activation.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_vnn import VNNRegressor

rng = np.random.default_rng(0)
X_train = rng.uniform(-1, 1, (1000, 2))
X_test = rng.uniform(-1, 1, (1000, 2))


def exp_sin(X):
    return np.exp(np.sin(np.pi * X[:, 0]) + X[:, 1] ** 2)


def rmse(model, X, y):
    return np.sqrt(np.mean((model.predict(X) - y) ** 2))


model = VNNRegressor(
    hidden_layer_sizes=(2, 1),
    activation_scope="neuron",
    basis="polynomial",
    n_basis=6,
    basis_params={"scale": 1.5},
    solver="lm",
    max_iter=100,
    tol=1e-15,
    alpha=0.0,
    activation_alpha=0.0,
    n_init=4,
    adapt_range=True,
    random_state=0,
)
rungs = []
for n_basis in (6, 10, 16):
    if n_basis != 6:
        model.set_params(warm_start=True, n_basis=n_basis, n_init=1)
    with warnings.catch_warnings():
        # a stage that stops at max_iter is fine: the next rung goes on
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, exp_sin(X_train))
    rungs.append(rmse(model, X_test, exp_sin(X_test)))
    print(f"n_basis={n_basis:2d}: test RMSE {rungs[-1]:.2e}")

# %%
# The product: two neurons, one shared activation of three polynomials.
product = VNNRegressor(
    hidden_layer_sizes=(2,),
    basis="polynomial",
    n_basis=3,
    solver="lm",
    max_iter=500,
    tol=1e-15,
    alpha=0.0,
    activation_alpha=0.0,
    n_init=4,
    adapt_range=True,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    product.fit(X_train, X_train[:, 0] * X_train[:, 1])
error = rmse(product, X_test, X_test[:, 0] * X_test[:, 1])
n_params = sum(a.size for a in product.coefs_ + product.intercepts_) + sum(
    c.size for c in product.activation_coefs_
)
print(f"x y with {n_params} parameters: test RMSE {error:.2e}")

# %%
# The ladder's test RMSE, rung by rung.
fig, ax = plt.subplots(figsize=(4.5, 3.2), layout="constrained")
ax.semilogy([6, 10, 16], rungs, "o-")
ax.set_xlabel("n_basis")
ax.set_ylabel("test RMSE")
ax.set_title("exp(sin(pi x) + y^2), (2, 1) network")
plt.show()
