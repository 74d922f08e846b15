"""
===============================================
Training and validation loss with early stopping
===============================================

With ``early_stopping=True`` the stochastic solvers hold out
``validation_fraction`` of the rows. Next to ``loss_curve_`` (the training
objective, averaged over each epoch's batches) and ``validation_scores_``,
``validation_loss_curve_`` records the same objective on the held-out rows
after each epoch: the penalties enter both curves alike, so the gap between
them is the gap in the data loss.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_friedman1

from sklearn_vnn import VNNRegressor

X, y = make_friedman1(n_samples=600, noise=1.0, random_state=0)
y = (y - y.mean()) / y.std()
reg = VNNRegressor(
    hidden_layer_sizes=(64,),
    learning_rate_init=0.01,
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=15,
    max_iter=300,
    random_state=0,
).fit(X, y)
best = int(np.argmax(reg.validation_scores_))
print(
    f"{reg.n_iter_} epochs; best validation R^2 {reg.best_validation_score_:.3f} "
    f"at epoch {best + 1}"
)
print(
    f"at that epoch: training loss {reg.loss_curve_[best]:.4f}, "
    f"validation loss {reg.validation_loss_curve_[best]:.4f}"
)

fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
epochs = np.arange(1, reg.n_iter_ + 1)
ax.plot(epochs, reg.loss_curve_, label="loss_curve_ (training)")
ax.plot(epochs, reg.validation_loss_curve_, label="validation_loss_curve_")
ax.axvline(best + 1, color="gray", linestyle=":", label="model kept")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("objective")
ax.legend()
plt.show()
