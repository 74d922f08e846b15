"""Safe persistence with skops: a fitted model is saved with ``skops.io``
and loaded with the types it needs listed as trusted (never arbitrary code,
as unpickling may run), and predicts identically."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris

from sklearn_vnn import VNNClassifier, VNNRegressor
from sklearn_vnn.bases import BASES

sio = pytest.importorskip("skops.io")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = load_iris(return_X_y=True)


def _round_trip(est, tmp_path):
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    untrusted = sio.get_untrusted_types(file=path)
    # only this library's own types need trusting; numpy and scikit-learn
    # types are trusted by skops already
    assert untrusted and all(name.startswith("sklearn_vnn.") for name in untrusted)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    return sio.load(path, trusted=untrusted), untrusted


@pytest.mark.parametrize("basis", sorted(BASES))
def test_classifier_round_trip(basis, tmp_path):
    est = VNNClassifier(
        hidden_layer_sizes=(5,), basis=basis, max_iter=5, random_state=0
    ).fit(X, y)
    loaded, untrusted = _round_trip(est, tmp_path)
    assert "sklearn_vnn._classifier.VNNClassifier" in untrusted
    assert type(loaded.basis_) is type(est.basis_)
    assert_array_equal(loaded.predict(X), est.predict(X))
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    # the optimiser's state came along: training goes on identically
    est.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_regressor_round_trip(tmp_path):
    est = VNNRegressor(
        hidden_layer_sizes=(4, 3),
        solver="lbfgs",
        activation_scope="neuron",
        learn_output_activation=True,
        max_iter=30,
        random_state=0,
    ).fit(X[:, :3], X[:, 3])
    loaded, _ = _round_trip(est, tmp_path)
    assert_array_equal(loaded.predict(X[:, :3]), est.predict(X[:, :3]))
    for a, b in zip(loaded.activation_coefs_, est.activation_coefs_):
        assert_array_equal(a, b)
    assert loaded.get_params() == est.get_params()


def test_dumps_loads_in_memory():
    est = VNNClassifier(hidden_layer_sizes=(3,), max_iter=3, random_state=0).fit(X, y)
    data = sio.dumps(est)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert_array_equal(loaded.predict(X), est.predict(X))
    assert np.array_equal(loaded.classes_, est.classes_)
