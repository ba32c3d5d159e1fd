"""Data chapter: what the data folder holds, and how closely it reproduces the paper's aggregates.

The calibration report (:func:`analysis.trial.calibration.calibration_report`) sets every published
aggregate beside the data's value; this module counts how many are met, overall, among those meant
to be exact and among the hazard ratios (calibrated within :data:`~.survival.HR_LOG_TOLERANCE` on the
log scale). It also derives the event counts the published confidence intervals imply
(:func:`analysis.trial.synthetic.derive_event_counts`) and sets the mean MELD of the data beside the
published one, with the terms of the MELD formula that explain the gap on the synthetic cohort.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...toolkit.schema import ARM_LABELS, ARMS, BASELINE_CATEGORICAL, BASELINE_CONTINUOUS, Trial
from ...trial.calibration import calibration_report
from ...trial.data import content_digest, data_dictionary
from ...trial.published import Published
from ...trial.synthetic import BILIRUBIN_UMOL_PER_MG, MELD_COEFFICIENTS, derive_event_counts
from ..results import ChapterResults
from .survival import HR_LOG_TOLERANCE

__all__ = ["OPTIONAL_TABLES", "OPTIONAL_COLUMNS", "compute"]

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


def _calibration(res: ChapterResults, trial: Trial, pub: Published) -> None:
    """The calibration report and its counts."""
    rep = calibration_report(trial, pub, hr_tolerance=HR_LOG_TOLERANCE)
    res.objects["calibration"] = rep
    res.objects["calibration_summary"] = (
        rep.groupby(["group", "kind"], sort=False)["within"].agg(["size", "sum"])
        .rename(columns={"size": "aggregates", "sum": "met"}).reset_index())
    res.objects["calibration_shown"] = rep[["group", "quantity", "arm", "published", "cohort", "rule", "within", "kind"]]
    res.objects["calibration_not_met"] = rep.loc[~rep["within"], ["quantity", "arm", "published", "cohort", "kind",
                                                                  "note"]]
    exact = rep[rep["kind"] == "exact"]
    hr = rep[rep["group"] == "Hazard ratio"]
    for rid, label, v, key in (
        ("data.calibration.n", "Published aggregates in the calibration report", len(rep), "cal_n"),
        ("data.calibration.met", "Published aggregates met by the data", int(rep["within"].sum()), "cal_within"),
        ("data.calibration.exact.n", "Published aggregates the synthetic cohort reproduces by construction (kind exact)",
         len(exact), "cal_exact_n"),
        ("data.calibration.exact.met", "Aggregates of kind exact that the data meet", int(exact["within"].sum()),
         "cal_exact_within"),
        ("data.calibration.hr.n", "Published hazard ratios in the calibration report", len(hr), "cal_hr_n"),
        ("data.calibration.hr.met", f"Published hazard ratios met within {HR_LOG_TOLERANCE:g} on the log scale",
         int(hr["within"].sum()), "cal_hr_within"),
    ):
        res.add(rid, label, v, unit="aggregates", glue={key: "value"})
    dev = np.abs(np.log(hr["cohort"] / hr["published"]))
    res.add("data.calibration.hr.max_log_distance", "Largest |log(hazard ratio of the data / published hazard "
            "ratio)| over the published hazard ratios", dev.max() if dev.notna().any() else None, unit="log ratio",
            glue={"cal_hr_maxdev": "value"},
            note="" if dev.notna().any() else "no published hazard ratio is computable on these data")


def _meld(res: ChapterResults, trial: Trial, pub: Published) -> None:
    """Mean MELD of the data beside the published one, and the formula terms that explain the gap."""
    row = pub.table1_row("meld")
    src = pub.raw["table1"]["source"]
    an = trial.analyzed
    have = "meld" in an.columns
    for a in ARMS:
        x = an.loc[an["arm"] == a, "meld"] if have else pd.Series(dtype=float)
        ok = have and x.notna().any()
        res.add(f"data.meld.mean.{a}", f"Mean baseline MELD, {ARM_LABELS[a]}", x.mean() if ok else None, unit="points",
                provenance="assumed", glue={f"meld_mean_{a}": "value"},
                note=(f"compared with the paper under baseline.meld.mean.{a}"
                      + ("; on the synthetic cohort MELD is computed from the generated bilirubin, INR and creatinine "
                         "(UNOS formula), not forced to the published mean" if trial.synthetic else ""))
                if ok else "patients.csv has no meld values")
        res.add(f"data.meld.published_mean.{a}", f"Mean baseline MELD, {ARM_LABELS[a]} (published)",
                row.arm(a)["mean"], unit="points", published=row.arm(a)["mean"], provenance="published", source=src,
                glue={f"meld_pub_{a}": "value"})
    k = MELD_COEFFICIENTS
    res.add("data.meld.formula.constant", "Constant of the UNOS MELD formula", k["constant"], unit="points",
            glue={"meld_constant": "value"},
            note="a constant of the formula (Kamath et al. 2001), not a result of the data")
    inr = pub.table1_row("inr").control["mean"]
    res.add("data.meld.formula.inr_term", "INR term of the MELD formula at Table 1's mean INR (control arm)",
            k["inr"] * np.log(inr), unit="points", glue={"meld_inr_term": "value"},
            note="computed from the published mean INR, not from the data")
    res.add("data.meld.formula.bilirubin_floor", "Bilirubin below which the MELD formula sets the bilirubin term to "
            "zero (1 mg/dL)", BILIRUBIN_UMOL_PER_MG, unit="umol/L", glue={"meld_floor_umol": "value"},
            note="a constant of the formula (1 mg/dL in umol/L), not a result of the data")


def compute(trial: Trial, published: Published) -> ChapterResults:
    """The data chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data the book runs on.
    published : Published
        The paper's numbers (patient flow, Table 1, hazard ratios and their intervals).

    Returns
    -------
    ChapterResults
        Results with ids ``data.patients``, ``data.analyzed``, ``data.optional.*``,
        ``data.digest_short`` (a string), ``data.implied_deaths.<arm>``, ``data.calibration.*``,
        ``data.meld.mean.<arm>``, ``data.meld.published_mean.<arm>`` and ``data.meld.formula.*``; objects ``data_dictionary``,
        ``tables``, ``event_counts``, ``calibration`` (the full report), ``calibration_summary``,
        ``calibration_shown`` (the report's displayed columns) and ``calibration_not_met``.
    """
    res = ChapterResults("data", trial.synthetic)
    _contents(res, trial, published)
    _event_counts(res, published)
    _calibration(res, trial, published)
    _meld(res, trial, published)
    return res
