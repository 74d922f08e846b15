"""The public API's docstrings follow numpydoc, checked by numpydoc itself.

Each public object (the estimators and their methods, ActivationDisplay,
the functions of :mod:`sklearn_vnn.inspection`, the classes of
:mod:`sklearn_vnn.bases` and their methods) goes through
``numpydoc.validate.validate``; every error it reports fails the test,
except for the few checks listed in ``IGNORED`` below.
"""

import inspect

import pytest

import sklearn_vnn
from sklearn_vnn import bases
from sklearn_vnn import inspection as vnn_inspection

numpydoc_validate = pytest.importorskip("numpydoc.validate")

# Checks left out everywhere, each for a reason:
IGNORED = {
    # The project writes the summary on the opening line (PEP 257 style),
    # which numpydoc's GL01 does not accept.
    "GL01",
    # A "See Also" section is useful now and then, not on every object.
    "SA01",
    # Returns entries are written "name : type", so that the text can refer
    # to the returned value by name; RT02 wants the type alone.
    "RT02",
}
# Checks left out for methods and properties only: their class's docstring
# carries the extended summary and the examples.
IGNORED_FOR_METHODS = {"ES01", "EX01"}
# Methods that override a documented method of a parent class without a
# docstring of their own: the parent's docstring states the contract (and
# is what help() shows), so GL08 "no docstring" is left out for them.
OVERRIDES = set()


METHODS = set()  # the import paths of methods and properties, filled below


def _defined_in_package(obj):
    """Whether ``obj`` (a function, descriptor or class) is sklearn_vnn's own
    rather than inherited from scikit-learn or the standard library."""
    module = getattr(inspect.unwrap(obj), "__module__", None) or ""
    return module.split(".")[0] == "sklearn_vnn"


def _overrides_documented(cls, name):
    """Whether ``cls.name`` overrides a parent's method that has a docstring."""
    return any(
        getattr(getattr(parent, name, None), "__doc__", None)
        for parent in cls.__mro__[1:]
    )


def _public_methods(cls, prefix, inherited):
    """Import paths of the public methods and properties of ``cls``.

    ``inherited=False`` keeps only those ``cls`` defines itself (inherited
    ones are checked where they are defined); ``inherited=True`` also takes
    those of its private sklearn_vnn bases (the estimators inherit their
    public methods from the private BaseVNN).
    """
    names = []
    owners = [cls] if not inherited else [c for c in cls.__mro__ if c is not object]
    for owner in owners:
        for name, attr in vars(owner).items():
            if name.startswith("_") or name in names:
                continue
            # getattr resolves descriptors: classmethods, available_if
            func = attr.fget if isinstance(attr, property) else getattr(owner, name)
            if callable(func) and _defined_in_package(func):
                names.append(name)
                if _overrides_documented(owner, name):
                    OVERRIDES.add(f"{prefix}.{name}")
    methods = [f"{prefix}.{name}" for name in sorted(names)]
    METHODS.update(methods)
    return methods


def _public_objects():
    paths = []
    for name in ["VNNClassifier", "VNNRegressor"]:
        cls = getattr(sklearn_vnn, name)
        paths.append(f"sklearn_vnn.{name}")
        paths += _public_methods(cls, f"sklearn_vnn.{name}", inherited=True)
    paths.append("sklearn_vnn.ActivationDisplay")
    paths += _public_methods(
        sklearn_vnn.ActivationDisplay, "sklearn_vnn.ActivationDisplay", inherited=False
    )
    for name in vnn_inspection.__all__:
        obj = getattr(vnn_inspection, name)
        if inspect.isfunction(obj):
            paths.append(f"sklearn_vnn.inspection.{name}")
    for name in bases.__all__:
        obj = getattr(bases, name)
        if inspect.isclass(obj):
            paths.append(f"sklearn_vnn.bases.{name}")
            prefix = f"sklearn_vnn.bases.{name}"
            paths += _public_methods(obj, prefix, inherited=False)
    return paths


PUBLIC_OBJECTS = _public_objects()


def test_the_public_api_is_collected():
    # the collection above must not quietly come back empty or partial
    assert "sklearn_vnn.VNNClassifier.fit" in PUBLIC_OBJECTS
    assert "sklearn_vnn.VNNRegressor.activation_function" in PUBLIC_OBJECTS
    assert "sklearn_vnn.ActivationDisplay.from_estimator" in PUBLIC_OBJECTS
    assert "sklearn_vnn.inspection.nearest_classic_activation" in PUBLIC_OBJECTS
    assert "sklearn_vnn.bases.Basis" in PUBLIC_OBJECTS
    assert not any(".get_params" in path for path in PUBLIC_OBJECTS)


@pytest.mark.parametrize("path", PUBLIC_OBJECTS)
def test_docstring(path):
    result = numpydoc_validate.validate(path)
    ignored = IGNORED | (IGNORED_FOR_METHODS if path in METHODS else set())
    if path in OVERRIDES:
        ignored = ignored | {"GL08"}
    errors = [(code, msg) for code, msg in result["errors"] if code not in ignored]
    assert not errors, "\n".join(f"{path}: {code} {msg}" for code, msg in errors)
