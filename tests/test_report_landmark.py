"""The landmark chapter's results, computed without building the book: ids, provenance, values equal
to the toolkit's, the ledger's landmark hazard ratios as the ledger computed them before, and a dataset
with only patients.csv."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from analysis import load_trial
from analysis.report.chapters import landmark
from analysis.toolkit import landmark as lm
from analysis.toolkit import survival as sv
from analysis.report.chapters.survival import HR_DIRECTION, HR_LOG_TOLERANCE
from analysis.toolkit.agreement import STATUSES, Tolerance
from analysis.toolkit.warnings import StatisticalWarning

pytestmark = pytest.mark.heavy

ROOT = Path(__file__).resolve().parents[1]
LANDMARK_IDS = [f"{h}.{f}" for h in ("os.landmark13.early", "os.landmark13.late", "hcc.landmark8.early",
                                      "hcc.landmark8.late") for f in ("hr", "p")]


def _compute(trial, published, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return landmark.compute(trial, published, **kw)


@pytest.fixture(scope="module")
def res(trial, published):
    return _compute(trial, published)


@pytest.fixture(scope="module")
def gbsg(published):
    """A public dataset with only patients.csv, marked as real data."""
    trial = load_trial(ROOT / "tests" / "datasets" / "gbsg")
    return trial, _compute(trial, published)


def test_ledger_ids_of_the_published_landmark_hazard_ratios(res, published):
    """Every published HR that is not ``*.cox`` has its ``.hr`` and ``.p``, and the ids follow ``landmarks:``."""
    assert set(LANDMARK_IDS) <= set(res)
    assert {f"{k}.hr" for k in published.hazard_ratios if not k.endswith(".cox")} == \
        {i for i in res if i.endswith(".hr") and not i.startswith("landmark.")}


def _same(a, b):
    return a is None and b is None or (a is not None and b is not None and a == pytest.approx(b, rel=1e-12))


def test_landmark_hazard_ratios_as_the_ledger_defines_them(res, trial, published):
    """``<key>.hr`` and ``<key>.p`` of each published HR that is not ``*.cox``: ``cox_hr`` in the published
    window, the published HR and CI, the log-ratio tolerance, provenance ``by construction`` (the HR)."""
    H = published.horizon
    for key, h in published.hazard_ratios.items():
        if key.endswith(".cox"):
            continue
        r = sv.cox_hr(sv.endpoint_frame(trial, h.endpoint, horizon=H), start=h.window[0], end=h.window[1])
        hr, p = res[f"{key}.hr"], res[f"{key}.p"]
        assert (hr.value, hr.ci_low, hr.ci_high, p.value) == (r.hr, r.ci_low, r.ci_high, r.p)
        assert (hr.published, hr.published_ci_low, hr.published_ci_high, p.published) == (h.hr, h.ci_low, h.ci_high, h.p)
        assert hr.tolerance == Tolerance("log_ratio", HR_LOG_TOLERANCE) and p.tolerance is None
        assert (hr.provenance, p.provenance) == ("by construction", "computed")
        assert hr.direction == HR_DIRECTION and hr.source == p.source == h.source


def test_values_are_the_toolkit_functions(res, trial, published):
    H = published.horizon
    obj = res.objects
    for ep in ("os", "hcc"):
        L = published.landmarks[ep]
        df = sv.endpoint_frame(trial, ep, H)
        w = lm.landmark_windows(df, L, horizon=H).set_index("window")
        for part in ("early", "late"):
            key = published.landmark_hr(ep, part).key
            assert res[f"{key}.hr"].value == w.loc[part, "hr"]
            assert res[f"{key}.p"].value == w.loc[part, "p"]
            assert res[f"{key}.logrank.p"].value == w.loc[part, "p_logrank"]
        s = lm.grid_summary(lm.landmark_grid(df, lm.LANDMARK_GRID, horizon=H), alpha=published.sample_size["alpha"])
        assert res[f"landmark.grid.{ep}.hr_max"].value == s["hr_max"]
        assert res[f"landmark.grid.{ep}.n_significant"].value == s["n_significant"]
        tv = lm.time_varying_test(df, kind="piecewise", landmark=L)
        assert res[f"landmark.tv.{ep}.piecewise.p"].value == pytest.approx(tv.p_interaction, rel=1e-9)
        assert res[f"landmark.time.{ep}"].value == L
    assert (res["landmark.grid.first"].value, res["landmark.grid.last"].value) == \
        (min(lm.LANDMARK_GRID), max(lm.LANDMARK_GRID))
    ratio = obj["comparison"]["hr_ratio"]
    assert (res["landmark.hr_ratio.min"].value, res["landmark.hr_ratio.max"].value) == (ratio.min(), ratio.max())
    assert res.glue_values()["lm_os_late_lo"] == res["os.landmark13.late.hr"].ci_low


def test_provenance_and_directions(res, gbsg):
    for rid in LANDMARK_IDS:
        assert res[rid].provenance == ("by construction" if rid.endswith(".hr") else "computed")
    for rid in ("landmark.horizon", "landmark.time.os", "landmark.alpha"):
        assert res[rid].provenance == "published"
    for r in res.values():
        if r.unit == "ratio" and r.ci_low is not None:
            assert r.direction == "control relative to UC-MSC"
    _, real = gbsg
    assert all(real[i].provenance == "computed" for i in LANDMARK_IDS)


def test_comparison_status_is_the_ledger_status(res):
    c = res.objects["comparison"]
    assert set(c["status"]) <= set(STATUSES) and "within" not in c.columns
    for key, row in c.iterrows():
        if f"{key}.hr" in res:
            assert row["status"] == res[f"{key}.hr"].status, key


def test_a_dataset_with_only_patients(gbsg, published):
    trial, r = gbsg
    assert not trial.synthetic and trial.labs is None
    assert set(LANDMARK_IDS) <= set(r)
    assert r["os.landmark13.late.hr"].published == published.landmark_hr("os", "late").hr
    for ep in ("os", "hcc"):
        early, late = r.objects["km_split"][ep]
        assert early is not None
        assert (late is None) == bool(r.objects["km_split_message"][ep])


def test_the_grid_is_an_argument(trial, published):
    r = _compute(trial, published, grid=(6, 12))
    assert (r["landmark.grid.first"].value, r["landmark.grid.last"].value) == (6.0, 12.0)
    assert r["landmark.grid.os.n"].value <= 2
    assert np.array_equal(r.objects["grids"]["os"]["landmark"].unique(), [6.0, 12.0])
    with pytest.raises(ValueError, match="at least one landmark"):
        landmark.compute(trial, published, grid=())
