"""Baseline characteristics per arm (Table 1), with the paper's tests and balance measures.

:func:`baseline_table` computes, for the analysed patients of a trial, the
paper's Table 1 as numbers: age as median and range, counts for sex, HBeAg,
MELD above/below the cut-off, Child-Pugh class and ascites, mean and SD for the
continuous laboratory values. Beside the paper's tests (Student's t with pooled
variance, chi-square without continuity correction) it reports Welch's t, the
Mann-Whitney test, chi-square with Yates' correction, Fisher's exact test and
standardized mean differences. Only the baseline columns present in the data are
used; the others are skipped with a note (``BaselineTable.notes``).

Formatting (rounding, "n (%)", HTML) lives in :mod:`analysis.report.tables`.

Conventions (explicit arguments, with these defaults):

- Analysis population: ``disposition == 'analyzed'`` (a :class:`Trial`'s
  ``analyzed`` frame).
- Continuous test ``"student"`` (pooled variance, the paper's "Student's t
  test"); categorical test chi-square with ``correction=False``.
- MELD split: ``> 15`` versus ``<= 15``. The paper prints ``>15`` and ``<15``
  and never places a MELD of exactly 15; we read ``<15`` as ``<= 15``.
- Standardized differences are UC-MSC minus control.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from .consistency import TableTooLargeError, chisq_from_counts, fisher_from_counts
from .conventions import validate_alpha
from .schema import ARMS, BASELINE_CATEGORICAL, BASELINE_CONTINUOUS, Trial
from .warnings import StatisticalWarning

__all__ = [
    "level_label",
    "TABLE1_ORDER",
    "TABLE1_LABELS",
    "BaselineTable",
    "baseline_table",
    "smd_continuous",
    "smd_categorical",
    "baseline_imbalances",
    "compare_with_published",
]

#: Row order of the paper's Table 1 (``meld_gt15`` is derived from ``meld``).
TABLE1_ORDER = ("age", "sex", "tp", "alb", "plt", "cr", "alt", "ast", "tbil", "pta", "che", "inr",
                "hbeag", "meld", "meld_gt15", "child_pugh", "ascites")

#: Display label and unit of each row.
TABLE1_LABELS: dict[str, tuple[str, str]] = {
    "age": ("Age", "years"),
    "sex": ("Sex", ""),
    "tp": ("Total protein (TP)", "g/L"),
    "alb": ("Albumin (ALB)", "g/L"),
    "plt": ("Platelets (PLT)", "10^9/L"),
    "cr": ("Creatinine (Cr)", "umol/L"),
    "alt": ("ALT", "U/L"),
    "ast": ("AST", "U/L"),
    "tbil": ("Total bilirubin (TBil)", "umol/L"),
    "pta": ("Prothrombin activity (PTA)", "%"),
    "che": ("Cholinesterase (CHE)", "U/L"),
    "inr": ("INR", ""),
    "hbeag": ("HBeAg", ""),
    "meld": ("MELD score", "points"),
    "meld_gt15": ("MELD category", ""),
    "child_pugh": ("Child-Pugh class", ""),
    "ascites": ("Ascites", ""),
}

#: Level order and display names of the categorical rows.
_LEVELS: dict[str, tuple[tuple[Any, str], ...]] = {
    "sex": (("M", "Male"), ("F", "Female")),
    "hbeag": ((1, "Positive"), (0, "Negative")),
    "child_pugh": (("A", "A"), ("B", "B"), ("C", "C")),
    "ascites": ((1, "Present"), (0, "Absent")),
}



def level_label(variable: str, level: Any) -> str:
    """The display name of a level of a categorical Table 1 row (``("hbeag", 1)`` -> ``"Positive"``).

    Parameters
    ----------
    variable : str
        The schema column (``"sex"``, ``"hbeag"``, ``"child_pugh"``, ``"ascites"``).
    level : object
        The level as coded in the data or the published numbers (compared as text).

    Returns
    -------
    str
        The name the baseline table shows; the level itself for an unknown variable or level.
    """
    names = {str(code): name for code, name in _LEVELS.get(variable, ())}
    return names.get(str(level), str(level))


_CONTINUOUS_TESTS = ("student", "welch", "mannwhitney")

_ARM_STATS = ("n", "missing", "mean", "sd", "median", "q1", "q3", "min", "max", "count", "pct", "skewness")
_TEST_COLS = ("test", "statistic", "df", "p", "p_student", "p_welch", "p_mannwhitney", "p_chisq",
              "p_chisq_yates", "p_fisher", "smd", "skewed")


def _columns(arms: tuple[str, str]) -> list[str]:
    return (["variable", "label", "unit", "kind", "level", "level_label"]
            + [f"{s}_{a}" for s in _ARM_STATS for a in arms] + list(_TEST_COLS))


# ----------------------------------------------------------------------------
# Standardized differences
# ----------------------------------------------------------------------------
def smd_continuous(x_treated: Any, x_control: Any) -> float:
    """Standardized mean difference of a continuous variable.

    ``(mean_t - mean_c) / sqrt((s_t^2 + s_c^2) / 2)`` with sample SDs
    (``ddof=1``); missing values are dropped.

    Parameters
    ----------
    x_treated : array_like
        Values of the treated (UC-MSC) arm; at least 2 non-missing.
    x_control : array_like
        Values of the control arm; at least 2 non-missing.

    Returns
    -------
    float
        The SMD, treated minus control, in pooled-SD units (0 when both SDs are 0 and the
        means are equal; +-inf when both SDs are 0 and the means differ).

    References
    ----------
    Austin PC (2009) Balance diagnostics for comparing the distribution of
    baseline covariates between treatment groups in propensity-score matched
    samples. Stat Med 28:3083-3107. Yang D, Dalton JE (2012) SAS Global Forum
    335-2012. R: ``tableone::ExtractSmd(CreateTableOne(...))``, which uses the
    same formula.
    """
    t = pd.Series(x_treated, dtype=float).dropna()
    c = pd.Series(x_control, dtype=float).dropna()
    if len(t) < 2 or len(c) < 2:
        raise ValueError("x_treated and x_control need at least 2 non-missing values each")
    pooled = np.sqrt((t.var(ddof=1) + c.var(ddof=1)) / 2)
    if pooled == 0:
        return 0.0 if t.mean() == c.mean() else float(np.sign(t.mean() - c.mean()) * np.inf)
    return float((t.mean() - c.mean()) / pooled)


def smd_categorical(p_treated: Any, p_control: Any) -> float:
    """Standardized difference of a categorical variable from level proportions.

    Parameters
    ----------
    p_treated, p_control : array_like of float
        Proportions of every level (each summing to 1) in the treated (UC-MSC) and the
        control arm, in the same order (at least 2 levels).

    Returns
    -------
    float
        For two levels, the signed difference of the first level's proportion
        ``(p_t - p_c) / sqrt((p_t (1 - p_t) + p_c (1 - p_c)) / 2)``. For more
        levels, the Mahalanobis distance ``sqrt((T - C)' S^-1 (T - C))`` over
        levels 2..k with ``S`` the average of the two multinomial covariance
        matrices (non-negative, no sign).

    References
    ----------
    Yang D, Dalton JE (2012) A unified approach to measuring the effect size
    between two groups using SAS. SAS Global Forum, paper 335-2012. Matches
    R's ``tableone`` (``ExtractSmd``).
    """
    t = np.asarray(p_treated, dtype=float)
    c = np.asarray(p_control, dtype=float)
    if t.shape != c.shape or t.ndim != 1 or len(t) < 2:
        raise ValueError("p_treated and p_control must be 1-D proportions of the same >= 2 levels")
    if not (np.isclose(t.sum(), 1) and np.isclose(c.sum(), 1)):
        raise ValueError("p_treated and p_control must each sum to 1")
    if len(t) == 2:
        v = (t[0] * (1 - t[0]) + c[0] * (1 - c[0])) / 2
        return 0.0 if v == 0 else float((t[0] - c[0]) / np.sqrt(v))
    tt, cc = t[1:], c[1:]
    s = (np.diag(tt) - np.outer(tt, tt) + np.diag(cc) - np.outer(cc, cc)) / 2
    d = tt - cc
    return float(np.sqrt(max(d @ np.linalg.pinv(s) @ d, 0.0)))


# ----------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BaselineTable:
    """Baseline characteristics per arm, as numbers.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per variable (continuous) or per variable and level
        (categorical). Per arm ``{stat}_{arm}`` for ``n`` (non-missing),
        ``missing``, ``mean``, ``sd``, ``median``, ``q1``, ``q3``, ``min``,
        ``max``, ``count``, ``pct`` (percent of non-missing) and ``skewness``;
        then ``test`` (the test behind ``p``), ``statistic``, ``df``, ``p``
        and every alternative: ``p_student``, ``p_welch``, ``p_mannwhitney``
        (continuous), ``p_chisq``, ``p_chisq_yates`` (2 x 2 only),
        ``p_fisher`` (categorical); ``smd`` (UC-MSC minus control; unsigned
        for more than two levels) and ``skewed``. Tests and SMD of a
        categorical variable repeat on each of its level rows. The first columns are
        ``variable``, ``label``, ``unit``, ``kind`` (``median_range``, ``mean_sd`` or
        ``count``), ``level`` and ``level_label``.
    notes : tuple of str
        Rows skipped and why.
    n : Mapping of str to int
        Analysed patients per arm.
    arms : tuple of str
        The two arm codes, control first.
    """

    summary: pd.DataFrame
    notes: tuple[str, ...] = ()
    n: Mapping[str, int] = field(default_factory=dict)
    arms: tuple[str, str] = ARMS  # type: ignore[assignment]

    def variables(self) -> list[str]:
        """Variables present, in table order."""
        return list(dict.fromkeys(self.summary["variable"]))

    def row(self, variable: str, level: Any = None) -> pd.Series:
        """The summary row of one variable (and level)."""
        s = self.summary
        m = s["variable"] == variable
        if level is not None:
            m &= s["level"].astype(str) == str(level)
        if m.sum() != 1:
            raise KeyError(f"no single row for variable={variable!r}, level={level!r}")
        return s[m].iloc[0]


def _arm_continuous(x: pd.Series) -> dict:
    x = x.astype(float)
    v = x.dropna()
    out = dict(n=len(v), missing=int(x.isna().sum()))
    if len(v):
        out.update(mean=v.mean(), sd=v.std(ddof=1) if len(v) > 1 else np.nan, median=v.median(),
                   q1=v.quantile(0.25), q3=v.quantile(0.75), min=v.min(), max=v.max(),
                   skewness=stats.skew(v, bias=False) if len(v) > 2 and v.std() > 0 else np.nan)
    return out


def _continuous_rows(var: str, kind: str, groups: dict[str, pd.Series], arms: tuple[str, str],
                     continuous_test: str, skew_threshold: float) -> list[dict]:
    c, t = (groups[a].astype(float).dropna() for a in arms)
    row: dict[str, Any] = dict(variable=var, label=TABLE1_LABELS[var][0], unit=TABLE1_LABELS[var][1],
                               kind=kind, level="", level_label="")
    for a in arms:
        for k, v in _arm_continuous(groups[a]).items():
            row[f"{k}_{a}"] = v
    if min(len(c), len(t)) >= 2:
        st = stats.ttest_ind(t, c, equal_var=True)
        we = stats.ttest_ind(t, c, equal_var=False)
        mw = stats.mannwhitneyu(t, c, alternative="two-sided", method="asymptotic", use_continuity=True)
        a_, b_ = c.var(ddof=1) / len(c), t.var(ddof=1) / len(t)
        welch_df = (a_ + b_) ** 2 / (a_**2 / (len(c) - 1) + b_**2 / (len(t) - 1))
        chosen = {"student": ("Student t (pooled variance)", st.statistic, len(c) + len(t) - 2.0, st.pvalue),
                  "welch": ("Welch t", we.statistic, welch_df, we.pvalue),
                  "mannwhitney": ("Mann-Whitney U", mw.statistic, np.nan, mw.pvalue)}[continuous_test]
        row.update(test=chosen[0], statistic=float(chosen[1]), df=float(chosen[2]), p=float(chosen[3]),
                   p_student=float(st.pvalue), p_welch=float(we.pvalue), p_mannwhitney=float(mw.pvalue),
                   smd=smd_continuous(t, c))
    sk = [row.get(f"skewness_{a}", np.nan) for a in arms]
    row["skewed"] = bool(np.nanmax(np.abs(sk)) > skew_threshold) if np.isfinite(sk).any() else False
    return [row]


def _categorical_rows(var: str, groups: dict[str, pd.Series], levels: tuple[tuple[Any, str], ...],
                      arms: tuple[str, str], correction: bool, notes: list[str] | None = None) -> list[dict]:
    vals = [lv for lv, _ in levels]
    counts = {a: [int((groups[a] == lv).sum()) for lv in vals] for a in arms}
    nonmiss = {a: int(groups[a].notna().sum()) for a in arms}
    tab = np.array([counts[a] for a in arms])
    tests: dict[str, Any] = {}
    keep = tab.sum(axis=0) > 0
    if keep.sum() >= 2 and min(nonmiss.values()) > 0:
        expected = tab[:, keep].sum(axis=1, keepdims=True) * tab[:, keep].sum(axis=0) / tab.sum()
        if (expected < 5).any():
            warnings.warn(f"{var}: expected counts below 5 ({expected.min():.1f}); the chi-square "
                          "approximation is poor, prefer p_fisher", StatisticalWarning, stacklevel=3)
        chi, dof, p = chisq_from_counts(tab, correction=False)
        try:
            p_exact = fisher_from_counts(tab)
        except TableTooLargeError:
            p_exact = float("nan")
            if notes is not None:
                notes.append(f"'{var}': the exact test is not computed (too many tables to enumerate at "
                             "this sample size); the chi-square test is reported, accurate at this size.")
        tests = dict(p_chisq=p, p_fisher=p_exact)
        if keep.sum() == 2:
            tests["p_chisq_yates"] = chisq_from_counts(tab, correction=True)[2]
        if correction and keep.sum() == 2:
            chi, dof, p = chisq_from_counts(tab, correction=True)
            name = "chi-square with Yates' correction"
        else:
            name = "chi-square without continuity correction"
        tests.update(test=name, statistic=chi, df=float(dof), p=p)
        props = {a: tab[i] / nonmiss[a] for i, a in enumerate(arms)}
        tests["smd"] = smd_categorical(props[arms[1]][keep], props[arms[0]][keep])
    rows = []
    for j, (lv, lab) in enumerate(levels):
        row: dict[str, Any] = dict(variable=var, label=TABLE1_LABELS[var][0], unit=TABLE1_LABELS[var][1],
                                   kind="count", level=str(lv), level_label=lab, skewed=False)
        for a in arms:
            row[f"n_{a}"] = nonmiss[a]
            row[f"missing_{a}"] = int(groups[a].isna().sum())
            row[f"count_{a}"] = counts[a][j]
            row[f"pct_{a}"] = 100.0 * counts[a][j] / nonmiss[a] if nonmiss[a] else np.nan
        row.update(tests)
        rows.append(row)
    return rows


def baseline_table(
    data: Trial | pd.DataFrame,
    *,
    continuous_test: str = "student",
    correction: bool = False,
    meld_cutoff: float = 15.0,
    skew_threshold: float = 1.0,
) -> BaselineTable:
    """Baseline characteristics of the analysed patients per arm (the paper's Table 1).

    Parameters
    ----------
    data : Trial or pandas.DataFrame
        A :class:`~analysis.toolkit.schema.Trial` (its ``analyzed`` patients are used)
        or a frame of patients already restricted to the analysis set, with
        columns ``arm``, ``age``, ``sex`` and any optional baseline columns of
        :data:`analysis.toolkit.schema.BASELINE_CONTINUOUS` and
        :data:`analysis.toolkit.schema.BASELINE_CATEGORICAL`.
    continuous_test : {"student", "welch", "mannwhitney"}
        Test reported as ``p`` for continuous rows: ``"student"`` (default,
        pooled variance, R ``t.test(var.equal = TRUE)``), ``"welch"`` (R
        ``t.test()``) or ``"mannwhitney"`` (R ``wilcox.test(exact = FALSE,
        correct = TRUE)``). All three are always in ``p_student``,
        ``p_welch``, ``p_mannwhitney``.
    correction : bool, default False
        Yates' continuity correction for 2 x 2 categorical tests reported as
        ``p`` (default ``False``: R ``chisq.test(correct = FALSE)``, which
        reproduces the paper's p values; see
        :func:`analysis.toolkit.consistency.compare_table1_tests`).
    meld_cutoff : float, default 15.0
        MELD split: ``> cutoff`` versus ``<= cutoff`` (MELD points).
    skew_threshold : float, default 1.0
        A continuous row is flagged ``skewed`` when the sample skewness
        (adjusted Fisher-Pearson, R ``e1071::skewness(type = 2)``) of either
        arm exceeds this in absolute value; for such rows ``p_mannwhitney``
        is the better-behaved test.

    Returns
    -------
    BaselineTable
        Per-arm statistics, tests and standardized differences per row (``summary``),
        notes on skipped rows, and the analysed patients per arm.

    Warns
    -----
    StatisticalWarning
        When a categorical row has an expected count below 5.

    References
    ----------
    Altman DG (1991) Practical Statistics for Medical Research, ch. 9 and 10.
    Austin PC (2009) Stat Med 28:3083-3107 (standardized differences).
    Senn S (1994) Testing for baseline balance in clinical trials. Stat Med
    13:1715-1726 (why baseline p values test randomization, not imbalance).
    """
    if continuous_test not in _CONTINUOUS_TESTS:
        raise ValueError(f"continuous_test must be one of {_CONTINUOUS_TESTS}, got {continuous_test!r}")
    df = data.analyzed if isinstance(data, Trial) else data
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"data must be a Trial or a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in ("arm",) if c not in df.columns]
    if missing:
        raise ValueError(f"data: required column(s) missing: {', '.join(missing)}")
    arms: tuple[str, str] = ARMS  # type: ignore[assignment]
    bad = set(df["arm"].dropna()) - set(arms)
    if bad or df["arm"].isna().any():
        raise ValueError(f"data: column 'arm' must hold only {arms}, found {sorted(map(str, bad)) or 'missing values'}")
    absent = [a for a in arms if not (df["arm"] == a).any()]
    if absent:
        raise ValueError(f"data: column 'arm' has no patient in {', '.join(absent)}")
    groups = {a: df[df["arm"] == a] for a in arms}

    rows: list[dict] = []
    notes: list[str] = []
    for var in TABLE1_ORDER:
        source = "meld" if var == "meld_gt15" else var
        if source not in df.columns:
            if var in ("age", "sex", *BASELINE_CONTINUOUS, *BASELINE_CATEGORICAL):
                notes.append(f"'{var}' is not in the data: its row is skipped.")
            continue
        if df[source].isna().all():
            notes.append(f"'{source}' has no values: its row is skipped.")
            continue
        if var == "age" or var in BASELINE_CONTINUOUS:
            kind = "median_range" if var == "age" else "mean_sd"
            rows += _continuous_rows(var, kind, {a: g[var] for a, g in groups.items()}, arms,
                                     continuous_test, skew_threshold)
        elif var == "meld_gt15":
            cut = {a: g["meld"].where(g["meld"].isna(), (g["meld"] > meld_cutoff).astype(float))
                   for a, g in groups.items()}
            c = f"{meld_cutoff:g}"
            rows += _categorical_rows(var, cut, ((1.0, f"> {c}"), (0.0, f"<= {c}")), arms, correction, notes)
            for r in rows[-2:]:
                r["level"] = f">{c}" if r["level"] == "1.0" else f"<={c}"
        else:
            rows += _categorical_rows(var, {a: g[var] for a, g in groups.items()}, _LEVELS[var], arms, correction,
                                      notes)
    summary = pd.DataFrame(rows).reindex(columns=_columns(arms))
    for col in summary.columns:
        if col not in ("variable", "label", "unit", "kind", "level", "level_label", "test", "skewed"):
            summary[col] = summary[col].astype(float)
    summary["skewed"] = summary["skewed"].fillna(False).astype(bool)
    return BaselineTable(summary=summary, notes=tuple(notes), n={a: len(g) for a, g in groups.items()}, arms=arms)


def baseline_imbalances(table: BaselineTable, *, smd_threshold: float = 0.1, alpha: float = 0.05) -> pd.DataFrame:
    """Variables whose arms differ at baseline, by SMD or by the paper's test.

    Parameters
    ----------
    table : BaselineTable
        From :func:`baseline_table`.
    smd_threshold : float, default 0.1
        ``|SMD|`` above which a variable counts as imbalanced (0.1 is the
        usual convention, Austin 2009).
    alpha : float, default 0.05
        Level for ``p < alpha``. In a randomized trial a baseline p value
        tests the randomization itself, so it is shown for comparison with the
        paper only (CONSORT 2010, item 15; Senn 1994).

    Returns
    -------
    pandas.DataFrame
        One row per variable (index ``variable``): ``label``, ``smd``,
        ``abs_smd``, ``p``, ``p_mannwhitney``, ``skewed``, ``imbalanced_smd``,
        ``significant``; sorted by ``abs_smd`` descending.

    References
    ----------
    Austin PC. Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples. Stat Med
    2009;28:3083-3107. Senn S. Testing for baseline balance in clinical trials. Stat Med
    1994;13:1715-1726.
    """
    validate_alpha(alpha)
    s = table.summary.drop_duplicates("variable").set_index("variable")
    out = s[["label", "smd", "p", "p_mannwhitney", "skewed"]].copy()
    out["abs_smd"] = out["smd"].abs()
    out["imbalanced_smd"] = out["abs_smd"] > smd_threshold
    out["significant"] = out["p"] < alpha
    return out[["label", "smd", "abs_smd", "p", "p_mannwhitney", "skewed", "imbalanced_smd",
                "significant"]].sort_values("abs_smd", ascending=False)


# ----------------------------------------------------------------------------
# Beside the published table
# ----------------------------------------------------------------------------
def _published_level(var: str, level: str, pub_levels: tuple) -> Any:
    """Map one of our level codes to the published table's level key."""
    if var == "meld_gt15":
        return pub_levels[0] if level.startswith(">") else pub_levels[1]
    for pl in pub_levels:
        if str(pl) == level or (isinstance(pl, (int, float)) and str(float(pl)) == level):
            return pl
    return None


def compare_with_published(table: BaselineTable, published: Any, *, p_decimals: int = 3,
                           median_decimals: int = 1) -> pd.DataFrame:
    """The cohort's Table 1 beside the published Table 1, statistic by statistic.

    Parameters
    ----------
    table : BaselineTable
        From :func:`baseline_table`.
    published : Published or iterable of Table1Row
        A :class:`~analysis.trial.published.Published` (its ``table1`` rows are used), or
        the rows themselves.
    p_decimals : int, default 3
        Printed decimals of the p values.
    median_decimals : int, default 1
        Printed decimals of the medians (mean and SD decimals come from the published rows;
        ranges and counts are integers).

    Returns
    -------
    pandas.DataFrame
        Long format, one row per (variable, level, statistic, arm):
        ``variable``, ``label``, ``level``, ``statistic`` (``median``,
        ``min``, ``max``, ``mean``, ``sd``, ``count``, ``pct``, ``n`` or
        ``p``), ``arm`` (empty for ``p``), ``published``, ``cohort``,
        ``difference`` (cohort minus published), ``decimals`` (printed
        decimals of the published value) and ``agrees`` (the cohort value
        prints as the published one; for ``p < x``, is below ``x``; missing
        when the cohort lacks the row). Published rows absent from the cohort
        appear with ``cohort`` missing.
    """
    arms = table.arms
    rows = []
    pub_rows = {r.variable: r for r in getattr(published, "table1", published)}
    s = table.summary
    for var, r in pub_rows.items():
        ours = s[s["variable"] == var]
        if r.kind in ("mean_sd", "median_range"):
            stat_names = ("mean", "sd") if r.kind == "mean_sd" else ("median", "min", "max")
            for arm in arms:
                for st in stat_names:
                    cohort = float(ours[f"{st}_{arm}"].iloc[0]) if len(ours) else np.nan
                    if st in ("mean", "sd"):
                        d = int(r.decimals_for(arm)[st]) if r.decimals else 1
                    else:
                        d = median_decimals if st == "median" else 0
                    rows.append(dict(variable=var, label=r.label, level="", statistic=st, arm=arm,
                                     published=float(r.arm(arm)[st]), cohort=cohort, decimals=d))
        else:
            for lv in r.levels:
                ours_lv = pd.DataFrame()
                if len(ours):
                    keys = ours["level"].map(lambda x: _published_level(var, x, tuple(r.levels)))
                    ours_lv = ours[keys.astype(str) == str(lv)]
                for arm in arms:
                    count = float(r.arm(arm)[lv])
                    cohort = float(ours_lv[f"count_{arm}"].iloc[0]) if len(ours_lv) else np.nan
                    rows.append(dict(variable=var, label=r.label, level=str(lv), statistic="count", arm=arm,
                                     published=count, cohort=cohort, decimals=0))
        cohort_p = float(ours["p"].iloc[0]) if len(ours) else np.nan
        rows.append(dict(variable=var, label=r.label, level="", statistic="p", arm="", published=float(r.p),
                         cohort=cohort_p, decimals=p_decimals, operator=r.p_operator))
    cols = ["variable", "label", "level", "statistic", "arm", "published", "cohort", "decimals", "operator"]
    out = pd.DataFrame(rows, columns=cols)
    out["operator"] = out["operator"].fillna("=")
    out["difference"] = out["cohort"] - out["published"]
    half = 0.5 * 10.0 ** -out["decimals"].astype(float)
    agrees = np.where(out["operator"] == "<", out["cohort"] < out["published"],
                      (out["difference"].abs() <= half + 1e-9))
    out["agrees"] = pd.array(np.where(out["cohort"].isna(), None, agrees), dtype="boolean")
    out["decimals"] = out["decimals"].astype(int)
    return out[["variable", "label", "level", "statistic", "arm", "published", "cohort", "difference",
                "decimals", "agrees"]]
