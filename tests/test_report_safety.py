"""The safety chapter's results, computed without building the book: ids and glue keys, the ledger's
``ae.fever.ucmsc`` as the ledger defined it, provenance (statements true by construction, serious
complications assumed), values equal to the toolkit's, the small-cell rule on real data, and a dataset
without adverse_events.csv."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from analysis.report.chapters import safety
from analysis.toolkit import safety as sf
from analysis.toolkit.agreement import STATUSES
from analysis.toolkit.units import DAYS_PER_WEEK

ROOT = Path(__file__).resolve().parents[1]
SERIOUS = ["ae.serious.patients.control", "ae.serious.patients.ucmsc", "ae.serious.percent.control",
           "ae.serious.percent.ucmsc", "ae.serious.risk_difference", "ae.serious.p"]


@pytest.fixture(scope="module")
def res(trial, published):
    return safety.compute(trial, published)


def test_every_glue_key_of_the_page_is_fed(res):
    """Each number the chapter's prose shows is a result's glue key."""
    text = (ROOT / "book" / "chapters" / "safety.md").read_text()
    assert set(re.findall(r"\{glue:text\}`([^`:]+)", text)) == set(res.glue_values())
    assert all(r.status in STATUSES for r in res.values())


def test_fever_count_is_the_ledgers(res, trial, published):
    """``ae.fever.<arm>``: analysed patients of the published arm with a fever event, as the ledger defined it."""
    f = published.adverse_events["fever"]
    ae, pts = trial.adverse_events, trial.analyzed
    ids = set(pts.loc[pts["arm"] == f["arm"], "patient_id"])
    mine = res[f"ae.fever.{f['arm']}"]
    assert mine.value == ae.loc[(ae["term"] == "fever") & ae["patient_id"].isin(ids), "patient_id"].nunique()
    assert (mine.published, mine.provenance, mine.status) == (f["patients"], "by construction", "agrees")


def test_provenance_on_the_synthetic_cohort_and_on_real_data(res, trial, published):
    agree = res["safety.statements.agree"]
    assert agree.provenance == "by construction" and "by construction" in agree.note
    assert agree.value == res["safety.statements.n"].value  # every statement, by construction
    for rid in SERIOUS:
        assert res[rid].provenance == "assumed" and "complication_risk" in res[rid].note, rid
    for rid in ("safety.hcc.events.control", "safety.hcc.events.ucmsc", "safety.exposed.control"):
        assert (res[rid].provenance, res[rid].status) == ("by construction", "agrees"), rid
    real = safety.compute(replace(trial, synthetic=False), published)
    assert {r.provenance for r in real.values()} <= {"computed", "published"}
    assert "by construction" not in real["safety.statements.agree"].note
    for rid in SERIOUS:
        assert "complication_risk" not in real[rid].note and real[rid].value == res[rid].value, rid


def test_values_are_the_toolkits(res, trial, published):
    st = sf.safety_statements(trial, published)
    assert res["safety.statements.n"].value == len(st)
    assert res["safety.statements.agree"].value == int((st["status"] == "agrees").sum())
    pa, ph = published.adverse_events, published.hcc_incidence
    window = pa["collection_weeks"] * DAYS_PER_WEEK
    ser = sf.ae_by_seriousness(trial, window_days=window).set_index("term").loc["serious"]
    assert res["ae.serious.patients.control"].value == ser["patients_control"]
    assert res["ae.serious.percent.ucmsc"].value == pytest.approx(ser["pct_ucmsc"], rel=1e-12)
    assert res["ae.serious.p"].value == pytest.approx(ser["p_fisher"], rel=1e-12)
    rd = res["ae.serious.risk_difference"]
    assert (rd.value, rd.ci_low, rd.ci_high) == pytest.approx(
        (100 * ser["risk_diff"], 100 * ser["ci_low"], 100 * ser["ci_high"]), rel=1e-12)
    assert rd.direction == "UC-MSC minus control"
    fev = sf.infusion_reactions(trial).query("term == 'fever'")
    assert res["ae.infusion_fever.onset_hours.min"].value == fev["onset_min"].min()
    assert res["ae.infusion_fever.duration_hours.max"].value == fev["duration_max"].max()
    h = sf.hcc_incidence(trial, horizon=ph["horizon_months"], published=ph).set_index("source")
    for src, rid in (("cohort", "safety.hcc.risk_difference"), ("published", "safety.hcc.published_counts.risk_difference")):
        r = res[rid]
        assert (r.value, r.ci_low, r.ci_high) == pytest.approx(
            (100 * h.loc[src, "risk_diff"], 100 * h.loc[src, "ci_low"], 100 * h.loc[src, "ci_high"]), rel=1e-12)
    assert res["safety.hcc.published_counts.chisq.p"].value == pytest.approx(h.loc["published", "p_chisq"], rel=1e-12)
    assert res["safety.hcc.events.ucmsc"].value == h.loc["cohort", "events_ucmsc"]
    assert res["ae.absent.none_ucmsc"].published == len(pa["absent_terms"])
    assert list(res.objects["statements_table"].columns) == ["statement", "published", "cohort", "status"]


def test_small_cell_rule_on_real_data(trial, published):
    """On real data the fever times are the protected ones (rounded outwards), never a patient's value."""
    real = replace(trial, synthetic=False)
    res = safety.compute(real, published)
    fev = sf.infusion_reactions(real).query("term == 'fever'")
    for rid, col, how in (("ae.infusion_fever.onset_hours.min", "onset_min", "min"),
                          ("ae.infusion_fever.duration_hours.max", "duration_max", "max")):
        v = res[rid].value
        assert v == getattr(fev[col], how)() and v == int(v) and "small-cell" in res[rid].note, rid
    exact = sf.infusion_reactions(trial, protect=False).query("term == 'fever'")
    assert res["ae.infusion_fever.onset_hours.min"].value <= exact["onset_min"].min()
    assert res["ae.infusion_fever.duration_hours.max"].value >= exact["duration_max"].max()


def test_without_adverse_events(trial, published):
    res = safety.compute(replace(trial, adverse_events=None, synthetic=False), published)
    assert res["safety.statements.n"].value == 2 and "adverse_events.csv" in res["safety.statements.n"].note
    for rid, r in res.items():
        if rid.startswith("ae."):
            assert r.value is None and r.status == "not computable" and "adverse_events.csv" in r.note, rid
    assert res["safety.hcc.events.control"].value is not None and "hcc" in res.objects
    assert "by_term" not in res.objects
