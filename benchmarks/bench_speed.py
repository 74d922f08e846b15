"""Speed and memory: VNN against scikit-learn's MLPClassifier, side by side.

The set-up of issue #13: digits (scaled to [0, 1]) tiled ten times to
17,970 rows, hidden layers (256, 256), batch 200, adam, the same
random_state, MLP with relu.

* **Epoch time**: the difference of two fresh fits, of ``--epochs`` (1 and
  3) epochs, over the difference in epochs, so that the set-up of ``fit``
  (validation, initialisation) is not counted.
* **Threads**: the headline is wall-clock time with the default number of
  threads (all the cores BLAS uses). Beside it, the same with BLAS held to
  one thread (``threadpoolctl``), in wall-clock and in CPU seconds (CPU
  time counts the work done, not the wait on a shared machine). The
  *scaling* of an estimator is its one-thread wall time over its
  default-thread wall time.
* **Pairs**: each repeat times MLP and then VNN, so that both see the same
  load; a ratio is the median over repeats of the paired ratios VNN/MLP.
* **Prediction**: ``predict`` on 100,000 rows drawn from digits, paired in
  the same way.
* **Memory**: the peak of Python-traced allocations (``tracemalloc``; NumPy
  reports its buffers to it) during a fresh one-epoch ``fit``. The numba
  kernels' scratch rows (a few KiB per task, freed at once) are not traced.
* **Kernels**: each configuration runs on the numba kernels (the 'fast'
  extra) and on the NumPy path (``SKLEARN_VNN_KERNELS``), when numba is
  installed; ``--kernels`` picks one.

VNN runs at M = 8 (``--full``: M in {4, 8, 16}) in both activation
scopes, with the Fourier and Chebyshev bases, in float64 and float32 (the
input's dtype; both estimators keep it).

Run ``python benchmarks/bench_speed.py`` (about 15 minutes on two busy
cores). It prints the rows as they come and writes
``benchmarks/results/speed.md``.
"""

import argparse
import importlib.util
import os
import platform
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

import sklearn_vnn
from sklearn_vnn import VNNClassifier

HIDDEN = (256, 256)
BATCH = 200
N_TILES = 10
N_PREDICT = 100_000
RESULTS = Path(__file__).resolve().parent / "results" / "speed.md"

# the targets (ratios VNN/MLP in the same run, default threads, M=8)
TRAIN_TARGETS = {"layer": 1.15, "neuron": 1.3}
PREDICT_TARGET = 1.2
MEMORY_TARGET = 1.5

# the activation's paths (sklearn_vnn._kernels): numba's when installed
KERNELS = ("numba", "numpy") if importlib.util.find_spec("numba") else ("numpy",)


def load_data(dtype):
    """Digits tiled to ~18,000 rows, and 100,000 rows to predict."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rng = np.random.default_rng(0)
    X_pred = X[rng.integers(0, len(X), N_PREDICT)]
    return (
        np.tile(X, (N_TILES, 1)).astype(dtype),
        np.tile(y, N_TILES),
        X_pred.astype(dtype),
    )


def _fixed_length(**extra):
    """Parameters that make ``fit`` run exactly ``max_iter`` epochs."""
    return dict(
        batch_size=BATCH, random_state=0, tol=0.0, n_iter_no_change=10**6, **extra
    )


def make_mlp(**extra):
    return MLPClassifier(hidden_layer_sizes=HIDDEN, **_fixed_length(**extra))


def make_vnn(basis, n_basis, scope, **extra):
    return VNNClassifier(
        hidden_layer_sizes=HIDDEN,
        basis=basis,
        n_basis=n_basis,
        activation_scope=scope,
        **_fixed_length(**extra),
    )


def clocks():
    """Wall and CPU time, now."""
    return np.array([time.perf_counter(), time.process_time()])


def timed(func):
    """(wall, cpu) seconds that ``func()`` took."""
    start = clocks()
    func()
    return clocks() - start


def epoch_time(factory, X, y, epochs):
    """(wall, cpu) seconds per epoch: two fresh fits, their difference."""
    short, long_ = epochs
    t_short = timed(lambda: factory(max_iter=short).fit(X, y))
    t_long = timed(lambda: factory(max_iter=long_).fit(X, y))
    return (t_long - t_short) / (long_ - short)


def paired(first, second, repeats):
    """Alternating measurements of two callables returning (wall, cpu).

    Returns
    -------
    out : dict
        Medians ``first``, ``second`` (arrays (wall, cpu)) and ``ratio``,
        the median of the paired ratios second / first (wall, cpu).
    """
    a, b = [], []
    for _ in range(repeats):
        a.append(first())
        b.append(second())
    a, b = np.array(a), np.array(b)
    return dict(
        first=np.median(a, axis=0),
        second=np.median(b, axis=0),
        ratio=np.median(b / a, axis=0),
    )


def peak_memory(fit):
    """Peak traced allocation (bytes) while ``fit`` runs."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fit()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def blas_description():
    """The BLAS library, kernel and thread count NumPy runs on."""
    parts = []
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            parts.append(
                f"{info.get('internal_api')} {info.get('version')} "
                f"({info.get('architecture')} kernel, "
                f"{info.get('num_threads')} threads)"
            )
    return "; ".join(parts) or "unknown"


def configurations(full, bases=("fourier", "chebyshev")):
    n_basis = (4, 8, 16) if full else (8,)
    return [
        (basis, M, scope)
        for scope in ("layer", "neuron")
        for basis in bases
        for M in n_basis
    ]


def measure(vnn_factory, X, y, X_pred, args):
    """Epoch and prediction pairs with default threads and with one."""
    mlp, vnn = make_mlp(max_iter=1).fit(X, y), vnn_factory(max_iter=1).fit(X, y)
    out = {}
    for threads in (None, 1):
        with threadpool_limits(limits=threads):
            out["epoch", threads] = paired(
                lambda: epoch_time(make_mlp, X, y, args.epochs),
                lambda: epoch_time(vnn_factory, X, y, args.epochs),
                args.repeats,
            )
            out["predict", threads] = paired(
                lambda: timed(lambda: mlp.predict(X_pred)),
                lambda: timed(lambda: vnn.predict(X_pred)),
                args.repeats,
            )
    return out


def row_of(name, basis, M, scope, out, memory):
    """One result row: seconds, ratios and scalings (wall 0, cpu 1)."""
    row = dict(dtype=name, basis=basis, M=M, scope=scope)
    for what in ("epoch", "predict"):
        default, one = out[what, None], out[what, 1]
        row[f"{what}_mlp"] = default["first"][0]
        row[f"{what}_vnn"] = default["second"][0]
        row[f"{what}_ratio"] = default["ratio"][0]
        row[f"{what}_cpu_mlp"] = one["first"][1]
        row[f"{what}_cpu_vnn"] = one["second"][1]
        row[f"{what}_cpu_ratio"] = one["ratio"][1]
        row[f"{what}_scaling_mlp"] = one["first"][0] / default["first"][0]
        row[f"{what}_scaling_vnn"] = one["second"][0] / default["second"][0]
    row["mem_mlp"], row["mem_vnn"] = memory
    return row


def run(args):
    rows = []
    for kernels in args.kernels:
        os.environ["SKLEARN_VNN_KERNELS"] = kernels
        for row in run_kernels(args):
            rows.append({"kernels": kernels, **row})
    return rows


def run_kernels(args):
    rows = []
    for dtype in args.dtype:
        X, y, X_pred = load_data(dtype)
        name = np.dtype(dtype).name
        mlp_memory = peak_memory(lambda: make_mlp(max_iter=1).fit(X, y))
        for basis, M, scope in configurations(args.full, args.basis):

            def factory(basis=basis, M=M, scope=scope, **extra):
                return make_vnn(basis, M, scope, **extra)

            out = measure(factory, X, y, X_pred, args)
            memory = (mlp_memory, peak_memory(lambda: factory(max_iter=1).fit(X, y)))
            row = row_of(name, basis, M, scope, out, memory)
            rows.append(row)
            print(
                f"{os.environ['SKLEARN_VNN_KERNELS']:6s} {name:8s} {basis:10s} "
                f"M={M:<3d} {scope:7s} "
                f"epoch {row['epoch_vnn']:.3f}/{row['epoch_mlp']:.3f}s "
                f"= {row['epoch_ratio']:.2f} (1-thread cpu "
                f"{row['epoch_cpu_ratio']:.2f})  predict "
                f"{row['predict_ratio']:.2f} ({row['predict_cpu_ratio']:.2f})  "
                f"memory {row['mem_vnn'] / row['mem_mlp']:.2f}  scaling VNN "
                f"{row['epoch_scaling_vnn']:.2f} MLP {row['epoch_scaling_mlp']:.2f}",
                flush=True,
            )
    return rows


def verdict(ok):
    return "met" if ok else "**not met**"


def _mib(n):
    return f"{n / 2**20:.1f}"


def tables(rows):
    """The markdown tables of the rows (default threads, one thread)."""
    lines = [
        "| kernels | dtype | basis | M | scope | epoch VNN / MLP (s) | ratio | "
        "1-thread CPU ratio | predict VNN / MLP (s) | ratio | 1-thread CPU "
        "ratio | fit peak VNN / MLP (MiB) | ratio |",
        "| --- " * 13 + "|",
    ]
    for r in rows:
        lines.append(
            f"| {r['kernels']} | {r['dtype']} | {r['basis']} | {r['M']} | "
            f"{r['scope']} | "
            f"{r['epoch_vnn']:.3f} / {r['epoch_mlp']:.3f} | "
            f"{r['epoch_ratio']:.2f} | {r['epoch_cpu_ratio']:.2f} | "
            f"{r['predict_vnn']:.3f} / {r['predict_mlp']:.3f} | "
            f"{r['predict_ratio']:.2f} | {r['predict_cpu_ratio']:.2f} | "
            f"{_mib(r['mem_vnn'])} / {_mib(r['mem_mlp'])} | "
            f"{r['mem_vnn'] / r['mem_mlp']:.2f} |"
        )
    lines += [
        "",
        "Scaling from one thread to the default (one-thread wall time over "
        "default-thread wall time; above 1 is a speed-up):",
        "",
        "| kernels | dtype | basis | M | scope | epoch VNN | epoch MLP | "
        "predict VNN | predict MLP |",
        "| --- " * 9 + "|",
    ]
    for r in rows:
        lines.append(
            f"| {r['kernels']} | {r['dtype']} | {r['basis']} | {r['M']} | "
            f"{r['scope']} | "
            f"{r['epoch_scaling_vnn']:.2f} | {r['epoch_scaling_mlp']:.2f} | "
            f"{r['predict_scaling_vnn']:.2f} | {r['predict_scaling_mlp']:.2f} |"
        )
    return lines


def targets(rows):
    """One line per target of issue #13, at M = 8."""
    lines = []
    for r in rows:
        if r["M"] != 8:
            continue
        tag = f"{r['kernels']} {r['dtype']} {r['basis']} {r['scope']} M=8"
        limit = TRAIN_TARGETS[r["scope"]]
        checks = [
            ("epoch ratio", r["epoch_ratio"], f"<= {limit}", r["epoch_ratio"] <= limit),
            (
                "predict ratio",
                r["predict_ratio"],
                f"<= {PREDICT_TARGET}",
                r["predict_ratio"] <= PREDICT_TARGET,
            ),
        ]
        mem = r["mem_vnn"] / r["mem_mlp"]
        checks.append(
            ("fit peak memory ratio", mem, f"<= {MEMORY_TARGET}", mem <= MEMORY_TARGET)
        )
        vnn_s, mlp_s = r["epoch_scaling_vnn"], r["epoch_scaling_mlp"]
        checks.append(
            ("epoch scaling VNN", vnn_s, f">= MLP's {mlp_s:.2f}", vnn_s >= mlp_s)
        )
        for what, value, target, ok in checks:
            lines.append(
                f"- {what} {tag}: {value:.2f} (target {target}): {verdict(ok)}"
            )
    return lines


def report(rows, repeats, command, blas, load):
    """The markdown report: set-up, tables, then the targets."""
    lines = [
        "# Speed and memory: VNN against MLPClassifier",
        "",
        f"Command: `{command}`",
        "",
        f"Data: digits / 16 tiled {N_TILES}x ({1797 * N_TILES} rows), "
        f"hidden {HIDDEN}, batch {BATCH}, adam; MLP with relu; prediction on "
        f"{N_PREDICT:,} rows. An epoch is the difference of a 1- and a "
        "3-epoch fit, over 2. Times are medians of "
        f"{repeats} alternating repeats; a ratio is the median of the paired "
        "ratios VNN/MLP. Headline: wall-clock seconds with the default "
        "threads; '1-thread CPU' holds BLAS (and so the activation) to one "
        "thread and counts CPU seconds.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, shared (load average {load}); Python "
        f"{platform.python_version()}, NumPy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, sklearn-vnn {sklearn_vnn.__version__}; "
        f"BLAS: {blas}.",
        "",
    ]
    lines += tables(rows)
    lines += ["", "## Targets (issue #13)", ""]
    lines += targets(rows)
    return "\n".join(lines) + "\n"


def load_average():
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="M in {4, 8, 16}")
    parser.add_argument(
        "--basis",
        nargs="+",
        default=("fourier", "chebyshev"),
        choices=("fourier", "chebyshev", "legendre"),
        help="the VNN bases to time",
    )
    parser.add_argument(
        "--dtype",
        nargs="+",
        default=("float64", "float32"),
        choices=("float64", "float32"),
        help="the input dtypes to time",
    )
    parser.add_argument(
        "--kernels",
        nargs="+",
        default=KERNELS,
        choices=("numba", "numpy"),
        help="the activation paths to time (default: those installed)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats")
    parser.add_argument(
        "--epochs",
        type=int,
        nargs=2,
        default=(1, 3),
        help="the two fit lengths whose difference is timed",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="markdown file to write"
    )
    args = parser.parse_args(argv)
    command = "python benchmarks/bench_speed.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    warnings.simplefilter("ignore", ConvergenceWarning)
    blas = blas_description()
    print(f"BLAS: {blas}", flush=True)
    before = load_average()
    rows = run(args)
    load = f"{before} before, {load_average()} after (1 / 5 / 15 min)"
    text = report(rows, args.repeats, command.strip(), blas, load)
    print()
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
