"""Time units: the one conversion between days, weeks and months used everywhere.

A month is a twelfth of a Julian year (365.25 / 12 = 30.4375 days), the convention of R's
``survival`` examples and of most trial reports that give follow-up in months. Every module that
converts between days, weeks and months uses these functions and constants, never its own factor.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DAYS_PER_YEAR", "DAYS_PER_MONTH", "DAYS_PER_WEEK", "days_to_months", "months_to_days",
           "weeks_to_months", "months_to_weeks"]

#: Days in a Julian year.
DAYS_PER_YEAR = 365.25
#: Days in a month (a twelfth of a Julian year).
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
#: Days in a week.
DAYS_PER_WEEK = 7.0


def days_to_months(days):
    """Days -> months (``days / 30.4375``); scalars and arrays alike.

    Parameters
    ----------
    days : float or array_like
        Durations in days.

    Returns
    -------
    float or numpy.ndarray
        The same durations in months.
    """
    return np.asarray(days, dtype=float) / DAYS_PER_MONTH if np.ndim(days) else float(days) / DAYS_PER_MONTH


def months_to_days(months):
    """Months -> days (``months * 30.4375``); scalars and arrays alike.

    Parameters
    ----------
    months : float or array_like
        Durations in months.

    Returns
    -------
    float or numpy.ndarray
        The same durations in days.
    """
    return np.asarray(months, dtype=float) * DAYS_PER_MONTH if np.ndim(months) else float(months) * DAYS_PER_MONTH


def weeks_to_months(weeks):
    """Weeks -> months (``weeks * 7 / 30.4375``); scalars and arrays alike.

    Parameters
    ----------
    weeks : float or array_like
        Durations in weeks.

    Returns
    -------
    float or numpy.ndarray
        The same durations in months.
    """
    return days_to_months(np.asarray(weeks, dtype=float) * DAYS_PER_WEEK if np.ndim(weeks)
                          else float(weeks) * DAYS_PER_WEEK)


def months_to_weeks(months):
    """Months -> weeks (``months * 30.4375 / 7``); scalars and arrays alike.

    Parameters
    ----------
    months : float or array_like
        Durations in months.

    Returns
    -------
    float or numpy.ndarray
        The same durations in weeks.
    """
    d = months_to_days(months)
    return d / DAYS_PER_WEEK
