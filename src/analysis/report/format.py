"""Display helpers shared by the report's tables and figures: arm and term labels, and the one
rendering of estimates with intervals and of p values (:func:`format_p`, used by every table and
by :func:`analysis.report.book.p_text` for prose).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..toolkit.safety import ANY_EVENT
from ..toolkit.schema import ARM_LABELS

__all__ = ["MISSING_P", "arm_label", "format_p"]

#: How a p value that could not be computed (``None``, NaN, NA) is shown, in tables and in prose.
MISSING_P = "n/a"


def arm_label(arm: str) -> str:
    """Display label of an arm.

    Parameters
    ----------
    arm : {"control", "ucmsc"}
        Arm key as in the data.

    Returns
    -------
    str
        The label shown to readers (``"Control"``, ``"UC-MSC"``;
        :data:`~analysis.toolkit.schema.ARM_LABELS`).

    Raises
    ------
    KeyError
        If ``arm`` is not an arm key.
    """
    return ARM_LABELS[arm]


# ----------------------------------------------------------------------------
# Display
# ----------------------------------------------------------------------------
def _label(term: str) -> str:
    """Display label of a term or category: capitalised, underscores as hyphens."""
    if term == ANY_EVENT:
        return term
    t = term.replace("_", "-")
    return t[:1].upper() + t[1:]


# ----------------------------------------------------------------------------
# Display tables (formatting only; the numbers come from the statistical functions)
# ----------------------------------------------------------------------------
def _fmt_ci(est: float, lo: float, hi: float, digits: int = 2) -> str:
    if np.isnan(est):
        return "not estimable"
    lo_s = "NR" if np.isnan(lo) else f"{lo:.{digits}f}"
    hi_s = "NR" if np.isnan(hi) else f"{hi:.{digits}f}"
    return f"{est:.{digits}f} ({lo_s} to {hi_s})"


def format_p(p: Any, digits: int = 3, *, prefix: bool = False, operator: str = "=") -> str:
    """A p value as printed in trial reports: ``digits`` decimals, ``<0.001`` below the last one.

    The one p-value formatter of the report: every table and the prose use it.

    Parameters
    ----------
    p : float or None
        The p value. ``None``, NaN, NA or an infinite value (a test that could not be computed)
        is shown as :data:`MISSING_P` (``"n/a"``).
    digits : int
        Decimals (default 3). Values below ``10**-digits`` are shown as that bound with ``<``.
    prefix : bool
        For prose after "p": put the relation in front, with spaces (``"= 0.012"``,
        ``"< 0.001"``, ``"= n/a"``). Default ``False``, for table cells (``"0.012"``,
        ``"<0.001"``, ``"n/a"``).
    operator : {"=", "<", ">"}
        The relation as printed in a source, for a published p stored as a bound (``p: 0.001``
        with ``p_operator: "<"`` prints ``<0.001``). Default ``"="``: the relation follows
        from the value.

    Returns
    -------
    str
        E.g. ``format_p(0.0499) == "0.050"``, ``format_p(0.0004) == "<0.001"``,
        ``format_p(float("nan")) == "n/a"``, ``format_p(0.01234, 4) == "0.0123"``,
        ``format_p(0.012, prefix=True) == "= 0.012"``.

    Raises
    ------
    ValueError
        If ``digits`` is not a positive integer, ``operator`` is not ``=``, ``<`` or ``>``, or
        ``p`` is not a number.
    """
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or digits < 1:
        raise ValueError(f"digits must be a positive integer, got {digits!r}")
    if operator not in ("=", "<", ">"):
        raise ValueError(f"operator must be one of ('=', '<', '>'), got {operator!r}")
    sep = " " if prefix else ""
    if p is None or pd.isna(p) or not math.isfinite(float(p)):
        return f"={sep}{MISSING_P}" if prefix else MISSING_P
    p = float(p)
    floor = 10.0 ** -digits
    if operator == "=" and p < floor:
        operator, p = "<", floor
    if operator == "=" and not prefix:
        return f"{p:.{digits}f}"
    return f"{operator}{sep}{p:.{digits}f}"
