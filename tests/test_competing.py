"""Competing risks against cmprsk 2.2-11 (``cuminc``, ``timepoints``) and R's coxph.

Reference values: ``tests/data/survival_<dataset>_reference.json`` (section
``cuminc``), made by ``tests/reference/survival_reference.R``::

    ci <- cuminc(d$cr_time, d$cr_status, group = d$arm, cencode = 0)
    timepoints(ci, c(12, 24, 36, 48, 60, 75))
    cuminc(..., strata = d$stratum); cuminc(..., rho = 1)
    coxph(Surv(cr_time, cr_status == 1) ~ control, ties = "efron")
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from survival_refs import DATASETS, RTOL, arr, assert_curve, competing, reference

from analysis.toolkit.competing import (
    cause_specific_hr,
    competing_frame,
    cumulative_incidence,
    gray_test,
)
from analysis.toolkit.survival import kaplan_meier

ARMS = ("control", "ucmsc")
CASES = [(ds, cause) for ds in DATASETS for cause in (1, 2)]


@pytest.mark.parametrize("ds,cause", CASES)
def test_cif_and_gray_variance_match_cuminc(ds, cause):
    """``cuminc(...)[["<arm> <cause>"]]``: est and var at every jump (R stores each corner twice)."""
    res = cumulative_incidence(competing(ds), cause)
    for arm in ARMS:
        r = reference(ds)["cuminc"]["curves"][f"{arm} {cause}"]
        t = res.table[res.table["arm"] == arm]
        # R's vectors: (0, t1, t1, t2, t2, ..., last follow-up); the jump values sit at even positions
        np.testing.assert_allclose(t["time"], arr(r["time"])[2:-1:2], rtol=RTOL)
        np.testing.assert_allclose(t["cif"], arr(r["est"])[2:-1:2], rtol=RTOL)
        np.testing.assert_allclose(t["var"], arr(r["var"])[2:-1:2], rtol=RTOL)
        assert res.last_time[arm] == pytest.approx(arr(r["time"])[-1])
        assert_curve(t["cif"], increasing=True)


@pytest.mark.parametrize("ds,cause", CASES)
def test_cif_at_times_matches_timepoints(ds, cause):
    """``timepoints(cuminc(...), c(12, 24, 36, 48, 60, 75))``."""
    ref = reference(ds)["cuminc"]
    at = cumulative_incidence(competing(ds), cause).at(ref["times"])
    for i, row in enumerate(ref["timepoints_rows"]):
        arm, c = row.split()
        if int(c) != cause:
            continue
        a = at[at["arm"] == arm]
        np.testing.assert_allclose(a["cif"], arr(ref["timepoints_est"][i]), rtol=RTOL, equal_nan=True)
        np.testing.assert_allclose(a["var"], arr(ref["timepoints_var"][i]), rtol=RTOL, equal_nan=True)
        assert np.all((a["ci_low"] <= a["cif"]) & (a["cif"] <= a["ci_high"]))


@pytest.mark.parametrize("ds", DATASETS)
def test_cif_without_competing_events_is_one_minus_km(ds):
    """Identity check: when the competing cause is recoded as censoring, the CIF equals 1 - Kaplan-Meier.

    (lifelines' ``AalenJohansenFitter`` is not used as a second reference: it
    jitters tied times, which changes the estimate.)
    """
    d = competing(ds)
    d = d.assign(status=np.where(d["status"] == 1, 1, 0), event=(d["status"] == 1).astype(int))
    res = cumulative_incidence(d, 1)
    km = kaplan_meier(d)
    for arm in ARMS:
        t = res.table[res.table["arm"] == arm]
        k = km.table[(km.table["arm"] == arm) & (km.table["n_event"] > 0)]
        np.testing.assert_allclose(t["cif"], 1 - k["surv"].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("ds", DATASETS)
@pytest.mark.parametrize(
    "kwargs,cause,key,idx",
    [
        ({}, 1, "stat", 0),
        ({}, 2, "stat", 1),
        ({"strata": "stratum"}, 1, "stat_strata", 0),
        ({"strata": "stratum"}, 2, "stat_strata", 1),
        ({"rho": 1.0}, 1, "stat_rho1", 0),
        ({"rho": 1.0}, 2, "stat_rho1", 1),
    ],
)
def test_gray_test_matches_cuminc_tests(ds, kwargs, cause, key, idx):
    """``cuminc(..., strata, rho)$Tests[, "stat"]``."""
    res = gray_test(competing(ds), cause, **kwargs)
    np.testing.assert_allclose(res.stat, reference(ds)["cuminc"]["gray"][key][idx], rtol=RTOL)
    if key == "stat":
        np.testing.assert_allclose(res.p, reference(ds)["cuminc"]["gray"]["pv"][idx], rtol=RTOL)


@pytest.mark.parametrize("ds", DATASETS)
@pytest.mark.parametrize("cause,key", [(1, "cause_specific_hcc"), (2, "cause_specific_death")])
def test_cause_specific_hr_matches_coxph(ds, cause, key):
    r = cause_specific_hr(competing(ds), cause)
    ref = reference(ds)["cuminc"][key]
    np.testing.assert_allclose([np.log(r.hr), r.se_log_hr, r.p], [ref["coef"], ref["se"], ref["p"]], rtol=RTOL)


def test_competing_frame_by_hand():
    """Status and time of the first event, and the horizon, on four patients."""
    p = pd.DataFrame({
        "arm": ["control", "control", "ucmsc", "ucmsc"],
        "hcc_months": [10.0, 30.0, 40.0, 80.0],
        "hcc": [1, 0, 0, 1],
        "os_months": [20.0, 35.0, 50.0, 90.0],
        "death": [1, 1, 0, 0],
    })
    f = competing_frame(p, horizon=75.0)
    assert f["status"].tolist() == [1, 2, 0, 0]
    assert f["time"].tolist() == [10.0, 35.0, 40.0, 75.0]


def test_gray_test_by_hand_without_competing_events():
    """With no competing events and no censoring, the CIF is 1 - KM and Gray's test is a log-rank-type test.

    One event per time, groups alternating: the score is sum over times of
    (d_1 - n_1 d / n), by hand below.
    """
    t = np.arange(1.0, 7.0)
    d = pd.DataFrame({"time": t, "status": 1, "arm": ["control", "ucmsc"] * 3})
    res = gray_test(d, 1)
    n1 = np.array([3, 2, 2, 1, 1, 0])
    n = np.array([6, 5, 4, 3, 2, 1])
    d1 = np.array([1, 0, 1, 0, 1, 0])
    assert res.score == pytest.approx(np.sum(d1 - n1 / n))


@pytest.mark.parametrize(
    "frame,match",
    [
        (pd.DataFrame({"time": [1.0], "status": [3], "arm": ["control"]}), "status"),
        (pd.DataFrame({"time": [1.0], "status": [1], "arm": ["placebo"]}), "arm"),
        (pd.DataFrame({"time": [1.0], "arm": ["control"]}), "status"),
    ],
)
def test_bad_input_is_named(frame, match):
    with pytest.raises(ValueError, match=match):
        cumulative_incidence(frame, 1)


def test_crude_incidence_counts():
    from analysis.toolkit.competing import crude_incidence

    d = pd.DataFrame({"time": [1.0, 2, 3, 4, 5], "status": [1, 2, 0, 1, 0],
                      "arm": ["control", "control", "control", "ucmsc", "ucmsc"]})
    c = crude_incidence(d).set_index("arm")
    assert c.loc["control", ["n", "hcc", "death_without_hcc", "censored"]].tolist() == [3, 1, 1, 1]
    assert c.loc["ucmsc", "hcc_prop"] == pytest.approx(0.5)


def test_gray_test_without_events_of_the_cause_is_nan_with_a_warning():
    """No HCC at all: Gray's test is not defined (cmprsk errors); NaN with a StatisticalWarning."""
    import warnings as _w

    from analysis.toolkit.competing import gray_test
    from analysis.toolkit.warnings import StatisticalWarning

    df = pd.DataFrame({"arm": ["control"] * 5 + ["ucmsc"] * 5, "time": [1, 2, 3, 4, 5.] * 2,
                       "status": [0, 2, 0, 2, 0] * 2})
    with pytest.warns(StatisticalWarning, match="no events of cause 1"):
        g = gray_test(df)
    assert np.isnan(g.stat) and np.isnan(g.p)
