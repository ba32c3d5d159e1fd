"""Domain warnings of the analysis package.

Statistical caveats (a test with too few events, an estimate that is not
reached, a model that did not converge) are raised as
:class:`StatisticalWarning` so that callers and tests can filter or assert
them specifically (``pytest.warns(StatisticalWarning)``), as lifelines does.
"""

from __future__ import annotations

__all__ = ["StatisticalWarning"]


class StatisticalWarning(UserWarning):
    """A statistical caveat about a result (not a programming error)."""
