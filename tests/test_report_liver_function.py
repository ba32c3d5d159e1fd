"""The liver-function chapter's results, computed without building the book: ids and glue keys,
provenance (the generator's assumed lab effects are never a finding), values equal to the toolkit's,
and a dataset without labs.csv."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from analysis.report.book import p_text
from analysis.report.chapters import liver_function
from analysis.toolkit import longitudinal as lf
from analysis.toolkit.agreement import STATUSES
from analysis.toolkit.warnings import StatisticalWarning

pytestmark = pytest.mark.heavy

ROOT = Path(__file__).resolve().parents[1]
#: Results whose value on the synthetic cohort follows from the generator's LabEffects.
ASSUMED = ["lf.statements.agrees", "lf.statements.differs.some", "lf.statements.differs.none",
           "lf.statements.vs_control.changed", "lf.statements.vs_control.agrees_adjusted",
           "lf.tbil.week48.difference", "lf.tbil.week48.t_p", "lf.tbil.week48.mmrm_ratio", "lf.tbil.week48.mmrm_p",
           "lf.tbil.week48.mmrm_p_text"]


def _compute(trial, published):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return liver_function.compute(trial, published)


@pytest.fixture(scope="module")
def res(trial, published):
    return _compute(trial, published)


@pytest.fixture(scope="module")
def toolkit(trial, published):
    """The same analyses straight from the toolkit."""
    frame = lf.lab_frame(trial, weeks=published.visits["lab_weeks"])
    paired, between, adjusted = lf.change_from_baseline(frame), lf.between_arm_t(frame), lf.adjusted_effects(frame)
    ev = lf.evaluate_statements(published.liver_function_statements, paired, between, adjusted,
                                alpha=published.sample_size["alpha"])
    return {"frame": frame, "between": between, "adjusted": adjusted, "evaluation": ev}


def test_every_glue_key_of_the_page_is_fed(res):
    """Each number the chapter's prose shows is a result's glue key (figures excepted)."""
    text = (ROOT / "book" / "chapters" / "liver_function.md").read_text()
    keys = set(re.findall(r"\{glue:text\}`([^`:]+)", text))
    assert keys == set(res.glue_values())
    assert all(r.status in STATUSES for r in res.values())


def test_assumed_results_are_marked_on_the_synthetic_cohort(res, trial, published):
    for rid in ASSUMED:
        assert res[rid].provenance == "assumed", rid
        assert "LabEffects" in res[rid].note and "not a finding" in res[rid].note, rid
    assert res["lf.baseline.tbil.mean.control"].provenance == "by construction"
    assert res["lf.baseline.tbil.mean.control"].status == "agrees"  # Table 1's mean, forced by the generator
    assert res["lf.alpha"].provenance == "published" and res["lf.alpha"].value == published.sample_size["alpha"]
    real = _compute(replace(trial, synthetic=False), published)
    for rid in ASSUMED:
        assert real[rid].provenance == "computed" and "LabEffects" not in real[rid].note, rid
        assert real[rid].value == res[rid].value


def test_values_are_the_toolkits(res, toolkit, published):
    ev, between, adjusted = toolkit["evaluation"], toolkit["between"], toolkit["adjusted"]
    assert res["lf.statements.n"].value == len(ev) == len(published.liver_function_statements)
    assert res["lf.statements.agrees"].value == int((ev["status"] == "agrees").sum())
    assert res["lf.statements.differs.some"].value == int((ev["detail"] == "some checks").sum())
    assert res["lf.statements.differs.none"].value == int((ev["detail"] == "no check").sum())
    assert (res["lf.statements.agrees"].value + res["lf.statements.differs.some"].value
            + res["lf.statements.differs.none"].value + res["lf.statements.not_computable"].value) == len(ev)
    vc = ev[ev["comparison"] == "vs_control"]
    assert res["lf.statements.vs_control.n"].value == len(vc)
    assert res["lf.statements.vs_control.agrees_adjusted"].value == int((vc["status_adjusted"] == "agrees").sum())
    last = max(published.visits["lab_weeks"])
    t = between[(between["analyte"] == "tbil") & (between["week"] == last)].iloc[0]
    m = adjusted[(adjusted["analyte"] == "tbil") & (adjusted["week"] == last)].iloc[0]
    d, r = res["lf.tbil.week48.difference"], res["lf.tbil.week48.mmrm_ratio"]
    assert (d.value, d.ci_low, d.ci_high) == pytest.approx((t["estimate"], t["ci_low"], t["ci_high"]), rel=1e-12)
    assert res["lf.tbil.week48.t_p"].value == pytest.approx(t["p"], rel=1e-12)
    assert (r.value, r.ci_low, r.ci_high) == pytest.approx((m["effect"], m["effect_ci_low"], m["effect_ci_high"]),
                                                           rel=1e-9)
    assert r.direction and d.direction
    assert res["lf.tbil.week48.mmrm_p"].value == pytest.approx(m["p"], rel=1e-6, abs=1e-300)
    b0 = between[between["week"] == 0].set_index("analyte")
    assert res["lf.baseline.tbil.p"].value == pytest.approx(b0.loc["tbil", "p"], rel=1e-12)
    assert res["lf.baseline.che.p"].value == pytest.approx(b0.loc["che", "p"], rel=1e-12)
    assert res["lf.patients.n"].value == toolkit["frame"]["patient_id"].nunique()
    assert res["lf.weeks"].value == ", ".join(str(w) for w in published.visits["lab_weeks"][:-1]) + \
        f" and {published.visits['lab_weeks'][-1]}"
    assert set(res.objects) >= {"frame", "status", "described", "paired", "between", "between_change",
                                "adjusted", "ancova", "evaluation", "evaluation_adjusted", "statements"}


def test_without_labs_the_results_are_not_computable(trial, published):
    res = _compute(replace(trial, labs=None, synthetic=False), published)
    assert "frame" not in res.objects and len(res.objects["statements"]) == len(published.liver_function_statements)
    text = "lf.tbil.week48.mmrm_p_text"
    assert res[text].value == p_text(float("nan")) and "labs.csv" in res[text].note  # the prose's text for no p
    for rid, r in res.items():
        if r.provenance == "published":
            assert r.value is not None, rid
        elif rid != text and ".conventions." not in rid:  # the page's levels do not depend on the data
            assert r.value is None and r.status == "not computable" and "labs.csv" in r.note, rid
