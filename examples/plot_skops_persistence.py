"""
=====================================
Sharing a fitted model safely with skops
=====================================

``pickle`` (and joblib) files run code when they are loaded: load only
pickles you made yourself. To share a model, save it with ``skops.io``
(``pip install "sklearn-vnn[persist]"``): its files hold data only, and
loading one lists the types it needs, which you trust by name.
"""

# %%
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import skops.io as sio
from sklearn.datasets import load_iris

from sklearn_vnn import VNNClassifier

X, y = load_iris(return_X_y=True)
clf = VNNClassifier(
    hidden_layer_sizes=(8,), solver="lbfgs", max_iter=200, random_state=0
).fit(X, y)

path = os.path.join(tempfile.mkdtemp(), "vnn.skops")
sio.dump(clf, path)
untrusted = sio.get_untrusted_types(file=path)
print("types to trust:", untrusted)  # check them before trusting them
loaded = sio.load(path, trusted=untrusted)
print(
    "identical predictions:",
    np.array_equal(loaded.predict_proba(X), clf.predict_proba(X)),
)

# %%
# The loaded model is the fitted model, learned activations included.
z = np.linspace(-3, 3, 200)
fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
ax.plot(z, clf.activation_function(0)(z), label="saved")
ax.plot(z, loaded.activation_function(0)(z), "--", label="loaded")
ax.set_xlabel("z")
ax.set_ylabel("F(z)")
ax.legend()
plt.show()
