"""Time-to-event core: endpoint data, Kaplan-Meier, log-rank, Cox models, follow-up,
the proportional-hazards check and restricted mean survival time.

Conventions (explicit arguments with these defaults):

- Analysis population: ``disposition == 'analyzed'`` (the paper's).
- Time from randomization in months; administrative censoring at
  ``horizon = 75`` months (the paper's horizon).
- Hazard ratios **control relative to UC-MSC** (``direction="control_vs_ucmsc"``):
  HR > 1 means the control arm has the higher hazard. Differences (RMST) follow
  the same direction: control minus UC-MSC.
- Cox models use Efron ties (our own vectorised Newton-Raphson, linear in the
  patients; matches ``coxph(..., ties = "efron")`` in R's survival package and
  lifelines' ``CoxPHFitter``). p values are given
  both from the Wald test of the Cox model (``p``) and from the log-rank test
  (``p_logrank``).
- Kaplan-Meier confidence intervals use the log(-log) transform with
  Greenwood's variance (``conf_type="log-log"``; R: ``survfit(...,
  conf.type = "log-log")``; R's own default is ``"log"``, also available).
- Landmark at L months: the early window holds events in (0, L] with everyone
  still at risk censored at L; the late window holds patients still at risk
  after L, followed from L to the horizon (time measured from randomization,
  entry at L, which gives the same Cox partial likelihood as re-zeroing at L).

Every estimator here is checked against R's survival package (3.5-3) in
``tests/test_survival.py`` on two datasets; see ``tests/reference/survival_reference.R``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .conventions import validate_alpha, validate_direction
from .schema import ARMS, Trial
from .warnings import StatisticalWarning

__all__ = [
    "ENDPOINTS",
    "REPORT_TIMES",
    "COX_FIT_OPTIONS",
    "COLUMN_LABELS",
    "HorizonError",
    "endpoint_frame",
    "window_frame",
    "add_covariates",
    "KMResult",
    "kaplan_meier",
    "LogRankResult",
    "logrank",
    "HRResult",
    "cox_hr",
    "hr_models",
    "followup",
    "ZPHResult",
    "ph_test",
    "RMSTResult",
    "rmst",
]

#: Endpoint name -> (time column, event column, label).
ENDPOINTS = {
    "os": ("os_months", "death", "Overall survival"),
    "hcc": ("hcc_months", "hcc", "HCC-free survival"),
}

#: Months at which survival is reported (issue 5; the last is the paper's horizon).
REPORT_TIMES = (12.0, 24.0, 36.0, 48.0, 60.0, 75.0)

_CONF_TYPES = ("log-log", "log", "plain")

#: Display names of derived model columns (used in model labels).
COLUMN_LABELS = {"meld_gt15": "MELD > 15", "log_tbil": "log TBIL", "log_che": "log CHE", "meld": "MELD",
                 "tbil": "TBIL", "che": "CHE"}

#: Newton-Raphson options for lifelines' Cox fitters (kept for callers that fit lifelines models;
#: the toolkit's own fits iterate to the same precision). lifelines stops when the
#: Newton decrement falls below ``precision`` (default 1e-7) *without* taking
#: the last step, which leaves coefficients off by up to ~1e-6 relative; these
#: options iterate until the log-likelihood stops changing in floating point
#: (coefficients accurate to ~1e-8), as R's ``coxph`` with a small ``eps``.
COX_FIT_OPTIONS = {"precision": 1e-22, "r_precision": 1e-18, "max_steps": 200}


class HorizonError(ValueError):
    """A window or horizon that does not make sense."""


# ----------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------
def _require(df: pd.DataFrame, cols: Iterable[str], what: str = "df") -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what} must have column(s) {', '.join(missing)}; it has {', '.join(map(str, df.columns))}")


def _check_arms(df: pd.DataFrame, what: str = "df") -> None:
    _require(df, ["arm"], what)
    bad = sorted(set(map(str, pd.unique(df["arm"]))) - set(ARMS))  # distinct values first: fast on big data
    if bad:
        raise ValueError(f"{what}['arm'] must be one of {ARMS}; found {bad}")


def _strata_key(df: pd.DataFrame, strata: Sequence[str]) -> pd.Series:
    """One label per row: the strata columns' values as text joined by ``|`` (column-wise, not row by row)."""
    s = df[list(strata)].astype(str)
    first = s[strata[0]]
    return first.str.cat([s[c] for c in strata[1:]], sep="|") if len(strata) > 1 else first


def _check_direction(direction: str) -> None:
    validate_direction(direction)


def _check_alpha(alpha: float) -> float:
    """Validate ``alpha`` (:func:`analysis.toolkit.conventions.validate_alpha`); the normal quantile of ``1 - alpha/2``."""
    return float(stats.norm.ppf(1 - validate_alpha(alpha) / 2))


def _arms_in_direction(direction: str) -> tuple[str, str]:
    """(numerator arm, reference arm) of a direction."""
    _check_direction(direction)
    return ("control", "ucmsc") if direction == "control_vs_ucmsc" else ("ucmsc", "control")


# ----------------------------------------------------------------------------
# Endpoint frames
# ----------------------------------------------------------------------------
def endpoint_frame(trial: Trial | pd.DataFrame, endpoint: str = "os", horizon: float | None = 75.0) -> pd.DataFrame:
    """Analysed patients' time, event and arm for one endpoint.

    Parameters
    ----------
    trial : Trial or pandas.DataFrame
        A :class:`~analysis.toolkit.schema.Trial` (its analysed patients are used) or a
        patients frame already restricted to the analysis set.
    endpoint : {"os", "hcc"}, default "os"
        ``"os"`` (death) or ``"hcc"`` (HCC; deaths without HCC are censored,
        as in the paper's HCC-free survival; for the competing-risk view see
        :mod:`analysis.toolkit.competing`).
    horizon : float or None, default 75.0
        Administrative censoring time in months (default 75, the paper's);
        ``None`` keeps all follow-up.

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id``, ``arm``, ``time``, ``event`` (0/1 int),
        ``control`` (1 for the control arm) plus the baseline columns.
    """
    if endpoint not in ENDPOINTS:
        raise ValueError(f"endpoint must be one of {sorted(ENDPOINTS)}, got {endpoint!r}")
    tcol, ecol, _ = ENDPOINTS[endpoint]
    p = trial.analyzed if isinstance(trial, Trial) else trial
    _require(p, [tcol, ecol], "trial patients")
    _check_arms(p, "trial patients")
    if len(p) and p[tcol].isna().all() and p[ecol].isna().all():
        raise ValueError(f"the data have no {ENDPOINTS[endpoint][2]} values ({tcol}, {ecol} empty): a "
                         "survival-only dataset with one endpoint (e.g. reconstructed from one published "
                         "figure); the analyses of this endpoint cannot run")
    df = p.copy()
    df["time"] = df[tcol].astype(float)
    df["event"] = df[ecol].astype(int)
    _administrative_censoring(df, horizon, ("event",))
    df["control"] = (df["arm"] == "control").astype(int)
    return df.reset_index(drop=True)


def _administrative_censoring(df: pd.DataFrame, horizon: float | None, event_cols: Sequence[str]) -> None:
    """Censor in place at ``horizon``: later times become ``horizon`` and their events 0."""
    if horizon is None:
        return
    if horizon <= 0:
        raise HorizonError(f"horizon must be > 0 months, got {horizon}")
    late = df["time"] > horizon
    for c in event_cols:
        df.loc[late, c] = 0
    df.loc[late, "time"] = float(horizon)


def window_frame(df: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """Restrict an endpoint frame to the window (start, end].

    Patients with ``time <= start`` are dropped (not at risk after ``start``);
    those followed beyond ``end`` are censored at ``end``. An ``entry`` column
    holds ``start`` (delayed entry). With ``start = 0`` this is plain
    censoring at ``end``.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame (:func:`endpoint_frame`) with columns ``time``,
        ``event`` and ``arm``; times in months from randomization.
    start : float
        Start of the window in months (exclusive); ``0 <= start < end``.
        Patients with ``time <= start`` are dropped.
    end : float
        End of the window in months (inclusive); may be ``numpy.inf``.
        Later times are censored at ``end`` (their ``event`` set to 0).

    Returns
    -------
    pandas.DataFrame
        A copy of the rows still at risk after ``start``, with ``time`` and
        ``event`` censored at ``end`` and a new ``entry`` column equal to
        ``start``; index reset.

    Raises
    ------
    HorizonError
        If the window does not satisfy ``0 <= start < end``.

    Notes
    -----
    R: ``subset(d, time > start)`` with ``Surv(start, pmin(time, end),
    event & time <= end)``.
    """
    if not (0 <= start < end):
        raise HorizonError(f"window must satisfy 0 <= start < end, got ({start}, {end}]")
    _require(df, ["time", "event", "arm"])
    w = df[df["time"] > start].copy()
    beyond = w["time"] > end
    w.loc[beyond, "event"] = 0
    w.loc[beyond, "time"] = float(end)
    w["entry"] = float(start)
    return w.reset_index(drop=True)


def add_covariates(
    df: pd.DataFrame,
    *,
    log: Sequence[str] = ("tbil", "che"),
    meld_cut: float | None = 15.0,
) -> pd.DataFrame:
    """Add the derived adjustment columns used by :func:`hr_models`.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame (or patients frame).
    log : sequence of str, default ("tbil", "che")
        Columns to log-transform (new columns ``log_<name>``). TBIL and CHE are
        right-skewed (Table 1 SDs near or above the means), so they enter Cox
        models on the log scale; columns absent from ``df`` are skipped.
    meld_cut : float or None, default 15.0
        Adds ``meld_gt15`` = 1 if ``meld > meld_cut`` (the paper's MELD
        stratum, ``> 15`` vs ``<= 15``) when a ``meld`` column exists.

    Returns
    -------
    pandas.DataFrame
        A copy with the new columns.
    """
    out = df.copy()
    for c in log:
        if c not in out.columns:
            continue
        x = out[c].astype(float)
        if (x <= 0).any():
            raise ValueError(f"column {c!r} must be > 0 to be log-transformed; found {int((x <= 0).sum())} value(s) <= 0")
        out[f"log_{c}"] = np.log(x)
    if meld_cut is not None and "meld" in out.columns:
        out["meld_gt15"] = (out["meld"].astype(float) > meld_cut).astype(float)
        out.loc[out["meld"].isna(), "meld_gt15"] = np.nan
    return out


# ----------------------------------------------------------------------------
# Kaplan-Meier
# ----------------------------------------------------------------------------
def _count_at_risk(u: np.ndarray, time: np.ndarray, entry: np.ndarray | None = None) -> np.ndarray:
    """Rows at risk at each of the times ``u``: ``#(entry < u <= time)`` (integers), by sorting.

    ``entry < u <= time`` holds when ``time >= u`` unless also ``min(entry, time) >= u``, so the
    count is ``#(time >= u) - #(min(entry, time) >= u)``: two binary searches per time, exact.
    """
    at = len(time) - np.searchsorted(np.sort(time), u, side="left")
    if entry is None:
        return at
    low = np.sort(np.minimum(entry, time))
    return at - (len(time) - np.searchsorted(low, u, side="left"))


def _km_arrays(time: np.ndarray, event: np.ndarray, entry: np.ndarray | None = None) -> pd.DataFrame:
    """Kaplan-Meier table at every distinct event or censoring time."""
    time = np.asarray(time, float)
    event = np.asarray(event, int)
    entry = np.zeros_like(time) if entry is None else np.asarray(entry, float)
    # counts per distinct time by one sort (no per-time scan of the data: 200,000 patients in
    # well under a second); exactly the same integers as counting row by row
    t, inv = np.unique(time, return_inverse=True)
    n_event = np.bincount(inv, weights=event, minlength=len(t)).astype(float)
    n_censor = np.bincount(inv, weights=1 - event, minlength=len(t)).astype(float)
    n_risk = _count_at_risk(t, time, entry).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(n_risk > 0, 1 - n_event / n_risk, 1.0)
        surv = np.cumprod(q)
        h = np.where(n_risk > n_event, n_event / (n_risk * (n_risk - n_event)), 0.0)
    # Greenwood: var(log S) = sum d / (n (n - d)); R's survfit std.err (log scale)
    std_err = np.sqrt(np.cumsum(h))
    std_err[surv == 0] = np.nan
    return pd.DataFrame(
        {"time": t, "n_risk": n_risk, "n_event": n_event, "n_censor": n_censor, "surv": surv, "std_err": std_err}
    )


def _confint(surv: np.ndarray, se: np.ndarray, z: float, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of a survival curve (R's ``survfit_confint`` with ``logse = TRUE``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            lo = np.maximum(surv - z * se * surv, 0)
            hi = np.minimum(surv + z * se * surv, 1)
        elif conf_type == "log":
            x = np.where(surv == 0, np.nan, surv)
            lo = np.exp(np.log(x) - z * se)
            hi = np.minimum(np.exp(np.log(x) + z * se), 1)
        else:  # log-log
            x = np.where((surv == 0) | (surv == 1), np.nan, surv)
            s2 = z * se / np.log(x)
            lo = np.exp(-np.exp(np.log(-np.log(x)) - s2))
            hi = np.exp(-np.exp(np.log(-np.log(x)) + s2))
    return lo, hi


def _r_median(y: np.ndarray, x: np.ndarray) -> float:
    """First time the curve ``y`` drops below 0.5, R's rule (``survival:::survmean``).

    If the curve sits exactly at 0.5 over an interval, the midpoint of that
    interval is returned; ``nan`` if the curve never reaches 0.5.
    """
    tol = np.sqrt(np.finfo(float).eps)
    keep = ~np.isnan(y) & (y < 0.5 + tol)
    if not keep.any():
        return float("nan")
    xk, yk = x[keep], y[keep]
    if abs(yk[0] - 0.5) < tol and (yk < yk[0]).any():
        return float((xk[0] + xk[np.argmax(yk < yk[0])]) / 2)
    return float(xk[0])


@dataclass(frozen=True)
class KMResult:
    """Kaplan-Meier estimates per arm.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per arm and distinct time: ``arm``, ``time`` (months),
        ``n_risk``, ``n_event``, ``n_censor``, ``surv``, ``std_err`` (of log
        S, Greenwood), ``ci_low``, ``ci_high``.
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        The transform of the pointwise intervals.
    alpha : float, default 0.05
        1 - confidence level.
    entry : float, default 0.0
        Common delayed-entry time in months (0 unless the frame is a late
        window).

    See Also
    --------
    kaplan_meier : the function that computes it.

    Notes
    -----
    R: ``survival::survfit(Surv(time, event) ~ arm, conf.type = conf_type)``.
    """

    table: pd.DataFrame
    conf_type: str = "log-log"
    alpha: float = 0.05
    entry: float = 0.0

    @property
    def arms(self) -> tuple[str, ...]:
        return tuple(a for a in ARMS if a in set(self.table["arm"]))

    @property
    def summary(self) -> pd.DataFrame:
        """n, events and median survival (with CI) per arm."""
        return self.median()

    def _arm(self, arm: str) -> pd.DataFrame:
        return self.table[self.table["arm"] == arm]

    def at(self, times: Sequence[float] = REPORT_TIMES) -> pd.DataFrame:
        """Survival with CI at given months, per arm.

        Returns
        -------
        pandas.DataFrame
            ``arm``, ``time``, ``n_risk`` (at risk at that time), ``surv``,
            ``ci_low``, ``ci_high``, ``std_err`` (standard error of S(t), as
            R's summary prints it). Matches ``summary(survfit(...), times =
            times)``; times beyond the last follow-up give ``nan``.
        """
        rows = []
        for arm in self.arms:
            t = self._arm(arm)
            tt = t["time"].to_numpy()
            for u in times:
                if u > tt.max() or u < self.entry:
                    rows.append({"arm": arm, "time": float(u), "n_risk": np.nan, "surv": np.nan,
                                 "ci_low": np.nan, "ci_high": np.nan, "std_err": np.nan})
                    continue
                i = np.searchsorted(tt, u, side="right") - 1
                j = np.searchsorted(tt, u, side="left")  # first time >= u: its risk set
                r = t.iloc[i] if i >= 0 else None
                rows.append({
                    "arm": arm, "time": float(u),
                    "n_risk": float(t["n_risk"].iloc[j]),
                    "surv": 1.0 if r is None else float(r["surv"]),
                    "ci_low": 1.0 if r is None else float(r["ci_low"]),
                    "ci_high": 1.0 if r is None else float(r["ci_high"]),
                    "std_err": 0.0 if r is None else float(r["std_err"] * r["surv"]),
                })
        return pd.DataFrame(rows)

    def at_risk(self, times: Sequence[float]) -> pd.DataFrame:
        """Numbers at risk (followed and event-free just before each time), arms as rows.

        Same convention as R's ``summary(survfit(...), times = times)$n.risk``:
        patients with time >= t (and entered before t).
        """
        out = {}
        for arm in self.arms:
            t = self._arm(arm)
            tt = t["time"].to_numpy()
            vals = []
            for u in times:
                j = np.searchsorted(tt, u, side="left")
                vals.append(int(t["n_risk"].iloc[j]) if j < len(tt) else 0)
            out[arm] = vals
        return pd.DataFrame(out, index=pd.Index([float(u) for u in times], name="time")).T.rename_axis("arm")

    def median(self) -> pd.DataFrame:
        """Median survival per arm with CI (``nan`` where not reached).

        Matches ``summary(survfit(...))$table[, c("median", "0.95LCL",
        "0.95UCL")]`` (R's rule: where the curve equals 0.5 over an interval,
        the midpoint).
        """
        rows = []
        for arm in self.arms:
            t = self._arm(arm)
            x = t["time"].to_numpy()
            rows.append({
                "arm": arm,
                "n": int(t["n_risk"].iloc[0]) if self.entry == 0 else int(t["n_risk"].max()),
                "events": int(t["n_event"].sum()),
                "median": _r_median(t["surv"].to_numpy(), x),
                "ci_low": _r_median(t["ci_low"].to_numpy(), x),
                "ci_high": _r_median(t["ci_high"].to_numpy(), x),
            })
        return pd.DataFrame(rows)

    def curve(self, arm: str) -> pd.DataFrame:
        """Step-function coordinates of one arm, starting at (entry, 1)."""
        t = self._arm(arm)
        start = pd.DataFrame({"time": [self.entry], "surv": [1.0], "ci_low": [1.0], "ci_high": [1.0]})
        return pd.concat([start, t[["time", "surv", "ci_low", "ci_high"]]], ignore_index=True)


def kaplan_meier(df: pd.DataFrame, *, conf_type: str = "log-log", alpha: float = 0.05) -> KMResult:
    """Kaplan-Meier estimate per arm with pointwise confidence intervals.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame (:func:`endpoint_frame`) or window frame (with an
        ``entry`` column for delayed entry).
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        ``"log-log"`` (default; lifelines' transform), ``"log"`` (R's default)
        or ``"plain"``. Variance by Greenwood's formula.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    KMResult

    Notes
    -----
    Our own short implementation (the product-limit estimate is a few lines)
    so that the event table, R's median rule and the Greenwood terms used by
    :func:`rmst` come from one place. Matches ``survfit(Surv(time, event) ~
    arm, conf.type = conf_type)`` (with delayed entry ``Surv(entry, time,
    event)``) in R's survival package; lifelines' ``KaplanMeierFitter`` gives
    the same estimate and log(-log) interval.

    References
    ----------
    Kaplan EL, Meier P. Nonparametric estimation from incomplete observations.
    JASA 1958;53:457-81. Kalbfleisch JD, Prentice RL. The Statistical Analysis
    of Failure Time Data, 2nd ed., Wiley 2002, section 1.4 (log-log interval).
    """
    if conf_type not in _CONF_TYPES:
        raise ValueError(f"conf_type must be one of {_CONF_TYPES}, got {conf_type!r}")
    z = _check_alpha(alpha)
    _require(df, ["time", "event", "arm"])
    _check_arms(df)
    if len(df) == 0:
        raise ValueError("df has no rows")
    entry = df["entry"].to_numpy(float) if "entry" in df.columns else None
    parts = []
    for arm in ARMS:
        m = (df["arm"] == arm).to_numpy()
        if not m.any():
            continue
        t = _km_arrays(df["time"].to_numpy()[m], df["event"].to_numpy()[m], None if entry is None else entry[m])
        t["ci_low"], t["ci_high"] = _confint(t["surv"].to_numpy(), t["std_err"].to_numpy(), z, conf_type)
        t.insert(0, "arm", arm)
        parts.append(t)
    e0 = float(np.min(entry)) if entry is not None else 0.0
    return KMResult(pd.concat(parts, ignore_index=True), conf_type=conf_type, alpha=alpha, entry=e0)


# ----------------------------------------------------------------------------
# Log-rank
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LogRankResult:
    """Two-sample (optionally stratified) log-rank test.

    Returned by :func:`logrank`. Indexing (``res["p"]``) is supported for
    backward compatibility.

    Attributes
    ----------
    chisq : float
        Log-rank chi-square statistic (1 degree of freedom): squared observed
        minus expected events of the control arm over its variance; ``nan``
        when the variance is 0 (no event).
    p : float
        Two-sided p value, ``P(chi2_1 > chisq)``; ``nan`` when ``chisq`` is.
    observed : Mapping[str, float]
        Arm (``"control"``, ``"ucmsc"``) -> observed events, summed over strata.
    expected : Mapping[str, float]
        Arm -> expected events under the null of equal hazards, summed over strata.
    variance : float
        Hypergeometric variance of observed minus expected events of the
        control arm, summed over strata.
    strata : tuple of str
        The stratification columns (empty when unstratified).

    See Also
    --------
    logrank : the function that computes it.

    Notes
    -----
    R: ``survival::survdiff(Surv(time, event) ~ arm + strata(s))`` (``chisq``,
    ``obs``, ``exp``, ``var``).
    """

    chisq: float
    p: float
    observed: Mapping[str, float]
    expected: Mapping[str, float]
    variance: float
    strata: tuple[str, ...] = ()

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"arm": list(self.observed), "observed": list(self.observed.values()),
             "expected": [self.expected[a] for a in self.observed]}
        ).assign(chisq=self.chisq, p=self.p)

    def __getitem__(self, key: str):
        return getattr(self, key)


def logrank(df: pd.DataFrame, direction: str = "control_vs_ucmsc", strata: Sequence[str] | str | None = None) -> LogRankResult:
    """Two-sample log-rank test between the arms, optionally stratified.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame or window frame (an ``entry`` column is honoured:
        risk sets are ``entry < t <= time``).
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        Accepted for symmetry with :func:`cox_hr`; the chi-square does not
        depend on it.
    strata : str or sequence of str, optional
        Column(s) defining strata: observed minus expected and its variance
        are summed over strata (``survdiff(... + strata(s))``).

    Returns
    -------
    LogRankResult
        Matches ``survdiff(Surv(time, event) ~ arm + strata(s))`` in R
        (hypergeometric variance, rho = 0).

    References
    ----------
    Mantel N. Evaluation of survival data and two new rank order statistics
    arising in its consideration. Cancer Chemother Rep 1966;50:163-70.
    """
    _check_direction(direction)
    strata = [strata] if isinstance(strata, str) else list(strata or [])
    _require(df, ["time", "event", "arm", *strata])
    _check_arms(df)
    d = df.dropna(subset=strata) if strata else df
    key = _strata_key(d, strata) if strata else pd.Series("all", index=d.index)
    # Per stratum, the counts at every event time come from sorted arrays (binary searches), not
    # from a scan of the data per event time; the terms are then added up in the same order as a
    # loop over strata and event times would (a cumulative sum), so the result is the same to the bit.
    terms = []
    for _, g in d.groupby(key):
        time = g["time"].to_numpy(float)
        ev = g["event"].to_numpy(int)
        entry = g["entry"].to_numpy(float) if "entry" in g.columns else None
        ctrl = (g["arm"] == "control").to_numpy()
        u = np.unique(time[ev == 1])
        n = _count_at_risk(u, time, entry)
        n1 = _count_at_risk(u, time[ctrl], None if entry is None else entry[ctrl])
        dead = np.sort(time[ev == 1])
        dead1 = np.sort(time[(ev == 1) & ctrl])
        dd = np.searchsorted(dead, u, side="right") - np.searchsorted(dead, u, side="left")
        d1 = np.searchsorted(dead1, u, side="right") - np.searchsorted(dead1, u, side="left")
        e1 = dd * n1 / n
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(n > 1, dd * (n1 / n) * (1 - n1 / n) * (n - dd) / (n - 1), 0.0)
        terms.append((d1, e1, dd - d1, dd - e1, v))

    def total(k: int) -> float:
        return float(np.cumsum(np.concatenate([np.zeros(1)] + [t[k] for t in terms]))[-1])

    obs = {"control": total(0), "ucmsc": total(2)}
    exp_ = {"control": total(1), "ucmsc": total(3)}
    var = total(4)
    chisq = (obs["control"] - exp_["control"]) ** 2 / var if var > 0 else float("nan")
    p = float(stats.chi2.sf(chisq, 1)) if var > 0 else float("nan")
    return LogRankResult(float(chisq), p, obs, exp_, float(var), tuple(strata))


# ----------------------------------------------------------------------------
# Cox
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class HRResult:
    """A hazard ratio with Wald CI and p value, plus the log-rank p.

    Returned by :func:`cox_hr`.

    Attributes
    ----------
    hr : float
        Hazard ratio of the treatment term, in ``direction`` (by default
        control relative to UC-MSC: HR > 1 means the control arm has the
        higher hazard); ``nan`` when not estimable (an arm without events).
    ci_low, ci_high : float
        Wald confidence limits of the hazard ratio, ``exp(beta -/+ z * se)``
        at the level ``1 - alpha`` of the call.
    p : float
        Two-sided Wald p value of the treatment coefficient.
    se_log_hr : float
        Standard error of the log hazard ratio (model-based, inverse information).
    p_logrank : float
        Log-rank p value in the same window (stratified when ``strata`` are
        given); ``nan`` for covariate-adjusted models or a window without events.
    events_control, events_ucmsc : int
        Events per arm in the window among the complete cases used by the model.
    n_control, n_ucmsc : int
        Patients per arm at risk in the window (before dropping incomplete cases).
    direction : str
        ``"control_vs_ucmsc"`` (default) or ``"ucmsc_vs_control"``.
    ties : str
        Ties method, always ``"efron"``.
    model : str
        Free label given by the caller (e.g. ``"unadjusted"``).
    covariates : tuple of str
        Adjustment columns of the model.
    strata : tuple of str
        Stratification columns of the model.
    n_used : int
        Rows (complete cases) the model was fitted on.

    See Also
    --------
    cox_hr : the function that computes it.

    Notes
    -----
    R: ``survival::coxph(Surv(entry, time, event) ~ control + ..., ties = "efron")``.
    """

    hr: float
    ci_low: float
    ci_high: float
    p: float
    se_log_hr: float
    p_logrank: float
    events_control: int
    events_ucmsc: int
    n_control: int
    n_ucmsc: int
    direction: str = "control_vs_ucmsc"
    ties: str = "efron"
    model: str = ""
    covariates: tuple[str, ...] = ()
    strata: tuple[str, ...] = ()
    n_used: int = 0

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([self.as_dict()])

    def as_dict(self) -> dict:
        return {
            "hr": self.hr,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p": self.p,
            "se_log_hr": self.se_log_hr,
            "p_logrank": self.p_logrank,
            "events_control": self.events_control,
            "events_ucmsc": self.events_ucmsc,
            "n_control": self.n_control,
            "n_ucmsc": self.n_ucmsc,
        }


def _cox_1d(time: np.ndarray, event: np.ndarray, x: np.ndarray, tol: float = 1e-12, max_iter: int = 60):
    """Cox fit with one covariate (Efron ties) by Newton-Raphson; returns (beta, se).

    The engine of :func:`cox_hr` for the unadjusted, unstratified model and of the landmark
    grid, which refit many such models: vectorised over event times (one sort, cumulative sums),
    where lifelines' ``CoxPHFitter`` loops over tied sets (quadratic in their size) and spends
    ~0.2 s per fit on summaries not needed here. Written here for that speed; :func:`_cox_efron`
    fits the models with covariates or strata. Risk sets are ``time >= t`` among the rows given (a
    window's rows all enter at its start). Matches R's ``coxph(..., ties = "efron")``
    (``tests/test_survival.py``).
    """
    order = np.argsort(time, kind="mergesort")
    t, e, x = time[order], event[order], x[order]
    td = t[e == 1]  # already sorted: distinct values and their index without sorting again
    new_time = np.r_[True, td[1:] != td[:-1]] if len(td) else np.zeros(0, bool)
    ut, inv = td[new_time], np.cumsum(new_time) - 1
    start = np.searchsorted(t, ut, side="left")  # risk set of ut[k]: indices >= start[k]
    d = np.bincount(inv, minlength=len(ut)).astype(float)
    xd = np.bincount(inv, weights=x[e == 1], minlength=len(ut))
    # Efron: the k-th tied death set is expanded into d_k terms with weights l / d_k
    rep = np.repeat(np.arange(len(ut)), d.astype(int))
    frac = (np.arange(len(rep)) - (np.cumsum(d) - d)[rep]) / d[rep]  # l / d_k, l = 0 .. d_k - 1

    def parts(beta):
        r = np.exp(beta * x)
        c0 = np.cumsum((r)[::-1])[::-1]
        c1 = np.cumsum((r * x)[::-1])[::-1]
        c2 = np.cumsum((r * x * x)[::-1])[::-1]
        rd = r[e == 1]
        d0 = np.bincount(inv, weights=rd, minlength=len(ut))
        d1 = np.bincount(inv, weights=rd * x[e == 1], minlength=len(ut))
        d2 = np.bincount(inv, weights=rd * x[e == 1] ** 2, minlength=len(ut))
        s0 = c0[start][rep] - frac * d0[rep]
        s1 = c1[start][rep] - frac * d1[rep]
        s2 = c2[start][rep] - frac * d2[rep]
        m = s1 / s0
        ll = beta * xd.sum() - np.log(s0).sum()
        return ll, xd.sum() - m.sum(), np.sum(s2 / s0 - m * m)

    beta = 0.0
    ll, u, info = parts(beta)
    last = np.inf
    for _ in range(max_iter):
        step = u / info
        new = beta + step
        ll_new, u_new, info_new = parts(new)
        # step halving (concave, so rarely needed); the slack is relative: on 200,000 patients the
        # rounding of the log-likelihood near the maximum exceeds any absolute 1e-12 and would halve
        # the last steps to nothing (a dozen wasted evaluations per fit)
        while not np.isfinite(ll_new) or ll_new < ll - 1e-12 * max(1.0, abs(ll)):
            step /= 2
            new = beta + step
            ll_new, u_new, info_new = parts(new)
        beta, ll, u, info = new, ll_new, u_new, info_new
        # converged: a step below tol; or, at the rounding floor, a step below 1e-8 standard errors that
        # is no longer shrinking (on 200,000 patients rounding in the risk-set sums keeps the steps
        # near 1e-11, never below tol)
        if abs(step) < tol or (abs(step) < 1e-8 / np.sqrt(info) and abs(step) > abs(last) / 10):
            break
        last = step
    return float(beta), float(1 / np.sqrt(info))


@dataclass(frozen=True)
class _EfronSets:
    """Risk sets and tied deaths of one stratum, by one sort (:func:`_efron_sets`)."""

    order: np.ndarray  # rows sorted by time
    dead: np.ndarray  # positions (in the sorted rows) of the deaths, by time
    first: np.ndarray  # first death of each distinct death time, in ``dead``
    start: np.ndarray  # first sorted row with time >= each distinct death time
    rep: np.ndarray  # distinct death time of each death
    frac: np.ndarray  # Efron weight l / d of each death (l = 0 .. d - 1 within a tied set)
    low_order: np.ndarray | None  # rows sorted by min(entry, time), when entry matters
    low_start: np.ndarray | None


def _efron_sets(time: np.ndarray, event: np.ndarray, entry: np.ndarray | None = None) -> _EfronSets:
    """Sort one stratum once for the Efron risk-set sums of :func:`_efron_sums`."""
    order = np.argsort(time, kind="mergesort")
    t = time[order]
    dead = np.flatnonzero(event[order] == 1)
    ut, d = np.unique(t[dead], return_counts=True)
    first = np.cumsum(d) - d
    rep = np.repeat(np.arange(len(ut)), d)
    frac = (np.arange(len(dead)) - first[rep]) / d[rep]
    low_order = low_start = None
    if entry is not None and len(ut):
        low = np.minimum(entry[order], t)
        if (low >= ut[0]).any():  # someone enters after the first death: risk sets lose the late entries
            low_order = np.argsort(low, kind="mergesort")
            low_start = np.searchsorted(low[low_order], ut, side="left")
    return _EfronSets(order, dead, first, np.searchsorted(t, ut, side="left"), rep, frac, low_order, low_start)


def _efron_sums(s: _EfronSets, w: np.ndarray) -> np.ndarray:
    """Efron's risk-set sums of the weight columns ``w`` (rows of the stratum), one row per death.

    Row ``k`` (the ``l``-th of ``d`` deaths tied at time ``t``) is the sum of ``w`` over the rows
    at risk at ``t`` (``entry < t <= time``) minus ``l / d`` times its sum over the deaths at ``t``.
    Computed by reverse cumulative sums over the sorted rows (linear in the rows).
    """
    ws = w[s.order]
    c = np.cumsum(ws[::-1], axis=0)[::-1]
    at = c[s.start]
    if s.low_order is not None:
        cl = np.cumsum(w[s.order][s.low_order][::-1], axis=0)[::-1]
        cl = np.vstack([cl, np.zeros((1, w.shape[1]))])
        at = at - cl[s.low_start]
    tied = np.add.reduceat(ws[s.dead], s.first, axis=0)
    return at[s.rep] - s.frac[:, None] * tied[s.rep]


def _cox_efron(time: np.ndarray, event: np.ndarray, X: np.ndarray, strata: np.ndarray | None = None,
               entry: np.ndarray | None = None, tol: float = 1e-12, max_iter: int = 100):
    """Cox fit with covariates, strata and delayed entry (Efron ties) by Newton-Raphson.

    Returns ``(beta, covariance, log partial likelihood)``. The engine of :func:`cox_hr` for
    models with covariates or strata and of :func:`ph_test`: risk-set sums by reverse cumulative
    sums over each stratum's sorted rows (linear in the rows; lifelines' ``CoxPHFitter`` loops
    over distinct times in Python, minutes at 200,000 patients). Covariates are centred (the
    coefficients do not change) for precise variances. Iterates until the Newton step is below
    ``tol`` (as lifelines with :data:`COX_FIT_OPTIONS`), halving steps that lower the likelihood.
    Matches R's ``coxph(Surv(entry, time, event) ~ X + strata(s), ties = "efron")``
    (``tests/test_survival.py``, ``tests/test_landmark.py``).

    Raises
    ------
    numpy.linalg.LinAlgError
        If the information matrix is singular (collinear covariates).
    """
    X = np.asarray(X, float).reshape(len(time), -1)
    p = X.shape[1]
    Xc = X - X.mean(axis=0)
    keys = np.zeros(len(time), dtype=int) if strata is None else np.asarray(strata)
    sets = []
    xd = np.zeros(p)
    for k in np.unique(keys):
        idx = np.flatnonzero(keys == k)
        s = _efron_sets(time[idx], event[idx], None if entry is None else entry[idx])
        if len(s.dead):
            sets.append((idx, s))
            xd += Xc[idx][s.order][s.dead].sum(axis=0)

    def evaluate(beta):
        ll, u, info = 0.0, xd.copy(), np.zeros((p, p))
        for idx, s in sets:
            x = Xc[idx]
            eta = x @ beta
            r = np.exp(eta)
            w = np.column_stack([r, r[:, None] * x, (r[:, None, None] * x[:, :, None] * x[:, None, :]).reshape(len(x), -1)])
            a = _efron_sums(s, w)
            a0, a1, a2 = a[:, 0], a[:, 1:1 + p], a[:, 1 + p:].reshape(-1, p, p)
            m = a1 / a0[:, None]
            ll += eta[s.order][s.dead].sum() - np.log(a0).sum()
            u -= m.sum(axis=0)
            info += (a2 / a0[:, None, None]).sum(axis=0) - m.T @ m
        return ll, u, info

    beta, ll, info, _ = _newton_raphson(evaluate, p, tol=tol, max_iter=max_iter)
    return beta, np.linalg.inv(info), float(ll)


def _newton_raphson(evaluate, p: int, *, tol: float, max_iter: int):
    """Maximise a concave log partial likelihood by Newton-Raphson with step halving.

    ``evaluate(beta) -> (loglik, score, information)``. Starts at zero; a step that lowers the
    likelihood (or leaves it undefined) is halved, up to 60 times. Converged when every step is below
    ``tol`` or below 1e-8 of its standard error (the rounding floor on big data, as in
    :func:`_cox_1d`). Shared by :func:`_cox_efron` and the time-varying fits of
    :mod:`analysis.toolkit.landmark`. Returns ``(beta, loglik, information, converged)``.
    """
    beta = np.zeros(p)
    ll, u, info = evaluate(beta)
    for _ in range(max_iter):
        step = np.linalg.solve(info, u)
        new = beta + step
        ll_new, u_new, info_new = evaluate(new)
        halvings = 0
        while (not np.isfinite(ll_new) or ll_new < ll - 1e-12 * max(1.0, abs(ll))) and halvings < 60:
            step = step / 2  # concave, so rarely needed
            new = beta + step
            ll_new, u_new, info_new = evaluate(new)
            halvings += 1
        beta, ll, u, info = new, ll_new, u_new, info_new
        if np.all(np.abs(step) < np.maximum(tol, 1e-8 * np.sqrt(np.abs(np.diag(np.linalg.inv(info)))))):
            return beta, ll, info, True
    return beta, ll, info, False



def _treatment_column(df: pd.DataFrame, direction: str) -> pd.Series:
    _check_direction(direction)
    x = (df["arm"] == "control").astype(float)
    return x if direction == "control_vs_ucmsc" else 1.0 - x


def cox_hr(
    df: pd.DataFrame,
    *,
    start: float = 0.0,
    end: float | None = None,
    covariates: Sequence[str] = (),
    strata: Sequence[str] = (),
    direction: str = "control_vs_ucmsc",
    alpha: float = 0.05,
    model: str = "",
) -> HRResult:
    """Cox hazard ratio of the arms in a time window.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame from :func:`endpoint_frame`.
    start : float, default 0.0
        Start of the window (start, end] in months; patients with
        ``time <= start`` are left out and the rest enter at ``start``.
    end : float, optional
        End of the window in months (later times censored there); ``None``
        (default) uses all of ``df``.
    covariates : sequence of str, default ()
        Baseline columns to adjust for (complete cases are used).
    strata : sequence of str, default ()
        Columns to stratify the baseline hazard on.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        ``"control_vs_ucmsc"`` (default, the paper's) or the reverse.
    alpha : float, default 0.05
        1 - confidence level of the Wald interval.
    model : str, default ""
        A label carried into the result (e.g. ``"unadjusted"``).

    Returns
    -------
    HRResult
        Wald CI and p from the Cox model (Efron ties); ``p_logrank`` from the
        log-rank test in the same window, stratified when ``strata`` are given
        and ``nan`` for covariate-adjusted models (the log-rank test has no
        covariate-adjusted form).

    Warns
    -----
    StatisticalWarning
        When an arm has no events in the window: the estimate is infinite, so
        all numbers are ``nan`` (R's ``coxph`` warns and returns a huge
        coefficient instead).

    Notes
    -----
    The unadjusted, unstratified model is fitted by :func:`_cox_1d` (vectorised Efron Newton-Raphson);
    models with covariates or strata by :func:`_cox_efron` (the same, with several covariates,
    strata and delayed entry; linear in the patients, where lifelines' ``CoxPHFitter`` took minutes
    at 200,000 patients). Both match ``coxph(Surv(entry, time,
    event) ~ control + covariates + strata(s), ties = "efron")`` in R's
    survival package.

    References
    ----------
    Cox DR. Regression models and life-tables. JRSS B 1972;34:187-220.
    Efron B. The efficiency of Cox's likelihood function for censored data.
    JASA 1977;72:557-65.
    """
    z = _check_alpha(alpha)
    _check_direction(direction)
    covariates, strata = list(covariates), list(strata)
    _require(df, ["time", "event", "arm", *covariates, *strata])
    _check_arms(df)
    w = window_frame(df, start, np.inf if end is None else end)
    w["trt"] = _treatment_column(w, direction)
    cols = ["time", "event", "trt", *covariates, *strata]
    d = w[cols + (["entry"] if start > 0 else [])].dropna()
    ctrl_code = 1.0 if direction == "control_vs_ucmsc" else 0.0
    ev_c = int(d.loc[d["trt"] == ctrl_code, "event"].sum())
    ev_u = int(d["event"].sum()) - ev_c
    n_c = int((w["arm"] == "control").sum())
    n_u = int((w["arm"] == "ucmsc").sum())
    meta = dict(direction=direction, model=model, covariates=tuple(covariates), strata=tuple(strata), n_used=len(d))

    def p_logrank() -> float:
        # Defined whenever the window has an event, even when the Cox estimate is infinite.
        if covariates or (ev_c + ev_u) == 0:
            return float("nan")
        return logrank(w.loc[d.index] if strata else w, direction=direction, strata=strata or None).p

    def no_estimate() -> HRResult:
        nan = float("nan")
        return HRResult(nan, nan, nan, nan, nan, p_logrank(), ev_c, ev_u, n_c, n_u, **meta)

    if strata and ev_c and ev_u:
        # Only strata holding both arms inform the treatment coefficient of a stratified model.
        both = d.groupby(strata, observed=True)["trt"].transform("nunique") == 2
        if not both.any():
            warnings.warn(f"no hazard ratio in window ({start:g}, {end if end is not None else np.inf:g}]: "
                          f"the strata {strata} separate the arms (no stratum holds both), so the "
                          "treatment effect is not estimable (R: coefficient NA)", StatisticalWarning, stacklevel=2)
            return no_estimate()
        inf_c = int(d.loc[both & (d["trt"] == ctrl_code), "event"].sum())
        inf_u = int(d.loc[both, "event"].sum()) - inf_c
        if inf_c == 0 or inf_u == 0:
            warnings.warn(f"no hazard ratio in window ({start:g}, {end if end is not None else np.inf:g}]: within "
                          f"the strata holding both arms, events control = {inf_c}, UC-MSC = {inf_u}; an arm "
                          "without events there makes the stratified Cox estimate infinite (R: 'coefficient may "
                          "be infinite')", StatisticalWarning, stacklevel=2)
            return no_estimate()
    if ev_c == 0 or ev_u == 0 or d["trt"].nunique() < 2:
        warnings.warn(
            f"no hazard ratio in window ({start:g}, {end if end is not None else np.inf:g}]: "
            f"events control = {ev_c}, UC-MSC = {ev_u}; an arm without events makes the Cox estimate infinite",
            StatisticalWarning,
            stacklevel=2,
        )
        return no_estimate()
    if not covariates and not strata:
        beta, se = _cox_1d(d["time"].to_numpy(float), d["event"].to_numpy(int), d["trt"].to_numpy(float))
    else:
        key = d.groupby(strata, observed=True, sort=True).ngroup().to_numpy() if strata else None
        b, cov, _ = _cox_efron(d["time"].to_numpy(float), d["event"].to_numpy(int),
                               d[["trt", *covariates]].to_numpy(float), key,
                               d["entry"].to_numpy(float) if start > 0 else None)
        beta = float(b[0])
        se = float(np.sqrt(cov[0, 0]))
    p = float(2 * stats.norm.sf(abs(beta / se)))
    p_lr = p_logrank()
    return HRResult(
        hr=float(np.exp(beta)),
        ci_low=float(np.exp(beta - z * se)),
        ci_high=float(np.exp(beta + z * se)),
        p=p,
        se_log_hr=se,
        p_logrank=p_lr,
        events_control=ev_c,
        events_ucmsc=ev_u,
        n_control=n_c,
        n_ucmsc=n_u,
        **meta,
    )


def hr_models(
    df: pd.DataFrame,
    *,
    strata: Sequence[str] = ("meld_gt15",),
    covariates: Sequence[str] = ("log_tbil", "log_che", "meld"),
    start: float = 0.0,
    end: float | None = None,
    direction: str = "control_vs_ucmsc",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The three Cox models of the survival chapter as one tidy table.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame, usually passed through :func:`add_covariates` first.
    strata : sequence of str, default ("meld_gt15",)
        Stratification columns of the stratified model (default: baseline
        MELD > 15 vs <= 15, the paper's).
    covariates : sequence of str, default ("log_tbil", "log_che", "meld")
        Adjustment columns of the adjusted model (default: the baseline
        imbalances the paper reports, TBIL and CHE on the log scale, and MELD).
    start : float, default 0.0
        Start of the window in months (as in :func:`cox_hr`).
    end : float, optional
        End of the window in months; ``None`` (default) uses all of ``df``.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        Hazard ratios control relative to UC-MSC (default) or the reverse.
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals.

    Returns
    -------
    pandas.DataFrame
        One row per model (``unadjusted``, ``stratified``, ``adjusted``) with
        ``model``, ``label``, ``hr``, ``ci_low``, ``ci_high``, ``p``,
        ``p_logrank``, ``n_used``, ``events``, ``note``. A model whose columns
        are absent from ``df`` is kept as a row of ``nan`` with the reason in
        ``note`` (real datasets may lack baseline columns).

    Notes
    -----
    Each row is :func:`cox_hr`; R: ``coxph(Surv(time, event) ~ control)``,
    ``... ~ control + strata(meld_gt15)`` and ``... ~ control + log(tbil) +
    log(che) + meld``, all with ``ties = "efron"``.

    References
    ----------
    Kahan BC, Morris TP. Improper analysis of trials randomised using
    stratified blocks or minimisation. Stat Med 2012;31:328-40 (why stratified
    and adjusted analyses are reported beside the unadjusted one).
    """

    def names(cols):
        return ", ".join(COLUMN_LABELS.get(c, c) for c in cols)

    specs = [
        ("unadjusted", "Unadjusted", (), ()),
        ("stratified", "Stratified by " + names(strata), (), tuple(strata)),
        ("adjusted", "Adjusted for " + names(covariates), tuple(covariates), ()),
    ]
    rows = []
    for key, label, cov, st in specs:
        missing = [c for c in (*cov, *st) if c not in df.columns]
        row = {"model": key, "label": label, "note": ""}
        if missing:
            row.update(hr=np.nan, ci_low=np.nan, ci_high=np.nan, p=np.nan, p_logrank=np.nan, n_used=0, events=0,
                       note=f"skipped: column(s) {', '.join(missing)} absent")
        else:
            r = cox_hr(df, start=start, end=end, covariates=cov, strata=st, direction=direction, alpha=alpha, model=key)
            row.update(hr=r.hr, ci_low=r.ci_low, ci_high=r.ci_high, p=r.p, p_logrank=r.p_logrank, n_used=r.n_used,
                       events=r.events_control + r.events_ucmsc)
        rows.append(row)
    cols = ["model", "label", "hr", "ci_low", "ci_high", "p", "p_logrank", "n_used", "events", "note"]
    return pd.DataFrame(rows)[cols]


# ----------------------------------------------------------------------------
# Follow-up
# ----------------------------------------------------------------------------
def followup(trial: Trial | pd.DataFrame, *, endpoint: str = "os", alpha: float = 0.05,
             protect: bool | None = None) -> pd.DataFrame:
    """Median follow-up per arm: simple and reverse Kaplan-Meier.

    Parameters
    ----------
    trial : Trial or pandas.DataFrame
        Trial or analysed-patients frame. All follow-up is used (no horizon):
        the paper's ranges run past 75 months.
    endpoint : {"os", "hcc"}, default "os"
        Whose time and event define follow-up (default ``"os"``).
    alpha : float, default 0.05
        1 - confidence level of the reverse-KM median's CI (log-log).
    protect : bool, optional
        Small-cell rule (:mod:`analysis.toolkit.disclosure`): ``min`` and ``max`` rounded outwards to
        whole months, and an arm of fewer than 5 patients without them. Default: on real data
        (a :class:`Trial` not marked synthetic; a plain frame counts as real).

    Returns
    -------
    pandas.DataFrame
        Per arm: ``n``, ``median_simple`` (median observed time, events and
        censorings alike), ``min``, ``max``, ``median_reverse_km`` with
        ``ci_low``/``ci_high`` (Kaplan-Meier with censoring as the event;
        R: ``survfit(Surv(time, 1 - event) ~ arm)``).

    References
    ----------
    Schemper M, Smith TL. A note on quantifying follow-up in studies of
    failure time. Control Clin Trials 1996;17:343-6.
    """
    from . import disclosure

    protect = disclosure.applies(trial) if protect is None else protect
    df = endpoint_frame(trial, endpoint, horizon=None)
    rev = df.assign(event=1 - df["event"])
    med = kaplan_meier(rev, alpha=alpha).median().set_index("arm")
    rows = []
    for arm in ARMS:
        t = df.loc[df["arm"] == arm, "time"]
        if t.empty:
            continue
        ps = disclosure.protected_summary(t, patients=len(t), step=1.0, protect=protect)
        rows.append({"arm": arm, "n": len(t), "median_simple": ps["median"], "min": ps["min"],
                     "max": ps["max"], "median_reverse_km": med.loc[arm, "median"],
                     "ci_low": med.loc[arm, "ci_low"], "ci_high": med.loc[arm, "ci_high"]})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------
# Proportional hazards: cox.zph (survival >= 3.0)
# ----------------------------------------------------------------------------
def _efron_augmented(time, event, X, g, beta, strata, entry):
    """Score and information of the Cox model with covariates [X, X*g(t)] at (beta, 0).

    Efron ties. Returns (u, imat, schoenfeld residuals of X (one row per
    event), their row indices). Written for :func:`ph_test`: survival's C
    routine ``zph1`` computes the same. At a death time ``t`` the augmented
    covariates are ``X`` and ``g(t) X``, so every risk-set sum is one of ``X``'s
    times a power of ``g(t)``: the sums come from :func:`_efron_sums` (linear in
    the rows). ``X`` is centred first, which changes none of the results (a
    covariate that depends on time only cancels from the partial likelihood).
    """
    n, p = X.shape
    X = X - X.mean(axis=0)
    r = np.exp(X @ beta)
    w = np.column_stack([r, r[:, None] * X, (r[:, None, None] * X[:, :, None] * X[:, None, :]).reshape(n, -1)])
    u = np.zeros(2 * p)
    imat = np.zeros((2 * p, 2 * p))
    res, idx = [], []
    for s in np.unique(strata):
        ins = np.flatnonzero(strata == s)
        st = _efron_sets(time[ins], event[ins], entry[ins])
        if not len(st.dead):
            continue
        a = _efron_sums(st, w[ins])
        a0, a1, a2 = a[:, 0], a[:, 1:1 + p], a[:, 1 + p:].reshape(-1, p, p)
        m = a1 / a0[:, None]
        v = a2 / a0[:, None, None] - m[:, :, None] * m[:, None, :]
        rows = ins[st.order][st.dead]
        gt = g[rows]
        xd = X[rows]
        u[:p] += (xd - m).sum(axis=0)
        u[p:] += ((xd - m) * gt[:, None]).sum(axis=0)
        v0, v1, v2 = v.sum(axis=0), (v * gt[:, None, None]).sum(axis=0), (v * (gt ** 2)[:, None, None]).sum(axis=0)
        imat += np.block([[v0, v1], [v1, v2]])
        mean_m = np.add.reduceat(m, st.first, axis=0) / np.diff(np.r_[st.first, len(st.dead)])[:, None]
        res.append(xd - mean_m[st.rep])
        idx.extend(rows.tolist())
    return u, imat, np.vstack(res), np.array(idx)


@dataclass(frozen=True)
class ZPHResult:
    """Test of proportional hazards by scaled Schoenfeld residuals.

    Attributes
    ----------
    table : pandas.DataFrame
        Rows per term and ``GLOBAL``: ``term``, ``chisq``, ``df``, ``p``.
    residuals : pandas.DataFrame
        One row per event: ``time``, ``x`` (transformed time), and the scaled
        Schoenfeld residual (beta + residual) of each term (column = term).
    coef : Mapping[str, float]
        Cox coefficients of the terms (``trt`` coded by the call's direction).
    transform : {"km", "identity", "log", "rank"}, default "km"
        The time transform.
    terms : tuple of str
        The model's terms: ``trt`` then the covariates.

    See Also
    --------
    ph_test : the function that computes it.

    Notes
    -----
    R: ``survival::cox.zph(fit, transform = transform)`` (``table``, ``y``).
    """

    table: pd.DataFrame
    residuals: pd.DataFrame
    coef: Mapping[str, float]
    transform: str = "km"
    terms: tuple[str, ...] = field(default=())

    @property
    def summary(self) -> pd.DataFrame:
        return self.table


def ph_test(
    df: pd.DataFrame,
    *,
    covariates: Sequence[str] = (),
    strata: Sequence[str] = (),
    transform: str = "km",
    direction: str = "control_vs_ucmsc",
) -> ZPHResult:
    """Test the proportional-hazards assumption (scaled Schoenfeld residuals).

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame (or window frame with ``entry``).
    covariates, strata : sequence of str, default ()
        The Cox model's adjustment columns and strata (the treatment term
        ``trt`` is always included, coded by ``direction``).
    transform : {"km", "identity", "log", "rank"}, default "km"
        Time transform g(t): ``"km"`` (default; 1 - KM of the pooled data at
        t-, as R), ``"identity"``, ``"log"`` or ``"rank"``.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        Coding of the treatment term (does not change the test).

    Returns
    -------
    ZPHResult

    Notes
    -----
    Implements the score test of survival >= 3.0's ``cox.zph``: for each term
    the Cox model is augmented with ``x * (g(t) - mean g over events)`` and the
    score test of the added coefficient(s) is computed at the fitted
    coefficients, using the full information matrix of the augmented model
    (Efron ties). This is **not** Grambsch and Therneau's 1994 approximation
    that survival < 3.0 and lifelines' ``proportional_hazard_test`` use (it
    replaces the information matrix by a summary and gives slightly different
    chi-squares); we implement it ourselves because no Python library has the
    3.x test. Matches ``cox.zph(coxph(Surv(time, event) ~ trt + covariates +
    strata(s), ties = "efron"), transform = transform)``.

    References
    ----------
    Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based
    on weighted residuals. Biometrika 1994;81:515-26. Therneau TM. survival
    package vignette "Validation" and NEWS for version 3.0-10 (cox.zph rewrite).
    """
    covariates, strata = list(covariates), list(strata)
    _require(df, ["time", "event", "arm", *covariates, *strata])
    if transform not in ("km", "identity", "log", "rank"):
        raise ValueError(f"transform must be one of km, identity, log, rank; got {transform!r}")
    d = df.copy()
    d["trt"] = _treatment_column(d, direction)
    cols = ["time", "event", "trt", *covariates, *strata] + (["entry"] if "entry" in d.columns else [])
    d = d[cols].dropna().reset_index(drop=True)
    terms = ["trt", *covariates]
    ev_by_arm = d.groupby("trt")["event"].sum().reindex([0.0, 1.0], fill_value=0)
    if (ev_by_arm == 0).any():
        warnings.warn("proportional-hazards test not defined: an arm has no events, so the Cox coefficient is "
                      "infinite (R's cox.zph reports a meaningless finite value)", StatisticalWarning, stacklevel=2)
        nan = float("nan")
        table = pd.DataFrame([{"term": t, "chisq": nan, "df": 1, "p": nan} for t in terms]
                             + [{"term": "GLOBAL", "chisq": nan, "df": len(terms), "p": nan}])
        return ZPHResult(table, pd.DataFrame(columns=["time", "x", *terms]), dict.fromkeys(terms, nan), transform,
                         tuple(terms))
    same_entry = "entry" not in d.columns or (d["entry"].nunique() == 1 and (d["time"] > d["entry"]).all())
    if not covariates and not strata and same_entry:
        beta = np.array([_cox_1d(d["time"].to_numpy(float), d["event"].to_numpy(int), d["trt"].to_numpy(float))[0]])
    else:
        key = d.groupby(strata, observed=True, sort=True).ngroup().to_numpy() if strata else None
        beta = _cox_efron(d["time"].to_numpy(float), d["event"].to_numpy(int), d[terms].to_numpy(float), key,
                          d["entry"].to_numpy(float) if "entry" in d.columns else None)[0]
    time = d["time"].to_numpy(float)
    event = d["event"].to_numpy(int)
    entry = d["entry"].to_numpy(float) if "entry" in d.columns else np.full(len(d), -np.inf)
    X = d[terms].to_numpy(float)
    st = _strata_key(d, strata).to_numpy() if strata else np.zeros(len(d), dtype=int)
    if transform == "km":
        km = _km_arrays(time, event, None if "entry" not in d.columns else entry)
        i = np.searchsorted(km["time"].to_numpy(), time, side="left")  # S(t-) = surv at previous time
        ttimes = 1 - np.concatenate([[1.0], km["surv"].to_numpy()])[i]
    elif transform == "identity":
        ttimes = time.copy()
    elif transform == "log":
        ttimes = np.log(time)
    else:
        ttimes = stats.rankdata(time)
    g = ttimes - ttimes[event == 1].mean()
    u, imat, sres, idx = _efron_augmented(time, event, X, g, beta, st, entry)
    p = len(terms)
    rows = []
    for j, term in enumerate(terms):
        kk = list(range(p)) + [p + j]
        uu = np.r_[np.zeros(p), u[p + j]]
        chisq = float(uu @ np.linalg.solve(imat[np.ix_(kk, kk)], uu))
        rows.append({"term": term, "chisq": chisq, "df": 1, "p": float(stats.chi2.sf(chisq, 1))})
    uu = np.r_[np.zeros(p), u[p:]]
    chisq = float(uu @ np.linalg.solve(imat, uu))
    rows.append({"term": "GLOBAL", "chisq": chisq, "df": p, "p": float(stats.chi2.sf(chisq, p))})
    negative = [r["term"] for r in rows if r["chisq"] < 0]
    if negative:
        # A score statistic is a quadratic form in an information matrix; a negative value means the
        # matrix is not positive definite at the fit (a degenerate model), not evidence.
        warnings.warn(f"proportional-hazards test not defined for {negative}: the information matrix is not "
                      "positive definite (negative score statistic)", StatisticalWarning, stacklevel=2)
        for r in rows:
            if r["chisq"] < 0:
                r["chisq"] = r["p"] = float("nan")
    nev = int(event.sum())
    vmean = imat[:p, :p] / nev
    scaled = np.linalg.solve(vmean, sres.T).T + beta
    order = np.lexsort((idx, time[idx]))
    resid = pd.DataFrame(scaled[order], columns=terms)
    resid.insert(0, "x", ttimes[idx][order])
    resid.insert(0, "time", time[idx][order])
    return ZPHResult(pd.DataFrame(rows), resid, dict(zip(terms, beta.tolist())), transform, tuple(terms))


# ----------------------------------------------------------------------------
# Restricted mean survival time
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RMSTResult:
    """Restricted mean survival time per arm and their difference.

    Returned by :func:`rmst`.

    Attributes
    ----------
    tau : float
        Truncation time actually used, in months (smaller than requested
        when :func:`rmst` truncated it).
    arms : pandas.DataFrame
        One row per arm: ``arm``, ``rmst`` (months), ``se`` (Greenwood-type),
        ``ci_low``, ``ci_high`` (Wald).
    difference : float
        Difference of the arms' RMST in months, in ``direction`` (by default
        control minus UC-MSC: negative when UC-MSC patients live longer on
        average up to ``tau``).
    se : float
        Standard error of the difference (arms independent).
    ci_low, ci_high : float
        Wald confidence limits of the difference at ``1 - alpha``.
    p : float
        Two-sided Wald p value of the difference; ``nan`` when ``se`` is 0.
    direction : str
        ``"control_vs_ucmsc"`` (default) or ``"ucmsc_vs_control"``.

    See Also
    --------
    rmst : the function that computes it.

    Notes
    -----
    R: ``survRM2::rmst2(time, status, arm, tau)`` (unadjusted difference) and
    ``print(survival::survfit(...), rmean = tau)`` per arm.
    """

    tau: float
    arms: pd.DataFrame
    difference: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    direction: str = "control_vs_ucmsc"

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"tau": self.tau, "difference": self.difference, "se": self.se,
                              "ci_low": self.ci_low, "ci_high": self.ci_high, "p": self.p}])


def _rmst_arm(km: pd.DataFrame, tau: float, start: float = 0.0) -> tuple[float, float]:
    """Area under the KM curve up to tau and its Greenwood-type SE (``survival:::survmean``)."""
    keep = km["time"].to_numpy() <= tau
    t = np.r_[km["time"].to_numpy()[keep], tau]
    s = np.r_[km["surv"].to_numpy()[keep], km["surv"].to_numpy()[keep][-1] if keep.any() else 1.0]
    nr, ne = km["n_risk"].to_numpy()[keep], km["n_event"].to_numpy()[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(nr - ne == 0, 0.0, ne / (nr * (nr - ne)))
    rect = np.diff(np.r_[start, t]) * np.r_[1.0, s[:-1]]
    area_after = np.cumsum(rect[::-1])[::-1][1:]  # integral of S from each time to tau
    return float(rect.sum() + start), float(np.sqrt(np.sum(area_after**2 * hh)))


def rmst(df: pd.DataFrame, tau: float = 75.0, *, direction: str = "control_vs_ucmsc", alpha: float = 0.05,
         truncate: bool = False) -> RMSTResult:
    """Restricted mean survival time up to ``tau`` per arm and the difference.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame (follow-up should reach ``tau``; censoring at the
        horizon is fine).
    tau : float, default 75.0
        Truncation time in months (default 75, the paper's horizon).
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        ``"control_vs_ucmsc"``: difference = control - UC-MSC (negative when
        UC-MSC patients live longer on average); or the reverse.
    alpha : float, default 0.05
        1 - confidence level; Wald interval on the difference.
    truncate : bool, default False
        If ``tau`` exceeds the last follow-up of an arm: ``False`` (default) raises
        :class:`HorizonError`; ``True`` restricts to the shortest arm's last follow-up, with a
        :class:`StatisticalWarning` (the result's ``tau`` says which was used).

    Returns
    -------
    RMSTResult

    Notes
    -----
    RMST is the area under the Kaplan-Meier curve on [0, tau]; its variance is
    the Greenwood-type sum over event times of (area beyond t)^2 d/(n(n-d)).
    Matches ``print(survfit(Surv(time, event) ~ arm), rmean = tau)``
    (``rmean`` and ``se(rmean)``) and the unadjusted difference of
    ``survRM2::rmst2``. Our own implementation (lifelines'
    ``restricted_mean_survival_time`` has no standard error matching R).

    References
    ----------
    Royston P, Parmar MKB. Restricted mean survival time: an alternative to the
    hazard ratio for the design and analysis of randomized trials with a
    time-to-event outcome. BMC Med Res Methodol 2013;13:152.
    """
    z = _check_alpha(alpha)
    num, ref = _arms_in_direction(direction)
    if tau <= 0:
        raise HorizonError(f"tau must be > 0 months, got {tau}")
    if truncate:
        last = float(df.groupby("arm")["time"].max().min())
        if last < tau:
            warnings.warn(f"RMST restricted to {last:.1f} months instead of {tau:g}: the follow-up of one arm ends "
                          "there", StatisticalWarning, stacklevel=2)
            tau = last
    if "entry" in df.columns and (df["entry"] > 0).any():
        raise ValueError("rmst needs follow-up from time 0; df has delayed entry ('entry' > 0)")
    km = kaplan_meier(df, alpha=alpha)
    rows = []
    for arm in km.arms:
        t = km.table[km.table["arm"] == arm]
        if t["time"].max() < tau:
            raise HorizonError(f"tau = {tau} exceeds the last follow-up time of arm {arm!r} ({t['time'].max():g})")
        m, se = _rmst_arm(t, tau)
        rows.append({"arm": arm, "rmst": m, "se": se, "ci_low": m - z * se, "ci_high": m + z * se})
    arms = pd.DataFrame(rows).set_index("arm")
    diff = arms.loc[num, "rmst"] - arms.loc[ref, "rmst"]
    se = float(np.hypot(arms.loc[num, "se"], arms.loc[ref, "se"]))
    p = float(2 * stats.norm.sf(abs(diff / se))) if se > 0 else float("nan")  # no event: no variance
    return RMSTResult(float(tau), arms.reset_index(), float(diff), se, float(diff - z * se), float(diff + z * se),
                      p, direction)
