"""A basis family of one's own: one class plus one registry line.

The family below (powers of ``u = tanh(z / scale)``) is defined here, in
the test, as a user would: values and slopes, its numpy terms and its ONNX
graph. Registered by name, it is trained with ``basis='tanh_powers'``,
written as a formula that numpy evaluates to the learned activation, and
exported to ONNX.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from sklearn_vnn import VNNRegressor
from sklearn_vnn.bases import BASES, Basis, make_basis, register_basis


class TanhPowers(Basis):
    """``u**k`` for k = 0..M-1, with ``u = tanh(z / scale)``."""

    def _evaluate(self, z, derivative):
        k = np.arange(self.n_basis).reshape((-1,) + (1,) * z.ndim)
        u = np.tanh(z / self.scale)
        phi = u[None] ** k
        if not derivative:
            return phi, None
        du = (1.0 - u * u) / self.scale
        return phi, k * u[None] ** np.maximum(k - 1, 0) * du[None]

    def numpy_terms(self, x):
        u = f"np.tanh({x}/{self.scale!r})"
        return ["1"] + [f"{u}**{k}" for k in range(1, self.n_basis)]

    def onnx_terms(self, g, Z):
        u = g.op("Tanh", [g.mul(Z, 1.0 / self.scale)])
        terms = [g.ones_like(u)]
        for _ in range(1, self.n_basis):
            terms.append(g.mul(terms[-1], u))
        return terms


class Untranslated(Basis):
    """A family with values and slopes only (no numpy_terms, no onnx_terms)."""

    def _evaluate(self, z, derivative):
        phi = np.stack([np.sin(z * (k + 1)) for k in range(self.n_basis)])
        if not derivative:
            return phi, None
        return phi, np.stack(
            [(k + 1) * np.cos(z * (k + 1)) for k in range(self.n_basis)]
        )


@pytest.fixture
def tanh_powers():
    register_basis("tanh_powers", TanhPowers)  # the one registry line
    yield "tanh_powers"
    del BASES["tanh_powers"]


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    X[:3] *= 20.0  # far outside the design range
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * np.tanh(X[:, 2])
    return X, y


def _fit(basis, X, y, **params):
    params = dict(
        dict(
            n_basis=5,
            hidden_layer_sizes=(6,),
            solver="lbfgs",
            max_iter=200,
            random_state=0,
        ),
        **params,
    )
    est = VNNRegressor(basis=basis, activation_init="random", **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_values_and_slopes_are_the_family():
    basis = TanhPowers(4, scale=2.0)
    z = np.linspace(-5, 5, 41)
    u = np.tanh(z / 2.0)
    assert_allclose(basis.value(z), np.stack([u**k for k in range(4)], axis=-1))
    h = 1e-6
    numeric = (basis.value(z + h) - basis.value(z - h)) / (2 * h)
    assert_allclose(basis.derivative(z), numeric, rtol=1e-6, atol=1e-8)


def test_registered_by_name_and_removed_again(tanh_powers):
    assert BASES[tanh_powers] is TanhPowers
    assert make_basis(tanh_powers, 3, {"scale": 2.0}) == TanhPowers(3, scale=2.0)


def test_registry_rejects_bad_entries():
    with pytest.raises(TypeError, match="subclass of Basis"):
        register_basis("mine", object)
    with pytest.raises(TypeError, match="non-empty str"):
        register_basis("", TanhPowers)
    with pytest.raises(ValueError, match="built-in"):
        register_basis("fourier", TanhPowers)
    assert "mine" not in BASES and BASES["fourier"].__name__ == "FourierBasis"


def test_trains_by_name_and_its_formula_is_the_activation(tanh_powers):
    # needs the estimators to check `basis` against the live registry
    X, y = _data()
    est = _fit(tanh_powers, X, y)
    assert isinstance(est.basis_, TanhPowers)
    assert est.score(X[3:], y[3:]) > 0.5  # it learned something
    formula = est.activation_formula(0)
    print(formula)
    F = est.activation_function(0)
    z = np.linspace(-6.0, 6.0, 97)
    value = eval(str(formula), {"__builtins__": {}, "np": np}, {"x": z})
    assert_allclose(value, F(z), rtol=1e-9, atol=1e-9)


def test_exports_to_onnx(tanh_powers):
    pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    from skl2onnx import to_onnx

    import sklearn_vnn.onnx  # noqa: F401  (registers the converters)

    X, y = _data()
    est = _fit(tanh_powers, X, y, activation_scope="neuron")
    onx = to_onnx(est, X[:1].astype(np.float32))
    sess = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    (y_onnx,) = sess.run(None, {sess.get_inputs()[0].name: X.astype(np.float32)})
    assert y_onnx.dtype == np.float32
    assert np.max(np.abs(y_onnx.ravel() - est.predict(X))) <= 1e-5


def test_family_without_writers_trains_and_says_what_is_missing():
    X, y = _data()
    est = _fit(Untranslated(3), X, y, max_iter=5)
    assert np.isfinite(est.predict(X)).all()
    with pytest.raises(TypeError, match=r"Untranslated.*numpy_terms\(x\)"):
        est.activation_formula(0)
    skl2onnx = pytest.importorskip("skl2onnx")
    import sklearn_vnn.onnx  # noqa: F401

    with pytest.raises(TypeError, match=r"Untranslated.*onnx_terms\(g, Z\)"):
        skl2onnx.to_onnx(est, X[:1].astype(np.float32))
