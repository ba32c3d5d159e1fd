"""Display helpers shared by the report's tables and figures: arm and term labels, and the one
rendering of estimates with intervals and of p values.
"""

from __future__ import annotations

import numpy as np

from ..toolkit.safety import ANY_EVENT
from ..toolkit.schema import ARM_LABELS

__all__ = ["arm_label"]


def arm_label(arm: str) -> str:
    """Display label of an arm."""
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


def _fmt_p(p: float) -> str:
    if np.isnan(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"
