"""Out-of-core training: ``partial_fit`` streamed over an ``np.memmap`` file.

A training file several times the chunk size is written chunk by chunk,
then trained on one chunk at a time, mapping only the rows of the current
chunk. The quick test measures the peak of ``tracemalloc`` in this process;
the slow ones train in a fresh process and read its peak resident set size
(``VmHWM``, reset after start-up through ``/proc/self/clear_refs``). The
peaks for a file four times longer must be the same to within a small
fraction of the extra data; loading the whole file instead (the control)
must raise them by about the file's size, which shows the measurement would
catch a copy of the data.
"""

import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from sklearn_vnn import VNNRegressor

N_FEATURES = 20
CHUNK_ROWS = 2_000
MB = 2.0**20

_linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/self/status"
)


def read_chunk(path, start, stop):
    """Rows ``start:stop`` of the file, read through a map of only those rows.

    The rows are copied and the map dropped, so that neither this chunk's
    pages nor earlier ones stay resident.
    """
    window = np.memmap(
        path,
        np.float64,
        "r",
        offset=start * (N_FEATURES + 1) * 8,
        shape=(stop - start, N_FEATURES + 1),
    )
    rows = np.array(window)
    del window
    return rows


def iter_chunks(path, n_rows, mode="chunks"):
    """(X, y) chunk by chunk; mode 'whole' (the control) loads the file first."""
    whole = None
    if mode == "whole":
        shape = (n_rows, N_FEATURES + 1)
        whole = np.array(np.memmap(path, np.float64, "r", shape=shape))
    for start in range(0, n_rows, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n_rows)
        rows = read_chunk(path, start, stop) if whole is None else whole[start:stop]
        yield rows[:, :-1], rows[:, -1]


def _target(X):
    return np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]


def stream_train(path, n_rows, mode="chunks"):
    """Train with one partial_fit per chunk; the peak of tracemalloc and more.

    Returns
    -------
    dict
        ``heap_peak`` (bytes allocated at the peak, as tracemalloc counts
        them), ``n_partial_fit`` and ``r2`` on new data.
    """
    reg = VNNRegressor(
        hidden_layer_sizes=(16,),
        batch_size=500,
        learning_rate_init=0.01,
        random_state=0,
    )
    tracemalloc.start()
    try:
        for X, y in iter_chunks(path, n_rows, mode):
            reg.partial_fit(X, y)
        heap_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    X_test = np.random.default_rng(123).normal(size=(2000, N_FEATURES))
    return dict(
        heap_peak=heap_peak,
        n_partial_fit=len(reg.loss_curve_),
        r2=reg.score(X_test, _target(X_test)),
    )


# Runs stream_train in a fresh process and adds its peak resident set size:
# python -c _SCRIPT this_file path n_rows mode
_SCRIPT = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("ooc", sys.argv[1])
ooc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ooc)
try:  # reset the peak RSS to the current RSS (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
except OSError:
    pass
result = ooc.stream_train(sys.argv[2], int(sys.argv[3]), sys.argv[4])
with open("/proc/self/status") as f:
    hwm = next(line for line in f if line.startswith("VmHWM:"))
result["peak_rss"] = int(hwm.split()[1]) * 1024
print(json.dumps(result))
"""


def write_training_file(path, n_rows, seed=0):
    """Write ``n_rows`` rows of [X, y] to an np.memmap file, chunk by chunk."""
    data = np.memmap(path, np.float64, "w+", shape=(n_rows, N_FEATURES + 1))
    for start in range(0, n_rows, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, n_rows)
        rng = np.random.default_rng([seed, start])
        X = rng.normal(size=(stop - start, N_FEATURES))
        data[start:stop, :-1] = X
        data[start:stop, -1] = _target(X)
    data.flush()
    del data
    return path


def train_in_subprocess(path, n_rows, mode="chunks"):
    """Run the streamed training in a fresh process; its measurements."""
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, __file__, str(path), str(n_rows), mode],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("out_of_core")
    rows = {"small": 25 * CHUNK_ROWS, "large": 100 * CHUNK_ROWS}
    return {
        name: (write_training_file(folder / f"{name}.dat", n), n)
        for name, n in rows.items()
    }


def _file_mb(n_rows):
    return n_rows * (N_FEATURES + 1) * 8 / MB


def test_heap_peak_does_not_grow_with_rows(files):
    small = stream_train(*files["small"])
    large = stream_train(*files["large"])
    extra_mb = _file_mb(files["large"][1]) - _file_mb(files["small"][1])
    assert extra_mb > 20  # the larger file is 25 MiB more data
    # one partial_fit per chunk, each an epoch over its chunk
    assert small["n_partial_fit"] == 25 and large["n_partial_fit"] == 100
    # four times the rows: the allocation peak grows by < 2% of the extra data
    assert (large["heap_peak"] - small["heap_peak"]) / MB < 0.02 * extra_mb
    assert large["heap_peak"] / MB < 0.5 * _file_mb(files["small"][1])
    # and the stream really trained the model
    assert large["r2"] > 0.9


@pytest.mark.slow
@_linux_only
def test_peak_resident_memory_does_not_grow_with_rows(files):
    small = train_in_subprocess(*files["small"])
    large = train_in_subprocess(*files["large"])
    extra_mb = _file_mb(files["large"][1]) - _file_mb(files["small"][1])
    # four times the rows: the peak RSS grows by < 10% of the extra data
    assert (large["peak_rss"] - small["peak_rss"]) / MB < 0.1 * extra_mb


@pytest.mark.slow
@_linux_only
def test_measurement_sees_a_whole_copy(files):
    """Control: loading the file whole shows up in both peaks."""
    path, n_rows = files["large"]
    chunked = train_in_subprocess(path, n_rows)
    whole = train_in_subprocess(path, n_rows, mode="whole")
    size_mb = _file_mb(n_rows)
    assert (whole["peak_rss"] - chunked["peak_rss"]) / MB > 0.8 * size_mb
    assert (whole["heap_peak"] - chunked["heap_peak"]) / MB > 0.8 * size_mb
    assert whole["r2"] == chunked["r2"]  # the same rows in the same order


# python tests/test_out_of_core.py: the memory figures, in MiB
if __name__ == "__main__":
    import pathlib
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for n_chunks in (25, 100):
            n_rows = n_chunks * CHUNK_ROWS
            path = write_training_file(pathlib.Path(folder) / "train.dat", n_rows)
            for mode in ("chunks", "whole"):
                res = train_in_subprocess(path, n_rows, mode)
                print(
                    f"{n_rows} rows ({_file_mb(n_rows):.1f} MiB file), {mode}: "
                    f"peak RSS {res['peak_rss'] / MB:.2f}, "
                    f"tracemalloc peak {res['heap_peak'] / MB:.2f}, "
                    f"R^2 {res['r2']:.3f}"
                )
