"""Tabular accuracy: VNN against MLP under the same tuning budget.

Answers the paper's closing question ("test the performance of this
variational neural networks against conventional neural networks") on seven
data sets: scikit-learn's bundled iris, wine, breast_cancer, digits and
diabetes, and generated make_moons (noise 0.3) and make_friedman1 (noise 1).

Every contestant is a Pipeline (StandardScaler, model), for regression
inside a TransformedTargetRegressor that standardises the target, and is
tuned by GridSearchCV (inner 3-fold CV) over the same number of candidates:

* MLP with 'relu', 'tanh' and 'logistic' activations: hidden size x alpha.
* VNN learned: hidden size x (alpha, basis, n_basis, activation_scope);
  the same number of candidates, with ``activation_alpha=10`` (the
  roughness penalty of the coefficients, fixed).
* VNN frozen: the same grid with ``learn_activation=False``; the same code
  trains a network whose activation stays at its start (an approximation
  of tanh): the ablation that isolates what learning the activation buys.

The outer loop is repeated (stratified, for classification) k-fold; each
outer fold reports the test score of the refitted best candidate
(accuracy, or R^2 for the regression sets), its number of trained
parameters and its refit time. The small sets use 'lbfgs'; digits uses
'adam' with early stopping.

Run ``python benchmarks/bench_accuracy.py`` (5 to 21 minutes on two shared
cores) or ``--quick`` for a smoke run of a few seconds. Results go to
``benchmarks/results/accuracy.md`` and ``accuracy.png``.
"""

import argparse
import sys
import time
import warnings

import numpy as np
from _common import add_output_arguments, timed_run
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_friedman1,
    make_moons,
)
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNClassifier, VNNRegressor
from sklearn_vnn.inspection import n_parameters


def _moons():
    return make_moons(n_samples=500, noise=0.3, random_state=0)


def _friedman1():
    return make_friedman1(n_samples=500, noise=1.0, random_state=0)


# name -> (loader returning (X, y), task)
DATASETS = {
    "iris": (lambda: load_iris(return_X_y=True), "classification"),
    "wine": (lambda: load_wine(return_X_y=True), "classification"),
    "breast_cancer": (
        lambda: load_breast_cancer(return_X_y=True),
        "classification",
    ),
    "digits": (lambda: load_digits(return_X_y=True), "classification"),
    "moons": (_moons, "classification"),
    "diabetes": (lambda: load_diabetes(return_X_y=True), "regression"),
    "friedman1": (_friedman1, "regression"),
}

CONTESTANTS = ("MLP relu", "MLP tanh", "MLP logistic", "VNN learned", "VNN frozen")

HIDDEN = [(16,), (64,)]
MLP_ALPHAS = [1e-3, 1e-1, 3.0]
# VNN: two of MLP's alphas, and in place of the third a different basis
# family and scope, so that both grids have len(HIDDEN) * 3 candidates
VNN_VARIANTS = [
    dict(alpha=1e-1, basis="fourier", n_basis=8, activation_scope="layer"),
    dict(alpha=3.0, basis="fourier", n_basis=8, activation_scope="layer"),
    dict(alpha=1e-1, basis="chebyshev", n_basis=8, activation_scope="neuron"),
]
# the roughness penalty of the coefficients; fixed, not tuned (the package
# default of 1e-4 overfits: see benchmarks/README.md)
VNN_ACTIVATION_ALPHA = 10.0


def solver_settings(dataset, quick):
    """Solver keywords shared by every contestant on one data set."""
    if quick:
        return dict(solver="lbfgs", max_iter=20)
    if dataset == "digits":
        return dict(solver="adam", max_iter=200, early_stopping=True)
    return dict(solver="lbfgs", max_iter=300)


def param_grid(contestant, quick):
    """The GridSearchCV grid (list of dicts) of one contestant."""
    hidden = HIDDEN[:1] if quick else HIDDEN
    if contestant.startswith("MLP"):
        alphas = MLP_ALPHAS[:1] if quick else MLP_ALPHAS
        return [{"hidden_layer_sizes": hidden, "alpha": alphas}]
    variants = VNN_VARIANTS[:1] if quick else VNN_VARIANTS
    return [
        {"hidden_layer_sizes": hidden, **{k: [v] for k, v in variant.items()}}
        for variant in variants
    ]


def make_model(contestant, task, settings, seed):
    """The unfitted estimator of one contestant."""
    if contestant.startswith("MLP"):
        cls = MLPClassifier if task == "classification" else MLPRegressor
        activation = contestant.split()[1]
        return cls(activation=activation, random_state=seed, **settings)
    cls = VNNClassifier if task == "classification" else VNNRegressor
    learn = contestant == "VNN learned"
    return cls(
        learn_activation=learn,
        activation_alpha=VNN_ACTIVATION_ALPHA,
        random_state=seed,
        **settings,
    )


def make_search(contestant, task, settings, seed, quick):
    """Scaled pipeline + GridSearchCV; the target is standardised too."""
    model = make_model(contestant, task, settings, seed)
    pipe = Pipeline([("scale", StandardScaler()), ("model", model)])
    prefix = "model__"
    if task == "regression":
        pipe = TransformedTargetRegressor(regressor=pipe, transformer=StandardScaler())
        prefix = "regressor__model__"
    grid = [
        {prefix + key: values for key, values in part.items()}
        for part in param_grid(contestant, quick)
    ]
    inner = (StratifiedKFold if task == "classification" else KFold)(
        n_splits=2 if quick else 3, shuffle=True, random_state=seed
    )
    scoring = "accuracy" if task == "classification" else "r2"
    return GridSearchCV(
        pipe, grid, cv=inner, scoring=scoring, n_jobs=1, error_score=np.nan
    )


def n_candidates(contestant, quick):
    return sum(
        int(np.prod([len(v) for v in g.values()]))
        for g in param_grid(contestant, quick)
    )


def trained_parameters(model):
    """Numbers the fit changes: a frozen VNN's coefficients do not count."""
    count = n_parameters(model)
    if not getattr(model, "learn_activation", True):
        count -= sum(np.size(C) for C in model.activation_coefs_)
    return count


def _final_model(search):
    best = search.best_estimator_
    if isinstance(best, TransformedTargetRegressor):
        best = best.regressor_
    return best[-1]


def run(args, out=sys.stdout):
    """Nested cross-validation of every contestant on every data set."""
    rows = []
    names = ["iris"] if args.quick else args.datasets
    contestants = args.contestants
    for name in names:
        loader, task = DATASETS[name]
        X, y = loader()
        if args.quick:
            X, y = X[::3], y[::3]
        settings = solver_settings(name, args.quick)
        n_splits, n_repeats = (2, 1) if args.quick else (args.folds, args.repeats)
        outer_cls = (
            RepeatedStratifiedKFold if task == "classification" else RepeatedKFold
        )
        outer = outer_cls(
            n_splits=n_splits, n_repeats=n_repeats, random_state=args.seed
        )
        for fold, (train, test) in enumerate(outer.split(X, y)):
            for contestant in contestants:
                search = make_search(contestant, task, settings, args.seed, args.quick)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    warnings.simplefilter("ignore", FitFailedWarning)
                    warnings.simplefilter("ignore", UserWarning)
                    search.fit(X[train], y[train])
                seconds = time.perf_counter() - start
                score = float(search.score(X[test], y[test]))
                failed = int(np.isnan(search.cv_results_["mean_test_score"]).sum())
                best = {
                    k.rsplit("__", 1)[-1]: v for k, v in search.best_params_.items()
                }
                row = dict(
                    dataset=name,
                    task=task,
                    fold=fold,
                    contestant=contestant,
                    score=score,
                    params=trained_parameters(_final_model(search)),
                    refit_seconds=float(search.refit_time_),
                    search_seconds=seconds,
                    failed=failed,
                    best=best,
                )
                rows.append(row)
                print(
                    f"{name:<13} fold {fold} {contestant:<12} score={score:.4f} "
                    f"params={row['params']:6d} refit={row['refit_seconds']:5.2f}s "
                    f"search={seconds:6.1f}s failed={failed} best={best}",
                    file=out,
                    flush=True,
                )
    return rows


def aggregate(rows):
    """Mean/std of score, mean params and refit time per (dataset, contestant)."""
    table = {}
    for r in rows:
        table.setdefault((r["dataset"], r["contestant"]), []).append(r)
    stats = {}
    for key, group in table.items():
        scores = np.array([g["score"] for g in group])
        stats[key] = dict(
            mean=float(scores.mean()),
            std=float(scores.std()),
            params=float(np.mean([g["params"] for g in group])),
            refit=float(np.mean([g["refit_seconds"] for g in group])),
            search=float(np.sum([g["search_seconds"] for g in group])),
            failed=int(np.sum([g["failed"] for g in group])),
            n=len(group),
        )
    return stats


def verdicts(stats, datasets, contestants):
    """Per data set: the best MLP's mean score and whether each VNN beats it."""
    out = {}
    for d in datasets:
        mlps = [stats[(d, c)]["mean"] for c in contestants if c.startswith("MLP")]
        best_mlp = max(mlps) if mlps else np.nan
        out[d] = dict(
            best_mlp=best_mlp,
            learned=stats.get((d, "VNN learned"), {}).get("mean", np.nan) >= best_mlp,
            frozen=stats.get((d, "VNN frozen"), {}).get("mean", np.nan) >= best_mlp,
        )
    return out


def write_markdown(stats, datasets, contestants, path, command, seconds, quick):
    """Results page: score table with verdicts, then params and refit times."""
    verdict = verdicts(stats, datasets, contestants)
    n_cand = {c: n_candidates(c, quick) for c in contestants}
    lines = [
        "# Tabular data: VNN against MLP",
        "",
        f"Command: `{command}`; total run time {seconds / 60:.1f} min.",
        "Score: accuracy (classification) or R^2 (diabetes, friedman1) of the "
        "refitted best GridSearchCV candidate on each outer test fold; mean +- "
        "std over the outer folds. GridSearchCV candidates per contestant: "
        + ", ".join(f"{c} {n}" for c, n in n_cand.items())
        + ".",
        "",
        "| dataset | " + " | ".join(contestants) + " | learned >= best MLP |",
        "| --- | " + " | ".join("---" for _ in contestants) + " | --- |",
    ]
    for d in datasets:
        cells = []
        for c in contestants:
            s = stats[(d, c)]
            cells.append(f"{s['mean']:.4f} +- {s['std']:.4f}")
        mark = "yes" if verdict[d]["learned"] else "no"
        lines.append(f"| {d} | " + " | ".join(cells) + f" | {mark} |")
    n_learned = sum(v["learned"] for v in verdict.values())
    n_frozen = sum(v["frozen"] for v in verdict.values())
    lines += [
        "",
        f"VNN learned's mean score >= the best MLP's on {n_learned} of "
        f"{len(datasets)} data sets (target: 5 of 7); VNN frozen on "
        f"{n_frozen} of {len(datasets)}.",
        "",
        "## Trained parameters of the selected model (mean over outer folds)",
        "",
        "| dataset | " + " | ".join(contestants) + " |",
        "| --- | " + " | ".join("---:" for _ in contestants) + " |",
    ]
    for d in datasets:
        cells = [f"{stats[(d, c)]['params']:.0f}" for c in contestants]
        lines.append(f"| {d} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Fit time: refit of the selected model, mean seconds (total tuning seconds)",
        "",
        "| dataset | " + " | ".join(contestants) + " |",
        "| --- | " + " | ".join("---:" for _ in contestants) + " |",
    ]
    for d in datasets:
        cells = [
            f"{stats[(d, c)]['refit']:.2f} ({stats[(d, c)]['search']:.0f})"
            for c in contestants
        ]
        lines.append(f"| {d} | " + " | ".join(cells) + " |")
    failed = sum(s["failed"] for s in stats.values())
    lines += ["", f"Failed candidate fits (scored NaN): {failed}."]
    path.write_text("\n".join(lines) + "\n")
    return n_learned


def plot(stats, datasets, contestants, path):
    """Grouped bars: mean score +- std per data set and contestant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.6 * len(datasets) + 2, 4))
    width = 0.8 / len(contestants)
    x = np.arange(len(datasets))
    for i, c in enumerate(contestants):
        means = [stats[(d, c)]["mean"] for d in datasets]
        stds = [stats[(d, c)]["std"] for d in datasets]
        ax.bar(
            x + (i - (len(contestants) - 1) / 2) * width,
            means,
            width,
            yerr=stds,
            label=c,
            capsize=2,
        )
    lows = [min(stats[(d, c)]["mean"] for c in contestants) for d in datasets]
    ax.set_ylim(max(0.0, min(lows) - 0.1), 1.0)
    ax.set_xticks(x)
    ax.set_xticklabels(datasets)
    ax.set_ylabel("accuracy / R^2 (outer folds)")
    ax.legend(
        fontsize=7,
        ncol=len(contestants),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        frameon=False,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def build_parser():
    parser = argparse.ArgumentParser(
        description="VNN against MLP on tabular data, nested cross-validation."
    )
    parser.add_argument("--quick", action="store_true", help="smoke run (seconds)")
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(DATASETS),
        default=list(DATASETS),
        help="data sets (default: all seven)",
    )
    parser.add_argument(
        "--contestants",
        nargs="+",
        choices=CONTESTANTS,
        default=list(CONTESTANTS),
        help="models to compare (default: all five)",
    )
    parser.add_argument("--folds", type=int, default=3, help="outer folds")
    parser.add_argument("--repeats", type=int, default=2, help="outer repeats")
    parser.add_argument("--seed", type=int, default=0, help="CV and model seed")
    add_output_arguments(parser, "accuracy.md and accuracy.png")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    command, rows, seconds = timed_run("bench_accuracy.py", run, args, argv)
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    stats = aggregate(rows)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_markdown(
        stats,
        datasets,
        args.contestants,
        args.out_dir / "accuracy.md",
        command.strip(),
        seconds,
        args.quick,
    )
    if not args.no_plot:
        plot(stats, datasets, args.contestants, args.out_dir / "accuracy.png")
    print(f"done in {seconds / 60:.1f} min; wrote {args.out_dir}/accuracy.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
