"""Monte Carlo simulation of whole two-arm survival trials, analysed in bulk.

A trial is simulated from a :class:`~analysis.toolkit.design.SurvivalDesign`:
piecewise-uniform accrual, piecewise-exponential event hazards per arm,
exponential dropout per arm, administrative censoring at the analysis
(``accrual end + minimum follow-up``). Many trials are held as rows of 2-D
arrays (trials x patients) and analysed **vectorised over trials** with NumPy:
each row is sorted once; tie groups, risk sets and cumulative counts come from
cumulative sums along the row. No Python loop runs over trials or patients.

Tests provided per trial (all oriented so that a positive ``z`` favours the
treatment arm):

- ``logrank``: the log-rank test, identical to ``survdiff`` in R and
  ``lifelines.statistics.logrank_test`` (hypergeometric variance, ties handled
  as a group at each distinct time; a patient censored at an event time is at
  risk at that time);
- ``landmark``: the log-rank test among patients still at risk after the
  landmark ``L``, using their events in ``(L, T]`` (the paper's late-window
  comparison, as a test);
- ``rmst``: the difference in restricted mean survival time up to ``tau``
  between the arms' Kaplan-Meier curves, with the Greenwood-type variance
  ``sum_j A_j^2 d_j / (n_j (n_j - d_j))`` (``A_j`` the area under the curve
  from ``t_j`` to ``tau``; Klein & Moeschberger 2003, eq. 4.5.1), as in R
  ``survival``'s ``print(survfit(...), rmean = tau)`` and ``survRM2::rmst2``.

No library simulates and analyses trials in bulk (lifelines analyses one
dataset per call, about 1,000 times slower; see ``benchmarks/bench_simulation.py``),
so this module implements it.

References
----------
Peto R, Peto J (1972). Asymptotically efficient rank invariant test procedures.
JRSS A 135:185-207 (the log-rank test and the one-step hazard-ratio estimate
``exp((O - E) / V)``).

Royston P, Parmar MKB (2013). Restricted mean survival time: an alternative to
the hazard ratio for the design and analysis of randomized trials with a
time-to-event outcome. BMC Med Res Methodol 13:152.

Klein JP, Moeschberger ML (2003). Survival Analysis, 2nd ed. Springer.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from tqdm import tqdm

from .conventions import validate_alpha
from .design import PiecewiseExponential, SurvivalDesign, power_survival
from .units import days_to_months
from .warnings import StatisticalWarning

__all__ = [
    "TESTS",
    "DAY_IN_MONTHS",
    "SimulatedTrials",
    "SimulationResult",
    "simulate_trials",
    "logrank_statistics",
    "landmark_logrank_statistics",
    "rmst_statistics",
    "simulate_power",
    "power_curve",
]

#: Tests :func:`simulate_power` can apply to each simulated trial.
TESTS = ("logrank", "landmark", "rmst")

#: One day in months (:func:`analysis.toolkit.units.days_to_months`), for ``time_unit``.
DAY_IN_MONTHS = days_to_months(1.0)


# ----------------------------------------------------------------------------
# Simulation
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SimulatedTrials:
    """Many simulated trials as arrays of shape (trials, patients).

    ``treatment`` marks the columns of the treatment arm (the same in every
    trial: arms of fixed size ``n_control`` then ``n_treatment``). ``time`` is
    months from entry to event or censoring, ``event`` is True for an observed
    event. ``entry`` is the calendar entry time.

    Attributes
    ----------
    time : numpy.ndarray
        Follow-up in months from entry to event or censoring, float array (trials, patients).
    event : numpy.ndarray
        Boolean array (trials, patients): True for an observed event, False if censored
        (dropout or administrative censoring at the analysis).
    entry : numpy.ndarray
        Calendar entry time in months from the first possible entry, array (trials, patients).
    treatment : numpy.ndarray
        Boolean mask of the treatment columns, shape (patients,): ``n_control`` False
        columns, then ``n_treatment`` True columns.
    analysis_time : float
        Calendar time of the analysis in months (``accrual end + minimum follow-up``).
    n_trials : int
        Number of trials (rows; property).

    See Also
    --------
    simulate_trials
    """

    time: np.ndarray
    event: np.ndarray
    entry: np.ndarray
    treatment: np.ndarray
    analysis_time: float

    @property
    def n_trials(self) -> int:
        return self.time.shape[0]

    def trial_frame(self, i: int) -> pd.DataFrame:
        """Trial ``i`` as a patient-level frame (``time``, ``event``, ``arm``, ``entry``)."""
        return pd.DataFrame(
            {
                "time": self.time[i],
                "event": self.event[i].astype(int),
                "arm": np.where(self.treatment, "treatment", "control"),
                "entry": self.entry[i],
            }
        )


def _sample_piecewise_exponential(h: PiecewiseExponential, e: np.ndarray) -> np.ndarray:
    """Inverse cumulative hazard at unit-exponential draws ``e``."""
    s, lam = h._arrays()
    cum = np.concatenate([[0.0], np.cumsum(lam[:-1] * np.diff(s))])
    j = np.searchsorted(cum, e, side="right") - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        t = s[j] + (e - cum[j]) / lam[j]
    # a zero hazard on the last piece never ends; zero hazard on an inner piece is skipped by searchsorted
    return np.where(lam[j] > 0, t, np.inf)


def _sample_entry(design: SurvivalDesign, u: np.ndarray) -> np.ndarray:
    at, g = design._acc
    cdf = np.concatenate([[0.0], np.cumsum(g * np.diff(at))])
    j = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, len(g) - 1)
    return at[j] + (u - cdf[j]) / g[j]


def simulate_trials(
    design: SurvivalDesign,
    n_control: int,
    n_treatment: int | None = None,
    *,
    n_trials: int,
    rng: np.random.Generator,
    time_unit: float | None = None,
) -> SimulatedTrials:
    """Simulate ``n_trials`` whole trials of a design.

    Parameters
    ----------
    design : SurvivalDesign
        Hazards (piecewise exponential per arm), accrual, minimum follow-up and
        dropout. Allocation is given by the arm sizes, not ``design.allocation``.
    n_control : int
        Patients in the control arm (``>= 1``).
    n_treatment : int, optional
        Patients in the treatment arm (default ``None``: ``n_control``).
    n_trials : int
        Number of trials (rows, ``>= 1``).
    rng : numpy.random.Generator
        A NumPy ``Generator`` (e.g. ``np.random.default_rng(2021)``); never a global seed.
    time_unit : float, optional
        If given (months), times are rounded *up* to whole multiples of it (e.g.
        :data:`DAY_IN_MONTHS` for whole days), which creates tied times. Default ``None``:
        continuous times.

    Returns
    -------
    SimulatedTrials
        Arrays (trials, patients) of follow-up times, event indicators and entry times,
        the treatment mask and the analysis time.

    Notes
    -----
    Entry times are independent draws from the accrual distribution; event and
    dropout times are independent; the observed time is the minimum of the event
    time, the dropout time and the administrative censoring time
    ``T - entry``; an event is observed if it comes first.

    References
    ----------
    Bender R, Augustin T, Blettner M. Generating survival times to simulate Cox proportional
    hazards models. Stat Med 2005;24:1713-1723 (inversion of the cumulative hazard).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n_treatment = n_control if n_treatment is None else n_treatment
    for name, v in (("n_control", n_control), ("n_treatment", n_treatment), ("n_trials", n_trials)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v}")
    if time_unit is not None and not time_unit > 0:
        raise ValueError(f"time_unit must be > 0 months, got {time_unit}")
    n = int(n_control) + int(n_treatment)
    shape = (int(n_trials), n)
    treatment = np.zeros(n, dtype=bool)
    treatment[int(n_control):] = True
    T = design.study_duration

    entry = _sample_entry(design, rng.random(shape))
    e = rng.standard_exponential(shape)
    ev_time = np.empty(shape)
    ev_time[:, ~treatment] = _sample_piecewise_exponential(design.hazard_control, e[:, ~treatment])
    ev_time[:, treatment] = _sample_piecewise_exponential(design.hazard_treatment, e[:, treatment])
    eta = np.where(treatment, design.dropout_treatment, design.dropout_control)
    with np.errstate(divide="ignore"):
        drop = rng.standard_exponential(shape) / eta  # inf where eta == 0
    censor = np.minimum(drop, T - entry)
    time = np.minimum(ev_time, censor)
    event = ev_time <= censor
    if time_unit is not None:
        time = np.maximum(np.ceil(time / time_unit - 1e-9), 1.0) * time_unit
    return SimulatedTrials(time=time, event=event, entry=entry, treatment=treatment, analysis_time=T)


# ----------------------------------------------------------------------------
# Vectorised statistics
# ----------------------------------------------------------------------------
def _as_2d(time, event, group):
    time = np.atleast_2d(np.asarray(time, float))
    event = np.atleast_2d(np.asarray(event, bool))
    group = np.asarray(group, bool)
    if group.ndim == 1:
        group = np.broadcast_to(group, time.shape)
    if not (time.shape == event.shape == group.shape):
        raise ValueError(f"time, event and group must have the same shape, got {time.shape}, {event.shape}, {group.shape}")
    if np.isnan(time).any():
        raise ValueError("time must not contain NaN")
    return time, event, group


def _sorted_tie_groups(time: np.ndarray, *others: np.ndarray):
    """Sort each row by time; return sorted arrays, tie-group start index per position and
    a mask of the last position of each tie group."""
    order = np.argsort(time, axis=1)
    t = np.take_along_axis(time, order, axis=1)
    sorted_others = [np.take_along_axis(o, order, axis=1) for o in others]
    n = t.shape[1]
    new = np.empty(t.shape, dtype=bool)
    new[:, 0] = True
    np.not_equal(t[:, 1:], t[:, :-1], out=new[:, 1:])
    last = np.empty_like(new)
    last[:, -1] = True
    last[:, :-1] = new[:, 1:]
    idx = np.arange(n, dtype=np.int32)
    start = np.maximum.accumulate(np.where(new, idx, 0), axis=1)
    return t, sorted_others, start, last


def _excl_cumsum_at(x: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive cumulative sum, and the exclusive cumulative sum evaluated at ``start``."""
    c = np.cumsum(x, axis=1, dtype=np.int32)
    before = np.take_along_axis(c - x, start, axis=1)
    return c, before


def _logrank_terms(time, event, group):
    """Each sorted time's contribution to the log-rank statistic, per row: ``(t, o_minus_e, v, d)``,
    arrays of the shape of ``time`` sorted within rows (zero except at the last patient of a tie group
    with an event). Rows may contain -inf times (excluded patients: never at risk at any event time)."""
    t, (e, g), start, last = _sorted_tie_groups(time, event, group)
    n = t.shape[1]
    e32 = e.astype(np.int32)
    eg32 = (e & g).astype(np.int32)
    g32 = g.astype(np.int32)
    ce, ce_before = _excl_cumsum_at(e32, start)
    c1, c1_before = _excl_cumsum_at(eg32, start)
    cg_before = np.take_along_axis(np.cumsum(g32, axis=1, dtype=np.int32) - g32, start, axis=1)
    d = (ce - ce_before).astype(float)
    d1 = (c1 - c1_before).astype(float)
    at_risk = (n - start).astype(float)
    at_risk1 = (g32.sum(axis=1, keepdims=True) - cg_before).astype(float)
    use = last & (d > 0)
    frac = np.divide(at_risk1, at_risk, out=np.zeros_like(at_risk), where=use)
    ome = np.where(use, d1 - d * frac, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(use & (at_risk > 1), d * frac * (1 - frac) * (at_risk - d) / (at_risk - 1), 0.0)
    return t, ome, v, np.where(use, d, 0.0)


def _logrank_core(time, event, group):
    """O - E, V and the events for ``group`` (the first group) per row (:func:`_logrank_terms` summed)."""
    _, ome, v, d = _logrank_terms(time, event, group)
    return ome.sum(axis=1), v.sum(axis=1), d.sum(axis=1)


def _z_from(o_minus_e: np.ndarray, var: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, o_minus_e / np.sqrt(var), np.nan)


def logrank_statistics(time, event, group) -> pd.DataFrame:
    """Two-sample log-rank test of every row (trial), vectorised.

    Parameters
    ----------
    time, event : array_like
        Arrays of shape (trials, patients) (or 1-D for one trial): follow-up time
        and event indicator.
    group : array_like of bool
        Boolean membership of the reference group whose observed minus expected
        events are reported, shape (patients,) or (trials, patients). For a trial
        pass the *control* arm: ``z > 0`` then favours the treatment.

    Returns
    -------
    pandas.DataFrame
        One row per trial: ``o_minus_e``, ``var``, ``z = (O - E)/sqrt(V)``,
        ``chisq = z**2``, ``p`` (two-sided), ``hr_peto = exp((O - E)/V)`` (the
        group's hazard relative to the other), ``events``.

    Notes
    -----
    ``chisq`` matches ``survdiff(Surv(time, event) ~ group)$chisq`` in R and
    ``lifelines.statistics.logrank_test(...).test_statistic``, ties included.

    References
    ----------
    Mantel N. Evaluation of survival data and two new rank order statistics arising in its
    consideration. Cancer Chemother Rep 1966;50:163-170. Peto R, Peto J. Asymptotically efficient rank
    invariant test procedures. J R Stat Soc A 1972;135:185-207.
    """
    time, event, group = _as_2d(time, event, group)
    ome, var, d = _logrank_core(time, event, group)
    z = _z_from(ome, var)
    with np.errstate(invalid="ignore", divide="ignore"):
        hr = np.where(var > 0, np.exp(ome / np.where(var > 0, var, 1.0)), np.nan)
    return pd.DataFrame(
        {"o_minus_e": ome, "var": var, "z": z, "chisq": z**2, "p": 2 * stats.norm.sf(np.abs(z)), "hr_peto": hr, "events": d}
    )


def landmark_logrank_statistics(time, event, group, landmark: float, end: float | None = None) -> pd.DataFrame:
    """Log-rank test in the late window ``(landmark, end]`` of every row, vectorised.

    Patients with ``time <= landmark`` are excluded (not at risk after the
    landmark); the others keep their times (equivalently re-zeroed at the
    landmark: same risk sets), censored at ``end`` if given.

    Parameters
    ----------
    time, event : array_like
        Arrays of shape (trials, patients) (or 1-D for one trial): follow-up time in
        months and event indicator.
    group : array_like of bool
        Reference group whose observed minus expected events are reported, shape
        (patients,) or (trials, patients); pass the *control* arm so that ``z > 0``
        favours the treatment.
    landmark : float
        Landmark ``L`` in months (``>= 0``); only patients with ``time > L`` are analysed.
    end : float, optional
        End of the window in months (``> landmark``): events after ``end`` are censored
        at ``end``. Default ``None``: no censoring.

    Returns
    -------
    pandas.DataFrame
        One row per trial, the columns of :func:`logrank_statistics` (``o_minus_e``,
        ``var``, ``z``, ``chisq``, ``p``, ``hr_peto``, ``events``: events in the window),
        plus ``n_at_landmark`` (patients at risk after the landmark).

    Notes
    -----
    Matches ``survdiff(Surv(time - L, event) ~ group, subset = time > L)`` in R
    (and :func:`analysis.toolkit.survival.logrank` on ``window_frame(df, L, end)``).

    References
    ----------
    Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response. J Clin Oncol
    1983;1:710-719 (the landmark method).
    """
    if not landmark >= 0:
        raise ValueError(f"landmark must be >= 0 months, got {landmark}")
    time, event, group = _as_2d(time, event, group)
    if end is not None:
        if not end > landmark:
            raise ValueError(f"end must be > landmark ({landmark}), got {end}")
        event = event & (time <= end)
        time = np.minimum(time, end)
    keep = time > landmark
    t = np.where(keep, time, -np.inf)
    out = logrank_statistics(t, event & keep, group)
    out["n_at_landmark"] = keep.sum(axis=1)
    return out


def _km_rmst(time: np.ndarray, event: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RMST to tau of each row's Kaplan-Meier curve, its Greenwood-type variance, and
    whether the row's follow-up reaches tau."""
    t, (e,), start, last = _sorted_tie_groups(time, event)
    n = t.shape[1]
    e32 = e.astype(np.int32)
    ce, ce_before = _excl_cumsum_at(e32, start)
    d = (ce - ce_before).astype(float)
    at_risk = (n - start).astype(float)
    use = last & (d > 0)
    factor = np.where(use, 1.0 - np.divide(d, at_risk, out=np.zeros_like(d), where=use), 1.0)
    s_after = np.cumprod(factor, axis=1)
    s_before = np.concatenate([np.ones((t.shape[0], 1)), s_after[:, :-1]], axis=1)
    tc = np.minimum(t, tau)
    dt = np.diff(tc, axis=1, prepend=0.0)
    area = np.cumsum(s_before * dt, axis=1)
    rmst = area[:, -1] + s_after[:, -1] * (tau - tc[:, -1])
    a_j = rmst[:, None] - area  # area under S from t_j to tau
    with np.errstate(invalid="ignore", divide="ignore"):
        term = np.where(use & (t <= tau) & (at_risk > d), a_j**2 * d / (at_risk * (at_risk - d)), 0.0)
    reaches = t[:, -1] >= tau
    return rmst, term.sum(axis=1), reaches


def rmst_statistics(time, event, treatment, tau: float) -> pd.DataFrame:
    """Difference in restricted mean survival time (treatment - control) up to ``tau``, vectorised.

    Each arm's RMST is the area under its Kaplan-Meier curve on ``[0, tau]``;
    its variance is ``sum_{t_j <= tau} A_j^2 d_j / (n_j (n_j - d_j))`` with
    ``A_j = int_{t_j}^{tau} S(u) du`` (Klein & Moeschberger 2003, eq. 4.5.1;
    the estimator of ``survRM2::rmst2``). The arms are independent, so the
    difference's variance is the sum.

    Parameters
    ----------
    time, event : array_like
        Arrays (trials, patients): follow-up time in months and event indicator.
    treatment : array_like of bool
        Boolean mask of treatment columns, shape (patients,) (the same for all rows).
    tau : float
        Restriction time in months (``> 0``).

    Returns
    -------
    pandas.DataFrame
        ``rmst_control``, ``rmst_treatment``, ``var_control``, ``var_treatment``,
        ``diff``, ``se``, ``z = diff / se``, ``p`` (two-sided).

    Warns
    -----
    StatisticalWarning
        If in some rows an arm's longest follow-up is shorter than ``tau``: the
        curve is then carried forward flat to ``tau`` (as R's ``survfit`` does
        with ``rmean = tau``), which is an extrapolation.

    Notes
    -----
    ``rmst_*`` and ``sqrt(var_*)`` match ``print(survfit(Surv(time, event) ~ arm),
    rmean = tau)``'s ``rmean`` and ``se(rmean)`` in R's survival package.

    References
    ----------
    Royston P, Parmar MKB. Restricted mean survival time: an alternative to the hazard ratio
    for the design and analysis of randomized trials with a time-to-event outcome. BMC Med Res Methodol
    2013;13:152. Klein JP, Moeschberger ML. Survival Analysis, 2nd ed. Springer 2003, section 4.5.
    """
    if not tau > 0:
        raise ValueError(f"tau must be > 0 months, got {tau}")
    time, event, _ = _as_2d(time, event, np.zeros(np.shape(time)[-1], bool))
    treatment = np.asarray(treatment, bool)
    if treatment.ndim != 1 or treatment.size != time.shape[1]:
        raise ValueError(f"treatment must be a 1-D mask of length {time.shape[1]} (one per patient column)")
    if treatment.all() or not treatment.any():
        raise ValueError("treatment must mark some but not all columns")
    rc, vc, okc = _km_rmst(time[:, ~treatment], event[:, ~treatment], tau)
    rt, vt, okt = _km_rmst(time[:, treatment], event[:, treatment], tau)
    short = int((~(okc & okt)).sum())
    if short:
        warnings.warn(
            f"in {short} of {time.shape[0]} trials an arm's follow-up ends before tau = {tau}; "
            "the Kaplan-Meier curve is carried forward to tau",
            StatisticalWarning,
            stacklevel=2,
        )
    diff = rt - rc
    se = np.sqrt(vc + vt)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, diff / se, np.nan)
    return pd.DataFrame(
        {
            "rmst_control": rc,
            "rmst_treatment": rt,
            "var_control": vc,
            "var_treatment": vt,
            "diff": diff,
            "se": se,
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
        }
    )


# ----------------------------------------------------------------------------
# Power by simulation
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SimulationResult:
    """Per-trial statistics of a simulation and the power of each test.

    Attributes
    ----------
    design : SurvivalDesign
        The simulated design.
    n_control, n_treatment : int
        Patients per arm in every trial.
    n_trials : int
        Number of simulated trials.
    alpha : float
        Significance level of every test.
    sides : int
        1 (rejects when ``z > z_{1-alpha}``: treatment better) or 2 (``|z| > z_{1-alpha/2}``).
    tests : tuple of str
        Tests applied (a subset of :data:`TESTS`).
    landmark : float or None
        Landmark in months of the ``"landmark"`` test.
    tau : float or None
        RMST restriction time in months of the ``"rmst"`` test.
    trials : pandas.DataFrame
        One row per trial: ``events``, ``hr_peto`` (control relative to treatment, from the
        log-rank ``exp((O - E) / V)`` of the control arm), ``z_<test>`` per test (positive
        favours the treatment), ``events_after_landmark`` (landmark test) and ``rmst_diff``
        (treatment minus control, months; RMST test).
    summary : pandas.DataFrame
        Power per test (property): ``test``, ``n_control``, ``n_treatment``, ``n_trials``,
        ``power``, ``mc_se`` (Monte Carlo standard error), ``ci_low``, ``ci_high`` (95% Wilson
        interval), ``mean_events``.

    See Also
    --------
    simulate_power
    """

    design: SurvivalDesign
    n_control: int
    n_treatment: int
    n_trials: int
    alpha: float
    sides: int
    tests: tuple[str, ...]
    landmark: float | None
    tau: float | None
    trials: pd.DataFrame  # one row per trial: z_<test>, events, hr_peto, ...

    def reject(self, test: str) -> np.ndarray:
        """Boolean rejection per trial (two-sided: |z| > z_{1-a/2}; one-sided: z > z_{1-a}, treatment better)."""
        z = self.trials[f"z_{test}"].to_numpy()
        crit = stats.norm.isf(self.alpha / self.sides)
        with np.errstate(invalid="ignore"):
            return (np.abs(z) > crit) if self.sides == 2 else (z > crit)

    @property
    def summary(self) -> pd.DataFrame:
        """Power per test with its Monte Carlo standard error and 95% Wilson interval."""
        rows = []
        for test in self.tests:
            r = self.reject(test)
            k, m = int(r.sum()), r.size
            p = k / m
            z = stats.norm.ppf(0.975)
            centre = (p + z**2 / (2 * m)) / (1 + z**2 / m)
            half = z * math.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / (1 + z**2 / m)
            rows.append(
                {
                    "test": test,
                    "n_control": self.n_control,
                    "n_treatment": self.n_treatment,
                    "n_trials": m,
                    "power": p,
                    "mc_se": math.sqrt(p * (1 - p) / m),
                    "ci_low": centre - half,
                    "ci_high": centre + half,
                    "mean_events": float(self.trials["events"].mean()),
                }
            )
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        return self.summary.to_html(index=False)


def simulate_power(
    design: SurvivalDesign,
    n_control: int,
    n_treatment: int | None = None,
    *,
    n_trials: int = 2000,
    rng: np.random.Generator,
    tests: Sequence[str] = ("logrank",),
    landmark: float | None = None,
    tau: float | None = None,
    alpha: float = 0.05,
    sides: int = 2,
    time_unit: float | None = None,
    chunk_size: int = 5000,
    progress: bool | None = None,
) -> SimulationResult:
    """Power of the log-rank, landmark and RMST tests by simulating whole trials.

    Parameters
    ----------
    design : SurvivalDesign
        Trial assumptions (see :func:`simulate_trials`).
    n_control : int
        Patients in the control arm.
    n_treatment : int, optional
        Patients in the treatment arm (default ``None``: ``n_control``).
    n_trials : int, default 2000
        Number of simulated trials.
    rng : numpy.random.Generator
        NumPy ``Generator``; results are reproducible from its seed.
    tests : sequence of str, default ("logrank",)
        Any non-empty subset of :data:`TESTS` (``"logrank"``, ``"landmark"``, ``"rmst"``).
    landmark : float, optional
        Landmark in months (required for ``"landmark"``).
    tau : float, optional
        RMST restriction time in months (required for ``"rmst"``).
    alpha : float, default 0.05
        Significance level of every test.
    sides : {2, 1}
        Sidedness of every test (default 2; one-sided rejects only when the treatment is better).
    time_unit : float, optional
        Round times up to whole multiples of it, in months (e.g. :data:`DAY_IN_MONTHS`), to
        create ties. Default ``None``: continuous times.
    chunk_size : int, default 5000
        Trials simulated and analysed at once (bounds memory).
    progress : bool, optional
        Show a tqdm progress bar over chunks; ``None`` (default) lets tqdm decide
        (shown on a terminal only, never in a notebook's stderr).

    Returns
    -------
    SimulationResult
        Per-trial statistics (``trials``) and power per test with its Monte Carlo
        standard error and Wilson interval (``summary``).

    References
    ----------
    Morris TP, White IR, Crowther MJ. Using simulation studies to evaluate statistical
    methods. Stat Med 2019;38:2074-2102 (Monte Carlo standard errors).
    """
    tests = tuple(tests)
    bad = [t for t in tests if t not in TESTS]
    if bad or not tests:
        raise ValueError(f"tests must be a non-empty subset of {TESTS}, got {tests}")
    if "landmark" in tests and landmark is None:
        raise ValueError("landmark (months) is required for the 'landmark' test")
    if "rmst" in tests and tau is None:
        raise ValueError("tau (months) is required for the 'rmst' test")
    validate_alpha(alpha)
    if sides not in (1, 2):
        raise ValueError(f"sides must be 1 or 2, got {sides}")
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    n_treatment = n_control if n_treatment is None else n_treatment
    frames = []
    sizes = [min(chunk_size, n_trials - i) for i in range(0, n_trials, chunk_size)]
    for size in tqdm(sizes, desc="simulating trials", unit="chunk", disable=None if progress is None else not progress):
        sim = simulate_trials(design, n_control, n_treatment, n_trials=size, rng=rng, time_unit=time_unit)
        control = ~sim.treatment
        lr = logrank_statistics(sim.time, sim.event, control)
        f = pd.DataFrame({"events": lr["events"].to_numpy(), "hr_peto": lr["hr_peto"].to_numpy()})
        if "logrank" in tests:
            f["z_logrank"] = lr["z"].to_numpy()
        if "landmark" in tests:
            lm = landmark_logrank_statistics(sim.time, sim.event, control, landmark)
            f["z_landmark"] = lm["z"].to_numpy()
            f["events_after_landmark"] = lm["events"].to_numpy()
        if "rmst" in tests:
            rm = rmst_statistics(sim.time, sim.event, sim.treatment, tau)
            f["z_rmst"] = rm["z"].to_numpy()
            f["rmst_diff"] = rm["diff"].to_numpy()
        frames.append(f)
    trials = pd.concat(frames, ignore_index=True)
    return SimulationResult(
        design=design,
        n_control=int(n_control),
        n_treatment=int(n_treatment),
        n_trials=int(n_trials),
        alpha=alpha,
        sides=sides,
        tests=tests,
        landmark=landmark,
        tau=tau,
        trials=trials,
    )


def power_curve(
    design: SurvivalDesign,
    n_per_arm: Iterable[int],
    *,
    rng: np.random.Generator,
    n_trials: int = 2000,
    tests: Sequence[str] = ("logrank",),
    landmark: float | None = None,
    tau: float | None = None,
    alpha: float = 0.05,
    sides: int = 2,
    analytic: Sequence[str] = (),
    progress: bool | None = None,
) -> pd.DataFrame:
    """Simulated (and optionally analytic) power against the number of patients per arm.

    Parameters
    ----------
    design : SurvivalDesign
        Trial assumptions; equal arms of each size in ``n_per_arm`` are simulated.
    n_per_arm : iterable of int
        Sizes per arm.
    rng : numpy.random.Generator
        NumPy ``Generator``, shared by all sizes (results are reproducible from its seed).
    n_trials : int, default 2000
        Simulated trials per size.
    tests : sequence of str, default ("logrank",)
        Tests of :func:`simulate_power` (subset of :data:`TESTS`).
    landmark : float, optional
        Landmark in months (required for ``"landmark"``).
    tau : float, optional
        RMST restriction time in months (required for ``"rmst"``).
    alpha : float, default 0.05
        Significance level.
    sides : {2, 1}
        Sidedness (default 2).
    analytic : sequence of str, default ()
        Methods of :func:`analysis.toolkit.design.power_survival` to add as rows with
        ``source = "analytic"`` (e.g. ``("schoenfeld", "asymptotic")``), computed with
        equal allocation.
    progress : bool, optional
        Progress bar, as in :func:`simulate_power`.

    Returns
    -------
    pandas.DataFrame
        Tidy rows: ``n_per_arm``, ``test``, ``source`` (``"simulation"`` or
        ``"analytic"``), ``method`` (``"monte_carlo"`` or the analytic method), ``power``,
        ``ci_low``, ``ci_high`` (95% Wilson interval of the simulated power; NaN for
        analytic rows).

    See Also
    --------
    simulate_power, analysis.toolkit.design.power_survival
    """
    rows = []
    for n in n_per_arm:
        res = simulate_power(
            design, n, n, n_trials=n_trials, rng=rng, tests=tests, landmark=landmark, tau=tau,
            alpha=alpha, sides=sides, progress=progress,
        )
        for r in res.summary.itertuples():
            rows.append(
                {"n_per_arm": int(n), "test": r.test, "source": "simulation", "method": "monte_carlo",
                 "power": r.power, "ci_low": r.ci_low, "ci_high": r.ci_high}
            )
        for m in analytic:
            pw = power_survival(design.with_(allocation=1.0), 2 * n, alpha=alpha, sides=sides, method=m).power
            rows.append(
                {"n_per_arm": int(n), "test": "logrank", "source": "analytic", "method": m,
                 "power": pw, "ci_low": np.nan, "ci_high": np.nan}
            )
    return pd.DataFrame(rows)


