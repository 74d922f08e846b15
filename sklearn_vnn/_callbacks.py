"""scikit-learn's callback API (``sklearn.callback``, scikit-learn >= 1.9).

The estimators support ``set_callbacks(...)`` through scikit-learn's
``CallbackSupportMixin``. A fit is one root task whose subtasks are the
solver's iterations: an L-BFGS iteration, or an epoch of 'sgd' and 'adam';
a ``partial_fit`` call is a root task with one epoch. At the end of each
iteration the callbacks may ask for ``fitted_estimator``, a copy of the
estimator predicting with the parameters of that iteration (the views of
the flat parameter vector, copied), and a callback's ``on_fit_task_end``
returning True stops training after that iteration.

With an older scikit-learn the feature is absent: ``set_callbacks`` raises
an ``AttributeError`` that names the version needed, and fitting runs as
before. :func:`fit_callbacks` gives the solvers an object with the same
methods in every case, which does nothing when no callback is set.
"""

import sklearn
from sklearn.base import is_classifier

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9
    CallbackSupportMixin = None

#: whether the installed scikit-learn has the callback API
HAS_CALLBACKS = CallbackSupportMixin is not None

NEEDS = (
    "set_callbacks needs scikit-learn >= 1.9, whose sklearn.callback module "
    f"provides the callback API; scikit-learn {sklearn.__version__} is "
    "installed. Upgrade it: pip install 'scikit-learn>=1.9'."
)


class _Unavailable:
    """An attribute that instances do not have, with a message saying why."""

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        raise AttributeError(NEEDS)


class NoCallbackSupport:
    """Stands in for ``CallbackSupportMixin`` before scikit-learn 1.9:
    ``set_callbacks`` is absent (``hasattr`` is False) and says why."""

    set_callbacks = _Unavailable()


if CallbackSupportMixin is None:
    CallbackSupportMixin = NoCallbackSupport


def reconstruction_attributes(est, theta):
    """The fitted attributes of the model with parameters ``theta``.

    Views of a copy of ``theta``, so that the callbacks' fitted estimator
    keeps the parameters of this iteration while training goes on. The
    range check of predictions (``_range_check.py``) is off for it: the
    recorded ranges belong to the previous fit, if any.
    """
    weights, biases, hidden_C, output_C = est._layout.views(theta.copy())
    return {
        "coefs_": list(weights),
        "intercepts_": list(biases),
        "activation_coefs_": list(hidden_C),
        "output_activation_coefs_": output_C,
        "_preactivation_bounds_": None,
    }


class _Silent:
    """The callbacks of a fit without callbacks: nothing to call."""

    def begin(self, theta):
        pass

    def end(self, theta=None):
        return False

    def close(self):
        pass

    def end_fit(self):
        pass


SILENT = _Silent()


class FitCallbacks:
    """The callback tasks of one ``fit`` or ``partial_fit`` call.

    Created after the input is validated: it opens the root task. The
    solver calls :meth:`begin` and :meth:`end` around each iteration;
    ``_fit`` calls :meth:`end_fit` when the model is final.

    Parameters
    ----------
    est : BaseVNN
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The validated training input.
    y : callable
        Returns the training targets as the estimator's ``score`` takes
        them (class labels for a classifier); called only if a callback
        asks for ``y``.
    sample_weight : ndarray or None
    max_iterations : int
        The most subtasks the solver may open.
    """

    def __init__(self, est, X, y, sample_weight, max_iterations):
        self.est, self.X = est, X
        self.metadata = (
            None if sample_weight is None else {"sample_weight": sample_weight}
        )
        self._y = y
        self._task = None
        self.root = est._init_callback_context(max_subtasks=max_iterations)
        self.root.call_on_fit_task_begin(**self._args())

    def y(self):
        if not hasattr(self, "_y_value"):
            self._y_value = self._y()
        return self._y_value

    def _args(self, theta=None):
        args = dict(estimator=self.est, X=self.X, y=self.y, metadata=self.metadata)
        if theta is not None:
            args["reconstruction_attributes"] = lambda: reconstruction_attributes(
                self.est, theta
            )
        return args

    def begin(self, theta):
        """Open the next iteration's task; ``theta`` are its start parameters."""
        self._task = self.root.subcontext(task_name=f"{self.est.solver} iteration")
        self._task.call_on_fit_task_begin(**self._args(theta))

    def end(self, theta=None):
        """Close the open iteration's task with its final parameters.

        Returns
        -------
        stop : bool
            Whether a callback asked to stop training.
        """
        task, self._task = self._task, None
        if task is None:
            return False
        if theta is None:  # an iteration that never ran: nothing to report
            return bool(task.call_on_fit_task_end(estimator=self.est))
        return bool(task.call_on_fit_task_end(**self._args(theta)))

    def close(self):
        """End the iteration left open (L-BFGS opens one more than it runs)."""
        self.end()

    def end_fit(self):
        """Close the root task: the estimator itself is the fitted model."""
        self.close()
        self.root.call_on_fit_task_end(**self._args(), reconstruction_attributes={})


def score_targets(est, Y):
    """The 2-d training targets as ``score`` takes them: class labels for a
    classifier (an indicator matrix for multilabel), 1-d for one output."""
    if Y.shape[1] == 1:
        Y = Y.ravel()
    if is_classifier(est):
        return est._label_binarizer.inverse_transform(Y)
    return Y


def fit_callbacks(est, X, Y, sample_weight, max_iterations):
    """:class:`FitCallbacks` for this call, or a silent stand-in when the
    installed scikit-learn has no callback API or no callback is set (on the
    estimator, or propagated to it by a meta-estimator).

    Parameters
    ----------
    est : BaseVNN
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        The training targets as training uses them (indicator columns for
        a classifier); the callbacks get them as ``score`` takes them.
    sample_weight : ndarray of shape (n_samples,) or None
        The weights training uses (class weights included).
    max_iterations : int
        The most iterations the solver may run in this call.
    """
    if not HAS_CALLBACKS or not hasattr(est, "_init_callback_context"):
        return SILENT
    if not getattr(est, "_skl_callbacks", None) and not hasattr(
        est, "_parent_callback_ctx"
    ):
        return SILENT
    return FitCallbacks(
        est, X, lambda: score_targets(est, Y), sample_weight, max_iterations
    )
