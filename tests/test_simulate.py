"""Tests of the vectorised trial simulation engine (analysis.toolkit.simulate)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines.statistics import logrank_test

from analysis.toolkit.design import PiecewiseExponential, SurvivalDesign, power_survival
from analysis.trial.paper import paper_design, reported_effect_hazards
from analysis.toolkit.simulate import DAY_IN_MONTHS, landmark_logrank_statistics, logrank_statistics, power_curve, rmst_statistics, simulate_power, simulate_trials
from analysis.report.figures import plot_power_curves
from analysis.toolkit.warnings import StatisticalWarning

# Runs in make test's second process, to balance the two (still part of make check).
pytestmark = pytest.mark.heavy

DATA = Path(__file__).parent / "data"


def _nph_design(scale: float = 1.0) -> SurvivalDesign:
    hc, ht = reported_effect_hazards()
    return SurvivalDesign(hc.scaled(scale), ht.scaled(scale), accrual_time=40, follow_up=35,
                          dropout_control=0.002, dropout_treatment=0.003)


# ---------------------------------------------------------------------------
# Agreement with lifelines (the benchmark's check, on 50 trials, with ties)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "time_unit,n_trials", [(None, 15), (DAY_IN_MONTHS, 15), (1.0, 20)], ids=["continuous", "days", "months"]
)
def test_logrank_matches_lifelines_loop(time_unit, n_trials):
    """lifelines.statistics.logrank_test on each trial, one at a time (50 trials in all, 35 with
    tied times from rounding to whole days or months); chi-square to 1e-8."""
    sim = simulate_trials(_nph_design(3.0), 60, 70, n_trials=n_trials, rng=np.random.default_rng(11), time_unit=time_unit)
    ours = logrank_statistics(sim.time, sim.event, ~sim.treatment)
    c = ~sim.treatment
    ref = np.array([
        logrank_test(sim.time[i, c], sim.time[i, ~c], sim.event[i, c], sim.event[i, ~c]).test_statistic
        for i in range(sim.n_trials)
    ])
    np.testing.assert_allclose(ours["chisq"], ref, rtol=0, atol=1e-8)
    if time_unit == 1.0:  # the case really has ties
        assert max(len(np.unique(r)) for r in sim.time) < sim.time.shape[1]


def test_landmark_matches_lifelines_on_late_window():
    """Landmark log-rank = lifelines logrank_test on patients with time > L, times shifted by L."""
    L = 13.0
    sim = simulate_trials(_nph_design(3.0), 50, 50, n_trials=20, rng=np.random.default_rng(5), time_unit=1.0)
    ours = landmark_logrank_statistics(sim.time, sim.event, ~sim.treatment, L)
    for i in range(sim.n_trials):
        keep = sim.time[i] > L
        c, t = ~sim.treatment & keep, sim.treatment & keep
        r = logrank_test(sim.time[i, c] - L, sim.time[i, t] - L, sim.event[i, c], sim.event[i, t])
        assert ours["chisq"][i] == pytest.approx(r.test_statistic, abs=1e-8)
        assert ours["n_at_landmark"][i] == keep.sum()


# ---------------------------------------------------------------------------
# Agreement with R's survival package (stored reference values)
# ---------------------------------------------------------------------------
def _reference_trials():
    df = pd.read_csv(DATA / "design_sim_trials.csv")
    groups = [g for _, g in df.groupby("trial", sort=True)]
    time = np.stack([g["time"].to_numpy() for g in groups])
    event = np.stack([g["event"].to_numpy() for g in groups]).astype(bool)
    treatment = groups[0]["arm"].to_numpy() == "treatment"
    assert all((g["arm"].to_numpy() == "treatment").tolist() == treatment.tolist() for g in groups)
    ref = json.loads((DATA / "design_simulate_survival.json").read_text())
    return time, event, treatment, ref


def test_statistics_match_r_survival():
    """R survival 3.5-3 (tests/reference/design_simulate_survival.R):
    survdiff(Surv(time, event) ~ arm); survdiff(Surv(time - 13, event) ~ arm, subset = time > 13);
    summary(survfit(Surv(time, event) ~ arm), rmean = 36)$table[, c("rmean", "se(rmean)")].
    Trials 4-7 have times in whole months (ties)."""
    time, event, treatment, ref = _reference_trials()
    lr = logrank_statistics(time, event, ~treatment)
    lm = landmark_logrank_statistics(time, event, ~treatment, ref["trials"][0]["landmark"])
    rm = rmst_statistics(time, event, treatment, ref["trials"][0]["tau"])
    r = pd.DataFrame(ref["trials"]).set_index("trial").sort_index()
    np.testing.assert_allclose(lr["chisq"], r["chisq"], rtol=1e-9)
    np.testing.assert_allclose(lr["o_minus_e"], r["o_minus_e_control"], rtol=1e-9)
    np.testing.assert_allclose(lr["var"], r["var"], rtol=1e-9)
    np.testing.assert_allclose(lm["chisq"], r["landmark_chisq"], rtol=1e-9)
    np.testing.assert_allclose(lm["o_minus_e"], r["landmark_o_minus_e_control"], rtol=1e-9)
    np.testing.assert_array_equal(lm["n_at_landmark"], r["landmark_n"])
    np.testing.assert_allclose(rm["rmst_control"], r["rmst_control"], rtol=1e-9)
    np.testing.assert_allclose(rm["rmst_treatment"], r["rmst_treatment"], rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(rm["var_control"]), r["se_rmst_control"], rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(rm["var_treatment"]), r["se_rmst_treatment"], rtol=1e-9)


def test_single_trial_rows_are_independent():
    """A trial's statistics do not depend on the other rows (1-D input = one row)."""
    time, event, treatment, _ = _reference_trials()
    all_rows = logrank_statistics(time, event, ~treatment)
    one = logrank_statistics(time[3], event[3], ~treatment)
    assert one["chisq"].iloc[0] == all_rows["chisq"].iloc[3]


def test_no_events_gives_nan_not_error():
    t = np.ones((2, 6)) * 5.0
    e = np.zeros((2, 6), bool)
    g = np.array([True] * 3 + [False] * 3)
    out = logrank_statistics(t, e, g)
    assert out["z"].isna().all() and (out["events"] == 0).all()


def test_hand_computed_logrank_with_ties():
    """Two groups, one tied event time; by hand: at t=1 n=4 (2 in group), d=2 (1 in group):
    E=1, V = 2*(1/2)(1/2)(2/3) = 1/3; at t=2 n=2 (1 in group), d=1 (1 in group): E=1/2, V=1/4.
    O-E = 2 - 1.5 = 0.5, V = 7/12, chisq = 0.25/(7/12) = 3/7."""
    t = np.array([[1.0, 2.0, 1.0, 3.0]])
    e = np.array([[True, True, True, False]])
    g = np.array([True, True, False, False])
    out = logrank_statistics(t, e, g)
    assert out["o_minus_e"].iloc[0] == pytest.approx(0.5)
    assert out["var"].iloc[0] == pytest.approx(7 / 12)
    assert out["chisq"].iloc[0] == pytest.approx(3 / 7)


# ---------------------------------------------------------------------------
# The simulator reproduces the design's closed-form quantities
# ---------------------------------------------------------------------------
def test_simulated_events_match_closed_form():
    """Mean events per arm over 4,000 simulated trials vs the closed-form expectation
    (non-proportional hazards, piecewise accrual, dropout); within 4 Monte Carlo SEs."""
    hc, ht = reported_effect_hazards()
    d = SurvivalDesign(hc.scaled(2.0), ht.scaled(2.0), accrual_time=(0, 10, 40), accrual_intensity=(1.0, 3.0),
                       follow_up=20, dropout_control=0.004, dropout_treatment=0.01)
    n = 100
    sim = simulate_trials(d, n, n, n_trials=4000, rng=np.random.default_rng(3))
    pc, pt = d.event_probabilities()
    for mask, p in ((~sim.treatment, pc), (sim.treatment, pt)):
        ev = sim.event[:, mask].sum(axis=1)
        se = ev.std(ddof=1) / np.sqrt(ev.size)
        assert abs(ev.mean() - n * p) < 4 * se
    assert sim.time.max() <= d.study_duration + 1e-9
    assert np.all(sim.time + sim.entry <= d.study_duration + 1e-9)


def test_piecewise_exponential_sampler():
    """Without censoring, the fraction of events by t matches S(t) of the piecewise model."""
    h = PiecewiseExponential((0.1, 0.0, 0.05), (0.0, 3.0, 6.0))
    d = SurvivalDesign(h, h, accrual_time=1.0, follow_up=10_000.0)
    sim = simulate_trials(d, 5000, 5000, n_trials=4, rng=np.random.default_rng(8))
    for t in (1.0, 3.0, 5.0, 10.0, 30.0):
        frac = (sim.time <= t).mean()
        p = 1 - float(h.survival(t))
        assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / sim.time.size)
    # no events inside the zero-hazard piece
    assert not np.any((sim.time > 3.0) & (sim.time < 6.0))


def test_simulated_power_confirms_analytic():
    """Moderate proportional-hazards effect: Monte Carlo log-rank power (3,000 trials) within
    its 99.9% interval of Schoenfeld's and the asymptotic analytic power."""
    d = SurvivalDesign(0.02, 0.014, accrual_time=30, follow_up=20, dropout_control=0.003, dropout_treatment=0.003)
    res = simulate_power(d, 150, 150, n_trials=3000, rng=np.random.default_rng(21))
    p = res.summary.set_index("test").loc["logrank", "power"]
    se = np.sqrt(p * (1 - p) / 3000)
    for m in ("schoenfeld", "asymptotic"):
        assert abs(p - power_survival(d, 300, method=m).power) < 3.3 * se + 0.005


def test_type_one_error_under_null():
    d = SurvivalDesign(0.02, 0.02, accrual_time=30, follow_up=20)
    res = simulate_power(d, 100, 100, n_trials=4000, rng=np.random.default_rng(4),
                         tests=("logrank", "landmark", "rmst"), landmark=6.0, tau=20.0)
    for r in res.summary.itertuples():
        assert abs(r.power - 0.05) < 4 * np.sqrt(0.05 * 0.95 / 4000), r.test


def test_same_seed_same_result_and_chunks_are_independent_of_progress():
    d = _nph_design()
    a = simulate_power(d, 50, n_trials=300, rng=np.random.default_rng(9), tests=("logrank", "rmst"), tau=30, chunk_size=100)
    b = simulate_power(d, 50, n_trials=300, rng=np.random.default_rng(9), tests=("logrank", "rmst"), tau=30, chunk_size=100,
                       progress=False)
    pd.testing.assert_frame_equal(a.trials, b.trials)
    c = simulate_power(d, 50, n_trials=300, rng=np.random.default_rng(10), tests=("logrank",), chunk_size=100)
    assert not np.array_equal(a.trials["z_logrank"], c.trials["z_logrank"])


def test_power_curve_and_plot():
    d = paper_design()
    curve = power_curve(d, [30, 60], rng=np.random.default_rng(2), n_trials=200, tests=("logrank", "rmst"), tau=40,
                        analytic=("schoenfeld",))
    assert set(curve.columns) >= {"n_per_arm", "test", "source", "method", "power", "ci_low", "ci_high"}
    sim = curve[curve["source"] == "simulation"]
    assert len(sim) == 4 and np.all((sim["ci_low"] <= sim["power"]) & (sim["power"] <= sim["ci_high"]))
    ana = curve[curve["source"] == "analytic"]
    np.testing.assert_allclose(ana["power"], [power_survival(d, 2 * n).power for n in (30, 60)])
    ax = plot_power_curves(curve, marks=[100])
    assert ax.get_xlabel() == "Patients per arm" and "Power" in ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 3
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


# ---------------------------------------------------------------------------
# Warnings and bad input
# ---------------------------------------------------------------------------
def test_rmst_beyond_follow_up_warns():
    t = np.array([[1.0, 2.0, 3.0, 4.0]])
    e = np.array([[True, False, True, False]])
    with pytest.warns(StatisticalWarning, match="carried forward"):
        rmst_statistics(t, e, np.array([False, False, True, True]), tau=10.0)


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: simulate_trials(paper_design(), 10, n_trials=5, rng=np.random.RandomState(1)), TypeError, "Generator"),
        (lambda: simulate_trials(paper_design(), 0, n_trials=5, rng=np.random.default_rng(1)), ValueError, "n_control"),
        (lambda: simulate_trials(paper_design(), 5, n_trials=5, rng=np.random.default_rng(1), time_unit=0), ValueError, "time_unit"),
        (lambda: simulate_power(paper_design(), 5, rng=np.random.default_rng(1), tests=("wilcoxon",)), ValueError, "tests"),
        (lambda: simulate_power(paper_design(), 5, rng=np.random.default_rng(1), tests=("landmark",)), ValueError, "landmark"),
        (lambda: simulate_power(paper_design(), 5, rng=np.random.default_rng(1), tests=("rmst",)), ValueError, "tau"),
        (lambda: logrank_statistics(np.ones((2, 3)), np.ones((2, 4)), np.ones(3)), ValueError, "same shape"),
        (lambda: logrank_statistics(np.array([[1.0, np.nan]]), np.ones((1, 2)), [True, False]), ValueError, "NaN"),
        (lambda: landmark_logrank_statistics(np.ones((1, 2)), np.ones((1, 2)), [True, False], -1), ValueError, "landmark"),
        (lambda: rmst_statistics(np.ones((1, 2)), np.ones((1, 2)), [True, True], 5.0), ValueError, "treatment"),
        (lambda: rmst_statistics(np.ones((1, 2)), np.ones((1, 2)), [True, False], 0.0), ValueError, "tau"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
