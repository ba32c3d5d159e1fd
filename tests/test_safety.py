"""Tests of analysis.toolkit.safety against R (stored output), Newcombe's published table and hand counts.

Reference values: ``tests/data/safety_reference.json``, written by
``Rscript tests/reference/safety_reference.R`` (R 4.2.2), which also
generated the small trial in ``tests/data/safety_trial/`` (2 x 30 analysed
patients, 2 withdrawn patients with events that must be ignored, an event
after the 48-week window, repeated events, HCC after 75 months). R computes
Fisher's test with ``fisher.test``, chi-square with ``chisq.test`` and the
Newcombe hybrid score interval written out from Wilson intervals.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import load_published
from analysis.toolkit import safety as S
from analysis.toolkit.agreement import STATUSES
from analysis.trial.data import load_trial
from analysis.report import figures
from analysis.report import tables
from analysis.report.format import MISSING_P

DATA = Path(__file__).parent / "data"
REF = json.loads((DATA / "safety_reference.json").read_text())
WINDOW = REF["window_days"]
COMPLICATIONS = ["infection", "gastrointestinal bleeding", "hepatic encephalopathy", "hepatorenal syndrome"]
NUM = ["risk_diff", "ci_low", "ci_high", "p_fisher"]
COUNTS = ["patients_control", "events_control", "patients_ucmsc", "events_ucmsc"]


@pytest.fixture(scope="module")
def trial():
    return load_trial(DATA / "safety_trial")


def test_exposed_denominators(trial):
    assert S.exposed(trial).to_dict() == REF["n"]
    assert S.exposed(trial, population="randomized").to_dict() == {k: v + 1 for k, v in REF["n"].items()}


def test_ae_frame_population_and_window(trial):
    all_ = S.ae_frame(trial)
    assert not all_["patient_id"].str.startswith("W").any()  # withdrawn patients' events dropped
    win = S.ae_frame(trial, window_days=WINDOW)
    assert len(all_) - len(win) == 1 and (win["onset_day"] <= WINDOW).all()
    assert len(S.ae_frame(trial, population="randomized")) == len(all_) + 2


# ---------------------------------------------------------------------------
# Two proportions
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("ex", REF["newcombe_examples"], ids=lambda e: f"{e['x1']}/{e['n1']}-{e['x2']}/{e['n2']}")
def test_newcombe_and_fisher_vs_r(ex):
    """R: newcombe() = Wilson-based hybrid score (Newcombe 1998, method 10); fisher.test(tab)$p.value."""
    r = S.compare_proportions(ex["x1"], ex["n1"], ex["x2"], ex["n2"])
    np.testing.assert_allclose([r["ci_low"], r["ci_high"]], [ex["ci_low"], ex["ci_high"]], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(r["p_fisher"], ex["p_fisher"], rtol=1e-9)


@pytest.mark.parametrize(
    "x1, n1, x2, n2, lo, hi",
    [  # Newcombe (1998) Stat Med 17:873, Table II, method 10 (4 decimals as printed)
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
        (10, 10, 0, 10, 0.6075, 1.0000),
    ],
)
def test_newcombe_published_table(x1, n1, x2, n2, lo, hi):
    r = S.compare_proportions(x1, n1, x2, n2)
    np.testing.assert_allclose([r["ci_low"], r["ci_high"]], [lo, hi], atol=5e-5)


def test_wald_hand_computation():
    """Wald: d +- z sqrt(p1 q1 / n1 + p2 q2 / n2), here 0.2 +- 1.959964 sqrt(0.16/100 + 0)."""
    r = S.compare_proportions(20, 100, 0, 50, method="wald")
    half = 1.959963984540054 * np.sqrt(0.2 * 0.8 / 100)
    np.testing.assert_allclose([r["ci_low"], r["ci_high"]], [0.2 - half, 0.2 + half], rtol=1e-12)


def test_direction_reverses_difference():
    a = S.compare_proportions(3, 20, 8, 25)
    b = S.compare_proportions(3, 20, 8, 25, direction="control_vs_ucmsc")
    np.testing.assert_allclose([b["risk_diff"], b["ci_low"], b["ci_high"]],
                               [-a["risk_diff"], -a["ci_high"], -a["ci_low"]], rtol=1e-12)
    assert a["p_fisher"] == b["p_fisher"]


@pytest.mark.parametrize("args, kw, match", [
    ((3, 0, 1, 10), {}, "x_ucmsc"),
    ((3, 10, 11, 10), {}, "x_control"),
    ((1.5, 10, 1, 10), {}, "integer"),
    ((1, 10, 1, 10), {"method": "exact"}, "method"),
    ((1, 10, 1, 10), {"direction": "x"}, "direction"),
    ((1, 10, 1, 10), {"conf_level": 1.0}, "conf_level"),
])
def test_compare_proportions_errors(args, kw, match):
    with pytest.raises(ValueError, match=match):
        S.compare_proportions(*args, **kw)


# ---------------------------------------------------------------------------
# AE tables
# ---------------------------------------------------------------------------
def _check_rows(ours: pd.DataFrame, ref: list[dict]) -> None:
    r = pd.DataFrame(ref)
    m = r.merge(ours, on="term", suffixes=("_r", ""), how="left", validate="one_to_one")
    for c in COUNTS:
        assert (m[c] == m[f"{c}_r"]).all(), c
    for c in NUM:
        np.testing.assert_allclose(m[c], m[f"{c}_r"], rtol=1e-9, atol=1e-12, err_msg=c)


def test_ae_by_term_vs_r(trial):
    """R: counts of unique patients and events per arm in the 48-week window; fisher.test; newcombe()."""
    t = S.ae_by_term(trial, terms=["fever", *COMPLICATIONS, "ascites", "allergy"], window_days=WINDOW)
    assert t["term"].iloc[0] == S.ANY_EVENT
    _check_rows(t, REF["by_term"])
    allergy = t[t["term"] == "allergy"].iloc[0]
    assert (allergy["patients_ucmsc"], allergy["events_ucmsc"], allergy["p_fisher"]) == (0, 0, 1.0)
    assert (t["pct_ucmsc"] == 100 * t["patients_ucmsc"] / t["n_ucmsc"]).all()


def test_ae_by_term_other_terms_and_serious(trial):
    t = S.ae_by_term(trial, terms=["fever"])
    assert set(t["term"]) == {S.ANY_EVENT, "fever", "ascites", *COMPLICATIONS}
    assert t.loc[t["term"] == "ascites", "events_ucmsc"].item() == 1  # the late event, no window
    s = S.ae_by_term(trial, serious_only=True, include_other=False, terms=["fever", "infection"])
    assert s.loc[s["term"] == "fever", ["patients_ucmsc", "events_ucmsc"]].to_numpy().sum() == 0
    ref_inf = next(r for r in REF["by_term"] if r["term"] == "infection")
    assert s.loc[s["term"] == "infection", "events_control"].item() == ref_inf["events_control"]


def test_infusion_related_term(trial):
    t = S.ae_by_term(trial, terms=["infusion-related infection", "infusion-related fever"], include_other=False)
    assert t.loc[t["term"] == "infusion-related infection", "patients_ucmsc"].item() == 0
    ref_fever = next(r for r in REF["by_term"] if r["term"] == "fever")
    assert t.loc[t["term"] == "infusion-related fever", "events_ucmsc"].item() == ref_fever["events_ucmsc"]


def test_ae_by_seriousness_vs_r(trial):
    t = S.ae_by_seriousness(trial, window_days=WINDOW)
    _check_rows(t, REF["by_seriousness"])
    assert t["category"].tolist()[:3] == ["any", "seriousness", "seriousness"]
    s = t.set_index("term")
    # serious + non-serious events add up to all events
    for arm in ("control", "ucmsc"):
        assert s.loc["serious", f"events_{arm}"] + s.loc["non-serious", f"events_{arm}"] == \
            s.loc[S.ANY_EVENT, f"events_{arm}"]


def test_infusion_reactions_vs_r(trial):
    """R: min, median, max of onset and duration hours, temperature range of infusion-linked events."""
    ours = S.infusion_reactions(trial, protect=False)
    assert len(ours) == len(REF["infusion"]) == 1
    r, o = REF["infusion"][0], ours.iloc[0]
    assert (o["term"], o["arm"], o["patients"], o["events"]) == (r["term"], r["arm"], r["patients"], r["events"])
    for c in ["onset_min", "onset_median", "onset_max", "duration_min", "duration_median", "duration_max",
              "temperature_min", "temperature_max"]:
        np.testing.assert_allclose(o[c], r[c], rtol=1e-12, err_msg=c)
    by = S.infusion_reactions(trial, by_infusion=True, protect=False)
    assert by["events"].sum() == r["events"]
    assert sorted(by["infusion_number"]) == [1.0, 2.0, 3.0]


def test_infusion_reactions_without_columns(trial):
    ae = trial.adverse_events.drop(columns=["infusion_number", "onset_hours_after_infusion", "duration_hours",
                                            "temperature_c"])
    out = S.infusion_reactions(replace(trial, adverse_events=ae))
    assert out.empty and "onset_median" in out.columns


def test_absent_ae_table_errors(trial):
    with pytest.raises(ValueError, match="adverse_events.csv"):
        S.ae_by_term(replace(trial, adverse_events=None))
    with pytest.raises(ValueError, match="window_days"):
        S.ae_frame(trial, window_days=-1)
    with pytest.raises(ValueError, match="population"):
        S.exposed(trial, population="safety")


# ---------------------------------------------------------------------------
# HCC incidence
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", REF["hcc"], ids=lambda c: f"horizon={c['horizon']}")
def test_hcc_incidence_vs_r(trial, case):
    """R: chisq.test(tab, correct = TRUE / FALSE)$p.value, fisher.test(tab)$p.value, newcombe()."""
    h = S.hcc_incidence(trial, horizon=case["horizon"]).iloc[0]
    for c in ["events_control", "n_control", "events_ucmsc", "n_ucmsc"]:
        assert h[c] == case[c], c
    for c in ["risk_diff", "ci_low", "ci_high", "p_fisher", "p_chisq", "p_chisq_yates"]:
        np.testing.assert_allclose(h[c], case[c], rtol=1e-9, err_msg=c)


def test_hcc_incidence_published_row(trial):
    pub = load_published().hcc_incidence
    h = S.hcc_incidence(trial, horizon=pub["horizon_months"], published=pub).set_index("source")
    p = h.loc["published"]
    assert (p["events_control"], p["n_control"]) == (pub["control"]["events"], pub["control"]["n"])
    # the published percentages are the counts rounded to 1 decimal
    np.testing.assert_allclose([p["pct_control"], p["pct_ucmsc"]],
                               [pub["control"]["percent"], pub["ucmsc"]["percent"]], atol=0.05)
    assert h["horizon_months"].eq(pub["horizon_months"]).all()


def test_incidence_test_zero_column():
    r = S.incidence_test(0, 10, 0, 12).iloc[0]
    assert np.isnan(r["p_chisq"]) and r["p_fisher"] == 1.0


def test_hcc_horizon_error(trial):
    with pytest.raises(ValueError, match="horizon"):
        S.hcc_incidence(trial, horizon=0)


# ---------------------------------------------------------------------------
# Statements, formatting, figure
# ---------------------------------------------------------------------------
def test_safety_statements(trial):
    pub = load_published()
    st = S.safety_statements(trial, pub).set_index("id")
    fev = pub.adverse_events["fever"]
    ref_fever = REF["infusion"][0]
    assert st.loc["fever_patients", "cohort_value"] == ref_fever["patients"]
    assert set(st["status"]) <= set(STATUSES)
    agrees = st["status"] == "agrees"
    assert agrees["fever_patients"] == (ref_fever["patients"] == fev["patients"])
    lo, hi = fev["onset_hours_after_infusion"]
    assert agrees["fever_onset_hours_after_infusion"] == (lo <= ref_fever["onset_min"] and ref_fever["onset_max"] <= hi)
    assert agrees["fever_resolution"] == (ref_fever["duration_max"] <= fev["resolved_within_hours"])
    for t in pub.adverse_events["absent_terms"]:
        assert agrees[f"absent_{t.replace(' ', '_')}"]
    assert st.loc["hcc_control", "cohort"] == f"{REF['hcc'][0]['events_control']}/{REF['n']['control']}"
    # without the AE table only the HCC rows remain
    st2 = S.safety_statements(replace(trial, adverse_events=None), pub)
    assert st2["id"].tolist() == ["hcc_control", "hcc_ucmsc"]
    # a quantity the data do not record is not computable, not a disagreement
    ae = trial.adverse_events.drop(columns=["onset_hours_after_infusion", "duration_hours"])
    st3 = S.safety_statements(replace(trial, adverse_events=ae), pub).set_index("id")["status"]
    assert st3["fever_onset_hours_after_infusion"] == st3["fever_resolution"] == "not computable"
    assert st3["fever_patients"] == st["status"]["fever_patients"]


def test_format_ae_table_snapshot(trial):
    """Snapshot of the rendered table (numbers are tested above)."""
    t = S.ae_by_term(trial, terms=["fever", "infection"], include_other=False, window_days=WINDOW)
    f = tables.format_ae_table(t)
    assert f.columns.tolist() == ["Event", "Control (N=30)", "UC-MSC (N=30)", "Difference, % points (95% CI)",
                                  "p (Fisher)"]
    assert f.iloc[1].tolist() == ["Fever", "0 (0.0%) [0]", "5 (16.7%) [6]", "16.7 (2.0 to 33.6)", "0.052"]


def test_format_severity_labels(trial):
    f = tables.format_ae_table(S.ae_by_seriousness(trial))
    assert f["Event"].tolist() == [S.ANY_EVENT, "Serious", "Non-serious", "Mild", "Moderate", "Severe",
                                   "Life-threatening", "Fatal"]


def test_format_p_threshold():
    t = pd.DataFrame([{"term": "x", "patients_control": 0, "events_control": 0, "n_control": 40,
                       "patients_ucmsc": 20, "events_ucmsc": 25, "n_ucmsc": 40,
                       **{k: v for k, v in S.compare_proportions(20, 40, 0, 40).items() if k in NUM}}])
    assert tables.format_ae_table(t)["p (Fisher)"].item() == "<0.001"
    with pytest.raises(ValueError, match="ae_by_term"):
        tables.format_ae_table(t.drop(columns="p_fisher"))


def test_plot_risk_differences(trial):
    import matplotlib.pyplot as plt

    t = S.ae_by_term(trial, terms=COMPLICATIONS, include_other=False, window_days=WINDOW)
    fig = figures.plot_risk_differences(t)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == len(t)
    assert "percentage points" in ax.get_xlabel()
    plt.close(fig)


def test_format_incidence(trial):
    pub = load_published().hcc_incidence
    h = S.hcc_incidence(trial, horizon=pub["horizon_months"], published=pub)
    f = tables.format_incidence(h)
    assert f.columns.tolist() == ["Source", "Control", "UC-MSC", "Difference, % points (95% CI)", "p (Fisher)",
                                  "p (chi-square)", "p (chi-square, Yates)"]
    c = pub["control"]
    assert f.iloc[1]["Control"] == f"{c['events']}/{c['n']} ({100 * c['events'] / c['n']:.1f}%)"
    z = tables.format_incidence(S.incidence_test(0, 10, 0, 12))
    assert z.iloc[0]["p (chi-square)"] == MISSING_P and "Source" not in z.columns
    with pytest.raises(ValueError, match="hcc_incidence"):
        tables.format_incidence(h.drop(columns="p_chisq"))


def test_format_infusion_reactions(trial):
    r = REF["infusion"][0]
    f = tables.format_infusion_reactions(S.infusion_reactions(trial, protect=False))
    assert f.iloc[0]["Onset, h after infusion: median (range)"] == \
        f"{r['onset_median']:.1f} ({r['onset_min']:.1f} to {r['onset_max']:.1f})"
    assert f.iloc[0]["Temperature, °C (range)"] == f"{r['temperature_min']:.1f} to {r['temperature_max']:.1f}"
    by = tables.format_infusion_reactions(S.infusion_reactions(trial, by_infusion=True, protect=False))
    assert by["Infusion"].tolist() == ["1", "2", "3"]
    with pytest.raises(ValueError, match="infusion_reactions"):
        tables.format_infusion_reactions(S.ae_by_term(trial))
