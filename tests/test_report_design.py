"""The design chapter's results, computed without building the book: ids and glue keys, provenance,
values equal to the toolkit's, the same numbers on every run, and a dataset with only patients.csv."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from analysis import load_trial
from analysis.report.chapters import design
from analysis.toolkit import design as ds
from analysis.toolkit import simulate as sm
from analysis.toolkit.survival import endpoint_frame
from analysis.trial import paper

pytestmark = pytest.mark.heavy  # about 1.2 s per compute (the simulations)

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "chapters" / "design.md"


@pytest.fixture(scope="module")
def res(trial, published):
    return design.compute(trial, published)


@pytest.fixture(scope="module")
def leukemia(published):
    """Freireich's leukemia trial: survival columns only, real data."""
    trial = load_trial(ROOT / "tests" / "datasets" / "leukemia")
    return trial, design.compute(trial, published)


def test_every_key_the_page_glues_is_a_result(res):
    keys = set(re.findall(r"\{glue:text\}`([^`:]+)", PAGE.read_text()))
    assert keys <= set(res.glue_values()), sorted(keys - set(res.glue_values()))
    assert all(r.id.startswith("design.") for r in res.values())


def test_published_plan_is_published(res, published):
    plan = published.sample_size
    for key in ("survival_time_months", "survival_control", "survival_ucmsc", "n_per_arm", "n_per_arm_inflated",
                "accrual_months", "followup_months", "power_at_least", "alpha"):
        r = res[f"design.plan.{key}"]
        assert r.provenance == "published" and r.value == plan[key] == r.published and r.status == "agrees"
    assert res["design.plan.software"].value == plan["software"]
    assert res["design.published.hr_late"].value == published.hazard_ratios["os.landmark13.late"].hr


def test_plan_values_are_the_toolkit_values(res, published):
    plan = published.sample_size
    d_a = paper.paper_design(published, reading="total_duration")
    d_b = paper.paper_design(published, reading="minimum_follow_up")
    r = res["design.plan.hazard_ratio"]
    assert r.provenance == "computed" and r.direction == design.DESIGN_DIRECTION and "published plan" in r.note
    assert r.direction == "control relative to UC-MSC"
    assert r.value == pytest.approx(1 / d_a.hazard_ratio, rel=1e-12) and r.value > 1
    n_total = 2 * plan["n_per_arm"]
    for reading, d in (("total_duration", d_a), ("minimum_follow_up", d_b)):
        hr = ds.detectable_hazard_ratio(d, n_total, power=plan["power_at_least"])
        assert res[f"design.detectable_hr.{reading}"].value == pytest.approx(1 / hr, rel=1e-12)
    for reading, d in (("total_duration", d_a), ("minimum_follow_up", d_b)):
        for method in ds.METHODS:
            ss = ds.sample_size_survival(d, alpha=plan["alpha"], power=plan["power_at_least"], sides=plan["sides"],
                                         method=method)
            assert res[f"design.need.{reading}.{method}.n_per_arm"].value == pytest.approx(ss.n_control, rel=1e-12)
            assert res[f"design.need.{reading}.{method}.events"].value == pytest.approx(ss.events, rel=1e-12)
    pw = ds.power_survival(d_a, 2 * plan["n_per_arm"], alpha=plan["alpha"], sides=plan["sides"], method="freedman")
    assert res["design.power.plan.total_duration.freedman"].value == pytest.approx(pw.power, rel=1e-12)
    ev = ds.expected_events(d_a, 2 * plan["n_per_arm"], [d_a.study_duration])["events"].item()
    assert res["design.power.plan.total_duration.events"].value == pytest.approx(ev, rel=1e-9)
    assert res["design.minimum_follow_up.study_duration"].value == d_b.study_duration


def test_simulations_are_seeded_and_reproducible(res, trial, published):
    plan = published.sample_size
    d_a = paper.paper_design(published)
    sim = sm.simulate_power(d_a, plan["n_per_arm"], plan["n_per_arm"], n_trials=design.N_TRIALS,
                            rng=np.random.default_rng(design.SEED), alpha=plan["alpha"], sides=plan["sides"],
                            progress=False)
    s = sim.summary.set_index("test").loc["logrank"]
    r = res["design.simulation.plan.logrank.power"]
    assert (r.value, r.ci_low, r.ci_high) == (s["power"], s["ci_low"], s["ci_high"])
    again = design.compute(trial, published)
    assert [x.as_json() for x in again.values()] == [x.as_json() for x in res.values()]


def test_reported_effect_power_is_computed_with_its_assumptions_noted(res, published):
    n = published.sample_size["n_per_arm_inflated"]
    for test in ("logrank", "landmark", "rmst"):
        r = res[f"design.reported_effect.power.{test}.n{n}"]
        assert r.provenance == "computed" and "assumptions" in r.note and 0 < r.ci_low <= r.value <= r.ci_high < 1
    miss = res[f"design.reported_effect.miss.logrank.n{n}"].value
    assert miss == pytest.approx(1 - res[f"design.reported_effect.power.logrank.n{n}"].value)
    assert res["design.reported_effect.peto_hr_median"].direction == design.HR_DIRECTION


def test_observed_deaths_by_construction(res, trial, published):
    os_df = endpoint_frame(trial, "os", horizon=published.horizon)
    r = res["design.observed_deaths.total"]
    assert r.provenance == "by construction" and r.value == int(os_df["event"].sum())
    assert res["design.observed_deaths.control"].value + res["design.observed_deaths.ucmsc"].value == r.value


def test_a_dataset_with_only_patients(leukemia, res, published):
    trial, other = leukemia
    os_df = endpoint_frame(trial, "os", horizon=published.horizon)
    r = other["design.observed_deaths.total"]
    assert r.provenance == "computed" and r.value == int(os_df["event"].sum())
    # everything else comes from the published plan: the same on any data
    same = [i for i in res if not i.startswith("design.observed_deaths.")]
    assert all(other[i].value == res[i].value for i in same)
    assert set(other) == set(res)
