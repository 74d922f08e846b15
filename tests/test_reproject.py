"""``reproject``: a learned activation carried over to another family or
range by least squares, with the constant fitted as it is."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_vnn.bases import (
    ChebyshevBasis,
    FourierBasis,
    PolynomialBasis,
    WithLinear,
    reproject,
)


def _F(basis, coef, z):
    """sum_k coef_k f_k(z), for one combination or one per unit (columns)."""
    phi = basis.value(z)
    return phi @ coef if coef.ndim == 1 else np.einsum("ik,jk->ij", phi, coef)


def test_onto_more_functions_and_a_wider_range_is_exact():
    rng = np.random.default_rng(0)
    old = PolynomialBasis(6, domain=(-1.0, 2.0))
    coef = rng.standard_normal(6)
    new = PolynomialBasis(10, domain=(-3.0, 4.0))
    new_coef = reproject(old, coef, new, -1.0, 2.0)
    assert new_coef.shape == (10,)
    z = np.linspace(-1.0, 2.0, 301)
    assert np.max(np.abs(_F(new, new_coef, z) - _F(old, coef, z))) <= 1e-10
    # the constant is kept as it is, not left to an intercept
    assert abs(_F(new, new_coef, z[:1])[0] - _F(old, coef, z[:1])[0]) <= 1e-10


def test_onto_a_shifted_range_keeps_the_overlap():
    rng = np.random.default_rng(1)
    old = PolynomialBasis(6, domain=(-1.0, 2.0))
    coef = rng.standard_normal(6)
    new = old.with_range(0.5, 3.5)  # same M: a degree-5 polynomial again
    new_coef = reproject(old, coef, new, 0.5, 2.0)
    z = np.linspace(0.5, 2.0, 151)
    assert np.max(np.abs(_F(new, new_coef, z) - _F(old, coef, z))) <= 1e-10


def test_per_unit_coefficients_and_ranges():
    rng = np.random.default_rng(2)
    old = PolynomialBasis(5)
    coef = rng.standard_normal((3, 5))
    new = PolynomialBasis(7, domain=(-6.0, 6.0))
    lo, hi = np.array([-3.0, -1.0, 0.0]), np.array([3.0, 2.0, 0.5])
    new_coef = reproject(old, coef, new, lo, hi)
    assert new_coef.shape == (3, 7)
    for j in range(3):
        z = np.linspace(lo[j], hi[j], 101)
        err = new.value(z) @ new_coef[j] - old.value(z) @ coef[j]
        assert np.max(np.abs(err)) <= 1e-10
    # one shared range for all units: the same as that range given per unit
    shared = reproject(old, coef, new, -3.0, 3.0)
    per_unit = reproject(old, coef, new, np.full(3, -3.0), 3.0)
    assert_allclose(shared, per_unit, rtol=1e-10, atol=1e-10)
    one = reproject(old, coef[1], new, -3.0, 3.0)
    assert_allclose(shared[1], one, rtol=1e-10, atol=1e-10)


def test_between_families_is_a_least_squares_fit():
    # a smooth activation from the tanh-mapped family onto the linear-map
    # family: close, not exact, and better with more functions
    old = ChebyshevBasis(8)
    coef = old.project(np.tanh)
    z = np.linspace(-3, 3, 201)
    errors = []
    for M in (8, 16):
        new = PolynomialBasis(M)
        errors.append(
            np.max(
                np.abs(_F(new, reproject(old, coef, new, -3, 3), z) - _F(old, coef, z))
            )
        )
    assert errors[1] < errors[0] < 0.05
    # onto a family with a linear term: the linear term takes part
    new = WithLinear(FourierBasis(4))
    new_coef = reproject(PolynomialBasis(2), np.array([0.0, 1.0]), new, -3, 3)
    assert_allclose(new_coef, [0, 0, 0, 0, 1 / 3], atol=1e-10)  # T_1 = z / 3


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.ones(4), PolynomialBasis(3), -1.0, 1.0), "coef must have shape"),
        ((np.ones((2, 5)), PolynomialBasis(3), [0.0, 1.0, 2.0], 3.0), "lo and hi"),
        ((np.ones(5), PolynomialBasis(3), np.zeros(2), 1.0), "2-d coef"),
        ((np.ones(5), PolynomialBasis(3), 1.0, -1.0), "lo < hi"),
        ((np.ones(5), PolynomialBasis(3), 0.0, np.inf), "lo < hi"),
    ],
)
def test_bad_input_raises(args, message):
    with pytest.raises(ValueError, match=message):
        reproject(PolynomialBasis(5), *args)
    with pytest.raises(TypeError, match="Basis instance"):
        reproject("polynomial", np.ones(5), PolynomialBasis(3), -1.0, 1.0)
    with pytest.raises(ValueError, match="n_points"):
        reproject(PolynomialBasis(5), np.ones(5), PolynomialBasis(3), -1, 1, 1)
