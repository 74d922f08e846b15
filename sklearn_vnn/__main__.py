"""``python -m sklearn_vnn``: VNN against scikit-learn's MLP, side by side.

Fits each model on a stratified (or plain, for regression) train/test split
of a few of scikit-learn's bundled data sets, standardised in a Pipeline,
and prints the test score (accuracy or R^2), the fit time and the number of
trained parameters. Every model gets the same hidden layers, solver and
iteration budget; nothing is tuned per data set.
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import ActivationDisplay, VNNClassifier, VNNRegressor
from sklearn_vnn._solvers import SOLVERS
from sklearn_vnn.bases import BASES

DATASETS = {
    "iris": (load_iris, "classification"),
    "wine": (load_wine, "classification"),
    "breast_cancer": (load_breast_cancer, "classification"),
    "digits": (load_digits, "classification"),
    "diabetes": (load_diabetes, "regression"),
}


def n_parameters(model):
    """Trained numbers in a fitted MLP or VNN (weights, biases, coefficients)."""
    arrays = list(model.coefs_) + list(model.intercepts_)
    arrays += list(getattr(model, "activation_coefs_", []))
    out = getattr(model, "output_activation_coefs_", None)
    if out is not None:
        arrays.append(out)
    return int(sum(np.size(a) for a in arrays))


def models(task, args):
    """The contestants, by name: MLP (relu, tanh) and VNN (both scopes)."""
    common = dict(
        hidden_layer_sizes=tuple(args.hidden),
        solver=args.solver,
        max_iter=args.max_iter,
        random_state=args.seed,
    )
    if task == "classification":
        MLP, VNN = MLPClassifier, VNNClassifier
    else:
        MLP, VNN = MLPRegressor, VNNRegressor
    vnn = dict(basis=args.basis, n_basis=args.n_basis, **common)
    return {
        "MLP relu": MLP(activation="relu", **common),
        "MLP tanh": MLP(activation="tanh", **common),
        "VNN layer": VNN(activation_scope="layer", **vnn),
        "VNN neuron": VNN(activation_scope="neuron", **vnn),
    }


def run(args, out=None):
    """Fit every model on every data set; print and return the rows."""
    out = sys.stdout if out is None else out
    rows = []
    header = f"{'dataset':<14} {'model':<11} {'score':>7} {'fit s':>7} {'params':>7}"
    print(header, file=out)
    print("-" * len(header), file=out)
    fitted = {}
    for name in args.datasets:
        loader, task = DATASETS[name]
        X, y = loader(return_X_y=True)
        if task == "regression":
            y = (y - y.mean()) / y.std()
        stratify = y if task == "classification" else None
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.25, random_state=args.seed, stratify=stratify
        )
        for label, model in models(task, args).items():
            pipe = make_pipeline(StandardScaler(), model)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                pipe.fit(X_tr, y_tr)
            seconds = time.perf_counter() - start
            score = pipe.score(X_te, y_te)
            row = (name, label, score, seconds, n_parameters(pipe[-1]))
            rows.append(row)
            fitted[(name, label)] = pipe[-1]
            print(
                f"{name:<14} {label:<11} {score:7.3f} {seconds:7.2f} {row[4]:7d}",
                file=out,
                flush=True,
            )
    score_name = "accuracy (classification) or R^2 (diabetes)"
    print(f"\nscore: test-set {score_name}; fit s: wall time of fit.", file=out)
    return rows, fitted


def save_activation_plot(fitted, path, out=None):
    """Save the learned activations of every fitted VNN in one figure.

    One column per data set, one row per VNN model and hidden layer; each
    panel is an :class:`~sklearn_vnn.ActivationDisplay` (learned activation
    over the recorded pre-activation range, the starting one dashed). The
    nearest classic activation of each curve is printed to ``out``
    (default: ``sys.stdout``).
    """
    out = sys.stdout if out is None else out
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "--plot needs matplotlib: pip install sklearn-vnn[plot]"
        ) from exc
    vnns = [(key, m) for key, m in fitted.items() if hasattr(m, "activation_coefs_")]
    datasets = list(dict.fromkeys(name for (name, _), _ in vnns))
    labels = list(dict.fromkeys(label for (_, label), _ in vnns))
    n_hidden = max(len(m.activation_coefs_) for _, m in vnns)
    rows = [(label, layer) for label in labels for layer in range(n_hidden)]
    fig = Figure(figsize=(3.6 * len(datasets), 3.0 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), len(datasets), squeeze=False)
    print("\nnearest classic activation a*g(c*z + d) + e of each curve:", file=out)
    print(f"{'dataset':<14} {'model':<11} {'layer':>5} {'curve':<9} fit", file=out)
    for (name, label), model in vnns:
        for layer in range(len(model.activation_coefs_)):
            ax = axes[rows.index((label, layer)), datasets.index(name)]
            disp = ActivationDisplay.from_estimator(
                model, layer=layer, ax=ax, nearest=True
            )
            ax.set_title(f"{name}: {label}, layer {layer}", fontsize="medium")
            for curve, fit in zip(disp.labels[0], disp.nearest[0]):
                curve = curve.split(" (")[0]
                print(f"{name:<14} {label:<11} {layer:>5} {curve:<9} {fit}", file=out)
    fig.savefig(path, dpi=110)
    print(f"saved the activation plot to {path}", file=out)
    return fig


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_vnn",
        description=(
            "Compare variational neural networks (learned activations) with "
            "scikit-learn's MLP on bundled data sets. Every model gets the same "
            "hidden layers, solver, iteration budget and random seed; the data "
            "are standardised and split 75/25."
        ),
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=sorted(DATASETS),
        default=["iris", "wine", "breast_cancer", "digits", "diabetes"],
        help="data sets to use (default: %(default)s)",
    )
    parser.add_argument(
        "--hidden",
        nargs="+",
        type=int,
        default=[32],
        help="hidden layer sizes (default: %(default)s)",
    )
    parser.add_argument(
        "--solver",
        choices=sorted(SOLVERS),
        default="adam",
        help="solver for every model (default: %(default)s)",
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=300,
        help="iteration budget for every model (default: %(default)s)",
    )
    parser.add_argument(
        "--basis",
        default="fourier",
        choices=sorted(BASES),
        help="VNN basis family (default: %(default)s)",
    )
    parser.add_argument(
        "--n-basis",
        type=int,
        default=8,
        help="VNN basis size M (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed of the split and the models (default: %(default)s)",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE.png",
        default=None,
        help="also save the learned activations of the VNN models to FILE.png "
        "(needs matplotlib: pip install sklearn-vnn[plot])",
    )
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401  (fail before the long run)
        except ImportError:
            parser.error("--plot needs matplotlib: pip install sklearn-vnn[plot]")
    _, fitted = run(args)
    if args.plot is not None:
        save_activation_plot(fitted, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
