"""The stochastic solvers 'sgd' and 'adam': MLP's minibatch loop.

Each epoch shuffles the rows (``shuffle``), steps the optimiser
(``_optimizers.py``) once per batch, and then checks for divergence (see
``_recovery.py``), convergence (``tol`` over ``n_iter_no_change`` epochs)
and, with ``early_stopping``, the validation score, whose best parameters
the model keeps, as MLP's ``_fit_stochastic`` does.

With early stopping, ``validation_loss_curve_`` records each epoch's
objective on the held-out rows: their weighted mean data loss plus the
penalties divided by the same batch weight as in the training objective
whose epoch means are ``loss_curve_`` (see ``Objective.loss``), so that the
two curves differ only by the data loss.
"""

import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches, shuffle

from sklearn_vnn._optimizers import OPTIMIZERS
from sklearn_vnn._recovery import (
    BATCH_BLOWUP,
    EPOCH_BLOWUP,
    DivergenceError,
    divergence_message,
    divergence_reference,
)
from sklearn_vnn._solvers._base import Scaled, Solver


class StochasticSolver(Solver):
    """Minibatch training with the optimiser named by ``solver``."""

    supports_partial_fit = True
    supports_early_stopping = True
    uses_learning_rate = True
    #: whether the optimiser's steps are per-coordinate adaptive (Adam)
    adaptive = False

    def init_state(self):
        est = self.est
        est.loss_curve_ = []
        est._no_improvement_count = 0
        if est.early_stopping:
            est.validation_scores_ = []
            est.validation_loss_curve_ = []
            est.best_validation_score_ = -np.inf
            est.best_loss_ = None
        else:
            est.best_loss_ = np.inf
            est.validation_scores_ = None
            est.validation_loss_curve_ = None
            est.best_validation_score_ = None

    def _solve(self, objective, theta, n_train, X, y, sample_weight, incremental):
        est = self.est
        optimizer = getattr(est, "_optimizer", None)
        # a new optimiser on every fit, and when learn_activation changed the
        # number of trained parameters between partial_fit calls
        if not incremental or optimizer is None or optimizer.size != n_train:
            est._optimizer = OPTIMIZERS[self.name].from_estimator(
                est, n_train, theta.dtype
            )
        if est.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if est.early_stopping:
            train, validation = self._validation_split(X, y, sample_weight)
            est._best_theta = theta.copy()
        else:
            train, validation = (X, y, sample_weight), None
        checkpoint = theta.copy()  # the last epoch's parameters
        self._batch = self._batch_size(train[0].shape[0])
        rows = self._batch
        if train[2] is not None:
            rows *= float(train[2].mean())
        self._objective, self._penalty_rows = objective, rows
        scaling = objective.scaling(
            n_train, rows, by_units=not self.adaptive, per_neuron=True
        )
        self._scaled = Scaled(theta, n_train, scaling)
        try:
            self._epochs(theta, n_train, train, validation, checkpoint, incremental)
        except DivergenceError as exc:
            if not self._keep_best_on_divergence(exc):
                raise
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
            if not np.isfinite(theta).all():
                theta[:] = checkpoint
        if est.early_stopping:
            theta[:] = est._best_theta

    def _keep_best_on_divergence(self, exc):
        """With early stopping, a divergence ends training on the best
        validation model, with a warning (as MLP, scikit-learn issue
        #29504, which records a NaN score and goes on). Returns False when
        no epoch was validated yet: nothing is worth keeping then, and the
        :class:`DivergenceError` stands."""
        est = self.est
        if not est.early_stopping or est.best_validation_score_ == -np.inf:
            return False
        est.n_iter_ += 1
        est.loss_curve_.append(np.nan)
        est.validation_scores_.append(np.nan)
        _validation_loss_curve(est).append(np.nan)
        best = int(np.nanargmax(est.validation_scores_)) + 1
        warnings.warn(
            f"{exc.args[0].split(' To fix it,')[0]} Early stopping kept the "
            f"model of iteration {best}, whose validation score "
            f"{est.best_validation_score_:.6g} was the best.",
            ConvergenceWarning,
        )
        return True

    def _batch_size(self, n_samples):
        batch_size = self.est.batch_size
        if batch_size == "auto":
            return min(200, n_samples)
        if batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )
        return int(np.clip(batch_size, 1, n_samples))

    def _epochs(self, theta, n_train, train, validation, checkpoint, incremental):
        est = self.est
        X, y, sample_weight = train
        n_samples = X.shape[0]
        batch_size = self._batch
        sample_idx = np.arange(n_samples, dtype=int)
        grad = np.zeros_like(theta)
        self._reference = np.inf  # set from the first batch: see _recovery.py
        est.n_iter_ = 0
        for _ in range(est.max_iter):
            checkpoint[:] = theta
            self.callbacks.begin(theta)
            if est.shuffle:
                sample_idx = shuffle(sample_idx, random_state=est._random_state)
            total = 0.0
            for batch in gen_batches(n_samples, batch_size):
                idx = sample_idx[batch] if est.shuffle else batch
                total += self._step(theta, grad, train, idx) * (
                    batch.stop - batch.start
                )
            self._end_epoch(theta, total / n_samples, n_samples, validation)
            if self.callbacks.end(theta):  # a callback asked to stop
                break
            if self._should_stop():
                break
            if incremental:
                break
            if est.n_iter_ == est.max_iter:
                warnings.warn(
                    "Stochastic Optimizer: Maximum iterations (%d) "
                    "reached and the optimization hasn't converged yet." % est.max_iter,
                    ConvergenceWarning,
                )

    def _step(self, theta, grad, train, idx):
        """One optimiser step on the batch ``idx``, in the solver's variables
        (see ``Scaled.step``); its loss before the step."""
        est = self.est
        X, y, sample_weight = train
        sw = None if sample_weight is None else sample_weight[idx]
        if sw is not None and not sw.sum() > 0:
            return 0.0  # a batch of zero weight: nothing to learn
        with np.errstate(over="ignore", invalid="ignore"):
            loss = float(est._objective(theta, grad, X[idx], y[idx], sw))
        if not np.isfinite(loss):
            self._raise_diverged()
        if loss > BATCH_BLOWUP * self._reference:
            self._raise_diverged(loss / self._reference)
        if self._reference == np.inf:
            self._reference = divergence_reference(
                loss, y, est.out_activation_, sample_weight
            )
        # an overflow here shows as a non-finite loss next batch
        with np.errstate(over="ignore", invalid="ignore"):
            self._scaled.step(est._optimizer, grad)
        return loss

    def _end_epoch(self, theta, loss, n_samples, validation):
        est = self.est
        if not np.isfinite(theta).all():
            self._raise_diverged()
        if loss > EPOCH_BLOWUP * self._reference:
            self._raise_diverged(loss / self._reference)
        est.n_iter_ += 1
        est.loss_ = loss
        est.t_ += n_samples
        est.loss_curve_.append(loss)
        if est.verbose:
            print("Iteration %d, loss = %.8f" % (est.n_iter_, loss))
        self._update_no_improvement_count(theta, validation)
        est._optimizer.iteration_ends(est.t_)

    def _should_stop(self):
        """After ``n_iter_no_change`` epochs without improvement: stop, or
        (adaptive sgd) lower the learning rate and go on."""
        est = self.est
        if est._no_improvement_count <= est.n_iter_no_change:
            return False
        what = "Validation score" if est.early_stopping else "Training loss"
        msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
            what,
            est.tol,
            est.n_iter_no_change,
        )
        if est._optimizer.trigger_stopping(msg, est.verbose):
            return True
        est._no_improvement_count = 0
        return False

    def _update_no_improvement_count(self, theta, validation):
        est = self.est
        if validation is not None:
            X_val, y_val, sw_val, Y_val = validation
            score = est._score(X_val, y_val, sample_weight=sw_val)
            est.validation_scores_.append(score)
            with np.errstate(over="ignore", invalid="ignore"):
                loss = self._objective.loss(
                    theta, X_val, Y_val, sw_val, self._penalty_rows
                )
            _validation_loss_curve(est).append(loss)
            if est.verbose:
                print("Validation score: %f" % score)
            if score < est.best_validation_score_ + est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_theta[:] = theta
        else:
            if est.loss_curve_[-1] > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if est.loss_curve_[-1] < est.best_loss_:
                est.best_loss_ = est.loss_curve_[-1]

    def _validation_split(self, X, y, sample_weight):
        """``(X, y, sw)`` to train on and ``(X, y, sw, Y)`` to validate on:
        ``y`` for the score (labels for a classifier), ``Y`` the 2-d targets
        for the loss."""
        est = self.est
        stratify = y if is_classifier(est) and est.n_outputs_ == 1 else None
        arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
        split = train_test_split(
            *arrays,
            random_state=est._random_state,
            test_size=est.validation_fraction,
            stratify=stratify,
        )
        X_train, X_val, y_train, y_val = split[:4]
        sw_train, sw_val = split[4:] if sample_weight is not None else (None, None)
        Y_val = y_val
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        if is_classifier(est):
            y_val = est._label_binarizer.inverse_transform(y_val)
        elif y_val.shape[1] == 1:
            y_val = y_val.ravel()
        return (X_train, y_train, sw_train), (X_val, y_val, sw_val, Y_val)

    def _raise_diverged(self, blowup=None):
        """Raise the :class:`DivergenceError` that says what to change.

        ``blowup`` is set when the loss, though finite, grew that many times
        above the divergence reference (see ``_recovery.py``). ``fit``
        catches the error, restores every attribute the call changed and
        drops the optimiser, whose moments are polluted.
        """
        est = self.est
        where = f"in iteration {est.n_iter_ + 1}"
        if blowup is None:
            raise DivergenceError(divergence_message(est, where))
        what = (
            f"the loss grew to {blowup:.3g} times both its value at the start "
            "of this call and the loss of the best constant prediction"
        )
        raise DivergenceError(divergence_message(est, where, what))


def _validation_loss_curve(est):
    """``est.validation_loss_curve_``, made a list if early stopping was
    switched on after the first fit (or the model predates the curve)."""
    if getattr(est, "validation_loss_curve_", None) is None:
        est.validation_loss_curve_ = []
    return est.validation_loss_curve_


class SGDSolver(StochasticSolver):
    name = "sgd"
    adaptive = False


class AdamSolver(StochasticSolver):
    name = "adam"
    adaptive = True  # per-coordinate steps: see Objective.scaling
