"""Fault handling for training calls: a call that fails changes nothing.

``fit`` and ``partial_fit`` take a :func:`snapshot` of everything training
may change (every attribute but the constructor parameters and scikit-learn's
callback machinery) before they
start, and :func:`restore` it if the call raises. A divergence (the loss or
the parameters becoming non-finite) raises :class:`DivergenceError`, a
``ValueError`` whose message says what to change; after it the optimiser's
state is dropped as well, so that the next call builds a fresh one from the
current parameters (for example a lowered ``learning_rate_init``).

A stochastic solver can also blow the loss up without overflowing (say to
1e30 with ``learning_rate_init=10``). That counts as a divergence too: a
batch loss more than ``BATCH_BLOWUP`` times, or an epoch's mean loss more
than ``EPOCH_BLOWUP`` times, the :func:`divergence_reference` (the larger of
the call's first batch loss and the loss of the best constant prediction)
means the model is no longer training but diverging. A single batch may be
unlucky (one outlier), hence its larger factor. No batch loss sees the last
step of a call, so the predictions it leaves on the training rows are
checked to be finite as well.
"""

import copy
import warnings

import numpy as np
from sklearn.base import is_regressor
from sklearn.exceptions import ConvergenceWarning

from sklearn_vnn._losses import null_loss

# scikit-learn's callback machinery (see _callbacks.py): the registered
# callbacks, which are shared by reference (as clone does), and the task
# contexts of the call in progress, which scikit-learn itself sets up and
# tears down around fit; neither is copied nor restored
_CALLBACK_ATTRIBUTES = frozenset(
    {
        "_skl_callbacks",
        "_skl_callbacks_to_teardown",
        "_callback_fit_ctx",
        "_parent_callback_ctx",
    }
)

# how many times worse than at its start (and than the best constant
# prediction) a batch's / an epoch's loss may get before training counts as
# diverged
BATCH_BLOWUP = 1e4
EPOCH_BLOWUP = 1e2


class DivergenceError(ValueError):
    """Training made the loss, the parameters or the predictions non-finite,
    or blew the loss up (see the module docstring)."""


def snapshot(estimator):
    """Deep copies of every attribute that is not a constructor parameter.

    Parameters
    ----------
    estimator : BaseVNN

    Returns
    -------
    state : dict
        Attribute name to a copy of its value.
    """
    params = estimator.get_params(deep=False)
    return {
        name: copy.deepcopy(value)
        for name, value in vars(estimator).items()
        if name not in params and name not in _CALLBACK_ATTRIBUTES
    }


def restore(estimator, state, drop_optimizer=False):
    """Put back the attributes of a :func:`snapshot`, removing any new ones.

    Parameters
    ----------
    estimator : BaseVNN
    state : dict
        From :func:`snapshot`.
    drop_optimizer : bool, default=False
        Also forget the stochastic optimiser's state (its moments and
        learning rate), which a divergence has made useless.
    """
    params = estimator.get_params(deep=False)
    kept = params.keys() | _CALLBACK_ATTRIBUTES
    for name in [name for name in vars(estimator) if name not in kept]:
        delattr(estimator, name)
    vars(estimator).update(state)
    if drop_optimizer:
        vars(estimator).pop("_optimizer", None)


def divergence_reference(first_loss, y, link, sample_weight=None):
    """The loss that divergence is measured against.

    ``max(first_loss, null_loss(y, ...))``; infinite when both are zero
    (then only a non-finite loss counts as divergence).

    Parameters
    ----------
    first_loss : float
        The loss of the call's first batch, before any step of the call.
    y : ndarray of shape (n_samples, n_outputs)
        The call's training targets.
    link : {'identity', 'exp', 'logistic', 'softmax'}
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    reference : float
    """
    reference = max(float(first_loss), null_loss(y, link, sample_weight))
    return reference if reference > 0 else np.inf


def divergence_message(
    estimator, where, what="the loss or the parameters became non-finite"
):
    """What went wrong and what to change, for a :class:`DivergenceError`.

    Parameters
    ----------
    estimator : BaseVNN
    where : str
        When it happened, e.g. ``"in iteration 3"``.
    what : str, default="the loss or the parameters became non-finite"
        What happened.

    Returns
    -------
    message : str
    """
    from sklearn_vnn._solvers import SOLVERS  # the solvers raise these errors

    remedies = []
    if SOLVERS[estimator.solver].uses_learning_rate:
        remedies.append(
            f"lower learning_rate_init (it is {estimator.learning_rate_init})"
        )
    scale = "scale the input X (e.g. with StandardScaler)"
    if is_regressor(estimator):
        scale += " and the target y (e.g. with TransformedTargetRegressor)"
    remedies.append(scale)
    remedies.append(
        f"increase alpha (it is {estimator.alpha}) or activation_alpha "
        f"(it is {estimator.activation_alpha})"
    )
    return (
        f"Training diverged {where}: {what} (solver={estimator.solver!r}). "
        "To fix it, "
        + ", ".join(remedies[:-1])
        + f", or {remedies[-1]}. Nothing was lost: the estimator is as it was "
        "before this call (unfitted if this was its first fit)."
    )


def warn_if_no_better_than_constant(estimator, y, sample_weight=None):
    """Warn when training ended no better than the best constant prediction.

    Training can stop without an error or a "maximum iterations" warning
    (the loss stopped improving) and yet have learned nothing, typically on
    badly scaled data (features of 1e6 saturate every activation). That
    model is useless, so say so: a ``ConvergenceWarning`` when the final
    training loss ``loss_`` is not below :func:`null_loss`. Skipped when the
    constant is already good (its loss is below ``tol``) or ``loss_`` is
    not finite. The comparison is fair with the penalties: all weights and
    coefficients at zero and the output intercept at the constant is a point
    of exactly that loss.

    Parameters
    ----------
    estimator : BaseVNN
        Just fitted.
    y : ndarray of shape (n_samples, n_outputs)
        The training targets (indicator columns for classification).
    sample_weight : ndarray of shape (n_samples,) or None
    """
    loss = getattr(estimator, "loss_", np.nan)
    constant = null_loss(y, estimator.out_activation_, sample_weight)
    if not (np.isfinite(loss) and constant > estimator.tol and loss >= constant):
        return
    warnings.warn(
        f"Training ended with a loss ({loss:.6g}) no better than that of the "
        f"best constant prediction ({constant:.6g}): the model is no better "
        "than a constant. The data are probably badly scaled: scale X (e.g. with "
        "StandardScaler) and, for regression, y (e.g. with "
        "TransformedTargetRegressor); or tune learning_rate_init, max_iter.",
        ConvergenceWarning,
    )
