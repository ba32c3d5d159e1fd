"""Survival chapter: overall and HCC-free survival, follow-up, RMST, proportional hazards, competing risks.

Conventions (each an explicit argument of the toolkit functions called here): analysed
population; months from randomization, censored at the paper's horizon; hazard ratios control
relative to UC-MSC, Cox with Efron ties; Wald and log-rank p values both reported; Kaplan-Meier
intervals log(-log); RMST difference UC-MSC minus control (every difference in the book is UC-MSC
minus control; hazard ratios keep the paper's direction).
"""

from __future__ import annotations

import pandas as pd

from ...toolkit import competing as cr
from ...toolkit import survival as sv
from ...toolkit.agreement import Tolerance
from ...toolkit.conventions import DEFAULT_ALPHA
from ...toolkit.schema import ARM_LABELS, ARMS, Trial
from ...trial.published import Published
from ..results import ChapterResults, computed_once
from . import _endpoints
from ._conventions import add_conventions
from ._printed import published_checks

__all__ = ["HR_LOG_TOLERANCE", "HR_DIRECTION", "RMST_DIRECTION", "compute"]

#: Calibration target of the synthetic cohort for hazard ratios and their limits (log scale).
HR_LOG_TOLERANCE = 0.10
HR_DIRECTION = "control relative to UC-MSC"
RMST_DIRECTION = "UC-MSC minus control"


def _followup(res: ChapterResults, trial: Trial, pub: Published, present: tuple[str, ...]) -> None:
    # follow-up is the time to death or censoring; without it, nothing (the HCC times stop at HCC)
    why = "" if "os" in present else _endpoints.absent_note("os")
    fu = sv.followup(trial) if not why else pd.DataFrame(
        columns=["arm", "n", "median_simple", "min", "max", "median_reverse_km", "ci_low", "ci_high"])
    res.objects["followup"] = fu
    fu_pub = pd.DataFrame([{"arm": a, **{k: pub.followup[a][k] for k in ("median", "min", "max")}} for a in ARMS])
    res.objects["followup_table"] = fu.merge(
        fu_pub.rename(columns={"median": "published_median", "min": "published_min", "max": "published_max"}), on="arm")
    f = fu.set_index("arm")
    src = pub.followup["source"]
    for a in ARMS:
        have = a in f.index
        for stat, col in (("median", "median_simple"), ("min", "min"), ("max", "max")):
            glue = {}
            if stat == "median":
                glue = {f"sv_fu_simple_{a}": "value", f"sv_fu_pub_{a}": "published"}
            res.add(f"followup.{stat}.{a}", f"Follow-up {stat} (observed time), {ARM_LABELS[a]}",
                    f.loc[a, col] if have else None, unit="months", published=pub.followup[a][stat],
                    tolerance=Tolerance("absolute", 0.5), provenance="by construction", source=src, glue=glue,
                    note="" if have else why or "no analysed patients in this arm")
        res.add(f"followup.reverse_km_median.{a}", f"Median follow-up, reverse Kaplan-Meier, {ARM_LABELS[a]}",
                f.loc[a, "median_reverse_km"] if have else None, unit="months", glue={f"sv_fu_rkm_{a}": "value"},
                note=why or "the paper reports one median follow-up without naming the estimator; "
                     f"its {pub.followup[a]['median']} months is compared under followup.median.{a}")


def _absent_models() -> pd.DataFrame:
    """The rows of :func:`~analysis.toolkit.survival.hr_models` for an endpoint the data do not hold."""
    return pd.DataFrame([{"model": k, "label": f"{k} Cox model", "hr": None, "ci_low": None, "ci_high": None,
                          "p": None, "p_logrank": None} for k in ("unadjusted", "stratified", "adjusted")])


def _hazard_ratio(res: ChapterResults, ep: str, models: pd.DataFrame | None, pub: Published, H: float,
                  why: str = "") -> None:
    m = (_absent_models() if models is None else models).set_index("model")
    h = pub.hazard_ratios[f"{ep}.cox"]
    name = sv.ENDPOINTS[ep][2]
    u = m.loc["unadjusted"]
    common = dict(unit="ratio", direction=HR_DIRECTION, source=h.source)
    res.add(f"{ep}.cox.hr", f"{name}: hazard ratio, unadjusted Cox (0-{H:g} months)", u["hr"],
            ci_low=u["ci_low"], ci_high=u["ci_high"], published=h.hr, published_ci_low=h.ci_low,
            published_ci_high=h.ci_high, tolerance=Tolerance("log_ratio", HR_LOG_TOLERANCE),
            provenance="by construction", glue={f"sv_{ep}_hr": "value", f"sv_{ep}_lo": "ci_low",
                                                 f"sv_{ep}_hi": "ci_high", f"sv_{ep}_hr_pub": "published",
                                                 f"sv_{ep}_lo_pub": "published_ci_low",
                                                 f"sv_{ep}_hi_pub": "published_ci_high"},
            note=why or ("calibrated to within 0.10 on the log scale, limits included" if res.synthetic else ""),
            **common)
    res.add(f"{ep}.cox.p", f"{name}: p, Wald test of the unadjusted Cox model", u["p"], unit="p", published=h.p,
            source=h.source, glue={f"sv_{ep}_p": "value", f"sv_{ep}_p_pub": "published"},
            note=why or "the paper prints one p per hazard ratio without naming the test")
    res.add(f"{ep}.logrank.p", f"{name}: p, log-rank test (0-{H:g} months)", u["p_logrank"], unit="p",
            glue={f"sv_{ep}_plr": "value"},
            note=why or f"the paper's p is compared under {ep}.cox.p")
    if ep == "os":  # whether both of this data's p values fall below the level: the prose's verb, computed
        ps = [u["p"], u["p_logrank"]]
        below = [p is not None and p == p and p < DEFAULT_ALPHA for p in ps]
        verb = None if any(p is None or p != p for p in ps) else (
            "are both below" if all(below) else "are both at or above" if not any(below) else "fall on either side of")
        res.add(f"{ep}.p_vs_alpha", f"{name}: where the Wald and log-rank p fall against the significance level",
                verb, glue={f"sv_{ep}_p_side": "value"}, note=why or "text for the prose, from os.cox.p and os.logrank.p")
    if ep == "os":  # the printed CI excludes 1 while the printed p is above 0.05: shown where the paper is quoted
        wald = published_checks(pub).set_index(["category", "item"]).loc[("hr p", f"{ep}.cox")]
        res.add(f"{ep}.cox.published_ci.wald_p", f"{name}: two-sided Wald p implied by the paper's printed CI",
                wald["recomputed"], unit="p", provenance="computed", source=h.source,
                glue={f"sv_{ep}_wald_p_pub": "value"},
                note="from published numbers only; judged against the printed p under consistency.os.cox.wald_p")
    for model, key in (("stratified", "strat"), ("adjusted", "adj")):
        r = m.loc[model]
        glue = {f"sv_{ep}_hr_{key}": "value"}
        if model == "adjusted":
            glue.update({f"sv_{ep}_lo_{key}": "ci_low", f"sv_{ep}_hi_{key}": "ci_high"})
        res.add(f"{ep}.cox_{model}.hr", f"{name}: hazard ratio, {r['label']}", r["hr"], ci_low=r["ci_low"],
                ci_high=r["ci_high"], glue=glue if ep == "os" else {}, provenance="assumed",
                note=why or ("depends on how strongly the synthetic generator ties baseline severity to survival"
                             if res.synthetic else ""), unit="ratio", direction=HR_DIRECTION)


@computed_once
def compute(trial: Trial, published: Published) -> ChapterResults:
    """The survival chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data (analysed patients are used).
    published : Published
        The paper's numbers (horizon, hazard ratios, follow-up, HCC incidence).

    Returns
    -------
    ChapterResults
        Results with ids ``followup.*``, ``os.*`` (including ``os.cox.published_ci.wald_p``, the Wald p
        the paper's printed CI implies, from published numbers only), ``hcc.*``, ``cr.*``; objects ``followup``,
        ``followup_table``, ``km_os``, ``km_hcc`` (and ``km_<endpoint>_times`` at the report times,
        ``km_<endpoint>_median``), ``models_os``, ``models_hcc``, ``rmst_os``,
        ``rmst_hcc``, ``zph_os``, ``zph_hcc``, ``zph_table``, ``forest``, ``cif_hcc``, ``cif_death``,
        ``crude``, ``cif_table``, ``absent`` (endpoint the data lack -> the note a page shows instead of its
        tables and figures) and ``absent_notice`` (the page's note, ``""`` when both endpoints are present).
        On a survival-only dataset with one endpoint, the other endpoint's results (and the competing-risk
        ones, which need both) are ``None`` with a note naming what is missing, and its objects ``None``.
    """
    pub = published
    H = pub.horizon
    res = ChapterResults("survival", trial.synthetic)
    add_conventions(res, "sv")
    res.add("survival.horizon", "Administrative censoring horizon (the paper's follow-up)", H, unit="months",
            provenance="published", published=H, source=pub.followup["source"],
            glue={"sv_horizon": "value"})
    present = _endpoints.present(trial)
    res.objects["absent"] = _endpoints.absent(trial)  # absent endpoint -> what the page shows instead
    res.objects["absent_notice"] = _endpoints.notice(trial)  # "" when both endpoints are present
    _followup(res, trial, pub, present)

    inc = pub.hcc_incidence
    for ep in ("os", "hcc"):
        why = "" if ep in present else _endpoints.absent_note(ep)
        if why:
            models = rmst = zph = None
            events = {a: None for a in ARMS}
            res.objects.update({f"km_{ep}": None, f"km_{ep}_times": None, f"km_{ep}_median": None,
                                f"models_{ep}": None, f"rmst_{ep}": None, f"zph_{ep}": None})
        else:
            df = sv.add_covariates(sv.endpoint_frame(trial, ep, H))
            km = sv.kaplan_meier(df)
            models = sv.hr_models(df)
            rmst = sv.rmst(df, H, direction="ucmsc_vs_control", truncate=True)
            zph = sv.ph_test(df)
            events = {a: int(df.loc[df["arm"] == a, "event"].sum()) for a in ARMS}
            res.objects.update({f"km_{ep}": km, f"km_{ep}_times": km.at(sv.REPORT_TIMES),
                                f"km_{ep}_median": km.median(), f"models_{ep}": models, f"rmst_{ep}": rmst,
                                f"zph_{ep}": zph})
        for a in ARMS:
            v = events[a]
            if ep == "hcc":
                res.add(f"hcc.events.{a}", f"HCC events within {H:g} months, {ARM_LABELS[a]}", v, unit="patients",
                        published=inc[a]["events"], provenance="by construction", source=inc["source"], note=why)
            else:
                res.add(f"os.events.{a}", f"Deaths within {H:g} months, {ARM_LABELS[a]}", v, unit="patients",
                        provenance="by construction",
                        note=why or ("the paper does not report deaths; the synthetic cohort derives them from the "
                                     "published confidence interval widths" if trial.synthetic else ""))
        _hazard_ratio(res, ep, models, pub, H, why)
        glue = {f"sv_{ep}_rmst": "value", f"sv_{ep}_rmst_lo": "ci_low", f"sv_{ep}_rmst_hi": "ci_high"}
        res.add(f"{ep}.rmst.difference", f"{sv.ENDPOINTS[ep][2]}: RMST difference up to {H:g} months",
                None if why else rmst.difference, ci_low=None if why else rmst.ci_low,
                ci_high=None if why else rmst.ci_high, unit="months", direction=RMST_DIRECTION, glue=glue, note=why)
        res.add(f"{ep}.rmst.p", f"{sv.ENDPOINTS[ep][2]}: RMST difference, p", None if why else rmst.p, unit="p",
                glue={f"sv_{ep}_rmst_p": "value"} if ep == "os" else {}, note=why)
        t = pd.DataFrame(columns=["term", "p"]) if why else zph.table
        t = t.set_index("term")
        res.add(f"{ep}.ph.p", f"{sv.ENDPOINTS[ep][2]}: proportional-hazards score test (cox.zph), p",
                t.loc["trt", "p"] if "trt" in t.index else None, unit="p", glue={f"sv_{ep}_zph_p": "value"},
                note=why)

    names = {"os": "Overall survival", "hcc": "HCC-free survival"}
    res.objects["zph_table"] = pd.concat({names[ep]: res.objects[f"zph_{ep}"].table for ep in present},
                                         names=["endpoint", None]).reset_index(level=0) if present else None
    res.objects["forest"] = pd.concat([res.objects[f"models_{ep}"].assign(
        label=f"{names[ep]}: " + res.objects[f"models_{ep}"]["label"]) for ep in present],
        ignore_index=True).dropna(subset=["hr"]) if present else None
    _competing(res, trial, pub, H, present)
    return res


def _competing(res: ChapterResults, trial: Trial, pub: Published, H: float, present: tuple[str, ...]) -> None:
    if len(present) < 2:  # HCC with death as a competing risk needs both
        _competing_absent(res, pub, H, next(ep for ep in ("hcc", "os") if ep not in present))
        return
    cr_df = cr.competing_frame(trial, H)
    cif_hcc = cr.cumulative_incidence(cr_df, 1)
    cif_death = cr.cumulative_incidence(cr_df, 2)
    gray_hcc = cr.gray_test(cr_df, 1)
    gray_death = cr.gray_test(cr_df, 2)
    cs = cr.cause_specific_hr(cr_df, 1)
    crude = cr.crude_incidence(cr_df)
    at_cif = cif_hcc.at(sv.REPORT_TIMES).set_index(["arm", "time"])
    at_km = res.objects["km_hcc"].at(sv.REPORT_TIMES).set_index(["arm", "time"])
    res.objects.update({"cif_hcc": cif_hcc, "cif_death": cif_death, "crude": crude,
                        "cif_table": at_cif.assign(one_minus_km=1 - at_km["surv"]).reset_index()})
    c = crude.set_index("arm")
    inc = pub.hcc_incidence
    for a in ARMS:
        res.add(f"cr.cif_hcc.{a}", f"Cumulative incidence of HCC at {H:g} months (Aalen-Johansen), {ARM_LABELS[a]}",
                at_cif.loc[(a, H), "cif"] if (a, H) in at_cif.index else None, unit="proportion",
                glue={f"sv_cif75_{a}": "value"})
        res.add(f"cr.one_minus_km_hcc.{a}", f"One minus Kaplan-Meier HCC-free survival at {H:g} months, {ARM_LABELS[a]}",
                1 - at_km.loc[(a, H), "surv"] if (a, H) in at_km.index else None, unit="proportion",
                glue={f"sv_km75_{a}": "value"})
        res.add(f"cr.crude_hcc.{a}", f"Crude proportion with HCC, {ARM_LABELS[a]}",
                c.loc[a, "hcc_prop"] if a in c.index else None, unit="proportion",
                published=inc[a]["percent"] / 100, tolerance=Tolerance("absolute", 0.0005),
                provenance="by construction", source=inc["source"],
                glue={f"sv_crude_{a}": "value", f"sv_crude_pub_{a}": "published"})
    res.add("cr.gray_hcc.p", "Gray's test of the cumulative incidence of HCC, p", gray_hcc.p, unit="p",
            glue={"sv_gray_hcc_p": "value"})
    res.add("cr.gray_death.p", "Gray's test of the cumulative incidence of death without HCC, p", gray_death.p,
            unit="p", glue={"sv_gray_death_p": "value"})
    res.add("cr.cause_specific.hr", "Cause-specific hazard ratio of HCC", cs.hr, ci_low=cs.ci_low,
            ci_high=cs.ci_high, unit="ratio", direction=HR_DIRECTION,
            glue={"sv_cs_hr": "value", "sv_cs_lo": "ci_low", "sv_cs_hi": "ci_high"})
    res.add("cr.cause_specific.p", "Cause-specific hazard ratio of HCC, Wald p", cs.p, unit="p",
            glue={"sv_cs_p": "value"})



def _competing_absent(res: ChapterResults, pub: Published, H: float, ep: str) -> None:
    """The competing-risk results (ids of :func:`_competing`) on data without endpoint ``ep``: not computable."""
    why = _endpoints.absent_note(ep)
    res.objects.update({"cif_hcc": None, "cif_death": None, "crude": None, "cif_table": None})
    inc = pub.hcc_incidence
    for a in ARMS:
        res.add(f"cr.cif_hcc.{a}", f"Cumulative incidence of HCC at {H:g} months (Aalen-Johansen), {ARM_LABELS[a]}",
                None, unit="proportion", glue={f"sv_cif75_{a}": "value"}, note=why)
        res.add(f"cr.one_minus_km_hcc.{a}", f"One minus Kaplan-Meier HCC-free survival at {H:g} months, {ARM_LABELS[a]}",
                None, unit="proportion", glue={f"sv_km75_{a}": "value"}, note=why)
        res.add(f"cr.crude_hcc.{a}", f"Crude proportion with HCC, {ARM_LABELS[a]}", None, unit="proportion",
                published=inc[a]["percent"] / 100, tolerance=Tolerance("absolute", 0.0005),
                provenance="by construction", source=inc["source"],
                glue={f"sv_crude_{a}": "value", f"sv_crude_pub_{a}": "published"}, note=why)
    res.add("cr.gray_hcc.p", "Gray's test of the cumulative incidence of HCC, p", None, unit="p",
            glue={"sv_gray_hcc_p": "value"}, note=why)
    res.add("cr.gray_death.p", "Gray's test of the cumulative incidence of death without HCC, p", None,
            unit="p", glue={"sv_gray_death_p": "value"}, note=why)
    res.add("cr.cause_specific.hr", "Cause-specific hazard ratio of HCC", None, unit="ratio", direction=HR_DIRECTION,
            glue={"sv_cs_hr": "value", "sv_cs_lo": "ci_low", "sv_cs_hi": "ci_high"}, note=why)
    res.add("cr.cause_specific.p", "Cause-specific hazard ratio of HCC, Wald p", None, unit="p",
            glue={"sv_cs_p": "value"}, note=why)
