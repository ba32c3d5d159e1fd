"""Tests of analysis.toolkit.baseline and the Table 1 formatting in analysis.report.tables."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.report import tables
from analysis.toolkit.baseline import (
    BaselineTable,
    baseline_imbalances,
    baseline_table,
    compare_with_published,
    smd_categorical,
    smd_continuous,
)
from analysis.trial.data import load_trial
from analysis.toolkit.agreement import STATUSES
from analysis.trial.published import load_published
from analysis.toolkit.warnings import StatisticalWarning

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def ref() -> dict:
    """tests/data/baseline_reference.json, made with the trial folder it describes by

    ``Rscript tests/reference/baseline_reference.R`` (R 4.2.2, e1071 1.7.13): ``t.test(x, y,
    var.equal = TRUE)``, ``t.test(x, y)``, ``wilcox.test(x, y, exact = FALSE, correct = TRUE)``,
    ``e1071::skewness(type = 2)``, ``quantile(type = 7)``, ``chisq.test(tab, correct = FALSE/TRUE)``,
    ``fisher.test(tab)`` and the Yang & Dalton SMD written out in R, with x = UC-MSC, y = control.
    """
    return json.loads((DATA / "baseline_reference.json").read_text())


@pytest.fixture(scope="module")
def trial():
    return load_trial(DATA / "baseline_trial")


@pytest.fixture(scope="module")
def table(trial) -> BaselineTable:
    # the small test cohort has expected counts below 5 (sex, Child-Pugh): warned, by design
    with pytest.warns(StatisticalWarning, match="expected counts below 5"):
        return baseline_table(trial)


def test_reference_records_versions(ref):
    assert ref["r_version"].startswith("R version") and "e1071" in ref["packages"]


def test_analysis_set_and_notes(table, ref, trial):
    assert table.n == ref["n"]
    assert table.n["control"] + table.n["ucmsc"] == len(trial.analyzed) < len(trial.patients)
    for absent in ("tp", "plt", "cr", "alt", "ast", "pta", "che", "inr"):
        assert any(f"'{absent}'" in n for n in table.notes)
    assert table.variables() == ["age", "sex", "alb", "tbil", "hbeag", "meld", "meld_gt15", "child_pugh", "ascites"]


CONT_STATS = ["n", "mean", "sd", "median", "q1", "q3", "min", "max", "skewness"]


@pytest.mark.parametrize("var", ["age", "alb", "tbil", "meld"])
def test_continuous_rows_match_r(table, ref, var):
    want = ref["continuous"][var]
    row = table.row(var)
    for arm in ("control", "ucmsc"):
        for st in CONT_STATS:
            assert row[f"{st}_{arm}"] == pytest.approx(want[arm][st], rel=1e-6), (var, arm, st)
    assert row["statistic"] == pytest.approx(want["t"], rel=1e-6)
    assert row["p"] == pytest.approx(want["p_student"], rel=1e-6)
    assert row["p_student"] == pytest.approx(want["p_student"], rel=1e-6)
    assert row["p_welch"] == pytest.approx(want["p_welch"], rel=1e-6)
    assert row["p_mannwhitney"] == pytest.approx(want["p_mannwhitney"], rel=1e-6)
    assert row["smd"] == pytest.approx(want["smd"], rel=1e-6)


def test_missing_values_are_counted(table, trial):
    row = table.row("alb")
    a = trial.analyzed
    for arm in ("control", "ucmsc"):
        assert row[f"missing_{arm}"] == a.loc[a["arm"] == arm, "alb"].isna().sum()
        assert row[f"n_{arm}"] + row[f"missing_{arm}"] == table.n[arm]


@pytest.mark.parametrize("var", ["sex", "hbeag", "child_pugh", "ascites", "meld_gt15"])
def test_categorical_rows_match_r(table, ref, var):
    want = ref["categorical"][var]
    rows = table.summary[table.summary["variable"] == var]
    assert list(rows["count_control"]) == want["control"]
    assert list(rows["count_ucmsc"]) == want["ucmsc"]
    r = rows.iloc[0]
    assert r["statistic"] == pytest.approx(want["statistic"], rel=1e-6)
    assert r["df"] == want["df"]
    assert r["p"] == pytest.approx(want["p_chisq"], rel=1e-6)
    assert r["p_fisher"] == pytest.approx(want["p_fisher"], rel=1e-6)
    assert r["smd"] == pytest.approx(want["smd"], rel=1e-6)
    if "p_chisq_yates" in want:
        assert r["p_chisq_yates"] == pytest.approx(want["p_chisq_yates"], rel=1e-6)
    else:
        assert np.isnan(r["p_chisq_yates"])
    # percentages of the non-missing patients add to 100 per arm
    for arm in ("control", "ucmsc"):
        assert rows[f"pct_{arm}"].sum() == pytest.approx(100.0)


def test_options_change_the_reported_test(trial):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        base = baseline_table(trial)
        yates = baseline_table(trial, correction=True)
        mw = baseline_table(trial, continuous_test="mannwhitney")
        welch = baseline_table(trial, continuous_test="welch")
        cut = baseline_table(trial, meld_cutoff=10)
    assert yates.row("ascites", 1)["p"] == pytest.approx(base.row("ascites", 1)["p_chisq_yates"])
    assert yates.row("child_pugh", "A")["p"] == base.row("child_pugh", "A")["p_chisq"]  # 2 x 3: no correction
    assert mw.row("tbil")["p"] == base.row("tbil")["p_mannwhitney"]
    assert welch.row("tbil")["p"] == base.row("tbil")["p_welch"]
    a = trial.analyzed
    assert cut.row("meld_gt15", ">10")["count_control"] == ((a["arm"] == "control") & (a["meld"] > 10)).sum()


# ----------------------------------------------------------------------------
# Standardized differences: hand computations
# ----------------------------------------------------------------------------
def test_smd_hand_values():
    # (0.5 - 0.3) / sqrt((0.25 + 0.21) / 2)
    assert smd_categorical([0.5, 0.5], [0.3, 0.7]) == pytest.approx(0.2 / math.sqrt(0.23), rel=1e-12)
    # means 2 and 1 with SDs 1 and 1 -> 1; x_t = (1, 2, 3), x_c = (0, 1, 2)
    assert smd_continuous([1, 2, 3], [0, 1, 2]) == pytest.approx(1.0)
    assert smd_continuous([1, 2, 3, np.nan], [0, 1, 2]) == pytest.approx(1.0)


def test_smd_multilevel_reduces_to_binary():
    """With a third level empty in both arms, the Mahalanobis SMD is |binary SMD| (Yang & Dalton)."""
    t, cc = [0.6, 0.4], [0.45, 0.55]
    b = smd_categorical(t, cc)
    assert smd_categorical([t[0], t[1], 0.0], [cc[0], cc[1], 0.0]) == pytest.approx(abs(b), rel=1e-9)
    assert smd_categorical([0.0, t[0], t[1]], [0.0, cc[0], cc[1]]) == pytest.approx(abs(b), rel=1e-9)
    assert smd_categorical([0.2, 0.5, 0.3], [0.2, 0.5, 0.3]) == 0.0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: smd_categorical([0.5, 0.6], [0.5, 0.5]), "sum to 1"),
        (lambda: smd_categorical([1.0], [1.0]), ">= 2 levels"),
        (lambda: smd_continuous([1], [1, 2]), "at least 2 non-missing"),
    ],
)
def test_smd_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "frame, kwargs, match",
    [
        (pd.DataFrame({"age": [1.0], "sex": ["M"]}), {}, "required column"),
        (pd.DataFrame({"arm": ["control", "placebo"], "age": [1.0, 2.0], "sex": ["M", "F"]}), {},
         "column 'arm' must hold only"),
        (pd.DataFrame({"arm": ["control", "control"], "age": [1.0, 2.0], "sex": ["M", "F"]}), {},
         "has no patient in ucmsc"),
        (pd.DataFrame({"arm": ["control", "ucmsc"], "age": [1.0, 2.0], "sex": ["M", "F"]}),
         {"continuous_test": "ttest"}, "continuous_test must be one of"),
    ],
)
def test_bad_input(frame, kwargs, match):
    with pytest.raises(ValueError, match=match):
        baseline_table(frame, **kwargs)


def test_small_expected_counts_warn():
    df = pd.DataFrame({"arm": ["control"] * 6 + ["ucmsc"] * 6, "age": np.arange(12.0),
                       "sex": ["M"] * 5 + ["F"] + ["M"] * 6})
    with pytest.warns(StatisticalWarning, match="sex: expected counts below 5"):
        baseline_table(df)


# ----------------------------------------------------------------------------
# Imbalances and the published table
# ----------------------------------------------------------------------------
def test_imbalances(table):
    imb = baseline_imbalances(table, smd_threshold=0.2)
    assert list(imb.index) == list(imb.sort_values("abs_smd", ascending=False).index)
    assert (imb["imbalanced_smd"] == (imb["abs_smd"] > 0.2)).all()
    assert imb.loc["tbil", "smd"] == table.row("tbil")["smd"]


def test_compare_with_published(table):
    pub = load_published()
    cmp = compare_with_published(table, pub)
    assert list(dict.fromkeys(cmp["variable"])) == [r.variable for r in pub.table1]
    p_rows = cmp[cmp["statistic"] == "p"].set_index("variable")
    assert p_rows.loc["tbil", "cohort"] == table.row("tbil")["p"]
    assert np.isnan(p_rows.loc["tp", "cohort"])  # absent in this cohort
    mg = cmp[(cmp["variable"] == "meld_gt15") & (cmp["statistic"] == "count")]
    # our "<=15" level sits against the paper's "<15"
    ours = table.row("meld_gt15", "<=15")["count_control"]
    assert mg[(mg["level"] == "<15") & (mg["arm"] == "control")]["cohort"].item() == ours
    assert (cmp["difference"].dropna() == (cmp["cohort"] - cmp["published"]).dropna()).all()
    # agreement to the printed digits: a value that rounds to the published one agrees
    have = cmp.dropna(subset=["cohort"])
    half = 0.5 * 10.0 ** -have["decimals"].astype(float)
    plain = have[have["statistic"] != "p"]
    assert (plain["agrees"] == (plain["difference"].abs() <= half[plain.index] + 1e-9)).all()
    assert cmp.loc[cmp["cohort"].isna(), "agrees"].isna().all()
    tbil_p = have[(have["variable"] == "tbil") & (have["statistic"] == "p")].iloc[0]
    assert tbil_p["agrees"] == (tbil_p["cohort"] < pub.table1_row("tbil").p)  # printed as p < 0.001


# ----------------------------------------------------------------------------
# Formatting: numbers behind it above, rendering here (snapshot)
# ----------------------------------------------------------------------------
def test_display_strings(table):
    d = tables.baseline_display(table)
    r = table.row("alb")
    line = d[d["row"].str.startswith("Albumin")].iloc[0]
    assert line["control"] == f"{r['mean_control']:.1f} \u00b1 {r['sd_control']:.1f}"
    assert tables.format_p(0.0004) == "<0.001" and tables.format_p(0.0404) == "0.040"
    # a categorical variable: heading line with p and SMD, then one indented line per level
    i = d.index[d["row"].str.startswith("Child-Pugh class")][0]
    assert d.loc[i, "p"] == tables.format_p(table.row("child_pugh", "A")["p"]) and d.loc[i, "indent"] == 0
    levels = d.loc[i + 1:i + 3]
    assert list(levels["row"]) == ["A", "B", "C"] and (levels["indent"] == 1).all() and (levels["p"] == "").all()
    assert levels["control"].iloc[0] == f"{int(table.row('child_pugh', 'A')['count_control'])} (" \
        f"{table.row('child_pugh', 'A')['pct_control']:.1f}%)"


def test_baseline_html_snapshot(table):
    """The rendered Table 1 must not drift (fixed id: deterministic HTML).

    Regenerate after an intended change (and look at the result) with::

        python -c "import warnings; warnings.simplefilter('ignore'); from analysis import load_trial, tables; \\
        from analysis.toolkit.baseline import baseline_table; t = baseline_table(load_trial('tests/data/baseline_trial')); \\
        open('tests/data/baseline_table_snapshot.html', 'w').write(tables.format_baseline(t).as_raw_html())"
    """
    html = tables.format_baseline(table).as_raw_html()
    assert html == tables.format_baseline(table).as_raw_html()
    assert html == (DATA / "baseline_table_snapshot.html").read_text()


def test_side_by_side_and_consistency_tables():
    """Published cells print the YAML values with the paper's decimals; tables render deterministically."""
    from analysis.toolkit import consistency

    pub = load_published()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        table = baseline_table(load_trial(DATA / "baseline_trial"))
    cmp = compare_with_published(table, pub)
    d = tables.side_by_side_display(cmp, pub)
    tp = pub.table1_row("tp")
    dec = tp.decimals_for("control")
    line = d[d["group"] == tp.label].iloc[0]
    assert line["control_published"] == f"{tp.control['mean']:.{dec['mean']}f} \u00b1 {tp.control['sd']:.{dec['sd']}f}"
    assert line["control_cohort"] == ""  # tp is absent from this cohort
    tbil = d[d["group"] == pub.table1_row("tbil").label].iloc[0]
    assert tbil["p_published"] == f"<{pub.table1_row('tbil').p:.3f}"
    checks = consistency.check_published(pub)
    disp = tables.consistency_display(checks)
    assert len(disp) == len(checks) and list(disp["status"]) == list(checks["status"])
    inexact = (checks["status"] == "agrees") & ~checks["exact"]
    assert list(disp["shown"]) == [tables.WITHIN_ROUNDING if w else s for s, w in zip(checks["status"], inexact)]
    for make in (lambda: tables.format_side_by_side(cmp, pub, table),
                 lambda: tables.format_consistency(checks),
                 lambda: tables.format_test_comparison(consistency.compare_table1_tests(pub))):
        html = make().as_raw_html()
        assert html == make().as_raw_html()
    html = tables.format_consistency(checks).as_raw_html()
    assert set(tables.STATUS_COLORS) == set(STATUSES)
    for v, colour in tables.STATUS_COLORS.items():
        assert (colour in html) == (v in set(checks["status"]))
    assert tables.WITHIN_ROUNDING in html and "Verdict" not in html
    with pytest.raises(ValueError, match="missing columns"):
        tables.consistency_display(checks.drop(columns="status"))
    # a test that cannot be computed is marked so, not as a failure to reproduce
    tc = consistency.compare_table1_tests(pub)
    tc.loc[tc["test"] == "Fisher exact", ["p", "p_low", "p_high", "status", "exact"]] = \
        [float("nan"), float("nan"), float("nan"), "not computable", False]
    html = tables.format_test_comparison(tc).as_raw_html()
    assert "Fisher exact: not computable \u2013" in html and "nan" not in html
