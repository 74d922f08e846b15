"""Robustness under bad input and faults: clear errors, nothing lost.

Bad input must give the very error sklearn's MLP gives; extreme values must
train or stop with a clear message, never predict NaN; a divergence must be
caught at once with a ValueError saying what to change, and a failed call
must leave the estimator as it was; Ctrl-C keeps a usable model; the same
random_state gives bit-identical models; pickled models predict and train
on identically, also in a fresh process.
"""

import pickle
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import d2_tweedie_score, log_loss, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils.validation import check_is_fitted

from sklearn_vnn import OutOfRangeWarning, VNNClassifier, VNNRegressor
from sklearn_vnn._optimizers import SGD, Adam

IRIS_X, IRIS_Y = load_iris(return_X_y=True)
_DIAB_X, _DIAB_Y = load_diabetes(return_X_y=True)
DIAB_X, DIAB_Y = _DIAB_X[:150], _DIAB_Y[:150]
RNG = np.random.RandomState(0)
X20 = RNG.randn(20, 3)
Y20_CLF = np.arange(20) % 2
Y20_REG = RNG.randn(20)

PAIRS = [(MLPClassifier, VNNClassifier), (MLPRegressor, VNNRegressor)]
SMALL = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0)


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return func(*args, **kwargs)


def _outcome(call):
    """('ok', result) or (exception type, message) of a call."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return "ok", call()
    except Exception as exc:  # compared below, never swallowed
        return type(exc), str(exc)


def _same_outcome(mlp_call, vnn_call, mlp_name, vnn_name):
    """Assert both calls raise the same error (up to the class name), or both
    succeed; return the VNN result."""
    mlp_kind, mlp_out = _outcome(mlp_call)
    vnn_kind, vnn_out = _outcome(vnn_call)
    assert vnn_kind == mlp_kind, (mlp_out, vnn_out)
    if mlp_kind != "ok":
        assert vnn_out == mlp_out.replace(mlp_name, vnn_name)
        assert vnn_out  # a message, not an empty error
    return vnn_out


def _bad_fit_inputs():
    nan_X, inf_X = X20.copy(), X20.copy()
    nan_X[0, 0], inf_X[3, 1] = np.nan, np.inf
    y_nan = Y20_REG.copy()
    y_nan[2] = np.nan
    y_inf = Y20_REG.copy()
    y_inf[5] = -np.inf
    strings = np.array([["a", "b", "c"]] * 20, dtype=object)
    return {
        "nan in X": (nan_X, None),
        "inf in X": (inf_X, None),
        "nan in y": (X20, y_nan),
        "inf in y": (X20, y_inf),
        "empty X": (X20[:0], "first0"),
        "no features": (X20[:, :0], None),
        "one sample": (X20[:1], "first1"),
        "one class": (X20, np.zeros(20)),
        "mismatched lengths": (X20[:10], None),
        "3-d X": (X20.reshape(20, 3, 1), None),
        "1-d X": (X20[:, 0], None),
        "object X of numbers": (X20.astype(object), None),
        "object X of strings": (strings, None),
        "complex X": (X20 + 1j, None),
        "complex y": (X20, Y20_REG + 1j),
        "nan sample_weight": (X20, "nan_sw"),
    }


@pytest.mark.parametrize("case", list(_bad_fit_inputs()))
@pytest.mark.parametrize("MLP, VNN", PAIRS)
def test_fit_input_errors_match_mlp(case, MLP, VNN):
    X, y = _bad_fit_inputs()[case]
    base_y = Y20_CLF if VNN is VNNClassifier else Y20_REG
    sample_weight = None
    if y is None:
        y = base_y
    elif isinstance(y, str):
        if y == "nan_sw":
            sample_weight = np.ones(20)
            sample_weight[0] = np.nan
            y = base_y
        else:
            y = base_y[: int(y[-1])]
    elif VNN is VNNClassifier and np.isrealobj(y) and np.isfinite(y).all():
        y = y.astype(int)
    fitted = _same_outcome(
        lambda: MLP(**SMALL).fit(X, y, sample_weight=sample_weight),
        lambda: VNN(**SMALL).fit(X, y, sample_weight=sample_weight),
        MLP.__name__,
        VNN.__name__,
    )
    if not isinstance(fitted, str):  # accepted, as by MLP: finite predictions
        pred = fitted.predict(np.asarray(X, dtype=float))
        assert pred.shape[0] == np.asarray(X).shape[0]
        if VNN is VNNRegressor:
            assert np.isfinite(pred).all()


def _bad_predict_inputs():
    nan_X = X20.copy()
    nan_X[1, 1] = np.nan
    return {
        "wrong number of features": X20[:, :2],
        "nan": nan_X,
        "inf": np.full_like(X20, np.inf),
        "empty": X20[:0],
        "3-d": X20.reshape(20, 3, 1),
        "complex": X20 + 1j,
        "strings": np.array([["a", "b", "c"]], dtype=object),
    }


@pytest.mark.parametrize("case", list(_bad_predict_inputs()))
@pytest.mark.parametrize("MLP, VNN", PAIRS)
def test_predict_input_errors_match_mlp(case, MLP, VNN):
    y = Y20_CLF if VNN is VNNClassifier else Y20_REG
    mlp = _quiet(MLP(**SMALL).fit, X20, y)
    vnn = _quiet(VNN(**SMALL).fit, X20, y)
    X = _bad_predict_inputs()[case]
    _same_outcome(lambda: mlp.predict(X), lambda: vnn.predict(X), *_names(MLP, VNN))
    if VNN is VNNClassifier:
        _same_outcome(
            lambda: mlp.predict_proba(X),
            lambda: vnn.predict_proba(X),
            *_names(MLP, VNN),
        )


def _names(MLP, VNN):
    return MLP.__name__, VNN.__name__


@pytest.mark.parametrize("MLP, VNN", PAIRS)
def test_partial_fit_input_errors_match_mlp(MLP, VNN):
    y = Y20_CLF if VNN is VNNClassifier else Y20_REG
    kw = dict(classes=[0, 1]) if VNN is VNNClassifier else {}
    mlp = MLP(**SMALL).partial_fit(X20, y, **kw)
    vnn = VNN(**SMALL).partial_fit(X20, y, **kw)
    for X_bad, y_bad in [(X20[:, :2], y), (X20[:5], y), (X20 * np.nan, y)]:
        _same_outcome(
            lambda: mlp.partial_fit(X_bad, y_bad),
            lambda: vnn.partial_fit(X_bad, y_bad),
            *_names(MLP, VNN),
        )


@pytest.mark.parametrize("MLP, VNN", PAIRS)
def test_unfitted_errors_match_mlp(MLP, VNN):
    _same_outcome(
        lambda: MLP().predict(X20), lambda: VNN().predict(X20), *_names(MLP, VNN)
    )
    with pytest.raises(NotFittedError):
        VNN().predict(X20)


@pytest.mark.parametrize("fmt", [sparse.csr_matrix, sparse.csc_matrix])
@pytest.mark.parametrize("MLP, VNN", PAIRS)
def test_sparse_input_works_as_in_mlp(fmt, MLP, VNN):
    X, y = (IRIS_X, IRIS_Y) if VNN is VNNClassifier else (DIAB_X, DIAB_Y)
    kw = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    dense = _quiet(VNN(**kw).fit, X, y)
    sp = _quiet(VNN(**kw).fit, fmt(X), y)
    assert_allclose(sp.predict(fmt(X)), dense.predict(X), rtol=1e-9, atol=1e-9)
    # partial_fit on sparse input, then predict on either input
    sp.partial_fit(fmt(X), y)
    dense.partial_fit(X, y)
    assert_allclose(sp.predict(X), dense.predict(fmt(X)), rtol=1e-9, atol=1e-9)
    # a NaN stored in the sparse matrix: MLP's error
    X_nan = fmt(X).copy()
    X_nan.data[0] = np.nan
    _same_outcome(
        lambda: MLP(**kw).fit(X_nan, y),
        lambda: VNN(**kw).fit(X_nan, y),
        *_names(MLP, VNN),
    )


@pytest.mark.parametrize("MLP, VNN", PAIRS)
def test_pandas_feature_names_as_in_mlp(MLP, VNN):
    pd = pytest.importorskip("pandas")
    X, y = (IRIS_X, IRIS_Y) if VNN is VNNClassifier else (DIAB_X[:, :4], DIAB_Y)
    names = ["a", "b", "c", "d"]
    frame = pd.DataFrame(X, columns=names)
    mlp = _quiet(MLP(**SMALL).fit, frame, pd.Series(y))
    vnn = _quiet(VNN(**SMALL).fit, frame, pd.Series(y))
    assert_array_equal(vnn.feature_names_in_, np.array(names, dtype=object))
    assert_array_equal(vnn.feature_names_in_, mlp.feature_names_in_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no names: checked below
        assert_array_equal(vnn.predict(frame), vnn.predict(X))

    def seen(est, data):
        """Outcome and warnings of a predict call, named as for VNN."""
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            kind, out = _outcome(lambda: est.predict(data))
        texts = [(w.category, str(w.message)) for w in record]
        result = [(kind, out if kind != "ok" else None)] + texts
        return [
            tuple(str(v).replace(MLP.__name__, VNN.__name__) for v in item)
            for item in result
        ]

    # renamed or reordered columns: an error in sklearn 1.9 (a warning
    # before); an array after fitting on a frame: a UserWarning
    renamed = frame.rename(columns={"a": "z"})
    reordered = frame[["b", "a", "c", "d"]]
    outcomes = [seen(vnn, data) for data in (renamed, reordered, X)]
    assert outcomes == [seen(mlp, data) for data in (renamed, reordered, X)]
    assert all(len(o) > 1 or o[0][0] != "ok" for o in outcomes)  # never silent
    # fitted on an array, predicting on a frame: MLP's warning too
    vnn_arr = _quiet(VNN(**SMALL).fit, X, y)
    mlp_arr = _quiet(MLP(**SMALL).fit, X, y)
    assert seen(vnn_arr, frame) == seen(mlp_arr, frame)
    assert any("UserWarning" in item[0] for item in seen(vnn_arr, frame)[1:])


# ----------------------------------------------------------------------------
# extreme values
# ----------------------------------------------------------------------------
def _extreme_cases():
    rng = np.random.RandomState(1)
    X = rng.randn(80, 4)
    y = X[:, 0] - 0.5 * X[:, 1] + 0.1 * rng.randn(80)
    const = X.copy()
    const[:, 2] = 7.0
    return {
        "features 1e6": (VNNRegressor, {}, X * 1e6, y),
        "features 1e6 classifier": (VNNClassifier, {}, X * 1e6, (y > 0).astype(int)),
        "constant feature": (VNNRegressor, {}, const, y),
        "all features constant": (VNNRegressor, {}, np.ones_like(X), y),
        "labels 1e9": (VNNRegressor, {}, X, y * 1e9),
        "poisson labels 1e9": (
            VNNRegressor,
            dict(loss="poisson"),
            X,
            np.exp(y) * 1e9,
        ),
        "poisson features 1e6": (
            VNNRegressor,
            dict(loss="poisson"),
            X * 1e6,
            np.exp(y),
        ),
    }


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
@pytest.mark.parametrize("case", list(_extreme_cases()))
def test_extreme_values_train_or_stop_clearly(case, solver, dtype):
    """Either the model learns, or a ConvergenceWarning / ValueError says so;
    never a NaN prediction, never a silently useless model."""
    Est, kw, X, y = _extreme_cases()[case]
    X = X.astype(dtype)
    est = Est(hidden_layer_sizes=(6,), solver=solver, max_iter=40, random_state=0)
    est.set_params(**kw)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            est.fit(X, y)
        except ValueError as exc:
            assert "diverged" in str(exc) and "StandardScaler" in str(exc)
            with pytest.raises(NotFittedError):
                est.predict(X)  # a failed first fit leaves it unfitted
            return
    if Est is VNNRegressor:
        pred = est.predict(X)
    else:
        pred = est.predict_proba(X)
        assert_array_equal(est.classes_[pred.argmax(axis=1)], est.predict(X))
    assert pred.dtype == dtype and np.isfinite(pred).all()
    warned = any(issubclass(w.category, ConvergenceWarning) for w in record)
    # learned: R^2 (or accuracy) above 0.5, or as high as MLP with tanh (the
    # activation VNN starts from) gets: features of 1e6 saturate both, and
    # MLP's lbfgs converges silently to R^2 0.31 on sign-like features
    learned = est.score(X, y) > min(0.5, _mlp_tanh_score(est, kw, X, y) - 0.05)
    assert learned or warned, "a useless model without a warning"
    # a model whose training loss is no better than the best constant's must
    # say exactly that: a generic "maximum iterations" warning is not enough
    if _training_gain_over_constant(est, kw, X, y) <= 0:
        assert any(
            issubclass(w.category, ConvergenceWarning)
            and "no better than a constant" in str(w.message)
            for w in record
        ), "a model no better than a constant without saying so"


def _mlp_tanh_score(est, kw, X, y):
    """Training score of MLP (tanh) fitted as ``est`` was. scikit-learn's MLP
    has no Poisson loss: there, the frozen VNN whose 'candidates' basis
    holds tanh exactly, which is that MLP (tests/test_equivalence.py)."""
    params = {k: est.get_params()[k] for k in ("hidden_layer_sizes", "solver")}
    params.update(max_iter=est.max_iter, random_state=0)
    if kw.get("loss") == "poisson":
        mlp = VNNRegressor(
            basis="candidates", learn_activation=False, loss="poisson", **params
        )
    else:
        Mlp = MLPClassifier if isinstance(est, VNNClassifier) else MLPRegressor
        mlp = Mlp(activation="tanh", **params)
    return _quiet(mlp.fit, X, y).score(X, y)


def _training_gain_over_constant(est, kw, X, y):
    """How much better than the best constant prediction the fitted model is
    on its training data, in its own loss: R^2 (squared error), D^2 of the
    Poisson deviance, or the log-loss saved over the class frequencies."""
    if isinstance(est, VNNClassifier):
        freq = np.bincount(y) / len(y)
        constant = log_loss(y, np.tile(freq, (len(y), 1)))
        return constant - log_loss(y, est.predict_proba(X).astype(np.float64))
    pred = est.predict(X).astype(np.float64)
    if kw.get("loss") == "poisson":
        return d2_tweedie_score(y, pred, power=1)
    return r2_score(y, pred)


def test_overflowing_predictions_are_flagged_not_silent():
    kw = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30, random_state=0)
    # identity among the candidates: outputs grow with the input, until
    # inputs of 1e307 overflow
    unbounded = _quiet(VNNRegressor(basis="candidates", **kw).fit, DIAB_X, DIAB_Y)
    with pytest.warns(RuntimeWarning, match="predictions are not finite"):
        pred = unbounded.predict(np.full_like(DIAB_X, 1e307))
    assert not np.isfinite(pred).all()
    # the bounded Fourier basis saturates: huge (not overflowing) inputs
    # give finite predictions, and no numpy overflow noise on the way: the
    # one warning says that the inputs left the training range
    bounded = _quiet(VNNRegressor(basis="fourier", **kw).fit, DIAB_X, DIAB_Y)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert np.isfinite(bounded.predict(np.full_like(DIAB_X, 1e300))).all()
    assert [w.category for w in record] == [OutOfRangeWarning]


def test_a_model_no_better_than_a_constant_is_flagged():
    # features of 1e6 saturate every activation; adam stops ("no
    # improvement", within tol=1e-2) before max_iter, which alone would be
    # silent
    rng = np.random.RandomState(1)
    X = rng.randn(80, 4)
    y = X[:, 0] - 0.5 * X[:, 1]
    est = VNNRegressor(hidden_layer_sizes=(6,), max_iter=40, tol=1e-2, random_state=0)
    with pytest.warns(ConvergenceWarning, match="no better than a constant"):
        est.fit(X * 1e6, y)
    assert est.n_iter_ < 40 and est.score(X * 1e6, y) < 0
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*no better than a constant")
        _quiet(est.set_params(tol=1e-4).fit, X, y)  # scaled: it learns, no warning
    assert est.score(X, y) > 0


def test_badly_scaled_lbfgs_warns_instead_of_stopping_silently():
    # L-BFGS-B stops after one step on targets of 1e9 ("relative reduction
    # of f" is tiny); that must not pass for convergence
    X = np.random.RandomState(0).randn(60, 4)
    y = X[:, 0] * 1e9
    est = VNNRegressor(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0)
    with pytest.warns(ConvergenceWarning, match="badly scaled.*scale X"):
        est.fit(X, y)
    # scaled targets: no such warning
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*badly scaled")
        _quiet(est.fit, X, y / 1e9)


# ----------------------------------------------------------------------------
# divergence
# ----------------------------------------------------------------------------
def _step_spy(monkeypatch, optimizer_class):
    """Record, after every optimiser step, whether the parameters are finite."""
    finite_after_step = []
    original = optimizer_class.step

    def step(self, theta, grad):
        original(self, theta, grad)
        finite_after_step.append(bool(np.isfinite(theta).all()))

    monkeypatch.setattr(optimizer_class, "step", step)
    return finite_after_step


@pytest.mark.parametrize(
    "solver, Opt, Est",
    [("sgd", SGD, VNNClassifier), ("sgd", SGD, VNNRegressor)]
    + [("adam", Adam, VNNClassifier)],
)
def test_divergence_is_caught_at_once_and_says_what_to_change(
    monkeypatch, solver, Opt, Est
):
    X, y = (IRIS_X, IRIS_Y) if Est is VNNClassifier else (DIAB_X, DIAB_Y)
    steps = _step_spy(monkeypatch, Opt)
    est = Est(
        hidden_layer_sizes=(8,), solver=solver, learning_rate_init=10, random_state=0
    )
    with pytest.raises(ValueError, match="diverged") as info:
        est.fit(X, y)
    message = str(info.value)
    assert "learning_rate_init (it is 10)" in message
    assert "StandardScaler" in message
    # no step was taken after the parameters first became non-finite
    assert False not in steps[:-1]
    assert len(steps) < 5 * len(X)  # within a few epochs, not after max_iter
    # a first fit that fails leaves the estimator unfitted, not half-trained
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert not hasattr(est, "coefs_")


def test_a_last_step_that_breaks_predictions_is_caught(monkeypatch):
    """No batch loss sees the last step of a call: its effect on the
    predictions is checked all the same (here: finite parameters whose
    Poisson predictions exp(G) overflow)."""
    est = VNNRegressor(
        hidden_layer_sizes=(4,), loss="poisson", max_iter=3, random_state=0
    )
    _quiet(est.fit, DIAB_X, DIAB_Y)
    pred = est.predict(DIAB_X)
    original = Adam.step

    def step(self, theta, grad):
        original(self, theta, grad)
        theta[:] = 800.0  # finite, but exp(G) overflows

    monkeypatch.setattr(Adam, "step", step)
    with pytest.raises(ValueError, match="last step: the predictions"):
        est.partial_fit(DIAB_X, DIAB_Y)
    assert_array_equal(est.predict(DIAB_X), pred)


def test_targets_too_large_for_float32_are_an_input_error():
    X = DIAB_X.astype(np.float32)
    with pytest.raises(ValueError, match="too large for dtype\\('float32'\\)"):
        VNNRegressor(max_iter=2).fit(X, np.full(len(X), 1e39))
    _quiet(VNNRegressor(max_iter=2).fit, X.astype(np.float64), np.full(len(X), 1e39))


def _state(est):
    """Everything a user can see of a fitted model, as comparable copies."""
    return {
        "coefs": [a.copy() for a in est.coefs_],
        "intercepts": [a.copy() for a in est.intercepts_],
        "activation": [a.copy() for a in est.activation_coefs_],
        "n_iter": est.n_iter_,
        "t": est.t_,
        "loss_curve": list(getattr(est, "loss_curve_", None) or []),
    }


def _assert_same_state(a, b):
    for key in a:
        if isinstance(a[key], list) and a[key] and hasattr(a[key][0], "shape"):
            for x, z in zip(a[key], b[key]):
                assert_array_equal(x, z)
        else:
            assert a[key] == b[key], key


@pytest.mark.parametrize("how", ["warm_start", "partial_fit", "refit"])
def test_failed_call_keeps_the_previous_model(how):
    est = VNNRegressor(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate_init=1e-3,
        max_iter=5,
        random_state=0,
        warm_start=how == "warm_start",
    )
    _quiet(est.fit, DIAB_X, DIAB_Y)
    est.partial_fit(DIAB_X, DIAB_Y)
    before, pred = _state(est), est.predict(DIAB_X)
    call = est.partial_fit if how == "partial_fit" else est.fit
    if how == "partial_fit":
        # partial_fit keeps its optimiser (and its learning rate, as MLP):
        # targets a million times larger make this epoch diverge
        est.set_params(batch_size=30)
        bad_y = DIAB_Y * 1e6
    else:
        est.set_params(learning_rate_init=10.0)
        bad_y = DIAB_Y
    with pytest.raises(ValueError, match="diverged.*Nothing was lost"):
        _quiet(call, DIAB_X, bad_y)
    assert_array_equal(est.predict(DIAB_X), pred)
    _assert_same_state(before, _state(est))
    # training continues from the kept parameters with the new settings
    est.set_params(learning_rate_init=1e-3)
    call(DIAB_X, DIAB_Y) if how == "partial_fit" else _quiet(call, DIAB_X, DIAB_Y)
    after = est.predict(DIAB_X)
    assert np.isfinite(after).all() and not np.array_equal(after, pred)
    if how != "refit":
        assert est.t_ > before["t"]


def test_failed_partial_fit_changes_nothing_not_even_the_optimizer():
    """A call rejected for bad input leaves the Adam moments untouched: the
    next calls give exactly what they give without the failed call."""
    kw = dict(hidden_layer_sizes=(8,), random_state=0)
    a = VNNClassifier(**kw).partial_fit(IRIS_X, IRIS_Y, classes=[0, 1, 2])
    b = VNNClassifier(**kw).partial_fit(IRIS_X, IRIS_Y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="features"):
        b.partial_fit(IRIS_X[:, :3], IRIS_Y)
    with pytest.raises(ValueError, match="classes"):
        b.partial_fit(IRIS_X, IRIS_Y + 5)
    for _ in range(3):
        a.partial_fit(IRIS_X, IRIS_Y)
        b.partial_fit(IRIS_X, IRIS_Y)
    assert_array_equal(a.predict_proba(IRIS_X), b.predict_proba(IRIS_X))


def test_lbfgs_non_finite_start_is_a_clear_error_and_keeps_the_model():
    est = VNNRegressor(
        hidden_layer_sizes=(5,), solver="lbfgs", max_iter=20, random_state=0
    )
    huge = np.full_like(DIAB_Y, 1e200)  # its squared error overflows
    with pytest.raises(ValueError, match="diverged.*StandardScaler") as info:
        est.fit(DIAB_X, huge)
    assert "learning_rate_init" not in str(info.value)  # not an lbfgs knob
    with pytest.raises(NotFittedError):
        est.predict(DIAB_X)
    _quiet(est.fit, DIAB_X, DIAB_Y)
    pred = est.predict(DIAB_X)
    est.set_params(warm_start=True)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(DIAB_X, huge)
    assert_array_equal(est.predict(DIAB_X), pred)


def test_inputs_near_the_float_limit_give_no_numpy_noise():
    # pre-activations of about 1e308: the recorded ranges and the range
    # check's limits overflow to inf, quietly; only the model's own
    # warnings (here: no better than a constant) speak
    huge = np.full_like(DIAB_X, 1e308)
    est = VNNRegressor(
        hidden_layer_sizes=(5,), solver="lbfgs", max_iter=20, random_state=0
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est.fit(huge, DIAB_Y)
        assert np.isfinite(est.predict(huge)).all()
    assert [w.category for w in record if issubclass(w.category, RuntimeWarning)] == []
    assert any(issubclass(w.category, ConvergenceWarning) for w in record)


def test_lbfgs_mid_run_faults_never_enter_the_model(monkeypatch):
    """The objective turns NaN (loss or gradient) from the 6th evaluation on:
    L-BFGS must back off, and the model keep the last good iterate."""
    est = VNNRegressor(
        hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50, random_state=0
    )
    real = est._objective
    calls = []

    def faulty(theta, grad, X, y, sample_weight):
        calls.append(1)
        loss = real(theta, grad, X, y, sample_weight)
        if len(calls) > 5:
            grad[0] = np.nan  # a NaN gradient with a finite loss
            if len(calls) % 2:
                return np.nan
        return loss

    monkeypatch.setattr(est, "_objective", faulty)
    _quiet(est.fit, DIAB_X, DIAB_Y)
    monkeypatch.undo()
    for a in est.coefs_ + est.intercepts_ + est.activation_coefs_:
        assert np.isfinite(a).all()
    assert np.isfinite(est.loss_) and np.isfinite(est.predict(DIAB_X)).all()
    assert est.loss_ == pytest.approx(_objective_now(est, DIAB_X, DIAB_Y), rel=1e-12)


def _objective_now(est, X, y):
    theta = est._pack_current(np.float64)
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    return est._objective(theta, np.zeros_like(theta), X, y, None)


# ----------------------------------------------------------------------------
# KeyboardInterrupt
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("solver, Opt", [("sgd", SGD), ("adam", Adam)])
def test_keyboard_interrupt_stochastic_keeps_a_usable_model(monkeypatch, solver, Opt):
    original = Opt.step
    calls = []

    def step(self, theta, grad):
        calls.append(1)
        if len(calls) == 7:  # the batch size is 20: in the 3rd epoch
            raise KeyboardInterrupt
        original(self, theta, grad)

    monkeypatch.setattr(Opt, "step", step)
    est = VNNClassifier(
        hidden_layer_sizes=(6,), solver=solver, batch_size=50, random_state=0
    )
    with pytest.warns(UserWarning, match="interrupted by user"):
        est.fit(IRIS_X, IRIS_Y)
    check_is_fitted(est)
    assert est.n_iter_ == 2  # the completed epochs
    assert len(est.loss_curve_) == 2
    proba = est.predict_proba(IRIS_X)
    assert np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), 1)
    monkeypatch.undo()
    est.set_params(warm_start=True, max_iter=3)
    _quiet(est.fit, IRIS_X, IRIS_Y)  # training can go on
    assert est.n_iter_ == 3


def test_keyboard_interrupt_lbfgs_keeps_the_last_accepted_iterate(monkeypatch):
    est = VNNRegressor(hidden_layer_sizes=(6,), solver="lbfgs", random_state=0)
    real = est._objective
    calls = []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 25:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(est, "_objective", interrupted)
    with pytest.warns(UserWarning, match="interrupted by user"):
        est.fit(DIAB_X, DIAB_Y)
    monkeypatch.undo()
    check_is_fitted(est)
    assert 0 < est.n_iter_ < 25
    # the parameters are an accepted iterate, whose loss is loss_, not a
    # point half-way through a line search
    assert est.loss_ == pytest.approx(_objective_now(est, DIAB_X, DIAB_Y), rel=1e-12)
    assert np.isfinite(est.predict(DIAB_X)).all()


def test_keyboard_interrupt_in_mlp_is_also_a_warning(monkeypatch):
    """The reference behaviour we match: MLP's stochastic fit warns."""
    from sklearn.neural_network import _stochastic_optimizers

    def interrupt(self, params, grads):
        raise KeyboardInterrupt

    monkeypatch.setattr(
        _stochastic_optimizers.AdamOptimizer, "update_params", interrupt
    )
    with pytest.warns(UserWarning, match="interrupted by user"):
        MLPClassifier(max_iter=5).fit(IRIS_X, IRIS_Y)


# ----------------------------------------------------------------------------
# determinism and persistence
# ----------------------------------------------------------------------------
def _all_params(est):
    out = est.coefs_ + est.intercepts_ + est.activation_coefs_
    if est.output_activation_coefs_ is not None:
        out.append(est.output_activation_coefs_)
    return out


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
def test_same_random_state_bit_identical(solver):
    kw = dict(
        hidden_layer_sizes=(6, 4),
        solver=solver,
        activation_scope="neuron",
        activation_init="random",
        learn_output_activation=True,
        early_stopping=solver != "lbfgs",
        max_iter=8,
        random_state=3,
    )
    a = _quiet(VNNClassifier(**kw).fit, IRIS_X, IRIS_Y)
    b = _quiet(VNNClassifier(**kw).fit, IRIS_X, IRIS_Y)
    for x, z in zip(_all_params(a), _all_params(b)):
        assert_array_equal(x, z)
    c = _quiet(VNNClassifier(**{**kw, "random_state": 4}).fit, IRIS_X, IRIS_Y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_grid_search_parallel_is_bit_identical_to_serial():
    grid = dict(activation_scope=["layer", "neuron"])
    est = VNNClassifier(
        hidden_layer_sizes=(5,), activation_init="random", max_iter=20, random_state=0
    )
    fits = []
    for n_jobs in (1, 2):
        search = GridSearchCV(est, grid, cv=2, n_jobs=n_jobs)
        fits.append(_quiet(search.fit, IRIS_X, IRIS_Y))
    serial, parallel = fits
    assert_array_equal(
        serial.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"]
    )
    for x, z in zip(
        _all_params(serial.best_estimator_), _all_params(parallel.best_estimator_)
    ):
        assert_array_equal(x, z)


def _trained_pair():
    clf = VNNClassifier(
        hidden_layer_sizes=(7,), activation_scope="neuron", random_state=0
    )
    clf.partial_fit(IRIS_X, IRIS_Y, classes=[0, 1, 2])
    reg = VNNRegressor(
        hidden_layer_sizes=(7,), learn_output_activation=True, random_state=0
    )
    reg.partial_fit(DIAB_X, DIAB_Y)
    return clf, reg


@pytest.mark.parametrize("dump, load", [(pickle.dumps, pickle.loads), (None, None)])
def test_pickle_and_joblib_round_trips(tmp_path, dump, load):
    clf, reg = _trained_pair()
    if dump is None:  # joblib, through a file
        path = tmp_path / "models.joblib"
        joblib.dump((clf, reg), path)
        clf2, reg2 = joblib.load(path)
    else:
        clf2, reg2 = load(dump((clf, reg)))
    assert_array_equal(clf2.predict_proba(IRIS_X), clf.predict_proba(IRIS_X))
    assert_array_equal(reg2.predict(DIAB_X), reg.predict(DIAB_X))
    # a model saved after partial_fit goes on training exactly as the original
    for _ in range(2):
        clf.partial_fit(IRIS_X, IRIS_Y)
        clf2.partial_fit(IRIS_X, IRIS_Y)
        reg.partial_fit(DIAB_X, DIAB_Y)
        reg2.partial_fit(DIAB_X, DIAB_Y)
    assert_array_equal(clf2.predict_proba(IRIS_X), clf.predict_proba(IRIS_X))
    assert_array_equal(reg2.predict(DIAB_X), reg.predict(DIAB_X))


def test_models_load_and_train_on_in_a_fresh_process(tmp_path):
    clf, reg = _trained_pair()
    joblib.dump((clf, reg), tmp_path / "models.joblib")
    with open(tmp_path / "models.pkl", "wb") as f:
        pickle.dump((clf, reg), f)
    np.save(tmp_path / "iris.npy", IRIS_X)
    np.save(tmp_path / "diab.npy", DIAB_X)
    np.save(tmp_path / "iris_y.npy", IRIS_Y)
    np.save(tmp_path / "diab_y.npy", DIAB_Y)
    script = textwrap.dedent(
        """
        import pickle, sys
        from pathlib import Path
        import joblib, numpy as np
        d = Path(sys.argv[1])
        Xi, Xd = np.load(d / "iris.npy"), np.load(d / "diab.npy")
        yi, yd = np.load(d / "iris_y.npy"), np.load(d / "diab_y.npy")
        clf, reg = joblib.load(d / "models.joblib")
        clf_p, reg_p = pickle.loads((d / "models.pkl").read_bytes())
        out = [clf.predict_proba(Xi), reg.predict(Xd),
               clf_p.predict_proba(Xi), reg_p.predict(Xd)]
        clf.partial_fit(Xi, yi)
        reg.partial_fit(Xd, yd)
        out += [clf.predict_proba(Xi), reg.predict(Xd)]
        np.savez(d / "out.npz", *out)
        """
    )
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], check=True, timeout=120
    )
    out = np.load(tmp_path / "out.npz")
    got = [out[f"arr_{i}"] for i in range(6)]
    expected = [clf.predict_proba(IRIS_X), reg.predict(DIAB_X)] * 2
    clf.partial_fit(IRIS_X, IRIS_Y)
    reg.partial_fit(DIAB_X, DIAB_Y)
    expected += [clf.predict_proba(IRIS_X), reg.predict(DIAB_X)]
    for g, e in zip(got, expected):
        assert_array_equal(g, e)
