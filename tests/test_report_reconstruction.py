"""The reconstruction chapter's results, computed without building the book: ids, provenance, the
round-trip table within the issue's bounds, the demonstration's hazard ratios equal to the toolkit's on
the data, digitised files of the paper's figures used when present, and datasets without an endpoint or
with short follow-up."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from analysis import load_trial
from analysis.report.chapters import reconstruction as rc
from analysis.toolkit import survival as sv
from analysis.toolkit.reconstruct import at_risk_table, simulate_clicks
from analysis.toolkit.warnings import StatisticalWarning

pytestmark = pytest.mark.heavy

ROOT = Path(__file__).resolve().parents[1]


def _compute(trial, published, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return rc.compute(trial, published, **kw)


@pytest.fixture(scope="module")
def res(trial, published, tmp_path_factory):
    return _compute(trial, published, digitised=tmp_path_factory.mktemp("empty"))


def test_ids_provenance_and_glue(res, published):
    ids = set(res)
    for key in published.hazard_ratios:
        assert {f"reconstruction.demo.{key}.data", f"reconstruction.demo.{key}.reconstructed"} <= ids
        assert res[f"reconstruction.demo.{key}.data"].provenance == "by construction"  # calibrated cohort
        assert res[f"reconstruction.demo.{key}.reconstructed"].provenance == "computed"
    assert not any(i.startswith("reconstruction.paper.") for i in ids)  # no digitised files
    assert all(r.provenance in ("computed", "by construction") for r in res.values())
    glued = {k for r in res.values() for k in r.glue}
    assert {"rc_rt_lhr", "rc_rt_rmst", "rc_rt_ds", "rc_demo_os_data", "rc_demo_os_rec", "rc_demo_max"} <= glued


def test_round_trip_table_meets_the_bounds(res):
    rt = res.objects["round_trip"]
    assert rt["trial"].nunique() == res["reconstruction.roundtrip.trials"].value >= 3
    full = rt[rt["variant"].str.startswith("numbers at risk")]
    assert (full["log_hr_diff"].abs() <= rc.BOUNDS["log_hr"]).all()
    assert (full["rmst_rel_diff"].abs() <= rc.BOUNDS["rmst"]).all()
    assert (full["max_abs_ds"] <= rc.BOUNDS["ds"]).all()
    assert (full["median_rel_diff"].dropna().abs() <= rc.BOUNDS["median"]).all()
    assert full["median_rel_diff"].notna().any()
    assert res["reconstruction.roundtrip.at_risk.log_hr_max"].value == pytest.approx(full["log_hr_diff"].abs().max())


def test_demo_hazard_ratios_equal_the_toolkit_on_the_data(res, trial, published):
    for key, h in published.hazard_ratios.items():
        f = sv.endpoint_frame(trial, h.endpoint, horizon=published.horizon)
        r = sv.cox_hr(f, start=h.window[0], end=h.window[1])
        assert res[f"reconstruction.demo.{key}.data"].value == pytest.approx(r.hr, rel=1e-9)
        rec = res[f"reconstruction.demo.{key}.reconstructed"].value
        # the acceptance bound holds for whole-follow-up HRs; a landmark window with a handful of events
        # (5 UC-MSC deaths after 13 months) moves by more when one event time shifts across the landmark
        whole = h.window[0] == 0 and h.window[1] == published.horizon
        assert abs(np.log(rec / r.hr)) <= (rc.BOUNDS["log_hr"] if whole else 2 * rc.BOUNDS["log_hr"]), key
    assert res["reconstruction.demo.max_log_diff"].value <= 2 * rc.BOUNDS["log_hr"]
    demo = res.objects["demo"]
    assert len(demo) == 2 * len(published.hazard_ratios) and set(demo["source"]) == {"Data", "Reconstruction"}


def test_digitised_files_are_used_when_present(trial, published, tmp_path):
    """Files named as data/digitised/README.md says: the paper's HRs on their reconstruction, with status."""
    rng = np.random.default_rng(3)
    f = sv.endpoint_frame(trial, "os", horizon=published.horizon)
    for arm in ("control", "ucmsc"):
        a = f[f["arm"] == arm]
        simulate_clicks(a["time"], a["event"], rng=rng).to_csv(tmp_path / f"os_{arm}_curve.csv", index=False)
        at_risk_table(a["time"], [0, 12, 24, 36, 48, 60]).to_csv(tmp_path / f"os_{arm}_at_risk.csv", index=False)
    assert set(rc.digitised_files(tmp_path)) == {"os"}
    res = _compute(trial, published, digitised=tmp_path)
    r = res["reconstruction.paper.os.cox.hr"]
    assert r.published == published.hazard_ratios["os.cox"].hr and r.status in ("agrees", "differs")
    assert res["reconstruction.paper.hcc.cox.hr"].value is None  # no HCC files
    assert res.objects["paper"] is not None and "were found" in res.objects["paper_message"]


def test_bad_digitised_files_become_a_note(trial, published, tmp_path):
    for arm in ("control", "ucmsc"):
        (tmp_path / f"os_{arm}_curve.csv").write_text("time,survival\n0,1\n5,1.5\n")
        (tmp_path / f"os_{arm}_at_risk.csv").write_text("time,n_at_risk\n0,100\n")
    res = _compute(trial, published, digitised=tmp_path)
    assert any("could not be used" in n and "survival must not exceed 1" in n for n in res.objects["notes"])


@pytest.mark.parametrize("name", ["leukemia", "actg175"])
def test_other_datasets(published, tmp_path, name):
    trial = load_trial(ROOT / "tests" / "datasets" / name)
    res = _compute(trial, published, digitised=tmp_path)
    assert "reconstruction.demo.os.cox.reconstructed" in res


def test_survival_only_dataset_with_one_endpoint(published, tmp_path):
    """A folder written by ``python -m analysis reconstruct`` (overall survival only)."""
    from analysis.trial.reconstructed import write_reconstruction

    p = load_trial(ROOT / "tests" / "datasets" / "gbsg").patients
    files = {}
    rng = np.random.default_rng(4)
    for arm in ("control", "ucmsc"):
        a = p[p["arm"] == arm]
        simulate_clicks(a["os_months"], a["death"], rng=rng).to_csv(tmp_path / f"{arm}_c.csv", index=False)
        at_risk_table(a["os_months"], [0, 12, 24, 36, 48, 60, 72]).to_csv(tmp_path / f"{arm}_r.csv", index=False)
        files[arm] = (tmp_path / f"{arm}_c.csv", tmp_path / f"{arm}_r.csv")
    out = write_reconstruction(tmp_path / "rec", curves={a: f[0] for a, f in files.items()},
                               at_risk={a: f[1] for a, f in files.items()}, endpoint="os")
    res = _compute(load_trial(out), published, digitised=tmp_path / "none")
    assert res["reconstruction.demo.os.cox.reconstructed"].value is not None
    assert res["reconstruction.demo.hcc.cox.data"].value is None
    assert any("HCC-free survival" in n for n in res.objects["notes"])
