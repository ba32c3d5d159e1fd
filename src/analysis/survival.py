"""Time-to-event core: endpoint data, Cox hazard ratios, log-rank tests, landmark windows.

Conventions (explicit arguments with these defaults):

- Analysis population: ``disposition == 'analyzed'`` (the paper's).
- Time from randomization in months; administrative censoring at
  ``horizon = 75`` months (the paper's horizon).
- Hazard ratios **control relative to UC-MSC** (``direction="control_vs_ucmsc"``):
  HR > 1 means the control arm has the higher hazard.
- Cox models use Efron ties (lifelines' only method; matches
  ``coxph(..., ties = "efron")`` in R's survival package).
- Landmark at L months: the early window holds events in (0, L] with everyone
  still at risk censored at L; the late window holds patients still at risk
  after L, followed from L to the horizon (time measured from randomization,
  entry at L, which gives the same Cox partial likelihood as re-zeroing at L).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.statistics import logrank_test
from scipy import stats

from .data import Trial

__all__ = [
    "ENDPOINTS",
    "HorizonError",
    "endpoint_frame",
    "window_frame",
    "cox_hr",
    "logrank",
    "HRResult",
]

#: Endpoint name -> (time column, event column, label).
ENDPOINTS = {
    "os": ("os_months", "death", "Overall survival"),
    "hcc": ("hcc_months", "hcc", "HCC-free survival"),
}

DIRECTIONS = ("control_vs_ucmsc", "ucmsc_vs_control")


class HorizonError(ValueError):
    """A window or horizon that does not make sense."""


def endpoint_frame(trial: Trial | pd.DataFrame, endpoint: str = "os", horizon: float | None = 75.0) -> pd.DataFrame:
    """Analysed patients' time, event and arm for one endpoint.

    Parameters
    ----------
    trial
        A :class:`~analysis.data.Trial` (its analysed patients are used) or a
        patients frame already restricted to the analysis set.
    endpoint
        ``"os"`` (death) or ``"hcc"`` (HCC; deaths without HCC are censored,
        as in the paper's HCC-free survival).
    horizon
        Administrative censoring time in months; ``None`` keeps all follow-up.

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
    df = p.copy()
    df["time"] = df[tcol].astype(float)
    df["event"] = df[ecol].astype(int)
    if horizon is not None:
        if horizon <= 0:
            raise HorizonError(f"horizon must be > 0 months, got {horizon}")
        late = df["time"] > horizon
        df.loc[late, "event"] = 0
        df.loc[late, "time"] = float(horizon)
    df["control"] = (df["arm"] == "control").astype(int)
    return df.reset_index(drop=True)


def window_frame(df: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """Restrict an endpoint frame to the window (start, end].

    Patients with ``time <= start`` are dropped (not at risk after ``start``);
    those followed beyond ``end`` are censored at ``end``. An ``entry`` column
    holds ``start`` (delayed entry). With ``start = 0`` this is plain
    censoring at ``end``.
    """
    if not (0 <= start < end):
        raise HorizonError(f"window must satisfy 0 <= start < end, got ({start}, {end}]")
    w = df[df["time"] > start].copy()
    beyond = w["time"] > end
    w.loc[beyond, "event"] = 0
    w.loc[beyond, "time"] = float(end)
    w["entry"] = float(start)
    return w.reset_index(drop=True)


@dataclass(frozen=True)
class HRResult:
    """A hazard ratio with Wald CI and p value, plus the log-rank p."""

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


def _treatment_column(df: pd.DataFrame, direction: str) -> pd.Series:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    x = (df["arm"] == "control").astype(float)
    return x if direction == "control_vs_ucmsc" else 1.0 - x


def cox_hr(
    df: pd.DataFrame,
    *,
    start: float = 0.0,
    end: float | None = None,
    covariates: list[str] | tuple[str, ...] = (),
    strata: list[str] | tuple[str, ...] = (),
    direction: str = "control_vs_ucmsc",
    alpha: float = 0.05,
) -> HRResult:
    """Cox hazard ratio of the arms in a time window.

    Parameters
    ----------
    df
        Endpoint frame from :func:`endpoint_frame`.
    start, end
        Window (start, end] in months; ``end=None`` uses all of ``df``.
    covariates
        Baseline columns to adjust for (complete cases are used).
    strata
        Columns to stratify the baseline hazard on.
    direction
        ``"control_vs_ucmsc"`` (default, the paper's) or the reverse.
    alpha
        1 - confidence level of the Wald interval.

    Returns
    -------
    HRResult
        Wald CI and p from the Cox model (Efron ties); ``p_logrank`` from the
        (unstratified, unadjusted) log-rank test in the same window.

    Notes
    -----
    Matches ``coxph(Surv(entry, time, event) ~ control + covariates + strata(s),
    ties = "efron")`` in R's survival package.
    """
    w = window_frame(df, start, np.inf if end is None else end)
    w["trt"] = _treatment_column(w, direction)
    cols = ["time", "event", "trt", *covariates, *strata]
    d = w[cols + (["entry"] if start > 0 else [])].dropna()
    ev_c = int(d.loc[d["trt"] == (1.0 if direction == "control_vs_ucmsc" else 0.0), "event"].sum())
    ev_u = int(d["event"].sum()) - ev_c
    n_c = int((w["arm"] == "control").sum())
    n_u = int((w["arm"] == "ucmsc").sum())
    if d["event"].sum() == 0:
        nan = float("nan")
        return HRResult(nan, nan, nan, nan, nan, nan, ev_c, ev_u, n_c, n_u, direction)
    cph = CoxPHFitter(alpha=alpha)
    cph.fit(
        d,
        duration_col="time",
        event_col="event",
        strata=list(strata) or None,
        entry_col="entry" if start > 0 else None,
    )
    beta = float(cph.params_["trt"])
    se = float(cph.standard_errors_["trt"])
    z = stats.norm.ppf(1 - alpha / 2)
    p = float(2 * stats.norm.sf(abs(beta / se)))
    lr = logrank(w, direction=direction)
    return HRResult(
        hr=float(np.exp(beta)),
        ci_low=float(np.exp(beta - z * se)),
        ci_high=float(np.exp(beta + z * se)),
        p=p,
        se_log_hr=se,
        p_logrank=lr["p"],
        events_control=ev_c,
        events_ucmsc=ev_u,
        n_control=n_c,
        n_ucmsc=n_u,
        direction=direction,
    )


def logrank(df: pd.DataFrame, direction: str = "control_vs_ucmsc") -> dict:
    """Two-sample log-rank test between the arms of an endpoint/window frame.

    With an ``entry`` column, late entry is honoured by computing the risk sets
    from ``entry`` (lifelines' ``logrank_test`` has no delayed entry, so for
    ``entry > 0`` we shift times to start at the window start, which gives the
    same risk sets because everyone enters at the same time).

    Returns
    -------
    dict
        ``chisq``, ``p``, ``observed`` and ``expected`` per arm.
        Matches ``survdiff(Surv(time, event) ~ arm)`` in R.
    """
    shift = df["entry"] if "entry" in df.columns else 0.0
    t = df["time"] - shift
    a = df["arm"] == "control"
    res = logrank_test(t[a], t[~a], df["event"][a], df["event"][~a])
    return {"chisq": float(res.test_statistic), "p": float(res.p_value)}

