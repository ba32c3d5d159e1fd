"""Publication tables: the formatting layer over the numbers of :mod:`analysis.toolkit.baseline` and :mod:`analysis.toolkit.consistency`.

Nothing here computes a statistic: functions take the tidy frames the
statistical functions return, round them for print and lay them out with
``great_tables``. Every table gets a fixed HTML ``id`` so that its rendering is
byte-for-byte reproducible (great_tables otherwise draws a random id per
render, which would break the notebooks' output comparison).
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

import numpy as np
import pandas as pd
from great_tables import GT, loc, style

from ..toolkit.baseline import BaselineTable, level_label
from ..toolkit.consistency import CHECK_COLUMNS
from ..toolkit import disclosure
from ..toolkit.longitudinal import ANALYTE_UNITS
from ..toolkit.schema import ARM_LABELS, ARMS, LAB_ANALYTES
from .format import _fmt_ci, _label, arm_label, format_p

__all__ = ["DEFAULT_DECIMALS", "published_decimals", "baseline_display", "format_baseline", "side_by_side_display", "format_side_by_side", "consistency_display", "format_consistency", "format_test_comparison", "format_hr_table", "format_km_times", "format_estimates", "format_visits", "format_ae_table", "format_incidence", "format_infusion_reactions"]

#: Decimals of mean and SD per variable where the paper's default of 1 does not fit.
DEFAULT_DECIMALS: dict[str, int] = {"plt": 0, "che": 0, "inr": 2}

#: Background colour per status of :data:`~analysis.toolkit.agreement.STATUSES` (colour-blind-safe
#: light tints; the ledger page uses the same).
STATUS_COLORS = {"agrees": "#e3f1e6", "differs": "#f9d9d4", "not published": "#eeeeee", "not computable": "#fdf3d7"}
#: How a status is shown, where the agreement holds only within the printed rounding.
WITHIN_ROUNDING = "agrees within rounding"

_DASH = "\u2013"
_PM = "\u00b1"


def published_decimals(published: Any) -> dict[str, int]:
    """Decimals the paper prints for each mean +- SD row (its mean's decimals).

    Parameters
    ----------
    published : Published
        The paper's numbers (:func:`analysis.trial.published.load_published`);
        any object with a ``table1`` sequence of
        :class:`~analysis.trial.published.Table1Row`. Without one, the result
        is empty.

    Returns
    -------
    dict of str to int
        Variable -> decimals of the control arm's printed mean, for the
        ``mean_sd`` rows that state their decimals (the ``decimals`` argument
        of :func:`format_baseline`).
    """
    out = {}
    for r in getattr(published, "table1", ()):
        if r.kind == "mean_sd" and r.decimals:
            out[r.variable] = int(r.decimals["control"]["mean"])
    return out


def _num(x: float, d: int) -> str:
    return "" if x is None or not np.isfinite(x) else f"{x:.{d}f}"


def _arm_cell(r: pd.Series, arm: str, dec: Mapping[str, int]) -> str:
    d = dec.get(r["variable"], 1)
    if r["kind"] == "median_range":
        return f"{_num(r[f'median_{arm}'], 1)} ({_num(r[f'min_{arm}'], 0)}{_DASH}{_num(r[f'max_{arm}'], 0)})"
    if r["kind"] == "mean_sd":
        return f"{_num(r[f'mean_{arm}'], d)} {_PM} {_num(r[f'sd_{arm}'], d)}"
    return f"{int(r[f'count_{arm}'])} ({_num(r[f'pct_{arm}'], 1)}%)"


def _var_label(r: pd.Series) -> str:
    unit = f" ({r['unit']})" if r["unit"] and r["unit"] != "points" else ""
    return f"{r['label']}{unit}"


def _stat_suffix(kind: str) -> str:
    return {"median_range": ", median (range)", "mean_sd": f", mean {_PM} SD"}.get(kind, ", n (%)")


def baseline_display(table: BaselineTable, *, decimals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Table 1 as strings, one row per printed line (for :func:`format_baseline`).

    Parameters
    ----------
    table : BaselineTable
        From :func:`analysis.toolkit.baseline.baseline_table`.
    decimals : mapping of str to int, optional
        Decimals of mean and SD per variable, over :data:`DEFAULT_DECIMALS`
        (1 for other variables); :func:`published_decimals` gives the paper's.
        Medians are printed with 1 decimal, ranges with 0, percentages with 1.

    Returns
    -------
    pandas.DataFrame
        String columns ``row`` (the stub: label, unit and statistic),
        ``indent`` (int: 1 for the levels of a categorical variable, else 0),
        one per arm (``mean ± SD``, ``median (min–max)`` or ``n (%)``),
        ``p``, ``alt_test``, ``p_alt`` (Mann-Whitney for continuous rows,
        Fisher for categorical ones) and ``smd`` (2 decimals). A categorical
        variable gets a heading line carrying its p values and SMD, followed
        by one indented line per level.
    """
    dec = {**DEFAULT_DECIMALS, **(decimals or {})}
    rows = []
    for var, grp in table.summary.groupby("variable", sort=False):
        r = grp.iloc[0]
        cont = r["kind"] != "count"
        tests = dict(p=format_p(r["p"]), alt_test="Mann-Whitney" if cont else "Fisher",
                     p_alt=format_p(r["p_mannwhitney"] if cont else r["p_fisher"]), smd=_num(r["smd"], 2))
        head = {"row": _var_label(r) + _stat_suffix(r["kind"]), "indent": 0}
        if cont:
            rows.append({**head, **{a: _arm_cell(r, a, dec) for a in table.arms}, **tests})
            continue
        rows.append({**head, **{a: "" for a in table.arms}, **tests})
        for _, lv in grp.iterrows():
            rows.append({"row": str(lv["level_label"]), "indent": 1,
                         **{a: _arm_cell(lv, a, dec) for a in table.arms},
                         "p": "", "alt_test": "", "p_alt": "", "smd": ""})
    return pd.DataFrame(rows, columns=["row", "indent", *table.arms, "p", "alt_test", "p_alt", "smd"])


def format_baseline(
    table: BaselineTable,
    *,
    decimals: Mapping[str, int] | None = None,
    title: str = "Baseline characteristics of the analysed patients",
    table_id: str = "baseline-table",
) -> GT:
    """The publication Table 1 (great_tables).

    Parameters
    ----------
    table : BaselineTable
        From :func:`analysis.toolkit.baseline.baseline_table`.
    decimals : mapping of str to int, optional
        Decimals of mean and SD per variable (default :data:`DEFAULT_DECIMALS`,
        1 otherwise; :func:`published_decimals` gives the paper's).
    title : str, default "Baseline characteristics of the analysed patients"
        Table title.
    table_id : str, default "baseline-table"
        Fixed HTML id (keeps the rendering deterministic).

    Returns
    -------
    great_tables.GT
        Table 1 with one column per arm headed with its n, the p value of
        the main test, the alternative test and its p, and the SMD (UC-MSC
        minus control); source notes name the tests, the skewed variables
        and the rows skipped (``table.notes``).
    """
    df = baseline_display(table, decimals=decimals)
    indented = df.index[df["indent"] == 1].tolist()
    df = df.drop(columns="indent")
    labels = {a: f"{ARM_LABELS.get(a, a)} (n = {table.n.get(a, '')})" for a in table.arms}
    test_names = sorted(set(table.summary["test"].dropna()))
    g = (
        GT(df, rowname_col="row", id=table_id)
        .tab_header(title=title)
        .cols_label(**labels, p="p", alt_test="Test", p_alt="p")
        .cols_label(smd="SMD")
        .tab_spanner(label="Alternative test", columns=["alt_test", "p_alt"])
        .cols_align("center", columns=[*table.arms, "p", "alt_test", "p_alt", "smd"])
        .tab_source_note(f"p: {'; '.join(test_names)}. SMD: standardized difference, "
                         f"{ARM_LABELS.get(table.arms[1], table.arms[1])} minus "
                         f"{ARM_LABELS.get(table.arms[0], table.arms[0])} (unsigned for three or more levels).")
    )
    if indented:
        g = g.tab_stub_indent(rows=indented, indent=2)
    skewed = table.summary.loc[table.summary["skewed"], "label"].drop_duplicates().tolist()
    if skewed:
        g = g.tab_source_note(f"Skewed (|skewness| > 1 in an arm): {', '.join(skewed)}; "
                              "the Mann-Whitney p is the more robust comparison for these.")
    for note in table.notes:
        g = g.tab_source_note(note)
    return g


# ----------------------------------------------------------------------------
# Beside the published table
# ----------------------------------------------------------------------------
def side_by_side_display(comparison: pd.DataFrame, published: Any) -> pd.DataFrame:
    """Published and cohort statistics as strings, one row per printed line.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`analysis.toolkit.baseline.compare_with_published`.
    published : Published
        The :class:`~analysis.trial.published.Published` it was made from (for the
        printed decimals, labels and p operators).

    Returns
    -------
    pandas.DataFrame
        String columns ``group`` (the published row's label), ``row``
        (``Mean ± SD``, ``Median (range)`` or the level), per arm
        ``<arm>_published`` and ``<arm>_cohort`` (the statistic as printed;
        published counts with their percentage of the printed n, cohort
        counts as counts; empty where the cohort lacks the value), and
        ``p_published``, ``p_cohort`` (on the first line of each variable).
    """
    pub_rows = {r.variable: r for r in published.table1}
    n = published.raw["table1"]["n"]
    out = []
    for var, grp in comparison.groupby("variable", sort=False):
        r = pub_rows[var]
        p = grp[grp["statistic"] == "p"].iloc[0]
        p_pub = format_p(r.p, operator=r.p_operator)
        p_ours = format_p(p["cohort"])
        if r.kind in ("mean_sd", "median_range"):
            if r.kind == "mean_sd":
                d = {a: r.decimals_for(a) for a in ("control", "ucmsc")}
                cells = {}
                for a in ("control", "ucmsc"):
                    s = grp[grp["arm"] == a].set_index("statistic")
                    cells[(a, "published")] = f"{s.loc['mean', 'published']:.{d[a]['mean']}f} {_PM} {s.loc['sd', 'published']:.{d[a]['sd']}f}"
                    cells[(a, "cohort")] = "" if not np.isfinite(s.loc["mean", "cohort"]) else (
                        f"{_num(s.loc['mean', 'cohort'], d[a]['mean'])} {_PM} {_num(s.loc['sd', 'cohort'], d[a]['sd'])}")
                row_label = f"Mean {_PM} SD"
            else:
                cells = {}
                for a in ("control", "ucmsc"):
                    s = grp[grp["arm"] == a].set_index("statistic")
                    for src in ("published", "cohort"):
                        cells[(a, src)] = "" if not np.isfinite(s.loc["median", src]) else (
                            f"{_num(s.loc['median', src], 1)} ({_num(s.loc['min', src], 0)}"
                            f"{_DASH}{_num(s.loc['max', src], 0)})")
                row_label = "Median (range)"
            out.append({"group": r.label, "row": row_label, **{f"{a}_{src}": v for (a, src), v in cells.items()},
                        "p_published": p_pub, "p_cohort": p_ours})
        else:
            first = True
            for lv in r.levels:
                lines = grp[(grp["level"] == str(lv)) & (grp["statistic"] == "count")].set_index("arm")
                row = {"group": r.label, "row": level_label(r.variable, lv)}
                for a in ("control", "ucmsc"):
                    for src in ("published", "cohort"):
                        v = lines.loc[a, src]
                        row[f"{a}_{src}"] = "" if not np.isfinite(v) else (
                            f"{int(v)} ({100 * v / n[a]:.1f}%)" if src == "published" else f"{int(v)}")
                row.update(p_published=p_pub if first else "", p_cohort=p_ours if first else "")
                first = False
                out.append(row)
    return pd.DataFrame(out)


def format_side_by_side(
    comparison: pd.DataFrame,
    published: Any,
    table: BaselineTable | None = None,
    *,
    title: str = "Table 1: published and recomputed on this cohort",
    table_id: str = "baseline-vs-published",
) -> GT:
    """The published Table 1 beside the cohort's, as a great_tables table.

    Cohort counts are shown as counts; their percentages are in
    :func:`format_baseline`. Labels are the paper's.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`analysis.toolkit.baseline.compare_with_published`.
    published : Published
        The :class:`~analysis.trial.published.Published` it was made from.
    table : BaselineTable, optional
        The cohort's Table 1 (:func:`analysis.toolkit.baseline.baseline_table`); when given,
        the cohort columns are headed with its n per arm.
    title : str
        Table title.
    table_id : str
        Fixed HTML id (keeps the rendering deterministic).

    Returns
    -------
    great_tables.GT
        The rows of :func:`side_by_side_display` grouped by variable, with a
        spanner per arm (published, this cohort) and one for the p values.
    """
    df = side_by_side_display(comparison, published)
    n = published.raw["table1"]["n"]
    cols = {}
    for a in ("control", "ucmsc"):
        cols[f"{a}_published"] = f"Published (n = {n[a]})"
        ours = f" (n = {table.n[a]})" if table is not None else ""
        cols[f"{a}_cohort"] = f"This cohort{ours}"
    cols.update(p_published="Published", p_cohort="This cohort")
    g = (
        GT(df, rowname_col="row", groupname_col="group", id=table_id)
        .tab_header(title=title)
        .tab_spanner(label=ARM_LABELS["control"], columns=["control_published", "control_cohort"])
        .tab_spanner(label=ARM_LABELS["ucmsc"], columns=["ucmsc_published", "ucmsc_cohort"])
        .tab_spanner(label="p value", columns=["p_published", "p_cohort"])
        .cols_label(**cols)
        .cols_align("center", columns=[c for c in df.columns if c not in ("group", "row")])
        .tab_source_note("Published: the paper's Table 1 as printed (percentages of the printed n). "
                         "This cohort: the same statistics and tests recomputed on the data this page was built from.")
    )
    return g


# ----------------------------------------------------------------------------
# Consistency checks
# ----------------------------------------------------------------------------
_CATEGORY_DIGITS = {"table1 p": 4, "hr p": 4, "hr significance": 4, "hr midpoint": 3, "percentage": 2,
                    "counts": 0, "consort": 0, "granularity": 1, "hr events": 1, "claim": 2}


_PUBLISHED_DIGITS = {"table1 p": 3, "hr p": 3, "hr significance": 3, "hr midpoint": 2, "percentage": 1,
                     "counts": 0, "consort": 0, "granularity": 1, "hr events": 0, "claim": 2}


def _sig(x: float, digits: int) -> str:
    if x is None or not np.isfinite(x):
        return ""
    if digits >= 3 and x != 0 and abs(x) < 0.001:
        return f"{x:.5f}"
    return f"{x:.{digits}f}"


def consistency_display(checks: pd.DataFrame) -> pd.DataFrame:
    """Check rows as strings (for :func:`format_consistency`).

    Parameters
    ----------
    checks : pandas.DataFrame
        A check frame with :data:`analysis.toolkit.consistency.CHECK_COLUMNS`
        (e.g. from :func:`analysis.toolkit.consistency.check_published`).

    Returns
    -------
    pandas.DataFrame
        One row per check: ``category``, ``item``, ``label``, ``quantity``,
        ``published`` (with its operator, at the paper's precision),
        ``recomputed`` (at the category's precision), ``range`` (over the
        printed rounding; empty when it is a point), ``status`` (as in the
        checks), ``shown`` (the status as the table shows it: ``agrees within
        rounding`` where the agreement is not exact) and ``reason``.

    Raises
    ------
    ValueError
        If ``checks`` lacks a column of ``CHECK_COLUMNS``.
    """
    missing = set(CHECK_COLUMNS) - set(checks.columns)
    if missing:
        raise ValueError(f"checks: missing columns {sorted(missing)} (expected a consistency check frame)")
    rows = []
    for _, r in checks.iterrows():
        d = _CATEGORY_DIGITS.get(r["category"], 3)
        pd_ = max(d, 3) if r["quantity"] in ("p", "p < alpha") else d
        op = "" if r["operator"] in ("=", ">=") else r["operator"]
        pub = f"{op}{r['published']:.{_PUBLISHED_DIGITS.get(r['category'], 3)}f}"
        same = math.isclose(r["low"], r["high"], rel_tol=0, abs_tol=0) or not np.isfinite(r["low"])
        # p values in the one p format (format_p: "<0.001" below the printed precision)
        num = (lambda x: format_p(x, pd_) if np.isfinite(x) else "") if r["quantity"] == "p" else \
            (lambda x: _sig(x, pd_))
        rng = "" if same else f"{num(r['low'])}{_DASH}{num(r['high'])}"
        rows.append({"category": r["category"], "item": r["item"], "label": r["label"], "quantity": r["quantity"],
                     "published": pub, "recomputed": num(r["recomputed"]), "range": rng,
                     "status": r["status"],
                     "shown": WITHIN_ROUNDING if r["status"] == "agrees" and not r["exact"] else r["status"],
                     "reason": r["reason"]})
    return pd.DataFrame(rows)


#: What a consistency check compares, in words.
_QUANTITY_WORDS = {"n": "count", "patients": "patients", "percent": "%", "median": "median", "mean": "mean",
                   "p": "p", "p < alpha": "p below the level", "hr": "HR", "events": "events"}


def _readable_label(label: str) -> str:
    """A check's label with the arm code and the published keys it may contain in words."""
    label = re.sub(r"\bucmsc\b", ARM_LABELS["ucmsc"], label)
    return re.sub(r"\bhcc_incidence\b", "HCC incidence", label)


def format_consistency(
    checks: pd.DataFrame,
    *,
    title: str = "Do the published numbers agree with each other?",
    table_id: str = "consistency-checks",
    show_reason: bool = True,
) -> GT:
    """The consistency checks as one table, status cells tinted by status.

    Parameters
    ----------
    checks : pandas.DataFrame
        A frame with :data:`analysis.toolkit.consistency.CHECK_COLUMNS` (e.g. from
        :func:`analysis.toolkit.consistency.check_published`), grouped by category.
    title : str
        Table title.
    table_id : str
        Fixed HTML id (keeps the rendering deterministic).
    show_reason : bool, default True
        Include the ``reason`` column (default ``True``); without it, the
        range over rounding gets its own column.

    Returns
    -------
    great_tables.GT
        One row per check (``item (quantity)``) grouped by category, with the
        published and recomputed values and the status, its cell tinted by
        :data:`STATUS_COLORS`.
    """
    df = consistency_display(checks).reset_index(drop=True)
    # the check's label in words (its id is a code name), with what is compared
    df["row"] = [f"{_readable_label(lab)} ({_QUANTITY_WORDS.get(q, q)})" for lab, q in zip(df["label"], df["quantity"])]
    df["reason"] = [_readable_label(str(r)).replace("+-", "\u00b1") for r in df["reason"]]
    # the range over rounding is spelled out in the reason; without reasons it gets its own column
    status = df["status"]
    cols = ["category", "row", "published", "recomputed"] + (["shown", "reason"] if show_reason else ["range", "shown"])
    df = df[cols]
    g = (
        GT(df, rowname_col="row", groupname_col="category", id=table_id)
        .tab_style(style=style.text(size="small"), locations=loc.body(columns="shown"))
        .tab_header(title=title)
        .cols_label(published="Published", recomputed="Recomputed", shown="Status",
                    **({"reason": "Reason"} if show_reason else {"range": "Range over rounding"}))
        .cols_align("center", columns=[c for c in ("published", "recomputed", "range", "shown") if c in cols])
    )
    for v, colour in STATUS_COLORS.items():
        idx = df.index[status == v].tolist()
        if idx:
            g = g.tab_style(style=style.fill(color=colour), locations=loc.body(columns="shown", rows=idx))
    if show_reason:
        g = (g.tab_style(style=style.text(size="small"), locations=loc.body(columns="reason"))
             .cols_width({"row": "20%", "published": "10%", "recomputed": "11%", "shown": "14%",
                          "reason": "45%"})
             .tab_options(table_width="100%"))
    return g


def format_test_comparison(
    comparison: pd.DataFrame,
    *,
    title: str = "Which test reproduces each printed Table 1 p value?",
    table_id: str = "table1-test-comparison",
) -> GT:
    """:func:`analysis.toolkit.consistency.compare_table1_tests` as a table.

    One row per variable: the printed p, then each candidate test (the one
    the paper's Methods name first) with its recomputed p, the range over
    the printed rounding and a mark.

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`analysis.toolkit.consistency.compare_table1_tests`.
    title : str
        Table title.
    table_id : str
        Fixed HTML id (keeps the rendering deterministic).

    Returns
    -------
    great_tables.GT
        One row per variable: ``Printed p`` and one column per candidate test
        (``test: p (range) mark``, the mark ✓ agrees, ≈ agrees within
        rounding, ✗ differs, – not computable), with a note explaining the
        marks.
    """
    marks = {"agrees": "\u2713", "differs": "\u2717", "not computable": "\u2013", "not published": "\u2013"}
    out = []
    for var, grp in comparison.groupby("variable", sort=False):
        r0 = grp.iloc[0]
        row = {"label": r0["label"], "printed": format_p(r0["published"], operator=r0["operator"])}
        for i, (_, r) in enumerate(grp.iterrows(), start=1):
            rng = "" if math.isclose(r["p_low"], r["p_high"]) or not np.isfinite(r["p_low"]) else \
                f" ({format_p(r['p_low'])}{_DASH}{format_p(r['p_high'])})"
            mark = "\u2248" if r["status"] == "agrees" and not r["exact"] else marks[r["status"]]
            p = format_p(r["p"], 4) if np.isfinite(r["p"]) else "not computable"
            row[f"test{i}"] = f"{r['test']}: {p}{rng} {mark}"
        out.append(row)
    df = pd.DataFrame(out).fillna("")
    tests = [c for c in df.columns if c.startswith("test")]
    labels = {t: ("As stated in the Methods" if t == "test1" else "Alternative") for t in tests}
    return (
        GT(df, rowname_col="label", id=table_id)
        .tab_header(title=title)
        .cols_label(printed="Printed p", **labels)
        .tab_spanner(label="Recomputed from the printed summaries", columns=tests)
        .cols_align("center", columns=["printed"])
        .tab_source_note("\u2713 agrees: reproduces the printed p; \u2248 agrees within rounding: reproduces it "
                         "for some unrounded inputs consistent with the printed digits (range); \u2717 differs: "
                         "cannot reproduce it; \u2013 not computable. Age: mean and SD estimated from median "
                         "and range, so approximate.")
    )


def format_hr_table(table: pd.DataFrame, *, label: str = "label", published: bool = False) -> pd.DataFrame:
    """Hazard-ratio rows as display strings: 'HR (95% CI)', Wald p, log-rank p [, published, ratio].

    Parameters
    ----------
    table : pandas.DataFrame
        Hazard-ratio rows with ``hr``, ``ci_low``, ``ci_high``, ``p``,
        ``p_logrank``, the ``label`` column and optionally ``events`` and
        ``note``: :func:`analysis.toolkit.survival.hr_models` output, or with
        ``published=True`` :func:`analysis.trial.paper.landmark_comparison`
        output. The direction is the table's (control relative to UC-MSC
        there); this function does not change it.
    label : str, default "label"
        The column holding each row's name.
    published : bool, default False
        Add the paper's numbers: needs ``hr_published``,
        ``ci_low_published``, ``ci_high_published``, ``p_published`` and
        ``hr_ratio`` (cohort HR / published HR).

    Returns
    -------
    pandas.DataFrame
        String columns ``Model``, (``Events``), ``HR (95% CI)`` (2 decimals;
        ``not estimable`` for a missing HR), ``p (Cox Wald)``,
        ``p (log-rank)``, and with ``published`` ``Published HR (95% CI)``,
        ``Published p`` and ``HR ratio (cohort / published)``; ``Note`` when
        any row has one. Index reset.
    """
    out = pd.DataFrame(index=table.index)
    out["Model"] = table[label]
    if "events" in table.columns:
        ev = table["events"]  # NaN where not computable (an endpoint the data lack)
        out["Events"] = ev.astype(int) if ev.notna().all() else ev.astype("Int64")
    out["HR (95% CI)"] = [_fmt_ci(h, lo, hi) for h, lo, hi in zip(table["hr"], table["ci_low"], table["ci_high"])]
    out["p (Cox Wald)"] = table["p"].map(format_p)
    out["p (log-rank)"] = table["p_logrank"].map(format_p)
    if published:
        out["Published HR (95% CI)"] = [
            _fmt_ci(h, lo, hi) for h, lo, hi in
            zip(table["hr_published"], table["ci_low_published"], table["ci_high_published"])
        ]
        out["Published p"] = table["p_published"].map(format_p)
        out["HR ratio (cohort / published)"] = table["hr_ratio"].map(lambda x: "\u2013" if pd.isna(x) else f"{x:.2f}")
    if "note" in table.columns and table["note"].astype(bool).any():
        out["Note"] = table["note"]
    return out.reset_index(drop=True)


def format_km_times(at: pd.DataFrame, *, percent: bool = True) -> pd.DataFrame:
    """Survival at fixed times (``KMResult.at``) as 'S (95% CI)' strings, arms as columns.

    Parameters
    ----------
    at : pandas.DataFrame
        :meth:`analysis.toolkit.survival.KMResult.at` output (``arm``,
        ``time`` in months, ``n_risk``, ``surv``, ``ci_low``, ``ci_high``).
    percent : bool, default True
        Show survival in percent with 1 decimal; ``False`` as a proportion
        with 3 decimals.

    Returns
    -------
    pandas.DataFrame
        Index ``"<t> months"``; one column per arm label (``Control``,
        ``UC-MSC``) with cells ``S (low to high) [at risk]``.
    """
    k = 100.0 if percent else 1.0
    d = 1 if percent else 3
    cell = [_fmt_ci(s * k, lo * k, hi * k, d) + f" [{int(n) if not np.isnan(n) else '-'}]"
            for s, lo, hi, n in zip(at["surv"], at["ci_low"], at["ci_high"], at["n_risk"])]
    t = at.assign(cell=cell, arm=at["arm"].map(arm_label))
    out = t.pivot(index="time", columns="arm", values="cell")
    out.index = [f"{x:g} months" for x in out.index]
    out.columns.name = None
    return out


# ----------------------------------------------------------------------------
# Display
# ----------------------------------------------------------------------------
#: Decimals of measured-scale values in display tables.
_DIGITS = {"alb": 1, "pta": 1, "che": 0, "tbil": 1}


def format_estimates(table: pd.DataFrame, *, p_digits: int = 3, ratio_digits: int = 2) -> pd.DataFrame:
    """Display form of an estimate table (:func:`change_from_baseline`, :func:`between_arm_t`,
    :func:`ancova_by_week`, :func:`adjusted_effects`).

    Differences are printed with the analyte's usual decimals (ALB, PTA, TBIL 1; CHE 0), ratios with
    ``ratio_digits``; p values below ``10**-p_digits`` as ``<0.001``.

    Parameters
    ----------
    table : pandas.DataFrame
        An estimate table of :mod:`analysis.toolkit.longitudinal` (columns ``analyte``,
        ``week``, ``effect_type``, ``effect``, ``effect_ci_low``, ``effect_ci_high``, ``p``,
        and ``n`` or ``n_control``/``n_ucmsc``, optionally ``arm``). Its effect direction is
        kept (UC-MSC minus control, or UC-MSC / control, by default).
    p_digits : int, default 3
        Decimals of the p values.
    ratio_digits : int, default 2
        Decimals of ratio effects (log-scale analytes).

    Returns
    -------
    pandas.DataFrame
        String columns ``Analyte``, ``Week``, (``Arm``), ``n`` (``control/UC-MSC`` for between-arm
        tables), ``Effect`` (``difference`` or ``ratio``), ``Estimate (95% CI)`` and ``p``.
    """
    need = {"analyte", "week", "effect_type", "effect", "effect_ci_low", "effect_ci_high", "p"}
    if not need <= set(table.columns):
        raise ValueError(f"table must be an estimate table of analysis.toolkit.longitudinal; missing "
                         f"{sorted(need - set(table.columns))}")
    out = pd.DataFrame({"Analyte": [f"{str(a).upper()} ({ANALYTE_UNITS[str(a)]})" for a in table["analyte"]],
                        "Week": [f"{w:g}" for w in table["week"]]})
    if "arm" in table.columns:
        out["Arm"] = [ARM_LABELS[str(a)] for a in table["arm"]]
    if "n" in table.columns:
        out["n"] = table["n"].astype(int).astype(str).to_numpy()
    else:
        out["n"] = [f"{int(c)}/{int(u)}" for c, u in zip(table["n_control"], table["n_ucmsc"])]
    out["Effect"] = table["effect_type"].to_numpy()
    txt = []
    for a, et, e, lo, hi in zip(table["analyte"], table["effect_type"], table["effect"], table["effect_ci_low"],
                                table["effect_ci_high"]):
        d = ratio_digits if et == "ratio" else _DIGITS[str(a)]
        txt.append(f"{e:.{d}f} ({lo:.{d}f} to {hi:.{d}f})")
    out["Estimate (95% CI)"] = txt
    out["p"] = [format_p(p, p_digits) for p in table["p"]]
    return out


def format_visits(described: pd.DataFrame, status: pd.DataFrame | None = None) -> pd.DataFrame:
    """Display form of :func:`describe_visits`: ``mean ± SD (n)`` per analyte and week, one column per arm.

    With ``status`` (:func:`visit_status`), the arm columns add the number of scheduled values
    missing because the patient had died and for other reasons.

    Parameters
    ----------
    described : pandas.DataFrame
        :func:`analysis.toolkit.longitudinal.describe_visits` output (``analyte``, ``arm``,
        ``week``, ``n``, ``mean``, ``sd``).
    status : pandas.DataFrame, optional
        :func:`analysis.toolkit.longitudinal.visit_status` output (``analyte``, ``arm``,
        ``week``, ``died``, ``missing``).

    Returns
    -------
    pandas.DataFrame
        String columns ``Analyte``, ``Week`` and per arm ``<Arm>`` (and ``<Arm> missing (died/other)``).
    """
    need = {"analyte", "arm", "week", "n", "mean", "sd"}
    if not need <= set(described.columns):
        raise ValueError(f"described must be describe_visits() output; missing {sorted(need - set(described.columns))}")
    d = described.copy()
    d["analyte"] = pd.Categorical(d["analyte"].astype(str), categories=list(LAB_ANALYTES))
    d["cell"] = [f"{m:.{_DIGITS[str(a)]}f} ± {s:.{_DIGITS[str(a)]}f} ({int(n)})"
                 for a, m, s, n in zip(d["analyte"], d["mean"], d["sd"], d["n"])]
    wide = d.pivot_table(index=["analyte", "week"], columns="arm", values="cell", aggfunc="first",
                         observed=True).sort_index()
    keys = [(str(a), float(w)) for a, w in wide.index]
    out = pd.DataFrame({"Analyte": [f"{a.upper()} ({ANALYTE_UNITS[a]})" for a, _ in keys],
                        "Week": [f"{w:g}" for _, w in keys]})
    for arm in ARMS:
        out[f"{ARM_LABELS[arm]}, mean ± SD (n)"] = wide[arm].to_numpy() if arm in wide.columns else ""
        if status is not None:
            st = status[status["arm"].astype(str) == arm]
            lookup = {(str(a), float(w)): (int(di), int(mi))
                      for a, w, di, mi in zip(st["analyte"], st["week"], st["died"], st["missing"])}
            out[f"{ARM_LABELS[arm]} missing (died/other)"] = [
                "{}/{}".format(*lookup[k]) if k in lookup else "" for k in keys]
    return out


def format_ae_table(table: pd.DataFrame, *, digits: int = 1, p_digits: int = 3) -> pd.DataFrame:
    """Display form of :func:`ae_by_term` / :func:`ae_by_seriousness` output.

    Cells read ``patients (percent) [events]``; the risk difference is in
    percentage points with its interval; p values below ``10**-p_digits`` are
    printed as ``<0.001``.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`analysis.toolkit.safety.ae_by_term` or
        :func:`analysis.toolkit.safety.ae_by_seriousness` output. Its direction is kept
        (UC-MSC minus control by default).
    digits : int, default 1
        Decimals of percentages and of the risk difference (percentage points).
    p_digits : int, default 3
        Decimals of the p values.

    Returns
    -------
    pandas.DataFrame
        String columns: the label, one per arm headed ``Control (N=...)``,
        ``Difference, % points (95% CI)`` and ``p (Fisher)``.
    """
    need = {"term", "patients_control", "events_control", "n_control", "patients_ucmsc", "events_ucmsc",
            "n_ucmsc", "risk_diff", "ci_low", "ci_high", "p_fisher"}
    if not need <= set(table.columns):
        raise ValueError(f"table must be ae_by_term() or ae_by_seriousness() output; missing "
                         f"{sorted(need - set(table.columns))}")
    out = pd.DataFrame({"Event": table["term"].map(_label)})
    for arm in ARMS:
        n = int(table[f"n_{arm}"].iloc[0])
        out[f"{ARM_LABELS[arm]} (N={n})"] = [
            f"{int(p)} ({100 * p / n:.{digits}f}%) [{int(e)}]"
            for p, e in zip(table[f"patients_{arm}"], table[f"events_{arm}"])
        ]
    out["Difference, % points (95% CI)"] = [
        f"{100 * d:.{digits}f} ({100 * lo:.{digits}f} to {100 * hi:.{digits}f})"
        for d, lo, hi in zip(table["risk_diff"], table["ci_low"], table["ci_high"])
    ]
    out["p (Fisher)"] = [format_p(p, p_digits) for p in table["p_fisher"]]
    return out


def format_incidence(table: pd.DataFrame, *, digits: int = 1, p_digits: int = 3) -> pd.DataFrame:
    """Display form of :func:`hcc_incidence` / :func:`incidence_test` output.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`analysis.toolkit.safety.hcc_incidence` or
        :func:`analysis.toolkit.safety.incidence_test` output (a ``source`` column or
        index is shown when present). Its direction is kept (UC-MSC minus control by default).
    digits : int, default 1
        Decimals of percentages and of the risk difference (percentage points).
    p_digits : int, default 3
        Decimals of the p values.

    Returns
    -------
    pandas.DataFrame
        String columns ``Source`` (when present), ``Control``, ``UC-MSC`` (``events/n (percent)``),
        ``Difference, % points (95% CI)``, ``p (Fisher)``, ``p (chi-square)``, ``p (chi-square, Yates)``.
    """
    need = {"events_control", "n_control", "events_ucmsc", "n_ucmsc", "risk_diff", "ci_low", "ci_high",
            "p_fisher", "p_chisq", "p_chisq_yates"}
    if not need <= set(table.columns):
        raise ValueError(f"table must be hcc_incidence() or incidence_test() output; missing "
                         f"{sorted(need - set(table.columns))}")
    t = table.reset_index() if table.index.name == "source" else table.reset_index(drop=True)
    out = pd.DataFrame(index=range(len(t)))
    if "source" in t.columns:
        out["Source"] = t["source"].str.capitalize().to_numpy()
    for arm in ARMS:
        out[ARM_LABELS[arm]] = [f"{int(e)}/{int(n)} ({100 * e / n:.{digits}f}%)"
                                for e, n in zip(t[f"events_{arm}"], t[f"n_{arm}"])]
    out["Difference, % points (95% CI)"] = [
        f"{100 * d:.{digits}f} ({100 * lo:.{digits}f} to {100 * hi:.{digits}f})"
        for d, lo, hi in zip(t["risk_diff"], t["ci_low"], t["ci_high"])]
    for col, head in (("p_fisher", "p (Fisher)"), ("p_chisq", "p (chi-square)"),
                      ("p_chisq_yates", "p (chi-square, Yates)")):
        out[head] = [format_p(p, p_digits) for p in t[col]]
    return out


def format_infusion_reactions(table: pd.DataFrame, *, digits: int = 1) -> pd.DataFrame:
    """Display form of :func:`infusion_reactions`: median (range) of onset and duration.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`analysis.toolkit.safety.infusion_reactions` output (optionally by infusion and
        with temperatures).
    digits : int, default 1
        Decimals of onset and duration (hours). Temperatures always have 1.

    Returns
    -------
    pandas.DataFrame
        String columns ``Event``, ``Arm``, (``Infusion``), ``Patients``, ``Events``,
        ``Onset, h after infusion: median (range)``, ``Duration, h: median (range)`` and, when the
        table has temperatures, ``Temperature, °C (range)``.
    """
    need = {"term", "arm", "patients", "events", "onset_min", "onset_median", "onset_max", "duration_min",
            "duration_median", "duration_max"}
    if not need <= set(table.columns):
        raise ValueError(f"table must be infusion_reactions() output; missing {sorted(need - set(table.columns))}")

    def mr(m: float, lo: float, hi: float, n: int) -> str:
        if not np.isfinite(m):
            return f"not shown (< {disclosure.MIN_CELL} patients)" if n > 0 else "not recorded"
        return f"{m:.{digits}f} ({lo:.{digits}f} to {hi:.{digits}f})"

    out = pd.DataFrame({"Event": [_label(t) for t in table["term"]],
                        "Arm": [ARM_LABELS[str(a)] for a in table["arm"]]})
    if "infusion_number" in table.columns:
        out["Infusion"] = [f"{int(i)}" for i in table["infusion_number"]]
    out["Patients"] = table["patients"].astype(int).astype(str).to_numpy()
    out["Events"] = table["events"].astype(int).astype(str).to_numpy()
    out["Onset, h after infusion: median (range)"] = [
        mr(m, lo, hi, n) for m, lo, hi, n in zip(table["onset_median"], table["onset_min"], table["onset_max"],
                                                 table["n_timed"])]
    out["Duration, h: median (range)"] = [
        mr(m, lo, hi, n) for m, lo, hi, n in zip(table["duration_median"], table["duration_min"],
                                                 table["duration_max"], table["n_timed"])]
    if "temperature_min" in table.columns:
        out["Temperature, °C (range)"] = [
            "not recorded" if not np.isfinite(lo) else f"{lo:.1f} to {hi:.1f}"
            for lo, hi in zip(table["temperature_min"], table["temperature_max"])]
    return out
