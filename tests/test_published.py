"""The paper's numbers load into typed objects with the documented conventions."""

from __future__ import annotations

import math

import pytest

from analysis import HR_CONVENTION, load_published


def test_six_hazard_ratios_with_direction(published):
    keys = {"os.cox", "os.landmark13.early", "os.landmark13.late", "hcc.cox", "hcc.landmark8.early", "hcc.landmark8.late"}
    assert set(published.hazard_ratios) == keys
    for h in published.hazard_ratios.values():
        assert h.convention == HR_CONVENTION == "control_vs_ucmsc"
        assert h.ci_low < h.hr < h.ci_high
        assert 0 < h.p < 1
        assert h.source
    assert "control relative to UC-MSC" in published.raw["hr_convention"]


def test_consort_arithmetic_of_the_file(published):
    c = published.consort
    assert c["screened"] - sum(c["excluded"].values()) == sum(c["randomized"].values())
    for arm in ("control", "ucmsc"):
        assert c["randomized"][arm] - c["withdrew"][arm] - c["lost_to_follow_up"][arm] == c["analyzed"][arm]
        assert published.raw["table1"]["n"][arm] == c["analyzed"][arm]


@pytest.mark.parametrize("kind,required", [("mean_sd", {"mean", "sd"}), ("median_range", {"median", "min", "max"})])
def test_table1_rows_have_their_statistics(published, kind, required):
    rows = [r for r in published.table1 if r.kind == kind]
    assert rows
    for r in rows:
        for arm in ("control", "ucmsc"):
            assert required <= set(r.arm(arm))
            if kind == "mean_sd":
                assert set(r.decimals_for(arm)) == {"mean", "sd"}


def test_count_rows_add_up_to_n(published):
    n = published.raw["table1"]["n"]
    for r in published.table1:
        if r.kind == "counts":
            for arm in ("control", "ucmsc"):
                assert sum(r.arm(arm).values()) == n[arm], r.variable


def test_every_entry_says_where_it_stands(published):
    raw = published.raw
    for section in ("consort", "followup", "table1", "hcc_incidence", "adverse_events", "sample_size", "dosing", "visits", "landmarks"):
        assert raw[section]["source"], section
    assert raw["followup"]["unit"] == "months"


def test_frames(published):
    hr = published.hr_frame()
    assert list(hr.columns[:8]) == ["endpoint", "label", "start", "end", "hr", "ci_low", "ci_high", "p"]
    t1 = published.table1_frame()
    assert "tbil" in t1.index and t1.loc["tbil", "p_operator"] == "<"
    assert math.isclose(published.horizon, raw_h := float(published.raw["followup"]["horizon"])) and raw_h > 0


def test_other_file(tmp_path):
    pub = load_published()
    old = f"hr: {pub.hazard_ratios['os.cox'].hr}"
    src = pub.path.read_text()
    assert src.count(old) == 1
    f = tmp_path / "other.yaml"
    f.write_text(src.replace(old, "hr: 1.95"))
    assert load_published(f).hazard_ratios["os.cox"].hr == 1.95
