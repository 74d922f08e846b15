"""VNNRegressor: MLPRegressor's interface with learned activations."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from sklearn_vnn._base import BaseVNN


class VNNRegressor(RegressorMixin, BaseVNN):
    """Variational neural network regressor: learned activations.

    A multi-layer perceptron whose hidden activations are learned linear
    combinations of fixed basis functions (Li and Li, "Variational Neural
    Networks"), trained on the squared error or the Poisson deviance with
    L-BFGS, SGD or Adam. It has every parameter of
    :class:`sklearn.neural_network.MLPRegressor` (``activation`` excepted,
    which the VNN parameters replace) with the same meaning.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        'squared_error' (identity output) or 'poisson' (half Poisson
        deviance with an exp output link; y must be non-negative).

    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    basis : str or Basis, default='fourier'
        One of 'fourier', 'chebyshev', 'legendre', 'polynomial', 'gaussian',
        'bspline', 'candidates', or a :class:`sklearn_vnn.bases.Basis`.
        The family of fixed functions ``f_k`` whose learned combination
        ``F(z) = sum_k C_k f_k(z)`` is each hidden activation (paper eq. 3).
        'fourier' is the paper's ``sin(k w z), cos(k w z)``; 'chebyshev' and
        'legendre' are polynomials of ``tanh(z / scale)``; 'polynomial' is
        Chebyshev polynomials of the linear map of the design range onto
        ``[-1, 1]``, continued by their tangent lines beyond it (exact for
        every polynomial of degree below ``n_basis`` on the range, such as
        ``z**2``, and linear outside it); 'gaussian' is a fixed dictionary
        of bumps; 'bspline' uniform cubic B-splines; 'candidates' a
        dictionary of classic activations (identity, relu, tanh, logistic,
        softplus, silu, sin, ...). A :class:`sklearn_vnn.bases.Basis`
        instance is used as it is (then ``n_basis`` and ``basis_params``
        other than ``linear`` are not used). The default is the
        paper's: in the benchmarks (``benchmarks/results/``) it was as good
        as 'chebyshev' on tabular data and about 8x cheaper to evaluate than
        the tanh-mapped polynomials under L-BFGS; 'gaussian' and 'bspline'
        are much slower.

    n_basis : int, default=8
        M, the number of basis functions per combination. In the benchmarks
        M=16 overfit make_friedman1 (cross-validated R^2 0.75 against 0.92
        at M=8); grid-search it for your data.

    basis_params : dict, default=None
        Options of the basis family: ``scale`` (half-width of the design
        range of pre-activations, default 3.0) for all; ``domain=(lo, hi)``
        or ``centre`` for 'polynomial' (the design range itself);
        ``frequency`` for 'fourier'; ``width`` for 'gaussian';
        ``functions`` for 'candidates'. ``linear=True`` adds the term ``z``
        (slope 1, no roughness penalty) after the family's functions, for
        any family (:class:`sklearn_vnn.bases.WithLinear`): ``n_basis + 1``
        coefficients per combination, the linear one last. It changes
        nothing for a family that already holds ``z`` exactly
        ('candidates' with 'identity', 'polynomial' with ``n_basis >= 2``).

    activation_scope : {'layer', 'neuron'}, default='layer'
        'layer' learns one activation per hidden layer (paper Sec. II);
        'neuron' one per neuron (paper Sec. III). 'neuron' won on 3 of 6
        tabular sets and lost on 3 in the benchmarks, for n_units times
        more coefficients, hence the default; it did better at fitting
        smooth functions with two hidden layers.

    activation_init : {'tanh', 'relu', 'logistic', 'identity', 'random'}, default='tanh'
        The function the learned activations start as: the coefficients
        are fitted to it by least squares over the basis's design range (up
        to a constant, which the next layer's intercept absorbs), or drawn
        at random for 'random'. The weights are initialised as MLP's (Glorot
        uniform), in the same random order. 'relu' and 'identity' starts did
        no better than 'tanh' in the benchmarks.

    learn_activation : bool, default=True
        Whether the coefficients are trained. False freezes them at their
        start, which trains a conventional network with the same code: the
        built-in baseline.

    learn_output_activation : bool, default=False
        Give the output layer one layer-shared learned combination before
        the link (end of paper Sec. II). It starts as the identity.

    activation_alpha : float, default=10.0
        Strength of a prior on the coefficients centred on where they
        started: ``0.5 * activation_alpha * (C - C0) Q (C - C0)^T /
        n_samples``, with ``C0`` the start (``activation_init``; the
        identity for the output combination) and ``Q = I + R /
        lambda_max(R)``, ``R`` the family's roughness (``k**2`` for
        frequency or degree k, second differences for 'gaussian' and
        'bspline'): rough departures cost up to twice as much. Very large
        values give the frozen network, an MLP with the starting
        activation (1e12 tracks it to 1e-6); 0 leaves the activation free
        (use it for noiseless function fitting). The solvers train the
        coefficients in variables scaled by the prior, so a large value
        does not make training stiff. 10 had the best mean gap to the
        better of MLP relu and tanh at default settings over seven data
        sets (1, 100 and a 'relu' start did no better;
        ``benchmarks/results/accuracy.md``).

    solver : {'lbfgs', 'sgd', 'adam', 'lm'}, default='adam'
        The solver for the weights, intercepts and coefficients: 'lbfgs'
        (scipy's L-BFGS-B), 'sgd' (stochastic gradient descent), 'adam', or
        'lm' (Levenberg-Marquardt on the exact Jacobian, with
        :func:`scipy.optimize.least_squares`; squared error only: the
        regressor's default loss). 'lm' stores a dense Jacobian of
        n_samples x n_outputs x n_parameters numbers (at most 1 GiB, else
        a ``ValueError`` names the alternatives): it is for precise fits of
        small networks, where it needs tens of iterations where 'lbfgs'
        needs thousands.

    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights, divided by the sample
        size when added to the loss (as MLP).

    batch_size : int, default='auto'
        Size of minibatches for the stochastic solvers; 'auto' is
        ``min(200, n_samples)``. Not used by 'lbfgs'.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning rate schedule for 'sgd': constant ``learning_rate_init``;
        'invscaling' ``learning_rate_init / pow(t, power_t)``; 'adaptive'
        divides it by 5 each time ``n_iter_no_change`` epochs fail to
        improve by ``tol``.

    learning_rate_init : float, default=0.001
        The initial learning rate of 'sgd' and 'adam'.

    power_t : float, default=0.5
        The exponent of the 'invscaling' schedule.

    max_iter : int, default=200
        Maximum number of iterations (epochs for 'sgd' and 'adam').

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch ('sgd' and 'adam').

    random_state : int, RandomState instance or None, default=None
        Seeds the weight and coefficient initialisation, the early-stopping
        split and the batch order. Pass an int for reproducible results.

    tol : float, default=1e-4
        Tolerance for the optimisation: training stops when the loss (or the
        validation score) has not improved by ``tol`` for
        ``n_iter_no_change`` consecutive epochs. 'lbfgs' stops when the
        largest gradient entry is below ``tol`` (``gtol``) or an iteration
        reduces the loss by less than ``min(tol, 2.2e-9)`` relative to it
        (``ftol``; at the default, scipy's own, as MLP), so a small ``tol``
        asks for a precise fit; 'lm' uses ``min(tol, 1e-8)`` as scipy's
        ``ftol``, ``xtol`` and ``gtol``.

    verbose : bool, default=False
        Whether to print the loss after every iteration.

    warm_start : bool, default=False
        Reuse the previous solution as the start of the next ``fit``. If
        ``basis``, ``n_basis`` or ``basis_params`` changed since, every
        learned activation is first projected onto the new basis by least
        squares (over the range of its training pre-activations): a
        refinement ladder, say ``n_basis`` 4, then 8, then 16, as KAN
        refines its grid.

    momentum : float, default=0.9
        Momentum of 'sgd', in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether 'sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for single
        output classification) and stop when the validation score has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; the best
        parameters are restored. Only for 'sgd' and 'adam'.

    validation_fraction : float, default=0.1
        The proportion of training data held out for early stopping.

    beta_1 : float, default=0.9
        Adam's decay rate of the first moment estimates, in [0, 1).

    beta_2 : float, default=0.999
        Adam's decay rate of the second moment estimates, in [0, 1).

    epsilon : float, default=1e-8
        Adam's numerical stability constant.

    n_iter_no_change : int, default=10
        Number of epochs without improvement by ``tol`` before stopping
        ('sgd' and 'adam').

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs' (for 'lm' it caps
        ``max_iter``).

    n_init : int, default=1
        Number of trainings from different random starts (weights and, with
        ``activation_init='random'``, coefficients) within one ``fit``; the
        model of lowest final training loss (``loss_``) is kept, as
        KMeans's ``n_init``. Deep and per-neuron fits of smooth functions
        can land in poor minima (with the ``'lm'`` solver three of six
        random starts of a (2, 1) network did on ``exp(sin(pi x) + y**2)``),
        and restarts are cheap there. Only a fresh fit restarts: a warm
        start or ``partial_fit`` continues the current model.

    adapt_range : bool, default=False
        At the start of every ``fit`` (after the initialisation, and on a
        warm start; not in ``partial_fit``), map each hidden layer's
        pre-activations (each neuron's, in 'neuron' scope) onto the basis's
        design range: the 1st-99th percentiles, widened by 10% of their
        width on each side, go to ``basis_.design_range()``. The map is
        folded into the layer's weights and intercepts, and the
        coefficients are re-projected by least squares so that the network
        is unchanged where the old and new ranges overlap (exactly, for
        'polynomial'), as KAN updates its grid to its samples' percentiles.
        Worth it where the activation's shape matters far out (function
        fitting with 'polynomial', 'bspline', 'gaussian'); off by default,
        which keeps the start MLP's. On a warm start an adaptation that
        raises the training loss more than 1.5 times is undone (a trained
        network may use the activation's continuation beyond the range).

    Attributes
    ----------
    loss_ : float
        The current value of the training objective (loss plus penalties).

    best_loss_ : float or None
        The minimum loss reached ('sgd' and 'adam'); None with early stopping.

    loss_curve_ : list of shape (n_iter_,)
        The loss after each epoch ('sgd' and 'adam').

    validation_scores_ : list of shape (n_iter_,) or None
        The validation score after each epoch, with early stopping.

    validation_loss_curve_ : list of shape (n_iter_,) or None
        With early stopping, the training objective on the held-out rows
        after each epoch: their weighted mean loss plus the penalties
        divided by the batch weight, as in ``loss_curve_``, so that the two
        curves differ only by the data loss (``loss_curve_`` averages the
        batches over the epoch, while the parameters move). NaN for an
        epoch that diverged. None without early stopping.

    best_validation_score_ : float or None
        The best validation score, with early stopping.

    t_ : int
        The number of training samples seen by the solver.

    coefs_ : list of shape (n_layers - 1,)
        The ith element is the weight matrix of layer i,
        of shape (n_units_i, n_units_{i+1}).

    intercepts_ : list of shape (n_layers - 1,)
        The ith element is the bias vector of layer i + 1.

    activation_coefs_ : list of shape (n_layers - 2,)
        The learned coefficients C of each hidden layer: shape (n_basis,)
        for ``activation_scope='layer'``, (n_units, n_basis) for 'neuron'.

    activation_init_coefs_ : list of shape (n_layers - 2,)
        The coefficients the hidden activations started from.

    activation_ranges_ : list of shape (n_layers - 2,)
        The 1st and 99th percentiles of each hidden layer's pre-activations
        on (at most 1000 rows of) the training data, recorded at the end of
        every fit: shape (2,) for 'layer', (n_units, 2) for 'neuron'. Plots
        and formulas (:mod:`sklearn_vnn.inspection`) use this range.

    output_activation_coefs_ : ndarray of shape (n_basis,) or None
        The output layer's learned coefficients, if
        ``learn_output_activation``.

    basis_ : Basis
        The basis family in use.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when they are all strings.

    n_iter_ : int
        The number of iterations the solver ran.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        The output link: 'identity', 'exp', 'logistic' or 'softmax'.

    See Also
    --------
    VNNClassifier : The classifier.
    sklearn.neural_network.MLPRegressor : The same network with a fixed
        activation.

    Notes
    -----
    Each hidden layer computes ``Z = A_prev @ W + b`` and then
    ``A = sum_k C_k f_k(Z)`` (paper eq. 3; with ``activation_scope='neuron'``
    each neuron j has its own ``C_j``, paper Sec. III). Weights,
    intercepts and coefficients are trained together by backpropagation
    (paper eqs. 1-20); all of them live in one flat vector, so 'lbfgs' and
    'adam' update them in one piece.

    The training loss is the sample-weighted mean over samples of the
    per-sample loss summed over outputs. For single-output problems this is
    MLP's loss; for multi-output regression MLP reports the mean over
    outputs instead of the sum (its gradient is the sum's).

    Predictions warn with :class:`sklearn_vnn.OutOfRangeWarning` when more
    than 2% of the rows drive a hidden unit's pre-activation beyond the
    smallest or largest value it had on the training rows by more than half
    that range's width: there the learned activations extrapolate. With
    scikit-learn >= 1.9, ``set_callbacks`` registers ``sklearn.callback``
    callbacks, called around every solver iteration (an L-BFGS iteration or
    an epoch).

    References
    ----------
    Y. Li and E. Li, "Variational Neural Networks: Every Layer and Neuron
    Can Be Unique".

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_vnn import VNNRegressor
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> y = np.sin(3 * X).ravel()
    >>> reg = VNNRegressor(hidden_layer_sizes=(8,), solver="lbfgs",
    ...                    max_iter=500, random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.99)
    True
    """

    _parameter_constraints: dict = {
        **BaseVNN._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        *,
        basis="fourier",
        n_basis=8,
        basis_params=None,
        activation_scope="layer",
        activation_init="tanh",
        learn_activation=True,
        learn_output_activation=False,
        activation_alpha=10.0,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        n_init=1,
        adapt_range=False,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            basis=basis,
            n_basis=n_basis,
            basis_params=basis_params,
            activation_scope=activation_scope,
            activation_init=activation_init,
            learn_activation=learn_activation,
            learn_output_activation=learn_output_activation,
            activation_alpha=activation_alpha,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            n_init=n_init,
            adapt_range=adapt_range,
        )

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                f"loss='poisson' requires non-negative y; got a minimum of {np.min(y)}."
            )
        return X, y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : VNNRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : VNNRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        check_is_fitted(self)
        return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward_pass_fast(X, check_input=check_input)
        if y_pred.shape[1] == 1:
            return y_pred.ravel()
        return y_pred

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(
            X, y, sample_weight=sample_weight, score_function=r2_score
        )
