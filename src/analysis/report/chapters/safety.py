"""Safety chapter: adverse events during the collection window, infusion reactions, the paper's safety
statements checked against the data, and cumulative HCC incidence.

Conventions (each an explicit argument of the toolkit functions called here): patients exposed are
the analysed patients of each arm; events count if they began within the paper's collection window;
risk differences UC-MSC minus control, in percentage points, with Newcombe's hybrid score interval
and Fisher's exact test; HCC counted up to the paper's horizon.

On the synthetic cohort the generator writes the infusion fevers (their number, onset, duration and
temperature within the published ranges), no event the paper reports as absent, and the published HCC
counts: the safety statements agree there ``by construction``. The serious complications of
cirrhosis come from a generator parameter (``SyntheticParameters.complication_risk``): ``assumed``.
On real data both are ``computed``, and the fever ranges follow the small-cell rule
(:mod:`analysis.toolkit.disclosure`). Without ``adverse_events.csv`` the adverse-event results are
``None`` (not computable) with a note; HCC incidence needs only ``patients.csv``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ...toolkit import disclosure
from ...toolkit import safety as sf
from ...toolkit.schema import ARM_LABELS, Trial
from ...toolkit.units import DAYS_PER_WEEK
from ...trial.published import Published
from ..results import ChapterResults, computed_once
from . import _endpoints
from ._conventions import add_conventions

__all__ = ["RD_DIRECTION", "compute"]

RD_DIRECTION = "UC-MSC minus control"
_NO_AE = "adverse_events.csv is absent"


def _add(res: ChapterResults, id: str, label: str, value: Any, *, note: str = "", **kwargs: Any) -> None:
    """``res.add``, with a note wherever the value is not computable."""
    res.add(id, label, value, note=note or ("not computable on these data" if value is None else ""), **kwargs)


_BY_CONSTRUCTION = ("on the synthetic cohort the generator writes the infusion fevers within the published "
                    "ranges, no event the paper reports as absent and the published HCC counts, so these "
                    "statements agree by construction; this is not a finding")
_SERIOUS = ("on the synthetic cohort serious complications are drawn with the generator's assumed risks "
            "(SyntheticParameters.complication_risk); the paper reports no counts")


def _pct(x: Any) -> float | None:
    """A proportion (risk difference, limit) in percentage points."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else 100.0 * float(x)


def _published(res: ChapterResults, pub: Published) -> None:
    pa, ph = pub.adverse_events, pub.hcc_incidence
    _add(res, "safety.window_weeks", "Adverse-event collection window", pa["collection_weeks"], unit="weeks",
         published=pa["collection_weeks"], provenance="published", source=pa["source"],
         glue={"sf_window_weeks": "value"})
    f = pa["fever"]
    _add(res, "safety.fever.resolved_within_hours", "Infusion fevers resolved within", f["resolved_within_hours"],
         unit="hours", published=f["resolved_within_hours"], provenance="published", source=pa["source"],
         glue={"sf_pub_fever_within": "value"})
    _add(res, "safety.hcc.horizon", "HCC counted up to", ph["horizon_months"], unit="months",
         published=ph["horizon_months"], provenance="published", source=ph["source"],
         glue={"sf_hcc_horizon": "value"})


def _exposed(res: ChapterResults, trial: Trial, pub: Published) -> None:
    n = sf.exposed(trial)
    res.objects["exposed"] = n
    ph = pub.hcc_incidence
    for arm, key in (("control", "c"), ("ucmsc", "u")):
        _add(res, f"safety.exposed.{arm}", f"Patients exposed (analysed), {ARM_LABELS[arm]}", int(n[arm]),
             unit="patients", published=ph[arm]["n"], provenance="by construction", source=ph["source"],
             glue={f"sf_n_{arm}": "value", f"sf_hcc_pub_n{key}": "published"},
             note="the paper's HCC denominators, which are its analysed patients")


def _fever_count(res: ChapterResults, trial: Trial, pub: Published) -> None:
    """``ae.fever.<arm>``, computed as the ledger computed it before this module existed."""
    f = pub.adverse_events["fever"]
    ae = trial.adverse_events
    if ae is None:
        v = None
    else:
        ids = trial.analyzed.loc[trial.analyzed["arm"] == f["arm"], "patient_id"]
        v = int(ae.loc[(ae["term"] == "fever") & ae["patient_id"].isin(ids), "patient_id"].nunique())
    _add(res, f"ae.fever.{f['arm']}", f"Patients with fever after infusion, {ARM_LABELS[f['arm']]}", v,
         unit="patients", published=f["patients"], provenance="by construction",
         source=pub.adverse_events["source"], note="" if ae is not None else _NO_AE,
         glue={"sf_pub_fever": "published"})


def _statements(res: ChapterResults, trial: Trial, pub: Published) -> pd.DataFrame:
    st = sf.safety_statements(trial, pub)
    res.objects["statements"] = st
    res.objects["statements_table"] = st[["statement", "published", "cohort", "status"]]
    have = trial.adverse_events is not None
    extra = "" if have else f"{_NO_AE}: only the HCC statements are checked"
    _add(res, "safety.statements.n", "The paper's safety statements checkable on these data", len(st),
         unit="statements", glue={"sf_n_statements": "value"}, note=extra)
    _add(res, "safety.statements.agree", "Safety statements that agree with the data",
         int((st["status"] == "agrees").sum()), unit="statements", provenance="by construction",
         glue={"sf_n_reproduced": "value"},
         note="; ".join(n for n in (_BY_CONSTRUCTION if res.synthetic else "", extra) if n))
    _add(res, "safety.statements.not_computable", "Safety statements the data do not record enough to check",
         int((st["status"] == "not computable").sum()), unit="statements")
    return st


def _adverse_events(res: ChapterResults, trial: Trial, pub: Published, st: pd.DataFrame) -> None:
    pa = pub.adverse_events
    have = trial.adverse_events is not None
    note = "" if have else _NO_AE
    arm = pa["fever"]["arm"]
    if have:
        window = pa["collection_weeks"] * DAYS_PER_WEEK
        reactions = sf.infusion_reactions(trial)
        by_term = sf.ae_by_term(trial, terms=["fever", *pa["serious_complications"], *pa["absent_terms"]],
                                window_days=window)
        by_ser = sf.ae_by_seriousness(trial, window_days=window)
        res.objects.update({
            "reactions": reactions, "reactions_by_infusion": sf.infusion_reactions(trial, by_infusion=True),
            "by_term": by_term, "by_seriousness": by_ser,
            "seriousness_table": by_ser.drop(columns="category"),
            "risk_differences": by_term[by_term["term"].isin(pa["serious_complications"])].reset_index(drop=True),
        })
    s = st.set_index("id")
    fev_n = s.loc["fever_patients", "cohort_value"] if "fever_patients" in s.index else None
    _add(res, f"ae.infusion_fever.patients.{arm}",
         f"Patients with fever after an infusion within the window, {ARM_LABELS[arm]}",
         None if fev_n is None else int(fev_n), unit="patients", published=pa["fever"]["patients"],
         provenance="by construction", source=pa["source"], glue={"sf_fever_n": "value"},
         note=note or "fevers linked to an infusion, as in safety_statements")

    protected = disclosure.applies(trial)
    fev = res.objects["reactions"].query("term == 'fever'") if have else None
    small = (f"suppressed on real data: fewer than {disclosure.MIN_CELL} patients" if protected else "")
    for id_, col, how, label, key in (
            ("onset_hours.min", "onset_min", "min", "Earliest fever onset after an infusion", "sf_fever_onset_min"),
            ("onset_hours.max", "onset_max", "max", "Latest fever onset after an infusion", "sf_fever_onset_max"),
            ("duration_hours.max", "duration_max", "max", "Longest infusion fever", "sf_fever_dur_max")):
        v = getattr(fev[col], how)() if fev is not None and len(fev) else None
        v = None if v is None or math.isnan(v) else float(v)
        if not have:
            n_note = note
        elif v is None:
            n_note = small or "no infusion fever with a recorded time"
        elif protected:
            n_note = "rounded outwards to whole hours (small-cell rule on real data)"
        else:
            n_note = "the generator draws fever times within the published ranges" if res.synthetic else ""
        _add(res, f"ae.infusion_fever.{id_}", label, v, unit="hours", provenance="by construction",
             glue={key: "value"}, note=n_note)

    absent = st[st["id"].str.startswith("absent_")]
    _add(res, "ae.absent.none_ucmsc", "Events the paper reports as absent that have no UC-MSC case here",
         int((absent["status"] == "agrees").sum()) if have else None, unit="events",
         published=len(pa["absent_terms"]), provenance="by construction", source=pa["source"],
         glue={"sf_n_absent_zero": "value", "sf_n_absent": "published"}, note=note)
    first = pa["absent_terms"][0]
    row = res.objects["by_term"].set_index("term").loc[first] if have else None
    _add(res, f"ae.{first.replace(' ', '_')}.risk_difference",
         f"{first.capitalize()}: risk difference (Newcombe 95% CI)",
         _pct(row["risk_diff"]) if have else None, ci_low=_pct(row["ci_low"]) if have else None,
         ci_high=_pct(row["ci_high"]) if have else None, unit="percentage points", direction=RD_DIRECTION,
         provenance="by construction", glue={"sf_absent_ci_hi": "ci_high"},
         note=note or "how far an absence in these arms still allows a risk difference")

    ser = res.objects["by_seriousness"].set_index("term").loc["serious"] if have else None
    snote = note or (_SERIOUS if res.synthetic else "the paper reports no counts")
    for a, key in (("control", "c"), ("ucmsc", "u")):
        _add(res, f"ae.serious.patients.{a}", f"Patients with at least one serious event, {ARM_LABELS[a]}",
             int(ser[f"patients_{a}"]) if have else None, unit="patients", provenance="assumed",
             glue={f"sf_ser_{key}": "value"}, note=snote)
        _add(res, f"ae.serious.percent.{a}", f"Patients with at least one serious event, {ARM_LABELS[a]}, percent",
             float(ser[f"pct_{a}"]) if have else None, unit="percent", provenance="assumed",
             glue={f"sf_ser_pct_{key}": "value"}, note=snote)
    _add(res, "ae.serious.risk_difference", "At least one serious event: risk difference (Newcombe 95% CI)",
         _pct(ser["risk_diff"]) if have else None, ci_low=_pct(ser["ci_low"]) if have else None,
         ci_high=_pct(ser["ci_high"]) if have else None, unit="percentage points", direction=RD_DIRECTION,
         provenance="assumed", note=snote)
    _add(res, "ae.serious.p", "At least one serious event: Fisher's exact test, p",
         float(ser["p_fisher"]) if have else None, unit="p", provenance="assumed",
         glue={"sf_ser_p": "value"}, note=snote)


def _hcc(res: ChapterResults, trial: Trial, pub: Published) -> None:
    ph = pub.hcc_incidence
    hcc = sf.hcc_incidence(trial, horizon=ph["horizon_months"], published=ph)
    res.objects["hcc"] = hcc
    h = hcc.set_index("source")
    c, p = h.loc["cohort"], h.loc["published"]
    why = "" if "hcc" in _endpoints.present(trial) else _endpoints.absent_note("hcc")  # survival-only, OS only
    for arm, key in (("control", "c"), ("ucmsc", "u")):
        _add(res, f"safety.hcc.events.{arm}", f"Patients with HCC by {ph['horizon_months']} months, {ARM_LABELS[arm]}",
             None if why else int(c[f"events_{arm}"]), unit="patients", published=ph[arm]["events"],
             provenance="by construction", source=ph["source"], note=why,
             glue={f"sf_hcc_{key}": "value", f"sf_hcc_pub_{key}": "published"})
        _add(res, f"safety.hcc.percent.{arm}",
             f"Patients with HCC by {ph['horizon_months']} months, {ARM_LABELS[arm]}, percent",
             float(c[f"pct_{arm}"]), unit="percent", published=ph[arm]["percent"], note=why,
             provenance="by construction", source=ph["source"], glue={f"sf_hcc_pct_{key}": "value"})
    _add(res, "safety.hcc.risk_difference", "HCC by the horizon: risk difference (Newcombe 95% CI)",
         _pct(c["risk_diff"]), ci_low=_pct(c["ci_low"]), ci_high=_pct(c["ci_high"]), unit="percentage points",
         direction=RD_DIRECTION, provenance="by construction", note=why,
         glue={"sf_hcc_rd": "value", "sf_hcc_lo": "ci_low", "sf_hcc_hi": "ci_high"})
    _add(res, "safety.hcc.fisher.p", "HCC by the horizon: Fisher's exact test, p", float(c["p_fisher"]), unit="p",
         provenance="by construction", glue={"sf_hcc_p": "value"}, note=why)
    on_pub = "computed from the paper's published counts; the paper reports no test of them"
    _add(res, "safety.hcc.published_counts.risk_difference",
         "HCC by the horizon, published counts: risk difference (Newcombe 95% CI)", _pct(p["risk_diff"]),
         ci_low=_pct(p["ci_low"]), ci_high=_pct(p["ci_high"]), unit="percentage points", direction=RD_DIRECTION,
         source=ph["source"], note=on_pub,
         glue={"sf_hcc_pub_rd": "value", "sf_hcc_pub_lo": "ci_low", "sf_hcc_pub_hi": "ci_high"})
    _add(res, "safety.hcc.published_counts.fisher.p", "HCC by the horizon, published counts: Fisher's exact test, p",
         float(p["p_fisher"]), unit="p", source=ph["source"], note=on_pub, glue={"sf_hcc_pub_p": "value"})
    _add(res, "safety.hcc.published_counts.chisq.p",
         "HCC by the horizon, published counts: Pearson chi-square test (no continuity correction), p",
         float(p["p_chisq"]), unit="p", source=ph["source"], note=on_pub, glue={"sf_hcc_pub_pchi": "value"})


@computed_once
def compute(trial: Trial, published: Published) -> ChapterResults:
    """The safety chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data (analysed patients; ``adverse_events.csv`` is optional: without it the
        adverse-event results are ``None`` with a note and only the HCC statements are checked).
    published : Published
        The paper's numbers (adverse events, HCC incidence).

    Returns
    -------
    ChapterResults
        Results with ids ``safety.*`` and ``ae.*`` (including the ledger's ``ae.fever.ucmsc``);
        objects ``exposed``, ``statements``, ``statements_table``, ``hcc`` and, with adverse events,
        ``reactions``, ``reactions_by_infusion``, ``by_term``, ``by_seriousness``,
        ``seriousness_table`` and ``risk_differences`` (the serious complications, for the figure);
        ``absent`` (endpoint the data lack -> the note shown instead of its table). Without HCC outcomes
        (a survival-only dataset with overall survival only) the HCC results are ``None`` with a note.
    """
    res = ChapterResults("safety", trial.synthetic)
    add_conventions(res, "sf", alpha=False)
    _published(res, published)
    _exposed(res, trial, published)
    _fever_count(res, trial, published)
    st = _statements(res, trial, published)
    _adverse_events(res, trial, published, st)
    _hcc(res, trial, published)
    res.objects["absent"] = _endpoints.absent(trial)  # endpoint the data lack -> the note shown instead
    return res
