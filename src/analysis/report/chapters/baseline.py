"""Baseline chapter: the cohort's Table 1 beside the paper's, the tests the paper used, baseline
imbalances, and whether the paper's published numbers agree with each other.

Conventions (each an explicit argument of the toolkit functions called here): analysed
population; the paper's Table 1 tests (Student's t with pooled variance, chi-square without
continuity correction); standardized differences UC-MSC minus control, an absolute SMD above
:data:`SMD_THRESHOLD` marking an imbalance; printed p values with :data:`P_DECIMALS` decimals and
hazard ratios with :data:`HR_DECIMALS`; hazard ratios control relative to UC-MSC.

Statuses are those of :mod:`analysis.toolkit.agreement` throughout. A published Table 1 p value
is compared with the cohort's under the range of p values the printed summaries allow (the
printed means and SDs are rounded), widened by half a unit of the printed p's last digit; the
consistency checks of the published numbers against each other have the same statuses in their
table as in the results here (:func:`analysis.toolkit.consistency.check_tolerance`).
"""

from __future__ import annotations

import warnings

import pandas as pd

from ...toolkit import consistency as cons
from ...toolkit import disclosure
from ...toolkit.agreement import Tolerance, printed_tolerance
from ...toolkit.baseline import baseline_imbalances, baseline_table, compare_with_published
from ...toolkit.schema import ARM_LABELS, ARMS, Trial
from ...toolkit.warnings import StatisticalWarning
from ...trial.published import Published
from ..results import ChapterResults, computed_once
from ._conventions import add_conventions
from ._printed import HR_DECIMALS, INTEGER_VALUED, P_DECIMALS, published_checks
from .survival import HR_DIRECTION

__all__ = ["SMD_THRESHOLD", "SMD_DIRECTION", "INTEGER_VALUED", "P_DECIMALS", "HR_DECIMALS", "PUBLISHED_ONLY",
           "compute", "published_checks"]

#: Absolute SMD above which a variable counts as imbalanced (the usual convention, Austin 2009).
SMD_THRESHOLD = 0.1
SMD_DIRECTION = "UC-MSC minus control"
#: The note of every result computed from the paper's numbers alone.
PUBLISHED_ONLY = "from published numbers only"

_TEST_NAMES = {"mean_sd": "Student t test", "median_range": "Student t test", "counts": "chi-square test"}
#: Variables the synthetic generator computes rather than forces. None since issue 16: MELD is computed
#: from the generated TBIL, INR and creatinine by the Kamath formula (the one the published moments admit,
#: see the Data chapter), whose components the generator shapes until MELD meets Table 1.
_COMPUTED_IN_GENERATOR: tuple[str, ...] = ()
_MELD_NOTE = ("MELD is computed from the generated TBIL, INR and creatinine (Kamath formula, as the Data chapter "
              "argues the paper did); the generator shapes those components until MELD meets Table 1")
_SHAPE_NOTE = ("rests on the shape of the distribution, which the paper does not report and the synthetic "
               "generator chose")


def _slug(level: str) -> str:
    """A level of a Table 1 row as an id part (``>15`` -> ``gt15``)."""
    return str(level).replace(">=", "ge").replace("<=", "le").replace(">", "gt").replace("<", "lt").replace(" ", "_")


def _absent(var: str, present: set[str]) -> str:
    col = "meld" if var == "meld_gt15" else var
    return "" if var in present else f"patients.csv has no {col} column"


_UNDEFINED = "not computable on these data (not defined, e.g. for a variable with a single observed level)"


def _missing_note(value, var: str, present: set[str]) -> str:
    """Why a result of variable ``var`` is missing: its column is absent, or it is undefined on the data."""
    if value is not None and not pd.isna(value):
        return ""
    return _absent(var, present) or _UNDEFINED


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _check_note(row: pd.Series) -> str:
    return _join(PUBLISHED_ONLY, "agrees only within rounding" if row["status"] == "agrees" and not row["exact"]
                 else "")


def _check_result(res: ChapterResults, id: str, label: str, row: pd.Series, *, operator: str, decimals: int,
                  published: float | None = None, **kwargs) -> None:
    """A result whose status is the consistency check's: the same rule (check_tolerance), checked here."""
    pub = row["published"] if published is None else published
    tol = cons.check_tolerance(pub, row["recomputed"], row["low"], row["high"], decimals=decimals, operator=operator)
    r = res.add(id, label, row["recomputed"], published=pub, tolerance=tol, provenance="computed",
                note=_check_note(row), **kwargs)
    if r.status != row["status"]:  # pragma: no cover - one rule by construction
        raise AssertionError(f"{id}: status {r.status!r} differs from its check's {row['status']!r}")


# ----------------------------------------------------------------------------
# Table 1 of the cohort beside the published one
# ----------------------------------------------------------------------------
def _table1(res: ChapterResults, trial: Trial, pub: Published, t1_checks: pd.DataFrame) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StatisticalWarning)
        bt = baseline_table(trial)
    for w in caught:  # caveats of the tests (small expected counts): shown under the table
        if not issubclass(w.category, StatisticalWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    res.objects["table1"] = bt
    res.objects["table1_notes"] = [str(w.message) for w in caught if issubclass(w.category, StatisticalWarning)]
    present = set(bt.variables())
    src = pub.raw["table1"]["source"]
    n_pub = pub.raw["table1"]["n"]
    synth = res.synthetic
    for a in ARMS:
        res.add(f"baseline.n.{a}", f"Analysed patients in Table 1, {ARM_LABELS[a]}", bt.n.get(a), unit="patients",
                published=n_pub[a], provenance="by construction", source=src, glue={f"bl_n_{a}": "value"})

    cmp = compare_with_published(bt, pub, p_decimals=P_DECIMALS)
    rows = {r.variable: r for r in pub.table1}
    protect = disclosure.applies(trial)
    ids, statuses = [], []
    for _, c in cmp.iterrows():
        var, stat, arm = c["variable"], c["statistic"], c["arm"]
        row = rows[var]
        if stat == "p":
            r = _table1_p(res, row, c["cohort"], present, t1_checks, pub)
        else:
            level = f".{_slug(c['level'])}" if stat == "count" else ""
            rid = f"baseline.{var}.{stat}{level}.{arm}"
            what = f"{row.label} = {c['level']}: patients" if stat == "count" else f"{row.label}: {stat}"
            value = None if pd.isna(c["cohort"]) else c["cohort"]
            note = _missing_note(value, var, present)
            if protect and stat in ("min", "max") and value is not None:
                value, note = None, "not shown on real data: one patient's value (small-cell rule)"
            kind = "assumed" if var in _COMPUTED_IN_GENERATOR else "by construction"
            note = _join(note, _MELD_NOTE if synth and kind == "assumed" else "")
            glue = {f"bl_tbil_{stat}_ucmsc": "published"} if var == "tbil" and arm == "ucmsc" else {}
            r = res.add(rid, f"Table 1 {what}, {ARM_LABELS[arm]}", value,
                        unit="patients" if stat == "count" else row.unit, published=c["published"],
                        tolerance=Tolerance("absolute", 0.5 * 10.0 ** -int(c["decimals"])), provenance=kind,
                        source=src, note=note, glue=glue)
        ids.append(r.id)
        statuses.append(r.status)
    cmp = cmp.assign(id=ids, status=statuses)
    res.objects["comparison"] = cmp
    res.objects["differences"] = cmp.loc[cmp["status"] == "differs",
                                         ["label", "level", "statistic", "arm", "published", "cohort", "difference"]]
    stats_ = cmp[cmp["statistic"] != "p"]
    pvals = cmp[cmp["statistic"] == "p"]
    res.add("baseline.published_statistics", "Descriptive statistics in the published Table 1 (means, SDs, "
            "medians, ranges, counts)", len(stats_), unit="statistics", provenance="computed", source=src,
            note=PUBLISHED_ONLY, glue={"bl_n_pub_stats": "value"})
    gen = _MELD_NOTE if synth else ""
    res.add("baseline.statistics.compared", "Published descriptive statistics computable on these data",
            int(stats_["cohort"].notna().sum()), unit="statistics", provenance="by construction",
            glue={"bl_n_stats_compared": "value"})
    res.add("baseline.statistics.agree", "Published descriptive statistics these data reproduce to the printed "
            "digits", int((stats_["status"] == "agrees").sum()), unit="statistics", provenance="by construction",
            note=gen, glue={"bl_n_stats_agree": "value"})
    res.add("baseline.p.compared", "Published Table 1 p values computable on these data",
            int(pvals["cohort"].notna().sum()), unit="p values", provenance="by construction",
            glue={"bl_n_p_compared": "value"})
    res.add("baseline.p.agree", "Published Table 1 p values these data reproduce (within the range the printed "
            "summaries allow)", int((pvals["status"] == "agrees").sum()), unit="p values",
            provenance="by construction", note=gen, glue={"bl_n_p_agree": "value"})


def _table1_p_tolerance(row, t1_checks: pd.DataFrame) -> Tolerance:
    """The cohort's p agrees when it lies in the range of p values the printed summaries give,
    widened by half a unit of the printed p's last digit (below the bound for ``p < x``)."""
    if row.p_operator == "<":
        return Tolerance("upper_bound")
    chk = t1_checks.loc[row.variable]
    h = printed_tolerance(row.p).value
    return Tolerance("interval", (max(chk["low"] - h, 0.0), min(chk["high"] + h, 1.0)))


def _table1_p(res: ChapterResults, row, cohort_p: float, present: set[str], t1_checks: pd.DataFrame,
              pub: Published):
    var = row.variable
    value = cohort_p if var in present and not pd.isna(cohort_p) else None
    kind, note = "by construction", _missing_note(value, var, present)
    if res.synthetic and var in present:
        if var == "age":
            note = ("the generator picks, among seeded age samples with the published medians and ranges, the one "
                    "whose t-test p is nearest the published p")
        elif var in _COMPUTED_IN_GENERATOR:
            note = _MELD_NOTE
            kind = "assumed"  # MELD is computed from the generated labs, not forced
    glue = {f"bl_pub_p_{var}": "published"} if var in ("tbil", "meld", "che") else {}
    if var == "age":
        glue = {"bl_age_p_pub": "published"}
    return res.add(f"baseline.{var}.p", f"Table 1 {row.label}: p ({_TEST_NAMES[row.kind]})", value, unit="p",
                   published=row.p, tolerance=_table1_p_tolerance(row, t1_checks), provenance=kind,
                   source=pub.raw["table1"]["source"], note=note, glue=glue)


# ----------------------------------------------------------------------------
# Imbalances
# ----------------------------------------------------------------------------
def _imbalances(res: ChapterResults, pub: Published) -> None:
    bt = res.objects["table1"]
    imb = baseline_imbalances(bt, smd_threshold=SMD_THRESHOLD)
    res.objects["imbalances"] = imb
    res.add("baseline.smd.threshold", "Absolute standardized difference above which a variable counts as "
            "imbalanced", SMD_THRESHOLD, unit="SD", note="a convention (Austin 2009), not computed",
            glue={"bl_smd_threshold": "value"})
    synth = res.synthetic
    for row in pub.table1:  # every published row, so that ids do not depend on the data's columns
        var = row.variable
        smd = imb.loc[var, "smd"] if var in imb.index else None
        shape = var == "age" or var in _COMPUTED_IN_GENERATOR
        note = _join("unsigned (Mahalanobis distance) for a variable with three or more levels"
                     if row.kind == "counts" and len(row.levels) > 2 else "",
                     ("the age distribution beyond its median and range is the generator's choice" if var == "age"
                      else _MELD_NOTE) if synth and shape else "",
                     _missing_note(smd, var, set(imb.index)))
        res.add(f"baseline.{var}.smd", f"Table 1 {row.label}: standardized difference", smd, unit="SD",
                direction=SMD_DIRECTION, provenance="assumed" if shape else "by construction", note=note,
                glue={f"bl_smd_{var}": "value"} if var in ("tbil", "che", "meld") else {})
    res.add("baseline.smd.imbalanced", f"Variables with an absolute standardized difference above {SMD_THRESHOLD}",
            int(imb["imbalanced_smd"].sum()), unit="variables", provenance="assumed",
            note="includes the standardized differences of age and MELD, which rest on choices of the synthetic "
                 "generator" if synth else "", glue={"bl_n_imbalanced": "value"})
    res.add("baseline.smd.variables", "Table 1 variables present in these data", len(imb), unit="variables",
            provenance="by construction", glue={"bl_n_vars": "value"})
    mw = bt.summary.drop_duplicates("variable").set_index("variable")["p_mannwhitney"]
    present = set(bt.variables())
    for row in pub.table1:
        if row.kind == "counts":
            continue
        var = row.variable
        p = mw.get(var) if var in present else None
        res.add(f"baseline.{var}.p_mannwhitney", f"Table 1 {row.label}: p (Mann-Whitney test)", p, unit="p",
                provenance="assumed", note=_join(_SHAPE_NOTE if synth else "", _missing_note(p, var, present)),
                glue={"bl_p_mw_tbil": "value"} if var == "tbil" else {})
    weeks = pub.visits["lab_weeks"]
    res.add("baseline.published.last_lab_week", "Last week of the paper's liver-function follow-up", max(weeks),
            unit="weeks", published=max(weeks), provenance="published", source=pub.visits.get("source", ""),
            glue={"bl_lab_weeks": "value"})


# ----------------------------------------------------------------------------
# Which tests did the paper use?  (published numbers only)
# ----------------------------------------------------------------------------
def _tests(res: ChapterResults, pub: Published) -> None:
    tc = cons.compare_table1_tests(pub, p_decimals=P_DECIMALS)
    res.objects["test_comparison"] = tc
    skew = cons.skewness_flags(pub)
    res.objects["skewness_published"] = skew
    src = pub.raw["table1"]["source"]
    ok = tc.set_index(["variable", "test"])["reproduces"]
    count_rows = [r.variable for r in pub.table1 if r.kind == "counts"]
    two_by_two = [r.variable for r in pub.table1 if r.kind == "counts" and len(r.levels) == 2]
    mean_rows = [r.variable for r in pub.table1 if r.kind == "mean_sd"]
    common = dict(provenance="computed", source=src, note=PUBLISHED_ONLY)
    res.add("consistency.table1.count_rows", "Categorical rows of the published Table 1", len(count_rows),
            unit="rows", glue={"bl_n_count_rows": "value"}, **common)
    res.add("consistency.table1.two_by_two_rows", "Two-by-two rows of the published Table 1", len(two_by_two),
            unit="rows", glue={"bl_n_2x2": "value"}, **common)
    res.add("consistency.table1.mean_sd_rows", "Mean and SD rows of the published Table 1", len(mean_rows),
            unit="rows", glue={"bl_n_mean_rows": "value", "bl_n_mean_rows_pub": "value"}, **common)
    for test, rows_, key, label in (
            ("chi-square", count_rows, "chisq", "chi-square test without continuity correction"),
            ("chi-square, Yates", two_by_two, "yates", "chi-square test with Yates' correction"),
            ("Fisher exact", count_rows, "fisher", "Fisher's exact test"),
            ("Student t", mean_rows, "student", "Student's t test (pooled variance)"),
            ("Welch t", mean_rows, "welch", "Welch's t test")):
        res.add(f"consistency.tests.{key}.reproduces", f"Published Table 1 p values that {label} reproduces from "
                "the printed summaries", int(sum(bool(ok.get((v, test), False)) for v in rows_)), unit="p values",
                glue={f"bl_n_{key}_ok": "value"}, **common)
    age = tc[tc["variable"] == "age"].set_index("test")
    for test, key, glue, label in (
            ("Student t (estimated mean, SD)", "student", "bl_age_p_t",
             "Student t test on mean and SD estimated from median and range"),
            ("Mann-Whitney (normal-theory approximation)", "mannwhitney", "bl_age_p_mw",
             "Mann-Whitney test, normal-theory approximation")):
        if test not in age.index:
            continue
        r = age.loc[test]
        row = pd.Series({"published": r["published"], "recomputed": r["p"], "low": r["p_low"], "high": r["p_high"],
                         "status": r["status"], "exact": r["exact"]})
        _check_result(res, f"consistency.tests.age.{key}", f"Age: p of a {label}", row, operator=r["operator"],
                      decimals=P_DECIMALS, unit="p", source=src, glue={glue: "value"})
        if key == "student":
            for end, col in (("low", "p_low"), ("high", "p_high")):
                res.add(f"consistency.tests.age.student.{end}", f"Age: {'smallest' if end == 'low' else 'largest'} "
                        "Student t p over the rounding of the printed medians", r[col], unit="p",
                        provenance="computed", source=src, note=PUBLISHED_ONLY, glue={f"bl_age_p_t_{end}": "value"})
    res.add("consistency.skewness.skewed", "Published mean and SD rows whose mean is less than twice the SD "
            "(Altman & Bland 1996)", int(skew["skewed"].sum()) if len(skew) else 0, unit="rows",
            glue={"bl_n_skewed_pub": "value"}, **common)


# ----------------------------------------------------------------------------
# Do the published numbers agree with each other?  (published numbers only)
# ----------------------------------------------------------------------------
def _checks(res: ChapterResults, pub: Published, checks: pd.DataFrame) -> None:
    res.objects["checks"] = checks
    res.objects["check_counts"] = cons.status_counts(checks)
    common = dict(provenance="computed", note=PUBLISHED_ONLY)
    agrees = checks["status"] == "agrees"
    for rid, label, value, key in (
            ("consistency.checks.n", "Checks of the published numbers against each other", len(checks), "bl_n_checks"),
            ("consistency.checks.agrees_exact", "Checks whose printed inputs reproduce the printed value",
             int((agrees & checks["exact"]).sum()), "bl_n_agree_exact"),
            ("consistency.checks.agrees_within_rounding", "Checks that agree only within the printed rounding",
             int((agrees & ~checks["exact"]).sum()), "bl_n_rounding"),
            ("consistency.checks.differs", "Checks that no rounding of the printed inputs reproduces",
             int((checks["status"] == "differs").sum()), "bl_n_differ")):
        res.add(rid, label, value, unit="checks", glue={key: "value"}, **common)
    t1 = checks[checks["category"] == "table1 p"]
    res.add("consistency.table1_p.n", "Published Table 1 p values recomputed from the printed summaries", len(t1),
            unit="p values", glue={"bl_n_t1_rows": "value"}, **common)
    res.add("consistency.table1_p.differs", "Published Table 1 p values no rounding of the printed summaries "
            "reproduces", int((t1["status"] == "differs").sum()), unit="p values", glue={"bl_n_t1_bad": "value"},
            **common)
    hrp = checks[checks["category"] == "hr p"]
    res.add("consistency.hr.n", "Hazard ratios the paper prints", len(pub.hazard_ratios), unit="hazard ratios",
            glue={"bl_n_hr": "value"}, **common)
    res.add("consistency.hr_p.differs", "Printed p values that are not the Wald p of their printed CI under any "
            "rounding", int((hrp["status"] == "differs").sum()), unit="p values", glue={"bl_n_hr_p_not_wald": "value"},
            **common)
    res.add("consistency.hr_p.logrank_plausible", "Of those, printed p values a log-rank test plausibly explains",
            int(hrp["reason"].str.contains("plausibly a log-rank").sum()), unit="p values",
            glue={"bl_n_hr_p_logrank": "value"}, **common)

    by = checks.set_index(["category", "item"])
    ev = cons.implied_events_frame(pub, hr_decimals=HR_DECIMALS)
    res.objects["implied_events"] = ev
    os_e, os_l = pub.landmark_hr("os", "early").key, pub.landmark_hr("os", "late").key
    hcc_e = pub.landmark_hr("hcc", "early").key  # ids from the published landmark times
    glue_hr = {"os.cox": "os", hcc_e: "h8"}
    glue_events = {"os.cox": "bl_ev_os", os_e: "bl_ev_os_early", os_l: "bl_ev_os_late", "hcc.cox": "bl_ev_hcc",
                   hcc_e: "bl_h8_events"}
    for key, h in pub.hazard_ratios.items():
        g = glue_hr.get(key)
        res.add(f"consistency.{key}.printed", f"{h.label}: hazard ratio as printed", h.hr, ci_low=h.ci_low,
                ci_high=h.ci_high, unit="ratio", direction=HR_DIRECTION, published=h.hr, published_ci_low=h.ci_low,
                published_ci_high=h.ci_high, provenance="published", source=h.source,
                glue={f"bl_{g}_hr": "value", f"bl_{g}_lo": "ci_low", f"bl_{g}_hi": "ci_high"} if g else {})
        mid = by.loc[("hr midpoint", key)]
        _check_result(res, f"consistency.{key}.midpoint", f"{h.label}: geometric midpoint of the printed CI",
                      mid, operator="=", decimals=HR_DECIMALS, unit="ratio", direction=HR_DIRECTION,
                      source=h.source, glue={"bl_os_mid": "value"} if key == "os.cox" else {})
        res.add(f"consistency.{key}.midpoint.low", f"{h.label}: smallest geometric midpoint over the rounding of "
                "the printed limits", mid["low"], unit="ratio", direction=HR_DIRECTION, source=h.source,
                glue={"bl_os_mid_low": "value"} if key == "os.cox" else {}, **common)
        p = by.loc[("hr p", key)]
        _check_result(res, f"consistency.{key}.wald_p", f"{h.label}: two-sided Wald p implied by the printed CI",
                      p, operator=p["operator"], decimals=P_DECIMALS, unit="p", source=h.source,
                      glue={"bl_os_wald_p": "value", "bl_os_p": "published"} if key == "os.cox" else {})
        glue = {glue_events[key]: "value"} if key in glue_events else {}
        label = f"{h.label}: events implied by the CI width (4 / SE^2, a lower bound)"
        if ("hr events", key) in by.index:
            e = by.loc[("hr events", key)]
            # the published total must be at least the implied bound: judged as "bound < total"
            _check_result(res, f"consistency.{key}.implied_events", label, e, operator="<", decimals=0,
                          published=int(e["published"]), unit="events", source=h.source,
                          glue={**glue, "bl_ev_hcc_pub": "published"} if key == "hcc.cox" else glue)
        else:
            res.add(f"consistency.{key}.implied_events", label, ev.loc[key, "events"], unit="events",
                    source=h.source, glue=glue, **common)
    for _, c in checks[checks["category"] == "claim"].iterrows():
        h = pub.hazard_ratios[c["item"]]
        res.add(f"consistency.{c['item']}.reversed_hr", f"{h.label}: the printed hazard ratio if it were UC-MSC "
                "relative to control", 1 / h.hr, unit="ratio", direction="UC-MSC relative to control",
                source=h.source, glue={"bl_h8_inv": "value"} if c["item"] == hcc_e else {}, **common)
    lm = pub.landmarks
    for ep in ("os", "hcc"):
        res.add(f"baseline.published.landmark.{ep}", f"The paper's landmark time, {'overall' if ep == 'os' else 'HCC-free'} "
                "survival", lm[ep], unit="months", published=lm[ep], provenance="published",
                source=pub.raw["landmarks"].get("source", ""), glue={f"bl_landmark_{ep}": "value"})


@computed_once
def compute(trial: Trial, published: Published) -> ChapterResults:
    """The baseline chapter's results and display objects.

    Parameters
    ----------
    trial : Trial
        The trial data (analysed patients are used); baseline columns may be missing.
    published : Published
        The paper's numbers (Table 1, hazard ratios, landmarks, visits).

    Returns
    -------
    ChapterResults
        Results with ids ``baseline.*`` (the cohort's Table 1 against the paper's: group sizes,
        each printed statistic ``baseline.<var>.<stat>[.<level>].<arm>``, each p value
        ``baseline.<var>.p``, Mann-Whitney p values, SMDs) and ``consistency.*`` (the paper's
        numbers checked against each other, computed from published numbers only). Objects
        ``table1`` (BaselineTable), ``table1_notes``, ``comparison`` (with ``id`` and ``status``
        per row), ``differences``, ``test_comparison``, ``skewness_published``, ``imbalances``,
        ``checks``, ``check_counts`` and ``implied_events``.
    """
    pub = published
    res = ChapterResults("baseline", trial.synthetic)
    add_conventions(res, "bl")
    checks = published_checks(pub)
    t1_checks = checks[checks["category"] == "table1 p"].set_index("item")
    _table1(res, trial, pub, t1_checks)
    _tests(res, pub)
    _imbalances(res, pub)
    _checks(res, pub, checks)
    return res
