"""Initialisation, warm starts and the training loop around the solvers.

``fit`` and ``partial_fit`` (the estimators) validate their input and call
:meth:`TrainingMixin._fit`, which holds only the algorithm: build (or
reuse, or move onto a new basis) the flat parameter vector, restart
``n_init`` times, adapt the ranges, run the solver named by ``solver``
(``_solvers``) on the :class:`~sklearn_vnn._objective.Objective`, and check
what it left. A call that raises changes nothing (``_recovery.py``).
"""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight

from sklearn_vnn import _network
from sklearn_vnn._callbacks import fit_callbacks
from sklearn_vnn._objective import Objective
from sklearn_vnn._range_check import record_bounds
from sklearn_vnn._ranges import ranges_and_output
from sklearn_vnn._recovery import (
    DivergenceError,
    divergence_message,
    restore,
    snapshot,
    warn_if_no_better_than_constant,
)
from sklearn_vnn._refine import adapt_ranges, change_basis
from sklearn_vnn._solvers import SOLVERS
from sklearn_vnn.bases import make_basis

# how many times the loss a range adaptation may multiply before it is undone
# (a useful one changed it by 6 to 9% on exp(sin(pi x) + y**2))
_ADAPT_SLACK = 1.5


class TrainingMixin:
    """The training half of :class:`~sklearn_vnn._base.BaseVNN`."""

    # ------------------------------------------------------------------
    # set-up
    # ------------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(not isinstance(s, Integral) or isinstance(s, bool) for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must contain positive ints, got {sizes}."
            )
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _output_link(self):
        """'identity', 'exp', 'logistic' or 'softmax' (MLP's out_activation_)."""
        if not is_classifier(self):
            return "exp" if self.loss == "poisson" else "identity"
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _initialize(self, y, layer_units, dtype):
        """First fit: basis, layout, Glorot weights, starting coefficients."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_link()
        self.basis_ = make_basis(self.basis, self.n_basis, self.basis_params)
        n_basis = self.basis_.n_basis
        self._layout = _network.Layout(
            layer_units,
            n_basis,
            self.activation_scope,
            self.learn_output_activation,
        )

        # Glorot uniform initialisation, drawn in MLP's order (layer by layer,
        # weights then intercepts) so that the same random_state gives MLP's
        # starting weights.
        factor = 2.0 if self.activation_init == "logistic" else 6.0
        rng = self._random_state
        weights, biases = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            weights.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
            biases.append(rng.uniform(-bound, bound, fan_out))

        hidden_C = []
        for units in layer_units[1:-1]:
            if self.activation_scope == "layer":
                C = self._start_coefficients(self.activation_init)
            elif self.activation_init == "random":  # an independent draw per neuron
                C = np.vstack(
                    [self._start_coefficients("random") for _ in range(units)]
                )
            else:
                C = np.tile(self._start_coefficients(self.activation_init), (units, 1))
            hidden_C.append(C)
        output_C = None
        if self.learn_output_activation:
            # the output combination starts as the identity: a conventional
            # output layer followed by the link
            output_C = self.basis_.initial_coefficients("identity")

        theta = self._layout.pack(weights, biases, hidden_C, output_C, dtype)
        self._bind(theta)
        self.activation_init_coefs_ = [C.copy() for C in self.activation_coefs_]
        # where the coefficient prior is centred (see _objective.py): every
        # combination's start, the identity for the output one
        self._activation_centre = theta[self._layout.n_weights_biases :].astype(
            np.float64
        )

        SOLVERS[self.solver](self).init_state()

    def _start_coefficients(self, name):
        seed = None
        if name == "random":
            seed = self._random_state.randint(np.iinfo(np.int32).max)
        coef = np.asarray(self.basis_.initial_coefficients(name, seed), dtype=float)
        if coef.shape != (self.basis_.n_basis,) or not np.isfinite(coef).all():
            raise ValueError(
                f"The basis {self.basis_!r} gave invalid starting coefficients "
                f"for activation_init={name!r}: {coef}."
            )
        return coef

    def _bind(self, theta):
        """Make the public parameter attributes views into ``theta``."""
        weights, biases, hidden_C, output_C = self._layout.views(theta)
        self.coefs_ = list(weights)
        self.intercepts_ = list(biases)
        self.activation_coefs_ = list(hidden_C)
        self.output_activation_coefs_ = output_C

    def _pack_current(self, dtype):
        """A flat vector from the public attributes (which a user may have
        replaced, or which unpickling made independent arrays)."""
        return self._layout.pack(
            self.coefs_,
            self.intercepts_,
            self.activation_coefs_,
            self.output_activation_coefs_,
            dtype,
        )

    def _check_warm_layout(self, layer_units, X, incremental):
        """A warm start keeps the network; a new basis (the refinement
        ladder, see ``_refine.py``) is projected onto, in ``fit`` only."""
        if list(layer_units) != self._layout.layer_units:
            raise ValueError(
                "The network shape changed since the last fit: layer sizes "
                f"{self._layout.layer_units} before, {list(layer_units)} now. "
                "Set warm_start=False (or refit) to train a new network."
            )
        if (
            self.activation_scope != self._layout.scope
            or self.learn_output_activation != self._layout.learn_output
        ):
            raise ValueError(
                "activation_scope and learn_output_activation cannot change "
                "between warm-started fits or partial_fit calls. Set "
                "warm_start=False to refit."
            )
        if make_basis(self.basis, self.n_basis, self.basis_params) == self.basis_:
            return
        if incremental:
            raise ValueError(
                "basis, n_basis and basis_params cannot change between "
                "partial_fit calls; a warm-started fit projects the learned "
                "activations onto a new basis."
            )
        self._change_basis(X)

    def _change_basis(self, X):
        """The refinement ladder: every activation projected onto the basis
        the parameters now name (``_refine.change_basis``)."""
        basis, hidden_C, output_C, centre = change_basis(self, X)
        self._layout = _network.Layout(
            self._layout.layer_units,
            basis.n_basis,
            self.activation_scope,
            self.learn_output_activation,
        )
        self.basis_ = basis
        theta = self._layout.pack(
            self.coefs_, self.intercepts_, hidden_C, output_C, X.dtype
        )
        self._bind(theta)
        n_hidden = len(hidden_C)
        self.activation_init_coefs_ = [np.asarray(C) for C in centre[:n_hidden]]
        self._activation_centre = np.concatenate([np.ravel(C) for C in centre])
        # the optimiser's moments belong to the old parameters
        vars(self).pop("_optimizer", None)

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def _objective(self, theta, grad, X, y, sample_weight):
        """The training objective at ``theta``, its gradient into ``grad``
        (see ``_objective.py``), for the current parameters. Every solver
        evaluates the objective through this method.

        The :class:`Objective` is built once per set of what defines it (a
        rebuild per batch, with its prior's matrix, cost 0.85 ms against a
        2.7 ms forward and backward pass of (256, 256) units on 200 rows)."""
        key = (
            self.alpha,
            self.activation_alpha,
            id(self.basis_),
            id(self._layout),
            id(getattr(self, "_activation_centre", None)),
        )
        cached = getattr(self, "_objective_cache", None)
        if cached is None or cached[0] != key:
            cached = (key, Objective.from_estimator(self))
            self._objective_cache = cached
        return cached[1].loss_gradient(theta, grad, X, y, sample_weight)

    def _fit(self, X, y, sample_weight=None, incremental=False):
        # a call that raises changes nothing (see _recovery.py)
        state = snapshot(self)
        try:
            return self._fit_unguarded(X, y, sample_weight, incremental)
        except Exception as exc:
            restore(self, state, drop_optimizer=isinstance(exc, DivergenceError))
            raise

    def _fit_unguarded(self, X, y, sample_weight, incremental):
        hidden = self._hidden_sizes()
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y, sample_weight = self._validate_training_data(
            X, y, sample_weight, incremental, reset=first_pass
        )
        layer_units = [X.shape[1]] + hidden + [y.shape[1]]
        self._random_state = check_random_state(self.random_state)
        if not first_pass:
            self._check_warm_layout(layer_units, X, incremental)
            if self.adapt_range and not incremental:
                self._adapt_range(X, (y, sample_weight))
            return self._train(X, y, sample_weight, incremental)
        best, best_loss = None, np.inf
        for _ in range(self.n_init):
            # each start draws from the same random state, in turn
            self._initialize(y, layer_units, X.dtype)
            if self.adapt_range:
                self._adapt_range(X)
            self._train(X, y, sample_weight, incremental)
            if self.n_init > 1 and (best is None or self.loss_ < best_loss):
                best, best_loss = snapshot(self), self.loss_
        if self.n_init > 1:
            restore(self, best)
            self._bind(self._pack_current(X.dtype))
        return self

    def _adapt_range(self, X, guard=None):
        """Each layer's pre-activations onto the basis's design range
        (``_refine.adapt_ranges``), the network's function kept.

        With ``guard=(y, sample_weight)`` (a warm start: a trained model
        to keep), an adaptation that raises the training objective more
        than ``_ADAPT_SLACK`` times is undone, as between the stages of
        ``_solve_in_stages``: a fitted network whose pre-activations had
        left the design range went from a loss of 0.005 to 9e17 at the
        start of a warm-started fit (a refinement ladder, n_basis 4 -> 8),
        and the solver did not recover."""
        theta = self._pack_current(X.dtype)
        self._bind(theta)
        if guard is None:
            adapt_ranges(self, X)
            return
        y, sample_weight = guard
        reference = self._objective(theta, np.empty_like(theta), X, y, sample_weight)
        self._adapt_or_undo(theta, X, y, sample_weight, reference)

    def _adapt_or_undo(self, theta, X, y, sample_weight, reference):
        """``adapt_ranges`` on the bound ``theta``, undone when the objective
        after it is not within ``_ADAPT_SLACK`` times ``reference``."""
        before = theta.copy()
        adapt_ranges(self, X)
        loss = self._objective(theta, np.empty_like(theta), X, y, sample_weight)
        if not loss <= _ADAPT_SLACK * reference:
            theta[:] = before

    def _solve_in_stages(self, solver, objective, theta, n_train, X, y, sw):
        """``adapt_range`` for 'lbfgs' and 'lm': the budget ``max_iter`` in
        stages of 10, 20, 30 and 40%, the ranges adapted before each (the
        first adaptation is ``fit``'s), until a stage after the first meets
        its tolerances. Pre-activations move while fitting; on
        exp(sin(pi x) + y**2) a (2, 1) network stalled at a test RMSE of
        5e-6 with one adaptation and reached 1e-11 with a second.

        An adaptation that raises the loss more than ``_ADAPT_SLACK`` times
        is undone (where the data reach beyond the old range, the refitted
        activation extrapolates: on a (4, 4) polynomial network the loss went
        from 0.027 to 2e5), and the best stage is what the model keeps."""
        n_iter, shares = 0, (0.1, 0.2, 0.3, 0.4)
        best_theta, best_loss = None, np.inf
        for stage, share in enumerate(shares):
            if stage:
                self._adapt_or_undo(theta, X, y, sw, self.loss_)
            solver.budget = max(1, int(share * self.max_iter))
            last = stage == len(shares) - 1
            with warnings.catch_warnings():
                if not last:  # the next stage goes on
                    warnings.simplefilter("ignore", ConvergenceWarning)
                solver.solve(objective, theta, n_train, X, y, sw, False)
            n_iter += self.n_iter_
            if self.loss_ < best_loss:
                best_theta, best_loss = theta.copy(), self.loss_
            if stage and solver.converged:
                break
        if self.loss_ > best_loss:
            theta[:] = best_theta
            self.loss_ = best_loss
        self.n_iter_ = n_iter

    def _train(self, X, y, sample_weight, incremental):
        """Run the solver on the current parameters, and check the result."""
        theta = self._pack_current(X.dtype)
        self._bind(theta)
        # the coefficients sit at the end of theta: freezing them is a slice
        layout = self._layout
        n_train = layout.size if self.learn_activation else layout.n_weights_biases
        solver = SOLVERS[self.solver](self)
        # a full-batch fit adapts its ranges while fitting, between stages
        staged = (
            self.adapt_range and not incremental and not solver.supports_partial_fit
        )
        solver.callbacks = fit_callbacks(
            self,
            X,
            y,
            sample_weight,
            None if staged else solver.max_iterations(incremental),
        )
        objective = Objective.from_estimator(self)
        if staged:
            self._solve_in_stages(
                solver, objective, theta, n_train, X, y, sample_weight
            )
        else:
            solver.solve(objective, theta, n_train, X, y, sample_weight, incremental)
        self._check_result(theta, X, y, sample_weight, incremental, solver)
        solver.callbacks.end_fit()
        return self

    def _validate_training_data(self, X, y, sample_weight, incremental, reset):
        """X, y as 2-d arrays of one floating dtype, and checked weights."""
        X, y = self._validate_input(X, y, incremental, reset=reset)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError(
                    "sample_weight must have a positive sum; got all zeros."
                )
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        with np.errstate(over="ignore"):
            y = np.asarray(y, dtype=X.dtype)
        if not np.isfinite(y).all():
            raise ValueError(
                f"Input y contains values too large for dtype('{X.dtype}'), the "
                "dtype of X that training uses. Pass X as float64."
            )
        return X, y, sample_weight

    def _check_result(self, theta, X, y, sample_weight, incremental, solver):
        """Refuse non-finite results, warn about useless ones, and record the
        activation ranges."""
        if not np.isfinite(theta).all():
            raise DivergenceError(
                "Solver produced non-finite parameter weights. "
                + divergence_message(self, "at the end of training")
            )
        if not incremental:
            warn_if_no_better_than_constant(self, y, sample_weight)
        # one forward pass on at most 1000 training rows: where the data put
        # each hidden layer's input (for plots and formulas), and whether the
        # model left by the last step of a stochastic solver, which no batch
        # loss saw, predicts finite values
        ranges, output = ranges_and_output(self, X)
        if solver.supports_partial_fit and not np.isfinite(output).all():
            raise DivergenceError(
                divergence_message(
                    self,
                    "in the last step",
                    "the predictions on the training data became non-finite",
                )
            )
        self.activation_ranges_ = ranges
        # per-unit bounds for the range check of predictions (_range_check.py)
        self._preactivation_bounds_, self._bounds_fingerprint = record_bounds(self, X)
