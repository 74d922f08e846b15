"""The thread benchmark's bookkeeping: scalings and the report.

Only the pure functions of ``benchmarks/bench_threads.py`` run here (on
made-up timings); the benchmark itself is too slow for a test.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_threads.py"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(PATH.parent))
    try:
        spec = importlib.util.spec_from_file_location("bench_threads", PATH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(PATH.parent))
    return module


def test_scalings_are_one_thread_over_default_medians(bench):
    result = {
        "VNN default": [2.0, 1.0, 3.0],
        "VNN 1": [3.0, 9.0, 1.0],
        "MLP default": [4.0, 4.0],
        "MLP 1": [6.0, 5.0],
    }
    row = bench._scalings(result)
    assert row["VNN"] == pytest.approx((2.0, 1.5))
    assert row["MLP"] == pytest.approx((4.0, 1.375))


def test_report_names_the_setting_of_each_row(bench):
    kernels = {(1, "kernels"): 240.0, (1, "product"): 250.0}
    kernels |= {(2, "kernels"): 140.0, (2, "product"): 245.0}
    rows = [
        (("float64", "fourier", "layer"), None, {"VNN": (0.2, 1.1), "MLP": (0.2, 1.4)}),
        (("float64", "fourier", "layer"), 4, {"VNN": (0.15, 1.5), "MLP": (0.25, 1.2)}),
    ]
    text = bench.report(kernels, rows, "cmd", "openblas", ["1.0", "1.1"])
    assert "| 2 | 140 | 245 |" in text
    default = "| float64 | fourier | layer | default | 0.200 / 0.200 | 1.10 | 1.40 |"
    assert default in text
    assert (
        "| float64 | fourier | layer | OPENBLAS_THREAD_TIMEOUT=4 | 0.150 / 0.250 | "
        "1.50 | 1.20 |" in text
    )
    # without numba there is no kernel table
    assert "back to back" not in bench.report(None, rows, "cmd", "b", ["1", "1"])
