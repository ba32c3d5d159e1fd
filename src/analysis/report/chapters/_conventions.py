"""The confidence level and significance level a page quotes, as results.

A page says "95% confidence interval" or "p < 0.05" through these results rather than typing the
numbers: they are the toolkit's defaults (:data:`analysis.toolkit.conventions.DEFAULT_CONF_LEVEL`,
:data:`analysis.toolkit.conventions.DEFAULT_ALPHA`), which every chapter's computations use.
"""

from __future__ import annotations

from ...toolkit.conventions import DEFAULT_ALPHA, DEFAULT_CONF_LEVEL
from ..results import ChapterResults

__all__ = ["add_conventions"]


def add_conventions(res: ChapterResults, prefix: str, *, alpha: bool = True) -> None:
    """Add the page's confidence level and significance level to ``res``.

    Parameters
    ----------
    res : ChapterResults
        The chapter's results; adds ``<chapter>.conventions.conf_level`` (glue key
        ``<prefix>_cl``) and ``<chapter>.conventions.alpha`` (glue key ``<prefix>_alpha``).
    prefix : str
        The chapter's glue-key prefix (``"sv"``).
    alpha : bool, default True
        Add the significance level too (``False`` where the chapter quotes the paper's planned level
        as its own result).
    """
    note = "the toolkit's default (analysis.toolkit.conventions), used by every computation on the page"
    res.add(f"{res.chapter}.conventions.conf_level", "Confidence level of the intervals on this page",
            DEFAULT_CONF_LEVEL, unit="proportion", note=note, glue={f"{prefix}_cl": "value"})
    if not alpha:
        return
    res.add(f"{res.chapter}.conventions.alpha", "Two-sided significance level of the statements on this page",
            DEFAULT_ALPHA, unit="probability", note=note, glue={f"{prefix}_alpha": "value"})
