"""Speed and memory: VNN against scikit-learn's MLPClassifier, side by side.

The set-up of issue #5: digits (scaled to [0, 1]) tiled ten times to 17,970
rows, hidden layers (256, 256), batch 200, adam, the same random_state.

* **Training**: the time of one epoch. Each estimator is fitted once for
  one epoch with ``warm_start=True`` (not timed); every timed ``fit`` then
  runs exactly ``--epochs`` (3) more epochs, and its time over that number
  is the epoch time (the per-call work of ``fit``, input validation and
  so on, is included, spread over those epochs). Each repeat times MLP and
  then VNN, so that both see the same load on a shared machine; the ratio
  of a configuration is the median over repeats of the paired ratios
  VNN/MLP.
* **Prediction**: ``predict`` on 100,000 rows (digits rows drawn with
  replacement), alternating in the same way.
* **Memory**: the peak of Python-traced allocations (``tracemalloc``; NumPy
  reports its buffers to it) during a fresh one-epoch ``fit``.

VNN runs over M in {4, 8, 16}, both activation scopes, the Fourier and
Chebyshev bases, in float64 and float32 (the input's dtype; both
estimators keep it). ``--quick`` keeps M = 8 and 3 repeats.

Run ``python benchmarks/bench_speed.py`` (about 10 minutes on two busy
cores). ``--threads 1`` limits BLAS to one thread and ``--clock cpu``
times the process's CPU time instead of wall time: on a machine shared
with other jobs, the two together measure the work done, not the wait. It
prints the tables and writes ``benchmarks/results/speed.md``.
"""

import argparse
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

# the targets (ratios VNN/MLP in the same run)
TRAIN_TARGETS = {"layer": 1.3, "neuron": 1.6}
PREDICT_TARGET = 1.3
FLOAT32_SPEEDUP_TARGET = 1.5
MEMORY_TARGET = 2.0


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


def make_mlp(**extra):
    return MLPClassifier(
        hidden_layer_sizes=HIDDEN, batch_size=BATCH, random_state=0, **extra
    )


def make_vnn(basis, n_basis, scope, **extra):
    return VNNClassifier(
        hidden_layer_sizes=HIDDEN,
        basis=basis,
        n_basis=n_basis,
        activation_scope=scope,
        batch_size=BATCH,
        random_state=0,
        **extra,
    )


def warm_estimator(factory, X, y, epochs):
    """An estimator fitted for one epoch whose next ``fit`` runs ``epochs`` more."""
    est = factory(max_iter=1, warm_start=True, tol=0.0, n_iter_no_change=10**6)
    est.fit(X, y)
    est.set_params(max_iter=epochs)
    return est


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = CLOCKS["wall"]


def timed(func):
    start = _clock()
    func()
    return _clock() - start


def paired_times(first, second, repeats):
    """Alternating timings of two callables; medians and the paired ratio."""
    t1, t2 = [], []
    for _ in range(repeats):
        t1.append(timed(first))
        t2.append(timed(second))
    t1, t2 = np.array(t1), np.array(t2)
    return float(np.median(t1)), float(np.median(t2)), float(np.median(t2 / t1))


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
    import numpy  # noqa: F401  (threadpoolctl sees only loaded libraries)

    parts = []
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            parts.append(
                f"{info.get('internal_api')} {info.get('version')} "
                f"({info.get('architecture')} kernel, "
                f"{info.get('num_threads')} threads)"
            )
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype:
        parts.append(f"OPENBLAS_CORETYPE={coretype}")
    return "; ".join(parts) or "unknown"


def configurations(quick):
    n_basis = (8,) if quick else (4, 8, 16)
    return [
        (basis, M, scope)
        for scope in ("layer", "neuron")
        for basis in ("fourier", "chebyshev")
        for M in n_basis
    ]


def run(args):
    repeats = args.repeats or (3 if args.quick else 5)
    rows = []  # one dict per (dtype, configuration)
    mlp_memory = {}
    for dtype in (np.float64, np.float32):
        X, y, X_pred = load_data(dtype)
        name = np.dtype(dtype).name
        mlp = warm_estimator(make_mlp, X, y, args.epochs)
        mlp_memory[name] = peak_memory(lambda: make_mlp(max_iter=1).fit(X, y))
        for basis, M, scope in configurations(args.quick):

            def factory(basis=basis, M=M, scope=scope, **extra):
                return make_vnn(basis, M, scope, **extra)

            vnn = warm_estimator(factory, X, y, args.epochs)
            mlp_fit, vnn_fit, fit_ratio = paired_times(
                lambda: mlp.fit(X, y), lambda: vnn.fit(X, y), repeats
            )
            mlp_fit, vnn_fit = mlp_fit / args.epochs, vnn_fit / args.epochs
            mlp_pred, vnn_pred, pred_ratio = paired_times(
                lambda: mlp.predict(X_pred), lambda: vnn.predict(X_pred), repeats
            )
            memory = peak_memory(lambda: factory(max_iter=1).fit(X, y))
            row = dict(
                dtype=name,
                basis=basis,
                M=M,
                scope=scope,
                mlp_fit=mlp_fit,
                vnn_fit=vnn_fit,
                fit_ratio=fit_ratio,
                mlp_pred=mlp_pred,
                vnn_pred=vnn_pred,
                pred_ratio=pred_ratio,
                vnn_mem=memory,
                mlp_mem=mlp_memory[name],
            )
            rows.append(row)
            print(
                f"{name:8s} {basis:10s} M={M:<3d} {scope:7s} "
                f"epoch {vnn_fit:6.3f}s / MLP {mlp_fit:6.3f}s = {fit_ratio:5.2f}  "
                f"predict {vnn_pred:6.3f}s / {mlp_pred:6.3f}s = {pred_ratio:5.2f}  "
                f"peak {memory / 2**20:6.1f} / {mlp_memory[name] / 2**20:6.1f} MiB",
                flush=True,
            )
    return rows, repeats


def float32_speedups(rows):
    """VNN float64 epoch time over VNN float32 epoch time, per configuration."""
    by_key = {(r["basis"], r["M"], r["scope"], r["dtype"]): r for r in rows}
    out = {}
    for (basis, M, scope, dtype), r in by_key.items():
        if dtype == "float32" and (basis, M, scope, "float64") in by_key:
            r64 = by_key[(basis, M, scope, "float64")]
            out[(basis, M, scope)] = r64["vnn_fit"] / r["vnn_fit"]
    return out


def verdict(ok):
    return "met" if ok else "**not met**"


def report(rows, repeats, command, blas, clock):
    """The markdown report: tables, then the targets."""
    lines = [
        "# Speed and memory: VNN against MLPClassifier",
        "",
        f"Command: `{command}`",
        "",
        f"Data: digits / 16 tiled {N_TILES}x ({1797 * N_TILES} rows), "
        f"hidden {HIDDEN}, batch {BATCH}, adam; prediction on {N_PREDICT:,} "
        f"rows. Times are {clock} seconds, median of {repeats} alternating "
        "repeats; a ratio is the median of the paired ratios VNN/MLP.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, scikit-learn {sklearn.__version__}, "
        f"sklearn-vnn {sklearn_vnn.__version__}; BLAS: {blas}.",
        "",
        "| dtype | basis | M | scope | epoch VNN (s) | epoch MLP (s) | "
        "ratio | predict VNN (s) | predict MLP (s) | ratio | "
        "fit peak VNN (MiB) | MLP (MiB) | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
        "| --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['dtype']} | {r['basis']} | {r['M']} | {r['scope']} | "
            f"{r['vnn_fit']:.3f} | {r['mlp_fit']:.3f} | {r['fit_ratio']:.2f} | "
            f"{r['vnn_pred']:.3f} | {r['mlp_pred']:.3f} | {r['pred_ratio']:.2f} | "
            f"{r['vnn_mem'] / 2**20:.1f} | {r['mlp_mem'] / 2**20:.1f} | "
            f"{r['vnn_mem'] / r['mlp_mem']:.2f} |"
        )
    speedups = float32_speedups(rows)
    if speedups:
        lines += [
            "",
            "VNN float32 speed-up (float64 epoch / float32 epoch):",
            "",
            "| basis | M | scope | speed-up |",
            "| --- | --- | --- | --- |",
        ]
        for (basis, M, scope), s in speedups.items():
            lines.append(f"| {basis} | {M} | {scope} | {s:.2f} |")

    lines += ["", "## Targets (issue #5)", ""]
    for r in rows:
        if r["M"] != 8:
            continue
        tag = f"{r['dtype']} {r['basis']} {r['scope']} M=8"
        if r["dtype"] == "float64":
            limit = TRAIN_TARGETS[r["scope"]]
            lines.append(
                f"- epoch ratio {tag}: {r['fit_ratio']:.2f} (target <= {limit}): "
                f"{verdict(r['fit_ratio'] <= limit)}"
            )
        lines.append(
            f"- predict ratio {tag}: {r['pred_ratio']:.2f} (target <= "
            f"{PREDICT_TARGET}): {verdict(r['pred_ratio'] <= PREDICT_TARGET)}"
        )
        mem = r["vnn_mem"] / r["mlp_mem"]
        lines.append(
            f"- fit peak memory ratio {tag}: {mem:.2f} (target <= "
            f"{MEMORY_TARGET}): {verdict(mem <= MEMORY_TARGET)}"
        )
    for (basis, M, scope), s in speedups.items():
        if M == 8:
            lines.append(
                f"- float32 speed-up {basis} {scope} M=8: {s:.2f} (target >= "
                f"{FLOAT32_SPEEDUP_TARGET}): {verdict(s >= FLOAT32_SPEEDUP_TARGET)}"
            )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="M = 8 only, 3 repeats")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per timed fit")
    parser.add_argument(
        "--threads", type=int, default=None, help="limit BLAS threads (default: as is)"
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall time, or the process's CPU time (robust to other load; "
        "use with --threads 1)",
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="markdown file to write"
    )
    args = parser.parse_args(argv)
    global _clock
    _clock = CLOCKS[args.clock]
    command = "python benchmarks/bench_speed.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    warnings.simplefilter("ignore", ConvergenceWarning)
    with threadpool_limits(args.threads):
        blas = blas_description()
        print(f"BLAS: {blas}", flush=True)
        rows, repeats = run(args)
    text = report(rows, repeats, command.strip(), blas, args.clock)
    print()
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
