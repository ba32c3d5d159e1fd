"""Liver function over the 48 weeks: summaries, the paper's t tests, and a baseline-adjusted MMRM.

The paper measured serum albumin (ALB), prothrombin activity (PTA),
cholinesterase (CHE) and total bilirubin (TBIL) at weeks 0, 12, 24 and 48 and
compared, at each week, every arm with its own baseline (paired Student t test)
and the two arms with each other (Student t test). This module reproduces those
tests and adds, beyond the paper, a mixed model for repeated measures (MMRM)
that uses every available post-baseline visit and adjusts for the baseline
value.

Conventions (explicit arguments with these defaults):

- Population: analysed patients (``disposition == 'analyzed'``), the paper's.
- Between-arm differences are **UC-MSC minus control** (``direction``);
  on the log scale their exponential is the ratio UC-MSC / control.
- Baseline is the week-0 value of ``labs.csv`` (falling back to the baseline
  column of ``patients.csv`` when the week-0 row is absent).
- Missing visits are not imputed. :func:`lab_frame` lays out every scheduled
  visit of every analysed patient and labels why a value is absent
  (``died`` before the visit, or ``missing`` otherwise); every estimate reports
  the number of values it rests on. The t tests use the available values at
  each week (complete pairs for the paired test), as the paper's tests must
  have; the MMRM uses all available post-baseline values and is valid when
  values are missing at random given baseline and earlier values (Molenberghs
  and Kenward 2007); neither handles death, which truncates rather than hides
  a value: estimates describe survivors (see the chapter).
- Scale: the paper's tests are on the measured scale (``log_analytes=()``).
  TBIL and CHE are right-skewed (their SD is of the order of their mean at
  baseline), so the model analyses them on the log scale
  (``log_analytes=LOG_ANALYTES``) and back-transforms: the treatment effect is
  then a ratio of geometric means, and multiplicative changes, the natural
  way these analytes move, become additive.

Why an MMRM fitted here: the standard analysis of a continuous outcome measured
at fixed visits is the MMRM with an unstructured covariance (Mallinckrodt et
al. 2008; EMA 2010 guideline on missing data), which is ``nlme::gls`` with
``corSymm`` and ``varIdent`` (or the ``mmrm`` package) in R and ``PROC MIXED``
with ``TYPE=UN`` in SAS. statsmodels has no generalized least squares with an
unstructured covariance across visits: ``MixedLM`` with a random intercept
imposes compound symmetry (equal variances and correlations across visits,
implausible over 48 weeks), and ``GEE`` with an unstructured working
correlation is valid only when data are missing completely at random. The
REML fit is therefore written here (:func:`mmrm`) and validated against
``nlme::gls``; ANCOVA at each week (:func:`ancova_by_week`, statsmodels OLS) is
given beside it as the simpler, complete-case check. With no missing values
the two give identical treatment estimates (seemingly unrelated regressions
with identical regressors, Zellner 1962), which the tests check.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .agreement import STATUSES
from .conventions import validate_alpha, validate_conf_level, validate_direction, validate_population
from .schema import ARMS, LAB_ANALYTES, Trial
from .units import weeks_to_months
from .warnings import StatisticalWarning

__all__ = [
    "LOG_ANALYTES",
    "ANALYTE_LABELS",
    "ANALYTE_UNITS",
    "lab_frame",
    "visit_status",
    "describe_visits",
    "change_from_baseline",
    "between_arm_t",
    "MMRMResult",
    "mmrm",
    "ancova_by_week",
    "adjusted_effects",
    "evaluate_statements",
]

#: Right-skewed analytes analysed on the log scale by the baseline-adjusted model.
LOG_ANALYTES = ("che", "tbil")
#: Display names of the analytes.
ANALYTE_LABELS = {"alb": "Albumin", "pta": "Prothrombin activity", "che": "Cholinesterase", "tbil": "Total bilirubin"}
#: Units of the analytes (as in the paper's Table 1).
ANALYTE_UNITS = {"alb": "g/L", "pta": "%", "che": "U/L", "tbil": "µmol/L"}

#: Stable columns of the estimate tables (on the analysis scale, then back-transformed).
_EFFECT_COLUMNS = ["estimate", "se", "ci_low", "ci_high", "statistic", "df", "p",
                   "effect_type", "effect", "effect_ci_low", "effect_ci_high"]


# ----------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------
def _check_frame(frame: pd.DataFrame, arg: str = "frame") -> None:
    need = {"patient_id", "arm", "analyte", "week", "value", "baseline", "status"}
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{arg} must be a DataFrame from lab_frame(), got {type(frame).__name__}")
    miss = need - set(frame.columns)
    if miss:
        raise ValueError(f"{arg} must come from lab_frame(): missing column(s) {', '.join(sorted(miss))}")


def _check_log(log_analytes: Iterable[str]) -> tuple[str, ...]:
    out = tuple(log_analytes)
    bad = [a for a in out if a not in LAB_ANALYTES]
    if bad:
        raise ValueError(f"log_analytes must be among {LAB_ANALYTES}, got {bad}")
    return out


def _check_conf(conf_level: float) -> float:
    return validate_conf_level(conf_level)


def _sign(direction: str) -> float:
    validate_direction(direction)
    return 1.0 if direction == "ucmsc_vs_control" else -1.0


def _transform(x: pd.Series | np.ndarray, log: bool, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if not log:
        return x
    if np.any(x <= 0):
        raise ValueError(f"{what}: values must be > 0 for the log scale; found {np.sum(x <= 0)} value(s) <= 0")
    return np.log(x)


def _back(effect_type: str, est: float, lo: float, hi: float) -> tuple[float, float, float]:
    if effect_type == "ratio":
        return float(np.exp(est)), float(np.exp(lo)), float(np.exp(hi))
    return est, lo, hi


# ----------------------------------------------------------------------------
# The analysis frame
# ----------------------------------------------------------------------------
def lab_frame(
    trial: Trial,
    *,
    weeks: Sequence[float] | None = None,
    analytes: Sequence[str] = LAB_ANALYTES,
    population: str = "analyzed",
) -> pd.DataFrame:
    """Every scheduled visit of every patient, with its value or the reason it is missing.

    Parameters
    ----------
    trial : Trial
        A trial with ``labs.csv``.
    weeks : sequence of float, optional
        Scheduled lab weeks; default: the weeks present in ``labs.csv``. The
        chapter passes the paper's schedule (``load_published().visits``).
    analytes : sequence of str, default LAB_ANALYTES
        Analytes to include.
    population : {"analyzed", "randomized"}, default "analyzed"
        ``"analyzed"`` (default; the paper's analysis set) or ``"randomized"``.

    Returns
    -------
    pandas.DataFrame
        One row per patient, analyte and scheduled week, with columns
        ``patient_id``, ``arm``, ``analyte``, ``week``, ``value`` (NaN if
        absent), ``baseline`` (the week-0 value, NaN if unknown), ``change``
        (value minus baseline), ``status`` (``observed``; ``died``: no value
        and the patient had died before the visit; ``missing``: any other
        absent value), ``has_baseline``.

    Raises
    ------
    ValueError
        If the trial has no ``labs.csv`` or an argument is invalid.
    """
    if trial.labs is None:
        raise ValueError("trial.labs is None: the trial has no labs.csv, so liver function cannot be analysed")
    validate_population(population)
    bad = [a for a in analytes if a not in LAB_ANALYTES]
    if bad:
        raise ValueError(f"analytes must be among {LAB_ANALYTES}, got {bad}")
    pts = trial.analyzed if population == "analyzed" else trial.patients
    labs = trial.labs[trial.labs["analyte"].isin(analytes)]
    if weeks is None:
        weeks = sorted(labs["week"].unique())
    weeks = [float(w) for w in weeks]
    if 0.0 not in weeks:
        raise ValueError(f"weeks must include week 0 (the baseline visit), got {weeks}")
    grid = pd.MultiIndex.from_product(
        [pts["patient_id"], list(analytes), weeks], names=["patient_id", "analyte", "week"]
    ).to_frame(index=False)
    df = grid.merge(labs[["patient_id", "analyte", "week", "value"]], how="left",
                    on=["patient_id", "analyte", "week"])
    df = df.merge(pts[["patient_id", "arm", "death", "os_months"]], on="patient_id", how="left")
    base = df.loc[df["week"] == 0, ["patient_id", "analyte", "value"]].rename(columns={"value": "baseline"})
    df = df.merge(base, on=["patient_id", "analyte"], how="left")
    # fall back to the baseline column of patients.csv where week 0 is absent
    for a in analytes:
        if a in pts.columns:
            fb = df["analyte"].eq(a) & df["baseline"].isna()
            if fb.any():
                df.loc[fb, "baseline"] = df.loc[fb, "patient_id"].map(pts.set_index("patient_id")[a])
    wk0 = df["week"].eq(0) & df["value"].isna() & df["baseline"].notna()
    df.loc[wk0, "value"] = df.loc[wk0, "baseline"]
    died = (df["death"].fillna(0).astype(int) == 1) & (df["os_months"] < weeks_to_months(df["week"]))
    df["status"] = np.where(df["value"].notna(), "observed", np.where(died, "died", "missing"))
    df["change"] = df["value"] - df["baseline"]
    df["has_baseline"] = df["baseline"].notna()
    df["arm"] = pd.Categorical(df["arm"], categories=list(ARMS))
    df["analyte"] = pd.Categorical(df["analyte"], categories=list(analytes))
    cols = ["patient_id", "arm", "analyte", "week", "value", "baseline", "change", "status", "has_baseline"]
    return df[cols].sort_values(["analyte", "arm", "patient_id", "week"]).reset_index(drop=True)


def visit_status(frame: pd.DataFrame) -> pd.DataFrame:
    """How many scheduled values were observed, and why the others are missing.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`lab_frame`.

    Returns
    -------
    pandas.DataFrame
        One row per analyte, arm and week: ``n_scheduled``, ``observed``,
        ``died``, ``missing``, ``observed_with_baseline`` (values usable for
        a change from baseline).
    """
    _check_frame(frame)
    g = frame.groupby(["analyte", "arm", "week"], observed=True)
    out = g["status"].value_counts().unstack(fill_value=0)
    for c in ("observed", "died", "missing"):
        if c not in out.columns:
            out[c] = 0
    out = out[["observed", "died", "missing"]].astype(int)
    out.insert(0, "n_scheduled", g.size())
    ok = frame["status"].eq("observed") & frame["has_baseline"]
    out["observed_with_baseline"] = ok.groupby([frame["analyte"], frame["arm"], frame["week"]], observed=True).sum()
    out.columns.name = None
    return out.reset_index()


# ----------------------------------------------------------------------------
# Descriptive statistics
# ----------------------------------------------------------------------------
def describe_visits(frame: pd.DataFrame, *, conf_level: float = 0.95) -> pd.DataFrame:
    """n, mean, SD, SE and t confidence interval per analyte, arm and week.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`lab_frame`; available values are used.
    conf_level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``analyte``, ``arm``, ``week``, ``n``, ``mean``, ``sd``
        (n - 1 denominator), ``se``, ``ci_low``, ``ci_high`` (mean ± t SE),
        ``geo_mean``, ``geo_ci_low``, ``geo_ci_high`` (the same on the log
        scale, back-transformed; NaN if a value is <= 0).

    Notes
    -----
    Matches ``t.test(x, conf.level = conf_level)`` and ``exp(t.test(log(x)))``
    in R.

    References
    ----------
    Altman DG. Practical Statistics for Medical Research. Chapman & Hall 1991,
    chapter 8 (t intervals). R: ``t.test(x)$conf.int``.
    """
    _check_frame(frame)
    q = 1 - (1 - _check_conf(conf_level)) / 2
    rows = []
    for (a, arm, w), d in frame[frame["status"] == "observed"].groupby(["analyte", "arm", "week"], observed=True):
        x = d["value"].to_numpy(float)
        n = len(x)
        row: dict[str, Any] = {"analyte": a, "arm": arm, "week": w, "n": n}
        m = x.mean() if n else np.nan
        sd = x.std(ddof=1) if n > 1 else np.nan
        se = sd / np.sqrt(n) if n > 1 else np.nan
        tq = stats.t.ppf(q, n - 1) if n > 1 else np.nan
        row.update(mean=m, sd=sd, se=se, ci_low=m - tq * se, ci_high=m + tq * se)
        if n > 1 and np.all(x > 0):
            lx = np.log(x)
            lm, lse = lx.mean(), lx.std(ddof=1) / np.sqrt(n)
            row.update(geo_mean=np.exp(lm), geo_ci_low=np.exp(lm - tq * lse), geo_ci_high=np.exp(lm + tq * lse))
        else:
            row.update(geo_mean=np.nan, geo_ci_low=np.nan, geo_ci_high=np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------
# The paper's tests
# ----------------------------------------------------------------------------
def change_from_baseline(
    frame: pd.DataFrame,
    *,
    log_analytes: Sequence[str] = (),
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Within-arm change from baseline at each post-baseline week: the paired t test.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`lab_frame`. Patients with both the week value and the
        baseline value (complete pairs) are used.
    log_analytes : sequence of str, default ()
        Analytes analysed as log(value) - log(baseline); their ``effect`` is
        the ratio of the geometric mean to the geometric mean at baseline
        (value / baseline). Default ``()``: the paper's measured scale.
    conf_level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per analyte, arm and week > 0: ``n`` (complete pairs),
        ``mean_baseline``, ``mean_value`` (means over those pairs, measured
        scale), ``scale``, then ``estimate`` (mean change on the analysis
        scale), ``se``, ``ci_low``, ``ci_high``, ``statistic`` (t), ``df``,
        ``p`` (two-sided), ``effect_type`` (``difference`` or ``ratio``),
        ``effect``, ``effect_ci_low``, ``effect_ci_high``.

    Notes
    -----
    Paired Student t test (scipy.stats.ttest_rel). Matches
    ``t.test(value, baseline, paired = TRUE)`` in R (on ``log()`` of both for
    log-scale analytes). A week with fewer than two pairs gives NaN and a
    :class:`~analysis.toolkit.warnings.StatisticalWarning`.

    References
    ----------
    Student (1908). The probable error of a mean. Biometrika 6:1-25.
    """
    _check_frame(frame)
    logs = _check_log(log_analytes)
    conf = _check_conf(conf_level)
    d = frame[(frame["week"] > 0) & (frame["status"] == "observed") & frame["has_baseline"]]
    rows = []
    for (a, arm, w), g in d.groupby(["analyte", "arm", "week"], observed=True):
        log = a in logs
        y = _transform(g["value"], log, f"analyte {a}")
        b = _transform(g["baseline"], log, f"analyte {a} baseline")
        row: dict[str, Any] = {"analyte": a, "arm": arm, "week": w, "n": len(g),
                               "mean_baseline": g["baseline"].mean(), "mean_value": g["value"].mean(),
                               "scale": "log" if log else "raw"}
        row.update(_paired(y, b, conf, f"{a}, {arm}, week {w:g}"))
        et = "ratio" if log else "difference"
        row["effect_type"] = et
        row["effect"], row["effect_ci_low"], row["effect_ci_high"] = _back(et, row["estimate"], row["ci_low"], row["ci_high"])
        rows.append(row)
    return pd.DataFrame(rows)


def _paired(y: np.ndarray, b: np.ndarray, conf: float, what: str) -> dict[str, float]:
    nan = float("nan")
    if len(y) < 2:
        warnings.warn(f"{what}: fewer than two complete pairs; paired t test not computed", StatisticalWarning,
                      stacklevel=3)
        return dict(estimate=float(np.mean(y - b)) if len(y) else nan, se=nan, ci_low=nan, ci_high=nan,
                    statistic=nan, df=nan, p=nan)
    r = stats.ttest_rel(y, b)
    ci = r.confidence_interval(conf)
    diff = y - b
    return dict(estimate=float(diff.mean()), se=float(diff.std(ddof=1) / np.sqrt(len(diff))),
                ci_low=float(ci.low), ci_high=float(ci.high), statistic=float(r.statistic),
                df=float(r.df), p=float(r.pvalue))


def between_arm_t(
    frame: pd.DataFrame,
    *,
    on: str = "value",
    log_analytes: Sequence[str] = (),
    equal_var: bool = True,
    direction: str = "ucmsc_vs_control",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Difference between the arms at each week: the two-sample t test.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`lab_frame`; available values at each week are used.
    on : {"value", "change"}, default "value"
        ``"value"`` (default; the level at the week, as the paper compares
        the arms) or ``"change"`` (change from baseline, complete pairs).
    log_analytes : sequence of str, default ()
        Analytes compared on the log scale; ``effect`` is then the ratio of
        geometric means. Default ``()``: the paper's measured scale.
    equal_var : bool, default True
        True (default): Student's pooled-variance test, the paper's. False:
        Welch's test.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "ucmsc_vs_control"
        ``"ucmsc_vs_control"`` (default): UC-MSC minus control (or UC-MSC /
        control on the log scale); ``"control_vs_ucmsc"`` the reverse.
    conf_level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per analyte and week (week 0 included for ``on="value"``):
        ``n_control``, ``n_ucmsc``, ``mean_control``, ``mean_ucmsc``
        (measured scale), ``scale``, ``on``, and the columns of the estimate
        tables (``estimate``, ``se``, ``ci_low``, ``ci_high``, ``statistic``,
        ``df``, ``p``, ``effect_type``, ``effect``, ``effect_ci_low``,
        ``effect_ci_high``).

    Notes
    -----
    scipy.stats.ttest_ind. Matches ``t.test(ucmsc, control, var.equal =
    TRUE)`` in R (``var.equal = FALSE`` for Welch).

    References
    ----------
    Student (1908); Welch BL (1947). The generalization of "Student's"
    problem when several different population variances are involved.
    Biometrika 34:28-35.
    """
    _check_frame(frame)
    if on not in ("value", "change"):
        raise ValueError(f"on must be 'value' or 'change', got {on!r}")
    logs = _check_log(log_analytes)
    conf = _check_conf(conf_level)
    s = _sign(direction)
    d = frame[frame["status"] == "observed"]
    if on == "change":
        d = d[(d["week"] > 0) & d["has_baseline"]]
    rows = []
    for (a, w), g in d.groupby(["analyte", "week"], observed=True):
        log = a in logs
        y = _transform(g["value"], log, f"analyte {a}")
        if on == "change":
            y = y - _transform(g["baseline"], log, f"analyte {a} baseline")
        arm = g["arm"].to_numpy()
        yc, yu = y[arm == "control"], y[arm == "ucmsc"]
        row: dict[str, Any] = {"analyte": a, "week": w, "n_control": len(yc), "n_ucmsc": len(yu),
                               "mean_control": g.loc[arm == "control", "value"].mean(),
                               "mean_ucmsc": g.loc[arm == "ucmsc", "value"].mean(),
                               "scale": "log" if log else "raw", "on": on}
        x1, x2 = (yu, yc) if s > 0 else (yc, yu)
        if min(len(yc), len(yu)) < 2:
            warnings.warn(f"{a}, week {w:g}: fewer than two values in an arm; t test not computed",
                          StatisticalWarning, stacklevel=2)
            nan = float("nan")
            row.update(estimate=nan, se=nan, ci_low=nan, ci_high=nan, statistic=nan, df=nan, p=nan)
        else:
            r = stats.ttest_ind(x1, x2, equal_var=equal_var)
            ci = r.confidence_interval(conf)
            est = float(x1.mean() - x2.mean())
            row.update(estimate=est, se=float(est / r.statistic) if r.statistic != 0 else _se2(x1, x2, equal_var),
                       ci_low=float(ci.low), ci_high=float(ci.high), statistic=float(r.statistic),
                       df=float(r.df), p=float(r.pvalue))
        et = "ratio" if log else "difference"
        row["effect_type"] = et
        row["effect"], row["effect_ci_low"], row["effect_ci_high"] = _back(et, row["estimate"], row["ci_low"], row["ci_high"])
        rows.append(row)
    return pd.DataFrame(rows)


def _se2(x1: np.ndarray, x2: np.ndarray, equal_var: bool) -> float:
    n1, n2 = len(x1), len(x2)
    v1, v2 = x1.var(ddof=1), x2.var(ddof=1)
    if equal_var:
        sp = ((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2)
        return float(np.sqrt(sp * (1 / n1 + 1 / n2)))
    return float(np.sqrt(v1 / n1 + v2 / n2))


# ----------------------------------------------------------------------------
# Baseline-adjusted models
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MMRMResult:
    """A fitted MMRM for one analyte.

    Attributes
    ----------
    analyte : str
        The analyte (``alb``, ``pta``, ``che`` or ``tbil``).
    scale : {"raw", "log"}
        Its analysis scale.
    summary : pandas.DataFrame
        Treatment effect per post-baseline week (columns as in
        :func:`ancova_by_week`; UC-MSC minus control, or UC-MSC / control on
        the log scale, by default).
    coef : pandas.Series
        Fixed effects (REML/GLS estimates).
    cov_params : pandas.DataFrame
        Their model-based covariance.
    sigma : pandas.DataFrame
        Estimated within-patient covariance across weeks (unstructured).
    loglik : float
        Restricted log-likelihood at the optimum.
    n_patients : int
        Patients in the model.
    n_obs : int
        Values (patient-weeks) in the model.
    excluded : Mapping[str, int]
        Analysed patients not in the model, by reason.
    converged : bool, default True
        Whether the optimiser reported convergence.
    covariance : str, default "unstructured"
        The within-patient covariance structure.
    df_method : {"residual", "normal"}, default "residual"
        Degrees of freedom of the reference distribution (see :func:`mmrm`).

    Notes
    -----
    R: ``nlme::gls(..., correlation = corSymm(...), weights = varIdent(...),
    method = "REML")``.
    """

    analyte: str
    scale: str
    summary: pd.DataFrame
    coef: pd.Series
    cov_params: pd.DataFrame
    sigma: pd.DataFrame
    loglik: float
    n_patients: int
    n_obs: int
    excluded: Mapping[str, int] = field(default_factory=dict)
    converged: bool = True
    covariance: str = "unstructured"
    df_method: str = "residual"

    def _repr_html_(self) -> str:
        return self.summary._repr_html_()


def _model_data(frame: pd.DataFrame, analyte: str, log: bool) -> tuple[pd.DataFrame, dict[str, int]]:
    f = frame[frame["analyte"] == analyte]
    if f.empty:
        raise ValueError(f"analyte {analyte!r} is not in frame")
    post = f[f["week"] > 0]
    pats = f.drop_duplicates("patient_id")
    has_post = post[post["status"] == "observed"].groupby("patient_id").size()
    no_base = ~pats["has_baseline"]
    no_post = ~pats["patient_id"].isin(has_post.index)
    excluded = {"no baseline value": int(no_base.sum()),
                "no post-baseline value": int((~no_base & no_post).sum())}
    d = post[(post["status"] == "observed") & post["has_baseline"]].copy()
    d["y"] = _transform(d["value"], log, f"analyte {analyte}")
    d["yb"] = _transform(d["baseline"], log, f"analyte {analyte} baseline")
    return d, excluded


def _design(d: pd.DataFrame, visits: list[float], sign: float) -> tuple[np.ndarray, list[str]]:
    k = len(visits)
    vi = d["week"].map({w: i for i, w in enumerate(visits)}).to_numpy()
    trt = (d["arm"].astype(str) == "ucmsc").to_numpy(float)
    if sign < 0:
        trt = 1.0 - trt
    yb = d["yb"].to_numpy(float)
    yb = yb - yb.mean()  # centring changes only the visit intercepts
    X = np.zeros((len(d), 3 * k))
    rows = np.arange(len(d))
    X[rows, vi] = 1.0
    X[rows, k + vi] = trt
    X[rows, 2 * k + vi] = yb
    names = ([f"week{w:g}" for w in visits] + [f"week{w:g}:treatment" for w in visits]
             + [f"week{w:g}:baseline" for w in visits])
    return X, names


def _chol(theta: np.ndarray, k: int) -> np.ndarray:
    L = np.zeros((k, k))
    L[np.tril_indices(k)] = theta
    L[np.diag_indices(k)] = np.exp(np.diag(L))
    return L


def _reml_pieces(theta: np.ndarray, groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]], k: int, p: int):
    L = _chol(theta, k)
    S = L @ L.T
    A = np.zeros((p, p))
    bvec = np.zeros(p)
    logdet = 0.0
    inv = []
    for idx, Xg, Yg in groups:  # Xg: (m, |S|, p), Yg: (m, |S|)
        Ss = S[np.ix_(idx, idx)]
        Si = np.linalg.inv(Ss)
        inv.append(Si)
        logdet += Xg.shape[0] * np.linalg.slogdet(Ss)[1]
        A += np.einsum("mip,ij,mjq->pq", Xg, Si, Xg)
        bvec += np.einsum("mip,ij,mj->p", Xg, Si, Yg)
    return S, A, bvec, logdet, inv


def _neg2reml(theta, groups, k, p, n_obs):
    S, A, bvec, logdet, inv = _reml_pieces(theta, groups, k, p)
    sign, ld_a = np.linalg.slogdet(A)
    if sign <= 0:
        return np.inf
    beta = np.linalg.solve(A, bvec)
    rss = 0.0
    for (idx, Xg, Yg), Si in zip(groups, inv):
        r = Yg - Xg @ beta
        rss += np.einsum("mi,ij,mj->", r, Si, r)
    return logdet + ld_a + rss + (n_obs - p) * np.log(2 * np.pi)


def _neg2reml_and_grad(theta, groups, k, p, n_obs):
    """-2 REML log-likelihood and its exact gradient in ``theta`` (log-Cholesky of the covariance).

    With S = L L', S_g the block of a visit pattern, A = sum X' S_g^-1 X and the GLS residuals r
    at beta-hat, the derivative of -2 l_R in S is G = sum_g S_g^-1 (m_g S_g - sum X A^-1 X'
    - sum r r') S_g^-1 (the residual term by the envelope theorem, beta-hat minimising it); in L it
    is 2 G L, and the chain rule through exp gives the diagonal. Written here because an exact
    gradient lets BFGS converge in a tenth of the evaluations of a central-difference one
    (``tests/test_longitudinal.py`` checks it against finite differences).
    """
    L = _chol(theta, k)
    S, A, bvec, logdet, inv = _reml_pieces(theta, groups, k, p)
    sign, ld_a = np.linalg.slogdet(A)
    if sign <= 0:
        return np.inf, np.zeros_like(theta)
    beta = np.linalg.solve(A, bvec)
    Ainv = np.linalg.inv(A)
    rss = 0.0
    G = np.zeros((k, k))
    for (idx, Xg, Yg), Si in zip(groups, inv):
        r = Yg - Xg @ beta  # (m, |S|)
        rss += np.einsum("mi,ij,mj->", r, Si, r)
        inner = Xg.shape[0] * S[np.ix_(idx, idx)] - np.einsum("mip,pq,mjq->ij", Xg, Ainv, Xg) - r.T @ r
        G[np.ix_(idx, idx)] += Si @ inner @ Si
    f = logdet + ld_a + rss + (n_obs - p) * np.log(2 * np.pi)
    dL = 2.0 * G @ L
    dL[np.diag_indices(k)] *= np.diag(L)  # d/d log(L_aa)
    return f, dL[np.tril_indices(k)]


def mmrm(
    frame: pd.DataFrame,
    analyte: str,
    *,
    log: bool | None = None,
    direction: str = "ucmsc_vs_control",
    conf_level: float = 0.95,
    df_method: str = "residual",
) -> MMRMResult:
    """Mixed model for repeated measures: treatment effect per week, adjusted for baseline.

    Model, fitted by REML to all available post-baseline values of patients
    with a baseline value::

        y_iw = mu_w + tau_w * treatment_i + gamma_w * (baseline_i - mean) + e_iw,
        (e_i12, e_i24, e_i48) ~ N(0, Sigma),  Sigma unstructured.

    ``tau_w`` is the treatment effect at week ``w``.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`lab_frame`.
    analyte : str
        One of ``alb``, ``pta``, ``che``, ``tbil``.
    log : bool, optional
        Analyse log(value) with log(baseline) as covariate (effect: ratio of
        geometric means). Default: True for :data:`LOG_ANALYTES`.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "ucmsc_vs_control"
        ``"ucmsc_vs_control"`` (default) or the reverse.
    conf_level : float, default 0.95
        Confidence level.
    df_method : {"residual", "normal"}, default "residual"
        Degrees of freedom of the t reference distribution: ``"residual"``
        (default; number of values minus number of fixed effects, as
        ``nlme::gls``) or ``"normal"`` (z). SAS and the R ``mmrm`` package
        default to Kenward-Roger or Satterthwaite degrees of freedom, which
        are smaller and give slightly wider intervals; they are not
        implemented here.

    Returns
    -------
    MMRMResult
        ``summary`` has, per week, ``analyte``, ``week``, ``scale``,
        ``n_control``, ``n_ucmsc`` (values in the model at that week) and the
        estimate columns (``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``statistic``, ``df``, ``p``, ``effect_type``, ``effect``,
        ``effect_ci_low``, ``effect_ci_high``).

    Notes
    -----
    statsmodels has no GLS with an unstructured covariance, so the REML
    criterion is written out here (Harville 1977; Pinheiro and Bates 2000,
    ch. 5) and minimised over the log-Cholesky factor of ``Sigma`` with
    BFGS; the fixed effects are their GLS estimates given ``Sigma`` and their
    covariance is ``(sum X_i' Sigma_i^-1 X_i)^-1``. Matches, in R::

        nlme::gls(y ~ 0 + visit + visit:ucmsc + visit:baseline,
                  correlation = corSymm(form = ~ visit_index | patient_id),
                  weights = varIdent(form = ~ 1 | visit), method = "REML")

    Values missing at random (given baseline and the observed visits) do
    not bias the estimates; patients without a baseline value, or without
    any post-baseline value, contribute nothing and are counted in
    ``excluded``.

    References
    ----------
    Mallinckrodt CH, Lane PW, Schnell D, Peng Y, Mancuso JP (2008).
    Recommendations for the primary analysis of continuous endpoints in
    longitudinal clinical trials. Drug Inf J 42:303-319.
    Harville DA (1977). Maximum likelihood approaches to variance component
    estimation and to related problems. JASA 72:320-338.
    """
    _check_frame(frame)
    if analyte not in LAB_ANALYTES:
        raise ValueError(f"analyte must be one of {LAB_ANALYTES}, got {analyte!r}")
    if df_method not in ("residual", "normal"):
        raise ValueError(f"df_method must be 'residual' or 'normal', got {df_method!r}")
    conf = _check_conf(conf_level)
    sign = _sign(direction)
    log = analyte in LOG_ANALYTES if log is None else bool(log)
    d, excluded = _model_data(frame, analyte, log)
    visits = sorted(float(w) for w in frame.loc[frame["week"] > 0, "week"].unique())
    k = len(visits)
    present = set(d["week"].unique())
    for w in visits:
        arms_w = set(d.loc[d["week"] == w, "arm"].astype(str))
        if w not in present or arms_w != set(ARMS):
            raise ValueError(f"{analyte}: week {w:g} has no values in one arm; the model cannot estimate its effect")
    X, names = _design(d, visits, sign)
    p = X.shape[1]
    y = d["y"].to_numpy(float)
    vi = d["week"].map({w: i for i, w in enumerate(visits)}).to_numpy()
    pid = d["patient_id"].to_numpy()
    n_obs = len(y)
    if n_obs - p < 1:
        raise ValueError(f"{analyte}: too few values ({n_obs}) for {p} fixed effects")
    # group patients by their pattern of observed visits
    order = np.lexsort((vi, pid))
    X, y, vi, pid = X[order], y[order], vi[order], pid[order]
    pats, start = np.unique(pid, return_index=True)
    bounds = list(zip(start, list(start[1:]) + [len(pid)]))
    by_pattern: dict[tuple, list[tuple[int, int]]] = {}
    for s0, s1 in bounds:
        by_pattern.setdefault(tuple(vi[s0:s1]), []).append((s0, s1))
    groups = []
    for pat, spans in by_pattern.items():
        Xg = np.stack([X[a:b] for a, b in spans])
        Yg = np.stack([y[a:b] for a, b in spans])
        groups.append((np.array(pat), Xg, Yg))
    # start from per-visit OLS residual covariance (pairwise), made positive definite
    beta0 = np.linalg.lstsq(X, y, rcond=None)[0]
    r0 = pd.DataFrame({"pid": pid, "vi": vi, "r": y - X @ beta0}).pivot(index="pid", columns="vi", values="r")
    S0 = r0.reindex(columns=range(k)).cov(min_periods=2).to_numpy()
    S0 = np.where(np.isfinite(S0), S0, 0.0)
    dg = np.diag(S0).copy()
    dg[~(dg > 0)] = np.nanvar(y)
    S0[np.diag_indices(k)] = dg
    w_, V_ = np.linalg.eigh(S0)
    S0 = (V_ * np.maximum(w_, 1e-3 * w_.max())) @ V_.T
    L0 = np.linalg.cholesky(S0)
    L0[np.diag_indices(k)] = np.log(np.diag(L0))
    theta0 = L0[np.tril_indices(k)]
    # exact gradient (finite differences are noisy near the optimum of a criterion of size ~1e3,
    # and cost 2 evaluations per parameter)
    res = optimize.minimize(_neg2reml_and_grad, theta0, args=(groups, k, p, n_obs), method="BFGS", jac=True,
                            options={"gtol": 1e-7, "maxiter": 2000})
    converged = bool(res.success) or float(np.max(np.abs(res.jac))) < 1e-4
    if not converged:
        warnings.warn(f"{analyte}: the MMRM optimiser did not converge ({res.message})", StatisticalWarning,
                      stacklevel=2)
    S, A, bvec, _, _ = _reml_pieces(res.x, groups, k, p)
    beta = np.linalg.solve(A, bvec)
    cov = np.linalg.inv(A)
    df = float(n_obs - p) if df_method == "residual" else np.inf
    q = stats.t.ppf(1 - (1 - conf) / 2, df) if np.isfinite(df) else stats.norm.ppf(1 - (1 - conf) / 2)
    rows = []
    et = "ratio" if log else "difference"
    for j, w in enumerate(visits):
        i = k + j
        est, se = float(beta[i]), float(np.sqrt(cov[i, i]))
        t = est / se
        pval = 2 * (stats.t.sf(abs(t), df) if np.isfinite(df) else stats.norm.sf(abs(t)))
        lo, hi = est - q * se, est + q * se
        sub = d[d["week"] == w]
        row = {"analyte": analyte, "week": w, "scale": "log" if log else "raw",
               "n_control": int((sub["arm"] == "control").sum()), "n_ucmsc": int((sub["arm"] == "ucmsc").sum()),
               "estimate": est, "se": se, "ci_low": lo, "ci_high": hi, "statistic": t, "df": df, "p": float(pval),
               "effect_type": et}
        row["effect"], row["effect_ci_low"], row["effect_ci_high"] = _back(et, est, lo, hi)
        rows.append(row)
    wk = [f"week{w:g}" for w in visits]
    return MMRMResult(
        analyte=analyte, scale="log" if log else "raw", summary=pd.DataFrame(rows),
        coef=pd.Series(beta, index=names), cov_params=pd.DataFrame(cov, index=names, columns=names),
        sigma=pd.DataFrame(S, index=wk, columns=wk), loglik=float(-0.5 * res.fun), n_patients=len(pats),
        n_obs=n_obs, excluded=excluded, converged=converged, df_method=df_method,
    )


def ancova_by_week(
    frame: pd.DataFrame,
    *,
    log_analytes: Sequence[str] = LOG_ANALYTES,
    direction: str = "ucmsc_vs_control",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """ANCOVA at each post-baseline week: value on arm and baseline value (complete cases).

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`lab_frame`.
    log_analytes : sequence of str, default LOG_ANALYTES
        Analytes analysed as log(value) on log(baseline); default
        :data:`LOG_ANALYTES`.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "ucmsc_vs_control"
        ``"ucmsc_vs_control"`` (default) or the reverse.
    conf_level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Per analyte and week: ``analyte``, ``week``, ``scale``,
        ``n_control``, ``n_ucmsc`` and the estimate columns (``estimate``,
        ``se``, ``ci_low``, ``ci_high``, ``statistic``, ``df``, ``p``,
        ``effect_type``, ``effect``, ``effect_ci_low``, ``effect_ci_high``).

    Notes
    -----
    statsmodels OLS; matches ``lm(y ~ arm + baseline)`` in R at each week.

    References
    ----------
    Vickers AJ, Altman DG (2001). Analysing controlled trials with baseline
    and follow up measurements. BMJ 323:1123-1124.
    """
    import statsmodels.api as sm

    _check_frame(frame)
    logs = _check_log(log_analytes)
    conf = _check_conf(conf_level)
    sign = _sign(direction)
    rows = []
    for a in frame["analyte"].cat.categories if hasattr(frame["analyte"], "cat") else frame["analyte"].unique():
        log = a in logs
        f = frame[frame["analyte"] == a]
        if f.empty:
            continue
        d, _ = _model_data(frame, a, log)
        for w, g in d.groupby("week"):
            trt = (g["arm"].astype(str) == "ucmsc").to_numpy(float)
            if sign < 0:
                trt = 1 - trt
            X = np.column_stack([np.ones(len(g)), trt, g["yb"].to_numpy(float)])
            fit = sm.OLS(g["y"].to_numpy(float), X).fit()
            lo, hi = fit.conf_int(alpha=1 - conf)[1]
            et = "ratio" if log else "difference"
            row = {"analyte": a, "week": w, "scale": "log" if log else "raw",
                   "n_control": int((g["arm"] == "control").sum()), "n_ucmsc": int((g["arm"] == "ucmsc").sum()),
                   "estimate": float(fit.params[1]), "se": float(fit.bse[1]), "ci_low": float(lo),
                   "ci_high": float(hi), "statistic": float(fit.tvalues[1]), "df": float(fit.df_resid),
                   "p": float(fit.pvalues[1]), "effect_type": et}
            row["effect"], row["effect_ci_low"], row["effect_ci_high"] = _back(et, row["estimate"], lo, hi)
            rows.append(row)
    return pd.DataFrame(rows)


def adjusted_effects(
    frame: pd.DataFrame,
    *,
    analytes: Sequence[str] | None = None,
    log_analytes: Sequence[str] = LOG_ANALYTES,
    direction: str = "ucmsc_vs_control",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`mmrm` for each analyte, stacked into one table.

    Parameters
    ----------
    frame : pandas.DataFrame
        Laboratory frame from :func:`lab_frame` (one row per analysed
        patient, analyte and scheduled week).
    analytes : sequence of str, optional
        Analytes to model, among ``alb``, ``pta``, ``che``, ``tbil``.
        Default ``None``: every analyte of
        :data:`~analysis.toolkit.schema.LAB_ANALYTES` present in ``frame``.
    log_analytes : sequence of str, default LOG_ANALYTES
        Analytes analysed on the log scale (log value with log baseline as
        covariate; effect: ratio of geometric means UC-MSC / control by
        default). Default ``("che", "tbil")``, the right-skewed ones.
    direction : {"ucmsc_vs_control", "control_vs_ucmsc"}, default "ucmsc_vs_control"
        Order of the arms in the effect: UC-MSC minus control (UC-MSC /
        control on the log scale) by default, or the reverse.
    conf_level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        The ``summary`` rows of each analyte's :class:`MMRMResult` (one row
        per analyte and post-baseline week: ``analyte``, ``week``, ``scale``,
        ``n_control``, ``n_ucmsc``, ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``statistic``, ``df``, ``p``, ``effect_type``,
        ``effect``, ``effect_ci_low``, ``effect_ci_high``), plus
        ``n_patients`` (patients in the model) and ``n_excluded`` (analysed
        patients not in the model).

    Notes
    -----
    Each analyte's fit matches R's ``nlme::gls(..., correlation = corSymm(...),
    weights = varIdent(...), method = "REML")`` (see :func:`mmrm`).

    References
    ----------
    Mallinckrodt CH, Lane PW, Schnell D, Peng Y, Mancuso JP (2008).
    Recommendations for the primary analysis of continuous endpoints in
    longitudinal clinical trials. Drug Inf J 42:303-319.
    """
    _check_frame(frame)
    logs = _check_log(log_analytes)
    analytes = list(analytes) if analytes is not None else [a for a in LAB_ANALYTES if (frame["analyte"] == a).any()]
    out = []
    for a in analytes:
        r = mmrm(frame, a, log=a in logs, direction=direction, conf_level=conf_level)
        s = r.summary.copy()
        s["n_patients"] = r.n_patients
        s["n_excluded"] = sum(r.excluded.values())
        out.append(s)
    return pd.concat(out, ignore_index=True)


# ----------------------------------------------------------------------------
# The paper's statements
# ----------------------------------------------------------------------------
def _consistent(estimate: float, p: float, direction: str, alpha: float) -> bool:
    if not np.isfinite(p):
        return False
    if direction == "none":
        return p >= alpha
    want = 1.0 if direction == "up" else -1.0
    return bool(np.sign(estimate) == want and p < alpha)


def evaluate_statements(
    statements: Sequence[Mapping[str, Any]],
    paired: pd.DataFrame,
    between: pd.DataFrame,
    adjusted: pd.DataFrame | None = None,
    *,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Set each of the paper's liver-function statements against the cohort's tests.

    Parameters
    ----------
    statements : sequence of mapping
        ``load_published().liver_function_statements``: mappings with ``id``,
        ``text``, ``analyte``, ``arm`` (``control``, ``ucmsc`` or ``both``),
        ``comparison`` (``vs_baseline`` or ``vs_control``), ``direction``
        (``up``, ``down`` or ``none``) and ``weeks``.
    paired : pandas.DataFrame
        :func:`change_from_baseline` output (used for ``vs_baseline``).
    between : pandas.DataFrame
        :func:`between_arm_t` output with ``direction="ucmsc_vs_control"``
        (used for ``vs_control``).
    adjusted : pandas.DataFrame, optional
        Optional :func:`adjusted_effects` output; ``vs_control`` statements
        are then also judged by the baseline-adjusted model.
    alpha : float, default 0.05
        Significance level.

    Returns
    -------
    pandas.DataFrame
        One row per statement: ``id``, ``text``, ``analyte``, ``comparison``,
        ``direction``, ``n_checks`` (arm-week combinations the statement
        covers), ``n_consistent``, ``status`` (one of
        :data:`~analysis.toolkit.agreement.STATUSES`: ``agrees`` when every
        check is consistent, ``differs`` when at least one is not,
        ``not computable`` when no check has a p value), ``detail`` (the
        finer grade: ``every check``, ``some checks``, ``no check`` or ``no
        check computable``), ``min_n`` (fewest values behind a check),
        ``p_max``, and, when ``adjusted`` is given, ``n_consistent_adjusted``,
        ``status_adjusted`` and ``detail_adjusted`` (for ``vs_control``
        statements; missing and ``not applicable`` for ``vs_baseline``).

    Notes
    -----
    The rule, which the paper does not state, is applied per week listed in
    the statement (and per arm for ``both``): a directional statement
    (``up``/``down``) holds at a week when the estimate has that sign and
    ``p < alpha``; a statement of no difference (``none``) holds when
    ``p >= alpha`` (absence of significance, not evidence of equivalence).
    """
    validate_alpha(alpha)
    if "on" in between.columns and set(between["on"]) != {"value"}:
        raise ValueError("between must be between_arm_t(..., on='value') output")
    rows = []
    for s in statements:
        missing = {"id", "analyte", "arm", "comparison", "direction", "weeks"} - set(s)
        if missing:
            raise ValueError(f"statement {s.get('id', '?')!r} lacks key(s) {', '.join(sorted(missing))}")
        weeks = [float(w) for w in s["weeks"]]
        if s["comparison"] == "vs_baseline":
            arms = list(ARMS) if s["arm"] == "both" else [s["arm"]]
            t = paired[(paired["analyte"] == s["analyte"]) & paired["arm"].astype(str).isin(arms)
                       & paired["week"].isin(weeks)]
            n_expected = len(arms) * len(weeks)
            nvals = t["n"]
        elif s["comparison"] == "vs_control":
            t = between[(between["analyte"] == s["analyte"]) & between["week"].isin(weeks)]
            n_expected = len(weeks)
            nvals = t[["n_control", "n_ucmsc"]].min(axis=1)
        else:
            raise ValueError(f"statement {s['id']!r}: comparison must be vs_baseline or vs_control")
        n_ok, status, detail = _judge(t, s["direction"], alpha, n_expected)
        row = {"id": s["id"], "text": s.get("text", ""), "analyte": s["analyte"], "comparison": s["comparison"],
               "direction": s["direction"], "n_checks": n_expected, "n_consistent": n_ok,
               "status": status, "detail": detail,
               "min_n": int(nvals.min()) if len(t) else 0, "p_max": float(t["p"].max()) if len(t) else np.nan}
        if adjusted is not None:
            if s["comparison"] == "vs_control":
                m = adjusted[(adjusted["analyte"] == s["analyte"]) & adjusted["week"].isin(weeks)]
                n_adj, status_adj, detail_adj = _judge(m, s["direction"], alpha, n_expected)
                row.update(n_consistent_adjusted=n_adj, status_adjusted=status_adj, detail_adjusted=detail_adj)
            else:
                row.update(n_consistent_adjusted=pd.NA, status_adjusted=pd.NA, detail_adjusted="not applicable")
        rows.append(row)
    out = pd.DataFrame(rows)
    if adjusted is not None:
        out["n_consistent_adjusted"] = out["n_consistent_adjusted"].astype("Int64")
    return out


def _judge(tests: pd.DataFrame, direction: str, alpha: float, n_expected: int) -> tuple[int, str, str]:
    """Consistent checks, status (:data:`STATUSES`) and finer detail of one statement."""
    n_ok = int(sum(_consistent(e, p, direction, alpha) for e, p in zip(tests["estimate"], tests["p"])))
    if not np.isfinite(tests["p"].to_numpy(float)).any():
        return n_ok, STATUSES[3], "no check computable"
    if n_ok == n_expected and len(tests) == n_expected:
        return n_ok, STATUSES[0], "every check"
    return n_ok, STATUSES[1], "some checks" if n_ok > 0 else "no check"


