"""``validation_loss_curve_``: the objective on the early-stopping split."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning

import sklearn_vnn._solvers._stochastic as stochastic
from sklearn_vnn import VNNClassifier, VNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def held_out(monkeypatch):
    """The validation rows of the next fit, recorded from the split."""
    rows = {}
    split = stochastic.train_test_split

    def recording_split(*arrays, **kwargs):
        out = split(*arrays, **kwargs)
        rows["X"], rows["y"] = out[1], out[3]
        return out

    monkeypatch.setattr(stochastic, "train_test_split", recording_split)
    return rows


def test_definition_regressor(held_out):
    X, y = make_regression(n_samples=300, n_features=4, noise=5.0, random_state=0)
    y = y / y.std()
    alpha = 0.05
    est = VNNRegressor(
        hidden_layer_sizes=(8,),
        solver="adam",
        learning_rate_init=0.01,
        alpha=alpha,
        activation_alpha=0.0,
        early_stopping=True,
        max_iter=30,
        random_state=0,
    ).fit(X, y)
    curve = est.validation_loss_curve_
    assert len(curve) == len(est.validation_scores_) == len(est.loss_curve_)
    assert len(curve) == est.n_iter_
    # the model kept is the best validated one: its objective on the
    # held-out rows is the curve's entry at that epoch
    best = int(np.argmax(est.validation_scores_))
    X_val, y_val = held_out["X"], held_out["y"].ravel()
    data_loss = 0.5 * np.mean((est.predict(X_val) - y_val) ** 2)
    batch = min(200, X.shape[0] - X_val.shape[0])
    penalty = 0.5 * alpha * sum((W**2).sum() for W in est.coefs_) / batch
    assert_allclose(curve[best], data_loss + penalty, rtol=1e-10)
    # the validation curve falls while the model learns
    assert curve[-1] < 0.5 * curve[0]


def test_definition_classifier(held_out):
    X, y = load_iris(return_X_y=True)
    est = VNNClassifier(
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        alpha=0.0,
        activation_alpha=0.0,
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=20,
        random_state=0,
    ).fit(X, y)
    best = int(np.argmax(est.validation_scores_))
    proba = est.predict_proba(held_out["X"])
    Y_val = held_out["y"]  # the one-hot columns training uses
    log_loss = -np.mean(np.log(proba[Y_val.astype(bool)]))
    assert_allclose(est.validation_loss_curve_[best], log_loss, rtol=1e-8)


def test_none_without_early_stopping():
    X, y = load_iris(return_X_y=True)
    est = VNNClassifier(hidden_layer_sizes=(4,), max_iter=3).fit(X, y)
    assert est.validation_loss_curve_ is None
    assert est.validation_scores_ is None


def test_nan_when_training_diverges():
    X, y = load_iris(return_X_y=True)
    est = VNNRegressor(
        hidden_layer_sizes=100,
        solver="sgd",
        learning_rate_init=1,
        max_iter=20,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="Early stopping kept the model"):
        est.fit(X, y)
    curve = est.validation_loss_curve_
    assert len(curve) == len(est.validation_scores_) == est.n_iter_
    assert np.isnan(curve[-1])
    assert np.isfinite(curve[0])
