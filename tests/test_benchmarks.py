"""Smoke tests of the benchmark scripts: their ``--quick`` mode runs and
writes a results page with the expected tables."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script, out_dir):
    cmd = [
        sys.executable,
        str(BENCHMARKS / script),
        "--quick",
        "--no-plot",
        "--out-dir",
        str(out_dir),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_bench_accuracy_quick(tmp_path):
    result = _run("bench_accuracy.py", tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "accuracy.md").read_text()
    assert "| dataset | MLP relu | MLP tanh | MLP logistic | VNN learned |" in page
    assert "| iris | " in page
    # every contestant got a score in [0, 1] on iris
    row = next(line for line in page.splitlines() if line.startswith("| iris | "))
    means = [float(cell.split("+-")[0]) for cell in row.split("|")[2:7]]
    assert all(0.0 <= m <= 1.0 for m in means)
    assert "Failed candidate fits (scored NaN): 0." in page


@pytest.mark.slow
def test_bench_functions_quick(tmp_path):
    result = _run("bench_functions.py", tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "functions.md").read_text()
    assert "| exp(sin(pi x) + y^2) | VNN layer" in page
    assert "| exp(sin(pi x) + y^2) | MLP tanh lbfgs" in page
    rows = [line for line in page.splitlines() if "| exp(sin(pi x) + y^2) |" in line]
    # the per-fit rows end with: params | RMSE | seconds
    fits = [r for r in rows if r.count("|") == 6]
    assert len(fits) == 2
    for r in fits:
        params, rmse = r.split("|")[3:5]
        assert int(params) > 0
        assert 0.0 < float(rmse) < 10.0


def test_bench_functions_recipes_name_known_functions(monkeypatch):
    # every precise recipe runs on functions of the script, each function
    # has one, and the general configurations run everywhere
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(
        "bench_functions", BENCHMARKS / "bench_functions.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    configs = bench.vnn_configs(quick=False)
    recipes = [only for _, _, only in configs if only is not None]
    assert recipes and all(set(only) <= set(bench.FUNCTIONS) for only in recipes)
    assert set(bench.FUNCTIONS) == {name for only in recipes for name in only}
    assert any(only is None for _, _, only in configs)
    for _, params, _ in configs:
        assert "functions" not in params and "label" not in params
