"""Reproducibility chapter: counts over the results ledger, i.e. results about the other chapters' results.

The ledger (:mod:`analysis.report.ledger`) is the union of every chapter's results. This chapter
counts its entries by provenance and by status, and the hazard ratios and p values among them. The
counts are over the entries of the chapters that do not summarise the others: this chapter's own
entries are counts, not results about the trial, and the Data chapter's calibration table is made
of the other chapters' results (both are computed last, from the same results). Status counts are
over the entries computed from the data (provenance other than ``published``): an entry that
quotes the paper agrees with the paper by definition.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...toolkit.agreement import STATUSES
from ...toolkit.schema import Trial
from ...trial.published import Published
from ..results import PROVENANCES, ChapterResults, Result

__all__ = ["CHAPTER", "compute"]

#: This chapter's name (its results are excluded from its own counts).
CHAPTER = "reproducibility"

#: Glue key of each status count (the keys the page used before the status vocabulary changed).
_STATUS_KEYS = {"agrees": "led_match", "differs": "led_differs", "not published": "led_not_published",
                "not computable": "led_not_computable"}
#: Glue key of each provenance count.
_PROVENANCE_KEYS = {p: "led_prov_" + p.replace(" ", "_") for p in PROVENANCES}


def _about_meld(rid: str) -> bool:
    """Whether a result id is about MELD (``baseline.meld.mean.control``, ``baseline.meld_gt15.p``)."""
    return any(part == "meld" or part.startswith("meld_") for part in rid.split("."))


def compute(trial: Trial, published: Published, others: Mapping[str, ChapterResults] | None = None) -> ChapterResults:
    """Counts over the results ledger: entries by provenance and status, hazard ratios, p values.

    Parameters
    ----------
    trial : Trial
        The trial data the book runs on.
    published : Published
        The paper's numbers.
    others : mapping of str to ChapterResults, optional
        The results of the chapters that do not summarise the others (chapter name -> results), as
        :func:`analysis.report.ledger.chapter_results` gives them to this chapter. Default:
        computed here, once, by that function. Keys naming a summary chapter (``data``,
        ``reproducibility``) are ignored.

    Returns
    -------
    ChapterResults
        Results with ids ``reproducibility.entries``, ``reproducibility.provenance.<provenance>``,
        ``reproducibility.reproduced``, ``reproducibility.status.<status>``,
        ``reproducibility.agrees.by_construction``, ``reproducibility.agrees.assumed`` (the agreeing
        entries the synthetic generator forces), ``reproducibility.compared``,
        ``reproducibility.hr.published``, ``reproducibility.hr.agrees``,
        ``reproducibility.hr.agrees.by_construction``, ``reproducibility.p.differs``, ``reproducibility.meld.differs`` and
        ``reproducibility.hr.log_tolerance``; object ``entries`` (the counted results, a list of
        :class:`~analysis.report.results.Result`).
    """
    from ..ledger import _SUMMARIES, chapter_results  # imported here: the ledger imports the chapter modules

    if others is None:
        return chapter_results(trial, published, chapters=(CHAPTER,))[CHAPTER]
    excluding = f"over the ledger's entries other than the {' and '.join(_SUMMARIES)} chapters' own"
    entries: list[Result] = [r for name, res in others.items() if name not in _SUMMARIES for r in res.values()]
    res = ChapterResults(CHAPTER, trial.synthetic)
    res.objects["entries"] = entries

    def count(id: str, label: str, n: int, key: str, note: str = "") -> None:
        res.add(f"{CHAPTER}.{id}", f"{label} ({excluding})", n, unit="entries", glue={key: "value"}, note=note)

    count("entries", "Ledger entries", len(entries), "led_n")
    for p in PROVENANCES:
        count(f"provenance.{p.replace(' ', '_')}", f"Ledger entries of provenance {p}",
              sum(r.provenance == p for r in entries), _PROVENANCE_KEYS[p])
    reproduced = [r for r in entries if r.provenance != "published"]
    count("reproduced", "Ledger entries computed from the data (provenance other than published)", len(reproduced),
          "led_reproduced")
    for s in STATUSES:
        count(f"status.{s.replace(' ', '_')}", f"Entries computed from the data with status {s}",
              sum(r.status == s for r in reproduced), _STATUS_KEYS[s])
    agreeing = [r for r in reproduced if r.status == "agrees"]
    for p in ("by construction", "assumed"):
        count(f"agrees.{p.replace(' ', '_')}", f"Entries computed from the data that agree, of provenance {p} "
              "(forced by the synthetic generator, not a finding)", sum(r.provenance == p for r in agreeing),
              f"led_match_{p.replace(' ', '_')}")
    count("compared", "Entries computed from the data that have a published value and a value (status agrees or "
          "differs)", sum(r.status in ("agrees", "differs") for r in reproduced), "led_compared")
    hrs = [r for r in reproduced if r.id.endswith(".hr") and r.published is not None]
    count("hr.published", "Hazard ratios computed from the data that have a published value", len(hrs), "led_hr_n")
    count("hr.agrees", "Hazard ratios computed from the data that agree with the published one",
          sum(r.status == "agrees" for r in hrs), "led_hr_match")
    count("hr.agrees.by_construction", "Hazard ratios computed from the data that agree with the published one, "
          "of provenance by construction (calibrated by the synthetic generator)",
          sum(r.status == "agrees" and r.provenance == "by construction" for r in hrs), "led_hr_match_by_construction")
    count("p.differs", "p values (unit p) computed from the data that differ from the published one",
          sum(r.status == "differs" and r.unit == "p" for r in reproduced), "led_p_differs")
    count("meld.differs", "Entries about MELD (an id part meld or meld_*) computed from the data that differ from "
          "the published value", sum(r.status == "differs" and _about_meld(r.id) for r in reproduced),
          "led_meld_differs")
    tols = sorted({r.effective_tolerance.value for r in hrs
                   if r.effective_tolerance is not None and r.effective_tolerance.kind == "log_ratio"})
    res.add(f"{CHAPTER}.hr.log_tolerance", "Tolerance of the hazard ratios with a published value: largest "
            "|log(value / published)| that agrees (estimate and limits)", tols[-1] if tols else None,
            unit="log ratio", glue={"led_hr_tol": "value"},
            note="" if len(tols) == 1 else ("the hazard ratios have different tolerances; the largest is shown"
                                            if tols else "no hazard ratio with a published value has a log-ratio "
                                                         "tolerance"))
    return res
