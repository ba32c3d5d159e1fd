"""Provenance marks: the visible sign after a number that the synthetic generator forces or assumes.

One place for the marks, the glue-key suffix of a mark and its HTML, used by
:mod:`analysis.report.results` (which glues them) and :mod:`analysis.report.book` (whose data
notice gives the legend).
"""

from __future__ import annotations

__all__ = ["MARKERS", "MARK_SUFFIX", "PROVENANCES", "marker_html"]

#: Where a result comes from (see :mod:`analysis.report.results`).
PROVENANCES = ("computed", "by construction", "assumed", "published")
#: The visible marker of a number the synthetic generator forces or assumes, and its explanation (the
#: legend of the synthetic-data notice, and the marker's tooltip). Computed and published numbers carry none.
MARKERS = {
    "by construction": ("\u2021", "by construction: the synthetic generator forces this value"),
    "assumed": ("\u2020", "assumed: this value follows from a parameter of the synthetic generator"),
}
#: Suffix of the glue key of a number's provenance marker (``{glue:md}`sv_os_hr__m```).
MARK_SUFFIX = "__m"


def marker_html(provenance: str) -> str:
    """The provenance marker shown after a number in the prose (HTML).

    Parameters
    ----------
    provenance : str
        One of :data:`PROVENANCES`.

    Returns
    -------
    str
        ``<sup>`` with the marker of :data:`MARKERS` and its explanation as a tooltip; for
        ``computed`` and ``published`` an invisible word joiner (the role stays in the prose on
        real data, where nothing is by construction or assumed).

    Raises
    ------
    ValueError
        If ``provenance`` is not one of :data:`PROVENANCES`.
    """
    if provenance not in PROVENANCES:
        raise ValueError(f"provenance must be one of {PROVENANCES}, got {provenance!r}")
    if provenance not in MARKERS:
        return "\u2060"
    mark, title = MARKERS[provenance]
    return f'<sup class="provenance-mark" title="{title}">{mark}</sup>'
