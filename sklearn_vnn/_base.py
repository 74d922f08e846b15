"""BaseVNN: parameter validation, initialisation and the training loop.

The public ``fit``/``partial_fit`` validate input and then call ``_fit``,
which holds only the algorithm: build (or reuse) the flat parameter vector,
run a solver on it, and check the result. The maths lives in
``_network.py`` (forward/backward) and ``_losses.py`` (links and losses).
"""

import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches, shuffle
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, validate_data

from sklearn_vnn import _network
from sklearn_vnn._losses import LINKS, loss_and_gradient
from sklearn_vnn._optimizers import make_optimizer
from sklearn_vnn._recovery import (
    BATCH_BLOWUP,
    EPOCH_BLOWUP,
    DivergenceError,
    divergence_message,
    divergence_reference,
    restore,
    snapshot,
    warn_if_no_better_than_constant,
)
from sklearn_vnn.bases import BASES, Basis, make_basis
from sklearn_vnn.inspection import (
    activation_formula,
    activation_function,
    ranges_and_output,
)

_STOCHASTIC_SOLVERS = ("sgd", "adam")


def objective(
    theta,
    grad,
    layout,
    basis,
    X,
    y,
    link,
    sample_weight,
    alpha,
    activation_alpha,
    penalty_R,
):
    """The training objective and its gradient on the flat parameter vector.

    ``loss = weighted mean data loss + 0.5 * alpha * ||W||^2 / sw_sum
    + 0.5 * activation_alpha * sum_C C R C^T / sw_sum``

    The weight penalty is MLP's (divided by the sum of sample weights); the
    coefficient penalty uses the basis's roughness matrix ``R`` with the
    same scaling. ``grad`` (same layout as ``theta``) is overwritten.

    Returns
    -------
    loss : float
    """
    weights, biases, hidden_C, output_C = layout.views(theta)
    G, cache = _network.forward(X, weights, biases, hidden_C, output_C, basis)
    loss, dG, sw_sum = loss_and_gradient(G, y, link, sample_weight)
    g_views = layout.views(grad)
    _network.backward(dG, cache, weights, g_views, layout.scope)

    dtype = theta.dtype.type
    w_scale = dtype(alpha / sw_sum)
    w_norm2 = 0.0
    for W, dW in zip(weights, g_views[0]):
        flat = W.ravel()
        w_norm2 += float(flat @ flat)
        dW += w_scale * W
    loss += 0.5 * alpha * w_norm2 / sw_sum

    if activation_alpha > 0:
        c_scale = activation_alpha / sw_sum
        coefs = list(hidden_C) + ([output_C] if output_C is not None else [])
        dcoefs = list(g_views[2]) + ([g_views[3]] if output_C is not None else [])
        R = penalty_R.astype(theta.dtype, copy=False)
        for C, dC in zip(coefs, dcoefs):
            RC = C @ R  # R is symmetric: (C R) is the gradient of 0.5 C R C^T
            loss += 0.5 * c_scale * float((RC * C).sum())
            dC += dtype(c_scale) * RC
    return loss


class BaseVNN(BaseEstimator, ABC):
    """Base class of VNNClassifier and VNNRegressor. Use those."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "basis": [StrOptions(set(BASES)), Basis],
        "n_basis": [Interval(Integral, 1, None, closed="left")],
        "basis_params": [dict, None],
        "activation_scope": [StrOptions({"layer", "neuron"})],
        "activation_init": [
            StrOptions({"tanh", "relu", "logistic", "identity", "random"})
        ],
        "learn_activation": ["boolean"],
        "learn_output_activation": ["boolean"],
        "activation_alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
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

        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

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

    def _check_warm_layout(self, layer_units):
        if list(layer_units) != self._layout.layer_units:
            raise ValueError(
                "The network shape changed since the last fit: layer sizes "
                f"{self._layout.layer_units} before, {list(layer_units)} now. "
                "Set warm_start=False (or refit) to train a new network."
            )
        basis = make_basis(self.basis, self.n_basis, self.basis_params)
        if (
            basis != self.basis_
            or self.activation_scope != self._layout.scope
            or self.learn_output_activation != self._layout.learn_output
        ):
            raise ValueError(
                "basis, n_basis, basis_params, activation_scope and "
                "learn_output_activation cannot change between warm-started "
                "fits or partial_fit calls. Set warm_start=False to refit."
            )

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def _objective(self, theta, grad, X, y, sample_weight):
        return objective(
            theta,
            grad,
            self._layout,
            self.basis_,
            X,
            y,
            self.out_activation_,
            sample_weight,
            self.alpha,
            self.activation_alpha,
            self._penalty_R,
        )

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
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
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
        layer_units = [X.shape[1]] + hidden + [y.shape[1]]
        self._random_state = check_random_state(self.random_state)

        if first_pass:
            self._initialize(y, layer_units, X.dtype)
        else:
            self._check_warm_layout(layer_units)
        self._penalty_R = np.asarray(self.basis_.penalty_matrix(), dtype=float)

        theta = self._pack_current(X.dtype)
        self._bind(theta)
        # the coefficients sit at the end of theta: freezing them is a slice
        layout = self._layout
        n_train = layout.size if self.learn_activation else layout.n_weights_biases

        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(X, y, sample_weight, theta, n_train, incremental)
        else:
            self._fit_lbfgs(X, y, sample_weight, theta, n_train)

        if not np.isfinite(theta).all():
            raise DivergenceError(
                "Solver produced non-finite parameter weights. "
                + divergence_message(self, "at the end of training")
            )
        if not incremental:
            warn_if_no_better_than_constant(self, y, sample_weight)
        # one forward pass on at most 1000 training rows: where the data put
        # each hidden layer's input (for plots and formulas, see
        # inspection.py), and whether the model left by the last step, which
        # no batch loss saw, predicts finite values
        ranges, output = ranges_and_output(self, X)
        if self.solver in _STOCHASTIC_SOLVERS and not np.isfinite(output).all():
            raise DivergenceError(
                divergence_message(
                    self,
                    "in the last step",
                    "the predictions on the training data became non-finite",
                )
            )
        self.activation_ranges_ = ranges
        return self

    def _fit_lbfgs(self, X, y, sample_weight, theta, n_train):
        grad = np.zeros_like(theta)
        # the point of lowest finite loss evaluated so far (L-BFGS descends,
        # so normally its last iterate): what the model keeps if the run ends
        # on a non-finite step or by a KeyboardInterrupt
        best = {"x": None, "fun": np.inf, "start": np.nan}
        last_grad = np.ones(n_train)  # the gradient at the last finite point
        stand_in = np.inf  # reported for a non-finite point: see fun

        def fun(x):
            nonlocal stand_in
            theta[:n_train] = x
            loss = self._objective(theta, grad, X, y, sample_weight)
            finite = np.isfinite(loss) and np.isfinite(grad[:n_train]).all()
            if best["x"] is None:  # the first evaluation: the start
                if not finite:
                    raise DivergenceError(
                        divergence_message(
                            self, "at the start", "the loss is not finite"
                        )
                    )
                best["start"] = loss
            if not finite:
                # a step too long: report a far worse, finite loss (inf would
                # break the line search) and a non-zero gradient (zero would
                # pass for a minimum), so that L-BFGS backs off and goes on
                return stand_in, last_grad.copy()
            if loss < best["fun"]:
                best["x"], best["fun"] = x.copy(), loss
            stand_in = 1e6 * max(abs(loss), 1.0)
            last_grad[:] = grad[:n_train]
            return loss, last_grad.copy()

        def report(intermediate_result):
            if self.verbose:
                print(
                    "Iteration %d, loss = %.8f"
                    % (report.n_iter, intermediate_result.fun)
                )
            report.n_iter += 1

        report.n_iter = 1
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                res = scipy.optimize.minimize(
                    fun,
                    theta[:n_train].astype(np.float64),
                    method="L-BFGS-B",
                    jac=True,
                    callback=report,
                    options={
                        "maxfun": self.max_fun,
                        "maxiter": self.max_iter,
                        "gtol": self.tol,
                    },
                )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
            if best["x"] is not None:
                theta[:n_train] = best["x"]
            self.n_iter_ = report.n_iter - 1
            self.loss_ = best["fun"] if best["x"] is not None else np.nan
            return
        self.n_iter_ = int(min(res.nit, self.max_iter))
        if not (res.fun <= best["fun"] and np.isfinite(res.x).all()):
            # scipy ended on a step where the loss is not finite: that point
            # never enters the model
            theta[:n_train] = best["x"]
            self.loss_ = float(best["fun"])
            warnings.warn(
                f"lbfgs stopped after {res.nit} iteration(s) on a step where "
                "the loss or its gradient is not finite; the model keeps the "
                f"best finite point (loss {self.loss_:.6g}). Scale the data "
                "or increase alpha.",
                ConvergenceWarning,
            )
            return
        theta[:n_train] = res.x
        self.loss_ = float(res.fun)
        if res.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {res.nit} iteration(s) "
                f"(status={res.status}): {res.message}. Increase max_iter or "
                "max_fun, or scale the data.",
                ConvergenceWarning,
            )
        else:
            self._warn_if_stalled(res, best["start"])

    def _warn_if_stalled(self, res, start_loss):
        """Warn when lbfgs stopped by its relative-reduction test without
        reducing the loss (by 0.1%) while the gradient is still above ``tol``:
        the sign of badly scaled data, e.g. regression targets of 1e9."""
        max_grad = float(np.max(np.abs(res.jac), initial=0.0))
        if max_grad <= self.tol or start_loss - res.fun > 1e-3 * abs(start_loss):
            return
        warnings.warn(
            f"lbfgs stopped after {res.nit} iteration(s) without reducing the "
            f"loss noticeably ({start_loss:.6g} to {res.fun:.6g}) although the "
            f"gradient is still large (max |g| = {max_grad:.3g} > tol="
            f"{self.tol}). The data are probably badly scaled: scale X (e.g. "
            "with StandardScaler) and, for regression, y (e.g. with "
            "TransformedTargetRegressor).",
            ConvergenceWarning,
        )

    def _validation_split(self, X, y, sample_weight):
        should_stratify = is_classifier(self) and self.n_outputs_ == 1
        stratify = y if should_stratify else None
        arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
        split = train_test_split(
            *arrays,
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        X_train, X_val, y_train, y_val = split[:4]
        sw_train = sw_val = None
        if sample_weight is not None:
            sw_train, sw_val = split[4:]
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        if is_classifier(self):
            y_val = self._label_binarizer.inverse_transform(y_val)
        elif y_val.shape[1] == 1:
            y_val = y_val.ravel()
        return X_train, X_val, y_train, y_val, sw_train, sw_val

    def _fit_stochastic(self, X, y, sample_weight, theta, n_train, incremental):
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = make_optimizer(self, n_train, theta.dtype)
        elif self._optimizer_size() != n_train:
            # learn_activation changed between partial_fit calls
            self._optimizer = make_optimizer(self, n_train, theta.dtype)

        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        if early_stopping:
            X_train, X_val, y_train, y_val, sw_train, sw_val = self._validation_split(
                X, y, sample_weight
            )
            self._best_theta = theta.copy()
        else:
            X_train, y_train, sw_train = X, y, sample_weight
            X_val = y_val = sw_val = None

        n_samples = X_train.shape[0]
        sample_idx = np.arange(n_samples, dtype=int)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than "
                    "sample size. It is going to be clipped"
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        grad = np.zeros_like(theta)
        trainable, dtrainable = theta[:n_train], grad[:n_train]
        checkpoint = theta.copy()  # the last epoch's parameters
        reference = np.inf  # set from the first batch: see _recovery.py
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                checkpoint[:] = theta
                if self.shuffle:
                    sample_idx = shuffle(sample_idx, random_state=self._random_state)
                accumulated_loss = 0.0
                for batch_slice in gen_batches(n_samples, batch_size):
                    idx = sample_idx[batch_slice] if self.shuffle else batch_slice
                    X_batch = X_train[idx]
                    y_batch = y_train[idx]
                    sw_batch = None if sw_train is None else sw_train[idx]
                    if sw_batch is not None and not sw_batch.sum() > 0:
                        continue  # a batch of zero weight: nothing to learn
                    with np.errstate(over="ignore", invalid="ignore"):
                        batch_loss = float(
                            self._objective(theta, grad, X_batch, y_batch, sw_batch)
                        )
                    if not np.isfinite(batch_loss):
                        self._raise_diverged()
                    if batch_loss > BATCH_BLOWUP * reference:
                        self._raise_diverged(batch_loss / reference)
                    if reference == np.inf:
                        reference = divergence_reference(
                            batch_loss, y_train, self.out_activation_, sw_train
                        )
                    accumulated_loss += batch_loss * (
                        batch_slice.stop - batch_slice.start
                    )
                    # an overflow here shows as a non-finite loss next batch
                    with np.errstate(over="ignore", invalid="ignore"):
                        self._optimizer.step(trainable, dtrainable)

                if not np.isfinite(theta).all():
                    self._raise_diverged()
                if accumulated_loss / n_samples > EPOCH_BLOWUP * reference:
                    self._raise_diverged(accumulated_loss / n_samples / reference)
                self.n_iter_ += 1
                self.loss_ = accumulated_loss / n_samples
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))

                self._update_no_improvement_count(
                    early_stopping, X_val, y_val, sw_val, theta
                )
                self._optimizer.iteration_ends(self.t_)

                if self._no_improvement_count > self.n_iter_no_change:
                    if early_stopping:
                        msg = (
                            "Validation score did not improve more than "
                            "tol=%f for %d consecutive epochs."
                            % (self.tol, self.n_iter_no_change)
                        )
                    else:
                        msg = (
                            "Training loss did not improve more than tol=%f"
                            " for %d consecutive epochs."
                            % (self.tol, self.n_iter_no_change)
                        )
                    if self._optimizer.trigger_stopping(msg, self.verbose):
                        break
                    self._no_improvement_count = 0

                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet."
                        % self.max_iter,
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
            if not np.isfinite(theta).all():
                theta[:] = checkpoint

        if early_stopping:
            theta[:] = self._best_theta

    def _optimizer_size(self):
        opt = self._optimizer
        return opt.m.size if hasattr(opt, "m") else opt.velocity.size

    def _raise_diverged(self, blowup=None, where=None, what=None):
        """Raise the :class:`DivergenceError` that says what to change.

        ``blowup`` is set when the loss, though finite, grew that many times
        above the divergence reference (see ``_recovery.py``).

        ``_fit`` catches it, restores every attribute this call changed and
        drops the optimiser, whose moments are polluted (see
        ``_recovery.py``): the parameters need no restoring here.
        """
        where = where or f"in iteration {self.n_iter_ + 1}"
        if blowup is None:
            if what is None:
                raise DivergenceError(divergence_message(self, where))
            raise DivergenceError(divergence_message(self, where, what))
        what = (
            f"the loss grew to {blowup:.3g} times both its value at the start "
            "of this call and the loss of the best constant prediction"
        )
        raise DivergenceError(divergence_message(self, where, what))

    def _update_no_improvement_count(self, early_stopping, X, y, sample_weight, theta):
        if early_stopping:
            val_score = self._score(X, y, sample_weight=sample_weight)
            self.validation_scores_.append(val_score)
            if self.verbose:
                print("Validation score: %f" % self.validation_scores_[-1])
            last_valid_score = self.validation_scores_[-1]
            if last_valid_score < (self.best_validation_score_ + self.tol):
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if last_valid_score > self.best_validation_score_:
                self.best_validation_score_ = last_valid_score
                self._best_theta[:] = theta
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

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
        # an overflow inside the network (huge inputs) is harmless while the
        # bounded bases saturate; only a non-finite output is worth a word
        with np.errstate(over="ignore", invalid="ignore"):
            G, _ = _network.forward(
                X,
                self.coefs_,
                self.intercepts_,
                self.activation_coefs_,
                self.output_activation_coefs_,
                self.basis_,
                need_backward=False,
            )
            out = LINKS[self.out_activation_](G)
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
        if self.solver not in _STOCHASTIC_SOLVERS:
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
