"""Tests of analysis.toolkit.consistency: against R, textbook cases and hand computations."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.toolkit import consistency as c
from analysis.toolkit.agreement import STATUSES, agreement
from analysis.trial.published import load_published

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def ref() -> dict:
    """tests/data/consistency_reference.json, made by

    ``Rscript tests/reference/consistency_reference.R`` (R 4.2.2, yaml, jsonlite).
    """
    return json.loads((DATA / "consistency_reference.json").read_text())


@pytest.fixture(scope="module")
def pub():
    return load_published()


def _row(pub, var):
    return pub.table1_row(var)


# ----------------------------------------------------------------------------
# Against R, on the published Table 1 and hazard ratios
# ----------------------------------------------------------------------------
def test_reference_records_versions(ref):
    assert ref["r_version"].startswith("R version")
    assert set(ref["packages"]) >= {"yaml", "jsonlite"}


def _mean_sd_rows(pub):
    return [r for r in pub.table1 if r.kind == "mean_sd"]


def test_student_and_welch_from_summary_match_r(ref, pub):
    """R: the textbook pooled / Welch t with ``2 * pt(-abs(t), df)``."""
    n = pub.raw["table1"]["n"]
    for r in _mean_sd_rows(pub):
        want = ref["table1"][r.variable]
        for equal, key in ((True, "p_student"), (False, "p_welch")):
            got = c.ttest_from_summary(r.control["mean"], r.control["sd"], n["control"],
                                       r.ucmsc["mean"], r.ucmsc["sd"], n["ucmsc"], equal_var=equal)
            assert got.p == pytest.approx(want[key], rel=1e-6), (r.variable, key)


def test_student_rounding_box_matches_r_grid_search(ref, pub):
    """R: min/max of the pooled-t p over an 11^4 grid of unrounded means and SDs (corners included).

    The exact extremes lie at the corners, which the grid contains, so the
    minimum must agree; the maximum agrees unless the box allows equal means
    (then ours is 1, the grid's is at most 1).
    """
    n = pub.raw["table1"]["n"]
    for r in _mean_sd_rows(pub):
        want = ref["table1"][r.variable]
        dec = {"mean1": r.decimals_for("control")["mean"], "sd1": r.decimals_for("control")["sd"],
               "mean2": r.decimals_for("ucmsc")["mean"], "sd2": r.decimals_for("ucmsc")["sd"]}
        got = c.ttest_from_summary(r.control["mean"], r.control["sd"], n["control"],
                                   r.ucmsc["mean"], r.ucmsc["sd"], n["ucmsc"], decimals=dec)
        assert got.p_low == pytest.approx(want["p_student_grid_min"], rel=1e-6), r.variable
        assert got.p_high >= want["p_student_grid_max"] - 1e-12, r.variable
        lo1, hi1 = c.rounding_interval(r.control["mean"], dec["mean1"])
        lo2, hi2 = c.rounding_interval(r.ucmsc["mean"], dec["mean2"])
        if not (lo2 - hi1 <= 0 <= hi2 - lo1):
            assert got.p_high == pytest.approx(want["p_student_grid_max"], rel=1e-6), r.variable
        else:
            assert got.p_high == 1.0


def test_count_tests_match_r(ref, pub):
    """R: ``chisq.test(tab, correct = FALSE/TRUE)``, ``fisher.test(tab)``."""
    for r in pub.table1:
        if r.kind != "counts":
            continue
        tab = [[r.control[lv] for lv in r.levels], [r.ucmsc[lv] for lv in r.levels]]
        want = ref["table1"][r.variable]
        assert c.chisq_from_counts(tab)[2] == pytest.approx(want["p_chisq"], rel=1e-6)
        assert c.fisher_from_counts(tab) == pytest.approx(want["p_fisher"], rel=1e-6)
        if len(r.levels) == 2:
            assert c.chisq_from_counts(tab, correction=True)[2] == pytest.approx(want["p_chisq_yates"], rel=1e-6)


@pytest.mark.parametrize("case", range(3))
def test_freeman_halton_matches_r(ref, case):
    """R: ``fisher.test(rbind(...))`` on 2 x 3 and 2 x 4 tables."""
    g = ref["fisher_2xk"][case]
    assert c.fisher_from_counts(g["table"]) == pytest.approx(g["p_fisher"], rel=1e-6)
    assert c.chisq_from_counts(g["table"])[2] == pytest.approx(g["p_chisq"], rel=1e-6)


def test_median_range_estimates_match_r(ref, pub):
    """R: Hozo mean ``(a + 2m + b) / 4``, Wan SD ``(b - a) / (2 qnorm((n - .375) / (n + .25)))``."""
    r = _row(pub, "age")
    want = ref["table1"]["age"]
    n = pub.raw["table1"]["n"]
    for arm in ("control", "ucmsc"):
        m, s = c.estimate_mean_sd(r.arm(arm)["median"], r.arm(arm)["min"], r.arm(arm)["max"], n[arm])
        assert m == pytest.approx(want[f"mean_{arm}"], rel=1e-9)
        assert s == pytest.approx(want[f"sd_{arm}"], rel=1e-6)
    chk = c.check_table1(pub).set_index("item")
    assert chk.loc["age", "recomputed"] == pytest.approx(want["p_student"], rel=1e-6)


def test_wald_from_ci_matches_r(ref, pub):
    """R: ``se <- (log(u) - log(l)) / (2 qnorm(.975)); 2 * pnorm(-abs(log(hr) / se))``."""
    for key, h in pub.hazard_ratios.items():
        want = ref["hazard_ratios"][key]
        w = c.wald_from_ci(h.hr, h.ci_low, h.ci_high)
        assert w.se == pytest.approx(want["se"], rel=1e-6)
        assert w.z == pytest.approx(want["z"], rel=1e-6)
        assert w.p == pytest.approx(want["p"], rel=1e-6)
        assert w.midpoint == pytest.approx(want["midpoint"], rel=1e-6)
        assert c.implied_events(w.se) == pytest.approx(want["events"], rel=1e-6)


# ----------------------------------------------------------------------------
# Textbook and hand-computed cases
# ----------------------------------------------------------------------------
# Altman & Bland (2011) BMJ 343:d2090: a difference of 17 percentage points with
# P = 0.032 has 95% CI 1.4 to 32.6. Going back from the CI (d2304) gives the
# exact-normal p 0.0327, which prints as 0.033: reproducible only within rounding
# (status agrees, not exact). Hand cases: HR 2.00 (1.00 to 4.00) has SE = ln 4 / (2 x 1.959964)
# and z = 1.959964 exactly, so p = 0.050.
WALD_CASES = pd.DataFrame(
    [
        # est, lo, hi, ratio, decimals, printed p, expected status of the p check, exact?
        (17.0, 1.4, 32.6, False, 1, 0.032, "agrees", False),
        (2.00, 1.00, 4.00, True, 2, 0.050, "agrees", True),
        (2.00, 1.00, 4.00, True, 2, 0.030, "differs", False),
        (0.50, 0.25, 1.00, True, 2, 0.050, "agrees", True),
    ],
    columns=["est", "lo", "hi", "ratio", "decimals", "p", "status", "exact"],
)


@pytest.mark.parametrize("row", list(WALD_CASES.itertuples(index=False)), ids=lambda r: f"{r.est}-{r.lo}-{r.hi}-p{r.p}")
def test_p_from_ci_textbook_cases(row):
    w = c.wald_from_ci(row.est, row.lo, row.hi, ratio=row.ratio, decimals=row.decimals)
    assert w.p_low <= w.p <= w.p_high
    assert c.judge(row.p, w.p, w.p_low, w.p_high, decimals=3) == (row.status, row.exact)


def test_p_from_ci_exact_hand_value():
    w = c.wald_from_ci(2.0, 1.0, 4.0)
    assert w.se == pytest.approx(math.log(4) / (2 * 1.959963984540054), rel=1e-12)
    assert w.z == pytest.approx(1.959963984540054, rel=1e-9)
    assert w.p == pytest.approx(0.05, rel=1e-9)
    assert w.midpoint == pytest.approx(2.0, rel=1e-12)
    # the difference example: SE = 31.2 / 3.919928, z = 17 / SE
    d = c.wald_from_ci(17.0, 1.4, 32.6, ratio=False)
    assert d.se == pytest.approx(31.2 / (2 * 1.959963984540054), rel=1e-9)
    # R: 2 * pnorm(-17 / (31.2 / (2 * qnorm(.975)))) = 0.03269097453 (printed to 10 digits)
    assert d.p == pytest.approx(0.03269097453, rel=1e-8)


# (status, exact): ("agrees", True) reproduces as printed, ("agrees", False) only within rounding
AGREES, WITHIN_ROUNDING, DIFFERS = ("agrees", True), ("agrees", False), ("differs", False)
HR_CASES = pd.DataFrame(
    [
        # hr, lo, hi, p, midpoint (status, exact), significance (status, exact)
        (2.00, 1.00, 4.00, 0.050, AGREES, AGREES),  # CI touches 1 and p = 0.050
        (2.00, 1.00, 4.00, 0.049, AGREES, WITHIN_ROUNDING),  # limit 1.00 may round from above 1
        (1.50, 0.80, 2.00, 0.300, DIFFERS, AGREES),  # midpoint 1.26, not 1.50
        (2.00, 1.05, 3.81, 0.060, AGREES, DIFFERS),  # CI excludes 1 but p >= 0.05
        (2.00, 1.05, 3.81, 0.050, AGREES, WITHIN_ROUNDING),  # p printed 0.050 may round from below 0.05
        (0.60, 0.40, 0.90, 0.013, AGREES, AGREES),
    ],
    columns=["hr", "lo", "hi", "p", "mid", "sig"],
)


@pytest.mark.parametrize("row", list(HR_CASES.itertuples(index=False)), ids=lambda r: f"{r.hr}-{r.lo}-{r.hi}")
def test_check_hazard_ratios_cases(row):
    chk = c.check_hazard_ratios({"x": {"hr": row.hr, "ci_low": row.lo, "ci_high": row.hi, "p": row.p}})
    assert list(chk.columns) == c.CHECK_COLUMNS
    v = chk.set_index("category")
    assert (v.loc["hr midpoint", "status"], v.loc["hr midpoint", "exact"]) == row.mid
    assert (v.loc["hr significance", "status"], v.loc["hr significance", "exact"]) == row.sig


# A printed p that the CI's significance contradicts under every rounding cannot be the CI's
# Wald p either (issue 12: the paper's overall-survival p was "consistent within rounding" as a
# Wald p and "inconsistent" with its CI's significance; see test_overall_survival_p_has_one_status).
# Last case: an HR well below its CI's midpoint, whose own p is above alpha although the CI
# excludes 1; the point p alone would let the printed p agree.
COHERENCE_CASES = [(2.00, 1.05, 3.81, 0.060), (0.53, 0.28, 0.99, 0.052), (1.50, 0.90, 2.50, 0.040),
                   (1.40, 1.01, 2.00, 0.054)]


@pytest.mark.parametrize("hr, lo, hi, p", COHERENCE_CASES)
def test_p_and_significance_rows_never_contradict(hr, lo, hi, p):
    chk = c.check_hazard_ratios({"x": {"hr": hr, "ci_low": lo, "ci_high": hi, "p": p}}).set_index("category")
    assert chk.loc["hr significance", "status"] == "differs"
    assert chk.loc["hr p", "status"] == "differs"
    assert chk.loc["hr p", "published"] == chk.loc["hr significance", "published"] == p


def test_p_and_significance_rows_never_contradict_on_a_grid():
    """Printed HRs, limits and p values on a seeded grid: a p that agrees as the CI's Wald p never
    differs on the CI's significance, and every row's status is agreement() under check_tolerance."""
    rng = np.random.default_rng(12)
    hrs = {}
    for i in range(300):
        lo = round(float(rng.uniform(0.3, 1.3)), 2)
        hi = round(lo * float(np.exp(rng.uniform(0.3, 2.5))), 2)
        hr = round(float(np.exp((np.log(lo) + np.log(hi)) / 2 + rng.normal(0, 0.05))), 2)
        hr = min(max(hr, lo), hi)
        hrs[f"h{i}"] = {"hr": hr, "ci_low": lo, "ci_high": hi, "p": round(float(rng.uniform(0.001, 0.2)), 3)}
    chk = c.check_hazard_ratios(hrs)
    p_rows = chk[chk["category"] == "hr p"].set_index("item")
    sig = chk[chk["category"] == "hr significance"].set_index("item")["status"]
    assert not ((p_rows["status"] == "agrees") & (sig == "differs")).any()
    for _, r in chk.iterrows():
        if r["category"] == "hr significance":
            continue
        tol = c.check_tolerance(r["published"], r["recomputed"], r["low"], r["high"],
                                decimals=2 if r["category"] == "hr midpoint" else 3, operator=r["operator"])
        assert agreement(r["recomputed"], r["published"], tol) == r["status"], (r["item"], r["category"])


def test_overall_survival_p_has_one_status(pub):
    """The issue-12 case on the paper's numbers: the same printed p, one status in both rows."""
    chk = c.check_hazard_ratios(pub).set_index(["category", "item"])
    rows = chk.loc[[("hr p", "os.cox"), ("hr significance", "os.cox")]]
    assert set(rows["status"]) == {"differs"}
    # every unrounded CI printing as the published one excludes 1, so its Wald p is below 0.05 (the point p too)
    h = pub.hazard_ratios["os.cox"]
    assert rows["high"].max() < 0.05 < h.p
    # no hazard ratio of the paper has a p that agrees as the Wald p and differs on significance
    p_rows = chk.xs("hr p", level="category")["status"]
    sig = chk.xs("hr significance", level="category")["status"]
    assert not ((p_rows == "agrees") & (sig == "differs")).any()


def test_exact_test_too_large_is_not_computable():
    rows = [{"variable": "grade", "label": "Grade", "kind": "counts", "levels": ["a", "b", "c"], "p": 0.5,
             "control": {"a": 30000, "b": 50000, "c": 20000}, "ucmsc": {"a": 31000, "b": 49000, "c": 20000}}]
    cmp = c.compare_table1_tests(rows, n={"control": 100000, "ucmsc": 100000}).set_index("test")
    assert cmp.loc["Fisher exact", "status"] == "not computable"
    assert not cmp.loc["Fisher exact", "reproduces"] and not cmp.loc["Fisher exact", "exact"]
    assert cmp.loc["chi-square", "status"] in ("agrees", "differs")


def test_not_a_wald_triple_p_range_is_the_intervals_own(pub):
    """The overall-survival HR is not the midpoint of any unrounded limits of its CI: the p range is
    that of the CI alone (its midpoint as the estimate) over the limits' rounding, joined with the
    printed HR's p."""
    h = pub.hazard_ratios["os.cox"]
    w = c.wald_from_ci(h.hr, h.ci_low, h.ci_high, decimals=2)
    assert not w.wald_triple
    z = 1.959963984540054
    ps = []
    for lo in (h.ci_low - 0.005, h.ci_low + 0.005):
        for hi in (h.ci_high - 0.005, h.ci_high + 0.005):
            se = (math.log(hi) - math.log(lo)) / (2 * z)
            ps.append(2 * __import__("scipy").stats.norm.sf((math.log(lo) + math.log(hi)) / 2 / se))
    assert w.p_low == pytest.approx(min(ps + [w.p]), rel=1e-9)
    assert w.p_high == pytest.approx(max(ps + [w.p]), rel=1e-9)
    exact = c.wald_from_ci(h.hr, h.ci_low, h.ci_high)  # no rounding: the point only
    assert exact.p_low == exact.p == exact.p_high


def test_logrank_plausibility_in_reason():
    # Wald z 1.96 for HR 2 (1-4): printed p 0.045 (z 2.00) is a near miss -> log-rank plausible;
    # printed 0.005 (z 2.81) is not.
    near = c.check_hazard_ratios({"x": {"hr": 2.0, "ci_low": 1.0, "ci_high": 4.0, "p": 0.045}})
    far = c.check_hazard_ratios({"x": {"hr": 2.0, "ci_low": 1.0, "ci_high": 4.0, "p": 0.005}})
    r_near = near.set_index("category").loc["hr p"]
    r_far = far.set_index("category").loc["hr p"]
    assert r_near["status"] == r_far["status"] == "differs"
    assert "plausibly a log-rank" in r_near["reason"]
    assert "too far apart" in r_far["reason"]


def test_wald_triple_polygon_narrows_the_range():
    """A Wald CI ties HR and limits; the joint range is inside the independent one."""
    w = c.wald_from_ci(2.0, 1.0, 4.0, decimals=2)
    assert w.wald_triple
    # independent box: largest |log HR| with narrowest CI, smallest with widest
    z = 1.959963984540054
    p_ind_low = 2 * (1 - __import__("scipy").stats.norm.cdf(math.log(2.005) / ((math.log(3.995) - math.log(1.005)) / (2 * z))))
    assert w.p_low >= p_ind_low - 1e-12
    not_wald = c.wald_from_ci(1.5, 0.8, 2.0, decimals=2)
    assert not not_wald.wald_triple


GRIM_CASES = pd.DataFrame(
    [
        # mean, n, decimals, items, consistent?   (Brown & Heathers 2017; die example)
        (3.48, 20, 2, 1, False),  # k/20 prints as x.x0 or x.x5
        (3.45, 20, 2, 1, True),
        (5.19, 28, 2, 1, False),  # 145/28 = 5.179, 146/28 = 5.214
        (5.18, 28, 2, 1, True),
        (5.21, 28, 2, 1, True),
        (2.33, 3, 2, 1, True),  # 7/3
        (2.34, 3, 2, 1, False),
        (3.125, 8, 3, 1, True),  # exact
        (1.13, 8, 2, 1, True),  # 9/8 = 1.125: either rounding convention
        (1.12, 8, 2, 1, True),
        (2.35, 10, 2, 2, True),  # 47/20 with two items per respondent
        (2.37, 10, 2, 2, False),
        (52.3, 150, 1, 1, True),  # n >= 10^decimals: every mean possible
    ],
    columns=["mean", "n", "decimals", "items", "ok"],
)


@pytest.mark.parametrize("row", list(GRIM_CASES.itertuples(index=False)), ids=lambda r: f"{r.mean}/{r.n}")
def test_grim(row):
    assert c.grim(row.mean, row.n, row.decimals, items=row.items) is row.ok


@pytest.mark.parametrize(
    "median, n, decimals, ok",
    [(52.0, 151, 1, True), (52.5, 151, 1, False), (52.5, 150, 1, True), (52.3, 150, 1, False), (53, 150, 0, True)],
)
def test_median_granularity(median, n, decimals, ok):
    assert c.median_granularity(median, n, decimals) is ok


JUDGE_CASES = [
    # published, point, low, high, decimals, operator, (status, exact)
    (0.209, 0.2091, None, None, 3, "=", AGREES),
    (0.209, 0.2131, 0.18, 0.25, 3, "=", WITHIN_ROUNDING),
    (0.209, 0.2131, 0.2100, 0.25, 3, "=", DIFFERS),
    (0.209, 0.2050, 0.18, 0.2084, 3, "=", DIFFERS),
    (0.001, 0.0007, None, None, 3, "<", AGREES),
    (0.001, 0.0012, 0.0008, 0.0015, 3, "<", WITHIN_ROUNDING),
    (0.001, 0.0020, 0.0015, 0.0030, 3, "<", DIFFERS),
    (0.5, 0.6, None, None, 1, ">", AGREES),
    (0.5, 0.4, 0.3, 0.55, 1, ">", WITHIN_ROUNDING),
    (0.5, 0.4, 0.3, 0.45, 1, ">", DIFFERS),
    (0.209, float("nan"), None, None, 3, "=", ("not computable", False)),
    (float("nan"), 0.2, None, None, 3, "=", ("not published", False)),
]


@pytest.mark.parametrize("published, point, low, high, decimals, op, want", JUDGE_CASES)
def test_judge(published, point, low, high, decimals, op, want):
    j = c.judge(published, point, low, high, decimals=decimals, operator=op)
    assert (j.status, j.exact) == want and j.status in STATUSES
    # one rule: the status is agreement() under check_tolerance, as a chapter's results use it
    tol = c.check_tolerance(published, point, low, high, decimals=decimals, operator=op)
    assert agreement(point, published, tol) == j.status


def test_implied_events_and_se_from_events():
    assert c.implied_events(0.5) == pytest.approx(16.0)
    assert c.implied_events(0.5, allocation=2 / 3) == pytest.approx(18.0)
    assert c.se_from_events(20, 20) == pytest.approx(math.sqrt(0.1))
    # 4 / SE^2 is a lower bound: unequal splits need more events for the same SE
    se = c.se_from_events(30, 10)
    assert c.implied_events(se) <= 40


def test_skewness_from_summary():
    assert c.skewness_from_summary(30.0, 25.0)  # mean < 2 SD for a positive variable
    assert not c.skewness_from_summary(60.0, 7.0)
    assert c.skewness_from_summary(110, 30, lower_bound=60)


def test_skewness_flags_on_published(pub):
    fl = c.skewness_flags(pub).set_index("variable")
    assert list(fl.index) == [r.variable for r in pub.table1 if r.kind == "mean_sd"]
    for v, r in fl.iterrows():
        want = any(r[f"mean_{a}"] < 2 * r[f"sd_{a}"] for a in ("control", "ucmsc"))
        assert r["skewed"] == want
        assert r["mean_over_sd_control"] == pytest.approx(r["mean_control"] / r["sd_control"])


def test_ttest_box_is_exact_at_corners_for_student():
    """Brute force over a fine grid never beats the corner extremes."""
    res = c.ttest_from_summary(9.0, 3.8, 40, 10.6, 5.5, 45,
                               decimals={"mean1": 1, "sd1": 1, "mean2": 1, "sd2": 1})
    rng = np.random.default_rng(7)
    u = rng.uniform(-0.05, 0.05, size=(2000, 4))
    ps = [c.ttest_from_summary(9.0 + a, 3.8 + b, 40, 10.6 + cc, 5.5 + d, 45).p for a, b, cc, d in u]
    assert res.p_low <= min(ps) and max(ps) <= res.p_high


def test_welch_box_contains_point_and_samples():
    res = c.ttest_from_summary(55.1, 70.3, 90, 40.2, 45.37, 95, equal_var=False,
                               decimals={"mean1": 1, "sd1": 1, "mean2": 1, "sd2": 2})
    assert res.p_low <= res.p <= res.p_high
    rng = np.random.default_rng(11)
    u = rng.uniform(-1, 1, size=(300, 4)) * [0.05, 0.05, 0.05, 0.005]
    ps = [c.ttest_from_summary(55.1 + a, 70.3 + b, 90, 40.2 + cc, 45.37 + d, 95, equal_var=False).p
          for a, b, cc, d in u]
    assert res.p_low <= min(ps) + 1e-9 and max(ps) <= res.p_high + 1e-9


# ----------------------------------------------------------------------------
# Paper-level checks
# ----------------------------------------------------------------------------
def test_check_published_covers_every_table1_row_and_hr(pub):
    chk = c.check_published(pub)
    assert list(chk.columns) == c.CHECK_COLUMNS
    assert set(chk["status"]) <= set(STATUSES) and chk["exact"].dtype == bool
    assert not (chk["exact"] & (chk["status"] != "agrees")).any()
    t1 = chk[chk["category"] == "table1 p"]
    assert list(t1["item"]) == [r.variable for r in pub.table1]
    for cat in ("hr midpoint", "hr p", "hr significance"):
        assert list(chk.loc[chk["category"] == cat, "item"]) == list(pub.hazard_ratios)
    assert chk[["published", "recomputed", "low", "high"]].dtypes.eq(float).all()
    ok = chk.dropna(subset=["low"])
    assert (ok["low"] <= ok["recomputed"] + 1e-12).all() and (ok["recomputed"] <= ok["high"] + 1e-12).all()
    counts = c.status_counts(chk)
    assert list(counts.columns) == [*STATUSES, "within rounding"]
    assert counts[list(STATUSES)].to_numpy().sum() == len(chk)
    assert counts["within rounding"].sum() == ((chk["status"] == "agrees") & ~chk["exact"]).sum()
    with pytest.raises(ValueError, match="'status'"):
        c.status_counts(chk.drop(columns="status"))


def test_table1_p_has_one_status_in_both_check_tables(pub):
    """The same printed Table 1 p, recomputed by the same test, gets the same status in
    check_table1 and compare_table1_tests (issue 12)."""
    t1 = c.check_table1(pub).set_index("item")
    cmp = c.compare_table1_tests(pub)
    paper_test = {"mean_sd": "Student t", "counts": "chi-square", "median_range": "Student t (estimated mean, SD)"}
    for r in pub.table1:
        row = cmp[(cmp["variable"] == r.variable) & (cmp["test"] == paper_test[r.kind])].iloc[0]
        assert row["p"] == pytest.approx(t1.loc[r.variable, "recomputed"], rel=1e-12)
        assert (row["status"], row["exact"]) == (t1.loc[r.variable, "status"], t1.loc[r.variable, "exact"])
        assert row["reproduces"] == (row["status"] == "agrees")


def test_uncorrected_chisq_and_student_reproduce_the_paper(pub):
    """Which tests did the paper use? Uncorrected chi-square reproduces every count row,
    Yates' correction none of the 2 x 2 rows; Student's t reproduces every mean +- SD row."""
    cmp = c.compare_table1_tests(pub)
    by = cmp.set_index(["variable", "test"])["reproduces"]
    counts = [r.variable for r in pub.table1 if r.kind == "counts"]
    two_by_two = [r.variable for r in pub.table1 if r.kind == "counts" and len(r.levels) == 2]
    assert all(by[(v, "chi-square")] for v in counts)
    assert not any(by[(v, "chi-square, Yates")] for v in two_by_two)
    assert all(by[(r.variable, "Student t")] for r in pub.table1 if r.kind == "mean_sd")


def test_percentages_and_consort(pub):
    pct = c.check_percentages(pub)
    assert set(pct["category"]) == {"percentage", "counts"}
    assert (pct["status"] == "agrees").all() and pct["exact"].all()
    con = c.check_consort(pub)
    assert (con["status"] == "agrees").all() and con["exact"].all()


def test_bad_percentage_and_broken_consort_are_flagged(pub):
    rows = [{"variable": "x", "kind": "counts", "levels": [1, 0], "control": {1: 20, 0: 70},
             "ucmsc": {1: 25, 0: 69}, "p": 0.5, "percent": {"control": 22.3, "ucmsc": 26.3}}]
    chk = c.check_percentages({"rows": rows}, n={"control": 90, "ucmsc": 95})
    v = chk.set_index("item")["status"]
    assert v["x.control.1"] == "differs"  # 20/90 = 22.2%
    assert v["x.ucmsc.1"] == "agrees"  # 25/95 = 26.3%
    assert v["x.ucmsc"] == "differs"  # 25 + 69 != 95
    impossible = c.check_percentages({"rows": [{"variable": "y", "kind": "counts", "levels": [1, 0],
                                                "control": {1: 3, 0: 4}, "ucmsc": {1: 3, 0: 4}, "p": 1,
                                                "percent": {"control": 50.0}}]}, n={"control": 7, "ucmsc": 7})
    r = impossible.set_index("item").loc["y.control.1"]
    assert r["status"] == "differs" and "GRIM-inconsistent" in r["reason"]
    raw = dict(pub.raw)
    analysed = raw["consort"]["analyzed"]
    raw["consort"] = {**raw["consort"], "analyzed": {"control": analysed["control"] + 1, "ucmsc": analysed["ucmsc"]}}
    con = c.check_consort(raw).set_index("item")["status"]
    assert con["analyzed.control"] == "differs" and con["analyzed.ucmsc"] == "agrees"


def test_event_counts(pub):
    # the published HCC cases against the HCC HR's CI; and an impossible count
    inc = pub.hcc_incidence
    ev = c.check_event_counts(pub, {"hcc.cox": {a: inc[a]["events"] for a in ("control", "ucmsc")}})
    assert (ev.loc[0, "status"], ev.loc[0, "exact"]) == AGREES
    bad = c.check_event_counts(pub, {"hcc.cox": {"control": 10, "ucmsc": 5}})
    assert bad.loc[0, "status"] == "differs"
    with pytest.raises(ValueError, match="no hazard ratio 'nope'"):
        c.check_event_counts(pub, {"nope": {"control": 1, "ucmsc": 1}})


def test_direction_claims(pub):
    h = {"hr": 1.12, "ci_low": 0.30, "ci_high": 4.10}
    def se(frame):
        return frame["status"].item(), frame["exact"].item()

    assert se(c.check_direction(h, "control")) == DIFFERS
    assert se(c.check_direction(h, "ucmsc")) == AGREES
    assert se(c.check_direction({"hr": 1.00, "ci_low": 0.5, "ci_high": 2.0}, "control")) == WITHIN_ROUNDING
    assert se(c.check_direction({"hr": 0.8, "ci_low": 0.5, "ci_high": 1.2}, "ucmsc",
                                convention="ucmsc_vs_control")) == AGREES
    out = c.check_claims(pub, [{"hr": "hcc.landmark8.early", "better_arm": "control", "text": "t"}])
    assert out["category"].item() == "claim"
    with pytest.raises(ValueError, match="better_arm"):
        c.check_direction(h, "placebo")


def test_granularity_on_published_age(pub):
    g = c.check_granularity(pub, integer_valued=("age", "meld"))
    assert set(g["item"]) == {"age.control", "age.ucmsc", "meld.control", "meld.ucmsc"}
    assert (g["status"] == "agrees").all() and g["exact"].all()
    assert g.set_index("item").loc["meld.control", "reason"].endswith("every mean is possible)")


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: c.ttest_from_summary(1, 1, 1, 2, 1, 5), "n1 must be an integer >= 2"),
        (lambda: c.ttest_from_summary(1, 0, 5, 2, 1, 5), "sd1 must be > 0"),
        (lambda: c.ttest_from_summary(1, 1, 5, 2, 1, 5, decimals={"mean1": 1}), "decimals must give"),
        (lambda: c.wald_from_ci(2.0, 3.0, 1.0), "ci_low must be below ci_high"),
        (lambda: c.wald_from_ci(5.0, 1.0, 3.0), "must lie within its CI"),
        (lambda: c.wald_from_ci(1.0, -1.0, 3.0), "must be > 0 for a ratio"),
        (lambda: c.chisq_from_counts([[1, 2, 3]]), "2-D table with at least 2 rows"),
        (lambda: c.chisq_from_counts([[1, -2], [3, 4]]), "non-negative integers"),
        (lambda: c.fisher_from_counts([[1, 2, 3], [3, 4, 5], [5, 6, 7]]), "must have 2 groups"),
        (lambda: c.grim(1.0, 0, 1), "n must be a positive integer"),
        (lambda: c.judge(0.5, 0.5, decimals=1, operator="~"), "operator must be one of"),
        (lambda: c.implied_events(0), "se must be > 0"),
        (lambda: c.check_table1([{"variable": "v", "kind": "mean_sd", "p": 0.5}], n={"control": 3, "ucmsc": 3}),
         "missing key 'control'"),
        (lambda: c.check_table1([{"variable": "v", "kind": "odd", "p": 0.5, "control": {}, "ucmsc": {}}],
                                n={"control": 3, "ucmsc": 3}), "kind must be mean_sd"),
        (lambda: c.check_table1([{"variable": "v", "kind": "counts", "p": 0.5, "control": {}, "ucmsc": {}}]),
         "n: group sizes are required"),
    ],
)
def test_bad_input_names_argument_and_rule(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_plain_dict_input_is_reusable():
    """A Table 1 from another paper, as plain dicts (made-up numbers, hand-checked)."""
    rows = [
        {"variable": "sbp", "kind": "mean_sd", "control": {"mean": 140.0, "sd": 15.0},
         "ucmsc": {"mean": 140.0, "sd": 15.0}, "p": 1.0, "decimals": {"mean": 0, "sd": 0}},
        {"variable": "smoker", "kind": "counts", "levels": ["y", "n"], "control": {"y": 10, "n": 40},
         "ucmsc": {"y": 10, "n": 40}, "p": 1.0},
    ]
    chk = c.check_table1(rows, n={"control": 50, "ucmsc": 50}).set_index("item")
    assert chk.loc["sbp", "recomputed"] == pytest.approx(1.0)
    assert chk.loc["smoker", "recomputed"] == pytest.approx(1.0)
    assert (chk["status"] == "agrees").all() and chk["exact"].all()


def test_exact_test_too_large_falls_back_with_a_note():
    """A 2 x 3 table of 200,000 patients: no exact enumeration; Table 1 reports the chi-square p
    and says why the exact p is missing (issue 11)."""
    import numpy as np
    import pandas as pd

    from analysis.toolkit.baseline import baseline_table
    from analysis.toolkit.consistency import TableTooLargeError, fisher_from_counts

    with pytest.raises(TableTooLargeError, match="chi-square"):
        fisher_from_counts([[30000, 50000, 20000], [31000, 49000, 20000]])
    rng = np.random.default_rng(3)
    n = 200_000
    df = pd.DataFrame({"arm": np.repeat(["control", "ucmsc"], n // 2), "disposition": "analyzed",
                       "age": rng.integers(20, 65, n).astype(float), "sex": rng.choice(["M", "F"], n),
                       "child_pugh": rng.choice(["A", "B", "C"], n)})
    tab = baseline_table(df)
    row = tab.summary[tab.summary["variable"] == "child_pugh"].iloc[0]
    assert np.isnan(row["p_fisher"]) and 0 <= row["p"] <= 1
    assert any("child_pugh" in n and "exact test is not computed" in n for n in tab.notes)
