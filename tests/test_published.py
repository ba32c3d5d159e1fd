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


# ----------------------------------------------------------------------------
# Landmark hazard ratios: the landmark time is typed once, under `landmarks:`
# ----------------------------------------------------------------------------
def _raw():
    import yaml

    return yaml.safe_load(load_published().path.read_text(encoding="utf-8"))


def _write(tmp_path, raw, name="other.yaml"):
    import yaml

    f = tmp_path / name
    f.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return f


def test_landmark_ids_windows_and_labels_derive_from_landmarks(published):
    landmark = [h for h in published.hazard_ratios.values() if h.part is not None]
    assert {(h.endpoint, h.part) for h in landmark} == {(ep, part) for ep in ("os", "hcc") for part in ("early", "late")}
    for h in landmark:
        L = published.landmarks[h.endpoint]
        assert h.landmark == L
        assert h.key == f"{h.endpoint}.landmark{L:g}.{h.part}"
        assert h.window == ((0.0, L) if h.part == "early" else (L, published.horizon))
        assert f"{h.window[0]:g}-{h.window[1]:g} months (landmark)" in h.label
        assert published.landmark_hr(h.endpoint, h.part) is h
    # the file itself names no landmark time inside these entries
    for key, v in published.raw["hazard_ratios"].items():
        if "part" in v:
            assert "window" not in v and key == f"{v['endpoint']}.landmark.{v['part']}"


def test_moving_a_landmark_moves_its_ids_and_windows(tmp_path, published):
    raw = _raw()
    L = published.landmarks["os"]
    raw["landmarks"]["os"] = L + 1
    pub = load_published(_write(tmp_path, raw))
    early, late = pub.landmark_hr("os", "early"), pub.landmark_hr("os", "late")
    assert (early.key, late.key) == (f"os.landmark{L + 1:g}.early", f"os.landmark{L + 1:g}.late")
    assert early.window == (0.0, L + 1) and late.window == (L + 1, pub.horizon)
    assert early.hr == published.landmark_hr("os", "early").hr
    assert f"os.landmark{L:g}.early" not in pub.hazard_ratios


def test_the_older_layout_loads_the_same_when_it_agrees(tmp_path, published):
    """An entry keyed by its time with an explicit window (the layout before) is accepted if it agrees."""
    raw = _raw()
    for key in [k for k, v in raw["hazard_ratios"].items() if "part" in v]:
        v = raw["hazard_ratios"].pop(key)
        h = published.landmark_hr(v["endpoint"], v.pop("part"))
        raw["hazard_ratios"][h.key] = {**v, "label": h.label, "window": list(h.window)}
    pub = load_published(_write(tmp_path, raw))
    assert pub.hazard_ratios.keys() == published.hazard_ratios.keys()
    for key, h in published.hazard_ratios.items():
        g = pub.hazard_ratios[key]
        assert (g.window, g.label, g.hr, g.part, g.landmark) == (h.window, h.label, h.hr, h.part, h.landmark)


@pytest.mark.parametrize("change,match", [
    ("window", "window .* disagrees with `landmarks: os"),
    ("key", "the key disagrees with `landmarks: os"),
    ("old_key", "key disagrees with `landmarks: os"),
    ("claim", "claims: no hazard ratio"),
    ("no_landmark", "needs `landmarks: os:`"),
])
def test_the_loader_rejects_a_landmark_time_that_disagrees(tmp_path, published, change, match):
    raw = _raw()
    hrs = raw["hazard_ratios"]
    L = published.landmarks["os"]
    if change == "window":  # a window given beside `part`, naming another time
        hrs["os.landmark.early"]["window"] = [0, L + 1]
    elif change == "key":  # a key naming another time
        hrs[f"os.landmark{L + 1:g}.early"] = hrs.pop("os.landmark.early")
    elif change == "old_key":  # the older layout: key and window name one time, landmarks: another
        v = hrs.pop("os.landmark.late")
        del v["part"]
        hrs[f"os.landmark{L:g}.late"] = {**v, "window": [L, published.horizon]}
        raw["landmarks"]["os"] = L + 1
    elif change == "claim":  # a claim about an id that moving the HCC landmark no longer gives
        raw["landmarks"]["hcc"] = published.landmarks["hcc"] + 1
    elif change == "no_landmark":
        del raw["landmarks"]["os"]
    with pytest.raises(ValueError, match=match):
        load_published(_write(tmp_path, raw))
