"""Stochastic optimisers acting in place on one flat parameter vector.

Same rules and schedules as scikit-learn's MLP optimisers (momentum and
Nesterov SGD with constant / invscaling / adaptive learning rates; Adam with
bias correction folded into the step size), but each step is a handful of
vectorised operations on the flat vector instead of a loop over arrays.
With the numba kernels in use, each step is instead one compiled pass over
the vector (:mod:`sklearn_vnn._numba_steps`), with the same result to the
bit.
"""

import numpy as np

from sklearn_vnn import _kernels


def _compiled_step(*arrays):
    """The compiled steps when they apply to ``arrays`` (1-d, contiguous, of
    one floating dtype), else None."""
    dtype = arrays[0].dtype
    if dtype not in (np.float32, np.float64):
        return None
    for a in arrays:
        if a.ndim != 1 or a.dtype != dtype or not a.flags.c_contiguous:
            return None
    return _kernels.steps()


class _Optimizer:
    """What the stochastic solver needs of an optimiser: ``step``, the
    end-of-epoch hooks, and ``size`` (how many parameters it trains)."""

    size = None  # set by each optimiser's __init__

    def iteration_ends(self, time_step):
        """Called after each epoch with ``t_``, the samples seen."""

    def trigger_stopping(self, msg, verbose):
        """Whether to stop once ``tol`` is not met for ``n_iter_no_change``
        epochs."""
        if verbose:
            print(msg + " Stopping.")
        return True


class SGD(_Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum."""

    @classmethod
    def from_estimator(cls, est, size, dtype):
        return cls(
            size,
            dtype,
            est.learning_rate_init,
            est.learning_rate,
            est.momentum,
            est.nesterovs_momentum,
            est.power_t,
        )

    def __init__(
        self,
        size,
        dtype,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.size = size
        self.velocity = np.zeros(size, dtype=dtype)

    def step(self, theta, grad):
        """Update ``theta`` in place: v <- mu v - lr g; theta += v (or Nesterov).

        ``grad`` is the only scratch space: it is overwritten. With the
        kernels in use, one compiled pass instead, with the same result.
        """
        v = self.velocity
        fused = _compiled_step(theta, grad, v)
        if fused is not None:
            kind = theta.dtype.type
            fused.sgd(
                theta, grad, v, kind(self.momentum), kind(self.learning_rate),
                self.nesterov, fused.tasks(theta.size),
            )  # fmt: skip
            return
        v *= self.momentum
        grad *= self.learning_rate  # lr g
        v -= grad
        if self.nesterov:
            # theta += mu v - lr g
            theta -= grad
            np.multiply(v, self.momentum, out=grad)
            theta += grad
        else:
            theta += v

    def iteration_ends(self, time_step):
        """Update the 'invscaling' rate after an epoch (t = samples seen)."""
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                float(self.learning_rate_init) / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        """Stop, or for 'adaptive' divide the learning rate by 5 and go on."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.learning_rate)
        return False


class Adam(_Optimizer):
    """Adam (Kingma and Ba, 2014) with the bias correction in the step size."""

    @classmethod
    def from_estimator(cls, est, size, dtype):
        return cls(
            size, dtype, est.learning_rate_init, est.beta_1, est.beta_2, est.epsilon
        )

    def __init__(
        self,
        size,
        dtype,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.size = size
        self.m = np.zeros(size, dtype=dtype)
        self.v = np.zeros(size, dtype=dtype)

    def step(self, theta, grad):
        """m <- b1 m + (1-b1) g; v <- b2 v + (1-b2) g^2; theta -= lr m/(sqrt(v)+eps).

        In-place passes over the flat vector, with ``grad`` as the only
        scratch space (it is overwritten); no temporaries. With the kernels
        in use, one compiled pass instead, with the same result.
        """
        self.t += 1
        m, v = self.m, self.v
        fused = _compiled_step(theta, grad, m, v)
        if fused is not None:
            kind = theta.dtype.type
            b1, b2 = self.beta_1, self.beta_2
            fused.adam(
                theta, grad, m, v, kind(b1), kind(b2), kind(1 - b2),
                kind(self.epsilon), kind(self._rate()), fused.tasks(theta.size),
            )  # fmt: skip
            return
        # b1 m + (1 - b1) g written as b1 (m - g) + g: no buffer for (1 - b1) g
        m -= grad
        m *= self.beta_1
        m += grad
        grad *= grad
        grad *= 1 - self.beta_2
        v *= self.beta_2
        v += grad
        np.sqrt(v, out=grad)
        grad += self.epsilon
        np.divide(m, grad, out=grad)
        grad *= self._rate()
        theta -= grad

    def _rate(self):
        """The step size at step ``t``, with the bias correction (kept as
        ``learning_rate``)."""
        self.learning_rate = float(
            self.learning_rate_init
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )
        return self.learning_rate


OPTIMIZERS = {"sgd": SGD, "adam": Adam}
