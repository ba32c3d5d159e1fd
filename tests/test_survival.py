"""Kaplan-Meier, log-rank, Cox, follow-up, cox.zph and RMST against R's survival package.

Reference values: ``tests/data/survival_<dataset>_reference.json`` made by
``tests/reference/survival_reference.R`` (R 4.2.2, survival 3.5-3; versions in
the file's ``meta``) from ``tests/data/survival_<dataset>_input.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from survival_refs import DATASETS, ENDPOINTS, RTOL, arr, assert_curve, endpoint, input_frame, reference

from analysis import load_trial
from analysis.toolkit.survival import (
    HorizonError,
    add_covariates,
    cox_hr,
    endpoint_frame,
    followup,
    hr_models,
    kaplan_meier,
    logrank,
    ph_test,
    rmst,
    window_frame,
)
from analysis.toolkit.warnings import StatisticalWarning

# Runs in make test's second process, to balance the two (still part of make check).
pytestmark = pytest.mark.heavy

CASES = [(ds, ep) for ds in DATASETS for ep in ENDPOINTS]
ARMS = ("control", "ucmsc")


def test_reference_files_record_versions():
    for ds in DATASETS:
        meta = reference(ds)["meta"]
        assert meta["survival"] and meta["cmprsk"] and meta["R"].startswith("R version")


# --------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------
@pytest.mark.parametrize("conf_type,key", [("log-log", "km_loglog"), ("log", "km_log")])
@pytest.mark.parametrize("ds,ep", CASES)
def test_km_table_matches_survfit(ds, ep, conf_type, key):
    """``survfit(Surv(time, event) ~ arm, conf.type = conf_type)``: every row of the fit."""
    km = kaplan_meier(endpoint(ds, ep), conf_type=conf_type)
    for arm in ARMS:
        r = reference(ds)[ep][key]["table"][arm]
        t = km.table[km.table["arm"] == arm]
        np.testing.assert_allclose(t["time"], arr(r["time"]), rtol=RTOL)
        for col, rcol in [("n_risk", "n.risk"), ("n_event", "n.event"), ("n_censor", "n.censor"),
                          ("surv", "surv"), ("std_err", "std.err"), ("ci_low", "lower"), ("ci_high", "upper")]:
            np.testing.assert_allclose(t[col], arr(r[rcol]), rtol=RTOL, equal_nan=True, err_msg=col)
        assert_curve(t["surv"])


@pytest.mark.parametrize("conf_type,key", [("log-log", "km_loglog"), ("log", "km_log")])
@pytest.mark.parametrize("ds,ep", CASES)
def test_km_at_times_and_median_match_summary(ds, ep, conf_type, key):
    """``summary(fit, times = c(12, 24, 36, 48, 60, 75))`` and ``summary(fit)$table`` medians."""
    km = kaplan_meier(endpoint(ds, ep), conf_type=conf_type)
    at = km.at()
    med = km.median().set_index("arm")
    ref = reference(ds)[ep][key]
    for i, arm in enumerate(ARMS):
        r = ref["at"][arm]
        a = at[at["arm"] == arm].set_index("time").loc[arr(r["time"])]
        for col, rcol in [("n_risk", "n_risk"), ("surv", "surv"), ("ci_low", "lower"), ("ci_high", "upper"),
                          ("std_err", "std_err")]:
            np.testing.assert_allclose(a[col], arr(r[rcol]), rtol=RTOL, err_msg=col)
        for col, rcol in [("median", "median"), ("ci_low", "lcl"), ("ci_high", "ucl")]:
            np.testing.assert_allclose(med.loc[arm, col], arr(ref["median"][rcol])[i], rtol=RTOL, equal_nan=True)


@pytest.mark.parametrize("ds,ep", CASES)
def test_km_at_risk_matches_summary_n_risk(ds, ep):
    km = kaplan_meier(endpoint(ds, ep))
    ref = reference(ds)[ep]["km_loglog"]["at"]
    tab = km.at_risk(arr(ref["control"]["time"]))
    for arm in ARMS:
        np.testing.assert_array_equal(tab.loc[arm].to_numpy(float), arr(ref[arm]["n_risk"]))


@pytest.mark.parametrize("ds,ep", CASES)
def test_km_agrees_with_lifelines(ds, ep):
    """Second, independent implementation: lifelines' KaplanMeierFitter (log(-log) interval)."""
    df = endpoint(ds, ep)
    km = kaplan_meier(df)
    for arm in ARMS:
        g = df[df["arm"] == arm]
        kmf = KaplanMeierFitter().fit(g["time"], g["event"])
        t = km.table[km.table["arm"] == arm]
        np.testing.assert_allclose(t["surv"], kmf.survival_function_at_times(t["time"]).to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "y,x,expected",
    [
        ([1.0, 0.8, 0.5, 0.5, 0.2], [1, 2, 3, 4, 5], 4.0),  # flat at exactly 0.5 from 3 to 5: midpoint
        ([1.0, 0.8, 0.4, 0.2], [1, 2, 3, 4], 3.0),  # first drop below 0.5
        ([1.0, 0.8, 0.6], [1, 2, 3], np.nan),  # not reached
    ],
)
def test_median_rule_is_rs(y, x, expected):
    """R's ``survival:::survmean`` rule, by hand."""
    from analysis.toolkit.survival import _r_median

    np.testing.assert_equal(_r_median(np.array(y), np.array(x, float)), expected)


def test_km_late_window_is_conditional_on_landmark():
    """With delayed entry at L, KM from L equals the KM of those at risk at L, re-zeroed (hand check)."""
    ds = DATASETS[0]
    df = endpoint(ds, "os")
    w = window_frame(df, 13.0, 75.0)
    km = kaplan_meier(w)
    re0 = w.assign(time=w["time"] - 13.0).drop(columns="entry")
    km0 = kaplan_meier(re0)
    np.testing.assert_allclose(km.table["surv"], km0.table["surv"], rtol=1e-12)
    assert km.entry == 13.0


# --------------------------------------------------------------------------
# Log-rank
# --------------------------------------------------------------------------
@pytest.mark.parametrize("ds,ep", CASES)
@pytest.mark.parametrize("strata,key", [(None, "survdiff"), ("stratum", "survdiff_strat")])
def test_logrank_matches_survdiff(ds, ep, strata, key):
    """``survdiff(Surv(time, event) ~ arm [+ strata(stratum)])``."""
    res = logrank(endpoint(ds, ep), strata=strata)
    ref = reference(ds)[ep][key]
    np.testing.assert_allclose(res.chisq, ref["chisq"], rtol=RTOL)
    np.testing.assert_allclose([res.observed[a] for a in ARMS], ref["obs"], rtol=RTOL)
    np.testing.assert_allclose([res.expected[a] for a in ARMS], ref["exp"], rtol=RTOL)
    assert res["p"] == res.p  # backward-compatible indexing


# --------------------------------------------------------------------------
# Cox
# --------------------------------------------------------------------------
@pytest.mark.parametrize("ds,ep", CASES)
@pytest.mark.parametrize(
    "key,kwargs",
    [
        ("cox_unadjusted", {}),
        ("cox_stratified", {"strata": ["stratum"]}),
        ("cox_adjusted", {"covariates": ["x1", "x2", "x3"]}),
    ],
)
def test_cox_matches_coxph(ds, ep, key, kwargs):
    """``coxph(Surv(time, event) ~ control [+ strata(stratum) | + x1 + x2 + x3], ties = "efron")``."""
    r = cox_hr(endpoint(ds, ep), **kwargs)
    ref = reference(ds)[ep][key]
    np.testing.assert_allclose(np.log(r.hr), ref["coef"], rtol=RTOL)
    np.testing.assert_allclose(r.se_log_hr, ref["se"], rtol=RTOL)
    np.testing.assert_allclose(r.p, ref["p"], rtol=RTOL)
    np.testing.assert_allclose(np.log([r.ci_low, r.ci_high]), ref["coef"] + np.array([-1, 1]) * 1.959963984540054 * ref["se"], rtol=RTOL)


@pytest.mark.parametrize("ds,ep", CASES)
def test_cox_logrank_p_is_the_matching_logrank(ds, ep):
    df = endpoint(ds, ep)
    ref = reference(ds)[ep]
    from scipy import stats

    assert cox_hr(df).p_logrank == pytest.approx(stats.chi2.sf(ref["survdiff"]["chisq"], 1), rel=RTOL)
    assert cox_hr(df, strata=["stratum"]).p_logrank == pytest.approx(stats.chi2.sf(ref["survdiff_strat"]["chisq"], 1), rel=RTOL)
    assert np.isnan(cox_hr(df, covariates=["x1"]).p_logrank)


def test_direction_inverts_the_hazard_ratio():
    df = endpoint(DATASETS[0], "os")
    a = cox_hr(df)
    b = cox_hr(df, direction="ucmsc_vs_control")
    assert b.hr == pytest.approx(1 / a.hr, rel=1e-8)
    assert (b.ci_low, b.ci_high) == pytest.approx((1 / a.ci_high, 1 / a.ci_low), rel=1e-8)
    assert b.p == pytest.approx(a.p, rel=1e-8)
    assert (b.events_control, b.events_ucmsc) == (a.events_control, a.events_ucmsc)


def test_arm_without_events_warns_and_gives_nan():
    """R's coxph warns 'coefficient may be infinite' here (reference window L = 5 has se > 1000)."""
    ds = "gbsg" if "gbsg" in DATASETS else DATASETS[0]
    assert reference(ds)["os"]["windows"]["5"]["early"]["se"] > 1e3
    with pytest.warns(StatisticalWarning, match="events control"):
        r = cox_hr(endpoint(ds, "os"), end=5.0)
    assert np.isnan(r.hr) and np.isnan(r.p)


def test_hr_models_rows_and_missing_columns():
    df = endpoint(DATASETS[0], "os")
    t = hr_models(df, strata=["stratum"], covariates=["x1", "x2", "x3"])
    assert list(t["model"]) == ["unadjusted", "stratified", "adjusted"]
    ref = reference(DATASETS[0])["os"]
    np.testing.assert_allclose(np.log(t["hr"]), [ref["cox_unadjusted"]["coef"], ref["cox_stratified"]["coef"],
                                                 ref["cox_adjusted"]["coef"]], rtol=RTOL)
    t2 = hr_models(df.drop(columns=["x3"]), strata=["stratum"], covariates=["x1", "x2", "x3"])
    assert np.isnan(t2.loc[2, "hr"]) and "x3" in t2.loc[2, "note"]


# --------------------------------------------------------------------------
# Follow-up
# --------------------------------------------------------------------------
@pytest.mark.parametrize("ds", DATASETS)
def test_followup_matches_reverse_km(ds):
    """``survfit(Surv(os_time_full, 1 - os_event_full) ~ arm)`` and ``tapply(time, arm, median)``."""
    d = input_frame(ds)
    pat = pd.DataFrame({"arm": d["arm"], "os_months": d["os_time_full"], "death": d["os_event_full"],
                        "hcc_months": d["os_time_full"], "hcc": 0})
    fu = followup(pat, protect=False).set_index("arm")
    ref = reference(ds)["followup"]
    np.testing.assert_allclose(fu.loc[list(ARMS), "median_reverse_km"], arr(ref["median_reverse_km"]), rtol=RTOL)
    np.testing.assert_allclose(fu.loc[list(ARMS), "ci_low"], arr(ref["lcl"]), rtol=RTOL, equal_nan=True)
    np.testing.assert_allclose(fu.loc[list(ARMS), "median_simple"], arr(ref["median_simple"]), rtol=RTOL)


# --------------------------------------------------------------------------
# Proportional hazards (cox.zph, survival >= 3.0)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("ds,ep", CASES)
@pytest.mark.parametrize(
    "key,kwargs",
    [
        ("zph_unadjusted", {}),
        ("zph_unadjusted_identity", {"transform": "identity"}),
        ("zph_unadjusted_log", {"transform": "log"}),
        ("zph_unadjusted_rank", {"transform": "rank"}),
        ("zph_stratified", {"strata": ["stratum"]}),
        ("zph_adjusted", {"covariates": ["x1", "x2", "x3"]}),
    ],
)
def test_ph_test_matches_cox_zph(ds, ep, key, kwargs):
    """``cox.zph(coxph(...), transform = ...)$table``."""
    z = ph_test(endpoint(ds, ep), **kwargs)
    ref = reference(ds)[ep][key]
    np.testing.assert_allclose(z.table["chisq"], arr(ref["chisq"]), rtol=RTOL)
    np.testing.assert_allclose(z.table["df"], arr(ref["df"]))
    np.testing.assert_allclose(z.table["p"], arr(ref["p"]), rtol=RTOL)


@pytest.mark.parametrize("ds,ep", CASES)
def test_ph_scaled_residuals_match_cox_zph(ds, ep):
    """``cox.zph(fit)$y``, ``$x`` and ``$time`` (one row per event; order within ties may differ)."""
    z = ph_test(endpoint(ds, ep)).residuals
    ref = reference(ds)[ep]["zph_unadjusted"]
    r = pd.DataFrame({"time": arr(ref["time"]), "x": arr(ref["x"]), "y": arr(ref["y"])})
    mine = z.sort_values(["time", "trt"]).reset_index(drop=True)
    theirs = r.sort_values(["time", "y"]).reset_index(drop=True)
    np.testing.assert_allclose(mine["time"], theirs["time"], rtol=RTOL)
    np.testing.assert_allclose(mine["x"], theirs["x"], rtol=RTOL)
    np.testing.assert_allclose(mine["trt"], theirs["y"], rtol=RTOL)


# --------------------------------------------------------------------------
# RMST
# --------------------------------------------------------------------------
@pytest.mark.parametrize("ds,ep", CASES)
def test_rmst_matches_survfit_rmean(ds, ep):
    """``summary(survfit(Surv(time, event) ~ arm), rmean = 75)$table[, c("rmean", "se(rmean)")]``."""
    res = rmst(endpoint(ds, ep), tau=75.0)
    ref = reference(ds)[ep]["km_loglog"]["rmean"]
    a = res.arms.set_index("arm").loc[list(ARMS)]
    np.testing.assert_allclose(a["rmst"], arr(ref["rmean"]), rtol=RTOL)
    np.testing.assert_allclose(a["se"], arr(ref["se"]), rtol=RTOL)
    diff = ref["rmean"][0] - ref["rmean"][1]
    np.testing.assert_allclose(res.difference, diff, rtol=RTOL)
    np.testing.assert_allclose(res.se, np.hypot(*ref["se"]), rtol=RTOL)


def test_rmst_by_hand():
    """Two arms, no censoring: RMST is the mean of min(T, tau); SE by the Greenwood-type sum."""
    df = pd.DataFrame({"arm": ["control"] * 3 + ["ucmsc"] * 3, "time": [1.0, 2.0, 4.0, 2.0, 3.0, 5.0], "event": 1})
    res = rmst(df, tau=4.0, direction="ucmsc_vs_control")
    a = res.arms.set_index("arm")
    assert a.loc["control", "rmst"] == pytest.approx((1 + 2 + 4) / 3)
    assert a.loc["ucmsc", "rmst"] == pytest.approx((2 + 3 + 4) / 3)
    # control: areas beyond t=1: 2/3*1 + 1/3*2 = 4/3, beyond t=2: 1/3*2 = 2/3; h = 1/(3*2), 1/(2*1)
    se_c = np.sqrt((4 / 3) ** 2 / 6 + (2 / 3) ** 2 / 2)
    assert a.loc["control", "se"] == pytest.approx(se_c)
    assert res.difference == pytest.approx(a.loc["ucmsc", "rmst"] - a.loc["control", "rmst"])


# --------------------------------------------------------------------------
# Endpoint frames and input checks
# --------------------------------------------------------------------------
def test_public_dataset_derives_the_stored_input():
    """The package still derives, from tests/datasets/gbsg, the frame R was given."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    trial = load_trial(root / "tests" / "datasets" / "gbsg")
    d = input_frame("gbsg")
    for ep in ENDPOINTS:
        f = endpoint_frame(trial, ep, 75.0)
        np.testing.assert_allclose(f["time"], d[f"{ep}_time"], rtol=1e-12)
        np.testing.assert_array_equal(f["event"], d[f"{ep}_event"])
        assert f["time"].max() <= 75.0
    full = endpoint_frame(trial, "os", None)
    np.testing.assert_allclose(full["time"], d["os_time_full"], rtol=1e-12)
    cov = add_covariates(trial.analyzed, log=("pnodes",))
    np.testing.assert_allclose(cov["log_pnodes"], d["x1"], rtol=1e-12)


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda df: endpoint_frame(df, "pfs"), ValueError, "endpoint must be one of"),
        (lambda df: endpoint_frame(df, "os", horizon=0), HorizonError, "horizon must be > 0"),
        (lambda df: endpoint_frame(df.drop(columns="death"), "os"), ValueError, "death"),
        (lambda df: endpoint_frame(df.assign(arm="placebo"), "os"), ValueError, "arm"),
        (lambda df: cox_hr(endpoint_frame(df), direction="up"), ValueError, "direction must be one of"),
        (lambda df: cox_hr(endpoint_frame(df), alpha=1.5), ValueError, "alpha must be in"),
        (lambda df: cox_hr(endpoint_frame(df), covariates=["nope"]), ValueError, "nope"),
        (lambda df: kaplan_meier(endpoint_frame(df), conf_type="arcsin"), ValueError, "conf_type"),
        (lambda df: window_frame(endpoint_frame(df), 10, 5), HorizonError, "0 <= start < end"),
        (lambda df: rmst(endpoint_frame(df), tau=200), HorizonError, "exceeds the last follow-up"),
        (lambda df: ph_test(endpoint_frame(df), transform="sqrt"), ValueError, "transform must be"),
        (lambda df: add_covariates(df.assign(tbil=0.0)), ValueError, "'tbil' must be > 0"),
    ],
)
def test_bad_input_is_named(call, exc, match):
    df = pd.DataFrame({"arm": ["control", "ucmsc"] * 3, "os_months": [5.0, 6, 7, 8, 9, 10], "death": [1, 0] * 3,
                       "hcc_months": [5.0, 6, 7, 8, 9, 10], "hcc": 0, "tbil": 10.0})
    with pytest.raises(exc, match=match):
        call(df)


# --------------------------------------------------------------------------
# Figures draw the numbers the functions return
# --------------------------------------------------------------------------
def test_km_plot_at_risk_table_shows_the_returned_numbers():
    import matplotlib.pyplot as plt

    from analysis.report.survival_plots import AT_RISK_TIMES, plot_km

    km = kaplan_meier(endpoint(DATASETS[0], "os"))
    fig = plot_km(km, horizon=75.0)
    table_ax = fig.axes[1]
    drawn = sorted((round(t.get_position()[0], 6), t.get_position()[1], int(t.get_text())) for t in table_ax.texts)
    tab = km.at_risk(AT_RISK_TIMES)
    expected = sorted((round(float(t), 6), i, int(tab.loc[arm, t])) for i, arm in enumerate(km.arms) for t in AT_RISK_TIMES)
    assert drawn == expected
    plt.close(fig)


def test_forest_and_grid_plots_label_every_row():
    import matplotlib.pyplot as plt

    from analysis.toolkit.landmark import landmark_grid
    from analysis.report.survival_plots import plot_forest, plot_landmark_grid

    df = endpoint(DATASETS[0], "os")
    t = hr_models(df, strata=["stratum"], covariates=["x1", "x2", "x3"])
    fig = plot_forest(t)
    assert [x.get_text() for x in fig.axes[0].get_yticklabels()] == list(t["label"])
    plt.close(fig)
    g = landmark_grid(df, [10.0, 13.0])
    fig = plot_landmark_grid(g, 13.0)
    assert any(np.allclose(line.get_xdata(), 13.0) for line in fig.axes[0].get_lines())
    plt.close(fig)


def _late_windows():
    for ds in DATASETS:
        for ep in ENDPOINTS:
            for key, w in reference(ds)[ep]["windows"].items():
                yield ds, ep, key


@pytest.mark.parametrize("ds,ep,key", list(_late_windows()))
def test_ph_test_with_delayed_entry_matches_cox_zph(ds, ep, key):
    """``cox.zph(coxph(Surv(rep(L, n), time, event) ~ control, data = subset(d, time > L)))``."""
    ref = reference(ds)[ep]["windows"][key]
    w = window_frame(endpoint(ds, ep), float(ref["landmark"]), 75.0)
    z = ph_test(w)
    np.testing.assert_allclose(z.table["chisq"], arr(ref["zph_late"]["chisq"]), rtol=RTOL)


# --------------------------------------------------------------------------
# Degenerate data (issue 11): NaN with a StatisticalWarning, as R refuses an estimate
# --------------------------------------------------------------------------
def test_stratified_cox_with_no_events_of_one_arm_in_informative_strata():
    """R: ``coxph(Surv(time, event) ~ arm + strata(s))`` warns "coefficient may be infinite"."""
    from analysis.toolkit.warnings import StatisticalWarning

    df = pd.DataFrame({"arm": ["control"] * 8 + ["ucmsc"] * 4, "time": [1, 2, 3, 4, 5, 6, 7, 8, 2, 3, 4, 9.],
                       "event": [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0], "s": ["hi"] * 4 + ["lo"] * 8})
    with pytest.warns(StatisticalWarning, match="infinite"):
        r = cox_hr(df, strata=["s"])
    assert np.isnan([r.hr, r.ci_low, r.ci_high, r.p]).all()


def test_strata_that_separate_the_arms_give_no_hazard_ratio():
    """R: the arm coefficient is NA when no stratum holds both arms."""
    from analysis.toolkit.warnings import StatisticalWarning

    df = pd.DataFrame({"arm": ["control"] * 4 + ["ucmsc"] * 3, "time": [1, 2, 3, 5, 2, 4, 6.],
                       "event": [1, 1, 0, 1, 1, 1, 0], "s": list("aaaabbb")})
    with pytest.warns(StatisticalWarning, match="separate the arms"):
        r = cox_hr(df, strata=["s"])
    assert np.isnan([r.hr, r.ci_low, r.ci_high, r.p]).all()


def test_logrank_p_is_given_when_one_arm_has_no_events():
    """R: ``survdiff(Surv(time, event) ~ arm)`` gives p = 3.4e-4 on data where the Cox estimate is
    infinite; the hazard ratio is NaN (with a warning) but the log-rank p is defined."""
    df = pd.DataFrame({"arm": ["control"] * 8 + ["ucmsc"] * 8,
                       "time": [1, 2, 3, 4, 5, 6, 7, 8] + [2, 3, 4, 5, 6, 7, 8, 9.],
                       "event": [1] * 8 + [0] * 8})
    with pytest.warns(StatisticalWarning, match="infinite"):
        r = cox_hr(df)
    assert np.isnan(r.hr)
    # by hand: at each control death t = 1..8, n1 = 9 - t controls and 10 - max(t, 2) UC-MSC
    # patients (censored at 2..9) are at risk; one death each, so the variance term is e(1 - e)
    o = 8.0
    share = [(9 - t) / ((9 - t) + (10 - max(t, 2))) for t in range(1, 9)]
    e = sum(share)
    v = sum(q * (1 - q) for q in share)
    from scipy import stats
    assert r.p_logrank == pytest.approx(stats.chi2.sf((o - e) ** 2 / v, 1), rel=1e-12)
    assert r.p_logrank == pytest.approx(logrank(df).p, rel=1e-12)


def test_ph_test_with_an_arm_without_events_is_nan_with_a_warning():
    df = pd.DataFrame({"arm": ["control"] * 6 + ["ucmsc"] * 6, "time": [1, 2, 3, 4, 5, 6.] * 2,
                       "event": [1, 1, 0, 1, 1, 0] + [0] * 6, "x": [0.3, 1.2, 0.8, 2.0, 1.1, 0.5] * 2})
    with pytest.warns(StatisticalWarning, match="no events"):
        z = ph_test(df, covariates=["x"], transform="identity")
    assert z.table["chisq"].isna().all() and z.table["p"].isna().all()
