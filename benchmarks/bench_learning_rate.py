"""Learning-rate sweep: where do sgd and adam diverge, for MLP and for VNN?

A layer-shared activation gathers its coefficients' gradient over every unit
of its layer, so without care its step is far larger than a weight's. The
solvers train in scaled variables (see ``sklearn_vnn/_objective.py``,
``Objective.scaling``) so that it is not. This sweep checks the claim: VNN
must diverge nowhere MLP does not.

For each data set (digits, iris, make_friedman1), solver (sgd, adam) and
``learning_rate_init`` in 1e-4 ... 0.5, every model is fitted on the scaled
data (hidden (32,), 100 epochs, default batches) and reports its training
score, or 'div' when it diverged: a ``DivergenceError`` (VNN), or a
non-finite loss or score (MLP, which does not raise).

Run ``python benchmarks/bench_learning_rate.py`` (a few minutes) or
``--quick``. Results go to ``benchmarks/results/learning_rate.md``.
"""

import argparse
import sys
import warnings

import numpy as np
from _common import add_output_arguments, timed_run
from sklearn.datasets import load_digits, load_iris, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNClassifier, VNNRegressor

RATES = [1e-4, 1e-3, 1e-2, 0.1, 0.2, 0.5]
DATASETS = {
    "digits": (lambda: load_digits(return_X_y=True), "classification"),
    "iris": (lambda: load_iris(return_X_y=True), "classification"),
    "friedman1": (
        lambda: make_friedman1(n_samples=500, noise=1.0, random_state=0),
        "regression",
    ),
}
MODELS = {
    "MLP relu": dict(activation="relu"),
    "MLP tanh": dict(activation="tanh"),
    "VNN layer": dict(activation_scope="layer"),
    "VNN neuron": dict(activation_scope="neuron"),
}


def make_model(name, task, solver, rate, quick):
    common = dict(
        hidden_layer_sizes=(32,),
        solver=solver,
        learning_rate_init=rate,
        max_iter=10 if quick else 100,
        random_state=0,
    )
    if name.startswith("MLP"):
        cls = MLPClassifier if task == "classification" else MLPRegressor
    else:
        cls = VNNClassifier if task == "classification" else VNNRegressor
    return cls(**common, **MODELS[name])


def fit_score(model, X, y):
    """Training score, or None when the fit diverged."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            model.fit(X, y)
            score = float(model.score(X, y))
    except ValueError as exc:
        if "diverged" in str(exc):
            return None
        raise
    if not (np.isfinite(model.loss_) and np.isfinite(score)):
        return None
    return score


def run(args, out=sys.stdout):
    rows = []
    names = ["iris"] if args.quick else list(DATASETS)
    rates = RATES[::2] if args.quick else RATES
    for name in names:
        loader, task = DATASETS[name]
        X, y = loader()
        X = StandardScaler().fit_transform(X)
        if task == "regression":
            y = (y - y.mean()) / y.std()
        for solver in ("sgd", "adam"):
            for rate in rates:
                row = dict(dataset=name, solver=solver, rate=rate)
                for model_name in MODELS:
                    model = make_model(model_name, task, solver, rate, args.quick)
                    row[model_name] = fit_score(model, X, y)
                rows.append(row)
                cells = " ".join(f"{m}={_cell(row[m])}" for m in MODELS)
                print(f"{name:<10} {solver:<4} lr={rate:<7g} {cells}", file=out)
    return rows


def _cell(score):
    return "div" if score is None else f"{score:.3f}"


def verdict(rows):
    """Rows where a VNN diverged and no MLP did."""
    bad = []
    for r in rows:
        mlp_ok = all(r[m] is not None for m in MODELS if m.startswith("MLP"))
        vnn_div = any(r[m] is None for m in MODELS if m.startswith("VNN"))
        if mlp_ok and vnn_div:
            bad.append(r)
    return bad


def write_markdown(rows, path, command, seconds):
    lines = [
        "# Learning-rate sweep: divergence of sgd and adam",
        "",
        f"Command: `{command}`; run time {seconds / 60:.1f} min.",
        "Training score (accuracy or R^2) after the fit, or **div** when "
        "training diverged. Hidden (32,), default batches, scaled data.",
        "",
        "| dataset | solver | learning_rate_init | " + " | ".join(MODELS) + " |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in MODELS) + " |",
    ]
    for r in rows:
        cells = " | ".join("**div**" if r[m] is None else f"{r[m]:.3f}" for m in MODELS)
        lines.append(f"| {r['dataset']} | {r['solver']} | {r['rate']:g} | {cells} |")
    bad = verdict(rows)
    lines += [
        "",
        f"Settings where a VNN diverged and neither MLP did: {len(bad)}"
        + (
            " ("
            + ", ".join(f"{r['dataset']} {r['solver']} {r['rate']:g}" for r in bad)
            + ")."
            if bad
            else "."
        ),
    ]
    path.write_text("\n".join(lines) + "\n")
    return bad


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (seconds)")
    add_output_arguments(parser, "learning_rate.md")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    command, rows, seconds = timed_run("bench_learning_rate.py", run, args, argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    bad = write_markdown(rows, args.out_dir / "learning_rate.md", command, seconds)
    print(f"done in {seconds / 60:.1f} min; VNN-only divergences: {len(bad)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
