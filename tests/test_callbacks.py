"""scikit-learn's callback API (``sklearn.callback``, scikit-learn >= 1.9):
one task per solver iteration, stopping on request, the model of every
iteration, ProgressBar and ScoringMonitor, alone and inside GridSearchCV."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV

import sklearn_vnn._callbacks as callbacks_module
from sklearn_vnn import VNNClassifier, VNNRegressor

callback = pytest.importorskip("sklearn.callback")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, y = load_iris(return_X_y=True)
SOLVERS = ["lbfgs", "adam", "sgd"]


class Recorder:
    """Records the hooks' calls; stops after ``stop_after`` iterations."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events, self.models = [], []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context.task_name))
        if context.parent is None or fitted_estimator is None:
            return False
        self.models.append(fitted_estimator)
        return self.stop_after is not None and len(self.models) >= self.stop_after


def _clf(solver, **params):
    params = {**dict(hidden_layer_sizes=(5,), max_iter=8, random_state=0), **params}
    return VNNClassifier(solver=solver, **params)


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_task_per_iteration(solver):
    recorder = Recorder()
    est = _clf(solver).set_callbacks(recorder)
    est.fit(X, y)
    assert recorder.events[0] == "setup" and recorder.events[-1] == "teardown"
    assert recorder.events[1] == ("begin", "fit")
    assert recorder.events[-2] == ("end", "fit")
    assert len(recorder.models) == est.n_iter_ > 1
    begins = [e for e in recorder.events if e[0] == "begin" and e[1] != "fit"]
    ends = [e for e in recorder.events if e[0] == "end" and e[1] != "fit"]
    assert len(begins) == len(ends)  # every task that begins ends


@pytest.mark.parametrize("solver", SOLVERS)
def test_fitted_estimator_has_that_iterations_parameters(solver):
    recorder = Recorder()
    est = _clf(solver).set_callbacks(recorder).fit(X, y)
    first, last = recorder.models[0], recorder.models[-1]
    for name in ("coefs_", "intercepts_", "activation_coefs_"):
        for a, b in zip(getattr(last, name), getattr(est, name)):
            assert_array_equal(a, b)
            assert not np.shares_memory(a, b)  # copies, not views
    # an earlier iteration's model is another one, and predicts
    assert np.abs(first.coefs_[0] - est.coefs_[0]).max() > 1e-6
    assert first.predict_proba(X).shape == (150, 3)
    assert_array_equal(last.predict(X), est.predict(X))


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_callback_stops_training(solver):
    recorder = Recorder(stop_after=3)
    est = _clf(solver, max_iter=50).set_callbacks(recorder)
    with warnings.catch_warnings():
        # a requested stop is no failure to converge
        warnings.filterwarnings("error", message=".*(converge|Maximum iter)")
        est.fit(X, y)
    assert est.n_iter_ == 3
    for a, b in zip(recorder.models[-1].coefs_, est.coefs_):
        assert_array_equal(a, b)


def test_partial_fit_is_one_task():
    recorder = Recorder()
    est = VNNRegressor(hidden_layer_sizes=(4,), random_state=0)
    est.set_callbacks(recorder)
    for _ in range(3):
        est.partial_fit(X[:, :3], X[:, 3])
    assert recorder.events.count("setup") == 3
    assert len(recorder.models) == 3
    assert recorder.events.count(("begin", "fit")) == 3


def test_progress_bar_shows_training(capsys):
    pytest.importorskip("rich")
    est = _clf("adam").set_callbacks(callback.ProgressBar())
    est.fit(X, y)
    out = capsys.readouterr().out
    assert "VNNClassifier - fit" in out
    assert "100%" in out


def test_scoring_monitor_scores_every_iteration():
    pytest.importorskip("pandas")
    monitor = callback.ScoringMonitor(scoring="accuracy")
    est = _clf("lbfgs").set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    iterations = [row for row in rows if len(row["task_id_path"]) == 2]
    assert len(iterations) == est.n_iter_
    assert [row["task_id"] for row in iterations] == list(range(est.n_iter_))
    assert iterations[-1]["accuracy"] == est.score(X, y)
    assert iterations[0]["accuracy"] < iterations[-1]["accuracy"]


def test_scoring_monitor_in_grid_search():
    pytest.importorskip("pandas")
    monitor = callback.ScoringMonitor(scoring="accuracy")
    est = _clf("adam", max_iter=4, n_iter_no_change=100).set_callbacks(monitor)
    grid = {"alpha": [1e-4, 1e-1]}
    search = GridSearchCV(est, grid, cv=2).fit(X, y)
    plain = GridSearchCV(clone(est).set_callbacks(), grid, cv=2).fit(X, y)
    assert_array_equal(
        search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    rows = monitor.get_logs().data
    # the iterations of each fit (2 candidates x 2 folds, and the refit)
    fits = {}
    for row in rows:
        if row["task_name"] == "adam iteration":
            fits.setdefault(row["parent_task_id_path"], []).append(row["accuracy"])
    assert len(fits) == 5
    assert all(len(scores) == 4 for scores in fits.values())


def test_a_failed_fit_tears_down_and_keeps_its_callbacks():
    recorder = Recorder()
    est = VNNRegressor(
        hidden_layer_sizes=(50,),
        solver="sgd",
        learning_rate_init=10.0,
        max_iter=20,
        random_state=0,
    ).set_callbacks(recorder)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X, X[:, 0] * 1e3)
    assert recorder.events[-1] == "teardown"
    assert est._skl_callbacks == [recorder]
    assert not hasattr(est, "coefs_")  # the failed call changed nothing


def test_clone_shares_the_callbacks():
    recorder = Recorder()
    est = clone(_clf("adam").set_callbacks(recorder)).fit(X, y)
    assert len(recorder.models) == est.n_iter_


def test_without_sklearn_callbacks(monkeypatch):
    """scikit-learn < 1.9: set_callbacks is absent and says what it needs;
    fitting works."""
    monkeypatch.setattr(callbacks_module, "HAS_CALLBACKS", False)

    class OldVNN(callbacks_module.NoCallbackSupport, VNNClassifier):
        pass

    est = OldVNN(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
    assert not hasattr(est, "set_callbacks")
    with pytest.raises(AttributeError, match=r"scikit-learn >= 1\.9"):
        est.set_callbacks(Recorder())
    est.fit(X, y)
    assert est.n_iter_ == 3
    # a callback left on the estimator is not called
    recorder = Recorder()
    est._skl_callbacks = [recorder]
    est.fit(X, y)
    assert recorder.events == []
