"""The synthetic cohort: reproducible, calibrated, clinically plausible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis.trial.synthetic as synthetic
from analysis import load_trial
from analysis.toolkit.survival import cox_hr, endpoint_frame
from analysis.trial.calibration import calibration_report
from analysis.trial.paths import default_data_dir
from analysis.trial.synthetic import (
    STREAMS,
    LabEffects,
    SyntheticParameters,
    derive_event_counts,
    generate,
    meld_score,
    step_rng,
    write_cohort,
)

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


# --- Independent random streams ----------------------------------------------------------------
#: A quick cohort: small calibration searches (the streams, not the calibration, are under test).
_QUICK = dict(calibration_draws=20, calibration_shortlist=4, hcc_draws=5, age_draws=20)
#: What a patient's follow-up and place in the trial consist of; the rest of patients.csv is baseline.
_SURVIVAL_COLUMNS = ["patient_id", "arm", "disposition", "randomized_on", "os_months", "death", "hcc_months", "hcc"]


def _parts(tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """The cohort's tables as written to disk, with patients.csv split into follow-up and baseline."""
    def csv(df: pd.DataFrame) -> bytes:
        return df.to_csv(index=False, lineterminator="\n", float_format="%.10g").encode()

    p = tables["patients"]
    baseline = ["patient_id"] + [c for c in p.columns if c not in _SURVIVAL_COLUMNS]
    return {"survival": csv(p[_SURVIVAL_COLUMNS]), "baseline": csv(p[baseline]),
            **{k: csv(v) for k, v in tables.items() if k != "patients"}}


@pytest.fixture(scope="module")
def quick_parts():
    return _parts(generate(SyntheticParameters(**_QUICK)))


def _assert_only(changed: set[str], before: dict[str, bytes], after: dict[str, bytes]) -> None:
    for name in before:
        if name in changed:
            assert before[name] != after[name], f"{name} should have changed"
        else:
            assert before[name] == after[name], f"{name} changed, but only {sorted(changed)} should have"


@pytest.mark.parametrize(
    "step,changed",
    [
        # (step whose random stream is replaced by another, parts of the cohort that may change)
        ("ages", {"baseline"}),
        ("baseline", {"baseline", "labs"}),  # week-0 labs are the baseline values
        ("pairing", {"baseline", "labs"}),  # which baseline goes with which follow-up
        ("not_analysed", {"baseline"}),
        ("screening", {"screening"}),
        ("labs", {"labs"}),
        ("adverse_events", {"adverse_events"}),
    ],
)
def test_a_step_draws_only_from_its_own_stream(monkeypatch, quick_parts, step, changed):
    """Re-seeding one step's stream changes that step's output and nothing built without it."""
    own = synthetic.step_rng
    monkeypatch.setattr(synthetic, "step_rng", lambda seed, s: own(seed + 1 if s == step else seed, s))
    _assert_only(changed, quick_parts, _parts(generate(SyntheticParameters(**_QUICK))))


@pytest.mark.parametrize(
    "change,changed",
    [
        (dict(lab_effects=LabEffects(missed_visit=0.2)), {"labs"}),
        (dict(complication_risk={"infection": 0.5}), {"adverse_events"}),
        (dict(meld_skew_grid=(1.1,)), {"baseline", "labs"}),
    ],
    ids=["lab effects", "complication risks", "MELD tuning grid"],
)
def test_changing_one_step_leaves_the_others_unchanged(quick_parts, change, changed):
    """A step's parameter changes its own tables; the follow-up, screening log and the other
    tables stay byte-identical (with one shared stream they would all be reshuffled)."""
    _assert_only(changed, quick_parts, _parts(generate(SyntheticParameters(**_QUICK, **change))))


def test_a_step_that_draws_more_disturbs_no_other(monkeypatch, quick_parts):
    """A step's code drawing more numbers (here the labs step) does not shift any other stream."""
    labs = synthetic._labs

    def greedy_labs(rng, pts, eff):
        rng.uniform(size=1000)
        return labs(rng, pts, eff)

    monkeypatch.setattr(synthetic, "_labs", greedy_labs)
    _assert_only({"labs"}, quick_parts, _parts(generate(SyntheticParameters(**_QUICK))))


def test_step_streams():
    keys = list(STREAMS.values())
    assert len(set(keys)) == len(keys), "each step has its own key"
    draw = {s: step_rng(7, s).uniform(size=4) for s in STREAMS}
    np.testing.assert_array_equal(draw["labs"], step_rng(7, "labs").uniform(size=4))  # reproducible
    assert len({d.tobytes() for d in draw.values()}) == len(STREAMS)  # distinct per step
    assert not np.array_equal(draw["labs"], step_rng(8, "labs").uniform(size=4))  # and per seed
    # The documented construction, so the streams can be rebuilt without this package.
    ref = np.random.default_rng(np.random.SeedSequence([7, STREAMS["labs"]])).uniform(size=4)
    np.testing.assert_array_equal(draw["labs"], ref)


@pytest.mark.parametrize("seed,step", [(1, "no such step"), (-1, "labs"), (1.5, "labs"), (True, "labs")])
def test_step_rng_rejects_bad_input(seed, step):
    with pytest.raises(ValueError):
        step_rng(seed, step)


@pytest.mark.parametrize("field_", ["calibration_draws", "calibration_shortlist", "hcc_draws", "age_draws", "seed"])
def test_parameters_reject_bad_counts(field_):
    with pytest.raises(ValueError, match=field_):
        SyntheticParameters(**{field_: -1})


def test_committed_cohort_records_its_streams():
    meta = load_trial(default_data_dir()).meta
    assert meta["random_streams"]["keys"] == dict(STREAMS)
    assert meta["parameters"]["seed"] == SyntheticParameters().seed


def test_calibration_fits_the_reported_cox_model(trial, published):
    """The calibration's hazard ratio in each window is the reported one (toolkit Cox, Efron ties)."""
    for key, h in published.hazard_ratios.items():
        df = endpoint_frame(trial, h.endpoint, horizon=published.horizon)
        reported = cox_hr(df, start=h.window[0], end=h.window[1]).hr
        control = (df["arm"] == "control").to_numpy(float)
        mine = synthetic._window_log_hr(df["time"].to_numpy(float), df["event"].to_numpy(int), control,
                                        h.window[0], h.window[1])
        assert mine == pytest.approx(np.log(reported), abs=1e-10), key


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
