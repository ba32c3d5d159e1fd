"""Landmark analyses and the time-varying treatment effect.

A landmark analysis splits follow-up at a landmark L and reports a hazard
ratio in each window:

- early window: events in (0, L], everyone still at risk censored at L;
- late window: patients still at risk after L, followed from L to the
  horizon.

A landmark chosen after looking at the curves is a data-driven cut point, so
this module also gives (i) the late-window estimate over a grid of landmark
times and (ii) the pre-specifiable alternatives: a Cox model with a
treatment x log(time) interaction and a piecewise Cox model with a change of
treatment effect at L, each with a test of a time-varying effect.

Conventions: hazard ratios control relative to UC-MSC (``direction``), Efron
ties, Wald p (``p``) and log-rank p (``p_logrank``) both reported.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .schema import ARMS
from .survival import (
    HorizonError,
    _newton_raphson,
    _check_alpha,
    _check_arms,
    _require,
    _treatment_column,
    cox_hr,
    window_frame,
)
from .warnings import StatisticalWarning

__all__ = [
    "LANDMARK_GRID",
    "landmark_km",
    "landmark_windows",
    "landmark_grid",
    "grid_summary",
    "TimeVaryingResult",
    "time_varying_test",
]

def landmark_km(df: pd.DataFrame, landmark: float, horizon: float = 75.0):
    """Kaplan-Meier curves of the two landmark windows, (0, L] and (L, horizon].

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame (:func:`analysis.toolkit.survival.endpoint_frame`).
    landmark : float
        The landmark time L (months).
    horizon : float, default 75.0
        End of the late window.

    Returns
    -------
    tuple
        ``(early, late)`` :class:`~analysis.toolkit.survival.KMResult`; ``late`` is ``None`` (with a
        :class:`~analysis.toolkit.warnings.StatisticalWarning`) when nobody is followed beyond L. The late
        curve restarts at 1 among the patients still at risk at L (R: ``survfit`` on
        ``subset(df, time > L)`` with ``Surv(L, time, event)``).

    References
    ----------
    Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response. J Clin Oncol
    1983;1:710-9.
    """
    from .survival import kaplan_meier

    early = kaplan_meier(window_frame(df, 0.0, landmark))
    late_frame = window_frame(df, landmark, horizon)
    if late_frame.empty or late_frame["arm"].nunique() < 2:
        warnings.warn(f"no landmark curve after {landmark:g} months: no patient of "
                      f"{'either arm' if late_frame.empty else 'one arm'} is followed beyond it",
                      StatisticalWarning, stacklevel=2)
        return early, None
    return early, kaplan_meier(late_frame)


#: Landmark times (months) of the sensitivity grid, the default of :func:`landmark_grid`: every
#: month from 3 to 24, the first two years of follow-up. Typed here only.
LANDMARK_GRID: tuple[int, ...] = tuple(range(3, 25))


_COLS = ["endpoint", "window", "start", "end", "hr", "ci_low", "ci_high", "p", "p_logrank",
         "events_control", "events_ucmsc", "n_control", "n_ucmsc"]


def landmark_windows(
    df: pd.DataFrame,
    landmark: float,
    *,
    horizon: float = 75.0,
    direction: str = "control_vs_ucmsc",
    alpha: float = 0.05,
    endpoint: str = "",
) -> pd.DataFrame:
    """Hazard ratio before and after a landmark, plus the whole period.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame (:func:`analysis.toolkit.survival.endpoint_frame`).
    landmark : float
        L in months, ``0 < L < horizon``.
    horizon : float, default 75.0
        End of follow-up in months (default 75).
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        Hazard ratios control relative to UC-MSC (default) or the reverse
        (as in :func:`analysis.toolkit.survival.cox_hr`).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals.
    endpoint : str, default ""
        Label carried into the ``endpoint`` column.

    Returns
    -------
    pandas.DataFrame
        Rows ``overall`` (0, horizon], ``early`` (0, L] and ``late``
        (L, horizon] with ``hr``, ``ci_low``, ``ci_high``, ``p`` (Cox Wald),
        ``p_logrank``, events and numbers per arm (numbers at the window
        start).

    Notes
    -----
    R: early ``coxph(Surv(pmin(time, L), event & time <= L) ~ arm)``; late
    ``coxph(Surv(L, time, event) ~ arm, subset = time > L)``.

    References
    ----------
    Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response.
    J Clin Oncol 1983;1:710-9. Dafni U. Landmark analysis at the 25-year
    landmark point. Circ Cardiovasc Qual Outcomes 2011;4:363-71.
    """
    if not (0 < landmark < horizon):
        raise HorizonError(f"landmark must satisfy 0 < landmark < horizon ({horizon}), got {landmark}")
    rows = []
    for name, (a, b) in {"overall": (0.0, horizon), "early": (0.0, landmark), "late": (landmark, horizon)}.items():
        r = cox_hr(df, start=a, end=b, direction=direction, alpha=alpha, model=name)
        rows.append({"endpoint": endpoint, "window": name, "start": a, "end": b, **r.as_dict()})
    return pd.DataFrame(rows)[_COLS]


def landmark_grid(
    df: pd.DataFrame,
    landmarks: Sequence[float] = LANDMARK_GRID,
    *,
    horizon: float = 75.0,
    direction: str = "control_vs_ucmsc",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Early- and late-window hazard ratios over a grid of landmark times.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame.
    landmarks : sequence of float, default LANDMARK_GRID
        Landmark times in months (default 3, 4, ..., 24).
    horizon : float, default 75.0
        End of the late window (administrative censoring), in months.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        Hazard ratios control relative to UC-MSC (default) or the reverse.
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals.

    Returns
    -------
    pandas.DataFrame
        One row per landmark and window (``early``, ``late``) with ``landmark``,
        ``window``, ``hr``, ``ci_low``, ``ci_high``, ``p``, ``p_logrank`` and
        events, and a ``note`` where a window has an arm without events (its
        HR is ``nan``; no warning is raised). The p values are not adjusted
        for having looked at many landmarks: that is the point of showing them
        all.

    Notes
    -----
    Each window is the model of :func:`landmark_windows`, fitted by the same
    function, :func:`analysis.toolkit.survival.cox_hr` (the project's one Cox
    fitter; R: ``coxph`` on the early and late windows). Where an arm has no
    event in a window, ``cox_hr``'s warning becomes the row's ``note``; the
    log-rank p is still given when the window has events.

    References
    ----------
    van Houwelingen HC. Dynamic prediction by landmarking in event history
    analysis. Scand J Stat 2007;34:70-85.
    """
    _check_alpha(alpha)
    _require(df, ["time", "event", "arm"])
    _check_arms(df)
    # The unadjusted fits read time, event and arm only: refit on those columns, the arm coded once as
    # a categorical (each window's copy and arm comparisons are then cheap on 200,000 patients).
    df = pd.DataFrame({"time": df["time"], "event": df["event"],
                       "arm": pd.Categorical(df["arm"].astype(str), categories=list(ARMS))})
    rows = []
    for L in landmarks:
        if not (0 < L < horizon):
            raise HorizonError(f"landmarks must lie in (0, horizon = {horizon}); got {L}")
        for name, (a, b) in {"early": (0.0, float(L)), "late": (float(L), horizon)}.items():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", StatisticalWarning)
                r = cox_hr(df, start=a, end=b, direction=direction, alpha=alpha, model=name)
            note = "; ".join(str(w.message) for w in caught if issubclass(w.category, StatisticalWarning))
            for w in caught:  # anything else is not ours to silence
                if not issubclass(w.category, StatisticalWarning):
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            d = r.as_dict()
            rows.append({"landmark": float(L), "window": name, "start": a, "end": b,
                         **{k: d[k] for k in ("hr", "ci_low", "ci_high", "p", "se_log_hr", "p_logrank")},
                         "note": note,
                         **{k: d[k] for k in ("events_control", "events_ucmsc", "n_control", "n_ucmsc")}})
    return pd.DataFrame(rows)


def grid_summary(grid: pd.DataFrame, *, window: str = "late", alpha: float = 0.05) -> dict:
    """Range of the hazard ratio and p value of one window over a landmark grid.

    Parameters
    ----------
    grid : pandas.DataFrame
        :func:`landmark_grid` output.
    window : {"late", "early"}, default "late"
        ``"late"`` or ``"early"``.
    alpha : float, default 0.05
        Level at which landmarks are counted as "significant" (Wald p).

    Returns
    -------
    dict
        ``n`` (landmarks with an estimate), ``hr_min``, ``hr_max``, ``p_min``,
        ``p_max``, ``n_significant`` (Wald p < alpha), ``first``/``last``
        landmark of the grid.
    """
    if window not in ("early", "late"):
        raise ValueError(f"window must be 'early' or 'late', got {window!r}")
    g = grid[(grid["window"] == window) & grid["hr"].notna()]
    return {
        "n": int(len(g)),
        "hr_min": float(g["hr"].min()),
        "hr_max": float(g["hr"].max()),
        "p_min": float(g["p"].min()),
        "p_max": float(g["p"].max()),
        "n_significant": int((g["p"] < alpha).sum()),
        "first": float(grid["landmark"].min()),
        "last": float(grid["landmark"].max()),
    }


@dataclass(frozen=True)
class TimeVaryingResult:
    """Cox model with a time-varying treatment effect.

    Attributes
    ----------
    kind : {"log", "piecewise"}
        ``"log"``: log HR(t) = b0 + b1 log(t); ``"piecewise"``: one log HR in
        (0, L] and one after L.
    coef : pandas.DataFrame
        Tidy frame of coefficients: ``term``, ``coef``, ``se``, ``hr``,
        ``ci_low``, ``ci_high``, ``p`` (hazard ratios in the direction of the
        call, control relative to UC-MSC by default).
    p_interaction : float
        Wald p of the test of a constant effect (b1 = 0, or equal log HRs
        before and after L); ``nan`` when the model cannot be fitted.
    landmark : float or None, default None
        L in months for ``"piecewise"``; ``None`` for ``"log"``.
    loglik : float, default nan
        Partial log-likelihood of the fitted model (``nan`` when not fitted).

    See Also
    --------
    time_varying_test : the function that computes it.

    Notes
    -----
    R: ``survival::coxph(Surv(time, event) ~ trt + tt(trt), tt = function(x, t, ...)
    x * log(t))`` (``"log"``) or ``survival::coxph`` on ``survSplit(..., cut = L)``
    (``"piecewise"``).
    """

    kind: str
    coef: pd.DataFrame
    p_interaction: float
    landmark: float | None = None
    loglik: float = float("nan")

    @property
    def summary(self) -> pd.DataFrame:
        return self.coef

    def hr_at(self, times: Sequence[float]) -> pd.DataFrame:
        """HR(t) implied by the model at given months (``"log"``: exp(b0 + b1 log t))."""
        c = self.coef.set_index("term")["coef"]
        t = np.asarray(times, float)
        if self.kind == "log":
            lhr = c["trt"] + c["trt_x_logt"] * np.log(t)
        else:
            lhr = np.where(t <= self.landmark, c["trt_early"], c["trt_late"])
        return pd.DataFrame({"time": t, "hr": np.exp(lhr)})


def _time_varying_fit(time: np.ndarray, event: np.ndarray, trt: np.ndarray, v, tol: float = 1e-12,
                      max_iter: int = 100):
    """Cox fit with covariates ``trt * v(t)`` (Efron ties) by Newton-Raphson.

    ``v(t)`` maps death times to rows of covariate values (``(1, log t)``; or ``(1, 0)`` up to a
    landmark and ``(0, 1)`` after it). With a 0/1 treatment every patient at risk at ``t`` has
    covariates ``0`` (untreated) or ``v(t)`` (treated), so the risk-set sums need only the numbers at
    risk and dying per arm at each death time: the model is fitted without splitting the follow-up
    into episodes (which takes patients x death times rows: billions at 200,000 patients), with the
    same partial likelihood as the counting-process fit of R's ``coxph`` on ``survSplit`` data or
    lifelines' ``CoxTimeVaryingFitter`` on the split data. Returns ``(beta, covariance, log partial
    likelihood)``.

    Raises
    ------
    numpy.linalg.LinAlgError
        If the information matrix is singular or the iterations do not converge.
    """
    from .survival import _count_at_risk

    ut, d = np.unique(time[event == 1], return_counts=True)
    treated = trt == 1
    dead1 = np.sort(time[(event == 1) & treated])
    d1 = (np.searchsorted(dead1, ut, side="right") - np.searchsorted(dead1, ut, side="left")).astype(float)
    n = _count_at_risk(ut, time).astype(float)
    n1 = _count_at_risk(ut, time[treated]).astype(float)
    n0, d0 = n - n1, d - d1
    V = np.asarray(v(ut), float)
    p = V.shape[1]
    rep = np.repeat(np.arange(len(ut)), d)
    frac = (np.arange(len(rep)) - (np.cumsum(d) - d)[rep]) / d[rep]
    VV = V[:, :, None] * V[:, None, :]
    score0 = (d1[:, None] * V).sum(axis=0)

    def evaluate(beta):
        eta = V @ beta
        r1 = np.exp(eta)
        w_at, w_dead = n1 * r1, d1 * r1
        a0 = (n0 + w_at)[rep] - frac * (d0 + w_dead)[rep]
        c = (w_at[rep] - frac * w_dead[rep]) / a0  # share of the treated in each Efron term
        m = c[:, None] * V[rep]
        ll = float(np.sum(d1 * eta) - np.log(a0).sum())
        info = (c[:, None, None] * VV[rep]).sum(axis=0) - m.T @ m
        return ll, score0 - m.sum(axis=0), info

    beta, ll, info, converged = _newton_raphson(evaluate, p, tol=tol, max_iter=max_iter)
    if not converged:
        raise np.linalg.LinAlgError("Newton-Raphson did not converge")
    if not (np.isfinite(beta).all() and np.isfinite(ll)):
        raise np.linalg.LinAlgError("the fit diverged")
    return beta, np.linalg.inv(info), ll


def time_varying_test(
    df: pd.DataFrame,
    *,
    kind: str = "log",
    landmark: float | None = None,
    direction: str = "control_vs_ucmsc",
    alpha: float = 0.05,
) -> TimeVaryingResult:
    """Test whether the treatment hazard ratio changes over time.

    Parameters
    ----------
    df : pandas.DataFrame
        Endpoint frame (time from 0).
    kind : {"log", "piecewise"}, default "log"
        ``"log"``: Cox model with ``trt`` and ``trt x log(t)``; the
        interaction coefficient is the change in log HR per unit of log time.
        ``"piecewise"``: separate treatment coefficients in (0, L] and
        (L, horizon]; the test compares them. Both can be pre-specified,
        unlike a landmark picked from the curves.
    landmark : float, optional
        L for ``kind="piecewise"``.
    direction : {"control_vs_ucmsc", "ucmsc_vs_control"}, default "control_vs_ucmsc"
        Coding of the treatment term: hazard ratios control relative to
        UC-MSC (default) or the reverse (as in
        :func:`analysis.toolkit.survival.cox_hr`).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals.

    Returns
    -------
    TimeVaryingResult

    Notes
    -----
    The model is the Cox model of the data split into episodes at every event time (``"log"``) or
    at L (``"piecewise"``), Efron ties; it is fitted without building the split
    (:func:`_time_varying_fit`: numbers at risk and dying per arm at each event time, linear in the
    patients; the split has patients x event times rows). The piecewise model's two hazard ratios equal the early- and
    late-window landmark estimates (the partial likelihood factorises at L);
    what it adds is the test of their equality. Matches, in R,
    ``coxph(Surv(time, event) ~ trt + tt(trt), tt = function(x, t, ...) x * log(t))``
    and ``coxph(Surv(tstart, time, event) ~ trt:strata(period), data =
    survSplit(..., cut = L, episode = "period"))``.

    References
    ----------
    Therneau TM, Crowson C, Atkinson E. Using time dependent covariates and
    time dependent coefficients in the Cox model. survival package vignette.
    """
    z = _check_alpha(alpha)
    _require(df, ["time", "event", "arm"])
    time = df["time"].to_numpy(float)
    event = df["event"].to_numpy(int)
    trt = _treatment_column(df, direction).to_numpy(float)
    if kind == "log":
        cols = ["trt", "trt_x_logt"]

        def v(t):
            return np.column_stack([np.ones_like(t), np.log(t)])
    elif kind == "piecewise":
        if landmark is None or not landmark > 0:
            raise HorizonError(f"kind='piecewise' needs 0 < landmark < last time; got landmark={landmark}")
        cols = ["trt_early", "trt_late"]

        def v(t):
            late = (t > landmark).astype(float)
            return np.column_stack([1 - late, late])
    else:
        raise ValueError(f"kind must be 'log' or 'piecewise', got {kind!r}")

    def undefined(why: str) -> TimeVaryingResult:
        warnings.warn(f"time-varying treatment test ({kind}) not defined: {why}", StatisticalWarning, stacklevel=3)
        nan = np.full(len(cols), np.nan)
        coef = pd.DataFrame({"term": cols, "coef": nan, "se": nan, "hr": nan, "ci_low": nan, "ci_high": nan,
                             "p": nan})
        return TimeVaryingResult(kind, coef, float("nan"), landmark if kind == "piecewise" else None, float("nan"))

    if kind == "piecewise" and not landmark < time.max():
        return undefined(f"the landmark ({landmark:g} months) is not before the last follow-up "
                         f"({time.max():g} months)")
    dead = event == 1
    if kind == "log" and (time[dead] <= 0).any():
        return undefined("an event at time 0 has no log(time)")
    # Every coefficient needs events of both arms where it applies (else it is infinite).
    pieces = ({"the follow-up": dead} if kind == "log" else
              {f"(0, {landmark:g}]": dead & (time <= landmark), f"({landmark:g}, end]": dead & (time > landmark)})
    for name, e in pieces.items():
        if np.unique(trt[e]).size < 2:
            return undefined(f"an arm has no events in {name}")
    try:
        b, V, loglik = _time_varying_fit(time, event, trt, v)
    except np.linalg.LinAlgError as exc:
        return undefined(f"the model cannot be fitted ({type(exc).__name__})")
    # b and V: coefficients, covariance (rows and columns in the order of ``cols``)
    se = np.sqrt(np.diag(V))
    coef = pd.DataFrame({"term": cols, "coef": b, "se": se, "hr": np.exp(b), "ci_low": np.exp(b - z * se),
                         "ci_high": np.exp(b + z * se), "p": 2 * stats.norm.sf(np.abs(b / se))})
    if kind == "log":
        p_int = float(coef["p"].iloc[1])
    else:
        diff = b[1] - b[0]
        se_d = np.sqrt(V[0, 0] + V[1, 1] - 2 * V[0, 1])
        p_int = float(2 * stats.norm.sf(abs(diff / se_d)))
    return TimeVaryingResult(kind, coef, p_int, landmark if kind == "piecewise" else None, loglik)

