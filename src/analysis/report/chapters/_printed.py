"""The paper's numbers checked against each other, with the book's conventions.

One place for the checks (:func:`analysis.toolkit.consistency.check_published`) and the
conventions they use, so that the baseline chapter, which judges them, and the chapters that quote
one of them (the introduction and the survival chapter quote the overall-survival CI/p check) show
the same number. A module of its own because the baseline chapter imports the survival chapter's
conventions.
"""

from __future__ import annotations

import pandas as pd

from ...toolkit import consistency as cons
from ...trial.published import Published

__all__ = ["INTEGER_VALUED", "P_DECIMALS", "HR_DECIMALS", "published_checks"]

#: Variables the granularity (GRIM) checks treat as recorded in whole numbers.
INTEGER_VALUED = ("age", "meld")
#: Printed decimals of the paper's p values and hazard ratios.
P_DECIMALS = 3
HR_DECIMALS = 2


def published_checks(published: Published) -> pd.DataFrame:
    """The paper's numbers checked against each other, with the book's conventions.

    The frame behind every ``consistency.*`` result of the baseline chapter.

    Parameters
    ----------
    published : Published
        The paper's numbers.

    Returns
    -------
    pandas.DataFrame
        :func:`analysis.toolkit.consistency.check_published` with :data:`INTEGER_VALUED`,
        :data:`P_DECIMALS` and :data:`HR_DECIMALS` (one row per check; ``category`` and ``item``
        name it, e.g. ``("hr p", "os.cox")``: the Wald p the printed CI implies, in ``recomputed``).
    """
    return cons.check_published(published, integer_valued=INTEGER_VALUED, p_decimals=P_DECIMALS,
                                hr_decimals=HR_DECIMALS)
