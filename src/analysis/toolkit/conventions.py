"""Argument conventions of the toolkit: one vocabulary, one default and one check for each.

Four arguments recur across the toolkit and change results, so they are explicit arguments
with documented defaults (STYLE 5). Their allowed values and defaults are defined here once,
and every module validates them with the functions below, which raise :class:`ValueError`
with one message format naming the argument, the allowed values and the value given::

    direction must be one of ('control_vs_ucmsc', 'ucmsc_vs_control'), got 'treated'
    conf_level must be in (0, 1), got 1.5

Conventions
-----------
population
    :data:`POPULATIONS`; default :data:`DEFAULT_POPULATION` = ``"analyzed"``, the patients with
    ``disposition == 'analyzed'`` (the paper's analysis population; ``"randomized"`` adds the
    patients randomized but not analysed).
conf_level and alpha
    Complements of each other: :data:`DEFAULT_CONF_LEVEL` = 0.95 for functions that take a
    confidence level (``conf_level``, and ``level`` in :mod:`analysis.toolkit.consistency`),
    :data:`DEFAULT_ALPHA` = 0.05 for functions that take a significance level (``alpha``: two-sided
    ``1 - alpha`` intervals, ``p < alpha`` decisions). Both must lie strictly between 0 and 1.
direction
    :data:`DIRECTIONS` names the order of the arms in an effect: ``"control_vs_ucmsc"`` puts
    control first (control relative to UC-MSC for a ratio, control minus UC-MSC for a
    difference), ``"ucmsc_vs_control"`` the reverse. Hazard ratios and differences of different
    kinds are different quantities, so the default depends on the kind of effect rather than
    being one value:

    - :data:`DEFAULT_HR_DIRECTION` = ``"control_vs_ucmsc"``: hazard ratios and log-rank
      statistics (:mod:`~analysis.toolkit.survival`, :mod:`~analysis.toolkit.landmark`,
      :mod:`~analysis.toolkit.competing`), as the paper reports them
      (``analysis.trial.published.HR_CONVENTION``). The survival module's restricted mean
      survival time difference follows its module: control minus UC-MSC.
    - :data:`DEFAULT_DIFFERENCE_DIRECTION` = ``"ucmsc_vs_control"``: differences and ratios of
      laboratory values (:mod:`~analysis.toolkit.longitudinal`: UC-MSC minus control, or
      UC-MSC / control on the log scale) and risk differences of adverse events and HCC
      incidence (:mod:`~analysis.toolkit.safety`: UC-MSC minus control).

Nothing here imports a scientific library.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Sequence

__all__ = [
    "POPULATIONS",
    "DEFAULT_POPULATION",
    "DIRECTIONS",
    "DEFAULT_HR_DIRECTION",
    "DEFAULT_DIFFERENCE_DIRECTION",
    "DEFAULT_CONF_LEVEL",
    "DEFAULT_ALPHA",
    "validate_choice",
    "validate_population",
    "validate_direction",
    "validate_conf_level",
    "validate_alpha",
]

#: Analysis populations: the analysed patients, or everyone randomized.
POPULATIONS = ("analyzed", "randomized")
#: Default analysis population (the paper's).
DEFAULT_POPULATION = "analyzed"

#: Effect directions: which arm comes first in a ratio or a difference.
DIRECTIONS = ("control_vs_ucmsc", "ucmsc_vs_control")
#: Default direction of hazard ratios and log-rank statistics: control relative to UC-MSC (the paper's).
DEFAULT_HR_DIRECTION = "control_vs_ucmsc"
#: Default direction of laboratory differences and ratios and of risk differences: UC-MSC minus control.
DEFAULT_DIFFERENCE_DIRECTION = "ucmsc_vs_control"

#: Default confidence level of intervals (the complement of :data:`DEFAULT_ALPHA`).
DEFAULT_CONF_LEVEL = 0.95
#: Default significance level: two-sided ``1 - alpha`` intervals and ``p < alpha`` decisions.
DEFAULT_ALPHA = 0.05


def _invalid(name: str, allowed: str, value: Any) -> ValueError:
    """The one error message: the argument, the allowed values and the value given."""
    shown = repr(value) if isinstance(value, str) or not isinstance(value, Real) else str(float(value))
    return ValueError(f"{name} must be {allowed}, got {shown}")


def validate_choice(value: Any, allowed: Sequence[str], name: str) -> str:
    """Check that ``value`` is one of ``allowed``.

    Parameters
    ----------
    value : str
        The argument as given.
    allowed : sequence of str
        The allowed values.
    name : str
        The argument's name, for the message.

    Returns
    -------
    str
        ``value``, unchanged.

    Raises
    ------
    ValueError
        ``"<name> must be one of (<allowed>), got <value>"``.
    """
    try:
        ok = value in tuple(allowed)
    except (TypeError, ValueError):  # an unhashable value, or an array with no single truth value
        ok = False
    if not ok or not isinstance(value, str):
        raise _invalid(name, f"one of {tuple(allowed)!r}", value)
    return value


def validate_population(population: Any, name: str = "population") -> str:
    """Check an analysis population (one of :data:`POPULATIONS`).

    Parameters
    ----------
    population : str
        ``"analyzed"`` or ``"randomized"``.
    name : str, default "population"
        The argument's name, for the message.

    Returns
    -------
    str
        ``population``, unchanged.

    Raises
    ------
    ValueError
        If it is not one of :data:`POPULATIONS`.
    """
    return validate_choice(population, POPULATIONS, name)


def validate_direction(direction: Any, name: str = "direction") -> str:
    """Check an effect direction (one of :data:`DIRECTIONS`).

    Parameters
    ----------
    direction : str
        ``"control_vs_ucmsc"`` or ``"ucmsc_vs_control"``.
    name : str, default "direction"
        The argument's name, for the message.

    Returns
    -------
    str
        ``direction``, unchanged.

    Raises
    ------
    ValueError
        If it is not one of :data:`DIRECTIONS`.
    """
    return validate_choice(direction, DIRECTIONS, name)


def _open_unit(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)) \
            or not 0 < float(value) < 1:
        raise _invalid(name, "in (0, 1)", value)
    return float(value)


def validate_conf_level(conf_level: Any, name: str = "conf_level") -> float:
    """Check a confidence level: a number strictly between 0 and 1 (default 0.95).

    Parameters
    ----------
    conf_level : float
        The confidence level, e.g. 0.95 for 95% intervals.
    name : str, default "conf_level"
        The argument's name, for the message (``"level"`` in the consistency module).

    Returns
    -------
    float
        ``conf_level`` as a float.

    Raises
    ------
    ValueError
        If it is not a finite number in (0, 1).
    """
    return _open_unit(conf_level, name)


def validate_alpha(alpha: Any, name: str = "alpha") -> float:
    """Check a significance level: a number strictly between 0 and 1 (default 0.05).

    Parameters
    ----------
    alpha : float
        The significance level (``1 - alpha`` intervals, ``p < alpha`` decisions).
    name : str, default "alpha"
        The argument's name, for the message.

    Returns
    -------
    float
        ``alpha`` as a float.

    Raises
    ------
    ValueError
        If it is not a finite number in (0, 1).
    """
    return _open_unit(alpha, name)
