"""How far held-out rows push the pre-activations beyond their training
bounds: the study behind the defaults of ``OutOfRangeWarning``.

For each data set (standardised) and fold of a 5-fold split, a VNN is
fitted on four folds and its per-unit training bounds recorded as fit
records them (min and max on at most 1000 training rows). Every row then
gets its *excess*: the largest distance, over hidden units, by which its
pre-activation leaves the unit's bounds, in units of the bounds' width (0
inside). A row is flagged at margin ``m`` when its excess exceeds ``m``.
The tables give, per margin, the largest share of flagged rows over the
folds for the held-out fold, the training folds, and the held-out fold
shifted by 10 standard deviations (all features, and feature 0 alone).

Run ``python benchmarks/range_warning_study.py`` (about a minute); it
writes ``benchmarks/results/range_warning.md``.
"""

import time
import warnings

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_friedman1,
)
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNClassifier, VNNRegressor, _network
from sklearn_vnn._range_check import record_bounds

MARGINS = [0.0, 0.1, 0.25, 0.5, 1.0]
CONFIGS = {
    "lbfgs (32,)": dict(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=200),
    "adam (100,)": dict(hidden_layer_sizes=(100,), solver="adam", max_iter=100),
}


def data_sets():
    yield "iris", *load_iris(return_X_y=True), VNNClassifier
    yield "wine", *load_wine(return_X_y=True), VNNClassifier
    yield "breast_cancer", *load_breast_cancer(return_X_y=True), VNNClassifier
    yield "digits", *load_digits(return_X_y=True), VNNClassifier
    X, y = load_diabetes(return_X_y=True)
    yield "diabetes", X, (y - y.mean()) / y.std(), VNNRegressor
    X, y = make_friedman1(n_samples=500, random_state=0)
    yield "friedman1", X, (y - y.mean()) / y.std(), VNNRegressor


def excess(est, bounds, X):
    """Per row: the largest excess over the hidden units, in bound widths."""
    worst = np.zeros(X.shape[0])

    def hook(layer, Z):
        low, high = bounds[layer][:, 0], bounds[layer][:, 1]
        width = np.maximum(high - low, 1e-300)
        e = np.maximum((low - Z) / width, (Z - high) / width).max(axis=1)
        np.maximum(worst, e, out=worst)

    _network.forward(
        X,
        est.coefs_,
        est.intercepts_,
        est.activation_coefs_,
        est.output_activation_coefs_,
        est.basis_,
        need_backward=False,
        on_preactivation=hook,
    )
    return worst


def study():
    rows = []
    for name, X, y, Estimator in data_sets():
        X = StandardScaler().fit_transform(X)
        for config, params in CONFIGS.items():
            shares = {k: [] for k in ("held-out", "train", "+10 sd all", "+10 sd x0")}
            for train, test in KFold(5, shuffle=True, random_state=0).split(X):
                est = Estimator(random_state=0, **params).fit(X[train], y[train])
                bounds = record_bounds(est, X[train])[0]
                shifted_one = X[test].copy()
                shifted_one[:, 0] += 10
                for key, rows_X in (
                    ("held-out", X[test]),
                    ("train", X[train]),
                    ("+10 sd all", X[test] + 10),
                    ("+10 sd x0", shifted_one),
                ):
                    e = excess(est, bounds, rows_X)
                    shares[key].append([np.mean(e > m) for m in MARGINS])
            worst = {k: np.max(v, axis=0) for k, v in shares.items()}
            least = {k: np.min(v, axis=0) for k, v in shares.items()}
            rows.append((name, config, worst, least))
            print(name, config, {k: np.round(v, 3).tolist() for k, v in worst.items()})
    return rows


def table(rows):
    head = " | ".join(f"m={m}" for m in MARGINS)
    lines = [
        "# Out-of-range rows: held-out data against shifted data",
        "",
        "Share of rows flagged at margin m (excess > m bound widths). For "
        "held-out and training rows the largest share over the 5 folds; for "
        "the shifted rows the smallest.",
        "",
        f"| data | fit | rows | {head} |",
        "|---|---|---|" + "---|" * len(MARGINS),
    ]
    for name, config, worst, least in rows:
        for key in ("held-out", "train"):
            cells = " | ".join(f"{v:.3f}" for v in worst[key])
            lines.append(f"| {name} | {config} | {key} (max) | {cells} |")
        for key in ("+10 sd all", "+10 sd x0"):
            cells = " | ".join(f"{v:.3f}" for v in least[key])
            lines.append(f"| {name} | {config} | {key} (min) | {cells} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    rows = study()
    out = Path(__file__).resolve().parent / "results" / "range_warning.md"
    out.write_text(table(rows))
    print(f"wrote {out} in {time.perf_counter() - start:.0f} s")
