"""The baseline chapter's results (analysis.report.chapters.baseline), computed without building the book."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from analysis import load_trial
from analysis.report.chapters import baseline
from analysis.toolkit import consistency as cons
from analysis.toolkit.agreement import STATUSES
from analysis.toolkit.baseline import baseline_imbalances, baseline_table
from analysis.toolkit.warnings import StatisticalWarning

ROOT = Path(__file__).resolve().parents[1]
LEDGER_P = ("tp", "alb", "plt", "cr", "alt", "ast", "tbil", "pta", "che", "inr", "meld")

pytestmark = pytest.mark.heavy  # several chapter computations (a few seconds)


@pytest.fixture(scope="module")
def res(trial, published):
    return baseline.compute(trial, published)


@pytest.fixture(scope="module")
def leukemia(published):
    """A real dataset without any of the paper's baseline columns."""
    return baseline.compute(load_trial(ROOT / "tests" / "datasets" / "leukemia"), published)


def test_ledger_p_ids(res, trial, published):
    """baseline.<var>.p for the ledger's Table 1 variables: the Student t p of baseline_table, judged
    against the rounding range of the printed means and SDs (or the printed bound), by construction."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        bt = baseline_table(trial)
    for v in LEDGER_P:
        got = res[f"baseline.{v}.p"]
        row = published.table1_row(v)
        assert got.value == bt.row(v)["p"] and got.published == row.p and got.unit == "p", v
        assert got.tolerance.kind == ("upper_bound" if row.p_operator == "<" else "interval"), v
        assert got.provenance == "by construction", v  # MELD too: its components are shaped to meet Table 1
        assert got.source == published.raw["table1"]["source"], v


def test_ledger_p_ids_without_the_columns(leukemia, published):
    """Absent columns: the same ids, not computable, with a note naming the column."""
    for v in LEDGER_P:
        got = leukemia[f"baseline.{v}.p"]
        assert got.value is None and got.status == "not computable", v
        assert v in got.note and got.provenance == "computed", v


def test_values_are_the_toolkit_functions(res, trial, published):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        bt = baseline_table(trial)
    imb = baseline_imbalances(bt, smd_threshold=baseline.SMD_THRESHOLD)
    for r in published.table1:
        v = r.variable
        assert res[f"baseline.{v}.p"].value == pytest.approx(bt.summary.loc[bt.summary["variable"] == v, "p"].iloc[0],
                                                             rel=1e-12), v
        assert res[f"baseline.{v}.smd"].value == pytest.approx(imb.loc[v, "smd"], rel=1e-12), v
        if r.kind == "mean_sd":
            for a in ("control", "ucmsc"):
                assert res[f"baseline.{v}.mean.{a}"].value == pytest.approx(bt.row(v)[f"mean_{a}"], rel=1e-12)
                assert res[f"baseline.{v}.mean.{a}"].published == r.arm(a)["mean"]
            assert res[f"baseline.{v}.p_mannwhitney"].value == pytest.approx(bt.row(v)["p_mannwhitney"], rel=1e-12)
    assert res["baseline.smd.imbalanced"].value == int(imb["imbalanced_smd"].sum())
    assert res["baseline.n.control"].value == bt.n["control"] and res["baseline.n.ucmsc"].value == bt.n["ucmsc"]


def test_provenance_on_the_synthetic_cohort(res):
    prov = {rid: r.provenance for rid, r in res.items()}
    # Table 1 moments and counts are forced by the generator, MELD's through its components
    assert prov["baseline.tbil.mean.ucmsc"] == prov["baseline.sex.count.M.control"] == "by construction"
    assert prov["baseline.meld.mean.control"] == prov["baseline.meld_gt15.count.gt15.control"] == "by construction"
    # p values that rest on distribution shapes the generator chose
    for rid in (i for i in res if i.endswith(".p_mannwhitney")):
        assert prov[rid] == "assumed" and "shape of the distribution" in res[rid].note, rid
    # the paper's numbers checked against each other: computed, from published numbers only
    for rid, r in res.items():
        if rid.startswith("consistency.") and not rid.endswith(".printed"):
            assert r.provenance == "computed" and r.note.startswith(baseline.PUBLISHED_ONLY), rid
    assert prov["consistency.os.cox.printed"] == prov["baseline.published.landmark.os"] == "published"


def test_real_data_provenance_and_disclosure(leukemia):
    assert {r.provenance for r in leukemia.values()} <= {"computed", "published"}
    for rid, r in leukemia.items():
        if r.status == "not computable":
            assert r.note, rid


def test_ids_do_not_depend_on_the_data(res, leukemia):
    assert list(res) == list(leukemia)
    assert set(res.glue_values()) == set(leukemia.glue_values())


def test_every_glue_key_of_the_page_is_a_result(res):
    page = (ROOT / "book" / "chapters" / "baseline.md").read_text()
    keys = set(re.findall(r"\{glue:text\}`(bl_[a-z0-9_]+)", page))
    assert keys == set(res.glue_values())


def test_consistency_results_have_the_checks_status(res, published):
    """A published number has one status: the chapter's results and the checks table agree."""
    checks = res.objects["checks"]
    assert set(checks["status"]) <= set(STATUSES)
    by = checks.set_index(["category", "item"])
    for key in published.hazard_ratios:
        for cat, suffix in (("hr midpoint", "midpoint"), ("hr p", "wald_p")):
            row, r = by.loc[(cat, key)], res[f"consistency.{key}.{suffix}"]
            assert r.value == row["recomputed"] and r.published == row["published"], (cat, key)
            assert r.status == row["status"], (cat, key)
            assert ("within rounding" in r.note) == (row["status"] == "agrees" and not row["exact"]), (cat, key)
    ev = by.loc[("hr events", "hcc.cox")]
    assert res["consistency.hcc.cox.implied_events"].status == ev["status"]
    inc = published.hcc_incidence
    assert res["consistency.hcc.cox.implied_events"].published == inc["control"]["events"] + inc["ucmsc"]["events"]
    # the overall-survival p: one status as the CI's Wald p and on the CI's significance (issue 12)
    assert res["consistency.os.cox.wald_p"].status == by.loc[("hr significance", "os.cox"), "status"] == "differs"
    counts = res.objects["check_counts"]
    assert res["consistency.checks.n"].value == len(checks) == counts[list(STATUSES)].to_numpy().sum()
    assert res["consistency.checks.agrees_within_rounding"].value == counts["within rounding"].sum()
    assert (res["consistency.checks.agrees_exact"].value + res["consistency.checks.agrees_within_rounding"].value
            == counts["agrees"].sum())
    assert res["consistency.checks.differs"].value == counts["differs"].sum()


def test_tests_section_counts(res, published):
    tc = cons.compare_table1_tests(published)
    ok = tc.set_index(["variable", "test"])["reproduces"]
    counts = [r.variable for r in published.table1 if r.kind == "counts"]
    means = [r.variable for r in published.table1 if r.kind == "mean_sd"]
    assert res["consistency.tests.chisq.reproduces"].value == sum(ok[(v, "chi-square")] for v in counts)
    assert res["consistency.tests.student.reproduces"].value == sum(ok[(v, "Student t")] for v in means)
    assert res["consistency.tests.welch.reproduces"].value == sum(ok[(v, "Welch t")] for v in means)
    age = tc[tc["variable"] == "age"].set_index("test").loc["Student t (estimated mean, SD)"]
    r = res["consistency.tests.age.student"]
    assert (r.value, r.published, r.status) == (age["p"], age["published"], age["status"])
    assert res["consistency.tests.age.student.low"].value == age["p_low"]


def test_one_status_per_table1_p_on_the_page(res):
    """The side-by-side comparison shows each cohort statistic with its result's status."""
    cmp = res.objects["comparison"]
    assert (cmp["status"] == [res[i].status for i in cmp["id"]]).all()
    p = cmp[cmp["statistic"] == "p"]
    assert res["baseline.p.agree"].value == int((p["status"] == "agrees").sum())
    assert res["baseline.p.compared"].value == int(p["cohort"].notna().sum())
    stats_ = cmp[cmp["statistic"] != "p"]
    assert res["baseline.statistics.agree"].value == int((stats_["status"] == "agrees").sum())
    assert list(res.objects["differences"].index) == list(cmp.index[cmp["status"] == "differs"])


def test_small_cell_rule_hides_the_age_range_on_real_data(published, trial_dir):
    (trial_dir / "dataset.yaml").unlink()  # without it the folder counts as real data
    real = baseline.compute(load_trial(trial_dir), published)
    for a in ("control", "ucmsc"):
        for st in ("min", "max"):
            r = real[f"baseline.age.{st}.{a}"]
            assert r.value is None and "small-cell rule" in r.note
        assert real[f"baseline.age.median.{a}"].value is not None
    assert all(np.isfinite(v) for v in (real["baseline.tbil.p"].value, real["baseline.tbil.smd"].value))
