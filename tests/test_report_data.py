"""The Data chapter's results: contents of the folder, the calibration table made of the other chapters'
results, implied deaths, MELD."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import load_trial
from analysis.report.chapters import data
from analysis.report.chapters.survival import HR_LOG_TOLERANCE
from analysis.report.results import ChapterResults
from analysis.toolkit.agreement import STATUSES, Tolerance
from analysis.toolkit.schema import ARMS
from analysis.trial.data import content_digest
from analysis.trial.synthetic import derive_event_counts

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.heavy  # every chapter computed on two datasets, and the event-count searches

SUMMARIES = ("data", "reproducibility")


@pytest.fixture(scope="module")
def results(all_results):
    """Every chapter's results, as the ledger computes them (the Data chapter from the others')."""
    return all_results


@pytest.fixture(scope="module")
def res(results):
    return results["data"]


@pytest.fixture(scope="module")
def leukemia(published):
    return data.compute(load_trial(ROOT / "tests" / "datasets" / "leukemia"), published)


@pytest.fixture
def others():
    """Two small chapters with known provenances, statuses and published values."""
    log = Tolerance("log_ratio", 0.1)
    a = ChapterResults("a", synthetic=True)
    a.add("a.n", "N", 10, published=10, provenance="by construction")                        # in, agrees
    a.add("a.m", "M", 11, published=10, provenance="by construction")                        # in, differs
    a.add("a.quote", "Quoted", 3, published=3, provenance="published")                        # out: a quote
    a.add("a.p", "p", 0.2, published=0.05, unit="p")                                          # out: computed
    a.add("a.smd", "SMD", 0.1, provenance="by construction")                                  # out: no published
    a.add("consistency.x", "Paper vs paper", 1.0, published=1.0, provenance="by construction")  # out: the paper's own
    a.add("t1.meld.mean", "MELD", 12.1, published=10.0, provenance="assumed")                 # in, differs
    b = ChapterResults("b", synthetic=True)
    b.add("x.cox.hr", "HR", 2.0, ci_low=1.0, ci_high=4.0, published=2.1, published_ci_low=1.05, published_ci_high=4.2,
          tolerance=log, unit="ratio", provenance="by construction")                         # in, agrees
    b.add("y.cox.hr", "HR", 1.1, ci_low=0.2, ci_high=5.0, published=1.2, published_ci_low=0.3,
          published_ci_high=4.7, tolerance=log, unit="ratio", provenance="by construction")  # in, differs (limits)
    b.add("b.none", "Missing", None, published=4, provenance="by construction")              # in, not computable
    own = ChapterResults("data", synthetic=True)
    own.add("data.old", "An old count", 99, published=99, provenance="by construction")      # ignored
    return {"a": a, "b": b, "data": own}


def test_ids_objects_and_provenance(res):
    assert all(rid.startswith("data.") for rid in res)
    assert {"data_dictionary", "tables", "event_counts", "calibration", "calibration_summary",
            "calibration_shown", "calibration_not_met"} <= set(res.objects)
    assert res["data.patients"].provenance == res["data.analyzed"].provenance == "by construction"
    # MELD is forced to Table 1 through its formula (the generator's components)
    assert res["data.meld.mean.control"].provenance == "by construction"
    # the MELD formula ranges are derived from published numbers alone
    assert {rid for rid, r in res.items() if r.provenance == "published" and rid.startswith("data.meld")} == {
        f"data.meld.published_mean.{a}" for a in ARMS} | {rid for rid in res if rid.startswith("data.meld_formula.")}
    assert list(res.objects["calibration_shown"].columns) == list(data.CALIBRATION_COLUMNS)


def test_selection_and_counts(trial, published, others):
    res = data.compute(trial, published, others=others)
    t = res.objects["calibration"]
    assert list(t["id"]) == ["a.n", "a.m", "t1.meld.mean", "x.cox.hr", "y.cox.hr", "b.none"]
    assert list(t["status"]) == ["agrees", "differs", "differs", "agrees", "differs", "not computable"]
    assert t.loc[t["id"] == "a.n", "value"].item() == 10 and isinstance(t.loc[0, "value"], int)
    assert list(t["tolerance"]) == ["within 0.5", "within 0.5", "within 0.05", "|log ratio| <= 0.1, limits too",
                                    "|log ratio| <= 0.1, limits too", "within 0.5"]
    v = {rid.removeprefix("data.calibration."): r.value for rid, r in res.items() if rid.startswith("data.calibration.")}
    assert (v["n"], v["met"]) == (6, 2)
    assert (v["exact.n"], v["exact.met"]) == (3, 1)  # a.n, a.m, b.none: by construction, hazard ratios apart
    assert (v["hr.n"], v["hr.met"]) == (2, 1)  # y.cox.hr: the estimate agrees, not its limits
    assert v["hr.max_log_distance"] == pytest.approx(abs(np.log(1.1 / 1.2)))
    summary = res.objects["calibration_summary"].set_index("chapter")
    assert list(summary.columns) == ["results", *STATUSES]
    assert summary.loc["a"].tolist() == [3, 1, 2, 0, 0] and summary.loc["b"].tolist() == [3, 1, 1, 0, 1]
    assert list(res.objects["calibration_not_met"]["id"]) == ["a.m", "t1.meld.mean", "y.cox.hr", "b.none"]
    # real data: every result with a published value, but the quotes and the paper's own checks
    real = {name: ChapterResults(name, synthetic=False) for name in ("a",)}
    real["a"].add("a.n", "N", 10, published=10, provenance="by construction")
    real["a"].add("a.p", "p", 0.2, published=0.05, unit="p")
    real["a"].add("a.quote", "Quoted", 3, published=3, provenance="published")
    real["a"].add("consistency.x", "Paper vs paper", 1.0, published=1.0)
    real["a"].add("a.hr", "HR", None, published=2.0, tolerance=Tolerance("log_ratio", 0.1))
    assert list(data.calibration_table(real, synthetic=False)["id"]) == ["a.n", "a.p", "a.hr"]


def test_calibration_table_is_the_other_chapters_results(results, res):
    """Every row is another chapter's result as the ledger has it, and every result the cohort is built
    to reproduce with a published value is a row."""
    others = {name: ch for name, ch in results.items() if name not in SUMMARIES}
    t = res.objects["calibration"]
    for row in t.itertuples():
        r = others[row.chapter][row.id]
        assert (row.value, row.published, row.status, row.provenance, row.label) == (
            r.value, r.published, r.status, r.provenance, r.label), row.id
    want = [r.id for ch in others.values() for r in ch.values() if r.published is not None
            and r.provenance in ("by construction", "assumed") and not r.id.startswith("consistency.")]
    assert list(t["id"]) == want
    assert res["data.calibration.n"].value == len(t)
    assert res["data.calibration.met"].value == (t["status"] == "agrees").sum()
    hr = t["id"].str.endswith(".hr")
    exact = (t["provenance"] == "by construction") & ~hr
    assert res["data.calibration.exact.n"].value == exact.sum()
    assert res["data.calibration.exact.met"].value == (exact & (t["status"] == "agrees")).sum()
    assert res["data.calibration.hr.met"].value == (hr & (t["status"] == "agrees")).sum()
    assert res["data.calibration.hr.max_log_distance"].value == pytest.approx(
        np.abs(np.log(t.loc[hr, "value"].astype(float) / t.loc[hr, "published"].astype(float))).max())
    summary = res.objects["calibration_summary"]
    assert summary["results"].sum() == len(t) and summary["agrees"].sum() == res["data.calibration.met"].value
    assert list(summary["chapter"]) == [c for c in others if c in set(t["chapter"])]


def test_page_call_equals_the_ledger(trial, published, res):
    """data.compute alone (the page's one call) gives what the ledger has."""
    alone = data.compute(trial, published)
    assert alone.glue_values() == res.glue_values()
    assert alone.objects["calibration"].equals(res.objects["calibration"])


def test_values_equal_the_functions_output(res, results, trial, published):
    assert res["data.patients"].value == len(trial.patients) and res["data.patients"].status == "agrees"
    assert res["data.analyzed"].value == len(trial.analyzed)
    assert res["data.digest_short"].value == content_digest(trial)[:16]
    counts = derive_event_counts(published)
    for a in ARMS:
        assert res[f"data.implied_deaths.{a}"].value == counts.loc["os.cox", f"events_{a}"]
        x = trial.analyzed.loc[trial.analyzed["arm"] == a, "meld"]
        assert res[f"data.meld.mean.{a}"].value == pytest.approx(x.mean())
        assert res[f"data.meld.mean.{a}"].value == results["baseline"][f"baseline.meld.mean.{a}"].value
        assert res[f"data.meld.published_mean.{a}"].value == published.table1_row("meld").arm(a)["mean"]
        assert res[f"data.meld.mean.{a}"].published is None  # compared under baseline.meld.mean.<arm>
    assert res["data.optional.absent"].value == 0


def test_synthetic_cohort_meets_what_it_is_built_to(res):
    assert res["data.calibration.exact.n"].value > 60
    assert res["data.calibration.exact.met"].value == res["data.calibration.exact.n"].value
    assert res["data.calibration.hr.n"].value == 6
    assert res["data.calibration.hr.max_log_distance"].value <= HR_LOG_TOLERANCE
    # a hazard ratio that does not agree misses on its interval only (the early HCC window: issue 16)
    t = res.objects["calibration_not_met"]
    assert set(t["id"]) <= {"hcc.landmark8.early.hr"} | {i for i in t["id"] if i.startswith("baseline.meld")}


def test_data_without_the_optional_tables(leukemia):
    """patients.csv only, no baseline columns: absent parts are counted, MELD is not computable."""
    assert leukemia["data.optional.absent"].value == leukemia["data.optional.n"].value
    assert "labs" in leukemia["data.optional.absent"].note
    tables = leukemia.objects["tables"].set_index("table")
    assert tables.loc["labs.csv", "present"] == "no" and tables["rows"].isna().sum() == 3
    for a in ARMS:
        r = leukemia[f"data.meld.mean.{a}"]
        assert r.value is None and r.status == "not computable" and r.note
    # real data: nothing by construction or assumed; the table holds the results with a published value
    assert {r.provenance for r in leukemia.values()} == {"computed", "published"}
    t = leukemia.objects["calibration"]
    assert set(t["provenance"]) == {"computed"} and t["published"].notna().all()
    assert leukemia["data.calibration.exact.n"].value == 0
    assert "os.cox.p" in set(t["id"]) and not t["id"].str.startswith("consistency.").any()
    assert leukemia["data.calibration.n"].value == len(t)


def test_meld_formula_ranges(res, published):
    """Only the Kamath formula without bounds reaches the published mean MELD in both arms; UNOS's bounds put
    the control arm's mean above it; MELD-Na is not computable (no sodium)."""
    from analysis.toolkit.meld import MELD_VARIANTS

    t = data.meld_formulas(published).set_index("variant")
    assert list(t.index) == list(MELD_VARIANTS)
    assert res["data.meld_formula.n_achievable"].value == 1
    assert res["data.meld_formula.kamath.achievable"].value == 1
    for v in ("unos", "unos_unrounded", "kamath_no_etiology", "unos_no_etiology", "malinchoc", "kamath_si_units"):
        assert res[f"data.meld_formula.{v}.achievable"].value == 0, v
    assert res["data.meld_formula.meld_na.achievable"].value is None
    assert res["data.meld_formula.n"].value == len(MELD_VARIANTS) - 1
    pub_control = published.table1_row("meld").control["mean"]
    assert res["data.meld_formula.unos.mean_low.control"].value > pub_control + 0.05  # beyond the rounding
    assert res["data.meld_formula.kamath.mean_low.control"].value < pub_control < res[
        "data.meld_formula.kamath.mean_high.control"].value
    for v in MELD_VARIANTS:  # the displayed table has one row per formula
        assert res[f"data.meld_formula.{v}.achievable"].provenance == "published"
    assert len(res.objects["meld_formulas"]) == len(MELD_VARIANTS)
