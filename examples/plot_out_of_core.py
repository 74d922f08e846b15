"""
Out-of-core training with partial_fit over a memory-mapped file
===============================================================

When the rows do not fit in memory, train on them a chunk at a time:
``partial_fit`` runs one epoch of the stochastic solver ('adam' or 'sgd')
over the chunk it is given and keeps its state for the next one. Here the
data is a file on disk read through :class:`numpy.memmap`, one window of
rows at a time, so the process never holds more than one chunk, whatever
the file's length. dask-ml's ``Incremental`` wrapper drives ``partial_fit``
the same way, over the blocks of a dask array.
"""

# %%
# A training file on disk
# -----------------------
# 400,000 rows of 20 features and a target (64 MiB), written chunk by chunk
# so that it is never in memory whole either. In practice this file already
# exists: any flat binary file of float64 rows can be mapped.
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np

from sklearn_vnn import VNNRegressor

N_ROWS, N_FEATURES, CHUNK = 400_000, 20, 5_000
N_COLS = N_FEATURES + 1


def target(X):
    return np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] - np.abs(X[:, 3])


path = os.path.join(tempfile.mkdtemp(), "train.dat")
data = np.memmap(path, np.float64, "w+", shape=(N_ROWS, N_COLS))
for start in range(0, N_ROWS, CHUNK):
    X = np.random.default_rng([0, start]).normal(size=(CHUNK, N_FEATURES))
    data[start : start + CHUNK, :-1] = X
    data[start : start + CHUNK, -1] = target(X)
data.flush()
del data
print(f"{path}: {os.path.getsize(path) / 2**20:.0f} MiB")

# %%
# Reading one chunk
# -----------------
# Map only the rows of one chunk, copy them, and drop the map: neither this
# chunk's pages nor earlier ones stay resident.


def read_chunk(path, start, n_rows):
    window = np.memmap(
        path, np.float64, "r", offset=start * N_COLS * 8, shape=(n_rows, N_COLS)
    )
    rows = np.array(window)
    del window
    return rows[:, :-1], rows[:, -1]


def resident_mib():
    """This process's resident set size (Linux), or NaN elsewhere."""
    try:
        with open("/proc/self/status") as f:
            line = next(s for s in f if s.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return float("nan")


# %%
# Streaming the chunks through partial_fit
# ----------------------------------------
# Two epochs, each over the chunks in a fresh random order; the loss of each
# call and the resident memory after it are recorded.
reg = VNNRegressor(
    hidden_layer_sizes=(32,), batch_size=500, learning_rate_init=0.005, random_state=0
)
rng = np.random.default_rng(0)
starts = np.arange(0, N_ROWS, CHUNK)
losses, memory = [], []
for epoch in range(2):
    for start in rng.permutation(starts):
        X, y = read_chunk(path, start, CHUNK)
        reg.partial_fit(X, y)
        losses.append(reg.loss_)
        memory.append(resident_mib())

X_test = np.random.default_rng(1).normal(size=(5_000, N_FEATURES))
print(f"R^2 on new data: {reg.score(X_test, target(X_test)):.3f}")
print(f"resident memory: {min(memory):.0f} to {max(memory):.0f} MiB")

# %%
# Loss and memory as the rows go by
# ---------------------------------
# The loss falls as chunks stream past; the resident memory stays flat,
# though the process reads the 64 MiB file twice.
rows_seen = CHUNK * np.arange(1, len(losses) + 1)
fig, (ax_loss, ax_mem) = plt.subplots(2, 1, sharex=True, figsize=(6, 5))
ax_loss.plot(rows_seen, losses)
ax_loss.set(yscale="log", ylabel="training loss of the chunk")
ax_mem.plot(rows_seen, memory)
ax_mem.set(xlabel="rows seen", ylabel="resident memory (MiB)")
ax_mem.set_ylim(0, 1.5 * max(memory))
fig.tight_layout()
plt.show()

os.remove(path)
os.rmdir(os.path.dirname(path))
