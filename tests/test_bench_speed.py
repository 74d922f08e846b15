"""The speed benchmark's bookkeeping: ratios, speed-ups and verdicts.

Only the pure functions of ``benchmarks/bench_speed.py`` run here (on
made-up timings); the benchmark itself is too slow for a test.
"""

import importlib.util
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_speed.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_speed", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(dtype, scope, vnn_fit, fit_ratio, pred_ratio, vnn_mem):
    return dict(
        dtype=dtype,
        basis="fourier",
        M=8,
        scope=scope,
        mlp_fit=1.0,
        vnn_fit=vnn_fit,
        fit_ratio=fit_ratio,
        mlp_pred=1.0,
        vnn_pred=pred_ratio,
        pred_ratio=pred_ratio,
        vnn_mem=vnn_mem,
        mlp_mem=100.0,
    )


def test_paired_times_alternate_and_take_medians(bench):
    calls = []
    first, second = (lambda: calls.append(1)), (lambda: calls.append(2))
    t1, t2, ratio = bench.paired_times(first, second, 5)
    assert calls == [1, 2] * 5
    assert t1 >= 0 and t2 >= 0 and ratio > 0


def test_report_states_every_target(bench):
    rows = [
        _row("float64", "layer", 3.0, 1.2, 1.4, 150.0),
        _row("float64", "neuron", 4.0, 1.7, 1.2, 250.0),
        _row("float32", "layer", 1.5, 1.0, 1.0, 100.0),
        _row("float32", "neuron", 3.0, 1.0, 1.0, 100.0),
    ]
    speedups = bench.float32_speedups(rows)
    assert speedups == {("fourier", 8, "layer"): 2.0, ("fourier", 8, "neuron"): 4 / 3}
    text = bench.report(rows, 5, "python benchmarks/bench_speed.py", "blas", "cpu")
    assert "epoch ratio float64 fourier layer M=8: 1.20 (target <= 1.3): met" in text
    assert "float64 fourier neuron M=8: 1.70 (target <= 1.6): **not met**" in text
    assert "predict ratio float64 fourier layer M=8: 1.40" in text
    assert "fit peak memory ratio float64 fourier neuron M=8: 2.50" in text
    assert "float32 speed-up fourier neuron M=8: 1.33 (target >= 1.5): **not" in text
    assert text.count("| float") == 4  # one table row per configuration
