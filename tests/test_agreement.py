"""toolkit.agreement.printed: rounding half away from zero, as tables print numbers."""

from __future__ import annotations

import math

import pytest

from analysis.toolkit.agreement import printed


@pytest.mark.parametrize("x,decimals,expected", [
    (2.25, 1, 2.3),     # round() gives 2.2 (half to even)
    (-2.25, 1, -2.3),   # away from zero on both sides
    (-0.5, 0, -1.0),
    (0.5, 0, 1.0),      # round() gives 0
    (2.5, 0, 3.0),      # round() gives 2
    (0.125, 2, 0.13),   # an exact binary half
    (3.14159, 3, 3.142),
    (0.0, 2, 0.0),
])
def test_printed_rounds_half_away_from_zero(x, decimals, expected):
    assert printed(x, decimals) == expected


def test_printed_keeps_non_finite_values():
    assert math.isnan(printed(float("nan"), 1))
    assert printed(float("inf"), 1) == float("inf")
