"""BaseVNN: the parameters and their validation, prediction, and the
inspection methods.

Training lives in ``_training.py`` (:class:`TrainingMixin`): the public
``fit``/``partial_fit`` validate input and call its ``_fit``. The maths
lives in ``_network.py`` (forward/backward), ``_losses.py`` (links and
losses) and ``_objective.py`` (the objective the solvers minimise).
"""

import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import validate_data

from sklearn_vnn import _network
from sklearn_vnn._callbacks import CallbackSupportMixin
from sklearn_vnn._losses import LINKS
from sklearn_vnn._range_check import range_check, warn_if_out_of_range
from sklearn_vnn._solvers import SOLVERS
from sklearn_vnn._training import TrainingMixin
from sklearn_vnn.bases import BASES, Basis


class BaseVNN(TrainingMixin, CallbackSupportMixin, BaseEstimator, ABC):
    """Base class of VNNClassifier and VNNRegressor. Use those."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "basis": [StrOptions(BASES.keys()), Basis],
        "n_basis": [Interval(Integral, 1, None, closed="left")],
        "basis_params": [dict, None],
        "activation_scope": [StrOptions({"layer", "neuron"})],
        "activation_init": [
            StrOptions({"tanh", "relu", "logistic", "identity", "random"})
        ],
        "learn_activation": ["boolean"],
        "learn_output_activation": ["boolean"],
        "activation_alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions(set(SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "adapt_range": ["boolean"],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        basis,
        n_basis,
        basis_params,
        activation_scope,
        activation_init,
        learn_activation,
        learn_output_activation,
        activation_alpha,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        n_init,
        adapt_range,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.basis = basis
        self.n_basis = n_basis
        self.basis_params = basis_params
        self.activation_scope = activation_scope
        self.activation_init = activation_init
        self.learn_activation = learn_activation
        self.learn_output_activation = learn_output_activation
        self.activation_alpha = activation_alpha
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.n_init = n_init
        self.adapt_range = adapt_range

    # ------------------------------------------------------------------
    # prediction
    # ------------------------------------------------------------------
    def _forward_pass_fast(self, X, check_input=True, warn=True):
        """Predictions after the link, shape (n_samples, n_outputs); ``warn``
        about non-finite ones."""
        if check_input:
            X = validate_data(
                self,
                X,
                accept_sparse=["csr", "csc"],
                dtype=(np.float64, np.float32),
                reset=False,
            )
        # user inputs (check_input) are checked against the training range;
        # training's own validation scores are not
        check = range_check(self, X.shape[0]) if check_input else None
        # an overflow inside the network (huge inputs) is harmless while the
        # bounded bases saturate; only a non-finite output is worth a word
        with np.errstate(over="ignore", invalid="ignore"):
            G = _network.predict_forward(
                X,
                self.coefs_,
                self.intercepts_,
                self.activation_coefs_,
                self.output_activation_coefs_,
                self.basis_,
                range_check=check,
            )
            out = LINKS[self.out_activation_].inverse(G)
        warn_if_out_of_range(check)
        if warn and not np.isfinite(out).all():
            warnings.warn(
                "Some predictions are not finite: these inputs overflow the "
                "network. Scale X as it was scaled for training.",
                RuntimeWarning,
            )
        return out

    def _score_with_function(self, X, y, sample_weight, score_function):
        y_pred = self._predict(X, check_input=False)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def _check_solver(self):
        if not SOLVERS[self.solver].supports_partial_fit:
            raise AttributeError(
                "partial_fit is only available for stochastic"
                " optimizers. %s is not stochastic." % self.solver
            )
        return True

    # ------------------------------------------------------------------
    # inspection: the learned activations (see inspection.py)
    # ------------------------------------------------------------------
    def activation_function(self, layer, neuron=None):
        """The learned activation of a hidden layer (or neuron) as a callable.

        Parameters
        ----------
        layer : int
            Hidden layer, counted from 0 (negative counts from the end).
        neuron : int or None, default=None
            The unit. Required for ``activation_scope='neuron'``; in 'layer'
            scope all units share the layer's activation.

        Returns
        -------
        F : sklearn_vnn.inspection.LearnedActivation
            ``F(z) = sum_k C_k f_k(z)`` elementwise (float64),
            ``F.derivative(z)`` its slope, ``F.range`` the recorded range of
            the layer's pre-activations (``activation_ranges_``).

        Examples
        --------
        >>> from sklearn.datasets import make_regression
        >>> from sklearn_vnn import VNNRegressor
        >>> X, y = make_regression(n_samples=50, n_features=3, random_state=0)
        >>> est = VNNRegressor(hidden_layer_sizes=(4,), solver="lbfgs",
        ...                    max_iter=200, random_state=0).fit(X, y / 100)
        >>> F = est.activation_function(0)
        >>> F([-1.0, 0.0, 1.0]).shape
        (3,)
        """
        from sklearn_vnn.inspection import activation_function

        return activation_function(self, layer, neuron)

    def activation_formula(
        self, layer, neuron=None, *, tol=0.0, max_terms=None, digits=None
    ):
        """The learned activation written out as a numpy expression in ``x``.

        Terms (``C_k f_k(x)``, each basis function written out) are ordered
        by ``|C_k|`` times the RMS of ``f_k`` over the recorded range of
        pre-activations. With the defaults nothing is dropped or rounded, and
        the expression evaluates with numpy to :meth:`activation_function`.

        Parameters
        ----------
        layer : int
            Hidden layer, counted from 0.
        neuron : int or None, default=None
            The unit (required for ``activation_scope='neuron'``).
        tol : float, default=0.0
            Drop the terms smaller than ``tol`` times the largest.
        max_terms : int or None, default=None
            Keep at most this many (the largest) terms.
        digits : int or None, default=None
            Significant digits of the coefficients; None prints them exactly.

        Returns
        -------
        formula : sklearn_vnn.inspection.ActivationFormula
            ``str(formula)`` is the expression; ``formula.rms_error`` is the
            RMS error (over the recorded range) that dropping and rounding
            cost, ``formula.dropped`` the terms left out.
        """
        from sklearn_vnn.inspection import activation_formula

        return activation_formula(
            self, layer, neuron, tol=tol, max_terms=max_terms, digits=digits
        )

    def __sklearn_is_fitted__(self):
        # classes_ alone (set by a first partial_fit before training) is not a
        # fitted model; the parameters are
        return hasattr(self, "coefs_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
