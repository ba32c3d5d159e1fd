"""Landmark windows, the landmark grid and time-varying treatment effects against R's survival.

Reference values: ``tests/data/survival_<dataset>_reference.json`` (``windows``,
``tt``, ``piecewise`` of each endpoint), made by
``tests/reference/survival_reference.R``::

    coxph(Surv(pmin(time, L), event * (time <= L)) ~ control, ties = "efron")     # early
    coxph(Surv(rep(L, n), time, event) ~ control, data = subset(d, time > L))     # late
    survdiff(Surv(time - L, event) ~ arm, data = subset(d, time > L))             # late log-rank
    coxph(Surv(time, event) ~ control + tt(control), tt = function(x, t, ...) x * log(t))
    coxph(Surv(tstart, time, event) ~ c_early + c_late, data = survSplit(..., cut = L))
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from survival_refs import DATASETS, ENDPOINTS, RTOL, endpoint, reference

from analysis import load_published
from analysis.toolkit.landmark import landmark_grid, landmark_windows, time_varying_test
from analysis.trial.paper import landmark_comparison
from analysis.toolkit.survival import HorizonError

# Runs in make test's second process, to balance the two (still part of make check).
pytestmark = pytest.mark.heavy

LANDMARKS = {"os": 13.0, "hcc": 8.0}
CASES = [(ds, ep) for ds in DATASETS for ep in ENDPOINTS]


def _window_cases():
    for ds in DATASETS:
        for ep in ENDPOINTS:
            for key in reference(ds)[ep]["windows"]:
                if reference(ds)[ep]["windows"][key]["early"]["se"] < 1e3:  # R's infinite estimates are skipped
                    yield ds, ep, key


@pytest.mark.parametrize("ds,ep,key", list(_window_cases()))
def test_landmark_windows_match_coxph_and_survdiff(ds, ep, key):
    ref = reference(ds)[ep]["windows"][key]
    w = landmark_windows(endpoint(ds, ep), float(ref["landmark"])).set_index("window")
    for win in ("early", "late"):
        r = ref[win]
        np.testing.assert_allclose(np.log(w.loc[win, "hr"]), r["coef"], rtol=RTOL)
        np.testing.assert_allclose(w.loc[win, "p"], r["p"], rtol=RTOL)
        np.testing.assert_allclose(w.loc[win, "p_logrank"], stats.chi2.sf(r["logrank_chisq"], 1), rtol=RTOL)
        se = (np.log(w.loc[win, "ci_high"]) - np.log(w.loc[win, "ci_low"])) / (2 * stats.norm.ppf(0.975))
        np.testing.assert_allclose(se, r["se"], rtol=RTOL)
    assert w.loc["late", "n_control"] + w.loc["late", "n_ucmsc"] == ref["late"]["n"]


@pytest.mark.parametrize("ds,ep", CASES)
def test_treatment_by_log_time_matches_coxph_tt(ds, ep):
    res = time_varying_test(endpoint(ds, ep), kind="log")
    ref = reference(ds)[ep]["tt"]
    np.testing.assert_allclose(res.coef["coef"], ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(res.coef["se"], ref["se"], rtol=RTOL)
    np.testing.assert_allclose(res.p_interaction, 2 * stats.norm.sf(abs(ref["coef"][1] / ref["se"][1])), rtol=RTOL)


@pytest.mark.parametrize("ds,ep", CASES)
def test_piecewise_model_matches_survsplit_and_equals_landmark_windows(ds, ep):
    L = LANDMARKS[ep]
    df = endpoint(ds, ep)
    res = time_varying_test(df, kind="piecewise", landmark=L)
    ref = reference(ds)[ep]["piecewise"]
    np.testing.assert_allclose(res.coef["coef"], ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(res.coef["se"], ref["se"], rtol=RTOL)
    np.testing.assert_allclose(res.p_interaction, ref["p_interaction"], rtol=RTOL)
    # the partial likelihood factorises at L: the two HRs are the landmark windows' HRs
    w = landmark_windows(df, L).set_index("window")
    np.testing.assert_allclose(res.coef["hr"], w.loc[["early", "late"], "hr"], rtol=1e-6)


def test_grid_reproduces_single_windows_and_notes_empty_arms():
    ds = "gbsg" if "gbsg" in DATASETS else DATASETS[0]
    df = endpoint(ds, "os")
    g = landmark_grid(df, landmarks=[5.0, 13.0])
    late13 = g[(g["landmark"] == 13.0) & (g["window"] == "late")].iloc[0]
    np.testing.assert_allclose(np.log(late13["hr"]), reference(ds)["os"]["windows"]["13"]["late"]["coef"], rtol=RTOL)
    early5 = g[(g["landmark"] == 5.0) & (g["window"] == "early")].iloc[0]
    assert reference(ds)["os"]["windows"]["5"]["early"]["se"] > 1e3  # R: infinite coefficient
    assert np.isnan(early5["hr"]) and "events control" in early5["note"]


def test_landmark_comparison_has_every_published_hr():
    """All six published HRs get a cohort counterpart; the ratio column is cohort / published."""
    from pathlib import Path

    from analysis import load_trial

    pub = load_published()
    trial = load_trial(Path(__file__).resolve().parents[1] / "tests" / "datasets" / "gbsg")
    t = landmark_comparison(trial, pub)
    assert set(t.index) == set(pub.hazard_ratios)
    np.testing.assert_allclose(t["hr_ratio"], t["hr"] / t["hr_published"])
    for key, h in pub.hazard_ratios.items():
        assert t.loc[key, "hr_published"] == h.hr
        assert (t.loc[key, "start"], t.loc[key, "end"]) == h.window
    with pytest.raises(ValueError, match="published convention"):
        landmark_comparison(trial, pub, direction="ucmsc_vs_control")


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda d: landmark_windows(d, 0.0), HorizonError, "0 < landmark < horizon"),
        (lambda d: landmark_windows(d, 80.0), HorizonError, "0 < landmark < horizon"),
        (lambda d: landmark_grid(d, [100.0]), HorizonError, "landmarks must lie"),
        (lambda d: time_varying_test(d, kind="spline"), ValueError, "kind must be"),
        (lambda d: time_varying_test(d, kind="piecewise"), HorizonError, "landmark"),
    ],
)
def test_bad_input_is_named(call, exc, match):
    d = pd.DataFrame({"arm": ["control", "ucmsc"] * 4, "time": [1.0, 2, 3, 4, 5, 6, 7, 8], "event": 1})
    with pytest.raises(exc, match=match):
        call(d)


def test_grid_summary_by_hand():
    from analysis.toolkit.landmark import grid_summary

    g = pd.DataFrame({"landmark": [3.0, 3.0, 6.0, 6.0, 9.0, 9.0], "window": ["early", "late"] * 3,
                      "hr": [np.nan, 2.0, 1.0, 3.0, 1.0, 4.0], "p": [np.nan, 0.2, 0.9, 0.04, 0.8, 0.01]})
    s = grid_summary(g)
    assert (s["n"], s["hr_min"], s["hr_max"], s["p_min"], s["p_max"], s["n_significant"]) == (3, 2.0, 4.0, 0.01, 0.2, 2)
    assert grid_summary(g, window="early")["n"] == 2
    with pytest.raises(ValueError, match="window must be"):
        grid_summary(g, window="overall")


@pytest.mark.parametrize("ds,ep", CASES)
def test_grid_fast_fit_equals_cox_hr(ds, ep):
    """The grid's lean Newton-Raphson gives the lifelines/R estimates (ties included)."""
    df = endpoint(ds, ep)
    g = landmark_grid(df, [6.0, 24.0]).set_index(["landmark", "window"])
    for L in (6.0, 24.0):
        w = landmark_windows(df, L).set_index("window")
        for win in ("early", "late"):
            for col in ("hr", "ci_low", "ci_high", "p", "p_logrank", "events_control", "n_ucmsc"):
                np.testing.assert_allclose(g.loc[(L, win), col], w.loc[win, col], rtol=1e-8, err_msg=f"{L} {win} {col}")


@pytest.mark.parametrize("kind,landmark", [("piecewise", 8.0), ("log", None)])
def test_time_varying_test_with_an_arm_empty_in_a_piece(kind, landmark):
    """No UC-MSC event before 8 months (or none at all): NaN with a warning, not a LinAlgError."""
    from analysis.toolkit.landmark import time_varying_test
    from analysis.toolkit.warnings import StatisticalWarning

    ctrl_t = [1, 2, 3, 9, 12, 15, 20, 25.]
    ucmsc_t = [10, 14, 18, 22, 26, 30, 5, 6.] if kind == "piecewise" else [10, 14, 18, 22, 26, 30, 5, 6.]
    df = pd.DataFrame({"arm": ["control"] * 8 + ["ucmsc"] * 8, "time": ctrl_t + ucmsc_t,
                       "event": [1] * 8 + ([1, 1, 1, 0, 0, 0, 0, 0] if kind == "piecewise" else [0] * 8)})
    with pytest.warns(StatisticalWarning, match="no events"):
        r = time_varying_test(df, kind=kind, landmark=landmark)
    assert np.isnan(r.p_interaction) and r.coef["hr"].isna().all()


def test_time_varying_log_model_needs_no_episode_split():
    """The log-time model is fitted from per-arm numbers at risk (no split into patients x event
    times rows): 100,000 patients with about 60,000 distinct event times (a split of billions of
    rows) in well under a second, and the same fit as on the same data given in a different order."""
    import time

    from analysis.toolkit.landmark import time_varying_test

    rng = np.random.default_rng(3)
    n = 100_000
    arm = np.where(rng.random(n) < 0.5, "control", "ucmsc")
    t = np.round(rng.exponential(np.where(arm == "control", 30.0, 40.0)), 3) + 0.001
    df = pd.DataFrame({"arm": arm, "time": np.minimum(t, 75.0), "event": (t < 75.0).astype(int)})
    t0 = time.perf_counter()
    r = time_varying_test(df, kind="log")
    assert time.perf_counter() - t0 < 5
    assert np.isfinite(r.p_interaction) and r.coef["hr"].notna().all()
    shuffled = time_varying_test(df.sample(frac=1.0, random_state=1), kind="log")
    np.testing.assert_allclose(shuffled.coef["coef"], r.coef["coef"], rtol=1e-9)
