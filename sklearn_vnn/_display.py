"""ActivationDisplay: learned activations plotted over the pre-activations
seen in training (scikit-learn's Display API). Public through
:mod:`sklearn_vnn.inspection`."""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_vnn._classic import fit_classic_activations
from sklearn_vnn._learned import _check_layer_neuron, _n_hidden, activation_function


# ----------------------------------------------------------------------
# the display
# ----------------------------------------------------------------------
def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "ActivationDisplay needs matplotlib, an optional dependency: "
            "pip install sklearn-vnn[plot]"
        ) from exc
    return plt


class ActivationDisplay:
    """Learned activations plotted over the pre-activations seen in training.

    One panel per hidden layer: its learned activation (one curve in
    'layer' scope, a handful of neurons in 'neuron' scope) over the
    recorded pre-activation range, and dashed the activation it started as.
    Build it with :meth:`from_estimator`; ``__init__`` only stores
    precomputed curves (as scikit-learn's displays do).

    Parameters
    ----------
    z : list of list of ndarray
        ``z[p][i]`` are the inputs of curve i of panel p.
    activations : list of list of ndarray
        ``activations[p][i]``: the learned activation at ``z[p][i]``.
    initial_activations : list of list of ndarray or None
        The starting activation at the same inputs, drawn dashed; None to
        leave it out.
    labels : list of list of str
        Legend entry of each curve.
    titles : list of str
        Title of each panel.
    nearest : list of list of ClassicFit or None, default=None
        The nearest classic activation of each curve, if computed.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes, shape (n_panels,)
    ax_ : matplotlib Axes or ndarray of Axes
        The Axes when there is one panel, else ``axes_``.
    lines_ : list of list of matplotlib Line2D
        The learned curves, per panel.
    initial_lines_ : list of list of matplotlib Line2D
        The dashed starting curves, per panel (empty lists if not drawn).
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_vnn import ActivationDisplay, VNNRegressor
    >>> X, y = make_regression(n_samples=60, n_features=3, random_state=0)
    >>> est = VNNRegressor(hidden_layer_sizes=(5, 4), solver="lbfgs",
    ...                    max_iter=200, random_state=0).fit(X, y / 100)
    >>> disp = ActivationDisplay.from_estimator(est)
    >>> len(disp.axes_), len(disp.lines_[0]), len(disp.initial_lines_[0])
    (2, 1, 1)
    """

    def __init__(
        self, *, z, activations, initial_activations, labels, titles, nearest=None
    ):
        if not len(z) == len(activations) == len(labels) == len(titles):
            raise ValueError("z, activations, labels and titles differ in length.")
        self.z = z
        self.activations = activations
        self.initial_activations = initial_activations
        self.labels = labels
        self.titles = titles
        self.nearest = nearest

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        layer=None,
        neurons=None,
        ax=None,
        n_points=200,
        show_initial=True,
        nearest=False,
        max_neurons=5,
        line_kw=None,
    ):
        """Plot the learned activations of a fitted VNN.

        Parameters
        ----------
        estimator : VNNClassifier, VNNRegressor or Pipeline
            A fitted estimator, or a fitted Pipeline ending in one.
        layer : int, list of int or None, default=None
            The hidden layers (counted from 0) to plot, one panel each;
            None plots all.
        neurons : list of int or None, default=None
            For ``activation_scope='neuron'``: the units to draw in each
            panel; None draws the first ``max_neurons``. Not allowed for
            'layer' scope, where all units share one activation.
        ax : matplotlib Axes, array of Axes or None, default=None
            One Axes per panel; None makes a new figure.
        n_points : int, default=200
            Points per curve.
        show_initial : bool, default=True
            Also draw, dashed, the activation each curve started as.
        nearest : bool, default=False
            Add the nearest classic activation and its R^2 to each label
            (see :func:`nearest_classic_activation`; takes a moment) and
            keep the fits in the display's ``nearest``.
        max_neurons : int, default=5
            How many neurons to draw per panel when ``neurons`` is None.
        line_kw : dict or None, default=None
            Keyword arguments of the learned curves' ``plot`` call.

        Returns
        -------
        display : ActivationDisplay
        """
        if hasattr(estimator, "steps"):  # a Pipeline: its final estimator
            estimator = estimator[-1]
        layers = _check_panels(estimator, layer, neurons, n_points, max_neurons)
        neuron_scope = estimator.activation_scope == "neuron"
        z, acts, inits, labels, titles, fits = [], [], [], [], [], []
        for ell in layers:
            ell, _ = _check_layer_neuron(estimator, ell, 0 if neuron_scope else None)
            if neuron_scope:
                n_units = estimator.coefs_[ell].shape[1]
                units = range(min(n_units, max_neurons)) if neurons is None else neurons
                units = list(units)
            else:
                units = [None]
            pz, pa, pi, pl, pf = _panel(estimator, ell, units, n_points, nearest)
            z.append(pz)
            acts.append(pa)
            inits.append(pi)
            labels.append(pl)
            fits.append(pf)
            titles.append(f"hidden layer {ell}")
        display = cls(
            z=z,
            activations=acts,
            initial_activations=inits if show_initial else None,
            labels=labels,
            titles=titles,
            nearest=fits if nearest else None,
        )
        return display.plot(ax=ax, line_kw=line_kw)

    def plot(self, ax=None, *, line_kw=None):
        """Draw the panels.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes or None, default=None
            One Axes per panel; None makes a new figure.
        line_kw : dict or None, default=None
            Keyword arguments of the learned curves' ``plot`` call.

        Returns
        -------
        display : ActivationDisplay
            ``self``, with ``axes_``, ``ax_``, ``lines_``, ``initial_lines_``
            and ``figure_`` set.
        """
        plt = _import_pyplot()
        n_panels = len(self.titles)
        if ax is None:
            ncols = min(n_panels, 3)
            nrows = -(-n_panels // ncols)
            fig, axes = plt.subplots(
                nrows,
                ncols,
                figsize=(4.2 * ncols, 3.4 * nrows),
                squeeze=False,
                layout="constrained",
            )
            for extra in axes.ravel()[n_panels:]:
                extra.set_visible(False)
            axes = axes.ravel()[:n_panels]
        else:
            axes = np.ravel(np.asarray(ax, dtype=object))
            if axes.size != n_panels:
                raise ValueError(
                    f"ax has {axes.size} Axes for {n_panels} panels; pass one "
                    "Axes per hidden layer plotted."
                )
            fig = axes[0].figure
        line_kw = dict(line_kw or {})
        self.lines_, self.initial_lines_ = [], []
        for p, a in enumerate(axes):
            lines, initial_lines = [], []
            for i, (zz, yy) in enumerate(zip(self.z[p], self.activations[p])):
                color = f"C{i % 10}"
                kw = {"color": color, "label": self.labels[p][i], **line_kw}
                lines.extend(a.plot(zz, yy, **kw))
                if self.initial_activations is not None:
                    initial_lines.extend(
                        a.plot(
                            zz,
                            self.initial_activations[p][i],
                            linestyle="--",
                            color=lines[-1].get_color(),
                            alpha=0.6,
                            label="initial" if i == 0 else None,
                        )
                    )
            a.set_title(self.titles[p])
            a.set_xlabel("pre-activation z")
            a.set_ylabel("F(z)")
            a.legend(fontsize="x-small" if len(lines) > 2 else "small", framealpha=0.6)
            self.lines_.append(lines)
            self.initial_lines_.append(initial_lines)
        self.axes_ = axes
        self.ax_ = axes[0] if n_panels == 1 else axes
        self.figure_ = fig
        return self


def _check_panels(estimator, layer, neurons, n_points, max_neurons):
    """Validate what ``from_estimator`` is asked to draw; the layers as a list."""
    check_is_fitted(estimator, "activation_coefs_")
    n_hidden = _n_hidden(estimator)
    if n_hidden == 0:
        raise ValueError("This network has no hidden layers, so no activations.")
    if layer is None:
        layers = list(range(n_hidden))
    elif isinstance(layer, numbers.Integral):
        layers = [layer]
    else:
        layers = list(layer)
    if not layers:
        raise ValueError("layer must name at least one hidden layer.")
    if not isinstance(n_points, numbers.Integral) or n_points < 2:
        raise ValueError(f"n_points must be an int >= 2, got {n_points!r}.")
    if not isinstance(max_neurons, numbers.Integral) or max_neurons < 1:
        raise ValueError(f"max_neurons must be an int >= 1, got {max_neurons!r}.")
    if neurons is not None and not len(neurons):
        raise ValueError("neurons must name at least one unit, or be None.")
    if neurons is not None and estimator.activation_scope != "neuron":
        raise ValueError(
            "neurons applies to activation_scope='neuron' only; in 'layer' "
            "scope all units of a layer share one activation."
        )
    return layers


def _panel(estimator, layer, units, n_points, nearest):
    """The curves of one panel: grids, learned and initial values, labels
    and (with ``nearest``) the nearest classic fits, one per unit."""
    pz, pa, pi, pl, pf = [], [], [], [], []
    for j in units:
        F = activation_function(estimator, layer, j)
        grid = np.linspace(*F.range, n_points)
        pz.append(grid)
        pa.append(F(grid))
        pi.append(activation_function(estimator, layer, j, initial=True)(grid))
        label = "learned" if j is None else f"neuron {j}"
        if nearest:
            fit = fit_classic_activations(F, *F.range)[0]
            label += f" (~{fit.name}, R²={fit.r2:.3f})"
            pf.append(fit)
        pl.append(label)
    return pz, pa, pi, pl, pf
