"""Every ``examples/plot_*.py`` runs to the end under the Agg backend.

Together they take longer than the quick suite allows, so they run with
``--runslow`` (as CI does).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("plot_*.py"))


def test_there_are_examples():
    names = {path.name for path in EXAMPLES}
    assert {
        "plot_learned_activations.py",
        "plot_grid_search_n_basis.py",
        "plot_layer_vs_neuron_scope.py",
        "plot_callbacks.py",
        "plot_class_weight.py",
        "plot_validation_loss_curve.py",
        "plot_out_of_range.py",
        "plot_metadata_routing.py",
        "plot_dask_ml.py",
        "plot_skops_persistence.py",
        "plot_function_fitting.py",
    } <= names


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(path, tmp_path):
    pytest.importorskip("matplotlib")
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "an example should print what it found"
    assert "Traceback" not in result.stderr
