"""ONNX export of VNNClassifier and VNNRegressor through skl2onnx.

Importing this module registers a shape calculator and a converter for
both estimators with :func:`skl2onnx.update_registered_converter`, so that
``skl2onnx.to_onnx`` converts a fitted VNN on its own or as a step of a
:class:`~sklearn.pipeline.Pipeline`::

    import sklearn_vnn.onnx  # registers the converters
    from skl2onnx import to_onnx

    onx = to_onnx(model, X[:1].astype(np.float32))

:func:`register` does the same explicitly and may be called any number of
times. The module needs the optional extra ``onnx`` (``pip install
"sklearn-vnn[onnx]"``: skl2onnx, onnx, onnxruntime) and raises an
ImportError naming it otherwise; ``import sklearn_vnn`` never imports it.

The graph is the forward pass of ``sklearn_vnn._network`` written in ONNX
operators: per layer ``Z = A @ W + b``; the M basis functions ``f_k(Z)``,
built by the family's own :meth:`~sklearn_vnn.bases.Basis.onnx_terms`;
then ``A = sum_k C_k f_k(Z)``, where ``C_k`` is a scalar (scope 'layer') or
a row of per-neuron coefficients (scope 'neuron'). The output link follows
(``Exp``, ``Sigmoid``, ``Softmax`` or none). The built-in families build
their terms with the plainest operators, not always as the NumPy code
computes them: Fourier terms from one ``Sin`` and one ``Cos`` by angle
addition (NumPy starts from one ``tan`` by the half-angle formulas),
Chebyshev and Legendre polynomials of ``tanh(z / scale)`` by their
three-term recurrences (as NumPy), ``exp(-t**2 / 2)`` for Gaussian bumps,
the two cubic pieces of a B-spline selected with ``Abs``/``Less``/``Where``
(NumPy selects them with ``where``), and one or two operators per classic
activation of the 'candidates' basis (from the table that defines them).

Outputs follow skl2onnx's converter of MLP: a regressor gives ``variable``
of shape (N, n_outputs); a classifier gives ``label`` and
``probabilities`` (a list of dicts unless the option ``zipmap=False``),
with binary, multiclass, multilabel and string labels (``nocl=True`` gives
class indices in place of labels). Arithmetic runs in
float32, or in float64 when the input is double.

A user-defined :class:`~sklearn_vnn.bases.Basis` subclass is exported once
it defines :meth:`~sklearn_vnn.bases.Basis.onnx_terms`. (The older way,
:func:`register_basis` with a separate graph builder, still works and
takes precedence.)
"""

import numbers

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        guess_proto_type,
    )
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )
    from skl2onnx.common.utils_classifier import get_label_classes
    from skl2onnx.proto import onnx_proto
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "sklearn_vnn.onnx needs the optional extra 'onnx' (skl2onnx, onnx, "
        "onnxruntime): pip install 'sklearn-vnn[onnx]'."
    ) from exc

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_vnn._classifier import VNNClassifier
from sklearn_vnn._regressor import VNNRegressor
from sklearn_vnn.bases._writing import family_terms

__all__ = ["register", "register_basis"]

_ALIASES = {
    VNNClassifier: "SklearnVNNClassifier",
    VNNRegressor: "SklearnVNNRegressor",
}


class _Graph:
    """Adds nodes and constants of one floating dtype to a skl2onnx container.

    Every method returns the name of the tensor it created. The basis
    families' ``onnx_terms`` build their terms with it.
    """

    def __init__(self, scope, container, proto_dtype):
        self.scope = scope
        self.container = container
        self.proto_dtype = proto_dtype
        self.dtype = (
            np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32
        )
        self._scalars = {}

    def const(self, value, proto_dtype=None):
        """An initializer holding ``value`` (in the graph's float dtype).

        Float scalars are shared: each distinct value is stored once.
        """
        if proto_dtype is None:
            proto_dtype = self.proto_dtype
            value = np.asarray(value, dtype=self.dtype)
            if value.ndim == 0 and value.item() in self._scalars:
                return self._scalars[value.item()]
        else:
            value = np.asarray(value)
        name = self.scope.get_unique_variable_name("c")
        self.container.add_initializer(
            name, proto_dtype, list(value.shape), value.ravel().tolist()
        )
        if proto_dtype == self.proto_dtype and value.ndim == 0:
            self._scalars[value.item()] = name
        return name

    def op(self, op_type, inputs, op_domain="", **attrs):
        """One node ``op_type(*inputs)``; returns its output's name."""
        out = self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            list(inputs),
            [out],
            op_domain=op_domain,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return out

    # shorthands for the arithmetic the bases use
    def operands(self, *args):
        """Tensor names, with every Python number made a scalar constant."""
        return [self.const(a) if isinstance(a, numbers.Real) else a for a in args]

    def add(self, a, b):
        return self.op("Add", self.operands(a, b))

    def sub(self, a, b):
        return self.op("Sub", self.operands(a, b))

    def mul(self, a, b):
        return self.op("Mul", self.operands(a, b))

    def ones_like(self, a):
        """A tensor of ones shaped as ``a`` (``a`` must be finite)."""
        return self.add(self.mul(a, 0.0), 1.0)


# graph builders given with register_basis, by exact basis type
_BASIS_GRAPHS = {}


def register_basis(basis_class, builder):
    """Give the converter a graph builder for a basis family (older way).

    A family now builds its own graph with its method
    :meth:`~sklearn_vnn.bases.Basis.onnx_terms`; a builder given here is
    used in its place for exactly ``basis_class`` (not its subclasses).

    Parameters
    ----------
    basis_class : type
        A subclass of :class:`sklearn_vnn.bases.Basis`.
    builder : callable
        ``builder(g, Z, basis) -> list of M tensor names``: adds the nodes
        computing ``f_k(Z)`` for each k, in the family's order, with the
        graph builder ``g`` (see :meth:`~sklearn_vnn.bases.Basis.onnx_terms`).
    """
    if not isinstance(basis_class, type):
        raise TypeError(f"basis_class must be a class, got {basis_class!r}.")
    if not callable(builder):
        raise TypeError(f"builder must be callable, got {builder!r}.")
    _BASIS_GRAPHS[basis_class] = builder


# ---------------------------------------------------------------------------
# the network
# ---------------------------------------------------------------------------
def _activation(g, Z, C, basis):
    """``sum_k C_k f_k(Z)``; C has shape (M,) or (n_units, M)."""
    builder = _BASIS_GRAPHS.get(type(basis))
    if builder is None:
        terms = family_terms(basis, "onnx_terms", g, Z)
    else:
        terms = list(builder(g, Z, basis))
        if len(terms) != basis.n_basis:
            raise ValueError(
                f"The ONNX builder of {type(basis).__name__} gave {len(terms)} "
                f"terms for n_basis={basis.n_basis}."
            )
    C = np.asarray(C)
    # scope 'layer': C[k] is a scalar; 'neuron': C[:, k] broadcasts over rows
    coef = [C[k] if C.ndim == 1 else C[:, k] for k in range(basis.n_basis)]
    A = g.mul(terms[0], g.const(coef[0]))
    for term, c in zip(terms[1:], coef[1:]):
        A = g.add(A, g.mul(term, g.const(c)))
    return A


_LINK_OPS = {
    "identity": None,
    "exp": "Exp",
    "logistic": "Sigmoid",
    "softmax": "Softmax",
}


def _forward(g, model, input_name):
    """The network's output after the link, shape (N, n_outputs)."""
    A = g.op("Cast", [input_name], to=g.proto_dtype)
    n_layers = len(model.coefs_)
    for layer in range(n_layers):
        W, b = model.coefs_[layer], model.intercepts_[layer]
        Z = g.add(g.op("MatMul", [A, g.const(W)]), g.const(b))
        if layer < n_layers - 1:
            C = model.activation_coefs_[layer]
        else:
            C = model.output_activation_coefs_
        A = Z if C is None else _activation(g, Z, C, model.basis_)
    link = _LINK_OPS[model.out_activation_]
    if link == "Softmax":
        return g.op(link, [A], axis=1)
    return A if link is None else g.op(link, [A])


def _proto_dtype(operator):
    proto_dtype = guess_proto_type(operator.inputs[0].type)
    if proto_dtype != onnx_proto.TensorProto.DOUBLE:
        proto_dtype = onnx_proto.TensorProto.FLOAT
    return proto_dtype


def _is_multilabel(model):
    return model._label_binarizer.y_type_ == "multilabel-indicator"


def _class_labels(classes):
    """The labels as an ONNX tensor type and array.

    As skl2onnx's MLP converter: strings stay strings, numbers (classifiers
    accept only integral ones) become int64.
    """
    if classes.dtype.kind in "OUS":
        return onnx_proto.TensorProto.STRING, np.array(
            [str(c).encode("utf-8") for c in classes]
        )
    return onnx_proto.TensorProto.INT64, classes.astype(np.int64)


def convert_vnn_regressor(scope, operator, container):
    """skl2onnx converter of a fitted VNNRegressor."""
    model = operator.raw_operator
    g = _Graph(scope, container, _proto_dtype(operator))
    y = _forward(g, model, operator.inputs[0].full_name)
    container.add_node(
        "Identity",
        [y],
        [operator.outputs[0].full_name],
        name=scope.get_unique_operator_name("Identity"),
    )


def convert_vnn_classifier(scope, operator, container):
    """skl2onnx converter of a fitted VNNClassifier: label and probabilities."""
    model = operator.raw_operator
    g = _Graph(scope, container, _proto_dtype(operator))
    label_name, proba_name = (v.full_name for v in operator.outputs[:2])
    p = _forward(g, model, operator.inputs[0].full_name)

    if _is_multilabel(model):
        # one logistic output per label; predict thresholds each at 0.5
        container.add_node(
            "Identity", [p], [proba_name], name=scope.get_unique_operator_name("Id")
        )
        above = g.op("Greater", g.operands(p, 0.5))
        container.add_node(
            "Cast",
            [above],
            [label_name],
            to=onnx_proto.TensorProto.INT64,
            name=scope.get_unique_operator_name("Cast"),
        )
        return

    if model.n_outputs_ == 1:
        # binary: the network gives P(classes_[1]); prepend 1 - p
        p = g.op("Concat", [g.sub(1.0, p), p], axis=1)
    container.add_node(
        "Identity", [p], [proba_name], name=scope.get_unique_operator_name("Identity")
    )
    # get_label_classes honours the option nocl (labels are then indices)
    class_type, classes = _class_labels(np.asarray(get_label_classes(scope, model)))
    index = g.op("ArgMax", [p], axis=1, keepdims=0)
    chosen = g.op(
        "ArrayFeatureExtractor",
        [g.const(classes, proto_dtype=class_type), index],
        op_domain="ai.onnx.ml",
    )
    container.add_node(
        "Reshape",
        [chosen, g.const(np.array([-1], dtype=np.int64), onnx_proto.TensorProto.INT64)],
        [label_name],
        name=scope.get_unique_operator_name("Reshape"),
    )


def _float_type(operator):
    inp = operator.inputs[0].type
    return DoubleTensorType if isinstance(inp, DoubleTensorType) else FloatTensorType


def calculate_vnn_regressor_output_shapes(operator):
    """One output: the predictions, shape (N, n_outputs)."""
    model = operator.raw_operator
    check_is_fitted(model)
    N = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _float_type(operator)([N, model.n_outputs_])


def calculate_vnn_classifier_output_shapes(operator):
    """Label of shape (N,) ((N, n_classes) for multilabel) and probabilities."""
    model = operator.raw_operator
    check_is_fitted(model)
    if not _is_multilabel(model):
        calculate_linear_classifier_output_shapes(operator)
        return
    N = operator.inputs[0].get_first_dimension()
    n_labels = len(model.classes_)
    operator.outputs[0].type = Int64TensorType([N, n_labels])
    operator.outputs[1].type = _float_type(operator)([N, n_labels])


def register():
    """Register the converters of both estimators with skl2onnx (idempotent).

    Importing :mod:`sklearn_vnn.onnx` already calls it.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skl2onnx import to_onnx
    >>> from sklearn_vnn import VNNRegressor
    >>> from sklearn_vnn.onnx import register
    >>> register()
    >>> X = np.linspace(-1, 1, 50, dtype=np.float32).reshape(-1, 1)
    >>> reg = VNNRegressor(hidden_layer_sizes=(4,), solver="lbfgs",
    ...                    max_iter=300, random_state=0).fit(X, X.ravel() ** 2)
    >>> onx = to_onnx(reg, X[:1])
    >>> sess = ort.InferenceSession(onx.SerializeToString(),
    ...                             providers=["CPUExecutionProvider"])
    >>> y_onnx = sess.run(None, {"X": X})[0]
    >>> bool(np.allclose(y_onnx.ravel(), reg.predict(X), atol=1e-5))
    True
    """
    update_registered_converter(
        VNNRegressor,
        _ALIASES[VNNRegressor],
        calculate_vnn_regressor_output_shapes,
        convert_vnn_regressor,
    )
    update_registered_converter(
        VNNClassifier,
        _ALIASES[VNNClassifier],
        calculate_vnn_classifier_output_shapes,
        convert_vnn_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [False, True]},
    )


register()
