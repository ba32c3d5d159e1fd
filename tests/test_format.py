"""The one p-value formatter (:func:`analysis.report.format.format_p`), by hand.

Formatting is the function under test here, so the expected values are strings (STYLE 8
compares numbers, never formatted strings, for statistical functions).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.report import tables
from analysis.report.book import p_text
from analysis.report.format import MISSING_P, format_p


def test_missing_is_one_documented_rendering():
    assert MISSING_P == "n/a"


@pytest.mark.parametrize(
    "p,digits,expected",
    [
        (0.0499, 3, "0.050"),      # rounds up to the third decimal
        (0.012, 3, "0.012"),
        (0.0123, 3, "0.012"),      # rounds down
        (0.04, 3, "0.040"),        # trailing zeros kept: three decimals always
        (0.001, 3, "0.001"),       # at the bound: printed, not "<"
        (0.00099, 3, "<0.001"),    # below the bound
        (0.0004, 3, "<0.001"),
        (0.0, 3, "<0.001"),
        (1.0, 3, "1.000"),
        (1, 3, "1.000"),           # an integer p
        (np.float64(0.5), 3, "0.500"),
        (0.01234, 4, "0.0123"),
        (0.0004, 4, "0.0004"),     # above 10**-4: printed
        (0.00004, 4, "<0.0001"),
        (0.049, 2, "0.05"),
        (0.004, 2, "<0.01"),
        (float("nan"), 3, "n/a"),
        (np.nan, 4, "n/a"),
        (None, 3, "n/a"),
        (pd.NA, 3, "n/a"),
        (math.inf, 3, "n/a"),
    ],
)
def test_format_p(p, digits, expected):
    assert format_p(p, digits) == expected


@pytest.mark.parametrize(
    "p,expected",
    [(0.012, "= 0.012"), (0.0004, "< 0.001"), (0.001, "= 0.001"), (1.0, "= 1.000"), (float("nan"), "= n/a"),
     (None, "= n/a")],
)
def test_prefix_for_prose(p, expected):
    assert format_p(p, prefix=True) == expected
    assert p_text(p) == expected  # the prose helper is the same function


@pytest.mark.parametrize(
    "p,operator,prefix,expected",
    [(0.001, "<", False, "<0.001"), (0.001, "<", True, "< 0.001"), (0.05, ">", False, ">0.050"),
     (0.04, "=", False, "0.040"), (0.0004, "=", False, "<0.001")],
)
def test_printed_operator(p, operator, prefix, expected):
    """A published p stored as a bound (``p: 0.001``, ``p_operator: "<"``) prints with its relation."""
    assert format_p(p, operator=operator, prefix=prefix) == expected


@pytest.mark.parametrize("kwargs,match", [
    ({"digits": 0}, "digits must be a positive integer, got 0"),
    ({"digits": 2.5}, "digits must be a positive integer, got 2.5"),
    ({"operator": "<="}, "operator must be one of"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        format_p(0.5, **kwargs)


def test_not_a_number():
    with pytest.raises(ValueError):
        format_p("small")


def test_tables_use_the_one_rendering():
    """Every display table renders p values, and a missing p, through format_p."""
    hr = pd.DataFrame({"label": ["Unadjusted", "Adjusted"], "hr": [1.5, 1.4], "ci_low": [1.1, 1.0],
                       "ci_high": [2.0, 1.9], "p": [0.0004, 0.0499], "p_logrank": [0.012, np.nan]})
    out = tables.format_hr_table(hr)
    assert out["p (Cox Wald)"].tolist() == ["<0.001", "0.050"]
    assert out["p (log-rank)"].tolist() == ["0.012", MISSING_P]
    est = pd.DataFrame({"analyte": ["alb", "tbil"], "week": [4.0, 4.0], "n": [10, 12],
                        "effect_type": ["difference", "ratio"], "effect": [1.0, 0.9], "effect_ci_low": [0.5, 0.8],
                        "effect_ci_high": [1.5, 1.0], "p": [np.nan, 0.00004]})
    assert tables.format_estimates(est)["p"].tolist() == [MISSING_P, "<0.001"]
    assert tables.format_estimates(est, p_digits=4)["p"].tolist() == [MISSING_P, "<0.0001"]
