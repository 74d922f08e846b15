"""pykan (Liu et al.'s KAN) for bench_functions.py: width, fit, page note.

A benchmark-only dependency (``pip install -r
benchmarks/requirements-kan.txt``): cubic splines on a grid refined
5 -> 10 -> 20, each stage trained by pykan's LBFGS, in float64.
"""

import contextlib
import io
import tempfile
import time

import numpy as np

KAN_GRIDS = (5, 10, 20)
# the KAN paper's and pykan's example width for the 4-D function
KAN_WIDTHS = {"exp((sin(pi r12) + sin(pi r34)) / 2)": [4, 4, 2, 1]}


def _rmse(pred, y):
    return float(np.sqrt(np.mean((np.ravel(pred) - y) ** 2)))


def kan_available():
    """Whether pykan (``kan``) and torch import."""
    try:
        import kan  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def kan_width(name, d):
    """pykan's width for a function of ``d`` inputs."""
    return KAN_WIDTHS.get(name, [d, 5, 1])


def fit_kan(width, data, steps, seed, threads):
    """Train pykan with grid refinement: (test RMSE, parameters, seconds).

    pykan prints progress bars and writes checkpoints (``refine`` turns
    them on whatever the model says): both go to a temporary directory and
    a discarded buffer.
    """
    import torch
    from kan import KAN

    X, y, X_test, y_test = data
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(threads)
    dataset = {
        "train_input": torch.tensor(X),
        "train_label": torch.tensor(y)[:, None],
        "test_input": torch.tensor(X_test),
        "test_label": torch.tensor(y_test)[:, None],
    }
    sink = io.StringIO()
    with (
        tempfile.TemporaryDirectory() as ckpt,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        start = time.perf_counter()
        model = KAN(
            width=width,
            grid=KAN_GRIDS[0],
            k=3,
            seed=seed,
            auto_save=False,
            ckpt_path=ckpt,
            symbolic_enabled=False,
        )
        for i, grid in enumerate(KAN_GRIDS):
            if i:
                model = model.refine(grid)
            model.fit(dataset, opt="LBFGS", steps=steps, lamb=0.0, log=10**9)
        seconds = time.perf_counter() - start
        with torch.no_grad():
            pred = model(dataset["test_input"]).numpy()
    params = sum(
        p.numel()
        for name, p in model.act_fun.named_parameters()
        if p.requires_grad and name.split(".")[-1] in ("coef", "scale_base", "scale_sp")
    )
    return _rmse(pred, y_test), int(params), seconds


def kan_description(args):
    """What the page says about pykan."""
    if not kan_available():
        return "pykan not installed"
    from importlib.metadata import version

    runs = "kan" in args.models and not args.quick
    return (
        f"pykan {version('pykan')}, torch {version('torch')}; width [d, 5, 1] "
        f"([4, 4, 2, 1] for the 4-D function), grid "
        f"{' -> '.join(map(str, KAN_GRIDS))}, {args.kan_steps} LBFGS steps per "
        f"grid, float64, seed {args.seed}"
        + ("" if runs else " (not run by this command)")
    )
