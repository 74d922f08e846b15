"""The classic activation nearest to a learned one: the best
``a * g(c * x + d) + e`` with its R^2. Public through
:mod:`sklearn_vnn.inspection`."""

from dataclasses import dataclass

import numpy as np
import scipy.optimize

from sklearn_vnn._learned import activation_function
from sklearn_vnn.bases._activations import ACTIVATIONS

# ----------------------------------------------------------------------
# the nearest classic activation
# ----------------------------------------------------------------------
#: The activations ``g`` the nearest-classic fit tries (from the one table
#: of classic activations).
CLASSIC_ACTIVATIONS = tuple(name for name, g in ACTIVATIONS.items() if g.classic)


def _with_symmetry(symmetry):
    return {
        name for name in CLASSIC_ACTIVATIONS if ACTIVATIONS[name].symmetry == symmetry
    }


# symmetries used to report one canonical (a, c, d, e) per fit
_ODD = _with_symmetry("odd")  # g(-u) = -g(u)
_EVEN = _with_symmetry("even")  # g(-u) = g(u)
_HOMOGENEOUS = _with_symmetry("homogeneous")  # g(s u) = s g(u) for s > 0


def _classic(name, u):
    return ACTIVATIONS[name](u)


@dataclass(frozen=True)
class ClassicFit:
    """The best ``a * g(c * x + d) + e`` for one classic activation ``g``.

    Attributes
    ----------
    name : str
        ``g``: one of :data:`CLASSIC_ACTIVATIONS`.
    a, c, d, e : float
        The fitted constants, in a canonical form: ``c > 0`` for tanh,
        logistic, sin and gaussian (``a > 0`` and ``-pi < d <= pi`` too for
        sin), ``c = +-1`` for relu, ``c = 1, d = 0`` for identity.
    r2 : float
        Coefficient of determination of the fit over the range.
    rmse : float
        Root mean squared error of the fit over the range.
    """

    name: str
    a: float
    c: float
    d: float
    e: float
    r2: float
    rmse: float

    def __call__(self, x):
        """``a * g(c * x + d) + e``."""
        u = self.c * np.asarray(x, dtype=np.float64) + self.d
        return self.a * _classic(self.name, u) + self.e

    def __str__(self):
        return (
            f"{self.a:.4g}*{self.name}({self.c:.4g}*x {self.d:+.4g}) "
            f"{self.e:+.4g}  (R^2 = {self.r2:.4f})"
        )


def _project_affine(G, y):
    """Least-squares ``a, e`` in ``y ~ a G + e``, and the residual."""
    Gm, ym = G.mean(), y.mean()
    Gc, yc = G - Gm, y - ym
    gg = float(Gc @ Gc)
    a = float(Gc @ yc) / gg if gg > 1e-300 else 0.0
    return a, ym - a * Gm, yc - a * Gc


def _canonical(name, a, c, d, e):
    if name in _HOMOGENEOUS and c != 0:
        a, c, d = a * abs(c), float(np.sign(c)), d / abs(c)
    if name in _ODD and c < 0:
        a, c, d = -a, -c, -d
    if name in _EVEN and c < 0:
        c, d = -c, -d
    if name == "logistic" and c < 0:
        # logistic(-u) = 1 - logistic(u)
        a, c, d, e = -a, -c, -d, e + a
    if name == "sin":
        if a < 0:
            a, d = -a, d + np.pi
        d = float(np.pi - np.mod(np.pi - d, 2 * np.pi))
    return a, c, d, e


def _start_grid(name, x):
    """Starting ``(c, d)``: slopes and centres spread over the range."""
    lo, hi = x[0], x[-1]
    xm, xs = (hi + lo) / 2, max((hi - lo) / 2, 1e-12)
    slopes = np.array(
        [0.2, 0.5, 1.0, 2.0, 4.0] + ([8.0, 16.0] if name == "sin" else [])
    )
    if name not in _ODD | _EVEN:
        slopes = np.concatenate([slopes, -slopes])
    c = slopes / xs
    centres = xm + xs * np.linspace(-0.9, 0.9, 7)
    c, centres = np.meshgrid(c, centres, indexing="ij")
    return np.column_stack([c.ravel(), -(c * centres).ravel()])


def _fit_one(name, x, y, n_refine=3):
    """Best ``(a, c, d, e)`` of ``a g(c x + d) + e`` and its residual sum."""
    if name == "identity":
        a, e, res = _project_affine(x, y)
        return a, 1.0, 0.0, e, float(res @ res)

    def residual(p):
        with np.errstate(over="ignore", invalid="ignore"):
            G = _classic(name, p[0] * x + p[1])
        return _project_affine(G, y)[2]

    # a coarse grid of (c, d), all at once; then least squares from the best
    starts = _start_grid(name, x)
    with np.errstate(over="ignore", invalid="ignore"):
        G = _classic(name, starts[:, :1] * x + starts[:, 1:])  # (n_starts, n_points)
    Gc = G - G.mean(axis=1, keepdims=True)
    yc = y - y.mean()
    gg = np.einsum("ij,ij->i", Gc, Gc)
    gy = Gc @ yc
    explained = np.where(gg > 1e-300, gy**2 / np.maximum(gg, 1e-300), 0.0)
    xs = max((x[-1] - x[0]) / 2, 1e-12)
    best = None
    for k in np.argsort(-explained)[:n_refine]:
        sol = scipy.optimize.least_squares(
            residual, starts[k], x_scale=[1.0 / xs, 1.0], max_nfev=300
        )
        if best is None or sol.cost < best.cost:
            best = sol
    c, d = best.x
    with np.errstate(over="ignore", invalid="ignore"):
        a, e, res = _project_affine(_classic(name, c * x + d), y)
    return a, float(c), float(d), e, float(res @ res)


def _simplicity(fit):
    """How far a fit is from the plain ``g`` (a = c = 1): ties go to the least."""
    return np.log(abs(fit.a) + 1e-300) ** 2 + np.log(abs(fit.c) + 1e-300) ** 2


def fit_classic_activations(func, low, high, candidates=None, n_points=256):
    """Fit ``a * g(c * x + d) + e`` to ``func`` on ``[low, high]`` for each g.

    For each ``g``, ``a`` and ``e`` are solved exactly (least squares) for
    any ``(c, d)``, and ``(c, d)`` by ``scipy.optimize.least_squares`` from
    several starts (slopes and kink positions spread over the range).

    Parameters
    ----------
    func : callable
        Vectorised function of one variable.
    low, high : float
        The range, ``low < high``.
    candidates : sequence of str, default=None
        Members of :data:`CLASSIC_ACTIVATIONS`; all of them by default.
    n_points : int, default=256
        Equally spaced points of the least-squares fit.

    Returns
    -------
    fits : list of ClassicFit
        Best first: by R^2, and among fits equally good (``1 - R^2`` within
        1% of the best's, or 1e-9) the one with ``a`` and ``c`` closest to 1 (so
        ``2*tanh(0.5*x)`` is reported as tanh, not as the same curve
        written with logistic, ``tanh(u) = 2*logistic(2u) - 1``).

    Examples
    --------
    >>> import numpy as np
    >>> fits = fit_classic_activations(lambda x: 2 * np.tanh(0.5 * x), -3, 3)
    >>> best = fits[0]
    >>> best.name, round(best.a, 6), round(best.c, 6), round(best.r2, 9)
    ('tanh', 2.0, 0.5, 1.0)
    """
    if candidates is None:
        candidates = CLASSIC_ACTIVATIONS
    unknown = [g for g in candidates if g not in CLASSIC_ACTIVATIONS]
    if unknown or not len(candidates):
        raise ValueError(
            f"candidates must be a non-empty subset of {list(CLASSIC_ACTIVATIONS)};"
            f" got {list(candidates)}."
        )
    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"Need finite low < high, got [{low}, {high}].")
    x = np.linspace(low, high, n_points)
    y = np.asarray(func(x), dtype=np.float64)
    if y.shape != x.shape or not np.isfinite(y).all():
        raise ValueError("func must return finite values of the shape of its input.")
    ss_tot = float(((y - y.mean()) ** 2).sum())
    fits = []
    for name in candidates:
        a, c, d, e, ss = _fit_one(name, x, y)
        a, c, d, e = _canonical(name, a, c, d, e)
        if ss_tot > 1e-300:
            r2 = 1.0 - ss / ss_tot
        else:
            r2 = 1.0 if ss <= 1e-300 else 0.0
        fits.append(ClassicFit(name, a, c, d, e, r2, float(np.sqrt(ss / n_points))))
    fits.sort(key=lambda f: -f.r2)
    tied = [f for f in fits if 1.0 - f.r2 <= 1.01 * (1.0 - fits[0].r2) + 1e-9]
    first = min(tied, key=_simplicity)
    fits.remove(first)
    return [first] + fits


def nearest_classic_activation(est, layer, neuron=None, candidates=None):
    """The classic activation closest to a learned one, over its range.

    Fits ``a * g(c * z + d) + e`` for ``g`` in :data:`CLASSIC_ACTIVATIONS`
    over the recorded pre-activation range of the layer (or neuron); see
    :func:`fit_classic_activations`.

    Parameters
    ----------
    est : VNNClassifier or VNNRegressor
        A fitted estimator.
    layer : int
        Hidden layer, counted from 0.
    neuron : int or None, default=None
        The unit (required for ``activation_scope='neuron'``).
    candidates : sequence of str, default=None
        The ``g`` to try; all of :data:`CLASSIC_ACTIVATIONS` by default.

    Returns
    -------
    fit : ClassicFit
        The best fit; ``str(fit)`` reads like ``2*tanh(0.5*x +0) +0
        (R^2 = 0.9990)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_vnn import VNNRegressor
    >>> X = np.linspace(-2, 2, 40).reshape(-1, 1)
    >>> reg = VNNRegressor(hidden_layer_sizes=(3,), n_basis=5, solver="lbfgs",
    ...                    max_iter=50, random_state=0).fit(X, np.tanh(X).ravel())
    >>> fit = nearest_classic_activation(reg, 0)
    >>> fit.name in CLASSIC_ACTIVATIONS, bool(0.0 <= fit.r2 <= 1.0)
    (True, True)
    """
    F = activation_function(est, layer, neuron)
    return fit_classic_activations(F, *F.range, candidates=candidates)[0]
