"""
==========================================
Watching training with scikit-learn callbacks
==========================================

scikit-learn 1.9 brought callbacks (``sklearn.callback``, experimental):
objects registered with ``set_callbacks`` that the estimator calls at the
start and end of every task of ``fit``. For a VNN a task is one solver
iteration: an L-BFGS iteration, or an epoch of 'adam' and 'sgd'.
:class:`~sklearn.callback.ScoringMonitor` scores the model of every
iteration, :class:`~sklearn.callback.ProgressBar` draws a progress bar (it
needs ``rich``: ``pip install "sklearn-vnn[progress]"``), and a callback of
your own can stop training by returning True from ``on_fit_task_end``.
"""

# %%
# The accuracy after every epoch
# ------------------------------
import matplotlib.pyplot as plt
from sklearn.callback import ScoringMonitor
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

monitor = ScoringMonitor(scoring="accuracy")
clf = VNNClassifier(hidden_layer_sizes=(32,), max_iter=15, random_state=0)
clf.set_callbacks(monitor)
clf.fit(X_train, y_train)

epochs = [row for row in monitor.get_logs().data if len(row["task_id_path"]) == 2]
accuracy = [row["accuracy"] for row in epochs]
print(
    f"{len(epochs)} epochs; training accuracy {accuracy[0]:.3f} -> {accuracy[-1]:.3f}"
)

# %%
# Stopping on a target
# --------------------
# A callback is any object with the four hooks. This one stops training
# once the model of an epoch reaches 95% accuracy on held-out rows: the
# hook asks for ``fitted_estimator``, a copy of the estimator with that
# epoch's parameters.


class StopAtAccuracy:
    def __init__(self, X, y, target):
        self.X, self.y, self.target = X, y, target

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.parent is None or fitted_estimator is None:
            return False  # the whole fit, not an epoch
        return fitted_estimator.score(self.X, self.y) >= self.target


clf = VNNClassifier(hidden_layer_sizes=(32,), max_iter=100, random_state=0)
clf.set_callbacks(StopAtAccuracy(X_test, y_test, target=0.95))
clf.fit(X_train, y_train)
print(
    f"stopped after {clf.n_iter_} epochs, test accuracy {clf.score(X_test, y_test):.3f}"
)

fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
ax.plot(range(1, len(accuracy) + 1), accuracy, marker="o")
ax.set_xlabel("epoch")
ax.set_ylabel("training accuracy")
ax.set_title("ScoringMonitor on a VNNClassifier")
plt.show()
