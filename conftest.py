"""Root pytest set-up: doctests whose optional extra is missing are skipped.

``--doctest-modules`` imports every module of the package and runs its
examples, so a bare install (``pip install -e . pytest``, no extras) would
otherwise error out on the optional parts: ``sklearn_vnn.onnx`` raises an
ImportError without skl2onnx, and the ``ActivationDisplay`` example imports
matplotlib. This conftest lives at the repository root because collection
hooks of ``tests/conftest.py`` do not reach the modules in ``sklearn_vnn/``.
"""

import ast
import importlib.util

import pytest
from _pytest.doctest import DoctestItem


def _is_missing(module):
    """Whether the top-level package of ``module`` cannot be imported."""
    return importlib.util.find_spec(module.partition(".")[0]) is None


# The module itself needs skl2onnx at import time: nothing to collect.
collect_ignore = ["sklearn_vnn/onnx.py"] if _is_missing("skl2onnx") else []


def _imported_modules(source):
    """Top-level names of the modules an example's source imports."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def pytest_collection_modifyitems(config, items):
    """Skip each doctest that imports a module which is not installed."""
    for item in items:
        if not isinstance(item, DoctestItem) or item.dtest is None:
            continue
        imported = {
            name for ex in item.dtest.examples for name in _imported_modules(ex.source)
        }
        missing = sorted(name for name in imported if _is_missing(name))
        if missing:
            reason = f"doctest needs the optional {', '.join(missing)}"
            item.add_marker(pytest.mark.skip(reason=reason))
