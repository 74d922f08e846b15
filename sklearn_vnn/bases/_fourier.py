"""The paper's basis: sines and cosines of multiples of one frequency."""

import numpy as np

from sklearn_vnn.bases._base import Basis
from sklearn_vnn.bases._ranges import rescaled
from sklearn_vnn.bases._writing import exact_number, times


class FourierBasis(Basis):
    """The paper's basis: ``sin(k w z), cos(k w z)`` for k = 1, 2, ...

    The M functions are, in order, ``sin(wz), cos(wz), sin(2wz), cos(2wz),
    ...``. Values come from one ``tan`` per entry (the half-angle formulas
    give ``sin(wz)`` and ``cos(wz)``) and the recurrence ``x_{k+1} = 2
    cos(wz) x_k - x_{k-1}``; derivatives from the same arrays (``d sin(kwz)
    = kw cos(kwz)``).

    Parameters
    ----------
    n_basis : int
        M, the number of functions (the last pair may be a sine alone).
    scale : float, default=3.0
        Half-width of the design range.
    frequency : float, default=None
        The base angular frequency w; defaults to ``pi / (2 * scale)``, a
        period of four times the design half-width, so that a saturating
        or one-sided target (tanh, relu) need not be periodic on the range.
    extrapolation : {'constant', 'periodic'}, default='constant'
        What the functions do beyond the design range ``[-scale, scale]``.
        'constant' holds each at its value at the nearer end (its slope
        there is 0): the activation saturates, as tanh does. 'periodic' is
        the paper's series everywhere, so a pre-activation beyond the
        range meets the activation's values from the other side of the
        period.

    Notes
    -----
    Roughness weights are ``k**2`` for both terms of order k (the mean
    squared derivative of ``sin(kwz)`` grows as ``k**2``).

    Why 'constant' is the default: weights that grow fast (Adam or sgd at a
    high ``learning_rate_init``) push pre-activations far beyond the range,
    where a periodic activation turns large inputs into arbitrary values
    of both signs. In ``benchmarks/bench_learning_rate.py`` (hidden (32,),
    100 epochs) Adam at ``learning_rate_init=0.5`` left the periodic VNN at
    chance on digits (training accuracy 0.11 in 'layer' and 0.12 in
    'neuron' scope; MLP 0.99) and at R^2 0.51 on make_friedman1 ('layer';
    MLP 0.89); held constant: 0.88, 0.93 and 0.92. The cost: saturated
    units stop learning, as tanh's do, and on make_friedman1 at rates 0.1
    and 0.2 the held VNN reached R^2 0.89 to 0.97 against 0.97 to 0.98
    periodic (MLP 0.96 to 0.97). In the defaults table of
    ``benchmarks/bench_accuracy.py`` the package defaults score the same
    either way on six of the seven data sets (digits: 0.9747 held, 0.9736
    periodic).

    Examples
    --------
    >>> import numpy as np
    >>> basis = FourierBasis(3, scale=3.0)
    >>> basis.numpy_terms("x")[:2]
    ['np.sin(np.pi*np.clip(x, -3, 3)/6)', 'np.cos(np.pi*np.clip(x, -3, 3)/6)']
    >>> basis.value(np.array([3.0])).round(12)
    array([[1., 0., 0.]])
    >>> basis.value(np.array([9.0])).round(12)  # held at the end of the range
    array([[1., 0., 0.]])
    >>> periodic = FourierBasis(3, scale=3.0, extrapolation="periodic")
    >>> periodic.numpy_terms("x")
    ['np.sin(np.pi*x/6)', 'np.cos(np.pi*x/6)', 'np.sin(np.pi*x/3)']
    >>> periodic.value(np.array([9.0])).round(12)  # sin(3 pi / 2), ...
    array([[-1., -0.,  0.]])
    """

    def __init__(self, n_basis, scale=3.0, frequency=None, extrapolation="constant"):
        super().__init__(n_basis, scale)
        if frequency is None:
            frequency = np.pi / (2.0 * self.scale)
        if not np.isfinite(frequency) or frequency <= 0:
            raise ValueError(f"frequency must be a finite float > 0, got {frequency}.")
        if extrapolation not in ("constant", "periodic"):
            raise ValueError(
                "extrapolation must be 'constant' or 'periodic', got "
                f"{extrapolation!r}."
            )
        self.frequency = float(frequency)
        self.extrapolation = extrapolation

    def orders(self):
        """Give the order k of each basis function.

        Returns
        -------
        k : ndarray of shape (M,)
            1, 1, 2, 2, 3, ...: the sine and cosine of order k share it.
        """
        return np.arange(self.n_basis) // 2 + 1

    def roughness(self):
        return self.orders().astype(float) ** 2

    def with_range(self, lo, hi):
        """Give the same family on a design range covering ``[lo, hi]``.

        The family is centred on 0: its new range is ``[-scale, scale]``
        with ``scale = max(|lo|, |hi|)``, and the frequency
        scales with it (the period keeps its size relative to the range).

        Parameters
        ----------
        lo, hi : float
            The range to cover, ``lo < hi``.

        Returns
        -------
        basis : FourierBasis
            A copy with the new ``scale``.
        """
        return rescaled(
            self,
            lo,
            hi,
            frequency=lambda old, new: self.frequency * old / new,
        )

    def _fill(self, z, need_slope):
        """``sin(kwz), cos(kwz)`` for k = 1..K, K = ceil(M / 2): shape (2K,) + z.shape.

        With ``extrapolation='constant'`` they are taken at ``z`` clipped to
        the design range, and the chain factor is the indicator of the
        range (the slope is 0 beyond it; also for NaN); 'periodic' needs no
        chain factor (None).

        One ``tan`` per entry gives the first order by the half-angle
        formulas (with ``t = tan(wz / 2)``: ``sin = 2t / (1 + t**2)``,
        ``cos = 2 / (1 + t**2) - 1``; a huge ``t`` gives 0 and -1, the right
        limits); the others follow from ``x_{k+1} = 2 cos(wz) x_k - x_{k-1}``
        (sine and cosine alike), two multiply-adds per row. For odd M the
        last row is the cosine partner of the last sine, which the slope
        needs.
        """
        K = (self.n_basis + 1) // 2
        flat = z.reshape(-1)
        rows = np.empty((2 * K, flat.size), dtype=z.dtype)
        s1, c1 = rows[0], rows[1]
        half_w = z.dtype.type(0.5 * self.frequency)
        chain = None
        if self.extrapolation == "constant":
            end = z.dtype.type(self.scale)
            if need_slope:
                chain = ((z >= -end) & (z <= end)).astype(z.dtype)
            t = np.clip(flat, -end, end)
            t *= half_w
        else:
            t = np.multiply(flat, half_w)
        np.tan(t, out=t)
        np.multiply(t, t, out=c1)
        c1 += 1.0
        with np.errstate(divide="ignore"):
            np.divide(2.0, c1, out=c1)  # 2 / (1 + t^2), 0 if t^2 overflowed
        np.multiply(t, c1, out=s1)
        c1 -= 1.0
        if K > 1:
            two_c = np.add(c1, c1, out=t)
            # sin 2x = 2 cos x sin x, cos 2x = 2 cos x cos x - 1
            np.multiply(rows[0:2], two_c, out=rows[2:4])
            rows[3] -= 1.0
            for k in range(2, K):  # the (sin, cos) pair of order k + 1
                pair = rows[2 * k : 2 * k + 2]
                np.multiply(rows[2 * k - 2 : 2 * k], two_c, out=pair)
                pair -= rows[2 * k - 4 : 2 * k - 2]
        return rows.reshape((2 * K,) + z.shape), chain

    def _slope_coefficients(self, coef):
        """d/dz (a sin(kwz) + b cos(kwz)) = kw a cos(kwz) - kw b sin(kwz)."""
        M, K = self.n_basis, (self.n_basis + 1) // 2
        padded = np.zeros(coef.shape[:-1] + (2 * K,), dtype=coef.dtype)
        padded[..., :M] = coef
        kw = (self.frequency * np.arange(1, K + 1)).astype(coef.dtype)
        slope = np.empty_like(padded)
        slope[..., 1::2] = kw * padded[..., 0::2]
        slope[..., 0::2] = -kw * padded[..., 1::2]
        return slope

    def _evaluate(self, z, derivative):
        M = self.n_basis
        rows, chain = self._fill(z, derivative)
        phi = rows[:M]
        if not derivative:
            return phi, None
        # f_k' from the same rows: the slope coefficients of each unit vector
        kw = self.frequency * (np.arange(M) // 2 + 1)
        dphi = np.empty_like(phi)
        for k in range(M):
            partner = rows[k + 1] if k % 2 == 0 else rows[k - 1]
            sign = 1.0 if k % 2 == 0 else -1.0
            np.multiply(partner, z.dtype.type(sign * kw[k]), out=dphi[k])
        if chain is not None:
            dphi *= chain
        return phi, dphi

    def numpy_terms(self, x):
        # np.sin(k*w*x), np.cos(k*w*x), with k*w written exactly (x clipped
        # to the design range first when the functions are held beyond it)
        if self.extrapolation == "constant":
            end = exact_number(self.scale)
            x = f"np.clip({x}, -{end}, {end})"
        terms = []
        for j, k in enumerate(self.orders()):
            fn = "np.sin" if j % 2 == 0 else "np.cos"
            terms.append(f"{fn}({times(k * self.frequency, x)})")
        return terms

    def onnx_terms(self, g, Z):
        # one Sin and one Cos of wZ, then the higher orders by angle addition:
        # sin((k+1)x) = sin(kx) cos x + cos(kx) sin x,
        # cos((k+1)x) = cos(kx) cos x - sin(kx) sin x
        M = self.n_basis
        if self.extrapolation == "constant":
            Z = g.op("Clip", [Z, g.const(-self.scale), g.const(self.scale)])
        wz = g.mul(Z, self.frequency)
        s1, c1 = g.op("Sin", [wz]), g.op("Cos", [wz])
        terms, s, c = [], s1, c1
        for j in range((M + 1) // 2):
            terms.append(s)
            if 2 * j + 1 < M:
                terms.append(c)
            if 2 * j + 2 < M:
                s, c = (
                    g.add(g.mul(s, c1), g.mul(c, s1)),
                    g.sub(g.mul(c, c1), g.mul(s, s1)),
                )
        return terms
