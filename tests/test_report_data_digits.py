"""Data chapter (issue 16): the printed digits of the hazard ratios, the p-value hypothesis, the ensemble."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from analysis import load_trial
from analysis.report.chapters import data
from analysis.report.ensemble import STATISTICS, summary_path
from analysis.toolkit.agreement import printed

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.heavy  # every chapter's results


def _grid_wald_p(h, n_b=801, n_s=2001):
    """Brute force: the Wald p of every (log HR, SE) on a fine grid whose HR and limits print as published.

    The SE axis spans only the SEs whose limits can print as published (the widest and the narrowest
    interval within the rounding), so a small grid is fine there.
    """
    z = norm.ppf(0.975)
    b = np.linspace(np.log(h.hr - 0.005), np.log(h.hr + 0.005), n_b)
    s_min = (np.log(h.ci_high - 0.005) - np.log(h.ci_low + 0.005)) / (2 * z)
    s_max = (np.log(h.ci_high + 0.005) - np.log(h.ci_low - 0.005)) / (2 * z)
    s = np.linspace(s_min, s_max, n_s)
    B, S = np.meshgrid(b, s)
    ok = (np.abs(np.exp(B - z * S) - h.ci_low) <= 0.005) & (np.abs(np.exp(B + z * S) - h.ci_high) <= 0.005)
    p = 2 * norm.sf(np.abs(B / S))
    return (p[ok].min(), p[ok].max()) if ok.any() else (np.nan, np.nan)


@pytest.mark.parametrize("key", ["os.cox", "os.landmark13.late", "hcc.cox", "hcc.landmark8.early"])
def test_wald_p_range_equals_a_grid_search(published, key):
    h = published.hazard_ratios[key]
    lo, hi = data.wald_p_range(h.hr, h.ci_low, h.ci_high)
    glo, ghi = _grid_wald_p(h)
    if np.isnan(glo):
        assert np.isnan(lo) and np.isnan(hi)  # no Wald interval prints as the published HR and CI
    else:
        assert lo == pytest.approx(glo, abs=2e-4) and hi == pytest.approx(ghi, abs=2e-4)
        assert lo <= glo + 1e-9 and hi >= ghi - 1e-9  # the vertices bound every grid point


def test_printed_digits_recount(all_results, published):
    res, results = all_results["data"], {r.id: r for ch in all_results.values() for r in ch.values()}
    total = 0
    for key, h in published.hazard_ratios.items():
        r = results[f"{key}.hr"]
        met = sum(printed(v, 2) == printed(p, 2) for v, p in ((r.value, h.hr), (r.ci_low, h.ci_low),
                                                              (r.ci_high, h.ci_high)))
        assert res[f"data.calibration.digits.{key}"].value == met, key
        if met < 3:
            assert res[f"data.calibration.digits.{key}"].note, key  # the reason is recorded
        total += met
    assert res["data.calibration.digits.met"].value == total
    assert res["data.calibration.digits.n"].value == 3 * len(published.hazard_ratios)


def test_p_hypothesis_results(all_results, published):
    res = all_results["data"]
    n = 0
    for key, h in published.hazard_ratios.items():
        lo, hi = res[f"data.p_hypothesis.{key}.wald_min"].value, res[f"data.p_hypothesis.{key}.wald_max"].value
        assert res[f"data.p_hypothesis.{key}.wald_min"].provenance == "published"
        n += lo is not None and printed(lo, 3) <= printed(h.p, 3) <= printed(hi, 3)
    assert res["data.p_hypothesis.wald_possible.n"].value >= 0
    assert res["data.p_hypothesis.wald.met"].value <= len(published.hazard_ratios)
    assert res["data.p_hypothesis.logrank.met"].value <= len(published.hazard_ratios)


def test_ensemble_results_are_the_stored_summary(all_results):
    res = all_results["data"]
    df = pd.read_csv(summary_path())
    assert res["data.ensemble.n"].value == len(df)
    for col in STATISTICS:
        r = res[f"data.ensemble.{col}"]
        assert r.provenance == "assumed"
        assert r.value == pytest.approx(df[col].median())
        assert r.ci_low == pytest.approx(df[col].quantile(0.025)) and r.ci_high == pytest.approx(df[col].quantile(0.975))
    assert res["data.severity.log_hr"].provenance == "assumed"


def test_assumed_severity_is_the_cohort_parameter(all_results, trial):
    v = trial.meta["parameters"].get("severity_log_hr")  # absent from cohorts generated before issue 16
    assert all_results["data"]["data.severity.log_hr"].value == v


def test_real_data_has_no_ensemble_or_assumed_strength(published):
    leuk = data.compute(load_trial(ROOT / "tests" / "datasets" / "leukemia"), published)
    assert leuk["data.ensemble.n"].value is None and leuk["data.ensemble.n"].note
    assert leuk["data.severity.log_hr"].value is None
    r = leuk["data.ensemble.os_rmst_difference"]  # same ids and glue keys as on the cohort, not computable
    assert r.value is None and r.status == "not computable" and r.note
    assert leuk["data.p_hypothesis.ensemble_all_six"].value is None
