"""Property tests: whatever the input, a clear error or finite predictions.

Hypothesis draws shapes, values (finite and not, tiny to huge), dtypes and
hyperparameters (basis, scope, solver, n_basis, hidden sizes, learned output
activation, ...). Every case must either fit and predict finite outputs, or
raise a ValueError/TypeError with a message; no other exception type, and
no warning but sklearn's own kinds. A second property: a call that fails
leaves a fitted estimator exactly as it was.

The default number of examples per property is modest (30); set the
environment variable VNN_HYPOTHESIS_EXAMPLES for a larger run, e.g.
``VNN_HYPOTHESIS_EXAMPLES=500 python -m pytest tests/test_property.py``.
"""

import os
import warnings

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sklearn_vnn import VNNClassifier, VNNRegressor
from sklearn_vnn.bases import BASES

# Hypothesis's pytest plugin imports this module (and through it libcst) to
# report a failing example; libcst's import raises a DeprecationWarning,
# which our settings turn into an error that would hide the failure
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:
        pass

N_EXAMPLES = int(os.environ.get("VNN_HYPOTHESIS_EXAMPLES", "30"))
SETTINGS = settings(
    max_examples=N_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# MLP's own message, which the VNN estimators repeat word for word
MLP_BATCH_WARNING = "Got `batch_size` less than 1 or larger than sample size"

FINITE = st.floats(-1e3, 1e3, allow_nan=False, width=64)
ANY_FLOAT = st.one_of(
    FINITE,
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, 1e6, -1e6, 1e9, 1e30, 1e-30, 3.4e38, 1e300]),
)


@st.composite
def hyperparameters(draw):
    solver = draw(st.sampled_from(["lbfgs", "sgd", "adam"]))
    params = dict(
        hidden_layer_sizes=tuple(
            draw(st.lists(st.integers(1, 5), min_size=0, max_size=2))
        ),
        basis=draw(st.sampled_from(sorted(BASES))),
        n_basis=draw(st.integers(1, 6)),
        activation_scope=draw(st.sampled_from(["layer", "neuron"])),
        activation_init=draw(
            st.sampled_from(["tanh", "relu", "logistic", "identity", "random"])
        ),
        learn_activation=draw(st.booleans()),
        learn_output_activation=draw(st.booleans()),
        alpha=draw(st.sampled_from([0.0, 1e-4, 1.0])),
        solver=solver,
        max_iter=draw(st.integers(1, 6)),
        random_state=draw(st.integers(0, 2**16)),
    )
    if solver != "lbfgs":
        params["learning_rate_init"] = draw(st.sampled_from([1e-3, 0.1, 10.0]))
        params["batch_size"] = draw(st.sampled_from(["auto", 1, 7, 1000]))
    return params


@st.composite
def problems(draw):
    """(estimator, X, y, sample_weight): any shape, values and dtype."""
    # mostly usable shapes (hypothesis starts from the smallest), sometimes
    # none at all
    n_samples = draw(st.sampled_from([0, 1, 2, 5, 12, 30]))
    n_samples = draw(st.integers(n_samples, 30)) if n_samples else 0
    n_features = draw(st.sampled_from([1, 2, 3, 4, 0]))
    values = draw(st.sampled_from(["finite", "finite", "any"]))
    elements = FINITE if values == "finite" else ANY_FLOAT
    X = draw(hnp.arrays(np.float64, (n_samples, n_features), elements=elements))
    with np.errstate(over="ignore", invalid="ignore"):
        X = X * draw(st.sampled_from([1.0, 1e-6, 1e6]))
    as_type = draw(
        st.sampled_from(["float64", "float64", "float32", "int64", "object", "3-d"])
    )
    if as_type == "3-d":
        X = X[..., None]
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            X = X.astype(as_type) if as_type != "int64" else _to_int(X)

    kind = draw(st.sampled_from(["classifier", "regressor", "poisson"]))
    n_y = draw(st.sampled_from([n_samples] * 3 + [max(n_samples - 1, 0)]))
    if kind == "classifier":
        n_classes = draw(st.integers(1, 4))
        labels = draw(st.sampled_from(["int", "str", "float"]))
        y = np.array(
            draw(st.lists(st.integers(0, n_classes - 1), min_size=n_y, max_size=n_y))
        )
        y = y.astype(str) if labels == "str" else y.astype(labels)
        est = VNNClassifier()
    else:
        y = draw(hnp.arrays(np.float64, (n_y,), elements=elements))
        with np.errstate(over="ignore", invalid="ignore"):
            y = y * draw(st.sampled_from([1.0, 1e9]))
        if kind == "poisson":
            y = draw(st.sampled_from([np.abs(y), y]))
        est = VNNRegressor(loss="poisson" if kind == "poisson" else "squared_error")
    est.set_params(**draw(hyperparameters()))
    sample_weight = None
    if draw(st.booleans()):
        sample_weight = draw(
            hnp.arrays(np.float64, (n_y,), elements=st.floats(0, 10, width=64))
        )
    return est, X, y, sample_weight


def _to_int(X):
    with np.errstate(invalid="ignore"):
        finite = np.where(np.isfinite(X), np.clip(X, -1e12, 1e12), 0)
    return finite.astype(np.int64)


def _mlp_warnings(est, X, y, sample_weight):
    """The warnings sklearn's MLP gives when fitting the same data."""
    if isinstance(est, VNNClassifier):
        mlp = MLPClassifier(max_iter=1)
    else:
        mlp = MLPRegressor(loss=est.loss, max_iter=1)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            mlp.fit(X, y, sample_weight=sample_weight)
        except Exception:  # only its warnings matter here
            pass
    return {
        (w.category, str(w.message).replace(type(mlp).__name__, "")) for w in record
    }


def _check_warnings(record, est, X, y, sample_weight):
    """Only sklearn's own kinds of warning: ConvergenceWarning,
    DataConversionWarning, sklearn's UserWarnings, or exactly what MLP warns
    for the same data; never another warning of ours."""
    mlp = None
    for w in record:
        if issubclass(w.category, ConvergenceWarning | DataConversionWarning):
            continue
        from_sklearn = "sklearn/" in w.filename.replace("\\", "/")
        if w.category is UserWarning and (
            from_sklearn or str(w.message).startswith(MLP_BATCH_WARNING)
        ):
            continue
        if mlp is None:
            mlp = _mlp_warnings(est, X, y, sample_weight)
        message = str(w.message).replace(type(est).__name__, "")
        assert (w.category, message) in mlp, (
            f"{w.category.__name__} from {w.filename}: {w.message}"
        )


def _predictions(est, X):
    if isinstance(est, VNNClassifier):
        proba = est.predict_proba(X)
        if len(est.classes_) > 1:  # one class has two columns, as in MLP
            assert_array_equal(est.classes_[proba.argmax(axis=1)], est.predict(X))
        return proba
    return est.predict(X)


@SETTINGS
@given(problems())
def test_fit_predicts_finite_or_raises_a_clear_error(problem):
    est, X, y, sample_weight = problem
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            est.fit(X, y, sample_weight=sample_weight)
        except (ValueError, TypeError) as exc:
            assert str(exc).strip(), "an error without a message"
            _check_warnings(record, est, X, y, sample_weight)
            event(f"raised {type(exc).__name__}")
            return
        pred = _predictions(est, X)
    _check_warnings(record, est, X, y, sample_weight)
    event("fitted and predicted")
    assert np.isfinite(pred).all(), (pred, est.get_params())
    for coef in est.coefs_ + est.intercepts_ + est.activation_coefs_:
        assert np.isfinite(coef).all()


@st.composite
def second_calls(draw):
    """A fitted estimator, and the data of a further partial_fit / warm fit."""
    est, X, y, sample_weight = draw(problems())
    if est.solver == "lbfgs":
        est.set_params(warm_start=True)
    return est, X, y, sample_weight, draw(st.sampled_from(["partial_fit", "fit"]))


def _snapshot(est):
    arrays = est.coefs_ + est.intercepts_ + est.activation_coefs_
    return [a.copy() for a in arrays], est.n_iter_, getattr(est, "t_", None)


@SETTINGS
@given(second_calls(), st.integers(0, 2**16))
def test_a_failed_call_leaves_a_fitted_model_unchanged(case, seed):
    est, X_bad, y_bad, sample_weight, method = case
    # a first, well-posed fit on data of the same width
    rng = np.random.RandomState(seed)
    n_features = X_bad.shape[1] if X_bad.ndim == 2 and X_bad.shape[1] else 2
    X = rng.randn(20, n_features)
    if isinstance(est, VNNClassifier):
        y = np.arange(20) % 3
    else:
        y = np.abs(rng.randn(20))  # valid for the Poisson loss too
    if method == "partial_fit" and est.solver == "lbfgs":
        method = "fit"
    est.set_params(warm_start=True, learning_rate_init=1e-3)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            est.fit(X, y)
        except ValueError:  # e.g. a divergence at alpha=1: not this property
            event("first fit failed")
            return
        before, pred = _snapshot(est), _predictions(est, X)
        try:
            getattr(est, method)(X_bad, y_bad, sample_weight=sample_weight)
        except (ValueError, TypeError) as exc:
            assert str(exc).strip()
            after = _snapshot(est)
            for a, b in zip(before[0], after[0]):
                assert_array_equal(a, b)
            assert before[1:] == after[1:]
            assert_array_equal(_predictions(est, X), pred)
            _check_warnings(record, est, X_bad, y_bad, sample_weight)
            event(f"second call raised {type(exc).__name__}; model unchanged")
            return
        assert np.isfinite(_predictions(est, X_bad)).all()
    _check_warnings(record, est, X_bad, y_bad, sample_weight)
    event("second call trained")
