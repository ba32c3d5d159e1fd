"""Does a number agree with a published one? One vocabulary and one rule set for the whole project.

Every comparison of a value with a published value, whether a reproduced result against the paper
(:mod:`analysis.report.results`) or a published statistic against another published statistic
(:mod:`analysis.toolkit.consistency`), ends in one of four statuses:

``agrees``
    both values exist and agree within the tolerance;
``differs``
    both exist and do not;
``not published``
    there is nothing to compare with (the paper does not report it);
``not computable``
    the value cannot be computed from the data at hand.

Tolerances (:class:`Tolerance`):

``absolute``
    ``|value - published| <= tol``; for a printed number, half a unit of its last printed digit
    (:func:`printed_tolerance`);
``log_ratio``
    ``|log(value / published)| <= tol`` (hazard ratios and their limits);
``upper_bound``
    the paper prints ``< published``; agrees if ``value < published``;
``interval``
    agrees if ``low <= value <= high`` (e.g. the p values that any unrounded summary statistics
    printing as the paper's could give).

There is no library for this; it is a few lines, written here once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["STATUSES", "TOLERANCE_KINDS", "Tolerance", "printed_tolerance", "decimals_of", "printed", "agreement"]

#: The one status vocabulary of the project, in display order.
STATUSES = ("agrees", "differs", "not published", "not computable")
#: The kinds of :class:`Tolerance`.
TOLERANCE_KINDS = ("absolute", "log_ratio", "upper_bound", "interval")
_EPS = 1e-12  # floating-point slack on the tolerance bound


@dataclass(frozen=True)
class Tolerance:
    """How close a value must be to a published one to agree.

    Parameters
    ----------
    kind : {"absolute", "log_ratio", "upper_bound", "interval"}
        The rule (see the module docstring).
    value : float or tuple of float
        The tolerance: a non-negative number, or ``(low, high)`` for ``interval``; unused for
        ``upper_bound``.
    """

    kind: str = "absolute"
    value: float | tuple[float, float] = 0.0

    def __post_init__(self) -> None:
        if self.kind not in TOLERANCE_KINDS:
            raise ValueError(f"tolerance kind must be one of {TOLERANCE_KINDS}, got {self.kind!r}")
        if self.kind == "interval":
            if not (isinstance(self.value, (tuple, list)) and len(self.value) == 2 and self.value[0] <= self.value[1]):
                raise ValueError(f"an interval tolerance is (low, high) with low <= high, got {self.value!r}")
            object.__setattr__(self, "value", (float(self.value[0]), float(self.value[1])))
        elif not (isinstance(self.value, (int, float)) and self.value >= 0):
            raise ValueError(f"a {self.kind} tolerance is a non-negative number, got {self.value!r}")

    def as_json(self) -> dict:
        """``{"kind", "value"}`` with plain Python numbers (a list for an interval)."""
        v = list(self.value) if isinstance(self.value, tuple) else float(self.value)
        return {"kind": self.kind, "value": v}


def decimals_of(value: Any) -> int:
    """Decimal places of a number as written (``0.051`` -> 3, ``1.0`` -> 1, ``12`` -> 0).

    Uses the shortest representation of the float (``repr``), which for numbers read from YAML or
    typed by hand is the number as written.

    Parameters
    ----------
    value : float, int or str
        The number; an ``int`` or ``str`` is read as written (``"0.50"`` -> 2), a float by its
        ``repr``.

    Returns
    -------
    int
        Number of decimal places (``>= 0``).
    """
    exp = Decimal(repr(float(value)) if not isinstance(value, (int, str)) else str(value)).as_tuple().exponent
    return max(0, -int(exp))


def printed_tolerance(value: Any) -> Tolerance:
    """Half a unit of the last printed digit of ``value`` (as written), an ``absolute`` tolerance.

    Parameters
    ----------
    value : float, int or str
        The published number as written (see :func:`decimals_of`).

    Returns
    -------
    Tolerance
        ``Tolerance("absolute", 0.5 * 10 ** -decimals_of(value))`` (e.g. 0.005 for ``0.05``).
    """
    return Tolerance("absolute", 0.5 * 10.0 ** -decimals_of(value))


def printed(x: float, decimals: int) -> float:
    """``x`` rounded half away from zero to ``decimals`` places, as tables print numbers.

    Parameters
    ----------
    x : float
        The number (NaN and infinities are returned unchanged).
    decimals : int
        Decimal places (``0`` rounds to an integer).

    Returns
    -------
    float
        ``x`` rounded half away from zero (``printed(2.25, 1) == 2.3``, ``printed(-0.5, 0) == -1``),
        unlike Python's ``round``, which rounds half to even, as R's ``round()`` does. R
        equivalent: ``janitor::round_half_up(x, decimals)``.
    """
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return x
    q = 10.0**decimals
    return math.copysign(math.floor(abs(x) * q + 0.5) / q, x)


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def agreement(value: Any, published: Any, tolerance: Tolerance | None = None) -> str:
    """The status of ``value`` against ``published`` under ``tolerance`` (one of :data:`STATUSES`).

    Parameters
    ----------
    value, published : float or None
        The two numbers; ``None``, NaN and infinities count as absent.
    tolerance : Tolerance, optional
        Default: exact agreement (``absolute``, 0).

    Returns
    -------
    str
        ``"not computable"`` if ``value`` is absent, else ``"not published"`` if ``published`` is
        absent, else ``"agrees"`` or ``"differs"``.
    """
    v, p = _finite(value), _finite(published)
    if v is None:
        return "not computable"
    if p is None:
        return "not published"
    tol = tolerance or Tolerance()
    if tol.kind == "log_ratio":
        ok = p > 0 and v > 0 and abs(math.log(v / p)) <= tol.value + _EPS
    elif tol.kind == "upper_bound":
        ok = v < p
    elif tol.kind == "interval":
        ok = tol.value[0] - _EPS <= v <= tol.value[1] + _EPS
    else:
        ok = abs(v - p) <= tol.value + _EPS
    return "agrees" if ok else "differs"
