"""Function fitting: test RMSE against parameter count, VNN, MLP and pykan.

For each target function, 1000 training and 1000 test points are drawn
uniformly on ``[-1, 1]^d`` in float64 (no noise; the same points for every
model), and every model in a list of configurations is fitted; the test
RMSE, the number of trained parameters and the fit time are recorded. The
targets are

* ``exp(sin(pi x) + y^2)`` (d = 2),
* ``x y`` (d = 2),
* ``J0(20 x)`` (d = 1, :func:`scipy.special.j0`),
* ``exp((sin(pi (x1^2 + x2^2)) + sin(pi (x3^2 + x4^2))) / 2)`` (d = 4).

Contestants:

* VNN: the estimator parameters in :data:`VNN_CONFIGS` (a list of dicts,
  over :data:`VNN_DEFAULTS`): four general configurations that run on
  every function, and one precise recipe per function (Levenberg-Marquardt
  to ``tol=1e-15``, the 'polynomial' basis, ``adapt_range``, ``n_init``
  restarts; for the 4-D one also a refinement ladder, warm-started fits
  with growing ``n_basis``), limited to it by the dict's ``functions``
  key. Each is fitted with ``random_state`` in ``--seeds`` (default 0..4)
  and reported by its median test RMSE (and the median fit time, restarts
  and ladder steps included); the per-seed spread has its own table.
* MLP with 'relu' and 'tanh', each with 'lbfgs' and 'adam', over sizes
  that reach well beyond the VNN parameter counts (one seed, ``--seed``).
* pykan (Liu et al.'s KAN), when ``kan`` and ``torch`` import
  (``pip install -r benchmarks/requirements-kan.txt``; a benchmark-only
  dependency; the code is in ``_kan.py``): width ``[d, 5, 1]``, and
  ``[4, 4, 2, 1]`` (the width of pykan's and the KAN paper's example of
  this function) for the 4-D one;
  cubic splines on a grid refined 5 -> 10 -> 20, each stage trained by
  pykan's LBFGS for ``--kan-steps`` steps (200 as in pykan's
  function-fitting tutorial), in float64 with a fixed seed. Its parameter
  count is that of the spline layers' trainable tensors (``coef``,
  ``scale_base``, ``scale_sp``) of the final grid; its time covers all
  stages.

No penalty is used (``alpha=0``, ``activation_alpha=0``, ``lamb=0``): the
data are noiseless and the question is approximation power.

For each function the summary reports the best VNN, the best MLP, pykan,
and two equal-budget ratios: ``best MLP RMSE with at least as many
parameters / VNN RMSE`` (the issue's target is >= 10 on 3 of the 4
functions, and RMSE <= 1e-6 with <= 200 parameters on the first), and
``pykan RMSE / best VNN RMSE with at most pykan's parameters``.

Run ``python benchmarks/bench_functions.py`` or ``--quick`` for a smoke
run of a few seconds (60 points, one VNN and one MLP, no pykan).
``--models`` runs a subset of the contestants and ``--update`` keeps the
other rows of the existing page. Results go to
``benchmarks/results/functions.md`` and ``functions.png``.
"""

import argparse
import shlex
import sys
import time
import warnings

import numpy as np
from _common import add_output_arguments, timed_run
from _functions_page import plot, read_previous_rows, write_markdown
from _kan import KAN_GRIDS, fit_kan, kan_available, kan_description, kan_width
from scipy.special import j0
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from sklearn_vnn import VNNRegressor
from sklearn_vnn.__main__ import n_parameters


def _f_exp_sin(X):
    return np.exp(np.sin(np.pi * X[:, 0]) + X[:, 1] ** 2)


def _f_product(X):
    return X[:, 0] * X[:, 1]


def _f_bessel(X):
    return j0(20.0 * X[:, 0])


def _f_four(X):
    r12 = X[:, 0] ** 2 + X[:, 1] ** 2
    r34 = X[:, 2] ** 2 + X[:, 3] ** 2
    return np.exp((np.sin(np.pi * r12) + np.sin(np.pi * r34)) / 2.0)


# name -> (callable on (n, d) arrays, d)
FUNCTIONS = {
    "exp(sin(pi x) + y^2)": (_f_exp_sin, 2),
    "x y": (_f_product, 2),
    "J0(20 x)": (_f_bessel, 1),
    "exp((sin(pi r12) + sin(pi r34)) / 2)": (_f_four, 4),
}

# what every VNN configuration starts from (max_iter from --max-iter)
VNN_DEFAULTS = dict(
    solver="lbfgs",
    alpha=0.0,
    activation_alpha=0.0,
    tol=1e-12,
    activation_scope="layer",
)


def vnn(hidden, basis, n_basis, scope="layer", **params):
    """One VNN configuration: a dict of VNNRegressor parameters."""
    return dict(
        hidden_layer_sizes=hidden,
        basis=basis,
        n_basis=n_basis,
        activation_scope=scope,
        **params,
    )


# the precise recipes: Levenberg-Marquardt to tol 1e-15 (max_iter 500),
# the 'polynomial' basis (Chebyshev on a linear map of the design range)
PRECISE = dict(solver="lm", tol=1e-15, max_iter=500)

EXP_SIN, PRODUCT, BESSEL, FOUR = FUNCTIONS

# VNNRegressor parameters, one dict per configuration (over VNN_DEFAULTS;
# an optional 'label' key names the row, an optional 'functions' key
# limits it to those targets, an optional 'ladder' of smaller n_basis
# values is fitted first, each warm-starting the next: see fit_sklearn)
VNN_CONFIGS = [
    vnn((8,), "chebyshev", 8),
    vnn((32,), "fourier", 8),
    vnn((8, 8), "chebyshev", 8, "neuron"),
    vnn((4, 4), "fourier", 12, "neuron"),
    # exp(sin(pi x) + y^2) = exp(F(x) + G(y)): two neurons, then one
    vnn(
        (2, 1),
        "polynomial",
        16,
        "neuron",
        basis_params={"scale": 1.5},
        adapt_range=True,
        n_init=8,
        functions=(EXP_SIN,),
        **PRECISE,
    ),
    # x y = ((x + y)^2 - (x - y)^2) / 4: one shared square, two neurons
    vnn(
        (2,),
        "polynomial",
        3,
        adapt_range=True,
        n_init=4,
        functions=(PRODUCT,),
        **PRECISE,
    ),
    # a function of one variable: one neuron, a degree-59 polynomial; the
    # best of 4 starts (without restarts 2 or 3 seeds in 5 ended near 0.07)
    vnn(
        (1,),
        "polynomial",
        60,
        adapt_range=True,
        n_init=4,
        functions=(BESSEL,),
        **PRECISE,
    ),
    vnn((8, 8), "polynomial", 8, "neuron", functions=(FOUR,), **PRECISE),
    # squares, then sin of the two sums, then exp (one shared activation per
    # layer): the best of 10 cubic starts, refined n_basis 4 -> 8 -> 16
    vnn(
        (8, 4, 1),
        "polynomial",
        16,
        activation_init="identity",
        adapt_range=True,
        n_init=10,
        ladder=(4, 8),
        functions=(FOUR,),
        **{**PRECISE, "max_iter": 300},
    ),
    # wider, and L-BFGS run ten times longer than the other rows
    vnn(
        (16, 16),
        "chebyshev",
        8,
        "neuron",
        max_iter=10000,
        max_fun=40000,
        tol=1e-15,
        functions=(FOUR,),
        label="VNN neuron chebyshev8 (16, 16) max_iter=10000",
    ),
]

QUICK_VNN_CONFIGS = [vnn((8,), "chebyshev", 8)]

MODEL_KINDS = ("vnn", "mlp", "kan")


def vnn_label(params):
    """A short name: scope, basis, M, hidden sizes (and a non-lbfgs solver)."""
    if "label" in params:
        return params["label"]
    p = {**VNN_DEFAULTS, **params}
    label = (
        f"VNN {p['activation_scope']} {p['basis']}{p['n_basis']} "
        f"{tuple(p['hidden_layer_sizes'])}"
    )
    if p["solver"] != "lbfgs":
        label += f" {p['solver']}"
    if p.get("n_init", 1) > 1:
        label += f" n_init={p['n_init']}"
    if p.get("ladder"):
        label += " ladder " + "-".join(map(str, p["ladder"]))
    return label + (" adapt_range" if p.get("adapt_range") else "")


def vnn_configs(quick):
    """VNN configurations: (label, VNNRegressor parameters, function names).

    The names are those the configuration runs on (None: every function).
    """
    configs = QUICK_VNN_CONFIGS if quick else VNN_CONFIGS
    out = []
    for cfg in configs:
        params = {k: v for k, v in cfg.items() if k not in ("label", "functions")}
        out.append((vnn_label(cfg), params, cfg.get("functions")))
    return out


def mlp_configs(quick):
    """MLP configurations: (label, keyword arguments)."""
    if quick:
        return [("MLP tanh lbfgs (8,)", dict(hidden=(8,), act="tanh", solver="lbfgs"))]
    sizes = [(16,), (64,), (32, 32), (64, 64)]
    out = []
    for act in ("relu", "tanh"):
        for solver in ("lbfgs", "adam"):
            for hidden in sizes:
                label = f"MLP {act} {solver} {hidden}"
                out.append((label, dict(hidden=hidden, act=act, solver=solver)))
    return out


def build_vnn(params, max_iter, seed):
    """The VNNRegressor of one configuration (its own keys win; the
    'ladder' key is :func:`fit_sklearn`'s)."""
    p = {**VNN_DEFAULTS, "max_iter": max_iter, "max_fun": 4 * max_iter}
    p.update(params)
    p.pop("ladder", None)
    return VNNRegressor(random_state=seed, **p)


def build_mlp(cfg, max_iter, seed):
    """The MLPRegressor of one configuration."""
    if cfg["solver"] == "lbfgs":
        extra = dict(max_iter=max_iter, max_fun=4 * max_iter, tol=1e-12)
    else:
        # adam: a larger step than the default, full budget of epochs
        extra = dict(
            max_iter=max_iter,
            learning_rate_init=3e-3,
            tol=1e-12,
            n_iter_no_change=max_iter,
        )
    return MLPRegressor(
        hidden_layer_sizes=cfg["hidden"],
        activation=cfg["act"],
        solver=cfg["solver"],
        alpha=0.0,
        random_state=seed,
        **extra,
    )


def make_data(func, d, n, seed):
    """Training and test points, uniform on [-1, 1]^d, with targets."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n, d))
    X_test = rng.uniform(-1.0, 1.0, (n, d))
    return X, func(X), X_test, func(X_test)


def _rmse(pred, y):
    return float(np.sqrt(np.mean((np.ravel(pred) - y) ** 2)))


def fit_sklearn(model, data, ladder=()):
    """Fit one scikit-learn model: (test RMSE, parameters, seconds).

    A VNN with a ``ladder`` of n_basis values is fitted with each in turn,
    then warm-started with its own ``n_basis`` (the refinement ladder: each
    step projects the learned activations onto the larger basis); the time
    covers every step.
    """
    X, y, X_test, y_test = data
    steps = [*ladder, model.n_basis] if ladder else [None]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i, n_basis in enumerate(steps):
            if n_basis is not None:
                model.set_params(n_basis=n_basis, warm_start=i > 0)
            model.fit(X, y)
    seconds = time.perf_counter() - start
    return _rmse(model.predict(X_test), y_test), n_parameters(model), seconds


def _jobs(args):
    """(kind, label, how to fit, function names or None) for every
    contestant asked for."""
    jobs = []
    if "vnn" in args.models:
        seeds = args.seeds if args.seeds else ([0] if args.quick else list(range(5)))
        jobs += [
            ("VNN", label, (cfg, seeds), only)
            for label, cfg, only in vnn_configs(args.quick)
        ]
    if "mlp" in args.models:
        jobs += [("MLP", label, cfg, None) for label, cfg in mlp_configs(args.quick)]
    return jobs


def _fit_job(kind, cfg, data, max_iter, seed):
    """One row's measurements: median over the VNN seeds, else one fit."""
    if kind == "MLP":
        rmse, params, seconds = fit_sklearn(build_mlp(cfg, max_iter, seed), data)
        return dict(params=params, rmse=rmse, seconds=seconds, per_seed=None)
    params_cfg, seeds = cfg
    ladder = params_cfg.get("ladder", ())
    fits = [
        fit_sklearn(build_vnn(params_cfg, max_iter, s), data, ladder) for s in seeds
    ]
    rmses = [f[0] for f in fits]
    return dict(
        params=fits[0][1],
        rmse=float(np.median(rmses)),
        seconds=float(np.median([f[2] for f in fits])),
        per_seed=dict(zip(seeds, rmses)),
    )


def run(args, out=sys.stdout):
    """Fit every configuration on every function; return the result rows."""
    rows = []
    n = 60 if args.quick else 1000
    max_iter = 50 if args.quick else args.max_iter
    jobs = _jobs(args)
    names = list(FUNCTIONS)[:1] if args.quick else args.functions
    with_kan = "kan" in args.models and not args.quick
    if with_kan and not kan_available():
        print("pykan not installed: no KAN rows", file=out)
        with_kan = False
    todo_of = {
        name: [job[:3] for job in jobs if job[3] is None or name in job[3]]
        for name in names
    }
    total = sum(len(todo) + with_kan for todo in todo_of.values())
    count = 0
    for name in names:
        func, d = FUNCTIONS[name]
        data = make_data(func, d, n, args.seed)
        todo = todo_of[name]
        if with_kan:
            width = kan_width(name, d)
            label = f"pykan {width} grid {'-'.join(map(str, KAN_GRIDS))}"
            todo.append(("KAN", label, width))
        for kind, label, cfg in todo:
            count += 1
            if kind == "KAN":
                rmse, params, seconds = fit_kan(
                    cfg, data, args.kan_steps, args.seed, args.blas_threads
                )
                row = dict(params=params, rmse=rmse, seconds=seconds, per_seed=None)
            else:
                row = _fit_job(kind, cfg, data, max_iter, args.seed)
            row.update(function=name, kind=kind, model=label)
            rows.append(row)
            print(
                f"[{count}/{total}] {name:<38} {label:<50} "
                f"params={row['params']:6d} rmse={row['rmse']:9.3e} "
                f"{row['seconds']:6.1f}s",
                file=out,
                flush=True,
            )
    return rows


def _best(rows):
    return min(rows, key=lambda r: r["rmse"]) if rows else None


def _mlp_ratio(vnn, mlp):
    """Largest (best MLP with >= the VNN's parameters) / VNN RMSE ratio."""
    best_ratio, best_pair = 0.0, None
    for r in vnn:
        rival = _best([m for m in mlp if m["params"] >= r["params"]])
        if rival is not None and rival["rmse"] / r["rmse"] > best_ratio:
            best_ratio, best_pair = rival["rmse"] / r["rmse"], (r, rival)
    return best_ratio, best_pair


def summarise(rows, names):
    """Per function: best VNN, MLP and KAN, and the equal-budget ratios.

    For every VNN row the MLP competitor is the best MLP with at least as
    many parameters; the reported ratio is that MLP's RMSE over the VNN's,
    for the VNN row where it is largest. Against pykan: the best VNN with
    at most the KAN's parameters.
    """
    summary = []
    for name in names:
        by_kind = {
            kind: [r for r in rows if r["function"] == name and r["kind"] == kind]
            for kind in ("VNN", "MLP", "KAN")
        }
        vnn, kan = by_kind["VNN"], _best(by_kind["KAN"])
        ratio, pair = _mlp_ratio(vnn, by_kind["MLP"])
        rival = None
        if kan is not None:
            rival = _best([r for r in vnn if r["params"] <= kan["params"]])
        summary.append(
            dict(
                function=name,
                best_vnn=_best(vnn),
                best_mlp=_best(by_kind["MLP"]),
                kan=kan,
                kan_rival=rival,
                ratio=ratio,
                pair=pair,
                best_small=_best([r for r in vnn if r["params"] <= 200]),
            )
        )
    return summary


def build_parser():
    parser = argparse.ArgumentParser(
        description="Function fitting: VNN against MLP and pykan, test RMSE "
        "vs parameters."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 60 points, one VNN and one MLP, one seed, no pykan",
    )
    parser.add_argument(
        "--functions",
        nargs="+",
        choices=list(FUNCTIONS),
        default=list(FUNCTIONS),
        help="target functions (default: all four)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=MODEL_KINDS,
        default=list(MODEL_KINDS),
        help="which contestants to run (default: all)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the existing page's rows of the models not run now",
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=1000,
        help="iterations (lbfgs) or epochs (adam) per fit (default: %(default)s)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=None,
        help="VNN random_state values, median reported (default: 0 1 2 3 4; "
        "--quick: 0)",
    )
    parser.add_argument(
        "--kan-steps",
        type=int,
        default=200,
        help="pykan LBFGS steps per grid (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="data, MLP and pykan seed")
    add_output_arguments(parser, "functions.md and functions.png")
    return parser


def _merge(previous, rows):
    """Previous rows of (function, model) pairs not rerun, then the new ones."""
    fresh = {(r["function"], r["model"]) for r in rows}
    kept = [r for r in previous if (r["function"], r["model"]) not in fresh]
    order = {name: i for i, name in enumerate(FUNCTIONS)}
    kind_order = {"VNN": 0, "MLP": 1, "KAN": 2}
    merged = sorted(
        kept + rows,
        key=lambda r: (order.get(r["function"], 99), kind_order.get(r["kind"], 3)),
    )
    return merged, len(kept)


def main(argv=None):
    args = build_parser().parse_args(argv)
    _, rows, seconds = timed_run("bench_functions.py", run, args, argv)
    # quoted, so that the command reproduces the run ("x y" is one name)
    command = shlex.join(
        ["python", "benchmarks/bench_functions.py"]
        + (sys.argv[1:] if argv is None else argv)
    )
    page = args.out_dir / "functions.md"
    previous = (0, [])
    if args.update:
        old_rows, commands = read_previous_rows(page)
        rows, n_kept = _merge(old_rows, rows)
        previous = (n_kept, commands)
    names = list(dict.fromkeys(r["function"] for r in rows))
    summary = summarise(rows, names)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    write_markdown(
        rows, summary, page, command, seconds, kan_description(args), previous
    )
    if not args.no_plot:
        plot(rows, names, args.out_dir / "functions.png")
    print(f"done in {seconds / 60:.1f} min; wrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
