"""The speed benchmark's bookkeeping: ratios, speed-ups and verdicts.

Only the pure functions of ``benchmarks/bench_speed.py`` run here (on
made-up timings); the benchmark itself is too slow for a test.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_speed.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_speed", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(dtype, scope, epoch_ratio, pred_ratio, vnn_mem, scaling=(1.6, 1.5)):
    row = dict(kernels="numba", dtype=dtype, basis="fourier", M=8, scope=scope)
    for what, ratio in (("epoch", epoch_ratio), ("predict", pred_ratio)):
        row.update(
            {
                f"{what}_mlp": 1.0,
                f"{what}_vnn": ratio,
                f"{what}_ratio": ratio,
                f"{what}_cpu_mlp": 2.0,
                f"{what}_cpu_vnn": 2.0 * ratio,
                f"{what}_cpu_ratio": ratio,
                f"{what}_scaling_vnn": scaling[0],
                f"{what}_scaling_mlp": scaling[1],
            }
        )
    row["mem_vnn"], row["mem_mlp"] = vnn_mem, 100.0
    return row


def test_paired_alternates_and_takes_medians(bench):
    calls = []

    def first():
        calls.append(1)
        return np.array([1.0, 2.0])

    def second():
        calls.append(2)
        return np.array([3.0, 2.0 * len(calls)])

    out = bench.paired(first, second, 3)
    assert calls == [1, 2] * 3
    assert_allclose(out["first"], [1.0, 2.0])
    assert_allclose(out["second"], [3.0, 8.0])  # cpu: 4, 8, 12
    assert_allclose(out["ratio"], [3.0, 4.0])


def test_epoch_time_is_a_difference_of_fits(bench, monkeypatch):
    lengths = []

    class Fake:
        def __init__(self, max_iter):
            self.max_iter = max_iter

        def fit(self, X, y):
            lengths.append(self.max_iter)

    # a fake clock: set-up 5 s, then 2 s an epoch (wall), 1 s (cpu)
    monkeypatch.setattr(
        bench,
        "timed",
        lambda func: (func(), np.array([5.0 + 2 * lengths[-1], 1.0 * lengths[-1]]))[1],
    )
    assert_allclose(bench.epoch_time(Fake, None, None, (1, 3)), [2.0, 1.0])
    assert lengths == [1, 3]


def test_row_of_takes_wall_for_default_and_cpu_for_one_thread(bench):
    def pair(first, second):
        first, second = np.array(first), np.array(second)
        return dict(first=first, second=second, ratio=second / first)

    out = {
        ("epoch", None): pair([1.0, 1.8], [1.2, 2.0]),
        ("epoch", 1): pair([1.6, 1.5], [2.4, 2.25]),
        ("predict", None): pair([1.0, 1.0], [1.1, 1.0]),
        ("predict", 1): pair([1.0, 1.0], [1.1, 1.3]),
    }
    row = bench.row_of("float64", "fourier", 8, "layer", out, (100, 140))
    assert row["epoch_ratio"] == pytest.approx(1.2)
    assert row["epoch_cpu_ratio"] == pytest.approx(1.5)
    assert row["epoch_scaling_mlp"] == pytest.approx(1.6)
    assert row["epoch_scaling_vnn"] == pytest.approx(2.0)
    assert row["predict_cpu_ratio"] == pytest.approx(1.3)
    assert (row["mem_mlp"], row["mem_vnn"]) == (100, 140)


def test_report_states_every_target(bench):
    rows = [
        _row("float64", "layer", 1.1, 1.4, 150.0),
        _row("float64", "neuron", 1.35, 1.2, 140.0, scaling=(1.2, 1.5)),
        _row("float32", "layer", 1.0, 1.0, 100.0),
    ]
    text = bench.report(rows, 5, "python benchmarks/bench_speed.py", "blas", "1.0")
    assert (
        "epoch ratio numba float64 fourier layer M=8: 1.10 (target <= 1.15): met"
        in text
    )
    assert (
        "epoch ratio numba float64 fourier neuron M=8: 1.35 (target <= 1.3): **not"
        in text
    )
    assert (
        "predict ratio numba float64 fourier layer M=8: 1.40 (target <= 1.2): **not"
        in text
    )
    assert (
        "fit peak memory ratio numba float64 fourier layer M=8: 1.50 "
        "(target <= 1.5): met" in text
    )
    assert (
        "scaling VNN numba float64 fourier neuron M=8: 1.20 "
        "(target >= MLP's 1.50): **not" in text
    )
    assert (
        "epoch scaling VNN numba float64 fourier layer M=8: 1.60 "
        "(target >= MLP's 1.50): met" in text
    )
    assert text.count("| numba | float") == 6  # a row per configuration in both tables
