"""Tabular accuracy: VNN against MLP, tuned on the same budget and at defaults.

Answers the paper's closing question ("test the performance of this
variational neural networks against conventional neural networks") on seven
data sets: scikit-learn's bundled iris, wine, breast_cancer, digits and
diabetes, and generated make_moons (noise 0.3) and make_friedman1 (noise 1).

Every contestant is a Pipeline (StandardScaler, model), for regression
inside a TransformedTargetRegressor that standardises the target. Two tables
come from the same outer folds (repeated k-fold, stratified for
classification):

Tuned: each contestant is tuned by GridSearchCV (inner 3-fold CV) over the
same number of candidates, and each outer fold reports the test score of the
refitted best candidate (accuracy, or R^2 for the regression sets), its
number of trained parameters and its refit time. The small sets use
'lbfgs'; digits uses 'adam' with early stopping.

* MLP with 'relu', 'tanh' and 'logistic' activations: hidden size x alpha.
* VNN learned: hidden size x three (alpha, activation_alpha) variants that
  span MLP and VNN: (10, 1e3) holds the activation at its tanh start (the
  prior is centred on it), (3, 10) and (0.1, 10) let it move.
* VNN frozen: ``learn_activation=False``, hidden size x MLP's alphas; the
  same code trains a network whose activation stays at its start (tanh):
  the ablation that isolates what learning the activation buys.

Defaults: every contestant as constructed, no tuning: MLP 'relu' and
'tanh' at scikit-learn's defaults, VNN at the package defaults and at
alternatives to them (activation_init 'tanh'/'relu' x activation_alpha
1, 10, 100; the 'candidates' basis started at 'tanh' and at 'relu'), so
that the package default is chosen from evidence.

Run ``python benchmarks/bench_accuracy.py`` (both tables; ``--table`` picks
one, ``--n-jobs`` evaluates outer folds in parallel; 4 to 8 minutes with
``--n-jobs 2`` on two shared cores) or ``--quick`` for a smoke run of a few
seconds. Results go to
``benchmarks/results/accuracy.md`` and ``accuracy.png``.
"""

import argparse
import sys
import time
import warnings

import numpy as np
from _accuracy_report import plot, write_markdown
from _common import add_output_arguments, timed_run
from joblib import Parallel, delayed
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
# VNN learned: three variants that span "MLP tanh" and "VNN". The first
# holds the activation at its tanh start (activation_alpha=1e3: the prior
# centred on the start activation is then stiff, a frozen network in all
# but name) under strong weight decay (alpha=10: about what MLP logistic's
# alpha=3 does to a tanh network, as logistic(z) = (1 + tanh(z/2)) / 2),
# which the small noisy sets (diabetes) need; the other two learn it under
# a moderate prior (activation_alpha=10), with moderate and with light
# weight decay. Chosen on splits other than the outer folds (see
# benchmarks/README.md)
VNN_VARIANTS = [
    dict(alpha=10.0, activation_alpha=1e3),
    dict(alpha=3.0, activation_alpha=10.0),
    dict(alpha=1e-1, activation_alpha=10.0),
]
# VNN frozen: activation_alpha does not apply; it gets MLP's alphas, so
# that every contestant has len(HIDDEN) * 3 candidates
FROZEN_ALPHAS = MLP_ALPHAS

# the defaults table: every contestant at its package defaults (no tuning);
# the VNN columns are the package default and alternatives to it
DEFAULT_MLPS = {"MLP relu": "relu", "MLP tanh": "tanh"}
VNN_DEFAULT_VARIANTS = {
    f"VNN {init} a={a:g}": dict(activation_init=init, activation_alpha=a)
    for init in ("tanh", "relu")
    for a in (1.0, 10.0, 100.0)
}
# and the 'candidates' basis, which holds relu and tanh exactly: does a
# start at either, free to mix in the others, follow the MLP it starts as?
VNN_DEFAULT_VARIANTS.update(
    {
        f"VNN cand. {init}": dict(basis="candidates", activation_init=init)
        for init in ("tanh", "relu")
    }
)


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
    if contestant.startswith("MLP") or contestant == "VNN frozen":
        alphas = MLP_ALPHAS if contestant.startswith("MLP") else FROZEN_ALPHAS
        return [
            {"hidden_layer_sizes": hidden, "alpha": alphas[:1] if quick else alphas}
        ]
    variants = VNN_VARIANTS[:1] if quick else VNN_VARIANTS
    return [
        {"hidden_layer_sizes": hidden, **{k: [v] for k, v in variant.items()}}
        for variant in variants
    ]


def make_model(contestant, task, settings, seed):
    """The unfitted estimator of one contestant (tuned table)."""
    if contestant.startswith("MLP"):
        cls = MLPClassifier if task == "classification" else MLPRegressor
        activation = contestant.split()[1]
        return cls(activation=activation, random_state=seed, **settings)
    cls = VNNClassifier if task == "classification" else VNNRegressor
    learn = contestant == "VNN learned"
    return cls(learn_activation=learn, random_state=seed, **settings)


def default_model(contestant, task, seed):
    """The unfitted estimator of one contestant at its defaults."""
    if contestant in DEFAULT_MLPS:
        cls = MLPClassifier if task == "classification" else MLPRegressor
        return cls(activation=DEFAULT_MLPS[contestant], random_state=seed)
    cls = VNNClassifier if task == "classification" else VNNRegressor
    return cls(random_state=seed, **VNN_DEFAULT_VARIANTS.get(contestant, {}))


def package_default_column():
    """The VNN column of the defaults table equal to the package defaults."""
    defaults = VNNClassifier().get_params()
    for name, variant in VNN_DEFAULT_VARIANTS.items():
        if all(defaults[k] == v for k, v in variant.items()):
            return name
    return "VNN default"


def default_contestants():
    """Columns of the defaults table: both MLPs, then the VNN variants."""
    names = [*DEFAULT_MLPS, *VNN_DEFAULT_VARIANTS]
    if package_default_column() not in names:
        names.append("VNN default")
    return names


def _pipeline(model, task):
    """Scaled pipeline; for regression the target is standardised too."""
    pipe = Pipeline([("scale", StandardScaler()), ("model", model)])
    if task == "regression":
        return TransformedTargetRegressor(regressor=pipe, transformer=StandardScaler())
    return pipe


def make_search(contestant, task, settings, seed, quick):
    """Scaled pipeline + GridSearchCV (inner CV)."""
    pipe = _pipeline(make_model(contestant, task, settings, seed), task)
    prefix = "regressor__model__" if task == "regression" else "model__"
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


def _outer_folds(name, args):
    """(task, X, y, list of (train, test)) of one data set."""
    loader, task = DATASETS[name]
    X, y = loader()
    if args.quick:
        X, y = X[::3], y[::3]
    n_splits, n_repeats = (2, 1) if args.quick else (args.folds, args.repeats)
    outer_cls = RepeatedStratifiedKFold if task == "classification" else RepeatedKFold
    outer = outer_cls(n_splits=n_splits, n_repeats=n_repeats, random_state=args.seed)
    return task, X, y, list(outer.split(X, y))


def _estimator(table, name, task, contestant, args):
    """GridSearchCV (tuned table) or the scaled pipeline at defaults."""
    if table == "tuned":
        settings = solver_settings(name, args.quick)
        return make_search(contestant, task, settings, args.seed, args.quick)
    model = default_model(contestant, task, args.seed)
    if args.quick:
        model.set_params(max_iter=20)
    return _pipeline(model, task)


def evaluate(table, name, task, X, y, fold, train, test, contestant, args):
    """One outer fold of one contestant: its test score, size and times."""
    estimator = _estimator(table, name, task, contestant, args)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FitFailedWarning)
        warnings.simplefilter("ignore", UserWarning)
        estimator.fit(X[train], y[train])
        seconds = time.perf_counter() - start
        score = float(estimator.score(X[test], y[test]))
    row = dict(
        table=table,
        dataset=name,
        task=task,
        fold=fold,
        contestant=contestant,
        score=score,
        search_seconds=seconds,
        refit_seconds=seconds,
        failed=0,
        best={},
    )
    if table == "tuned":
        row["failed"] = int(np.isnan(estimator.cv_results_["mean_test_score"]).sum())
        row["refit_seconds"] = float(estimator.refit_time_)
        row["best"] = {
            k.rsplit("__", 1)[-1]: v for k, v in estimator.best_params_.items()
        }
        estimator = estimator.best_estimator_
    if isinstance(estimator, TransformedTargetRegressor):
        estimator = estimator.regressor_
    row["params"] = trained_parameters(estimator[-1])
    return row


def run(args, out=sys.stdout):
    """Nested CV (tuned table) and outer CV at defaults (defaults table)."""
    names = ["iris"] if args.quick else args.datasets
    tables = ["tuned", "defaults"] if args.table == "both" else [args.table]
    jobs = []
    for name in names:
        task, X, y, folds = _outer_folds(name, args)
        for table in tables:
            contestants = (
                args.contestants if table == "tuned" else default_contestants()
            )
            for fold, (train, test) in enumerate(folds):
                for c in contestants:
                    jobs.append((table, name, task, X, y, fold, train, test, c, args))
    rows = []
    results = Parallel(n_jobs=args.n_jobs, return_as="generator")(
        delayed(evaluate)(*job) for job in jobs
    )
    for row in results:
        rows.append(row)
        print(
            f"{row['table']:<8} {row['dataset']:<13} fold {row['fold']} "
            f"{row['contestant']:<13} score={row['score']:.4f} "
            f"params={row['params']:6d} refit={row['refit_seconds']:5.2f}s "
            f"search={row['search_seconds']:6.1f}s failed={row['failed']} "
            f"best={row['best']}",
            file=out,
            flush=True,
        )
    return rows


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
    parser.add_argument(
        "--table",
        choices=["tuned", "defaults", "both"],
        default="both",
        help="tuned (nested CV), defaults (no tuning) or both (default)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="outer folds evaluated in parallel (default: %(default)s)",
    )
    add_output_arguments(parser, "accuracy.md and accuracy.png")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    command, rows, seconds = timed_run("bench_accuracy.py", run, args, argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    context = dict(
        command=command.strip(),
        seconds=seconds,
        n_candidates={c: n_candidates(c, args.quick) for c in args.contestants},
        default_column=package_default_column(),
        vnn_variants=VNN_VARIANTS,
    )
    verdict = write_markdown(rows, args.out_dir / "accuracy.md", context)
    if not args.no_plot:
        plot(rows, args.out_dir / "accuracy.png")
    print(f"done in {seconds / 60:.1f} min; wrote {args.out_dir}/accuracy.md")
    print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
