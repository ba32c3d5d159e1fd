"""The results ledger: required ids, statuses, determinism, and agreement with the chapters' functions."""

from __future__ import annotations

import json
from pathlib import Path
import math

import numpy as np
import pytest

from analysis.__main__ import main
from analysis.toolkit.baseline import baseline_table
from analysis.trial.paper import landmark_comparison
from analysis.report.ledger import chapter_results, data_identity, ledger_frame, write_ledger
from analysis.toolkit.agreement import STATUSES
from analysis.toolkit.survival import followup

# Runs in make test's second process, to balance the two (still part of make check).
pytestmark = pytest.mark.heavy

REQUIRED = (
    ["consort.screened", "consort.randomized.control", "consort.randomized.ucmsc", "consort.analyzed.control",
     "consort.analyzed.ucmsc", "followup.median.control", "followup.median.ucmsc",
     "followup.reverse_km_median.control", "followup.reverse_km_median.ucmsc",
     "os.events.control", "os.events.ucmsc", "hcc.events.control", "hcc.events.ucmsc",
     "os.logrank.p", "hcc.logrank.p", "ae.fever.ucmsc"]
    + [f"{p}.{f}" for p in ("os.cox", "os.landmark13.early", "os.landmark13.late", "hcc.cox", "hcc.landmark8.early",
                            "hcc.landmark8.late") for f in ("hr", "p")]
    + [f"baseline.{v}.p" for v in ("tp", "alb", "plt", "cr", "alt", "ast", "tbil", "pta", "che", "inr", "meld")]
)


@pytest.fixture(scope="module")
def ledger(synthetic_ledger):
    return synthetic_ledger


def test_required_ids_and_fields(ledger):
    df = ledger_frame(ledger)
    assert set(REQUIRED) <= set(df["id"])
    assert df["id"].is_unique
    assert set(df["status"]) <= set(STATUSES)
    for e in ledger["entries"]:
        assert {"id", "label", "value", "ci_low", "ci_high", "unit", "direction", "published", "tolerance",
                "status", "provenance", "source", "note", "glue", "chapter"} <= set(e)
        if e["status"] == "not computable":
            assert e["note"], e["id"]
    assert ledger["data"]["synthetic"] is True and len(ledger["data"]["sha256"]) == 64


def test_synthetic_cohort_matches_what_it_was_built_to(ledger, published):
    df = ledger_frame(ledger).set_index("id")
    published_hr_ids = list(published.hazard_ratios)
    # the early HCC window has 3-4 events per arm: its interval cannot meet the published one (issue 16)
    built = [i for i in df.index if i.startswith(("consort.", "hcc.events.", "ae.fever", "followup.median."))
             or i in {f"{h}.hr" for h in published_hr_ids} and i != "hcc.landmark8.early.hr"]
    assert (df.loc[built, "status"] == "agrees").all(), df.loc[built, ["published", "value", "status"]]
    assert (df.loc[built, "provenance"] == "by construction").all()


def test_status_rules(trial_dir):
    """No HCC in the UC-MSC arm and no AE file: the HCC HR is not computable, counts differ, fever not computable."""
    import pandas as pd

    from analysis import load_trial

    p = pd.read_csv(trial_dir / "patients.csv", dtype=str, keep_default_na=False)
    p.loc[(p["arm"] == "ucmsc") & (p["disposition"] == "analyzed"), "hcc"] = "0"
    p.to_csv(trial_dir / "patients.csv", index=False)
    (trial_dir / "adverse_events.csv").unlink()
    res = chapter_results(load_trial(trial_dir), chapters=("survival", "safety"))  # the chapters holding these ids
    df = pd.DataFrame([r.as_json() for c in res.values() for r in c.values()]).set_index("id")
    assert df.loc["hcc.events.ucmsc", "status"] == "differs"
    assert df.loc["hcc.cox.hr", "status"] == "not computable"
    assert df.loc["ae.fever.ucmsc", "status"] == "not computable"
    assert "adverse_events.csv" in df.loc["ae.fever.ucmsc", "note"]


@pytest.mark.slow
def test_same_data_same_bytes(tmp_path, trial, ledger):
    """A computation from scratch (no result kept) writes the same bytes as the session's results."""
    from analysis.report import results

    a = write_ledger(trial, tmp_path / "a.json").read_bytes()  # the session's results (computed once)
    results._COMPUTED.clear()
    b = write_ledger(trial, tmp_path / "b.json").read_bytes()
    assert a == b
    json.loads(a)  # valid JSON, no NaN


def test_cli(tmp_path, capsys):
    out = tmp_path / "l.json"
    small = Path(__file__).resolve().parent / "datasets" / "leukemia"
    assert main(["ledger", "--data", str(small), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["entries"]
    assert main(["ledger", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "x.json")]) == 1
    assert not (tmp_path / "x.json").exists()


def test_book_functions_give_the_ledger_values(trial, published, ledger):
    """The chapters call these functions; the ledger must hold exactly their numbers."""
    df = ledger_frame(ledger).set_index("id")
    lm = landmark_comparison(trial, published)
    for key, row in lm.iterrows():
        for f in ("hr", "ci_low", "ci_high", "p"):
            rid, col = (f"{key}.hr", "value" if f == "hr" else f) if f != "p" else (f"{key}.p", "value")
            assert df.loc[rid, col] == pytest.approx(row[f], rel=1e-9)
    tab = baseline_table(trial)
    for v in ("tp", "che", "meld"):
        assert df.loc[f"baseline.{v}.p", "value"] == pytest.approx(tab.row(v)["p"], rel=1e-9)
    fu = followup(trial).set_index("arm")
    for a in ("control", "ucmsc"):
        assert df.loc[f"followup.median.{a}", "value"] == pytest.approx(fu.loc[a, "median_simple"], rel=1e-9)
        assert df.loc[f"followup.reverse_km_median.{a}", "value"] == pytest.approx(fu.loc[a, "median_reverse_km"], rel=1e-9)


def test_hr_tolerance_is_on_the_log_scale(ledger):
    df = ledger_frame(ledger).set_index("id")
    r = df.loc["os.cox.hr"]
    assert r["tolerance"]["kind"] == "log_ratio"
    within = all(abs(math.log(r[a] / r[b])) <= r["tolerance"]["value"]
                 for a, b in (("value", "published"), ("ci_low", "published_ci_low"), ("ci_high", "published_ci_high")))
    assert within == (r["status"] == "agrees")
    values = df["value"].dropna()
    numbers = values[~values.map(lambda x: isinstance(x, str))].astype(float)
    assert len(numbers) > 0.9 * len(values) and np.isfinite(numbers).all()


def test_data_identity_is_the_content(tmp_path, trial, synthetic_ledger):
    """Shuffled rows, reordered columns, another folder name or an output written into the folder
    leave the ledger's data hash unchanged; a changed value changes it (issue 11)."""
    import shutil

    import pandas as pd

    from analysis import load_trial
    from analysis.trial.data import content_digest

    base = content_digest(trial)
    other = tmp_path / "some-other-name"
    shutil.copytree(trial.path, other)
    for name in ("patients", "labs", "adverse_events", "screening"):
        df = pd.read_csv(other / f"{name}.csv", dtype=str, keep_default_na=False)
        df = df.sample(frac=1.0, random_state=7)[list(reversed(df.columns))]
        df.to_csv(other / f"{name}.csv", index=False)
    (other / "ledger.json").write_text("{}")  # an output written into the data folder
    assert content_digest(load_trial(other)) == base
    assert data_identity(load_trial(other)) == data_identity(trial) == synthetic_ledger["data"]
    assert "folder" not in synthetic_ledger["data"]
    p = pd.read_csv(other / "patients.csv", dtype=str, keep_default_na=False)
    p.loc[p.index[0], "age"] = str(float(p.loc[p.index[0], "age"]) + 1)
    p.to_csv(other / "patients.csv", index=False)
    assert content_digest(load_trial(other)) != base
