"""Learned activations: callables, recorded ranges, formulas, classic fits, plots."""

import re
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit
from sklearn.datasets import make_regression
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import ActivationDisplay, VNNClassifier, VNNRegressor
from sklearn_vnn.bases import BASES, Basis, FourierBasis
from sklearn_vnn.inspection import (
    CLASSIC_ACTIVATIONS,
    activation_range,
    fit_classic_activations,
    nearest_classic_activation,
)

try:
    import matplotlib
except ImportError:  # only the plotting tests need it
    matplotlib = None
else:
    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (the tests call matplotlib.pyplot)

needs_matplotlib = pytest.mark.skipif(matplotlib is None, reason="needs matplotlib")

# the small fits here stop early on purpose
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n_samples=150):
    X, y = make_regression(n_samples=n_samples, n_features=4, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


def _fit(scope="layer", basis="fourier", hidden=(6, 5), n_basis=7, **kw):
    X, y = _data()
    params = dict(
        hidden_layer_sizes=hidden,
        basis=basis,
        n_basis=n_basis,
        activation_scope=scope,
        solver="lbfgs",
        max_iter=30,
        random_state=0,
    )
    params.update(kw)
    return VNNRegressor(**params).fit(X, y)


@pytest.fixture(scope="module")
def layer_est():
    return _fit("layer")


@pytest.fixture(scope="module")
def neuron_est():
    return _fit("neuron")


def _manual_forward(est, X):
    """Pre-activations and output using only activation_function (numpy)."""
    A, Zs = X, []
    for layer in range(len(est.activation_coefs_)):
        Z = A @ est.coefs_[layer] + est.intercepts_[layer]
        Zs.append(Z)
        if est.activation_scope == "layer":
            A = est.activation_function(layer)(Z)
        else:
            A = np.column_stack(
                [est.activation_function(layer, j)(Z[:, j]) for j in range(Z.shape[1])]
            )
    return Zs, A @ est.coefs_[-1] + est.intercepts_[-1]


# ----------------------------------------------------------------------
# activation_function
# ----------------------------------------------------------------------
@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_activation_functions_rebuild_the_predictions(scope, layer_est, neuron_est):
    est = layer_est if scope == "layer" else neuron_est
    X, _ = _data()
    _, G = _manual_forward(est, X)
    assert_allclose(G.ravel(), est.predict(X), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("basis", sorted(BASES))
def test_derivative_matches_central_differences(basis):
    est = _fit("neuron", basis=basis, hidden=(4,), n_basis=6, max_iter=10)
    F = est.activation_function(0, neuron=1)
    z = np.linspace(-4, 4, 97) + 0.013  # away from the relu/abs kinks at 0
    h = 1e-6
    assert_allclose(F.derivative(z), (F(z + h) - F(z - h)) / (2 * h), atol=1e-6)


def test_activation_function_is_a_snapshot(layer_est):
    F = layer_est.activation_function(0)
    z = np.linspace(-2, 2, 5)
    before = F(z)
    C = layer_est.activation_coefs_[0]
    saved = C.copy()
    C += 1.0
    try:
        assert_allclose(F(z), before)
        assert not np.allclose(layer_est.activation_function(0)(z), before)
    finally:
        C[...] = saved


def test_initial_activation_is_the_starting_tanh():
    est = _fit("layer", basis="candidates", n_basis=3, max_iter=5)
    from sklearn_vnn.inspection import activation_function

    F0 = activation_function(est, 1, initial=True)
    z = np.linspace(-3, 3, 11)
    assert_allclose(F0(z), np.tanh(z), atol=1e-12)  # one-hot on 'tanh'


def test_activation_function_shapes_and_scalars(layer_est):
    F = layer_est.activation_function(-1)  # negative counts from the end
    assert F(np.zeros((3, 4))).shape == (3, 4)
    assert np.ndim(F(0.5)) == 0
    assert_allclose(F(0.5), layer_est.activation_function(1)(0.5))


def test_activation_function_errors(layer_est, neuron_est):
    with pytest.raises(ValueError, match="pass neuron=j"):
        neuron_est.activation_function(0)
    with pytest.raises(ValueError, match="layer must index a hidden layer"):
        layer_est.activation_function(2)
    with pytest.raises(TypeError, match="layer must be an int"):
        layer_est.activation_function(0.0)
    with pytest.raises(ValueError, match=r"neuron must be in \[0, 6\)"):
        neuron_est.activation_function(0, neuron=6)
    with pytest.raises(TypeError, match="neuron must be an int"):
        neuron_est.activation_function(0, neuron="1")
    with pytest.raises(NotFittedError):
        VNNRegressor().activation_function(0)
    with pytest.raises(NotFittedError):
        VNNRegressor().activation_formula(0)


# ----------------------------------------------------------------------
# the recorded ranges
# ----------------------------------------------------------------------
def test_ranges_are_percentiles_of_the_pre_activations(layer_est, neuron_est):
    X, _ = _data()
    for est in (layer_est, neuron_est):
        Zs, _ = _manual_forward(est, X)
        assert len(est.activation_ranges_) == 2
        for Z, r in zip(Zs, est.activation_ranges_):
            if est.activation_scope == "layer":
                assert r.shape == (2,)
                assert_allclose(r, np.percentile(Z, [1, 99]), rtol=1e-12)
            else:
                assert r.shape == (Z.shape[1], 2)
                assert_allclose(r, np.percentile(Z, [1, 99], axis=0).T, rtol=1e-12)
    lo, hi = layer_est.activation_function(1).range
    assert (lo, hi) == tuple(layer_est.activation_ranges_[1])
    lo, hi = neuron_est.activation_function(1, 3).range
    assert (lo, hi) == tuple(neuron_est.activation_ranges_[1][3])


def test_ranges_on_large_data_use_a_subsample_that_matches_the_full_data():
    X, y = make_regression(n_samples=6000, n_features=3, random_state=1)
    X = StandardScaler().fit_transform(X)
    est = VNNRegressor(
        hidden_layer_sizes=(5,), solver="adam", max_iter=2, random_state=0
    )
    est.fit(X, y / y.std())
    Z = X @ est.coefs_[0] + est.intercepts_[0]
    full = np.percentile(Z, [1, 99])
    assert_allclose(est.activation_ranges_[0], full, atol=0.05 * (full[1] - full[0]))


def test_ranges_are_refreshed_by_partial_fit():
    X, y = _data()
    est = VNNRegressor(hidden_layer_sizes=(4,), random_state=0)
    est.partial_fit(X, y)
    first = est.activation_ranges_[0].copy()
    est.partial_fit(3.0 * X, y)
    Z = 3.0 * X @ est.coefs_[0] + est.intercepts_[0]
    assert_allclose(est.activation_ranges_[0], np.percentile(Z, [1, 99]))
    assert not np.allclose(first, est.activation_ranges_[0])


def test_range_falls_back_to_the_design_range(layer_est):
    import copy

    est = copy.deepcopy(layer_est)
    del est.activation_ranges_  # e.g. a model pickled before ranges existed
    assert activation_range(est, 0) == est.basis_.design_range()


# ----------------------------------------------------------------------
# activation_formula
# ----------------------------------------------------------------------
@pytest.mark.parametrize("basis", sorted(BASES))
@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_formula_equals_function(basis, scope):
    n_basis = {"candidates": 11}.get(basis, 9)
    est = _fit(scope, basis=basis, hidden=(5, 4), n_basis=n_basis, max_iter=15)
    z = np.linspace(-8, 8, 2001)  # well beyond the recorded range too
    neurons = [None] if scope == "layer" else [0, 3]
    for layer in (0, 1):
        for neuron in neurons:
            formula = est.activation_formula(layer, neuron)
            F = est.activation_function(layer, neuron)
            expr = str(formula)
            value = eval(expr, {"np": np}, {"x": z})  # plain numpy, nothing else
            assert_allclose(value, F(z), rtol=0, atol=1e-9)
            assert formula.dropped == [] or all(c == 0 for c, *_ in formula.dropped)
            assert formula.rms_error < 1e-12


def test_formula_terms_are_ordered_by_size_and_readable(layer_est):
    formula = layer_est.activation_formula(0)
    sizes = [size for _, _, size in formula.terms]
    assert sizes == sorted(sizes, reverse=True)
    # each size is |C_k| times the RMS of that term over the recorded range
    lo, hi = formula.range
    grid = np.linspace(lo, hi, 512)
    for coef, term, size in formula.terms:
        values = eval(term, {"np": np}, {"x": grid}) * np.ones_like(grid)
        assert_allclose(size, abs(coef) * np.sqrt(np.mean(values**2)), rtol=1e-9)
    # the default Fourier frequency pi / (2 * 3) is written with pi, of the
    # input held within the design range [-3, 3]
    assert "np.sin(np.pi*np.clip(x, -3, 3)/6)" in str(formula)
    assert "np.cos(np.pi*np.clip(x, -3, 3)/3)" in str(formula)


def test_dropping_terms_reports_what_it_costs(layer_est):
    full = layer_est.activation_formula(1)
    short = layer_est.activation_formula(1, max_terms=2)
    assert len(short.terms) == 2 and len(short.dropped) == len(full.terms) - 2
    assert short.terms == full.terms[:2]
    lo, hi = short.range
    grid = np.linspace(lo, hi, 512)
    dropped = sum(
        c * eval(t, {"np": np}, {"x": grid}) * np.ones_like(grid)
        for c, t, _ in short.dropped
    )
    assert_allclose(short.rms_error, np.sqrt(np.mean(dropped**2)), rtol=1e-9)
    assert short.rms_error > 0
    assert_allclose(short(grid), full(grid) - dropped, atol=1e-12)
    # tol: keep the terms at least tol times the largest
    tol = full.terms[2][2] / full.terms[0][2] * 1.0000001
    by_tol = layer_est.activation_formula(1, tol=tol)
    assert by_tol.terms == full.terms[:2]


def test_rounding_the_coefficients(layer_est):
    formula = layer_est.activation_formula(0, digits=3)
    terms = re.split(r" [+-] ", str(formula))
    # every coefficient written with 3 significant digits (0.812, 0.00988)
    coefs = [t.split("*np.", 1)[0] for t in terms]
    assert len(terms) == 7 and all(len(c.lstrip("0.")) <= 3 for c in coefs)
    assert 0 < formula.rms_error < 1e-2 * formula.rms_activation
    assert "x" in repr(formula) and "rms_error" in repr(formula)


def test_formula_variable_and_errors(layer_est):
    f = layer_est.activation_formula(0, neuron=None)
    from sklearn_vnn.inspection import activation_formula

    g = activation_formula(layer_est, 0, variable="z")
    z = np.linspace(-1, 1, 7)
    assert_allclose(eval(str(g), {"np": np}, {"z": z}), f(z))
    with pytest.raises(ValueError, match="tol"):
        layer_est.activation_formula(0, tol=2)
    with pytest.raises(ValueError, match="max_terms"):
        layer_est.activation_formula(0, max_terms=0)
    with pytest.raises(ValueError, match="digits"):
        layer_est.activation_formula(0, digits=0)
    with pytest.raises(ValueError, match="variable"):
        activation_formula(layer_est, 0, variable="np")


class _Cubic(Basis):
    """A user family: 1, z, z**2 (with its own term expressions)."""

    def _evaluate(self, z, derivative):
        phi = np.stack([np.ones_like(z), z, z * z])
        dphi = np.stack([np.zeros_like(z), np.ones_like(z), 2 * z])
        return phi, (dphi if derivative else None)


class _WrittenCubic(_Cubic):
    def term_expressions(self, x):
        return ["1", x, f"{x}**2"]


def test_formula_for_user_bases():
    written = _fit("layer", basis=_WrittenCubic(3), hidden=(3,), max_iter=5)
    z = np.linspace(-3, 3, 13)
    formula = written.activation_formula(0)
    assert_allclose(formula(z), written.activation_function(0)(z), atol=1e-12)
    unwritten = _fit("layer", basis=_Cubic(3), hidden=(3,), max_iter=5)
    with pytest.raises(TypeError, match="term_expressions"):
        unwritten.activation_formula(0)


# ----------------------------------------------------------------------
# nearest classic activation
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, a, c, d, e",
    [
        ("tanh", 2.0, 0.5, 0.0, 0.0),
        ("tanh", 1.3, 0.8, 0.4, -0.2),
        ("logistic", 1.0, 1.5, 0.5, 0.0),
        ("relu", 1.5, 1.0, -0.5, 0.2),
        ("relu", 0.7, -1.0, 0.3, 0.0),
        ("sin", 0.7, 2.0, 1.0, -0.3),
        ("softplus", 1.2, 0.9, 0.3, 0.1),
        ("silu", 1.0, 1.0, 0.0, 0.0),
        ("gaussian", 2.0, 0.8, -0.4, 0.5),
        ("elu", 1.0, 1.0, 0.5, 0.0),
        ("identity", 0.6, 1.0, 0.0, 0.3),
    ],
)
def test_nearest_classic_recovers_built_activations(name, a, c, d, e):
    def target(x):
        return (
            a
            * {
                "tanh": np.tanh,
                "logistic": expit,
                "relu": lambda u: np.maximum(u, 0),
                "sin": np.sin,
                "softplus": lambda u: np.logaddexp(0, u),
                "silu": lambda u: u * expit(u),
                "gaussian": lambda u: np.exp(-u * u / 2),
                "elu": lambda u: np.where(u > 0, u, np.expm1(np.minimum(u, 0))),
                "identity": lambda u: u,
            }[name](c * x + d)
            + e
        )

    fits = fit_classic_activations(target, -3.0, 3.0)
    best = fits[0]
    assert best.name == name
    assert best.r2 > 0.9999
    assert_allclose([best.a, best.c, best.d, best.e], [a, c, d, e], atol=1e-4)
    assert sorted(f.name for f in fits) == sorted(CLASSIC_ACTIVATIONS)
    # the values are O(1): an absolute tolerance far below that absorbs the
    # rounding (~1e-16) where the target is exactly 0, as relu's flat part
    assert_allclose(
        best(np.linspace(-3, 3, 50)), target(np.linspace(-3, 3, 50)), atol=1e-12
    )


def test_nearest_classic_of_a_learned_activation_built_to_be_tanh():
    """Coefficients set to (a Fourier fit of) 2*tanh(0.5 z + 0.3) - 1."""
    est = _fit("layer", basis="fourier", hidden=(6,), n_basis=16, max_iter=5)
    lo, hi = est.activation_function(0).range
    basis = est.basis_

    def target(z):
        return 2 * np.tanh(0.5 * z + 0.3) - 1

    est.activation_coefs_[0][...] = basis.project(target, lo, hi, free_constant=False)
    fit = nearest_classic_activation(est, 0)
    assert fit.name == "tanh" and fit.r2 > 0.9999
    assert_allclose([fit.a, fit.c, fit.d, fit.e], [2, 0.5, 0.3, -1], atol=0.05)
    assert "tanh" in str(fit) and "R^2" in str(fit)


def test_nearest_classic_errors():
    with pytest.raises(ValueError, match="candidates"):
        fit_classic_activations(np.tanh, -1, 1, candidates=["swish"])
    with pytest.raises(ValueError, match="low < high"):
        fit_classic_activations(np.tanh, 1, 1)
    with pytest.raises(ValueError, match="finite"):
        fit_classic_activations(lambda x: np.full_like(x, np.nan), -1, 1)


# ----------------------------------------------------------------------
# ActivationDisplay
# ----------------------------------------------------------------------
@needs_matplotlib
def test_display_layer_scope_panels_and_lines(layer_est):
    disp = ActivationDisplay.from_estimator(layer_est)
    assert len(disp.axes_) == 2 and len(disp.figure_.axes) >= 2
    for p, ax in enumerate(disp.axes_):
        assert len(disp.lines_[p]) == 1 and len(disp.initial_lines_[p]) == 1
        assert len(ax.get_lines()) == 2
        assert disp.initial_lines_[p][0].get_linestyle() == "--"
        line = disp.lines_[p][0]
        z = line.get_xdata()
        F = layer_est.activation_function(p)
        assert_allclose(line.get_ydata(), F(z))
        assert_allclose([z[0], z[-1]], F.range)
        init = layer_est.activation_function(p).range
        assert_allclose(disp.initial_lines_[p][0].get_xdata()[[0, -1]], init)
    matplotlib.pyplot.close("all")


@needs_matplotlib
def test_display_neuron_scope_one_layer(neuron_est):
    fig, ax = matplotlib.pyplot.subplots()
    disp = ActivationDisplay.from_estimator(
        neuron_est, layer=1, neurons=[0, 2, 4], ax=ax, nearest=True
    )
    assert disp.ax_ is ax and disp.figure_ is fig
    assert len(disp.lines_[0]) == 3 and len(disp.initial_lines_[0]) == 3
    assert len(ax.get_lines()) == 6
    for j, line in zip([0, 2, 4], disp.lines_[0]):
        F = neuron_est.activation_function(1, j)
        assert_allclose(line.get_xdata()[[0, -1]], F.range)
        assert_allclose(line.get_ydata(), F(line.get_xdata()))
        assert line.get_label().startswith(f"neuron {j} (~")
    assert all(fit.r2 <= 1 for fit in disp.nearest[0])
    # default: a handful of neurons per panel, no dashed lines when asked
    disp = ActivationDisplay.from_estimator(
        neuron_est, show_initial=False, max_neurons=4
    )
    assert [len(lines) for lines in disp.lines_] == [4, 4]
    assert disp.initial_lines_ == [[], []]
    matplotlib.pyplot.close("all")


@needs_matplotlib
def test_display_errors(layer_est, neuron_est):
    with pytest.raises(ValueError, match="neurons applies to"):
        ActivationDisplay.from_estimator(layer_est, neurons=[0])
    fig, ax = matplotlib.pyplot.subplots()
    with pytest.raises(ValueError, match="1 Axes for 2 panels"):
        ActivationDisplay.from_estimator(layer_est, ax=ax)
    with pytest.raises(ValueError, match="layer must index"):
        ActivationDisplay.from_estimator(layer_est, layer=[0, 5])
    with pytest.raises(ValueError, match=r"neuron must be in \[0, 5\)"):
        ActivationDisplay.from_estimator(neuron_est, layer=1, neurons=[5])
    with pytest.raises(ValueError, match="at least one unit"):
        ActivationDisplay.from_estimator(neuron_est, neurons=[])
    with pytest.raises(ValueError, match="max_neurons"):
        ActivationDisplay.from_estimator(neuron_est, max_neurons=0)
    with pytest.raises(NotFittedError):
        ActivationDisplay.from_estimator(VNNClassifier())
    matplotlib.pyplot.close("all")


@needs_matplotlib
def test_display_of_a_pipeline():
    X, y = _data()
    pipe = make_pipeline(
        StandardScaler(),
        VNNRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5),
    ).fit(X, y)
    disp = ActivationDisplay.from_estimator(pipe)
    F = pipe[-1].activation_function(0)
    assert_allclose(disp.lines_[0][0].get_ydata(), F(disp.lines_[0][0].get_xdata()))
    matplotlib.pyplot.close("all")


def test_display_without_matplotlib(layer_est, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install sklearn-vnn\[plot\]"):
        ActivationDisplay.from_estimator(layer_est)


@needs_matplotlib
def test_main_job_saves_the_plot(tmp_path, capsys):
    from sklearn_vnn.__main__ import main

    path = tmp_path / "activations.png"
    main(["--datasets", "iris", "--max-iter", "30", "--plot", str(path)])
    assert path.stat().st_size > 10_000
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    # one line per curve: the layer-scope activation, 5 neurons in neuron scope
    curves = [line for line in out.splitlines() if "(R^2 = " in line]
    assert len(curves) == 6
    assert "saved the activation plot" in out


def test_main_job_plot_without_matplotlib(monkeypatch, capsys):
    from sklearn_vnn.__main__ import main

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit):
        main(["--datasets", "iris", "--plot", "x.png"])
    assert "pip install sklearn-vnn[plot]" in capsys.readouterr().err


def test_fourier_basis_is_written_with_its_frequency():
    est = _fit(
        "layer",
        basis=FourierBasis(4, frequency=0.37),
        hidden=(3,),
        max_iter=5,
    )
    formula = str(est.activation_formula(0))
    assert "0.37*np.clip(x, -3, 3)" in formula and "0.74*np.clip(x, -3, 3)" in formula
