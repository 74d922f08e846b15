"""Distributed prediction and incremental training with dask-ml on a
``dask.distributed`` LocalCluster: ``ParallelPostFit`` predicts a dask array
block by block on the workers, equal to a local predict; ``Incremental``
trains through ``partial_fit`` over the blocks, equal to a local loop."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
wrappers = pytest.importorskip("dask_ml.wrappers")

from sklearn_vnn import VNNClassifier, VNNRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

rng = np.random.default_rng(0)
X = rng.normal(size=(400, 4))
y_class = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
y_reg = np.sin(X[:, 0]) + X[:, 1]
CHUNK = 100


def _client(processes):
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=None,
    )
    return cluster, distributed.Client(cluster)


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cluster's start-up notices
        cluster, client = _client(processes=False)
    yield client
    client.close()
    cluster.close()


def _parallel_post_fit(client):
    est = wrappers.ParallelPostFit(
        VNNClassifier(
            hidden_layer_sizes=(6,), solver="lbfgs", max_iter=60, random_state=0
        )
    ).fit(X, y_class)
    dX = da.from_array(X, chunks=CHUNK)
    labels = est.predict(dX)
    proba = est.predict_proba(dX)
    assert isinstance(labels, da.Array) and labels.numblocks == (4,)
    assert_array_equal(labels.compute(), est.estimator.predict(X))
    assert_allclose(proba.compute(), est.estimator.predict_proba(X), rtol=0, atol=0)
    # the blocks really ran on the cluster's workers
    assert client.run(lambda: True)


def test_parallel_post_fit(client):
    _parallel_post_fit(client)


@pytest.mark.slow
def test_parallel_post_fit_on_worker_processes():
    cluster, client = _client(processes=True)
    with cluster, client:
        _parallel_post_fit(client)


@pytest.mark.parametrize("Estimator", [VNNClassifier, VNNRegressor])
def test_incremental_equals_partial_fit_over_the_blocks(client, Estimator):
    y = y_class if Estimator is VNNClassifier else y_reg
    base = Estimator(hidden_layer_sizes=(6,), random_state=0)
    kwargs = {"classes": [0, 1]} if Estimator is VNNClassifier else {}
    inc = wrappers.Incremental(clone(base), shuffle_blocks=False)
    inc.fit(da.from_array(X, chunks=CHUNK), da.from_array(y, chunks=CHUNK), **kwargs)
    local = clone(base)
    for start in range(0, len(y), CHUNK):
        rows = slice(start, start + CHUNK)
        local.partial_fit(X[rows], y[rows], **kwargs)
    assert inc.estimator_.t_ == len(y)
    assert_array_equal(inc.estimator_.predict(X), local.predict(X))
    assert_array_equal(
        inc.predict(da.from_array(X, chunks=CHUNK)).compute(), local.predict(X)
    )


def test_map_blocks_predict(client):
    """The pattern without dask-ml: dask.array.map_blocks over the rows."""
    est = VNNRegressor(
        hidden_layer_sizes=(6,), solver="lbfgs", max_iter=60, random_state=0
    )
    est.fit(X, y_reg)
    dX = da.from_array(X, chunks=(CHUNK, 4))
    pred = dX.map_blocks(est.predict, drop_axis=1, dtype=float)
    assert_array_equal(client.compute(pred).result(), est.predict(X))
