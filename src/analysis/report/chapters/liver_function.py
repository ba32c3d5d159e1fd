"""Liver-function chapter: ALB, PTA, CHE and TBIL over the lab weeks, the paper's tests, its statements
checked against the data, and a baseline-adjusted MMRM.

Conventions (each an explicit argument of the toolkit functions called here): analysed population;
the paper's lab weeks; between-arm differences UC-MSC minus control, and for the MMRM's CHE and TBIL
the ratio of geometric means UC-MSC over control at equal baseline; the paper's significance level
for judging its statements (:func:`~analysis.toolkit.longitudinal.evaluate_statements`); nothing
imputed.

On the synthetic cohort, how the analytes change in each arm is a generator parameter
(:class:`~analysis.trial.synthetic.LabEffects`), chosen to follow the paper's statements: every
result about the analytes after baseline is then ``assumed``, and the number of statements that
agree shows what the generator assumed, not a finding. On real data these results are ``computed``.
Without ``labs.csv`` every result computed from the labs is ``None`` (not computable) with a note.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...toolkit import longitudinal as lf
from ...toolkit.schema import ARM_LABELS, ARMS, Trial
from ...trial.published import Published
from ..book import p_text
from ..results import ChapterResults, computed_once
from ._conventions import add_conventions

__all__ = ["DIFF_DIRECTION", "RATIO_DIRECTION", "ASSUMED_NOTE", "compute"]

DIFF_DIRECTION = "UC-MSC minus control"
RATIO_DIRECTION = "UC-MSC relative to control (ratio of geometric means)"
#: What an ``assumed`` result of this chapter means on the synthetic cohort.
ASSUMED_NOTE = ("on the synthetic cohort the change of each analyte in each arm is a generator parameter "
                "(LabEffects in analysis.trial.synthetic), chosen to follow the paper's statements: this shows "
                "what the generator assumed, not a finding")
_NO_LABS = "labs.csv is absent"


def _add(res: ChapterResults, id: str, label: str, value: Any, *, note: str = "", **kwargs: Any) -> None:
    """``res.add``, with a note wherever the value is not computable."""
    res.add(id, label, value, note=note or ("not computable on these data" if value is None else ""), **kwargs)


def _cell(df: pd.DataFrame | None, col: str, analyte: str, week: float) -> Any:
    """The value of ``col`` in the row of ``analyte`` and ``week``, or None if there is no such row."""
    if df is None:
        return None
    rows = df.loc[(df["analyte"].astype(str) == analyte) & (df["week"].astype(float) == float(week)), col]
    return rows.iloc[0] if len(rows) == 1 else None


def _published(res: ChapterResults, pub: Published, weeks: list, statements: list) -> None:
    vsrc = pub.visits["source"]
    text = ", ".join(f"{w:g}" for w in weeks[:-1]) + f" and {weeks[-1]:g}"
    _add(res, "lf.weeks", "Scheduled lab weeks (as text)", text,
         provenance="published", source=vsrc, glue={"lf_weeks": "value"})
    _add(res, "lf.visits.n", "Scheduled lab visits per patient and analyte", len(weeks), unit="visits",
         published=len(weeks), provenance="published", source=vsrc, glue={"lf_n_visits": "value"})
    _add(res, "lf.last_week", "Last scheduled lab week", max(weeks), unit="weeks", published=max(weeks),
         provenance="published", source=vsrc, glue={"lf_last_week": "value"})
    alpha = pub.sample_size["alpha"]
    _add(res, "lf.alpha", "Two-sided significance level used to judge the paper's statements", alpha,
         published=alpha, provenance="published", source=pub.sample_size["source"], glue={"lf_alpha": "value"},
         note="the paper's significance level; the paper states no rule for its statements, the rule is ours")
    src = pub.raw["liver_function_statements"]["source"]
    _add(res, "lf.statements.n_published", "The paper's qualitative statements about liver function",
         len(statements), unit="statements", published=len(statements), provenance="published", source=src,
         glue={"lf_n_statements_pub": "value"})
    n_vc = sum(s["comparison"] == "vs_control" for s in statements)
    _add(res, "lf.statements.vs_control.n", "The paper's between-arm statements about liver function", n_vc,
         unit="statements", published=n_vc, provenance="published", source=src,
         glue={"lf_n_vs_control": "value"})


def _visits(res: ChapterResults, obj: dict, pub: Published, last: float) -> None:
    have = bool(obj)
    note = "" if have else _NO_LABS
    s_last = None
    if have:
        st = obj["status"]
        s_last = st[(st["week"] == last) & (st["analyte"].astype(str) == "alb")]
        if not len(s_last):
            s_last = None
    _add(res, "lf.patients.n", "Analysed patients in the liver-function analyses",
         obj["frame"]["patient_id"].nunique() if have else None, unit="patients", provenance="by construction",
         glue={"lf_n_patients": "value"}, note=note)
    _add(res, "lf.visits.died_last", f"Analysed patients dead before week {last:g} (so without an ALB value)",
         int(s_last["died"].sum()) if s_last is not None else None, unit="patients",
         glue={"lf_died_last": "value"}, note=note)
    _add(res, "lf.visits.missing_last", f"Analysed patients alive at week {last:g} without an ALB value",
         int(s_last["missing"].sum()) if s_last is not None else None, unit="patients", provenance="assumed",
         glue={"lf_missing_last": "value"},
         note=note or ("missed visits are drawn with the generator's missed-visit probability "
                       "(LabEffects.missed_visit)" if res.synthetic else ""))
    between = obj.get("between")
    for a in ("tbil", "che"):
        _add(res, f"lf.baseline.{a}.p", f"{a.upper()} at week 0: Student t test between the arms, p",
             _cell(between, "p", a, 0), unit="p", provenance="by construction", glue={f"lf_p0_{a}": "value"},
             note=note or f"week 0 of labs.csv; the paper's Table 1 p is compared under baseline.{a}.p")
    row = pub.table1_row("tbil")
    for arm in ARMS:
        _add(res, f"lf.baseline.tbil.mean.{arm}", f"TBIL at week 0, mean, {ARM_LABELS[arm]}",
             _cell(between, f"mean_{arm}", "tbil", 0), unit="µmol/L", published=getattr(row, arm)["mean"],
             provenance="by construction", source=pub.raw["table1"]["source"],
             glue={f"lf_tbil0_{arm}": "value"}, note=note)


def _statements(res: ChapterResults, obj: dict) -> None:
    have = bool(obj)
    note = ASSUMED_NOTE if res.synthetic else ""
    if not have:
        note = _NO_LABS
    ev = obj.get("evaluation")

    def count(col: str, value: str, frame: pd.DataFrame | None = ev) -> int | None:
        return int((frame[col] == value).sum()) if frame is not None else None

    _add(res, "lf.statements.n", "The paper's liver-function statements checked against the data",
         len(ev) if have else None, unit="statements", glue={"lf_n_statements": "value"},
         note="" if have else _NO_LABS)
    _add(res, "lf.statements.agrees",
         "Liver-function statements that agree with the data at every week they cover (the paper's tests)",
         count("status", "agrees"), unit="statements", provenance="assumed",
         glue={"lf_n_reproduced": "value"}, note=note)
    _add(res, "lf.statements.differs.some", "Liver-function statements that differ: they hold at some weeks only",
         count("detail", "some checks"), unit="statements", provenance="assumed",
         glue={"lf_n_partly": "value"}, note=note)
    _add(res, "lf.statements.differs.none", "Liver-function statements that differ: they hold at no week",
         count("detail", "no check"), unit="statements", provenance="assumed",
         glue={"lf_n_not": "value"}, note=note)
    _add(res, "lf.statements.not_computable", "Liver-function statements not computable on these data",
         count("status", "not computable"), unit="statements", note="" if have else _NO_LABS)
    vc = ev[ev["comparison"] == "vs_control"] if have else None
    _add(res, "lf.statements.vs_control.changed",
         "Between-arm statements whose outcome changes when judged by the baseline-adjusted MMRM",
         int((vc["detail"] != vc["detail_adjusted"]).sum()) if have else None, unit="statements",
         provenance="assumed", glue={"lf_n_changed": "value"}, note=note)
    _add(res, "lf.statements.vs_control.agrees_adjusted",
         "Between-arm statements that agree at every week under the baseline-adjusted MMRM",
         count("status_adjusted", "agrees", vc), unit="statements", provenance="assumed",
         note=note)


def _tbil(res: ChapterResults, obj: dict, last: float) -> None:
    have = bool(obj)
    note = ASSUMED_NOTE if res.synthetic else ""
    if not have:
        note = _NO_LABS
    between, adjusted = obj.get("between"), obj.get("adjusted")
    w = f"week{last:g}"
    _add(res, f"lf.tbil.{w}.difference", f"TBIL at week {last:g}: difference in means (Student t test)",
         _cell(between, "estimate", "tbil", last), ci_low=_cell(between, "ci_low", "tbil", last),
         ci_high=_cell(between, "ci_high", "tbil", last), unit="µmol/L", direction=DIFF_DIRECTION,
         provenance="assumed", glue={"lf_tbil_last_diff": "value"}, note=note)
    _add(res, f"lf.tbil.{w}.t_p", f"TBIL at week {last:g}: Student t test between the arms, p",
         _cell(between, "p", "tbil", last), unit="p", provenance="assumed", glue={"lf_tbil_last_p": "value"},
         note=note)
    _add(res, f"lf.tbil.{w}.mmrm_ratio", f"TBIL at week {last:g}: baseline-adjusted ratio of geometric means (MMRM)",
         _cell(adjusted, "effect", "tbil", last), ci_low=_cell(adjusted, "effect_ci_low", "tbil", last),
         ci_high=_cell(adjusted, "effect_ci_high", "tbil", last), unit="ratio", direction=RATIO_DIRECTION,
         provenance="assumed", note=note,
         glue={"lf_tbil_last_ratio": "value", "lf_tbil_last_lo": "ci_low", "lf_tbil_last_hi": "ci_high"})
    p = _cell(adjusted, "p", "tbil", last)
    _add(res, f"lf.tbil.{w}.mmrm_p", f"TBIL at week {last:g}: baseline-adjusted MMRM, p", p, unit="p",
         provenance="assumed", note=note)
    _add(res, f"lf.tbil.{w}.mmrm_p_text", f"TBIL at week {last:g}: baseline-adjusted MMRM, p (as text)",
         p_text(float("nan") if p is None else p), unit="p", provenance="assumed",
         glue={"lf_tbil_last_padj_txt": "value"}, note=note)
    n_obs = None
    if adjusted is not None:
        alb = adjusted[adjusted["analyte"].astype(str) == "alb"]
        n_obs = int(alb[["n_control", "n_ucmsc"]].to_numpy().sum()) if len(alb) else None
    _add(res, "lf.mmrm.n_obs", "Post-baseline ALB values in the MMRM", n_obs, unit="values",
         note="" if have else _NO_LABS)


@computed_once
def compute(trial: Trial, published: Published) -> ChapterResults:
    """The liver-function chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data (analysed patients; ``labs.csv`` is optional: without it every result
        computed from the labs is ``None`` with a note, and no lab object is returned).
    published : Published
        The paper's numbers (lab weeks, significance level, liver-function statements, Table 1).

    Returns
    -------
    ChapterResults
        Results with ids ``lf.*``; objects ``statements`` (the paper's statements, for display)
        and, with labs, ``frame``, ``status``, ``described``, ``paired``, ``between``,
        ``between_change``, ``adjusted``, ``ancova``, ``evaluation`` (the statements judged, see
        :func:`~analysis.toolkit.longitudinal.evaluate_statements`) and ``evaluation_adjusted``
        (the between-arm statements judged by both the paper's test and the MMRM).
    """
    pub = published
    weeks = [float(w) for w in pub.visits["lab_weeks"]]
    last = max(weeks)
    statements = pub.liver_function_statements
    res = ChapterResults("liver_function", trial.synthetic)
    add_conventions(res, "lf", alpha=False)
    res.objects["statements"] = pd.DataFrame(statements)[["id", "text", "comparison", "direction", "weeks"]]
    _published(res, pub, list(pub.visits["lab_weeks"]), statements)
    obj: dict[str, Any] = {}
    if trial.labs is not None:
        frame = lf.lab_frame(trial, weeks=weeks)
        paired = lf.change_from_baseline(frame)
        between = lf.between_arm_t(frame)
        adjusted = lf.adjusted_effects(frame)
        ev = lf.evaluate_statements(statements, paired, between, adjusted, alpha=pub.sample_size["alpha"])
        obj = {"frame": frame, "status": lf.visit_status(frame), "described": lf.describe_visits(frame),
               "paired": paired, "between": between, "between_change": lf.between_arm_t(frame, on="change"),
               "adjusted": adjusted, "ancova": lf.ancova_by_week(frame), "evaluation": ev,
               "evaluation_adjusted": ev.loc[ev["comparison"] == "vs_control",
                                             ["id", "text", "status", "detail", "status_adjusted",
                                              "detail_adjusted"]].reset_index(drop=True)}
        res.objects.update(obj)
    _visits(res, obj, pub, last)
    _statements(res, obj)
    _tbil(res, obj, last)
    return res
