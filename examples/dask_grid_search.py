"""
Grid search over VNN on a dask.distributed cluster
==================================================

scikit-learn's :class:`~sklearn.model_selection.GridSearchCV` hands its fits
to joblib, and joblib can hand them to a ``dask.distributed`` cluster: inside
``joblib.parallel_config(backend="dask")`` every candidate and fold becomes a
task on the cluster's workers. Nothing in the search code changes.

Run ``python examples/dask_grid_search.py`` to start a
:class:`~distributed.LocalCluster` on this machine, or pass the address of a
running scheduler::

    python examples/dask_grid_search.py tcp://10.0.0.5:8786

(started elsewhere with ``dask scheduler`` and ``dask worker
tcp://10.0.0.5:8786`` on each machine; every worker needs sklearn-vnn and
the same library versions installed). Needs the extra ``distributed``:
``pip install "sklearn-vnn[distributed]"``.
"""

# %%
# The search: a VNN classifier on the wine data, scaled in a pipeline, over
# the basis family and the scope of the learned activations.
import sys
import time

from distributed import Client, LocalCluster
from joblib import parallel_config
from sklearn.datasets import load_wine
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNClassifier


def make_search():
    model = make_pipeline(
        StandardScaler(),
        VNNClassifier(
            hidden_layer_sizes=(8,), solver="lbfgs", max_iter=100, random_state=0
        ),
    )
    grid = {
        "vnnclassifier__basis": ["fourier", "chebyshev", "bspline"],
        "vnnclassifier__activation_scope": ["layer", "neuron"],
    }
    return GridSearchCV(model, grid, cv=KFold(3, shuffle=True, random_state=0))


# %%
# Connect: to the scheduler named on the command line, else to a small
# cluster of two single-threaded worker processes on this machine. With a
# real cluster the only change is the address given to ``Client``, e.g.
# ``Client("tcp://10.0.0.5:8786")``.
def connect(address=None):
    if address is not None:
        return Client(address, timeout="30s"), None
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    )
    return Client(cluster, timeout="30s"), cluster


# %%
# Run the search on the cluster, then once more in this process, and check
# that both give the same scores.
def main(address=None):
    X, y = load_wine(return_X_y=True)
    client, cluster = connect(address)
    try:
        print(f"cluster: {client.scheduler.address}, workers: {len(client.nthreads())}")
        start = time.perf_counter()
        with parallel_config(backend="dask"):
            remote = make_search().fit(X, y)
        print(f"dask search:  {time.perf_counter() - start:.1f} s")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    start = time.perf_counter()
    local = make_search().fit(X, y)
    print(f"local search: {time.perf_counter() - start:.1f} s")

    for params, score in zip(
        remote.cv_results_["params"], remote.cv_results_["mean_test_score"]
    ):
        print(f"  accuracy {score:.3f}  {params}")
    print("best:", remote.best_params_)
    same = remote.cv_results_["mean_test_score"] == local.cv_results_["mean_test_score"]
    print("same scores as the local run:", bool(same.all()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
