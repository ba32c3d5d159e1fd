"""Tests of analysis.toolkit.sensitivity: landmark selection, SIFI, excluded patients, delta-adjusted MI.

Independent references: the per-landmark log-rank of ``analysis.toolkit.simulate`` (itself checked
against R's ``survdiff``), lifelines' ``logrank_test`` for a step-by-step SIFI written from the
definition, Rubin's rules by hand, a piecewise-exponential fit by hand, and the toolkit's
``cox_hr`` (checked against R's ``coxph``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.toolkit import sensitivity as sens
from analysis.toolkit.design import PiecewiseExponential, SurvivalDesign
from analysis.toolkit.simulate import landmark_logrank_statistics, simulate_trials
from analysis.toolkit.survival import cox_hr
from analysis.toolkit.warnings import StatisticalWarning

pytestmark = pytest.mark.heavy  # about 3 s (SIFI checked step by step with lifelines, simulations)

NULL = SurvivalDesign(hazard_control=0.02, hazard_treatment=0.02, accrual_time=24.0, follow_up=36.0)


def _frame(seed: int = 1, n: int = 60, hr: float = 2.0, horizon: float = 60.0) -> pd.DataFrame:
    """A two-arm endpoint frame; the control hazard is ``hr`` times UC-MSC's."""
    rng = np.random.default_rng(seed)
    arm = np.repeat(["control", "ucmsc"], n)
    rate = np.where(arm == "control", 0.03 * hr, 0.03)
    t = rng.exponential(1 / rate)
    c = rng.uniform(20, horizon, 2 * n)
    return pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "arm": arm})


# ---------------------------------------------------------------------------- landmark selection
def test_late_window_p_equals_landmark_logrank_at_every_landmark():
    sim = simulate_trials(NULL, 40, 45, n_trials=30, rng=np.random.default_rng(3), time_unit=1 / 30.4375)
    lms = (0.0, 3.0, 7.5, 12.0, 30.0)
    got = sens._late_window_p(sim.time, sim.event, ~sim.treatment, lms, 50.0)
    for j, L in enumerate(lms):
        ref = landmark_logrank_statistics(sim.time, sim.event, ~sim.treatment, L, 50.0)["p"].to_numpy()
        np.testing.assert_allclose(got[:, j], ref, rtol=1e-10, equal_nan=True)


def test_fixed_landmark_p_is_uniform_under_the_null():
    """Calibration: a landmark fixed in advance rejects at the nominal rate and gives uniform p."""
    r = sens.landmark_selection(NULL, 100, 100, landmarks=range(3, 25), observed_p=0.01, n_trials=2000,
                                rng=np.random.default_rng(2021), fixed_landmark=12.0)
    cal = r.calibration
    assert cal["ks_p"] > 0.001
    k = int(np.sum(r.fixed_p < 0.05))
    assert stats.binomtest(k, r.n_trials, 0.05).pvalue > 0.001
    assert abs(cal["rejection"] - 0.05) < 4 * cal["rejection_mc_se"]


def test_adjusted_p_is_at_least_the_unadjusted():
    r = sens.landmark_selection(NULL, 80, 80, landmarks=range(3, 25), observed_p=0.02, n_trials=1000,
                                rng=np.random.default_rng(5), fixed_landmark=12.0)
    assert np.all(r.min_p <= r.fixed_p + 1e-15)  # the fixed landmark is on the grid
    assert r.adjusted_p >= r.calibration["below_observed"]
    assert r.adjusted_p > r.observed_p  # choosing among 22 landmarks costs something
    assert r.familywise_error > 0.05
    assert r.mc_se == pytest.approx(math.sqrt(r.adjusted_p * (1 - r.adjusted_p) / 1000))
    assert r.ci_low <= r.adjusted_p <= r.ci_high
    assert set(np.unique(r.best_landmark)) <= set(map(float, range(3, 25)))


def test_landmark_selection_is_reproducible():
    kw = dict(landmarks=(6, 12), observed_p=0.05, n_trials=300, chunk_size=128)
    a = sens.landmark_selection(NULL, 50, 50, rng=np.random.default_rng(9), **kw)
    b = sens.landmark_selection(NULL, 50, 50, rng=np.random.default_rng(9), **kw)
    np.testing.assert_array_equal(a.min_p, b.min_p)


def test_null_design_reaches_the_events():
    d = sens.null_design(40, 200, accrual_time=(0.0, 20.0, 80.0), accrual_intensity=(0.025, 0.5 / 60),
                         follow_up=5.0, horizon=75.0, dropout=0.001)
    assert 200 * d.event_probability() == pytest.approx(40, rel=1e-9)
    assert d.hazard_control == d.hazard_treatment
    assert d.hazard_control.hazard(80.0) == 0.0  # nothing after the horizon


@pytest.mark.parametrize("kwargs, match", [
    (dict(design=NULL.with_(hazard_treatment=0.01)), "no treatment effect"),
    (dict(landmarks=()), "landmarks"),
    (dict(observed_p=0.0), "observed_p"),
    (dict(n_trials=0), "n_trials"),
])
def test_landmark_selection_rejects_bad_input(kwargs, match):
    args = dict(design=NULL, landmarks=(6,), observed_p=0.05, n_trials=10)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sens.landmark_selection(args.pop("design"), 20, 20, rng=np.random.default_rng(1), **args)


def test_null_design_rejects_impossible_events():
    with pytest.raises(ValueError, match="events"):
        sens.null_design(50, 40, accrual_time=12.0, follow_up=12.0)


# ---------------------------------------------------------------------------- SIFI
def _sifi_by_definition(df: pd.DataFrame, alpha: float = 0.05) -> int:
    """Step by step with lifelines' log-rank test: flip the longest-followed patient until the conclusion changes."""
    from lifelines.statistics import logrank_test

    d = df.copy()

    def p(d):
        a, b = d[d.arm == "control"], d[d.arm == "ucmsc"]
        return logrank_test(a.time, b.time, a.event, b.event).p_value

    sig = p(d) < alpha
    donor, to = ("ucmsc", "control") if sig else ("control", "ucmsc")
    k = 0
    while (p(d) < alpha) == sig:
        idx = d.index[d.arm == donor]
        i = d.loc[idx].sort_values("time", kind="stable").index[-1]
        d.loc[i, "arm"] = to
        k += 1
    return k if sig else -k


@pytest.mark.parametrize("seed, hr", [(1, 2.5), (2, 3.0), (4, 1.2), (7, 1.0)])
def test_sifi_matches_the_definition_step_by_step(seed, hr):
    df = _frame(seed, n=40, hr=hr)
    r = sens.survival_inferred_fragility(df)
    assert r.index == _sifi_by_definition(df)
    assert (r.p_initial < 0.05) == (r.index > 0)
    assert (r.p_final < 0.05) != (r.p_initial < 0.05)


def test_sifi_size_guard(monkeypatch):
    """Beyond MAX_SIFI_CELLS step-patient cells the index is not computed: None with a warning."""
    from analysis.toolkit.warnings import StatisticalWarning

    df = _frame(1, n=40, hr=2.5)
    monkeypatch.setattr(sens, "MAX_SIFI_CELLS", 10)
    with pytest.warns(StatisticalWarning, match="not computed"):
        r = sens.survival_inferred_fragility(df)
    assert r.index is None and r.p_final is None and 0 < r.p_initial < 1


def test_sifi_on_a_hand_checkable_dataset():
    """Six patients: UC-MSC never dies, control dies early; moving UC-MSC's best survivors weakens it."""
    df = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15.0],
                       "event": [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
                       "arm": ["control"] * 6 + ["ucmsc"] * 6})
    r = sens.survival_inferred_fragility(df)
    assert r.p_initial < 0.05 and r.index > 0
    assert r.path["moved_time"].iloc[1:].tolist() == [15.0, 14.0, 13.0][: r.index]  # longest first
    assert r.index == _sifi_by_definition(df)


def test_sifi_wald_and_negative_index():
    df = _frame(11, n=40, hr=1.4)
    r = sens.survival_inferred_fragility(df, test="wald")
    assert r.test == "wald" and r.index is not None
    assert (r.p_initial < 0.05) == (r.index > 0)


def test_sifi_warns_when_nothing_changes_the_conclusion():
    df = pd.DataFrame({"time": [1.0, 2.0, 3.0, 4.0], "event": [0, 0, 0, 0], "arm": ["control", "ucmsc"] * 2})
    with pytest.warns(StatisticalWarning, match="not defined"):
        r = sens.survival_inferred_fragility(df)
    assert r.index is None


@pytest.mark.parametrize("df, kwargs, match", [
    (pd.DataFrame({"time": [1.0], "event": [1]}), {}, "columns"),
    (pd.DataFrame({"time": [1.0, 2.0], "event": [1, 0], "arm": ["control", "x"]}), {}, "arm"),
    (pd.DataFrame({"time": [1.0, 2.0], "event": [1, 0], "arm": ["control", "ucmsc"]}), {"test": "t"}, "test"),
    (pd.DataFrame({"time": [0.0, 2.0], "event": [1, 0], "arm": ["control", "ucmsc"]}), {}, "time"),
])
def test_sifi_rejects_bad_input(df, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sens.survival_inferred_fragility(df, **kwargs)


# ---------------------------------------------------------------------------- excluded patients
def test_excluded_bounds_censored_at_start_adds_only_the_early_events():
    df = _frame(3)
    exc = {"control": 4, "ucmsc": 6}
    b = sens.excluded_bounds(df, exc)
    early = df["time"].min() / 2
    best = pd.concat([df, pd.DataFrame({"time": early, "event": 1, "arm": ["control"] * 4})], ignore_index=True)
    worst = pd.concat([df, pd.DataFrame({"time": early, "event": 1, "arm": ["ucmsc"] * 6})], ignore_index=True)
    assert b.loc["best case", "hr"] == pytest.approx(cox_hr(best).hr, rel=1e-10)
    assert b.loc["worst case", "hr"] == pytest.approx(cox_hr(worst).hr, rel=1e-10)
    assert b.loc["observed", "hr"] == pytest.approx(cox_hr(df).hr, rel=1e-10)
    assert b.loc["best case", "hr"] > b.loc["observed", "hr"] > b.loc["worst case", "hr"]
    assert b.loc["best case", "n_control"] == (df.arm == "control").sum() + 4


def test_excluded_bounds_at_the_horizon_are_more_extreme():
    df = _frame(3)
    exc = {"control": 4, "ucmsc": 6}
    s, h = sens.excluded_bounds(df, exc), sens.excluded_bounds(df, exc, censor_at="horizon", horizon=60.0)
    assert h.loc["best case", "hr"] > s.loc["best case", "hr"]
    assert h.loc["worst case", "hr"] < s.loc["worst case", "hr"]


def test_excluded_bounds_without_excluded_patients_equal_the_observed():
    b = sens.excluded_bounds(_frame(2), {"control": 0, "ucmsc": 0})
    assert b["hr"].nunique() == 1


@pytest.mark.parametrize("excluded, kwargs, match", [
    ({"control": -1}, {}, "count"), ({"placebo": 2}, {}, "unknown"), ({"control": 1}, {"censor_at": "end"}, "censor_at"),
])
def test_excluded_bounds_reject_bad_input(excluded, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sens.excluded_bounds(_frame(2), excluded, **kwargs)


# ---------------------------------------------------------------------------- multiple imputation
def test_piecewise_exponential_fit_by_hand():
    h = sens.piecewise_exponential_fit([1.0, 2.0, 3.0], [1, 0, 1], breaks=(0.0, 2.0))
    # piece [0, 2): exposure 1 + 2 + 2 = 5, one event; piece [2, inf): exposure 0 + 0 + 1, one event
    assert h.rates == pytest.approx((0.2, 1.0))


def test_rubin_pool_by_hand():
    r = sens.rubin_pool([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
    t = 0.5 + (1 + 1 / 3) * 1.0
    rr = (1 + 1 / 3) * 1.0 / 0.5
    df = 2 * (1 + 1 / rr) ** 2
    assert (r.estimate, r.within, r.between) == pytest.approx((2.0, 0.5, 1.0))
    assert r.total == pytest.approx(t) and r.df == pytest.approx(df) and df == pytest.approx(3.78125)
    q = stats.t.ppf(0.975, df)
    assert (r.ci_low, r.ci_high) == pytest.approx((2 - q * math.sqrt(t), 2 + q * math.sqrt(t)))
    assert r.p == pytest.approx(2 * stats.t.sf(2 / math.sqrt(t), df))


def test_rubin_pool_without_between_variance_is_the_normal_interval():
    r = sens.rubin_pool([0.3, 0.3], [0.04, 0.04])
    assert math.isinf(r.df) and r.ci_high == pytest.approx(0.3 + 1.959964 * 0.2, rel=1e-6)


@pytest.mark.parametrize("q, u", [([1.0], [0.1]), ([1.0, np.nan], [0.1, 0.1]), ([1.0, 2.0], [0.1, -0.1])])
def test_rubin_pool_rejects_bad_input(q, u):
    with pytest.raises(ValueError):
        sens.rubin_pool(q, u)


def test_mi_without_excluded_patients_is_the_complete_case_cox():
    df = _frame(5)
    g = sens.delta_adjusted_mi(df, {"control": 0, "ucmsc": 0}, [(1.0, 1.0)], rng=np.random.default_rng(1))
    ref = cox_hr(df)
    assert g.loc[0, "hr"] == pytest.approx(ref.hr, rel=1e-9)
    assert g.loc[0, "se_log_hr"] == pytest.approx(ref.se_log_hr, rel=1e-9)


def test_mi_is_monotone_in_delta():
    df = _frame(6)
    exc = {"control": 5, "ucmsc": 8}
    grid = [1.0, 1.5, 2.0, 4.0, 8.0]
    up_u = sens.delta_adjusted_mi(df, exc, [(1.0, d) for d in grid], rng=np.random.default_rng(4),
                                  breaks=(0, 12, 24), horizon=60.0)
    up_c = sens.delta_adjusted_mi(df, exc, [(d, 1.0) for d in grid], rng=np.random.default_rng(4),
                                  breaks=(0, 12, 24), horizon=60.0)
    assert np.all(np.diff(up_u["hr"]) <= 1e-12)  # UC-MSC's excluded fare worse: control/UC-MSC HR falls
    assert np.all(np.diff(up_c["hr"]) >= -1e-12)
    assert up_u.loc[0, "hr"] == pytest.approx(up_c.loc[0, "hr"])  # same draws at (1, 1)


def test_mi_is_reproducible():
    df, exc = _frame(6), {"control": 3, "ucmsc": 3}
    a = sens.delta_adjusted_mi(df, exc, [(1.0, 2.0)], rng=np.random.default_rng(8))
    b = sens.delta_adjusted_mi(df, exc, [(1.0, 2.0)], rng=np.random.default_rng(8))
    pd.testing.assert_frame_equal(a, b)


def test_tipping_point_flips_the_conclusion():
    df = _frame(1, n=60, hr=1.8)
    exc = {"control": 8, "ucmsc": 15}
    kw = dict(n_imputations=10, breaks=(0, 24), horizon=60.0)
    t = sens.tipping_point(df, exc, arm="ucmsc", bound=50.0, rng=np.random.default_rng(3), **kw)
    assert t["significant_mar"] and t["delta"] is not None and t["delta"] > 1
    at = sens.delta_adjusted_mi(df, exc, [(1.0, t["delta"]), (1.0, t["delta"] / 1.03)], rng=np.random.default_rng(3), **kw)
    assert at.loc[0, "p"] >= 0.05 > at.loc[1, "p"]


def test_tipping_point_none_when_the_bound_does_not_flip():
    df = _frame(1, n=60, hr=4.0)
    t = sens.tipping_point(df, {"control": 1, "ucmsc": 1}, arm="ucmsc", bound=1.5, rng=np.random.default_rng(3),
                           n_imputations=5)
    assert t["delta"] is None and t["hr_at_tipping"] is None


@pytest.mark.parametrize("kwargs, match", [
    (dict(arm="placebo", bound=2.0), "arm"), (dict(arm="ucmsc", bound=1.0), "bound"),
    (dict(arm="ucmsc", bound=2.0, n_imputations=1), "n_imputations"),
])
def test_tipping_point_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sens.tipping_point(_frame(2), {"control": 1, "ucmsc": 1}, rng=np.random.default_rng(1), **kwargs)


def test_mi_rejects_bad_input():
    with pytest.raises(ValueError, match="deltas"):
        sens.delta_adjusted_mi(_frame(2), {"control": 1}, [(0.0, 1.0)], rng=np.random.default_rng(1))
    with pytest.raises(TypeError, match="Generator"):
        sens.delta_adjusted_mi(_frame(2), {"control": 1}, [(1.0, 1.0)], rng=1)
