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


# The activation's two paths: NumPy always, the numba kernels when numba is
# installed (the 'fast' extra; the test extra brings it, so CI runs both).
# A test module that should hold on both says
# ``pytestmark = pytest.mark.usefixtures("kernels")``.
KERNELS = ["numpy"] + (["numba"] if importlib.util.find_spec("numba") else [])


@pytest.fixture(params=KERNELS)
def kernels(request, monkeypatch):
    """Run the test with ``SKLEARN_VNN_KERNELS`` set to each available path."""
    monkeypatch.setenv("SKLEARN_VNN_KERNELS", request.param)
    return request.param
