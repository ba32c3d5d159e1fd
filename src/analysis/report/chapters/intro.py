"""Introduction chapter: the trial in the paper's own numbers.

Every result here is ``published``: the paper's number, quoted (value and published value are the
same number), not computed from the data; one, the Wald p the printed overall-survival interval implies,
is computed from published numbers only (the baseline chapter's check of it). Totals over the arms (randomized, analysed) are summed
here from the published per-arm numbers. Hazard ratios are control relative to UC-MSC, as the paper
reports them.
"""

from __future__ import annotations

from ...toolkit.schema import ARM_LABELS, ARMS, Trial
from ...trial.published import Published
from ..results import ChapterResults, computed_once
from ._conventions import add_conventions
from ._printed import published_checks
from .survival import HR_DIRECTION

__all__ = ["compute"]


def _quote(res: ChapterResults, id: str, label: str, value: float, key: str, *, unit: str, source: str,
           note: str = "", glue: dict[str, str] | None = None, **kwargs) -> None:
    """Add a published number as a result whose value is the published number itself."""
    res.add(id, label, value, unit=unit, published=value, provenance="published", source=source,
            glue={key: "value", **(glue or {})}, note=note, **kwargs)


@computed_once
def compute(trial: Trial, published: Published) -> ChapterResults:
    """The introduction's results: the paper's patient flow, design, dosing and headline hazard ratios.

    Parameters
    ----------
    trial : Trial
        The trial data the book runs on (only whether it is synthetic is used: every result of
        this chapter quotes the paper).
    published : Published
        The paper's numbers.

    Returns
    -------
    ChapterResults
        Results with ids ``intro.screened``, ``intro.randomized.total``, ``intro.randomized.per_arm``,
        ``intro.analyzed.total``, ``intro.analyzed.<arm>``, ``intro.horizon``, ``intro.dosing.*``,
        ``intro.registration`` (a string), ``intro.hr.os.cox``, ``intro.hr.os.landmark13.late``
        (named from the published hazard-ratio keys), ``intro.hr.os.cox.p``, ``intro.landmark.os`` and
        ``intro.lab_weeks``, all with provenance ``published``; and ``intro.hr.os.cox.wald_p``, the
        Wald p the printed overall-survival CI implies (``computed`` from published numbers only, the
        value of ``consistency.os.cox.wald_p``). No display objects.
    """
    pub = published
    res = ChapterResults("intro", trial.synthetic)
    add_conventions(res, "in")
    c = pub.consort
    src = c["source"]
    _quote(res, "intro.screened", "Patients screened (published)", c["screened"], "n_screened",
           unit="patients", source=src)
    _quote(res, "intro.randomized.total", "Patients randomized, both arms (sum of the published per-arm numbers)",
           sum(c["randomized"][a] for a in ARMS), "n_randomized", unit="patients", source=src)
    _quote(res, "intro.randomized.per_arm", "Patients randomized per arm (the control arm's published number; "
           "allocation 1:1)", c["randomized"]["control"], "n_randomized_arm", unit="patients", source=src,
           note="the paper randomized 1:1; the UC-MSC arm's number is under consort.randomized.ucmsc")
    _quote(res, "intro.analyzed.total", "Patients analysed, both arms (sum of the published per-arm numbers)",
           sum(c["analyzed"][a] for a in ARMS), "n_analyzed", unit="patients", source=src)
    for a in ARMS:
        _quote(res, f"intro.analyzed.{a}", f"Patients analysed, {ARM_LABELS[a]} (published)", c["analyzed"][a],
               f"n_analyzed_{a}", unit="patients", source=src)
    _quote(res, "intro.horizon", "Follow-up horizon of the survival analyses (published)", pub.horizon, "horizon",
           unit="months", source=pub.followup["source"])
    d = pub.dosing
    _quote(res, "intro.dosing.infusions", "UC-MSC infusions per patient (published)", d["infusions"], "infusions",
           unit="infusions", source=d["source"])
    _quote(res, "intro.dosing.interval_weeks", "Weeks between infusions (published)", d["interval_weeks"],
           "interval_weeks", unit="weeks", source=d["source"])
    _quote(res, "intro.dosing.cells_per_kg", "Cells per kg of body weight per infusion (published), in millions",
           d["cells_per_kg"] / 1e6, "cells_per_kg_millions", unit="million cells per kg", source=d["source"])
    res.add("intro.registration", "Trial registration number (published)", pub.citation["registration"],
            provenance="published", source="Citation", glue={"registration": "value"},
            note="an identifier, not a number: never compared")
    for key, glue_key in (("os.cox", "hr_os"), (pub.landmark_hr("os", "late").key, "hr_os_late")):
        h = pub.hazard_ratios[key]
        _quote(res, f"intro.hr.{key}", f"{h.label}: hazard ratio (published)", h.hr, glue_key, unit="ratio",
               source=h.source, direction=HR_DIRECTION, ci_low=h.ci_low, ci_high=h.ci_high,
               published_ci_low=h.ci_low, published_ci_high=h.ci_high,
               note=f"reproduced on the data under {key}.hr",
               glue={"hr_os_lo": "ci_low", "hr_os_hi": "ci_high"} if key == "os.cox" else None)
    # The overall-survival CI excludes 1 while its printed p does not fall below 0.05: quoted where the
    # result is first quoted, from the baseline chapter's check of the printed numbers (same rule, same value).
    h = pub.hazard_ratios["os.cox"]
    _quote(res, "intro.hr.os.cox.p", f"{h.label}: p (published)", h.p, "p_os", unit="p", source=h.source,
           note="the paper does not name the test")
    wald = published_checks(pub).set_index(["category", "item"]).loc[("hr p", "os.cox")]
    res.add("intro.hr.os.cox.wald_p", f"{h.label}: two-sided Wald p implied by the printed CI", wald["recomputed"],
            unit="p", provenance="computed", source=h.source, glue={"p_os_wald": "value"},
            note="from published numbers only; judged against the printed p under consistency.os.cox.wald_p")
    _quote(res, "intro.landmark.os", "Landmark time of the overall-survival analysis (published)",
           pub.landmarks["os"], "landmark_os", unit="months", source=pub.raw["landmarks"]["source"])
    _quote(res, "intro.lab_weeks", "Last week of the liver-function measurements (published)",
           max(pub.visits["lab_weeks"]), "lab_weeks", unit="weeks", source=pub.visits["source"])
    return res
