"""The evidence chapter's cohort part (analysis.report.chapters._evidence_cohort), computed without building
the book: ids, provenance, values equal to the toolkit functions' output, reproducibility, and a dataset
without patients excluded from the analysis."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from analysis import load_trial
from analysis.report.chapters import _evidence_cohort as ec
from analysis.report.results import ChapterResults
from analysis.toolkit import sensitivity as sens
from analysis.toolkit.survival import endpoint_frame
from analysis.toolkit.warnings import StatisticalWarning

pytestmark = pytest.mark.heavy  # about 4 s: two simulations of 2,000 trials and a multiple imputation

ROOT = Path(__file__).resolve().parents[1]


def _results(trial, published) -> ChapterResults:
    res = ChapterResults("evidence", trial.synthetic)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        ec.add_cohort_results(res, trial, published)
    return res


@pytest.fixture(scope="module")
def res(trial, published):
    return _results(trial, published)


def test_ids_and_provenance(res):
    for ep in ("os", "hcc"):
        for f in ("adjusted_p", "mcse", "observed_p", "familywise_error", "calibration.rejection",
                  "calibration.below_observed", "calibration.ks_statistic"):
            assert res[f"evidence.landmark_selection.{ep}.{f}"].provenance == "published"
        for case in ("best_case", "worst_case", "best_case_horizon", "worst_case_horizon"):
            for f in ("hr", "p"):
                assert res[f"evidence.excluded.{ep}.{case}.{f}"].provenance == "assumed"
    for rid in ("evidence.sifi.os.index", "evidence.sifi.os.wald.index", "evidence.tipping.os.mar.hr",
                "evidence.tipping.os.ucmsc.delta", "evidence.tipping.os.control.delta"):
        assert res[rid].provenance == "assumed"
    assert res["evidence.landmark_selection.os.observed_p"].status == "agrees"
    assert res["evidence.cohort_excluded.ucmsc"].status == "agrees"


def test_adjusted_p_is_a_monte_carlo_estimate_above_the_published_p(res, published):
    for ep in ("os", "hcc"):
        r = res[f"evidence.landmark_selection.{ep}.adjusted_p"]
        p = published.landmark_hr(ep, "late").p
        assert r.value > p
        assert r.ci_low <= r.value <= r.ci_high
        se = res[f"evidence.landmark_selection.{ep}.mcse"].value
        assert se == pytest.approx(np.sqrt(r.value * (1 - r.value) / ec.N_SIMULATIONS))
        # calibration: a landmark fixed in advance rejects at alpha within 4 Monte Carlo SEs
        alpha = published.sample_size["alpha"]
        rej = res[f"evidence.landmark_selection.{ep}.calibration.rejection"].value
        assert abs(rej - alpha) < 4 * np.sqrt(alpha * (1 - alpha) / ec.N_SIMULATIONS)


def test_values_are_the_toolkit_functions(res, trial, published):
    df = endpoint_frame(trial, "os", published.horizon)
    alpha = published.sample_size["alpha"]
    assert res["evidence.sifi.os.index"].value == sens.survival_inferred_fragility(df, alpha=alpha).index
    exc = ec._excluded_counts(trial)
    b = sens.excluded_bounds(df, exc, alpha=alpha)
    assert res["evidence.excluded.os.worst_case.hr"].value == pytest.approx(b.loc["worst case", "hr"])
    assert res["evidence.excluded.os.best_case.hr"].ci_low == pytest.approx(b.loc["best case", "ci_low"])
    g = sens.delta_adjusted_mi(df, exc, [(1.0, 1.0)], rng=ec._rng(11), n_imputations=ec.N_IMPUTATIONS,
                               breaks=ec.MI_BREAKS, horizon=published.horizon, alpha=alpha)
    assert res["evidence.tipping.os.mar.hr"].value == pytest.approx(g.loc[0, "hr"], rel=1e-9)


def test_same_data_same_results(res, trial, published):
    again = _results(trial, published)
    assert again.glue_values() == res.glue_values()


def test_dataset_without_excluded_patients(published):
    r = _results(load_trial(ROOT / "tests" / "datasets" / "leukemia"), published)
    assert r["evidence.cohort_excluded.control"].value == 0
    assert r["evidence.tipping.os.ucmsc.delta"].value is None
    assert "no randomized patient" in r["evidence.tipping.os.ucmsc.delta"].note
    assert r["evidence.sifi.os.index"].provenance == "computed"
    assert r.objects["mi_table"] is None
    # the landmark selection uses published numbers only: the same on any data
    assert r["evidence.landmark_selection.os.adjusted_p"].value == pytest.approx(
        _results_landmark_only(published)["evidence.landmark_selection.os.adjusted_p"].value)


def _results_landmark_only(published) -> ChapterResults:
    res = ChapterResults("evidence", True)
    ec._landmark_selection(res, published)
    return res
