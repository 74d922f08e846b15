"""ONNX export: onnxruntime reproduces the VNN estimators' outputs in float32.

Every configuration is fitted briefly from random starting coefficients (so
that every basis function carries weight), converted with
``skl2onnx.to_onnx`` and run with onnxruntime on float32 input, including
rows far outside the basis design range. ``python tests/test_onnx.py``
prints the largest deviation over all configurations.
"""

import importlib
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_vnn import VNNClassifier, VNNRegressor
from sklearn_vnn.bases import FourierBasis

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")
vnn_onnx = pytest.importorskip("sklearn_vnn.onnx")

TOL = 1e-5
BASES = ["fourier", "chebyshev", "legendre", "gaussian", "bspline", "candidates"]
SCOPES = ["layer", "neuron"]


def _data(n_samples=120, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    X[:5] *= 30.0  # far outside every design range: saturation, tails
    y = np.sin(X[:, 0]) + 0.3 * X[:, 1] * np.tanh(X[:, 2])
    return X, y


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _vnn(cls, basis="fourier", scope="layer", learn_output=False, **params):
    params = dict(
        dict(hidden_layer_sizes=(5, 4), max_iter=20, random_state=0), **params
    )
    return cls(
        basis=basis,
        n_basis=11 if basis == "candidates" else 7,
        activation_scope=scope,
        learn_output_activation=learn_output,
        activation_init="random",
        **params,
    )


def _run(model, X, **options):
    """Convert ``model`` for inputs like ``X`` and run it with onnxruntime."""
    onx = skl2onnx.to_onnx(model, X[:1], options=options or None)
    sess = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return sess.run(None, {sess.get_inputs()[0].name: X})


def _regressor_deviation(reg, X):
    (y_onnx,) = _run(reg, X.astype(np.float32))
    assert y_onnx.dtype == np.float32
    y_ours = reg.predict(X).reshape(len(X), -1)
    assert y_onnx.shape == y_ours.shape
    return float(np.max(np.abs(y_onnx - y_ours)))


def _assert_labels_agree(labels_onnx, labels_ours, proba_ours):
    """Labels agree wherever the decision is not within TOL of a tie."""
    if labels_ours.ndim == 2:  # multilabel: each label thresholded at 0.5
        sure = np.abs(proba_ours - 0.5) > 2 * TOL
        np.testing.assert_array_equal(labels_onnx[sure], labels_ours[sure])
        return
    top2 = np.sort(proba_ours, axis=1)[:, -2:]
    sure = top2[:, 1] - top2[:, 0] > 2 * TOL
    np.testing.assert_array_equal(labels_onnx[sure], labels_ours[sure])


def _classifier_deviation(clf, X, **options):
    labels, proba = _run(clf, X.astype(np.float32), zipmap=False, **options)
    proba_ours = clf.predict_proba(X)
    assert proba.dtype == np.float32 and proba.shape == proba_ours.shape
    _assert_labels_agree(labels, clf.predict(X), proba_ours)
    return float(np.max(np.abs(proba - proba_ours)))


def _classification_targets(kind, n_samples, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "binary":
        return rng.integers(0, 2, n_samples) * 7 - 3  # labels -3 and 4
    if kind == "multiclass-str":
        return np.array(["ant", "bee", "cat"])[rng.integers(0, 3, n_samples)]
    if kind == "binary-str":
        return np.array(["no", "yes"])[rng.integers(0, 2, n_samples)]
    return (rng.random((n_samples, 3)) > 0.5).astype(int)  # multilabel


# ---------------------------------------------------------------------------
# every basis family x both scopes x learned output activation
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("learn_output", [False, True])
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("basis", BASES)
def test_regressor_matches_onnxruntime(basis, scope, learn_output):
    X, y = _data()
    reg = _fit(_vnn(VNNRegressor, basis, scope, learn_output), X, y)
    assert _regressor_deviation(reg, X) <= TOL


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("basis", BASES)
def test_classifier_matches_onnxruntime(basis, scope):
    X, _ = _data()
    y = _classification_targets("multiclass-str", len(X))
    clf = _fit(_vnn(VNNClassifier, basis, scope, learn_output=True), X, y)
    assert _classifier_deviation(clf, X) <= TOL


@pytest.mark.parametrize("kind", ["binary", "binary-str", "multilabel"])
@pytest.mark.parametrize("learn_output", [False, True])
def test_classifier_targets(kind, learn_output):
    X, _ = _data()
    y = _classification_targets(kind, len(X))
    clf = _fit(_vnn(VNNClassifier, "chebyshev", learn_output=learn_output), X, y)
    assert _classifier_deviation(clf, X) <= TOL
    labels, _ = _run(clf, X.astype(np.float32), zipmap=False)
    if kind == "multilabel":
        assert labels.dtype == np.int64 and labels.shape == (len(X), 3)
    else:
        assert set(np.unique(labels)) <= set(clf.classes_)


def test_poisson_and_multioutput_regressors():
    X, y = _data()
    poisson = _vnn(VNNRegressor, "gaussian", loss="poisson")
    assert _regressor_deviation(_fit(poisson, X, np.exp(0.5 * y)), X) <= TOL
    Y = np.column_stack([y, np.cos(X[:, 3])])
    multi = _fit(_vnn(VNNRegressor, "legendre", "neuron", True), X, Y)
    assert _regressor_deviation(multi, X) <= TOL


def test_float32_trained_model():
    # a model trained in float32 keeps float32 parameters
    X, y = _data()
    X32 = X.astype(np.float32)
    reg = _fit(_vnn(VNNRegressor, "bspline", "neuron"), X32, y.astype(np.float32))
    assert reg.coefs_[0].dtype == np.float32
    assert _regressor_deviation(reg, X32) <= TOL


def test_double_input_gives_double_graph():
    X, y = _data()
    reg = _fit(_vnn(VNNRegressor, "fourier", "neuron", True), X, y)
    (y_onnx,) = _run(reg, X)
    assert y_onnx.dtype == np.float64
    np.testing.assert_allclose(y_onnx.ravel(), reg.predict(X), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# outputs as skl2onnx's MLP converter gives them; pipelines
# ---------------------------------------------------------------------------
def test_zipmap_probabilities_and_labels():
    X, _ = _data()
    y = _classification_targets("multiclass-str", len(X))
    clf = _fit(_vnn(VNNClassifier), X, y)
    labels, proba = _run(clf, X.astype(np.float32))
    assert isinstance(proba, list) and set(proba[0]) == set(clf.classes_)
    table = np.array([[row[c] for c in clf.classes_] for row in proba])
    np.testing.assert_allclose(table, clf.predict_proba(X), atol=TOL)
    assert labels.dtype == object


def test_nocl_gives_class_indices():
    X, _ = _data()
    y = _classification_targets("multiclass-str", len(X))
    clf = _fit(_vnn(VNNClassifier), X, y)
    labels, proba = _run(clf, X.astype(np.float32), zipmap=False, nocl=True)
    np.testing.assert_array_equal(labels, np.argmax(proba, axis=1))


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_pipeline_with_scaler(kind):
    X, y = _data()
    X = 50.0 + 10.0 * X  # the scaler matters
    if kind == "regressor":
        pipe = make_pipeline(StandardScaler(), _vnn(VNNRegressor, "candidates"))
        pipe = _fit(pipe, X, y)
        (y_onnx,) = _run(pipe, X.astype(np.float32))
        assert np.max(np.abs(y_onnx.ravel() - pipe.predict(X))) <= TOL
    else:
        y = _classification_targets("binary", len(X))
        pipe = _fit(make_pipeline(StandardScaler(), _vnn(VNNClassifier)), X, y)
        labels, proba = _run(pipe, X.astype(np.float32), zipmap=False)
        proba_ours = pipe.predict_proba(X)
        assert np.max(np.abs(proba - proba_ours)) <= TOL
        _assert_labels_agree(labels, pipe.predict(X), proba_ours)


# ---------------------------------------------------------------------------
# errors, registration, optional import
# ---------------------------------------------------------------------------
def test_unfitted_estimator_raises():
    X, _ = _data()
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(VNNRegressor(), X[:1].astype(np.float32))


def test_float_labels_become_int64():
    # as skl2onnx does for MLPClassifier: integral float labels are int64
    X, _ = _data()
    y = (_classification_targets("binary", len(X)) > 0).astype(float) + 1.0
    clf = _fit(_vnn(VNNClassifier), X, y)
    labels, _ = _run(clf, X.astype(np.float32), zipmap=False)
    assert labels.dtype == np.int64
    _assert_labels_agree(labels, clf.predict(X), clf.predict_proba(X))


class _ScaledFourier(FourierBasis):
    """A user's own family: Fourier terms of 2z (values changed, no graph)."""

    def _evaluate(self, z, derivative):
        phi, dphi = super()._evaluate(2.0 * z, derivative)
        return phi, None if dphi is None else 2.0 * dphi


class _WrittenScaledFourier(_ScaledFourier):
    """The same family with its own ONNX graph."""

    def onnx_terms(self, g, Z):
        return FourierBasis.onnx_terms(self, g, g.mul(Z, 2.0))


def _scaled_fourier_builder(g, Z, basis):
    return FourierBasis.onnx_terms(basis, g, g.mul(Z, 2.0))


def test_custom_basis_exports_with_its_own_onnx_terms():
    X, y = _data()
    # the inherited Fourier graph would compute the parent's functions
    reg = _fit(_vnn(VNNRegressor, basis=_ScaledFourier(4)), X, y)
    with pytest.raises(TypeError, match=r"_ScaledFourier.*onnx_terms\(g, Z\)"):
        _run(reg, X.astype(np.float32))
    written = _fit(_vnn(VNNRegressor, basis=_WrittenScaledFourier(4)), X, y)
    assert _regressor_deviation(written, X) <= TOL


def test_custom_basis_with_wrong_number_of_terms():
    class Short(_ScaledFourier):
        def onnx_terms(self, g, Z):
            return _WrittenScaledFourier.onnx_terms(self, g, Z)[:-1]

    X, y = _data()
    reg = _fit(_vnn(VNNRegressor, basis=Short(4)), X, y)
    with pytest.raises(ValueError, match="3 terms for n_basis=4"):
        _run(reg, X.astype(np.float32))


def test_register_basis_still_works_and_register_is_idempotent(monkeypatch):
    with pytest.raises(TypeError, match="class"):
        vnn_onnx.register_basis("fourier", _scaled_fourier_builder)
    with pytest.raises(TypeError, match="callable"):
        vnn_onnx.register_basis(_ScaledFourier, None)
    monkeypatch.setattr(vnn_onnx, "_BASIS_GRAPHS", {})
    vnn_onnx.register_basis(_ScaledFourier, _scaled_fourier_builder)
    assert vnn_onnx._BASIS_GRAPHS == {_ScaledFourier: _scaled_fourier_builder}
    X, y = _data()
    reg = _fit(_vnn(VNNRegressor, basis=_ScaledFourier(4)), X, y)
    assert _regressor_deviation(reg, X) <= TOL
    vnn_onnx.register()
    vnn_onnx.register()
    assert _regressor_deviation(_fit(_vnn(VNNRegressor), X, y), X) <= TOL


def test_missing_extra_gives_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    monkeypatch.delitem(sys.modules, "sklearn_vnn.onnx")
    with pytest.raises(ImportError, match=r"sklearn-vnn\[onnx\]"):
        importlib.import_module("sklearn_vnn.onnx")


def test_package_import_does_not_import_onnx():
    code = (
        "import sys, sklearn_vnn; "
        "assert 'sklearn_vnn.onnx' not in sys.modules; "
        "assert 'skl2onnx' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# python tests/test_onnx.py: the largest deviation over all configurations
# ---------------------------------------------------------------------------
def _all_deviations():
    X, y = _data()
    for basis in BASES:
        for scope in SCOPES:
            for learn_output in (False, True):
                reg = _vnn(VNNRegressor, basis, scope, learn_output)
                dev = _regressor_deviation(_fit(reg, X, y), X)
                yield f"regressor {basis}/{scope}/output={learn_output}", dev
                for kind in ("binary", "multiclass-str", "multilabel"):
                    target = _classification_targets(kind, len(X))
                    clf = _vnn(VNNClassifier, basis, scope, learn_output)
                    dev = _classifier_deviation(_fit(clf, X, target), X)
                    yield f"classifier {kind} {basis}/{scope}/{learn_output}", dev


if __name__ == "__main__":
    worst = max(_all_deviations(), key=lambda item: item[1])
    print(f"largest |onnxruntime - sklearn_vnn| over 96 configurations: {worst}")
