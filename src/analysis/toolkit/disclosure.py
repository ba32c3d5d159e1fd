"""Statistical disclosure control for real data: the small-cell rule.

On real patient data, a table must not print one patient's exact value. A range
(minimum, maximum) is two patients' values; a median of one or two patients is
their values. The book applies one documented rule whenever the data are not the
synthetic cohort (``Trial.synthetic`` is False):

- a cell describing fewer than :data:`MIN_CELL` patients shows counts only: its
  median, minimum and maximum are suppressed (missing, shown blank, with a note);
- the extremes of larger cells are rounded outwards to a coarse grid (``step``:
  whole months for follow-up, whole hours for durations, 0.5 °C for temperatures),
  so that they bound the data without reproducing a patient's value.

Synthetic data are shown exactly. The rule follows the threshold that statistical
offices and the EMA's guidance on the anonymisation of clinical reports use for
small cells (at least 5 individuals); no library in the stack implements it, so
it is written here.

References
----------
European Medicines Agency. External guidance on the implementation of the European
Medicines Agency policy on the publication of clinical data for medicinal products
for human use, EMA/90915/2016, section 4 (anonymisation; rare events and small
cells). Hundepool A, et al. *Statistical Disclosure Control*. Wiley, 2012, ch. 5.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MIN_CELL", "applies", "protected_summary", "SMALL_CELL_NOTE"]

#: Fewest patients a cell may describe with statistics other than counts (real data).
MIN_CELL = 5

#: What a table says under a suppressed cell.
SMALL_CELL_NOTE = (f"On real data, cells of fewer than {MIN_CELL} patients show counts only, and ranges are "
                   "rounded outwards, so that no patient's exact value is shown.")


def applies(trial: Any) -> bool:
    """Whether the small-cell rule applies to ``trial``: any data not marked synthetic.

    Parameters
    ----------
    trial : Trial or object
        A :class:`~analysis.toolkit.schema.Trial` (or any object with a ``synthetic``
        attribute); an object without one counts as real data.

    Returns
    -------
    bool
        True unless ``trial.synthetic`` is true.
    """
    return not bool(getattr(trial, "synthetic", False))


def protected_summary(values, *, patients: int, step: float, protect: bool) -> dict[str, float]:
    """``min``, ``median``, ``max`` of ``values``, under the small-cell rule when ``protect``.

    Parameters
    ----------
    values : array_like of float
        The observations (NaN ignored).
    patients : int
        How many patients the cell describes (the rule counts patients, not events); below
        :data:`MIN_CELL` everything is suppressed when ``protect``.
    step : float
        Grid the extremes are rounded outwards to (floor for the minimum, ceiling for the
        maximum), in the unit of ``values`` (e.g. 1 for whole months).
    protect : bool
        Apply the rule (real data, see :func:`applies`); if False, the exact statistics.

    Returns
    -------
    dict
        ``{"min", "median", "max"}`` as floats; NaN where suppressed or where there is no value.
        The median is never rounded.
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0 or (protect and patients < MIN_CELL):
        return {"min": math.nan, "median": math.nan, "max": math.nan}
    lo, med, hi = float(v.min()), float(np.median(v)), float(v.max())
    if protect:
        lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return {"min": lo, "median": med, "max": hi}
