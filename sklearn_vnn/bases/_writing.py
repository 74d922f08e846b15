"""Writing a family out: the check that a family writes its own terms,
and numbers written readably in numpy expressions."""

from fractions import Fraction

import numpy as np

from sklearn_vnn.bases._base import Basis


def exact_number(v):
    """A short Python literal for ``v``: an int, a fraction p/q, or repr.

    >>> exact_number(2.0), exact_number(0.75), exact_number(1 / 3)
    ('2', '3/4', '1/3')
    """
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    frac = Fraction(v).limit_denominator(1000)
    text = f"{frac.numerator}/{frac.denominator}"
    if abs(float(frac) - v) <= 4 * np.spacing(abs(v)) and len(text) < len(repr(v)):
        return text
    return repr(v)


def times(factor, x):
    """``factor * x`` written readably (exact; pi recognised).

    >>> times(np.pi / 6, "x"), times(-2.0, "x"), times(1 / 3, "x")
    ('np.pi*x/6', '-2*x', 'x/3')
    """
    factor = float(factor)
    for unit, name in ((np.pi, "np.pi*"), (1.0, "")):
        frac = Fraction(factor / unit).limit_denominator(1000)
        if abs(float(frac) * unit - factor) <= 4 * np.spacing(abs(factor)):
            p, q = frac.numerator, frac.denominator
            sign = "-" if p < 0 else ""
            p = abs(p)
            head = name + x if p == 1 else f"{p}*{name}{x}"
            text = sign + (head if q == 1 else f"{head}/{q}")
            if name or len(text) <= len(f"{factor!r}*{x}"):
                return text
    return f"{factor!r}*{x}"


def shifted(x, centre):
    """``(x - centre)`` written readably.

    >>> shifted("x", 1 / 3), shifted("x", -2.0), shifted("x", 0.0)
    ('(x - 1/3)', '(x + 2)', 'x')
    """
    if centre == 0:
        return x
    sign = "-" if centre > 0 else "+"
    return f"({x} {sign} {exact_number(abs(centre))})"


# hooks that define a family's values: a writer (numpy_terms, onnx_terms)
# inherited from above the class that last changed one of them writes the
# parent's functions, not this family's
_WRITTEN_HOOKS = ("_evaluate", "_recurrence", "_fill", "evaluate")
_WRITER_USES = {
    "numpy_terms": "activation_formula",
    "onnx_terms": "ONNX export",
}
_WRITER_SIGNATURES = {
    "numpy_terms": "numpy_terms(x) (or, by its older name, term_expressions(x)) "
    "returning one numpy expression (a str) per basis function",
    "onnx_terms": "onnx_terms(g, Z) building one tensor per basis function "
    "with the graph builder g (see Basis.onnx_terms)",
}


def _owner(cls, name):
    """The class in ``cls``'s MRO that defines ``name``, or None."""
    return next((c for c in cls.__mro__ if name in vars(c)), None)


def _missing_writer(cls, method):
    """The message for a family without its own ``method``."""
    message = (
        f"{_WRITER_USES[method]} needs the basis {cls.__name__} to define its "
        f"own method {_WRITER_SIGNATURES[method]}."
    )
    owner = _owner(cls, method)
    if owner is not None and owner is not Basis:
        message += (
            f" The one it inherits writes the functions of {owner.__name__}, "
            f"which {cls.__name__} changes."
        )
    return message


def _own_writer(cls, method):
    """Whether ``cls`` has its own ``method``: not Basis's, and not one
    inherited from above a class that changes the values."""
    owner = _owner(cls, method)
    if owner is None or owner is Basis:
        return False
    hooks = [_owner(cls, hook) for hook in _WRITTEN_HOOKS]
    return all(hook is None or issubclass(owner, hook) for hook in hooks)


def family_terms(basis, method, *args):
    """The M terms of ``basis`` from its own ``numpy_terms`` or ``onnx_terms``.

    Parameters
    ----------
    basis : Basis
    method : {'numpy_terms', 'onnx_terms'}
    *args
        The method's arguments.

    Returns
    -------
    terms : list of length M

    Raises
    ------
    TypeError
        If the family does not define ``method`` itself (a subclass that
        changes the values of a built-in family must write them too). For
        ``numpy_terms``, an older ``term_expressions(x)`` is accepted.
    ValueError
        If the method returns a number of terms other than M.
    """
    cls = type(basis)
    name = method
    if not _own_writer(cls, method):
        if method == "numpy_terms" and _own_writer(cls, "term_expressions"):
            name = "term_expressions"
        else:
            raise TypeError(_missing_writer(cls, method))
    terms = list(getattr(basis, name)(*args))
    if len(terms) != basis.n_basis:
        raise ValueError(
            f"{cls.__name__}.{name} returned {len(terms)} terms for "
            f"n_basis={basis.n_basis}."
        )
    return terms
