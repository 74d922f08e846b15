"""Thread scaling: what keeps VNN's second thread from its kernels.

``bench_speed.py`` finds that going from one thread to two speeds a VNN
epoch up less than an MLP epoch. This script measures where that comes
from, on the set-up of ``bench_speed.py`` (digits tiled to 17,970 rows,
hidden (256, 256), batch 200, adam, M=8):

* **Kernels after a matrix product**: one hidden layer's forward and
  backward kernels (the numba path) on a 200 x 256 batch, on one thread and
  on two, timed back to back and right after a two-thread matrix product
  of the same size, as in training. OpenBLAS's idle worker threads spin
  for a while after each product (a number of processor cycles fixed when
  OpenBLAS is built) before they sleep: on two cores, the spinning worker
  holds the core that the kernels' second thread needs.
* **Epoch scaling** (one-thread wall time over default-thread wall time,
  as in ``bench_speed.py``) of VNN and MLP, in child processes started
  with OpenBLAS's default and with ``OPENBLAS_THREAD_TIMEOUT=4`` (its idle
  workers then sleep at once; the variable is read when OpenBLAS loads, so
  it has to be set before Python starts). The runs alternate.

Run ``python benchmarks/bench_threads.py`` (about 6 minutes on two cores;
``--repeats``, ``--rounds``). It prints the rows as they come and writes
``benchmarks/results/threads.md``.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_speed import (  # noqa: E402
    blas_description,
    epoch_time,
    load_average,
    load_data,
    make_mlp,
    make_vnn,
)

RESULTS = Path(__file__).resolve().parent / "results" / "threads.md"
CONFIGS = [
    ("float64", "fourier", "layer"),
    ("float64", "chebyshev", "neuron"),
    ("float32", "fourier", "layer"),
    ("float32", "chebyshev", "neuron"),
]
TIMEOUT_VARIABLE = "OPENBLAS_THREAD_TIMEOUT"


def kernel_times(repeats=300):
    """Median microseconds of one layer's forward and backward kernels.

    Returns
    -------
    times : dict
        ``(threads, after)`` -> microseconds, ``after`` in {'kernels',
        'product'}: what ran just before each timed call.
    """
    os.environ["SKLEARN_VNN_KERNELS"] = "numba"
    from sklearn_vnn import _kernels
    from sklearn_vnn.bases import make_basis

    rng = np.random.default_rng(0)
    Z0 = rng.standard_normal((200, 256))
    W = rng.standard_normal((256, 256)) / 16
    family = _kernels.family_of(make_basis("fourier", 8))
    C, bias = rng.standard_normal(8), 0.1 * rng.standard_normal(256)

    def layer():
        _, saved = _kernels.activate(family, Z0.copy(), C, bias=bias)
        dA = Z0.copy()
        saved.gradients(dA, out=dA)

    times = {}
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            for after in ("kernels", "product"):
                layer()
                spent = []
                for _ in range(repeats):
                    if after == "product":
                        Z0 @ W
                    start = time.perf_counter()
                    layer()
                    spent.append(time.perf_counter() - start)
                times[threads, after] = 1e6 * float(np.median(spent))
    return times


def child(config, repeats):
    """Epoch seconds, (estimator, threads) -> list over repeats (JSON)."""
    dtype, basis, scope = config.split(",")
    X, y, _ = load_data(dtype)
    factories = {
        "VNN": lambda **kw: make_vnn(basis, 8, scope, **kw),
        "MLP": make_mlp,
    }
    for factory in factories.values():
        factory(max_iter=1).fit(X, y)  # numba compiles or loads its kernels
    out = {}
    for _ in range(repeats):
        for name, factory in factories.items():
            for threads in ("default", 1):
                limit = None if threads == "default" else 1
                with threadpool_limits(limits=limit):
                    wall, _ = epoch_time(factory, X, y, (1, 3))
                out.setdefault(f"{name} {threads}", []).append(float(wall))
    return out


def run_child(config, repeats, timeout):
    env = dict(os.environ)
    env.pop(TIMEOUT_VARIABLE, None)
    if timeout is not None:
        env[TIMEOUT_VARIABLE] = str(timeout)
    command = [sys.executable, __file__, "--child", ",".join(config)]
    command += ["--repeats", str(repeats)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def scaling_rows(rounds, repeats):
    """One row per configuration and OpenBLAS setting, over alternating runs."""
    runs = {}
    for _ in range(rounds):
        for config in CONFIGS:
            for timeout in (None, 4):
                result = run_child(config, repeats, timeout)
                merged = runs.setdefault((config, timeout), {})
                for key, values in result.items():
                    merged.setdefault(key, []).extend(values)
                print(config, timeout, _scalings(merged), flush=True)
    return [(config, timeout, _scalings(r)) for (config, timeout), r in runs.items()]


def _scalings(result):
    """Median epoch seconds with default threads, and scalings, per model."""
    row = {}
    for name in ("VNN", "MLP"):
        default = float(np.median(result[f"{name} default"]))
        one = float(np.median(result[f"{name} 1"]))
        row[name] = (default, one / default)
    return row


def report(kernels, rows, command, blas, load):
    lines = [
        "# Thread scaling: OpenBLAS's idle threads and the kernels",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {os.cpu_count()} CPUs, shared (load average {load[0]} "
        f"before, {load[1]} after); BLAS: {blas}.",
        "",
    ]
    if kernels:
        lines += [
            "One hidden layer's forward and backward kernels (numba, Fourier, "
            "M=8, float64) on a 200 x 256 batch, median microseconds:",
            "",
            "| threads | back to back | right after a 2-thread matrix product |",
            "| --- | --- | --- |",
        ]
        for threads in (1, 2):
            lines.append(
                f"| {threads} | {kernels[threads, 'kernels']:.0f} | "
                f"{kernels[threads, 'product']:.0f} |"
            )
        lines.append("")
    lines += [
        "Epoch (medians over the alternating runs; default threads) and the "
        "scaling from one thread to the default (one-thread wall time over "
        "default-thread wall time), with OpenBLAS's default idle-thread "
        f"timeout and with `{TIMEOUT_VARIABLE}=4`:",
        "",
        "| dtype | basis | scope | OpenBLAS timeout | epoch VNN / MLP (s) | "
        "scaling VNN | scaling MLP |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (dtype, basis, scope), timeout, row in rows:
        setting = "default" if timeout is None else f"{TIMEOUT_VARIABLE}={timeout}"
        lines.append(
            f"| {dtype} | {basis} | {scope} | {setting} | {row['VNN'][0]:.3f} / "
            f"{row['MLP'][0]:.3f} | {row['VNN'][1]:.2f} | {row['MLP'][1]:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="per child run")
    parser.add_argument("--rounds", type=int, default=1, help="runs per setting")
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="markdown file to write"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.child:
        print(json.dumps(child(args.child, args.repeats)))
        return
    before = load_average()
    kernels = None
    if importlib.util.find_spec("numba"):
        kernels = kernel_times()
        print("kernels, median us:", kernels, flush=True)
    else:
        print("numba is not installed: no kernel timings", flush=True)
    rows = scaling_rows(args.rounds, args.repeats)
    command = "python benchmarks/bench_threads.py " + " ".join(argv or sys.argv[1:])
    load = (before, load_average())
    text = report(kernels, rows, command.strip(), blas_description(), load)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
