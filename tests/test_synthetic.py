"""The synthetic cohort: reproducible, calibrated, clinically plausible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import load_trial
from analysis.trial.calibration import calibration_report
from analysis.trial.paths import default_data_dir
from analysis.trial.synthetic import SyntheticParameters, derive_event_counts, generate, meld_score, write_cohort

# Runs in make test's second process, to balance the two (still part of make check).
pytestmark = pytest.mark.heavy


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("fresh") / "cohort"
    write_cohort(out, SyntheticParameters())
    return out


def test_committed_cohort_equals_fresh_generation(fresh):
    committed = sorted(p.name for p in default_data_dir().iterdir())
    assert committed == sorted(p.name for p in fresh.iterdir())
    for name in committed:
        assert (default_data_dir() / name).read_bytes() == (fresh / name).read_bytes(), name


def test_other_seed_gives_other_cohort():
    a = generate(SyntheticParameters(seed=1, calibration_draws=20))["patients"]
    b = generate(SyntheticParameters(seed=2, calibration_draws=20))["patients"]
    assert not a.equals(b)


@pytest.fixture(scope="module")
def report(trial, published):
    return calibration_report(trial, published)


def test_everything_exact_is_exact(report):
    exact = report[report["kind"] == "exact"]
    assert len(exact) > 60
    bad = exact[~exact["within"]]
    assert bad.empty, bad.to_string()


def test_six_hazard_ratios_within_ten_percent(report):
    hr = report[report["group"] == "Hazard ratio"]
    assert len(hr) == 6
    dev = np.abs(np.log(hr["cohort"] / hr["published"]))
    assert (dev <= 0.10).all(), hr.to_string()


def test_meld_gap_is_reported_not_hidden(report):
    meld = report[report["quantity"].str.startswith("meld") | report["quantity"].str.startswith("MELD")]
    assert set(meld["kind"]) == {"computed"}
    assert meld["cohort"].notna().all()


def test_calibration_report_flags_a_broken_cohort(trial_dir, published):
    """Swapping the arm labels inverts every HR and breaks the per-arm counts: the report must say so."""
    p = pd.read_csv(trial_dir / "patients.csv", dtype=str, keep_default_na=False)
    p["arm"] = p["arm"].map({"control": "ucmsc", "ucmsc": "control"})
    p.to_csv(trial_dir / "patients.csv", index=False)
    r = calibration_report(load_trial(trial_dir), published)
    hr = r[r["group"] == "Hazard ratio"].set_index("quantity")
    assert not hr.loc[["os.cox HR", "os.landmark13.late HR", "hcc.cox HR"], "within"].any()
    assert not r.loc[(r["group"] == "CONSORT") & (r["quantity"] == "analyzed"), "within"].any()


def test_event_counts_follow_ci_widths(published):
    """Var(log HR) ~ 1/d1 + 1/d2: the implied SE is within 10% of the published CI's."""
    c = derive_event_counts(published)
    assert ((c["se_implied"] / c["se_published"] - 1).abs() < 0.10).all(), c.to_string()
    # Windows add up to the whole.
    for arm in ("control", "ucmsc"):
        col = f"events_{arm}"
        assert c.loc["os.landmark13.early", col] + c.loc["os.landmark13.late", col] == c.loc["os.cox", col]
        assert c.loc["hcc.landmark8.early", col] + c.loc["hcc.landmark8.late", col] == c.loc["hcc.cox", col]
        assert c.loc["hcc.cox", col] == published.hcc_incidence[arm]["events"]


def test_event_counts_hand_check(published):
    """Hand computation from the printed CI: SE = ln(upper / lower) / (2 z_0.975), z_0.975 = 1.959963984540054."""
    c = derive_event_counts()
    for key, h in published.hazard_ratios.items():
        assert c.loc[key, "se_published"] == pytest.approx(np.log(h.ci_high / h.ci_low) / (2 * 1.959963984540054),
                                                          rel=1e-12)
    # Var(log HR) ~ 1/d1 + 1/d2, by hand for the derived counts
    r = c.loc["os.cox"]
    assert r["se_implied"] == pytest.approx(np.sqrt(1 / r["events_control"] + 1 / r["events_ucmsc"]), rel=1e-12)


@pytest.mark.parametrize(
    "tbil,inr,cr,expected",
    [
        # bilirubin 1 mg/dL, INR 1, creatinine 1 mg/dL: the constant only.
        (17.1, 1.0, 88.4, 6.43),
        # bilirubin 2 mg/dL, INR 1.5, creatinine 2 mg/dL (by hand: 3.78*0.693147+11.2*0.405465+9.57*0.693147+6.43).
        (34.2, 1.5, 176.8, 3.78 * np.log(2) + 11.2 * np.log(1.5) + 9.57 * np.log(2) + 6.43),
        # values below 1 are set to 1; creatinine capped at 4 mg/dL.
        (5.0, 0.9, 1000.0, 9.57 * np.log(4) + 6.43),
    ],
)
def test_meld_formula(tbil, inr, cr, expected):
    assert meld_score(np.array([tbil]), np.array([inr]), np.array([cr]))[0] == pytest.approx(expected, rel=1e-12)


def test_meld_is_computed_from_the_labs(trial):
    an = trial.analyzed
    np.testing.assert_allclose(an["meld"], np.round(meld_score(an["tbil"], an["inr"], an["cr"]), 1), atol=1e-9)


def test_clinically_plausible(trial):
    an = trial.analyzed
    for col in ("tp", "alb", "plt", "cr", "alt", "ast", "tbil", "pta", "che", "inr"):
        assert (an[col] > 0).all(), col
    for col in ("tbil", "alt", "plt", "cr"):  # skewed labs are right-skewed
        assert an[col].mean() > an[col].median(), col
    assert an[["inr", "pta"]].corr().iloc[0, 1] < -0.5  # both measure prothrombin time
    assert an["age"].between(18, 65).all()
    assert (an["hcc_months"] <= an["os_months"]).all()


def test_labs_baseline_and_missing_after_death(trial):
    labs, an = trial.labs, trial.analyzed.set_index("patient_id")
    w0 = labs[labs["week"] == 0].pivot(index="patient_id", columns="analyte", values="value")
    for a in ("alb", "pta", "che", "tbil"):
        np.testing.assert_allclose(w0[a], an.loc[w0.index, a])
    later = labs[labs["week"] > 0].merge(an[["os_months"]], left_on="patient_id", right_index=True)
    assert (later["os_months"] >= later["week"] * 7 / (365.25 / 12)).all()
    assert labs["patient_id"].isin(an.index).all()


def test_fevers(trial, published):
    ae = trial.adverse_events
    fever = ae[ae["term"] == "fever"]
    f = published.adverse_events["fever"]
    arm = trial.patients.set_index("patient_id").loc[fever["patient_id"], "arm"]
    assert (arm == f["arm"]).all() and fever["patient_id"].nunique() == f["patients"]
    assert fever["temperature_c"].between(*f["temperature_c"]).all()
    assert fever["onset_hours_after_infusion"].between(*f["onset_hours_after_infusion"]).all()
    assert (fever["duration_hours"] <= f["resolved_within_hours"]).all()
    assert not ae["term"].isin(["allergy", "rash"]).any()
