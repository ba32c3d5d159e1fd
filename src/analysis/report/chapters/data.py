"""Data chapter: what the data folder holds, and how closely it reproduces the paper's aggregates.

The calibration table is made of the other chapters' results (:mod:`analysis.report.chapters`),
not recomputed from the data: every result with a published value that the synthetic cohort is
built to reproduce (provenance ``by construction``, the calibrated hazard ratios included, or
``assumed``: MELD), beside the published value, with its tolerance, status and provenance as in the
results ledger. On real data nothing is by construction: the table holds every result with a
published value (see :func:`in_calibration`). This module counts how many agree, overall, among
those reproduced by construction and among the hazard ratios. Like the reproducibility chapter it
summarises the others, so :func:`analysis.report.ledger.chapter_results` computes it after them.

It also derives the event counts the published confidence intervals imply
(:func:`analysis.trial.synthetic.derive_event_counts`) and sets the mean MELD of the data beside the
published one, with the terms of the MELD formula that explain the gap on the synthetic cohort.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ...toolkit.agreement import STATUSES
from ...toolkit.schema import ARM_LABELS, ARMS, BASELINE_CATEGORICAL, BASELINE_CONTINUOUS, Trial
from ...trial.data import content_digest, data_dictionary
from ...trial.published import Published
from ...toolkit.consistency import rounding_interval
from ...toolkit.meld import BILIRUBIN_UMOL_PER_MG, CREATININE_UMOL_PER_MG, MELD_VARIANTS, meld_mean_range
from ...toolkit.agreement import decimals_of, printed
from ...trial.synthetic import MELD_VARIANT, derive_event_counts, printed_targets
from ..results import ChapterResults, Result

__all__ = ["CHAPTER", "OPTIONAL_TABLES", "OPTIONAL_COLUMNS", "CALIBRATION_COLUMNS", "MELD_SUPPORT", "in_calibration",
           "tolerance_text", "calibration_table", "meld_formulas", "wald_p_range", "compute"]

#: This chapter's name (its own results are never rows of its calibration table).
CHAPTER = "data"

#: The schema's optional tables (``patients`` is required).
OPTIONAL_TABLES = ("screening", "labs", "adverse_events")
#: The optional columns of ``patients.csv`` (baseline characteristics).
OPTIONAL_COLUMNS = ("age", "sex", *BASELINE_CONTINUOUS, *BASELINE_CATEGORICAL)

_YES_NO = {True: "yes", False: "no"}


def _contents(res: ChapterResults, trial: Trial, pub: Published) -> None:
    """Tables present, their rows, patient counts, absent optional parts, the content digest."""
    dd = data_dictionary()
    for col in ("required", "empty_allowed"):
        dd[col] = dd[col].map(_YES_NO)
    res.objects["data_dictionary"] = dd
    tables = ("patients", *OPTIONAL_TABLES)
    res.objects["tables"] = pd.DataFrame({
        "table": [f"{t}.csv" for t in tables],
        "required": [_YES_NO[t == "patients"] for t in tables],
        "present": [_YES_NO[trial.has(t)] for t in tables],
        "rows": pd.array([len(getattr(trial, t)) if trial.has(t) else None for t in tables], dtype="Int64"),
    })
    c = pub.consort
    src = c["source"]
    res.add("data.patients", "Randomized patients in the data folder (patients.csv rows)", len(trial.patients),
            unit="patients", published=sum(c["randomized"][a] for a in ARMS), provenance="by construction",
            source=src, glue={"n_patients": "value"})
    res.add("data.analyzed", "Patients in the analysis population (disposition analyzed)", len(trial.analyzed),
            unit="patients", published=sum(c["analyzed"][a] for a in ARMS), provenance="by construction",
            source=src, glue={"data_n_analyzed": "value"})
    absent = [t for t in OPTIONAL_TABLES if not trial.has(t)] + \
             [col for col in OPTIONAL_COLUMNS if col not in trial.patients.columns]
    res.add("data.optional.n", "Optional tables and optional baseline columns of the schema",
            len(OPTIONAL_TABLES) + len(OPTIONAL_COLUMNS), unit="items", glue={"data_n_optional": "value"})
    res.add("data.optional.absent", "Optional tables and baseline columns absent from the data folder", len(absent),
            unit="items", glue={"data_n_absent": "value"},
            note=("absent: " + ", ".join(absent)) if absent else "")
    res.add("data.digest_short", "First 16 hex digits of the SHA-256 digest of the data's content",
            content_digest(trial)[:16], glue={"digest_short": "value"},
            note="the full digest is the ledger's data.sha256 (tables only, independent of row and column order)")


def _event_counts(res: ChapterResults, pub: Published) -> None:
    """The event counts per arm and window that the published confidence intervals imply."""
    counts = derive_event_counts(pub)
    res.objects["event_counts"] = counts.reset_index()
    src = pub.hazard_ratios["os.cox"].source
    for a in ARMS:
        res.add(f"data.implied_deaths.{a}", f"Deaths over the whole follow-up implied by the published confidence "
                f"interval of the overall-survival hazard ratio, {ARM_LABELS[a]}", counts.loc["os.cox", f"events_{a}"],
                unit="patients", source=src, glue={f"deaths_{a}": "value"},
                note="derived from published numbers (Var(log HR) close to 1/d1 + 1/d2), not from the data; "
                     "the synthetic cohort is built with these counts")


#: Results the calibration table leaves out: the paper's numbers checked against each other (the
#: baseline chapter's ``consistency.*``), which are computed from published numbers, not from the data.
_PAPER_AGAINST_ITSELF = "consistency."

#: Columns of the calibration table as the page shows it (the full table adds ``note``).
CALIBRATION_COLUMNS = ("chapter", "id", "label", "published", "value", "tolerance", "status", "provenance")


def in_calibration(r: Result, synthetic: bool) -> bool:
    """Whether a result of another chapter belongs in the calibration table.

    On the synthetic cohort: the results with a published value whose provenance is ``by
    construction`` (the generator forces them; the hazard ratios, which it calibrates, are of this
    provenance) or ``assumed`` (they follow from a generator choice: MELD). On real data nothing is
    by construction or assumed: every result with a published value, except the quotes (provenance
    ``published``) and the paper's numbers checked against each other (``consistency.*``).

    Parameters
    ----------
    r : Result
        A result of a chapter other than this one.
    synthetic : bool
        Whether the results were computed on the synthetic cohort.

    Returns
    -------
    bool
        Whether ``r`` is a row of the calibration table.
    """
    if r.published is None or isinstance(r.published, str) or r.provenance == "published":
        return False
    if r.id.startswith(_PAPER_AGAINST_ITSELF):
        return False
    return r.provenance in ("by construction", "assumed") if synthetic else True


def _is_hr(rid: str) -> bool:
    """A hazard ratio (the rule of the reproducibility chapter's counts: the id ends in ``.hr``)."""
    return rid.endswith(".hr")


def _number(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1 else f"{x:g}"


def tolerance_text(r: Result) -> str:
    """A result's effective tolerance in words, for a table (``""`` without one).

    Parameters
    ----------
    r : Result
        The result.

    Returns
    -------
    str
        ``"within 0.05"`` (absolute), ``"|log ratio| <= 0.1"`` (log ratio), ``"below the published
        bound"`` (upper bound) or ``"in [0.383, 0.431]"`` (interval); ``", limits too"`` is added
        when a published interval is compared as well.
    """
    tol = r.effective_tolerance
    if tol is None:
        return ""
    if tol.kind == "log_ratio":
        text = f"|log ratio| <= {tol.value:g}"
    elif tol.kind == "upper_bound":
        text = "below the published bound"
    elif tol.kind == "interval":
        text = f"in [{_number(tol.value[0])}, {_number(tol.value[1])}]"
    else:
        text = f"within {tol.value:g}"
    if r.published_ci_low is not None or r.published_ci_high is not None:
        text += ", limits too"
    return text


def calibration_table(others: Mapping[str, ChapterResults], synthetic: bool) -> pd.DataFrame:
    """The calibration table: the other chapters' results that reproduce a published value.

    Parameters
    ----------
    others : mapping of str to ChapterResults
        The other chapters' results (chapter name -> results), in book order.
    synthetic : bool
        Whether the results were computed on the synthetic cohort (see :func:`in_calibration`).

    Returns
    -------
    pandas.DataFrame
        One row per result, in the chapters' order: :data:`CALIBRATION_COLUMNS` and ``note``. The
        ``published`` and ``value`` columns hold Python numbers (``None`` when not computable);
        ``status`` and ``provenance`` are the result's own, as in the results ledger.
    """
    rows = [{"chapter": name, "id": r.id, "label": r.label, "published": r.published, "value": r.value,
             "tolerance": tolerance_text(r), "status": r.status, "provenance": r.provenance, "note": r.note}
            for name, res in others.items() if name != CHAPTER for r in res.values() if in_calibration(r, synthetic)]
    df = pd.DataFrame(rows, columns=[*CALIBRATION_COLUMNS, "note"])
    for col in ("published", "value"):  # integers stay integers in the table
        df[col] = pd.Series([r[col] for r in rows], dtype=object)
    return df


def _calibration(res: ChapterResults, others: Mapping[str, ChapterResults]) -> None:
    """The calibration table (from the other chapters' results) and its counts."""
    rep = calibration_table(others, res.synthetic)
    results = {r.id: r for name, ch in others.items() if name != CHAPTER for r in ch.values()}
    res.objects["calibration"] = rep
    res.objects["calibration_shown"] = rep[list(CALIBRATION_COLUMNS)]
    res.objects["calibration_entries"] = [  # the table's rows as ledger entries (analysis.report.ledger)
        {"chapter": name, **r.as_json()} for name, ch in others.items() if name != CHAPTER for r in ch.values()
        if in_calibration(r, res.synthetic)]
    res.objects["calibration_summary"] = pd.DataFrame(
        [{"chapter": c, "results": int(mine.sum()), **{s: int((mine & (rep["status"] == s)).sum()) for s in STATUSES}}
         for c in others if (mine := rep["chapter"] == c).any()], columns=["chapter", "results", *STATUSES])
    res.objects["calibration_not_met"] = rep.loc[rep["status"] != "agrees",
                                                 ["chapter", "id", "label", "published", "value", "status", "note"]]
    agrees = rep["status"] == "agrees"
    hr = rep["id"].map(_is_hr).astype(bool)
    exact = (rep["provenance"] == "by construction") & ~hr
    what = "on the synthetic cohort; none on real data"
    for rid, label, v, key in (
        ("data.calibration.n", "Results of the other chapters in the calibration table (a published value, and "
         "by construction or assumed on the synthetic cohort)", len(rep), "cal_n"),
        ("data.calibration.met", "Results of the calibration table that agree with the published value",
         int(agrees.sum()), "cal_within"),
        ("data.calibration.met.forced", "Results of the calibration table that agree with the published value, of "
         "provenance by construction or assumed (forced by the synthetic generator; none on real data)",
         int((agrees & rep["provenance"].isin(["by construction", "assumed"])).sum()), "cal_within_forced"),
        ("data.calibration.exact.n", f"Results of the calibration table reproduced by construction ({what}), "
         "hazard ratios apart", int(exact.sum()), "cal_exact_n"),
        ("data.calibration.exact.met", "Results reproduced by construction, hazard ratios apart, that agree with the "
         "published value", int((exact & agrees).sum()), "cal_exact_within"),
        ("data.calibration.hr.n", "Hazard ratios in the calibration table", int(hr.sum()), "cal_hr_n"),
        ("data.calibration.hr.met", "Hazard ratios of the calibration table that agree with the published estimate "
         "and interval within their tolerance", int((hr & agrees).sum()), "cal_hr_within"),
    ):
        res.add(rid, label, v, unit="results", glue={key: "value"}, note="status as in the results ledger")
    dev = [abs(np.log(r.value / r.published)) for r in (results[i] for i in rep.loc[hr, "id"])
           if r.value is not None and r.value > 0 and r.published > 0]
    res.add("data.calibration.hr.max_log_distance", "Largest |log(hazard ratio of the data / published hazard "
            "ratio)| over the hazard ratios of the calibration table (estimates)", max(dev) if dev else None,
            unit="log ratio", glue={"cal_hr_maxdev": "value"},
            note="" if dev else "no published hazard ratio is computable on these data")


#: Values a patient with decompensated cirrhosis can have (mg/dL; INR ratio), wide on purpose: the
#: range of the mean MELD a formula allows is computed over every distribution on these supports
#: (bilirubin 1.7-1540 umol/L, creatinine 18-1500 umol/L, INR 0.8-10).
MELD_SUPPORT = {"bilirubin": (0.1, 90.0), "inr": (0.8, 10.0), "creatinine": (0.2, 17.0)}
#: Table 1 rows of the MELD components (toolkit component -> Table 1 variable, umol/L per mg/dL).
_MELD_ROWS = {"bilirubin": ("tbil", BILIRUBIN_UMOL_PER_MG), "inr": ("inr", 1.0),
              "creatinine": ("cr", CREATININE_UMOL_PER_MG)}
_FORMULA_NOTE = ("derived from Table 1's means and SDs of bilirubin, INR and creatinine (within their printed "
                 "rounding) alone: the range of the mean MELD over every distribution with those moments on the "
                 "plausible values of MELD_SUPPORT (analysis.toolkit.meld.meld_mean_range)")


def meld_formulas(published: Published) -> pd.DataFrame:
    """For each MELD variant, the range of mean MELD per arm that Table 1's component moments allow.

    Parameters
    ----------
    published : Published
        The paper's numbers (Table 1 rows ``tbil``, ``inr``, ``cr``, ``meld`` and group sizes).

    Returns
    -------
    pandas.DataFrame
        One row per variant of :data:`analysis.toolkit.meld.MELD_VARIANTS`: ``variant``, ``label``,
        ``low_<arm>``, ``high_<arm>`` (NaN when the variant needs sodium, which the paper does not
        report), ``published_<arm>`` (the printed mean MELD), ``allows_<arm>`` and ``allows`` (both
        arms: the printed mean's rounding interval meets the range; ``None`` when not computable).
    """
    mrow = published.table1_row("meld")
    rows = []
    for name, v in MELD_VARIANTS.items():
        out = {"variant": name, "label": v.label}
        flags = []
        for a in ARMS:
            moments = {}
            for comp, (var, f) in _MELD_ROWS.items():
                row = published.table1_row(var)
                dec, st = row.decimals_for(a), row.arm(a)
                moments[comp] = {"mean": tuple(x / f for x in rounding_interval(st["mean"], dec["mean"])),
                                 "sd": tuple(x / f for x in rounding_interval(st["sd"], dec["sd"]))}
            lo, hi = meld_mean_range(v, moments, MELD_SUPPORT, n=int(published.raw["table1"]["n"][a]))
            m_lo, m_hi = rounding_interval(mrow.arm(a)["mean"], mrow.decimals_for(a)["mean"])
            ok = None if np.isnan(lo) else bool(lo <= m_hi and m_lo <= hi)
            out.update({f"low_{a}": lo, f"high_{a}": hi, f"published_{a}": mrow.arm(a)["mean"], f"allows_{a}": ok})
            flags.append(ok)
        out["allows"] = None if None in flags else all(flags)
        rows.append(out)
    return pd.DataFrame(rows)


def _meld(res: ChapterResults, trial: Trial, pub: Published, others: Mapping[str, ChapterResults]) -> None:
    """Mean MELD of the data (the baseline chapter's result) beside the published one, and which MELD
    formula the published bilirubin, INR and creatinine allow."""
    row = pub.table1_row("meld")
    src = pub.raw["table1"]["source"]
    base = others.get("baseline", {})
    chosen = MELD_VARIANTS[MELD_VARIANT]
    for a in ARMS:
        rid = f"baseline.meld.mean.{a}"
        v = base[rid].value if rid in base else None
        res.add(f"data.meld.mean.{a}", f"Mean baseline MELD, {ARM_LABELS[a]}", v, unit="points",
                provenance="by construction", glue={f"meld_mean_{a}": "value"},
                note=(f"the baseline chapter's {rid}, compared with the paper there"
                      + (f"; on the synthetic cohort MELD is computed from the generated bilirubin, INR and creatinine "
                         f"({chosen.label}), which are generated so that it meets Table 1" if trial.synthetic else ""))
                if v is not None else "patients.csv has no meld values")
        res.add(f"data.meld.published_mean.{a}", f"Mean baseline MELD, {ARM_LABELS[a]} (published)",
                row.arm(a)["mean"], unit="points", published=row.arm(a)["mean"], provenance="published", source=src,
                glue={f"meld_pub_{a}": "value"})
    t = meld_formulas(pub)
    res.objects["meld_formulas_raw"] = t
    for _, r in t.iterrows():
        v = r["variant"]
        for a in ARMS:
            for end, word in (("low", "Smallest"), ("high", "Largest")):
                x = None if pd.isna(r[f"{end}_{a}"]) else float(r[f"{end}_{a}"])
                res.add(f"data.meld_formula.{v}.mean_{end}.{a}", f"{word} mean MELD that Table 1's bilirubin, INR "
                        f"and creatinine allow, {r['label']}, {ARM_LABELS[a]}", x, unit="points",
                        provenance="published", source=src,
                        note=_FORMULA_NOTE if x is not None else "the formula needs serum sodium, which the paper "
                        "does not report",
                        glue={f"meld_{v}_{end}_{a}": "value"} if v in ("unos", "kamath") else {})
        ok = r["allows"]
        res.add(f"data.meld_formula.{v}.achievable", f"Table 1's MELD means reachable with {r['label']} (1 yes, 0 no)",
                None if ok is None else int(ok), unit="", provenance="published", source=src,
                note=(_FORMULA_NOTE + "; 1 when the range meets the printed mean's rounding interval in both arms")
                if ok is not None else "not computable: the formula needs serum sodium, which the paper does not report")
    ok = t["allows"].dropna()
    res.add("data.meld_formula.n", "MELD formulas examined that can be computed from bilirubin, INR and creatinine",
            int(len(ok)), unit="formulas", provenance="published", glue={"meld_n_formulas": "value"},
            note="MELD-Na is not among them: it needs serum sodium, which the paper does not report")
    res.add("data.meld_formula.n_achievable", "MELD formulas whose mean MELD range contains Table 1's in both arms",
            int(ok.astype(bool).sum()), unit="formulas", provenance="published", glue={"meld_n_allowing": "value"},
            note=_FORMULA_NOTE)
    display = pd.DataFrame({"Formula": t["label"]})
    for a in ARMS:
        display[f"{ARM_LABELS[a]}, lowest mean"] = t[f"low_{a}"]
        display[f"{ARM_LABELS[a]}, highest mean"] = t[f"high_{a}"]
        display[f"{ARM_LABELS[a]}, published mean"] = t[f"published_{a}"]
    display["Reaches both published means"] = ["not computable" if x is None else ("yes" if x else "no")
                                               for x in t["allows"]]
    res.objects["meld_formulas"] = display


def wald_p_range(hr: float, ci_low: float, ci_high: float, level: float = 0.95) -> tuple[float, float]:
    """The Wald p values a hazard ratio and confidence interval printed with two decimals allow.

    A Wald interval is ``exp(b -+ z se)`` and its p is ``2 Phi(-|b| / se)``. The printed HR and
    limits confine ``(b, se)`` to a polygon (each printed value v stands for [v - 0.005,
    v + 0.005)); ``|b| / se`` is extreme at its vertices, found here as the feasible
    intersections of its six edges.

    Parameters
    ----------
    hr, ci_low, ci_high : float
        The printed hazard ratio and limits (two decimals).
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    tuple of float
        Smallest and largest Wald p; ``(nan, nan)`` when no Wald interval prints as given (the
        printed HR is not the log-midpoint of any limits that print as given).
    """
    from scipy.stats import norm

    z = norm.ppf(0.5 + level / 2)
    iv = [(np.log(v - 0.005), np.log(v + 0.005)) for v in (hr, ci_low, ci_high)]
    lines = [(1.0, 0.0, c) for c in iv[0]] + [(1.0, -z, c) for c in iv[1]] + [(1.0, z, c) for c in iv[2]]
    pts = []
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            a = np.array([lines[i][:2], lines[j][:2]])
            if abs(np.linalg.det(a)) < 1e-12:
                continue
            b, s = np.linalg.solve(a, [lines[i][2], lines[j][2]])
            eps = 1e-12
            if s > 0 and all(lo - eps <= b + k * s <= hi + eps for k, (lo, hi) in zip((0.0, -z, z), iv)):
                pts.append((b, s))
    if not pts:
        return float("nan"), float("nan")
    ratios = [abs(b) / s for b, s in pts]
    lo_z = 0.0 if iv[0][0] <= 0 <= iv[0][1] else min(ratios)
    return float(2 * norm.sf(max(ratios))), float(2 * norm.sf(lo_z))


def _prints_as(value: float | None, published: float, decimals: int | None = None) -> bool:
    """Whether ``value`` prints as ``published`` (at ``decimals``, default the published number's own)."""
    d = decimals_of(published) if decimals is None else decimals
    return value is not None and bool(np.isfinite(value)) and printed(value, d) == printed(published, d)


def _printed_digits(res: ChapterResults, others: Mapping[str, ChapterResults], pub: Published) -> None:
    """How many of the six hazard ratios' printed values (HR, limits) the data reproduce, and why not."""
    results = {r.id: r for name, ch in others.items() if name != CHAPTER for r in ch.values()}
    from scipy.stats import norm

    counts = derive_event_counts(pub)
    z = norm.ppf(0.975)
    rows, total = [], 0
    for key, h in pub.hazard_ratios.items():
        r = results.get(f"{key}.hr")
        vals = (r.value, r.ci_low, r.ci_high) if r is not None else (None, None, None)
        met = [_prints_as(v, p, 2) for v, p in zip(vals, (h.hr, h.ci_low, h.ci_high))]  # printed as 0.40, not 0.4
        t = printed_targets(h, margin=0.0)
        se_lo, se_hi = (t[2, 0] - t[1, 1]) / (2 * z), (t[2, 1] - t[1, 0]) / (2 * z)
        c = counts.loc[key]
        why = []
        if np.log(h.hr - 0.005) > t[0, 0] or t[0, 1] > np.log(h.hr + 0.005):
            why.append(f"no hazard ratio printing as {h.hr:.2f} is the log-midpoint of limits printing as "
                       f"{h.ci_low:.2f} and {h.ci_high:.2f} (a Wald interval is symmetric on the log scale)")
        if not se_lo <= c["se_implied"] <= se_hi:
            why.append(f"the printed limits need an SE of the log HR in [{se_lo:.4f}, {se_hi:.4f}]; "
                       f"{int(c['events_control'])} control and {int(c['events_ucmsc'])} UC-MSC events give about "
                       f"{c['se_implied']:.4f} (1/d1 + 1/d2), and event times move it little")
        if key == pub.landmark_hr("hcc", "early").key:
            why.append("with so few events the HR can move only within a narrow range set by the numbers at risk")
        n_met = int(sum(met))
        if not res.synthetic:  # the data's own events, not the derived counts; only the published HR/CI reason holds
            why = why[:1] if why and why[0].startswith("no hazard ratio") else []
        elif n_met < 3 and not why:
            why.append("the event counts allow it; these event times do not reach it (on the synthetic cohort the "
                       "calibration is a local search)")
        total += n_met
        res.add(f"data.calibration.digits.{key}", f"{h.label}: printed values (HR, lower and upper limit) the data "
                "reproduce at two decimals", n_met if r is not None and r.value is not None else None,
                unit="values", provenance="computed",
                note=("; ".join(why) if n_met < 3 and res.synthetic else "") if r is not None and r.value is not None
                else f"not computable on these data ({r.note if r is not None and r.note else 'no hazard ratio'})")
        shown = (f"{vals[0]:.3f} ({vals[1]:.3f} to {vals[2]:.3f})" if all(v is not None and v == v for v in vals)
                 else "\u2013")  # three decimals: one more than printed, to show how close it comes
        rows.append({"label": h.label, "these data, HR (CI)": shown,
                     "published, HR (CI)": f"{h.hr:.2f} ({h.ci_low:.2f} to {h.ci_high:.2f})", "digits_met": n_met,
                     "reason": "; ".join(why) if n_met < 3 else ""})
    res.objects["printed_digits"] = pd.DataFrame(rows)
    res.add("data.calibration.digits.met", "Printed values of the six hazard ratios (estimate and limits) the data "
            "reproduce at two decimals", total, unit="values", glue={"cal_digits_met": "value"})
    res.add("data.calibration.digits.n", "Printed values of the six hazard ratios (estimate and limits)",
            3 * len(pub.hazard_ratios), unit="values", provenance="published", glue={"cal_digits_n": "value"})


def _p_hypothesis(res: ChapterResults, others: Mapping[str, ChapterResults], pub: Published,
                  ensemble: pd.DataFrame | None) -> None:
    """Which test the printed p values can come from, and whether one cohort can give all six."""
    results = {r.id: r for name, ch in others.items() if name != CHAPTER for r in ch.values()}
    n_wald_possible = 0
    for key, h in pub.hazard_ratios.items():
        lo, hi = wald_p_range(h.hr, h.ci_low, h.ci_high)
        half = 0.5 * 10.0 ** -decimals_of(h.p)
        possible = bool(np.isfinite(lo) and lo < h.p + half and hi >= h.p - half)
        n_wald_possible += possible
        note = ("derived from the printed HR and CI alone (analysis.report.chapters.data.wald_p_range)"
                if np.isfinite(lo) else "no Wald interval prints as the published HR and CI")
        res.add(f"data.p_hypothesis.{key}.wald_min", f"{h.label}: smallest Wald p the printed HR and CI allow",
                lo if np.isfinite(lo) else None, unit="p", provenance="published", note=note)
        res.add(f"data.p_hypothesis.{key}.wald_max", f"{h.label}: largest Wald p the printed HR and CI allow",
                hi if np.isfinite(hi) else None, unit="p", provenance="published", note=note)
        if ensemble is not None and f"{key}.p_logrank" in ensemble:
            lr = ensemble[f"{key}.p_logrank"]
            res.add(f"data.p_hypothesis.{key}.logrank_range", f"{h.label}: log-rank p across the ensemble "
                    "(median; 2.5th and 97.5th percentiles)", float(lr.median()), ci_low=float(lr.quantile(0.025)),
                    ci_high=float(lr.quantile(0.975)), unit="p", provenance="assumed", published=h.p,
                    note="percentiles across the ensemble of calibrated cohorts, not a confidence interval")
    res.add("data.p_hypothesis.wald_possible.n", "Published p values that a Wald test can give with the printed "
            "HR and CI", n_wald_possible, unit="p values", provenance="published", glue={"p_wald_possible": "value"},
            note="derived from the printed HRs and CIs alone")
    for test, suffix, key_ in (("Cox Wald", "p", "p_wald_met"), ("log-rank", "logrank.p", "p_logrank_met")):
        met = [_prints_as(results[f"{k}.{suffix}"].value, h.p) for k, h in pub.hazard_ratios.items()
               if f"{k}.{suffix}" in results]
        res.add(f"data.p_hypothesis.{suffix.replace('.p', '')}.met" if suffix != "p" else "data.p_hypothesis.wald.met",
                f"Published p values the data's {test} p reproduces at the printed digits", int(sum(met)),
                unit="p values", glue={key_: "value"})
    n_all = None
    if ensemble is not None:
        ok = np.ones(len(ensemble), bool)
        for k, h in pub.hazard_ratios.items():
            ok &= np.array([_prints_as(v, h.p) for v in ensemble[f"{k}.p_logrank"]])
        n_all = int(ok.sum())
    res.add("data.p_hypothesis.ensemble_all_six", "Cohorts of the ensemble whose log-rank p values print as all "
            "six published p values", n_all, unit="cohorts", provenance="assumed",
            glue={"p_ens_all_six": "value"}, note="" if ensemble is not None else "no ensemble on these data")


def _severity(res: ChapterResults, trial: Trial) -> None:
    """The generator's assumed strength of baseline MELD on the hazard of death (from ``dataset.yaml``)."""
    v = (trial.meta.get("parameters") or {}).get("severity_log_hr") if trial.synthetic else None
    note = ("a generator parameter (dataset.yaml): MELD is the linear predictor of the Cox model it was derived "
            "from, scaled so that one point is a log hazard ratio of one tenth (Malinchoc et al. 2000; Kamath et "
            "al. 2001)" if v is not None else "not a parameter of these data")
    res.add("data.severity.log_hr", "Assumed log hazard ratio of death per baseline MELD point, within an arm", v,
            unit="log ratio", provenance="assumed", glue={"sev_log_hr": "value"}, note=note)
    res.add("data.severity.hr", "Assumed hazard ratio of death per baseline MELD point, within an arm",
            float(np.exp(v)) if v is not None else None, unit="ratio", provenance="assumed",
            glue={"sev_hr": "value"}, note=note)


def _ensemble(res: ChapterResults, trial: Trial) -> pd.DataFrame | None:
    """The stored ensemble summary (:mod:`analysis.report.ensemble`): median and 2.5-97.5 percentiles."""
    from ...trial.paths import ProjectNotFoundError
    from ..ensemble import SUMMARY_FILE, STATISTICS, summary_path

    try:
        path = summary_path() if trial.synthetic else None
    except ProjectNotFoundError:  # outside the project (an installed package): no stored summary
        path = None
    if path is None or not path.exists():
        res.add("data.ensemble.n", "Calibrated synthetic cohorts in the ensemble", None, unit="cohorts",
                provenance="assumed", glue={"ens_n": "value"},
                note="the ensemble describes the synthetic generator; not computed on real data"
                if not trial.synthetic else f"no stored ensemble summary ({SUMMARY_FILE.name})")
        for col, (label, unit, direction) in STATISTICS.items():  # same ids and glue keys, not computable
            res.add(f"data.ensemble.{col}", f"{label}: median across the ensemble (2.5th-97.5th percentiles)", None,
                    unit=unit, direction=direction, provenance="assumed",
                    glue={f"ens_{col}": "value", f"ens_{col}_lo": "ci_low", f"ens_{col}_hi": "ci_high"},
                    note="no ensemble on these data")
        res.objects["ensemble"] = pd.DataFrame(columns=["label", "unit", "median", "p2_5", "p97_5", "cohorts"])
        return None
    df = pd.read_csv(path)
    res.add("data.ensemble.n", "Calibrated synthetic cohorts in the ensemble", len(df), unit="cohorts",
            provenance="assumed", glue={"ens_n": "value"},
            note="python -m analysis.report.ensemble regenerates the stored summary")
    rows = []
    for col, (label, unit, direction) in STATISTICS.items():
        x = df[col].dropna()
        med, lo, hi = float(x.median()), float(x.quantile(0.025)), float(x.quantile(0.975))
        res.add(f"data.ensemble.{col}", f"{label}: median across the ensemble (2.5th-97.5th percentiles)", med,
                ci_low=lo, ci_high=hi, unit=unit, direction=direction, provenance="assumed",
                glue={f"ens_{col}": "value", f"ens_{col}_lo": "ci_low", f"ens_{col}_hi": "ci_high"},
                note="percentiles across independent calibrated cohorts (not a confidence interval): what the "
                     "published aggregates and the generator's assumptions leave open")
        rows.append({"label": label + (f" ({direction})" if direction else ""), "unit": unit, "median": med,
                     "p2_5": lo, "p97_5": hi, "cohorts": len(x)})
    res.objects["ensemble"] = pd.DataFrame(rows)
    return df


def compute(trial: Trial, published: Published, others: Mapping[str, ChapterResults] | None = None
            ) -> ChapterResults:
    """The data chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data the book runs on.
    published : Published
        The paper's numbers (patient flow, Table 1, hazard ratios and their intervals).
    others : mapping of str to ChapterResults, optional
        The results of the chapters that do not summarise the others (chapter name -> results),
        as :func:`analysis.report.ledger.chapter_results` gives them to this chapter. Default:
        computed here, once, by that function (a ``data`` key is ignored).

    Returns
    -------
    ChapterResults
        Results with ids ``data.patients``, ``data.analyzed``, ``data.optional.*``,
        ``data.digest_short`` (a string), ``data.implied_deaths.<arm>``, ``data.calibration.*`` (with
        ``data.calibration.met.forced``, the agreeing rows the synthetic generator forces),
        ``data.meld.mean.<arm>``, ``data.meld.published_mean.<arm>``, ``data.meld_formula.<variant>.mean_low.<arm>``,
        ``data.meld_formula.<variant>.mean_high.<arm>``, ``data.meld_formula.<variant>.achievable`` (1 when the
        variant allows Table 1's mean MELD in both arms), ``data.meld_formula.n``, ``.n_achievable``;
        objects ``meld_formulas`` (displayed) and ``meld_formulas_raw`` (:func:`meld_formulas`);
        objects ``data_dictionary``, ``tables``, ``event_counts``, ``calibration`` (the full table,
        :func:`calibration_table`), ``calibration_summary`` (results by chapter and status),
        ``calibration_shown`` (the table's displayed columns, :data:`CALIBRATION_COLUMNS`),
        ``calibration_entries`` (its rows as ledger entries, for
        :func:`analysis.report.ledger.format_results_html`) and
        ``calibration_not_met`` (its rows that do not agree, with their notes).
    """
    if others is None:
        from ..ledger import chapter_results  # imported here: the ledger imports the chapter modules

        return chapter_results(trial, published, chapters=(CHAPTER,))[CHAPTER]
    res = ChapterResults(CHAPTER, trial.synthetic)
    _contents(res, trial, published)
    _event_counts(res, published)
    _calibration(res, others)
    _meld(res, trial, published, others)
    _severity(res, trial)
    _printed_digits(res, others, published)
    _p_hypothesis(res, others, published, _ensemble(res, trial))
    return res
