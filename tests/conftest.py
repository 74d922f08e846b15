"""Shared pytest set-up: the ``--runslow`` option and the slow marker."""

import importlib.util

import pytest

# test_property.py imports hypothesis (an optional test dependency) at module
# level: leave it out of the collection rather than error on a bare install.
collect_ignore = (
    ["test_property.py"] if importlib.util.find_spec("hypothesis") is None else []
)


def pytest_addoption(parser):
    parser.addoption(
        "--runslow",
        action="store_true",
        default=False,
        help="also run the tests marked slow (CI does)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)
