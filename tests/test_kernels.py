"""The numba kernels (the 'fast' extra) against the NumPy path.

Both paths must give the same forward values, gradients and fits to
rounding, whatever the number of threads; the kernels must cover exactly
the families they know, and the environment variable that chooses the path
must reject what it does not know.
"""

import hashlib
import importlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from threadpoolctl import threadpool_limits

from sklearn_vnn import VNNClassifier, VNNRegressor, _kernels, _network
from sklearn_vnn._optimizers import SGD, Adam
from sklearn_vnn._range_check import OutOfRangeWarning, RangeCheck
from sklearn_vnn.bases import (
    ChebyshevBasis,
    FourierBasis,
    LegendreBasis,
    PolynomialBasis,
    make_basis,
)

pytest.importorskip("numba")

FAMILIES = ["fourier", "chebyshev", "legendre", "polynomial"]


def _fitted(monkeypatch, basis, scope, n_basis=7, **params):
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numpy")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    est = VNNRegressor(
        hidden_layer_sizes=(9, 6),
        basis=basis,
        n_basis=n_basis,
        activation_scope=scope,
        learn_output_activation=True,
        activation_init="random",
        max_iter=3,
        random_state=0,
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    return est, X, y


def _loss_and_gradient(est, X, y, theta):
    grad = np.zeros_like(theta)
    loss = est._objective(theta, grad, X, y.reshape(-1, 1), None)
    return loss, grad


@pytest.mark.parametrize("n_basis", [1, 2, 7, 8])
@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("basis", FAMILIES)
def test_gradient_and_prediction_agree_with_numpy(monkeypatch, basis, scope, n_basis):
    est, X, y = _fitted(monkeypatch, basis, scope, n_basis)
    # pre-activations beyond the design range too (the polynomial's lines)
    theta = est._pack_current(np.float64)
    theta += 0.5 * np.random.default_rng(1).normal(size=theta.size)
    loss_np, grad_np = _loss_and_gradient(est, X, y, theta)
    pred_np = est.predict(3 * X)

    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    loss_nb, grad_nb = _loss_and_gradient(est, X, y, theta)
    assert_allclose(loss_nb, loss_np, rtol=1e-12)
    assert_allclose(grad_nb, grad_np, rtol=1e-10, atol=1e-12 * abs(grad_np).max())
    assert_allclose(est.predict(3 * X), pred_np, rtol=1e-12, atol=1e-12)


BLOCKED = {
    "fourier": FourierBasis,
    "fourier-periodic": lambda M: FourierBasis(M, extrapolation="periodic"),
    "chebyshev": ChebyshevBasis,
    "legendre": LegendreBasis,
}


@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("family", list(BLOCKED))
def test_register_blocks_agree_with_numpy_for_every_size(monkeypatch, scope, family):
    # the kernels build the Fourier, Chebyshev and Legendre rows in blocks
    # (the Fourier rows' last possibly a half block): every way of cutting
    # M into blocks (one block, a half one, several, several and a half,
    # odd M) against NumPy's rows, for values, slopes and the coefficient
    # gradient
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    rng = np.random.default_rng(0)
    Z = 2.0 * rng.normal(size=(40, 13))  # some beyond the held range
    dA = rng.normal(size=Z.shape)
    for M in (1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 16, 17, 20, 23, 24, 32):
        basis = BLOCKED[family](M)
        C = rng.normal(size=M if scope == "layer" else (Z.shape[1], M))
        A, saved = _kernels.activate(_kernels.family_of(basis), Z.copy(), C)
        dZ, dC = saved.gradients(dA.copy())
        A_np, Phi, slope = basis.activate(Z, C)
        dC_np = np.einsum("kij,ij->jk", Phi, dA)  # (n_units, M)
        if scope == "layer":
            dC_np = dC_np.sum(axis=0)
        assert_allclose(A, A_np, rtol=1e-12, atol=1e-12, err_msg=f"M={M}")
        assert_allclose(dZ, dA * slope, rtol=1e-12, atol=1e-12, err_msg=f"M={M}")
        assert_allclose(dC, dC_np, rtol=1e-11, atol=1e-12, err_msg=f"M={M}")


@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("basis", FAMILIES)
def test_kernel_gradient_matches_central_differences(monkeypatch, basis, scope):
    est, X, y = _fitted(monkeypatch, basis, scope)
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    theta = est._pack_current(np.float64)
    _, grad = _loss_and_gradient(est, X, y, theta)
    eps, numeric = 1e-6, np.empty_like(theta)
    for i in range(theta.size):
        t = theta.copy()
        t[i] += eps
        up = _loss_and_gradient(est, X, y, t)[0]
        t[i] -= 2 * eps
        numeric[i] = (up - _loss_and_gradient(est, X, y, t)[0]) / (2 * eps)
    assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("scope", ["layer", "neuron"])
def test_results_do_not_depend_on_threads(monkeypatch, scope):
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(700, 5)), rng.integers(0, 3, 700)
    fits = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            est = VNNClassifier(
                hidden_layer_sizes=(16,), activation_scope=scope,
                max_iter=3, random_state=0,
            )  # fmt: skip
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X, y)
            fits.append((est.loss_curve_, est.predict_proba(X)))
    assert_array_equal(fits[0][0], fits[1][0])
    assert_array_equal(fits[0][1], fits[1][1])


def test_fourier_kernel_is_accurate_for_any_input(monkeypatch):
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    basis = FourierBasis(6, scale=1.0, extrapolation="periodic")
    z = np.array([[0.0, 1e-300, 0.3, -2.5, 1e3, -7e5, 3e7, 1e300]])
    coef = np.arange(1.0, 7.0)
    family = _kernels.family_of(basis)
    A = _kernels.activate(family, z.copy(), coef)[0]
    wz = basis.frequency * z[0]
    k = np.arange(1, 4)[:, None]
    exact = np.stack([np.sin(k * wz), np.cos(k * wz)], 1).reshape(6, -1)
    # up to 3e7 (libm beyond 2**19) against sin and cos themselves; at 1e300
    # both paths take the higher orders from the recurrence
    assert_allclose(A[0, :7], (coef @ exact)[:7], rtol=1e-9, atol=1e-9)
    assert_allclose(A[0, 7], basis.activate(z, coef, False)[0][0, 7], rtol=1e-12)
    # a non-finite pre-activation gives NaN, as the NumPy path does
    A = _kernels.activate(family, np.array([[np.inf, np.nan, 1.0]]), coef)[0]
    assert np.isnan(A[0, :2]).all() and np.isfinite(A[0, 2])


def test_float32_stays_float32(monkeypatch):
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = rng.integers(0, 2, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = VNNClassifier(hidden_layer_sizes=(5,), max_iter=5).fit(X, y)
    assert est.coefs_[0].dtype == np.float32
    assert est.predict_proba(X).dtype == np.float32


def test_kernels_cover_exactly_their_families(monkeypatch):
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    for basis in (FourierBasis(4), ChebyshevBasis(4), LegendreBasis(4)):
        assert _kernels.family_of(basis) is not None
    assert _kernels.family_of(PolynomialBasis(4)) is not None

    class Shifted(FourierBasis):  # changes the values: the kernel must not run
        def _evaluate(self, z, derivative):
            return super()._evaluate(z + 1.0, derivative)

    for basis in (Shifted(4), make_basis("gaussian", 4), make_basis("bspline", 4)):
        assert _kernels.family_of(basis) is None
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numpy")
    assert _kernels.family_of(FourierBasis(4)) is None


def test_lean_cache_holds_no_basis_values(monkeypatch):
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    W = [rng.normal(size=(3, 6)), rng.normal(size=(6, 1))]
    b = [np.zeros(6), np.zeros(1)]
    C = [rng.normal(size=8)]
    _, cache = _network.forward(X, W, b, C, None, FourierBasis(8), lean=True)
    saved = cache[0][1]
    assert isinstance(saved, _kernels.Saved) and saved.X.shape == (20, 6)
    # the Jacobian's forward (not lean) still gets the values
    _, cache = _network.forward(X, W, b, C, None, FourierBasis(8))
    assert cache[0][1].shape == (8, 20, 6)


def test_environment_variable_is_checked(monkeypatch):
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "fastest")
    with pytest.raises(ValueError, match="SKLEARN_VNN_KERNELS must be one of"):
        _kernels.family_of(FourierBasis(4))
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    monkeypatch.setattr(_kernels, "_compiled", lambda: None)
    with pytest.raises(ImportError, match=r"sklearn-vnn\[fast\]"):
        _kernels.family_of(FourierBasis(4))
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "auto")
    assert _kernels.family_of(FourierBasis(4)) is None


def test_rows_out_of_range_flags_what_numpy_flags(monkeypatch):
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(300, 7))
    Z[5:7] = 0.0
    Z[5, 3], Z[6, 0] = np.nan, np.inf  # NaN is not out of range, inf is
    low, high = np.full(7, -2.0), np.full(7, 2.5)
    flags = np.empty(300, dtype=bool)
    assert _kernels.rows_out_of_range(Z, low, high, flags)
    assert_array_equal(flags, ((Z < low) | (Z > high)).any(axis=1))
    assert flags[6] and not flags[5]
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numpy")
    assert not _kernels.rows_out_of_range(Z, low, high, flags)


def test_fourier_kernel_holds_the_values_beyond_the_range(monkeypatch):
    # 'constant' extrapolation: values at the nearer end of [-scale, scale],
    # slope 0 beyond it (and for NaN); NaN stays NaN, infinity is held too
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    basis = FourierBasis(5, scale=2.0)
    z = np.array([[-np.inf, -1e300, -7.0, -2.0, 0.3, 2.0, 2.5, 1e9, np.inf, np.nan]])
    ends = np.array([-2.0, -2.0, -2.0, -2.0, 0.3, 2.0, 2.0, 2.0, 2.0, np.nan])
    coef = np.array([1.0, -0.5, 0.25, 2.0, -1.0])
    family = _kernels.family_of(basis)
    A, saved = _kernels.activate(family, z.copy(), coef)
    wz = basis.frequency * ends
    k = np.arange(1, 4)[:, None]
    rows = np.stack([np.sin(k * wz), np.cos(k * wz)], 1).reshape(6, -1)[:5]
    assert_allclose(A[0], coef @ rows, rtol=1e-12, atol=1e-12)
    dA = np.ones_like(z)
    dZ, dC = saved.gradients(dA)
    inside = np.abs(z[0]) <= 2.0
    assert (dZ[0, ~inside & ~np.isnan(z[0])] == 0).all()
    _, _, slope = basis.activate(z[:, inside], coef)
    assert_allclose(dZ[0, inside], slope[0], rtol=1e-12, atol=1e-12)
    assert np.isnan(A[0, -1]) and np.isnan(dZ[0, -1])


@pytest.mark.parametrize("scope", ["layer", "neuron"])
@pytest.mark.parametrize("basis", FAMILIES)
def test_float32_kernels_agree_with_float64(monkeypatch, basis, scope):
    # the kernels compute in the data's dtype: float32 data gets float32
    # series and recurrences, accurate to a few float32 roundings
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    rng = np.random.default_rng(0)
    basis = make_basis(basis, 8)
    family = _kernels.family_of(basis)
    Z = 2.0 * rng.normal(size=(300, 16))  # some beyond the design range
    C = rng.normal(size=8 if scope == "layer" else (16, 8))
    dA = rng.normal(size=Z.shape)
    results = {}
    for dtype in (np.float64, np.float32):
        A, saved = _kernels.activate(family, Z.astype(dtype), C)
        dZ, dC = saved.gradients(dA.astype(dtype))
        assert A.dtype == dZ.dtype == dtype
        results[dtype] = A, dZ, dC
    for ours, exact in zip(results[np.float32], results[np.float64]):
        scale = np.abs(exact).max()
        assert_allclose(ours, exact, rtol=0, atol=2e-6 * scale)
    # float32 data ran the float32 kernel (its scalars too), not a float64
    # one fed with float32 arrays
    signatures = [str(s) for s in _kernels._compiled().forward.signatures]
    assert any("float32" in s and "float64" not in s for s in signatures)


@pytest.mark.parametrize("extrapolation", ["periodic", "constant"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sine_and_cosine_are_accurate(extrapolation, dtype):
    # the series, with the reduction (periodic) or the half angle (held
    # range), against float64 sin and cos of the kernel's own argument, the
    # product x * w in the data's dtype; beyond the fast range libm's
    basis = FourierBasis(2, scale=1.0, extrapolation=extrapolation)
    family = _kernels._Family.of(basis)
    w = dtype(basis.frequency)
    x = np.concatenate([
        np.linspace(-30, 30, 20001), np.geomspace(1e-30, 1e4, 2000),
        -np.geomspace(1e-3, 1e6, 2000),
    ]).astype(dtype)  # fmt: skip
    held = x if extrapolation == "periodic" else np.clip(x, -1, 1)
    wz = (held * w).astype(np.float64)
    atol = 3e-7 if dtype == np.float32 else 1e-15
    for k, exact in ((0, np.sin(wz)), (1, np.cos(wz))):
        coef = np.eye(2)[k]
        A = _kernels.activate(family, x[None, :].copy(), coef)[0][0]
        assert_allclose(A, exact, rtol=0, atol=atol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_map_is_accurate(dtype):
    # Chebyshev's T_1 is u = tanh(z / scale) itself: the kernel's own tanh
    # against float64 tanh of the kernel's argument, within a few roundings
    # of the dtype, from tiny to saturated inputs; infinities give +-1, NaN
    # stays NaN, and backward reads the u that forward kept
    basis = ChebyshevBasis(2, scale=1.0)
    family = _kernels._Family.of(basis)
    z = np.concatenate([
        np.linspace(-40, 40, 40001), np.geomspace(1e-300, 40, 3000),
        -np.geomspace(1e-300, 40, 3000), [0.0, np.inf, -np.inf, np.nan],
    ]).astype(dtype)  # fmt: skip
    Z = z[None, :].copy()
    A, saved = _kernels.activate(family, Z, np.array([0.0, 1.0]))
    exact = np.tanh(z.astype(np.float64))
    finite = ~np.isnan(exact)
    eps = np.finfo(dtype).eps
    tiny = np.finfo(dtype).tiny
    assert_allclose(A[0, finite], exact[finite], rtol=4 * eps, atol=tiny)
    assert np.isnan(A[0, ~finite]).all()
    assert_array_equal(saved.X[0], A[0])


@pytest.mark.parametrize("basis", FAMILIES)
def test_bias_and_range_check_ride_on_the_kernel_pass(monkeypatch, basis):
    # the kernel adds the intercepts as it reads Z and flags the rows whose
    # Z + b leave the limits: the same numbers as activating Z + b
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", "numba")
    rng = np.random.default_rng(0)
    family = _kernels.family_of(make_basis(basis, 6))
    Z, bias = rng.normal(size=(200, 7)), rng.normal(size=7)
    C, dA = rng.normal(size=(7, 6)), rng.normal(size=(200, 7))
    A_ref, saved_ref = _kernels.activate(family, Z + bias, C)
    check = RangeCheck([np.tile([-1.0, 1.0], (7, 1))], 200).layer(0)
    A, saved = _kernels.activate(family, Z.copy(), C, bias=bias, check=check)
    assert_allclose(A, A_ref, rtol=1e-14, atol=1e-14)
    for ours, ref in zip(saved.gradients(dA), saved_ref.gradients(dA)):
        assert_allclose(ours, ref, rtol=1e-14, atol=1e-14)
    low, high = check.limits(np.float64)  # -2 and 2: half a width beyond
    expected = ((Z + bias < low) | (Z + bias > high)).any(axis=1)
    assert 0 < expected.sum() < 200
    assert_array_equal(check.check.flagged, expected)
    assert check.check.per_layer == [expected.sum()]


def test_range_warning_is_the_same_on_both_paths(monkeypatch):
    est, X, _ = _fitted(monkeypatch, "fourier", "neuron")
    shifted = X.copy()
    shifted[::2, 0] += 20.0  # half the rows far out
    messages = []
    for mode in ("numpy", "numba"):
        monkeypatch.setenv("SKLEARN_VNN_KERNELS", mode)
        with pytest.warns(OutOfRangeWarning) as record:
            est.predict(shifted)
        messages.append(str(record[0].message))
    assert messages[0] == messages[1]


@pytest.mark.parametrize(
    "module, sources",
    [
        ("_numba_fourier", ["_numba_common"]),
        ("_numba_three_term", ["_numba_common"]),
        ("_numba_kernels", ["_numba_common", "_numba_fourier", "_numba_three_term"]),
    ],
)
def test_kernel_files_change_with_the_files_they_compile_in(module, sources):
    # numba's cache would keep serving a kernel compiled from an old version
    # of a file it calls into: each file holds the digest of those, so that
    # editing one without updating the digest fails here
    folder = Path(_kernels._compiled().__file__).parent
    digest = hashlib.sha256()
    for name in sources:
        digest.update((folder / f"{name}.py").read_bytes())
    expected = digest.hexdigest()[:16]
    held = importlib.import_module(f"sklearn_vnn.{module}")._INLINED_SOURCES
    assert held == expected, f"update _INLINED_SOURCES in {module}.py to {expected!r}"


_BITS_SCRIPT = """
import hashlib
import numpy as np
from sklearn_vnn import _kernels
from sklearn_vnn.bases import make_basis
rng = np.random.default_rng(0)
for name in ("fourier", "chebyshev", "legendre", "polynomial"):
    for shared in (True, False):
        for dtype in (np.float64, np.float32):
            family = _kernels._Family.of(make_basis(name, 8))
            Z = rng.normal(size=(60, 8)).astype(dtype)
            C = rng.normal(size=8 if shared else (8, 8))
            bias, dA = rng.normal(size=8), rng.normal(size=Z.shape).astype(dtype)
            A, saved = _kernels.activate(family, Z, C, bias=bias)
            for part in (A, *saved.gradients(dA)):
                print(hashlib.sha256(np.asarray(part).tobytes()).hexdigest())
"""


@pytest.mark.slow
def test_cached_kernels_give_the_bits_of_a_fresh_compile(tmp_path):
    # numba compiles a kernel afresh in one process and loads it from its
    # cache in the next: with fused multiply-adds allowed, the two could
    # round differently (they did once, when helpers moved between files),
    # and a grid search over processes would then depend on its n_jobs
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", _BITS_SCRIPT], env=env, check=True,
            capture_output=True, text=True,
        ).stdout
        for _ in range(2)
    ]  # fmt: skip
    assert len(runs[0].split()) == 4 * 2 * 2 * 3
    assert runs[0] == runs[1]


def test_tasks_share_evenly_between_threads():
    # the tasks depend on n_samples only; from 8 of them on they come in a
    # multiple of 8, so that 2, 4 or 8 threads get the same number each
    for n in range(1, 3000):
        tasks = _kernels._tasks(n)
        assert 1 <= tasks <= 32 and (n // tasks >= 16 or tasks == 1)
        assert tasks % 8 == 0 or tasks < 8
    assert _kernels._tasks(200) == 8 and _kernels._tasks(100_000) == 32


def _adam(n, dtype):
    return Adam(n, dtype, learning_rate_init=0.01)


def _nesterov(n, dtype):
    return SGD(n, dtype, 0.05, momentum=0.8, nesterov=True)


def _momentum(n, dtype):
    return SGD(n, dtype, 0.05, momentum=0.8, nesterov=False)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "make, kernel", [(_adam, "adam"), (_nesterov, "sgd"), (_momentum, "sgd")]
)
def test_compiled_optimiser_steps_give_numpys_bits(
    monkeypatch, make, kernel, dtype, threads
):
    from sklearn_vnn import _numba_steps

    # several tasks, the last one longer than the others
    n = 3 * _numba_steps._CHUNK + 5
    rng = np.random.default_rng(4)
    start = rng.standard_normal(n).astype(dtype)
    grads = [rng.standard_normal(n).astype(dtype) for _ in range(4)]
    calls = []
    compiled = getattr(_numba_steps, kernel)

    def spy(*args):
        calls.append(args[-1])
        return compiled(*args)

    monkeypatch.setattr(_numba_steps, kernel, spy)
    ends = {}
    for mode in ("numpy", "numba"):
        monkeypatch.setenv("SKLEARN_VNN_KERNELS", mode)
        theta, optimizer = start.copy(), make(n, dtype)
        with threadpool_limits(limits=threads):
            for g in grads:
                optimizer.step(theta, g.copy())
        state = [v for v in vars(optimizer).values() if isinstance(v, np.ndarray)]
        ends[mode] = [theta, *state]
    assert calls == [3] * len(grads)  # the numba run took the compiled step
    assert not np.array_equal(ends["numba"][0], start)
    for ours, numpys in zip(ends["numba"], ends["numpy"], strict=True):
        assert ours.dtype == dtype
        assert_array_equal(ours, numpys)
