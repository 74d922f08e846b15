"""``class_weight`` on VNNClassifier: the same model as the equivalent
``sample_weight``, combined with ``sample_weight`` by multiplication."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

from sklearn_vnn import VNNClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _imbalanced(n_classes=3):
    X, y = make_classification(
        n_samples=150,
        n_features=5,
        n_informative=3,
        n_classes=n_classes,
        weights=[0.6, 0.3, 0.1][:n_classes] if n_classes == 3 else [0.8, 0.2],
        random_state=0,
    )
    return X, np.array(["a", "b", "c"])[y]


def _clf(**params):
    return VNNClassifier(
        hidden_layer_sizes=(6,), solver="lbfgs", max_iter=60, random_state=0, **params
    )


def _assert_same_model(a, b):
    for x, z in zip(a.coefs_ + a.activation_coefs_, b.coefs_ + b.activation_coefs_):
        np.testing.assert_allclose(x, z, rtol=0, atol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_balanced_equals_sample_weight(n_classes):
    X, y = _imbalanced(n_classes)
    weighted = _clf(class_weight="balanced").fit(X, y)
    by_hand = _clf().fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    _assert_same_model(weighted, by_hand)
    # and the weights matter: the unweighted model is another one
    plain = _clf().fit(X, y)
    assert np.abs(plain.coefs_[0] - weighted.coefs_[0]).max() > 1e-3


def test_dict_times_sample_weight():
    X, y = _imbalanced()
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    class_weight = {"a": 1.0, "c": 4.0}  # 'b' left out: weight 1
    weighted = _clf(class_weight=class_weight).fit(X, y, sample_weight=sw)
    factor = np.select([y == "a", y == "c"], [1.0, 4.0], 1.0)
    by_hand = _clf().fit(X, y, sample_weight=sw * factor)
    _assert_same_model(weighted, by_hand)


def test_balanced_counts_sample_weight():
    # as LogisticRegression: the class frequencies are weighted counts
    X, y = _imbalanced()
    sw = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    classes = np.unique(y)
    cw = compute_class_weight("balanced", classes=classes, y=y, sample_weight=sw)
    weighted = _clf(class_weight="balanced").fit(X, y, sample_weight=sw)
    by_hand = _clf().fit(X, y, sample_weight=sw * cw[np.searchsorted(classes, y)])
    _assert_same_model(weighted, by_hand)


def test_multilabel_balanced_per_output():
    X, Y = make_multilabel_classification(
        n_samples=120, n_features=5, n_classes=3, random_state=0
    )
    weighted = _clf(class_weight="balanced").fit(X, Y)
    by_hand = _clf().fit(X, Y, sample_weight=compute_sample_weight("balanced", Y))
    _assert_same_model(weighted, by_hand)
    with pytest.raises(ValueError, match="multilabel"):
        _clf(class_weight={0: 1.0, 1: 2.0}).fit(X, Y)


def test_partial_fit():
    X, y = _imbalanced()
    est = VNNClassifier(hidden_layer_sizes=(6,), class_weight="balanced")
    with pytest.raises(ValueError, match="not supported for partial_fit"):
        est.partial_fit(X, y, classes=np.unique(y))
    assert not hasattr(est, "classes_")  # the refused call changed nothing
    params = dict(hidden_layer_sizes=(6,), random_state=0, shuffle=False)
    weighted = VNNClassifier(class_weight={"c": 5.0}, **params)
    by_hand = VNNClassifier(**params)
    for half in (slice(0, 75), slice(75, None)):
        weighted.partial_fit(X[half], y[half], classes=np.unique(y))
        by_hand.partial_fit(
            X[half],
            y[half],
            sample_weight=np.where(y[half] == "c", 5.0, 1.0),
            classes=np.unique(y),
        )
    _assert_same_model(weighted, by_hand)


def test_bad_class_weight():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match="not in classes_"):
        _clf(class_weight={"z": 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="class_weight"):
        _clf(class_weight="auto").fit(X, y)
    with pytest.raises(ValueError, match="zero weight"):
        _clf(class_weight={"a": 0.0, "b": 0.0, "c": 0.0}).fit(X, y)


def test_get_params_and_early_stopping():
    assert VNNClassifier(class_weight="balanced").get_params()["class_weight"] == (
        "balanced"
    )
    X, y = _imbalanced()
    est = VNNClassifier(
        hidden_layer_sizes=(6,),
        class_weight="balanced",
        early_stopping=True,
        max_iter=5,
        random_state=0,
    ).fit(X, y)
    assert len(est.validation_scores_) == est.n_iter_
