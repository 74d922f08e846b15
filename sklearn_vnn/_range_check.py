"""Warn when prediction inputs leave the range the network was trained on.

A learned activation ``F(z) = sum_k C_k f_k(z)`` is fitted only where the
training data put the pre-activations ``z``; outside, it extrapolates
arbitrarily (a polynomial grows, a Fourier series keeps whatever shape it
learned up to the end of its design range; a relu or tanh is far more
predictable). So every fit records, per hidden layer and unit, the smallest
and largest pre-activation on (at most 1000 evenly spaced rows of) the training
data (``_preactivation_bounds_``, see :func:`record_bounds`), and
``predict``, ``predict_proba`` (and what calls them) count the rows that
drive some unit's pre-activation beyond its bounds by more than ``MARGIN``
times the width of those bounds. When more than ``MIN_SHARE`` of the rows
(and at least one) do, an :class:`OutOfRangeWarning` says how many rows and
which layers. The check rides on the prediction's own forward pass
(``_network.forward``'s ``range_check``): two comparisons per
pre-activation, in row blocks that stay in cache, or inside the numba
kernels' pass over the layer.

The defaults come from ``benchmarks/range_warning_study.py`` (results in
``benchmarks/results/range_warning.md``): 5-fold cross-validation on iris,
wine, breast_cancer, digits, diabetes and make_friedman1 (standardised),
with an 'lbfgs' (32 units) and an 'adam' (100 units) fit each. Largest
share of flagged held-out rows over the folds, at a margin of 0.25 / 0.5 /
1 width: 5.6% / 0.9% / 0.3% (wine / breast_cancer / digits); of training
rows 0.1% / 0.1% / 0 (digits, whose 1437 training rows exceed the 1000 the
bounds are taken on). Held-out rows shifted by 10 standard deviations in
every feature were all flagged at every margin. Shifting feature 0 alone by
10 standard deviations was flagged, at a margin of 0.5 (1), on at least
100% (100%) of the rows for iris, 56% (0%) for wine, 100% (14%) for
diabetes, 99% (16%) for make_friedman1, and on few or none for
breast_cancer and digits, whose networks weigh that feature little. Hence
a margin of 0.5 width, which catches most single-feature shifts, and a
share of 2%, twice the worst held-out fold: on data from the training
distribution the warning does not fire, and a row predicted alone warns
only when it is itself out of range (0.9% of in-distribution rows at
worst).
"""

import warnings

import numpy as np

from sklearn_vnn import _kernels

#: how far beyond its training bounds a unit's pre-activation may go, in
#: units of the bounds' width, before its row counts as out of range
MARGIN = 0.5
#: the share of out-of-range rows above which predictions warn
MIN_SHARE = 0.02
# pre-activations compared per block of rows
_BLOCK_ELEMENTS = 2**18


class OutOfRangeWarning(UserWarning):
    """Inputs drove the network's pre-activations beyond the training range.

    Issued by ``predict`` and ``predict_proba`` (and so ``score`` and
    ``predict_log_proba``) of a fitted VNN when more than 2% of the rows
    take some hidden unit's pre-activation beyond the smallest or largest
    value it had on the training data, by more than half the width of that
    range: there the learned activations extrapolate, and the predictions
    are not to be trusted. Silence it with
    ``warnings.filterwarnings("ignore", category=OutOfRangeWarning)``.
    """


def record_bounds(est, X):
    """The smallest and largest pre-activation of every hidden unit.

    Parameters
    ----------
    est : BaseVNN
        With its final parameters (the end of ``_fit``).
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The validated training input; at most 1000 evenly spaced rows are
        used.

    Returns
    -------
    bounds : list of ndarray of shape (n_units, 2), one per hidden layer
        Column 0 the minimum, column 1 the maximum (float64).
    fingerprint : tuple of float
        :func:`fingerprint` of the parameters they belong to.
    """
    from sklearn_vnn._ranges import preactivation_pass

    bounds = []

    def record(layer, Z):
        bounds.append(np.column_stack([Z.min(axis=0), Z.max(axis=0)]).astype(float))

    preactivation_pass(est, X, record)
    return bounds, fingerprint(est)


def fingerprint(est):
    """The sums of the parameter arrays: the bounds describe the parameters
    they were recorded with, and parameters set by hand after fit (say
    copied from another model) are told apart by these sums."""
    arrays = [*est.coefs_, *est.intercepts_, *est.activation_coefs_]
    if est.output_activation_coefs_ is not None:
        arrays.append(est.output_activation_coefs_)
    return tuple(float(np.sum(a)) for a in arrays)


def range_check(est, n_samples):
    """The hook for a prediction of ``n_samples`` rows, or None when there
    is nothing to check against: no bounds recorded (a model fitted before
    they existed, or the model of an iteration handed to callbacks), or
    parameters changed since they were recorded."""
    bounds = getattr(est, "_preactivation_bounds_", None)
    if bounds is None or getattr(est, "_bounds_fingerprint", None) != fingerprint(est):
        return None
    return RangeCheck(bounds, n_samples)


def warn_if_out_of_range(check):
    """Issue the :class:`OutOfRangeWarning` a :class:`RangeCheck` calls for."""
    message = None if check is None else check.message()
    if message is not None:
        warnings.warn(message, OutOfRangeWarning, stacklevel=4)


class RangeCheck:
    """Counts the out-of-range rows of one prediction (``_network.forward``'s
    ``range_check``), layer by layer.

    Parameters
    ----------
    bounds : list of ndarray of shape (n_units, 2)
        From :func:`record_bounds`.
    n_samples : int
        Rows of the prediction.
    margin : float, default=MARGIN
    """

    def __init__(self, bounds, n_samples, margin=MARGIN):
        self.limits = []
        for b in bounds:
            # bounds near the end of the float range: the width overflows to
            # inf and the limits with it, which flags nothing there
            with np.errstate(over="ignore", invalid="ignore"):
                width = b[:, 1] - b[:, 0]
                low, high = b[:, 0] - margin * width, b[:, 1] + margin * width
            self.limits.append((low, high))
        self.flagged = np.zeros(n_samples, dtype=bool)
        self.per_layer = [0] * len(bounds)

    def layer(self, layer):
        """The check of one hidden layer (a :class:`LayerCheck`)."""
        return LayerCheck(self, layer)

    def rows(self, start, stop):
        """The check of the rows ``start:stop`` alone, for a forward pass
        over those rows (``_network.predict_forward`` runs blocks of rows
        through the network one after the other): its layers count into
        this check."""
        return _RowBlock(self, slice(start, stop))

    def message(self, min_share=MIN_SHARE):
        """The warning's text, or None when too few rows are out of range."""
        n_out, n_rows = int(self.flagged.sum()), self.flagged.shape[0]
        if n_out == 0 or n_out <= min_share * n_rows:
            return None
        layers = ", ".join(
            f"{layer} ({count} rows)"
            for layer, count in enumerate(self.per_layer)
            if count
        )
        return (
            f"{n_out} of {n_rows} rows ({n_out / n_rows:.1%}) drive "
            f"pre-activations beyond the range seen in training, in hidden "
            f"layer(s) {layers}: there the learned activations extrapolate, "
            "and the predictions are unreliable. Are these inputs scaled as "
            "the training data were? To silence this warning: "
            'warnings.filterwarnings("ignore", category=OutOfRangeWarning).'
        )


class LayerCheck:
    """One hidden layer's part of a :class:`RangeCheck`.

    Called with the layer's pre-activations ``Z``, it flags their rows in a
    pass of its own; the numba kernels instead flag them in the activation's
    pass, from :meth:`limits`, and hand the flags to :meth:`record`.
    """

    def __init__(self, check, layer, rows=slice(None)):
        self.check, self.index, self.rows = check, layer, rows

    def limits(self, dtype):
        """``(low, high)``, one pair per unit, in ``dtype``."""
        return tuple(limit.astype(dtype) for limit in self.check.limits[self.index])

    def record(self, rows):
        """Count the flagged ``rows`` (bool, one per sample of this check's
        rows) for this layer."""
        self.check.per_layer[self.index] += int(rows.sum())
        self.check.flagged[self.rows] |= rows

    def __call__(self, Z):
        low, high = self.limits(Z.dtype)
        rows = np.empty(Z.shape[0], dtype=bool)
        if not _kernels.rows_out_of_range(Z, low, high, rows):
            self._rows_with_numpy(Z, low, high, rows)
        self.record(rows)

    @staticmethod
    def _rows_with_numpy(Z, low, high, rows):
        n_rows, n_units = Z.shape
        block = max(1, _BLOCK_ELEMENTS // max(n_units, 1))
        # row blocks keep the two comparison masks in cache
        below = np.empty((min(block, n_rows), n_units), dtype=bool)
        above = np.empty_like(below)
        for start in range(0, n_rows, block):
            Zb = Z[start : start + block]
            m = Zb.shape[0]
            np.less(Zb, low, out=below[:m])
            np.greater(Zb, high, out=above[:m])
            below[:m] |= above[:m]
            below[:m].any(axis=1, out=rows[start : start + m])


class _RowBlock:
    """A :class:`RangeCheck` seen from a forward pass over some of its rows
    (see :meth:`RangeCheck.rows`)."""

    def __init__(self, check, rows):
        self.check, self.rows = check, rows

    def layer(self, layer):
        """The check of one hidden layer on these rows."""
        return LayerCheck(self.check, layer, self.rows)
