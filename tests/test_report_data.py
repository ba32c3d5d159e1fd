"""The Data chapter's results: contents of the folder, calibration counts, implied deaths, MELD."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import load_trial
from analysis.report.chapters import data
from analysis.report.chapters.survival import HR_LOG_TOLERANCE
from analysis.toolkit.schema import ARMS
from analysis.toolkit.warnings import StatisticalWarning
from analysis.trial.calibration import calibration_report
from analysis.trial.data import content_digest
from analysis.trial.synthetic import derive_event_counts

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.heavy  # two calibration reports and two event-count searches


@pytest.fixture(scope="module")
def res(trial, published):
    return data.compute(trial, published)


@pytest.fixture(scope="module")
def leukemia(published):
    trial = load_trial(ROOT / "tests" / "datasets" / "leukemia")
    with pytest.warns(StatisticalWarning, match="no hazard ratio"):  # the calibration report's HRs: too few events
        return data.compute(trial, published)


def test_ids_objects_and_provenance(res):
    assert all(rid.startswith("data.") for rid in res)
    assert {"data_dictionary", "tables", "event_counts", "calibration", "calibration_summary",
            "calibration_shown", "calibration_not_met"} <= set(res.objects)
    assert res["data.patients"].provenance == res["data.analyzed"].provenance == "by construction"
    # MELD is not forced to Table 1: it follows from how the generator correlates the labs
    assert res["data.meld.mean.control"].provenance == "assumed"
    assert {rid for rid, r in res.items() if r.provenance == "published"} == {
        f"data.meld.published_mean.{a}" for a in ARMS}


def test_values_equal_the_functions_output(res, trial, published):
    assert res["data.patients"].value == len(trial.patients) and res["data.patients"].status == "agrees"
    assert res["data.analyzed"].value == len(trial.analyzed)
    assert res["data.digest_short"].value == content_digest(trial)[:16]
    counts = derive_event_counts(published)
    for a in ARMS:
        assert res[f"data.implied_deaths.{a}"].value == counts.loc["os.cox", f"events_{a}"]
        x = trial.analyzed.loc[trial.analyzed["arm"] == a, "meld"]
        assert res[f"data.meld.mean.{a}"].value == pytest.approx(x.mean())
        assert res[f"data.meld.published_mean.{a}"].value == published.table1_row("meld").arm(a)["mean"]
        assert res[f"data.meld.mean.{a}"].published is None  # compared under baseline.meld.mean.<arm>
    rep = calibration_report(trial, published, hr_tolerance=HR_LOG_TOLERANCE)
    hr = rep[rep["group"] == "Hazard ratio"]
    assert res["data.calibration.n"].value == len(rep)
    assert res["data.calibration.met"].value == rep["within"].sum()
    assert res["data.calibration.exact.met"].value == rep.loc[rep["kind"] == "exact", "within"].sum()
    assert res["data.calibration.hr.met"].value == hr["within"].sum()
    assert res["data.calibration.hr.max_log_distance"].value == pytest.approx(
        np.abs(np.log(hr["cohort"] / hr["published"])).max())
    summary = res.objects["calibration_summary"]
    assert summary["aggregates"].sum() == len(rep) and summary["met"].sum() == rep["within"].sum()
    assert res["data.optional.absent"].value == 0


def test_synthetic_cohort_meets_what_it_is_built_to(res):
    assert res["data.calibration.exact.met"].value == res["data.calibration.exact.n"].value
    assert res["data.calibration.hr.met"].value == res["data.calibration.hr.n"].value
    assert res["data.calibration.hr.max_log_distance"].value <= HR_LOG_TOLERANCE


def test_data_without_the_optional_tables(leukemia):
    """patients.csv only, no baseline columns: absent parts are counted, MELD is not computable."""
    assert leukemia["data.optional.absent"].value == leukemia["data.optional.n"].value
    assert "labs" in leukemia["data.optional.absent"].note
    tables = leukemia.objects["tables"].set_index("table")
    assert tables.loc["labs.csv", "present"] == "no" and tables["rows"].isna().sum() == 3
    for a in ARMS:
        r = leukemia[f"data.meld.mean.{a}"]
        assert r.value is None and r.status == "not computable" and r.note
    # real data: nothing by construction or assumed
    assert {r.provenance for r in leukemia.values()} == {"computed", "published"}
