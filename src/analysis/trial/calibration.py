"""Calibration report: each published aggregate beside the cohort's value.

Used by the Data chapter and by the tests of the synthetic cohort: both call
:func:`calibration_report`, so the book and the tests cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..toolkit import disclosure
from ..toolkit.disclosure import protected_summary
from .data import ARMS, Trial
from .published import Published, load_published
from ..toolkit.survival import cox_hr, endpoint_frame

__all__ = ["calibration_report", "printed"]


def printed(x: float, decimals: int) -> float:
    """``x`` rounded half away from zero to ``decimals`` places, as tables print numbers.

    Parameters
    ----------
    x : float
        The number.
    decimals : int
        Decimal places (``0`` rounds to an integer).

    Returns
    -------
    float
        ``x`` rounded half away from zero (``printed(2.25, 1) == 2.3``, ``printed(-0.5, 0) == -1``),
        unlike Python's ``round``, which rounds half to even.
    """
    q = 10.0**decimals
    return float(np.sign(x) * np.floor(abs(x) * q + 0.5) / q)


def _row(group, quantity, arm, published, cohort, rule, ok, kind, note=""):
    return {
        "group": group,
        "quantity": quantity,
        "arm": arm,
        "published": float(published) if published is not None else np.nan,
        "cohort": float(cohort) if cohort is not None else np.nan,
        "rule": rule,
        "within": bool(ok),
        "kind": kind,
        "note": note,
    }


def calibration_report(trial: Trial, published: Published | None = None, hr_tolerance: float = 0.10) -> pd.DataFrame:
    """Every published aggregate beside the trial's value, with a pass/fail.

    Parameters
    ----------
    trial : Trial
        The trial to check (normally the synthetic cohort).
    published : Published, optional
        Published numbers (default ``None``: the paper's, :func:`load_published`).
    hr_tolerance : float, default 0.10
        Allowed ``|log(HR_cohort / HR_published)|`` for the published hazard ratios
        (control relative to UC-MSC, Cox model within each published window).

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``quantity``, ``arm``, ``published``, ``cohort``,
        ``rule``, ``within`` (bool), ``kind`` (``exact``: reproduced by
        construction; ``calibrated``: targeted within a tolerance;
        ``computed``: a consequence, reported with its gap) and ``note``. On real data the
        ``cohort`` extremes (minimum, maximum) are shown under the small-cell rule of
        :mod:`analysis.toolkit.disclosure`; ``within`` is decided on the exact values.
    """
    pub = published or load_published()
    protect = disclosure.applies(trial)  # real data: no single patient's exact extreme is shown
    p = trial.patients
    an = trial.analyzed
    rows = []
    c = pub.consort
    if trial.screening is not None:
        s = trial.screening
        rows.append(_row("CONSORT", "screened", "all", c["screened"], len(s), "equal", len(s) == c["screened"], "exact"))
        for reason, k in c["excluded"].items():
            v = int((s["outcome"] == reason).sum())
            rows.append(_row("CONSORT", f"excluded: {reason}", "all", k, v, "equal", v == k, "exact"))
    for stage, disp in (("randomized", None), ("withdrew", "withdrew"), ("lost_to_follow_up", "lost_to_follow_up"), ("analyzed", "analyzed")):
        for a in ARMS:
            sel = p["arm"] == a
            if disp:
                sel &= p["disposition"] == disp
            v = int(sel.sum())
            rows.append(_row("CONSORT", stage.replace("_", " "), a, c[stage][a], v, "equal", v == c[stage][a], "exact"))

    for r in pub.table1:
        if r.variable not in an.columns and r.variable != "meld_gt15":
            continue
        for a in ARMS:
            x = an.loc[an["arm"] == a]
            st = r.arm(a)
            if r.kind == "mean_sd":
                dec = r.decimals_for(a)
                m, sd = x[r.variable].mean(), x[r.variable].std(ddof=1)
                kind = "computed" if r.variable == "meld" else "exact"
                note = "MELD is computed from TBIL, INR and Cr (UNOS formula), not forced" if kind == "computed" else ""
                rows.append(_row("Table 1", f"{r.variable} mean", a, st["mean"], m, f"equal at {dec['mean']} decimals",
                                 printed(m, dec["mean"]) == st["mean"], kind, note))
                rows.append(_row("Table 1", f"{r.variable} SD", a, st["sd"], sd, f"equal at {dec['sd']} decimals",
                                 printed(sd, dec["sd"]) == st["sd"], kind, note))
            elif r.kind == "median_range":
                v = x[r.variable]
                shown = protected_summary(v, patients=len(v), step=1.0, protect=protect)
                for stat, val in (("median", v.median()), ("min", v.min()), ("max", v.max())):
                    rows.append(_row("Table 1", f"{r.variable} {stat}", a, st[stat], shown[stat], "equal",
                                     val == st[stat], "exact"))
            elif r.kind == "counts":
                if r.variable == "meld_gt15":
                    if "meld" not in x.columns:
                        continue
                    v = int((x["meld"] > 15).sum())
                    rows.append(_row("Table 1", "MELD > 15 (n)", a, st[">15"], v, "equal", v == st[">15"], "computed",
                                     "follows from the computed MELD"))
                    continue
                for lev in r.levels:
                    v = int((x[r.variable].astype(str) == str(lev)).sum())
                    rows.append(_row("Table 1", f"{r.variable} = {lev} (n)", a, st[lev], v, "equal", v == st[lev], "exact"))

    fu = pub.followup
    for a in ARMS:
        t = an.loc[an["arm"] == a, "os_months"]
        shown = protected_summary(t, patients=len(t), step=1.0, protect=protect)
        for stat, val in (("median", t.median()), ("min", t.min()), ("max", t.max())):
            rows.append(_row("Follow-up", f"follow-up {stat} (months)", a, fu[a][stat], shown[stat],
                             "equal at 0 decimals", printed(val, 0) == fu[a][stat], "exact"))
    inc = pub.hcc_incidence
    d = endpoint_frame(trial, "hcc", horizon=pub.horizon)
    for a in ARMS:
        v = int(d.loc[d["arm"] == a, "event"].sum())
        rows.append(_row("HCC", f"HCC events within {pub.horizon:g} months", a, inc[a]["events"], v, "equal", v == inc[a]["events"], "exact"))
    for key, h in pub.hazard_ratios.items():
        df = endpoint_frame(trial, h.endpoint, horizon=pub.horizon)
        res = cox_hr(df, start=h.window[0], end=h.window[1])
        dev = abs(np.log(res.hr / h.hr))
        note = f"{res.events_control}/{res.events_ucmsc} events (control/UC-MSC)"
        if dev > hr_tolerance:
            note += f"; outside tolerance (|log ratio| = {dev:.3f})"
        rows.append(_row("Hazard ratio", f"{key} HR", "control vs UC-MSC", h.hr, res.hr,
                         f"|log ratio| <= {hr_tolerance}", dev <= hr_tolerance, "calibrated", note))
    if trial.adverse_events is not None:
        ae = trial.adverse_events
        fever = pub.adverse_events["fever"]
        ids = an.loc[an["arm"] == fever["arm"], "patient_id"]  # analysed patients, as the paper counts them
        v = int(ae.loc[(ae["term"] == "fever") & ae["patient_id"].isin(ids), "patient_id"].nunique())
        rows.append(_row("Safety", "patients with fever", fever["arm"], fever["patients"], v, "equal", v == fever["patients"], "exact"))
    return pd.DataFrame(rows)
