"""
============================================
Class weights on imbalanced classes
============================================

With one class much rarer than the others a classifier can do well on
average and miss most of the rare class. ``class_weight='balanced'``
weighs each class by ``n_samples / (n_classes * count)`` (a dict
``{class: weight}`` sets them by hand), which multiplies the rows' sample
weights, as in scikit-learn's linear models.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split

from sklearn_vnn import VNNClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_classification(
    n_samples=1000,
    n_features=6,
    n_informative=4,
    weights=[0.9],
    flip_y=0,
    class_sep=0.5,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
print(f"rare class: {y_train.mean():.1%} of the training rows")

recalls = {}
for class_weight in [None, "balanced"]:
    clf = VNNClassifier(
        hidden_layer_sizes=(8,),
        solver="lbfgs",
        max_iter=100,
        class_weight=class_weight,
        random_state=0,
    ).fit(X_train, y_train)
    pred = clf.predict(X_test)
    recalls[str(class_weight)] = recall_score(y_test, pred)
    print(
        f"class_weight={class_weight!s:<9} recall of the rare class "
        f"{recall_score(y_test, pred):.2f}, balanced accuracy "
        f"{balanced_accuracy_score(y_test, pred):.2f}"
    )

fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
ax.bar(list(recalls), list(recalls.values()))
ax.set_xlabel("class_weight")
ax.set_ylabel("recall of the rare class")
plt.show()
