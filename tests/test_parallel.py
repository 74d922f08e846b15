"""Parallel and distributed grid search over the VNN estimators.

``GridSearchCV(n_jobs=-1)`` must give the results of ``n_jobs=1``, with the
BLAS thread pools inside the worker processes limited so that workers times
threads do not exceed the cores (joblib's loky backend sets the limits; the
test reads them with threadpoolctl from inside each fit). With the optional
extra ``distributed`` the same search runs on a ``dask.distributed``
``LocalCluster`` through ``joblib.parallel_config(backend="dask")``.

The extra scorers below return facts about the process that scored a
candidate, so that ``cv_results_`` carries them back from the workers.
"""

import os

import numpy as np
import pytest
from joblib import cpu_count, effective_n_jobs, parallel_config
from sklearn.model_selection import GridSearchCV, KFold
from threadpoolctl import threadpool_info

from sklearn_vnn import VNNClassifier, VNNRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

GRID = {"basis": ["fourier", "chebyshev"], "activation_scope": ["layer", "neuron"]}


def _blas_threads(estimator, X, y):
    """Scorer: the largest BLAS thread pool in the process that scores."""
    pools = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    return max(pools, default=0)


def _process_id(estimator, X, y):
    """Scorer: the id of the process that scores."""
    return os.getpid()


def _in_dask_worker(estimator, X, y):
    """Scorer: 1 inside a dask.distributed worker, else 0."""
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return 0
    return 1


def _data(classification):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    return X, (y > 0).astype(int) if classification else y


def _search(n_jobs, classification=False, probe=None):
    X, y = _data(classification)
    cls = VNNClassifier if classification else VNNRegressor
    est = cls(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30, random_state=0)
    scoring = {"score": "accuracy" if classification else "r2"}
    if probe is not None:
        scoring[probe.__name__] = probe
    search = GridSearchCV(
        est, GRID, cv=KFold(3), scoring=scoring, refit="score", n_jobs=n_jobs
    )
    return search.fit(X, y), X


def _assert_same_search(a, b):
    assert a.cv_results_["params"] == b.cv_results_["params"]
    for split in range(3):
        key = f"split{split}_test_score"
        np.testing.assert_array_equal(a.cv_results_[key], b.cv_results_[key])
    assert a.best_params_ == b.best_params_
    X_a, X_b = a.best_estimator_.coefs_[0], b.best_estimator_.coefs_[0]
    np.testing.assert_array_equal(X_a, X_b)


@pytest.mark.parametrize(
    "classification", [False, pytest.param(True, marks=pytest.mark.slow)]
)
def test_n_jobs_minus_one_equals_n_jobs_one(classification):
    serial, _ = _search(1, classification)
    parallel, X = _search(-1, classification, probe=_process_id)
    _assert_same_search(serial, parallel)
    np.testing.assert_array_equal(serial.predict(X), parallel.predict(X))
    if effective_n_jobs(-1) > 1:  # the fits really ran in worker processes
        pids = parallel.cv_results_["mean_test__process_id"]
        assert os.getpid() not in set(pids.astype(int))


def test_no_blas_oversubscription_in_workers():
    n_workers = effective_n_jobs(-1)
    search, _ = _search(-1, probe=_blas_threads)
    threads = search.cv_results_["mean_test__blas_threads"]
    if np.all(threads == 0):
        pytest.skip("threadpoolctl finds no BLAS library")
    # loky gives each of the n_workers processes cpu_count // n_workers
    # threads, so that together they never exceed the cores
    assert np.all(threads >= 1)
    assert np.max(threads) * n_workers <= max(cpu_count(), n_workers)


@pytest.mark.slow
def test_dask_local_cluster_equals_local_run():
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    local, X = _search(1)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,  # in-process workers: nothing leaves this process
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster, timeout="30s"),
        parallel_config(backend="dask"),
    ):
        remote, _ = _search(-1, probe=_in_dask_worker)
    assert np.all(remote.cv_results_["mean_test__in_dask_worker"] == 1)
    _assert_same_search(local, remote)
    np.testing.assert_array_equal(local.predict(X), remote.predict(X))
