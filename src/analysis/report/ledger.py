"""The results ledger: every result the book reports, beside the published value, as one JSON file.

``python -m analysis ledger --data DIR --out FILE.json`` writes it. Meta-analysts
and reviewers get the numbers, not only the pages; the Reproducibility chapter
renders the same ledger, so book and file cannot disagree.

Conventions are those of the survival chapter: analysed population, follow-up
censored at the paper's 75-month horizon, hazard ratios control relative to
UC-MSC, Cox models with Efron ties, Wald p values (log-rank p values have
their own ids).

Statuses
    ``match``: both values exist and agree within ``tolerance``;
    ``differs``: both exist and do not;
    ``not_published``: the paper gives no value (the entry has a ``note``);
    ``not_computable``: the data cannot give it (e.g. an optional table is absent).

Tolerance (``tolerance_type``)
    ``absolute``: ``|reproduced - published| <= tolerance``; for printed values
    the tolerance is half a unit of the last printed digit.
    ``log_ratio``: ``|log(reproduced / published)| <= tolerance`` (hazard ratios
    and their limits; 0.10 is the calibration target of the synthetic cohort).
    ``upper_bound``: the paper prints ``< value``; match if ``reproduced < value``.
    ``interval``: ``tolerance`` is ``[low, high]``, the range of p values that
    any unrounded means and SDs printing as the paper's could give (widened by
    half a unit of the printed p); match if ``reproduced`` lies inside.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from ..toolkit.baseline import baseline_table
from ..toolkit.consistency import _decimals_of, ttest_from_summary
from ..trial.data import ARM_LABELS, ARMS, Trial, content_digest, load_trial
from ..trial.published import Published, load_published
from ..toolkit.survival import ENDPOINTS, cox_hr, endpoint_frame, followup, logrank
from ..toolkit.warnings import StatisticalWarning

__all__ = ["HR_LOG_TOLERANCE", "LEDGER_VERSION", "STATUSES", "build_ledger", "format_ledger_html", "ledger_frame", "write_ledger"]

LEDGER_VERSION = 1
STATUSES = ("match", "differs", "not_published", "not_computable")
HR_LOG_TOLERANCE = 0.10


def _num(x: Any) -> float | None:
    """A finite float rounded to 10 significant digits, or None.

    Ten digits are far beyond any reported precision; the rounding removes the
    last-bit differences that floating-point libraries (threaded BLAS, iterative
    optimisers) show between runs and machines, so the same data give the same bytes.
    """
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else float(f"{v:.10g}")


def _half_unit(value: float) -> float:
    """Half a unit of the last printed digit of ``value`` as written in the YAML."""
    return 0.5 * 10.0 ** -_decimals_of(value)


class _Ledger:
    def __init__(self) -> None:
        self.entries: list[dict] = []

    def add(self, id_: str, label: str, published: Any, reproduced: Any, unit: str, source: str,
            tolerance: float | list[float] = 0.0, tolerance_type: str = "absolute", note: str = "") -> None:
        pub, rep = _num(published), _num(reproduced)
        if rep is None:
            status = "not_computable"
        elif pub is None:
            status = "not_published"
        elif tolerance_type == "log_ratio":
            status = "match" if pub > 0 and rep > 0 and abs(math.log(rep / pub)) <= tolerance + 1e-12 else "differs"
        elif tolerance_type == "upper_bound":
            status = "match" if rep < pub else "differs"
        elif tolerance_type == "interval":
            status = "match" if tolerance[0] <= rep <= tolerance[1] else "differs"
        else:
            status = "match" if abs(rep - pub) <= tolerance + 1e-12 else "differs"
        if status != "match" and not note:
            note = {
                "not_computable": "the data do not allow this result",
                "not_published": "the paper does not report this value",
                "differs": f"reproduced {rep:.6g} vs published {pub:.6g}" if pub is not None and rep is not None else "",
            }[status]
        entry = {
            "id": id_,
            "label": label,
            "published": pub,
            "reproduced": rep,
            "unit": unit,
            "source": source,
            "tolerance": tolerance,
            "tolerance_type": tolerance_type,
            "status": status,
        }
        if note:
            entry["note"] = note
        self.entries.append(entry)


def _consort(led: _Ledger, trial: Trial, pub: Published) -> None:
    c = pub.consort
    src = c["source"]
    scr = trial.screening
    led.add("consort.screened", "Patients screened", c["screened"], len(scr) if scr is not None else None, "patients", src,
            note="" if scr is not None else "screening.csv is absent")
    for reason, k in c["excluded"].items():
        v = int((scr["outcome"] == reason).sum()) if scr is not None else None
        led.add(f"consort.excluded.{reason}", f"Excluded before randomization: {reason}", k, v, "patients", src,
                note="" if scr is not None else "screening.csv is absent")
    p = trial.patients
    for stage, disp, label in (("randomized", None, "Randomized"), ("withdrew", "withdrew", "Withdrew consent"),
                               ("lost_to_follow_up", "lost_to_follow_up", "Lost to follow-up"),
                               ("analyzed", "analyzed", "Analysed")):
        for a in ARMS:
            sel = p["arm"] == a
            if disp:
                sel &= p["disposition"] == disp
            key = "lost" if stage == "lost_to_follow_up" else stage
            led.add(f"consort.{key}.{a}", f"{label}, {ARM_LABELS[a]}", c[stage][a], int(sel.sum()), "patients", src)


def _followup(led: _Ledger, trial: Trial, pub: Published) -> None:
    fu = pub.followup
    f = followup(trial).set_index("arm")
    for a in ARMS:
        have = a in f.index
        for stat, col in (("median", "median_simple"), ("min", "min"), ("max", "max")):
            led.add(f"followup.{stat}.{a}", f"Follow-up {stat} (observed time), {ARM_LABELS[a]}", fu[a][stat],
                    f.loc[a, col] if have else None, "months", fu["source"], tolerance=0.5,
                    note="" if have else "no analysed patients in this arm")
        led.add(f"followup.reverse_km_median.{a}", f"Median follow-up, reverse Kaplan-Meier, {ARM_LABELS[a]}", None,
                f.loc[a, "median_reverse_km"] if have else None, "months", fu["source"],
                note="the paper reports one median follow-up without naming the estimator; "
                     f"its {fu[a]['median']} months is compared under followup.median.{a}")


def _survival(led: _Ledger, trial: Trial, pub: Published) -> None:
    H = pub.horizon
    frames = {ep: endpoint_frame(trial, ep, horizon=H) for ep in ENDPOINTS}
    inc = pub.hcc_incidence
    for ep, df in frames.items():
        for a in ARMS:
            v = int(df.loc[df["arm"] == a, "event"].sum())
            if ep == "hcc":
                led.add(f"hcc.events.{a}", f"HCC events within {H:g} months, {ARM_LABELS[a]}", inc[a]["events"], v,
                        "patients", inc["source"])
            else:
                led.add(f"os.events.{a}", f"Deaths within {H:g} months, {ARM_LABELS[a]}", None, v, "patients",
                        "not reported",
                        note="the paper does not report deaths; the synthetic cohort derives them from the CI widths")
        lr = logrank(df)
        led.add(f"{ep}.logrank.p", f"{ENDPOINTS[ep][2]}: log-rank p (0-{H:g} months)", None, lr.p, "p", "not reported",
                note="the paper prints one p per hazard ratio without naming the test; compared under "
                     f"{ep}.cox.p (Wald)")
    for key, h in pub.hazard_ratios.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)  # an empty window gives nan, recorded as not_computable
            r = cox_hr(frames[h.endpoint], start=h.window[0], end=h.window[1])
        tag = f"{h.label}, control vs UC-MSC"
        for field_, label, tol, ttype in (("hr", "HR", HR_LOG_TOLERANCE, "log_ratio"),
                                          ("ci_low", "95% CI lower limit", HR_LOG_TOLERANCE, "log_ratio"),
                                          ("ci_high", "95% CI upper limit", HR_LOG_TOLERANCE, "log_ratio"),
                                          ("p", "p (Cox Wald)", _half_unit(h.p), "absolute")):
            led.add(f"{key}.{field_}", f"{tag}: {label}", getattr(h, field_), getattr(r, field_),
                    "ratio" if field_ != "p" else "p", h.source, tolerance=tol, tolerance_type=ttype)


def _baseline(led: _Ledger, trial: Trial, pub: Published) -> None:
    tab = baseline_table(trial)
    present = set(tab.variables())
    n = pub.raw["table1"]["n"]
    for var in ("tp", "alb", "plt", "cr", "alt", "ast", "tbil", "pta", "che", "inr", "meld"):
        row = pub.table1_row(var)
        rep = tab.row(var)["p"] if var in present else None
        note = "" if var in present else f"patients.csv has no {var} column"
        if var == "meld" and var in present and trial.synthetic:
            note = "the synthetic cohort's MELD is computed from TBIL, INR and Cr, so its means differ from Table 1's"
        if row.p_operator == "<":
            tol, ttype = 0.0, "upper_bound"
        else:
            dc, du = row.decimals_for("control"), row.decimals_for("ucmsc")
            t = ttest_from_summary(row.control["mean"], row.control["sd"], n["control"],
                                   row.ucmsc["mean"], row.ucmsc["sd"], n["ucmsc"],
                                   decimals={"mean1": dc["mean"], "sd1": dc["sd"], "mean2": du["mean"], "sd2": du["sd"]})
            h = _half_unit(row.p)
            tol, ttype = [max(t.p_low - h, 0.0), min(t.p_high + h, 1.0)], "interval"
        led.add(f"baseline.{var}.p", f"Table 1 {row.label}: p (Student t test)", row.p, rep, "p",
                pub.raw["table1"]["source"], tolerance=tol, tolerance_type=ttype, note=note)


def _safety(led: _Ledger, trial: Trial, pub: Published) -> None:
    f = pub.adverse_events["fever"]
    ae = trial.adverse_events
    if ae is None:
        rep = None
    else:
        ids = trial.analyzed.loc[trial.analyzed["arm"] == f["arm"], "patient_id"]
        rep = int(ae.loc[(ae["term"] == "fever") & ae["patient_id"].isin(ids), "patient_id"].nunique())
    led.add(f"ae.fever.{f['arm']}", f"Patients with fever after infusion, {ARM_LABELS[f['arm']]}", f["patients"], rep,
            "patients", pub.adverse_events["source"], note="" if ae is not None else "adverse_events.csv is absent")


def build_ledger(data: Trial | str | Path | None = None, published: Published | None = None) -> dict:
    """Compute every ledger entry for one dataset.

    Parameters
    ----------
    data
        A :class:`~analysis.toolkit.schema.Trial` or a data folder (default: ``$TRIAL_DATA``
        or the synthetic cohort).
    published
        The paper's numbers (default :func:`~analysis.trial.published.load_published`).

    Returns
    -------
    dict
        ``{"ledger_version", "data": {"sha256", "synthetic"},
        "conventions", "entries": [...]}``. The same data give the same dict.
    """
    trial = data if isinstance(data, Trial) else load_trial(data)
    pub = published or load_published()
    led = _Ledger()
    _consort(led, trial, pub)
    _followup(led, trial, pub)
    _survival(led, trial, pub)
    _baseline(led, trial, pub)
    _safety(led, trial, pub)
    return {
        "ledger_version": LEDGER_VERSION,
        "data": {
            "sha256": content_digest(trial),  # the content, not the folder's name or layout
            "synthetic": trial.synthetic,
        },
        "conventions": {
            "population": "analyzed",
            "horizon_months": pub.horizon,
            "hr_direction": "control relative to UC-MSC",
            "ties": "efron",
            "p": "Cox Wald unless the id says logrank",
        },
        "entries": led.entries,
    }


def ledger_frame(ledger: dict) -> pd.DataFrame:
    """The ledger's entries as a DataFrame (one row per id)."""
    df = pd.DataFrame(ledger["entries"])
    if "note" not in df.columns:
        df["note"] = ""
    df["note"] = df["note"].fillna("")
    return df


def write_ledger(data: Trial | str | Path | None, out: str | Path, published: Published | None = None) -> Path:
    """Write the ledger as JSON (deterministic bytes: fixed key order, ``repr`` floats)."""
    led = build_ledger(data, published)
    text = json.dumps(led, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out



_STATUS_COLORS = {"match": "#e3f1e6", "differs": "#f9d9d4", "not_published": "#eeeeee", "not_computable": "#fdf3d7"}


def _fmt(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, list):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    v = float(x)
    return f"{v:.0f}" if v == int(v) and abs(v) >= 1 else f"{v:.4g}"


def format_ledger_html(ledger: dict, table_id: str = "ledger") -> str:
    """The ledger as an HTML table with a status filter (a select box and a few lines of JavaScript).

    Deterministic output; works offline. Numbers are shown to 4 significant
    digits; the JSON file has them in full.
    """
    from html import escape

    options = "".join(f'<option value="{s}">{s}</option>' for s in STATUSES)
    head = "".join(f"<th>{h}</th>" for h in ("id", "label", "published", "reproduced", "unit", "status", "note"))
    rows = []
    for e in ledger["entries"]:
        rows.append(
            f'<tr data-status="{e["status"]}" style="background:{_STATUS_COLORS[e["status"]]}">'
            f'<td><code>{escape(e["id"])}</code></td><td>{escape(e["label"])}</td>'
            f'<td class="num">{_fmt(e["published"])}</td><td class="num">{_fmt(e["reproduced"])}</td>'
            f'<td>{escape(e["unit"])}</td><td>{e["status"]}</td><td>{escape(e.get("note", ""))}</td></tr>'
        )
    script = (
        "<script>(function(){var s=document.getElementById('%s-filter');"
        "s.addEventListener('change',function(){var v=s.value;"
        "document.querySelectorAll('#%s tbody tr').forEach(function(r){"
        "r.style.display=(v==='all'||r.dataset.status===v)?'':'none';});});})();</script>" % (table_id, table_id)
    )
    return (
        f'<label for="{table_id}-filter">Show status: </label>'
        f'<select id="{table_id}-filter"><option value="all">all</option>{options}</select>'
        f'<table id="{table_id}" class="ledger-table"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>{script}'
    )
